"""Sessions on other exchanges: a Hong Kong day (lunch break) and a London day imported with
``ntree data import --exchange``, played through the service: bare dates are that exchange's
session, display bars anchor to its hours, a fill lands in the afternoon session, and the
log re-runs byte for byte."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import cli, db, market
from ntree.engine import EngineError
from ntree.runner import open_session, replay_check
from ntree.service import ReplayService, ServiceError
from ntree.store import SessionStore
from ntree.ui import cockpit_view, figures
from tests.ingest.test_files import HEADER, write


def local_rows(exchange: str, day: str, price_at) -> list[str]:
    """Return a CSV row, in naive exchange time, for every session minute of ``day``."""
    tz = market.timezone(exchange)
    rows = []
    for ts in market.session_minutes(day, day, exchange).tz_convert(tz):
        px = price_at(ts)
        stamp = ts.strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f"{stamp},{px:.2f},{px + 0.05:.2f},{px - 0.05:.2f},{px:.2f},100\n")
    return rows


def imported(tmp_path: Path, symbol: str, exchange: str, rows: list[str]) -> sa.Engine:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    path = write(tmp_path, f"{symbol}.csv", HEADER + "".join(rows))
    tz = market.timezone(exchange)
    argv = ["data", "import", str(path), "--symbol", symbol, "--exchange", exchange]
    assert cli.main([*argv, "--tz", tz, "--db", url]) == 0
    return db.connect(url)


@pytest.fixture
def hk(tmp_path: Path) -> ReplayService:
    # 100.00 all morning; the afternoon session opens at 99.00 and stays there.
    rows = local_rows("XHKG", "2024-03-01", lambda ts: 100.0 if ts.hour < 12 else 99.0)
    svc = ReplayService.create(imported(tmp_path, "0005", "XHKG", rows), tmp_path / "cache")
    yield svc
    svc.cache.close()


def hk_times(candles: list[dict]) -> list[str]:
    return [pd.Timestamp(c["ts"]).tz_convert("Asia/Hong_Kong").strftime("%H:%M") for c in candles]


def test_a_hong_kong_day_plays_on_its_own_session_in_1h_bars_around_the_lunch_break(
    hk: ReplayService,
) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "1h"})  # fmt: skip
    sid = started["session_id"]
    state = started["initial_state"]
    assert state["t_start"] == "2024-03-01T01:30:00Z"  # 09:30 Hong Kong
    assert state["t_end"] == "2024-03-01T08:00:00Z"  # 16:00 Hong Kong
    assert state["time_remaining_min"] == 330  # 150 + 180 minutes: no lunch minutes

    state = hk.command("step", {"session_id": sid, "disp_steps": 6})

    assert hk_times(hk.snapshot(sid, 10)["candles"]) == [
        "09:30", "10:30", "11:30", "13:00", "14:00", "15:00"
    ]  # fmt: skip
    assert state["status"] == "ended"
    start = SessionStore(hk.db_engine).load_events(sid)[0].payload
    assert start["params"]["exchange"] == "XHKG"
    assert replay_check(hk.db_engine, sid).ok


def test_a_limit_placed_in_the_morning_fills_at_the_afternoon_open(hk: ReplayService) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "30m"})  # fmt: skip
    sid = started["session_id"]
    hk.command("step", {"session_id": sid, "disp_steps": 4})  # to 11:30, the last morning bar
    assert hk.snapshot(sid, 1)["market_phase"] == "midday"  # 120 minutes in, 210 left
    hk.command("place", {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10,
                         "price": 99.5})  # fmt: skip

    state = hk.command("step", {"session_id": sid, "disp_steps": 2})  # 11:30, then 13:00

    fill = state["fills"][0]
    assert pd.Timestamp(fill["ts_exec"]) == pd.Timestamp("2024-03-01 13:00", tz="Asia/Hong_Kong")
    assert fill["price"] == 99.0  # gapped through: the afternoon's open
    assert state["position"]["qty"] == 10
    assert hk_times(hk.snapshot(sid, 10)["candles"])[-2:] == ["11:30", "13:00"]
    assert replay_check(hk.db_engine, sid).ok


def test_the_cockpit_chart_labels_hong_kong_time_and_marks_the_fill_on_its_candle(
    hk: ReplayService,
) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "1h"})  # fmt: skip
    sid = started["session_id"]
    hk.command("step", {"session_id": sid, "disp_steps": 3})  # to 11:30
    hk.command("place", {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10,
                         "price": 99.5})  # fmt: skip
    hk.command("step", {"session_id": sid, "disp_steps": 2})
    snap = hk.snapshot(sid, 20)
    assert snap["exchange_tz"] == "Asia/Hong_Kong"

    fig = figures.build_figure(snap["candles"], snap["orders"], snap["position"],
                               snap["fills"], 60, tz=snap["exchange_tz"])  # fmt: skip

    assert fig["data"][figures.TRACE["candles"]]["x"] == [
        "03-01 09:30", "03-01 10:30", "03-01 11:30", "03-01 13:00", "03-01 14:00"
    ]  # fmt: skip
    assert fig["data"][figures.TRACE["fills_buy"]]["x"] == ["03-01 13:00"]
    marks = [s for s in fig["layout"]["shapes"] if s["type"] == "path"]  # beside the candle
    assert [m["xanchor"] for m in marks] == ["03-01 13:00"]  # (was New York's label of it)
    assert (
        cockpit_view._clock(snap, sid, False)["bar_time"] == "Fri 03-01 15:00 HKT"
    )  # the 1m bar that plays next (the year is in the session line)


def test_a_time_without_an_offset_is_the_exchange_s_own(hk: ReplayService) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01T13:00", "t_end": "2024-03-01",
                        "disp_tf": "1h"})  # fmt: skip

    assert started["initial_state"]["t_start"] == "2024-03-01T05:00:00Z"
    assert started["initial_state"]["cursor"]["ts_exec"] == "2024-03-01T05:00:00Z"


def test_a_london_day_plays_in_1h_bars_from_0800_to_the_short_1600(tmp_path: Path) -> None:
    rows = local_rows("XLON", "2024-07-01", lambda ts: 50.0 + ts.hour / 100)
    svc = ReplayService.create(imported(tmp_path, "VOD", "XLON", rows), tmp_path / "cache")
    try:
        sid = svc.start({"symbol": "VOD", "t_start": "2024-07-01", "t_end": "2024-07-01",
                         "disp_tf": "1h"})["session_id"]  # fmt: skip
        state = svc.command("step", {"session_id": sid, "disp_steps": 9})

        candles = svc.snapshot(sid, 20)["candles"]
        london = [pd.Timestamp(c["ts"]).tz_convert("Europe/London") for c in candles]
        assert [t.strftime("%H:%M") for t in london] == [f"{h:02d}:00" for h in range(8, 17)]
        assert state["status"] == "ended"
        assert replay_check(svc.db_engine, sid).ok
    finally:
        svc.cache.close()


def test_a_gym_episode_on_a_hong_kong_day_plays_its_session_in_its_1h_bars(
    hk: ReplayService,
) -> None:
    from ntree.gym.env import ReplayEnv

    env = ReplayEnv("0005", "1h", db=hk.db_engine)
    env.reset(seed=0)  # a day drawn from the symbol's own trading days: the one there is
    session = env.session
    assert session.config.exchange == "XHKG"
    assert session.state()["t_start"] == "2024-03-01T01:30:00Z"

    while not session.ended:
        env.step([])

    assert hk_times(session.candles(n=10)) == ["09:30", "10:30", "11:30", "13:00", "14:00", "15:00"]


def test_a_jump_to_a_bare_time_is_in_the_exchange_s_time(hk: ReplayService) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "5m"})  # fmt: skip
    sid = started["session_id"]

    view = hk.jump({"session_id": sid, "to": "13:05"})  # the clock reads Hong Kong time

    assert view["cursor"]["ts_exec"] == "2024-03-01T05:05:00Z"  # 13:05 Hong Kong
    with pytest.raises(ServiceError) as err:
        hk.jump({"session_id": sid, "to": "10:00"})  # the morning: behind the cursor
    assert (err.value.code, err.value.field) == ("bad_jump", "to")
    assert "(2024-03-01 13:05 HKT)" in err.value.message
    assert replay_check(hk.db_engine, sid).ok


def test_the_folded_start_line_says_a_hong_kong_session_in_hong_kong_time(
    hk: ReplayService,
) -> None:
    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "5m"})  # fmt: skip

    line = cockpit_view.folded_text(started["initial_state"])

    assert (
        line == "0005 · 5m · Fri 2024-03-01 09:30 → Fri 2024-03-01 16:00 HKT · fills: perfect · 4x"
    )


def test_a_blind_hong_kong_day_reads_day_1_from_09_30_to_16_00(hk: ReplayService) -> None:
    from ntree.blind import day_label
    from ntree.ui.blind import SessionMask

    started = hk.start({"symbol": "0005", "t_start": "2024-03-01", "t_end": "2024-03-01",
                        "disp_tf": "5m", "blind": True})  # fmt: skip
    real = started["initial_state"]
    mask = SessionMask.of(real)

    shown = mask.mask(real)

    assert [day_label(shown[k]) for k in ("t_start", "t_end")] == ["Day 1 09:30", "Day 1 16:00"]
    assert shown["exchange_tz"] == "America/New_York"  # the fictional era's: no HKT shown
    line = cockpit_view.folded_text(shown)
    assert "Day 1 09:30 → Day 1 16:00" in line and "HKT" not in line


def test_a_session_on_a_005_tick_symbol_takes_that_tick_and_refuses_prices_between(tmp_path):
    # prices on the 0.05 grid (100.00 / 100.05 / 99.95)
    rows = local_rows("XHKG", "2024-03-01", lambda ts: 100.0)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    path = write(tmp_path, "0700.csv", HEADER + "".join(rows))
    argv = ["data", "import", str(path), "--symbol", "0700", "--exchange", "XHKG"]
    assert cli.main([*argv, "--tz", "Asia/Hong_Kong", "--tick", "0.05", "--db", url]) == 0
    svc = ReplayService.create(db.connect(url), tmp_path / "cache")
    try:
        body = {"symbol": "0700", "t_start": "2024-03-01", "t_end": "2024-03-01"}
        sid = svc.start({**body, "disp_tf": "30m"})["session_id"]
        assert svc.state({"session_id": sid})["tick"] == 0.05
        order = {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 100}
        with pytest.raises(ServiceError) as err:
            svc.command("place", {**order, "price": 99.91})
        assert err.value.code == "off_tick"
        svc.command("place", {**order, "price": 99.90})  # on the grid: taken
        # a script may set its own tick: a finer one than the symbol trades at is refused
        with pytest.raises(EngineError) as exc:
            open_session(svc.db_engine, "0700", "2024-03-01", "2024-03-01", "30m", tick=0.01)
        assert (exc.value.code, exc.value.field) == ("bad_param", "tick")
        coarser = open_session(svc.db_engine, "0700", "2024-03-01", "2024-03-01", tick=0.10)
        assert coarser.config.tick == 0.10
    finally:
        svc.cache.close()

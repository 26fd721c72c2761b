"""Drills from weak spots: which buckets get one, and the window a drill plays."""

from __future__ import annotations

import pandas as pd
import pytest
from coach_helpers import fresh_service, play_brackets

from ntree.market import sessions
from ntree.service import ServiceError
from ntree.service.coach import (
    RegimeCheck,
    drill_plan,
    drill_starts,
    drill_window,
    played_days,
    start_drill,
    weak_buckets,
)

WEEK = sessions("2024-07-01", "2024-07-05")  # Mon..Fri; Thu 07-04 a holiday, Wed 07-03 closes 13:00
LAST_BAR = pd.Timestamp("2024-07-05 19:59", tz="UTC")


def test_drill_window_takes_the_newest_day_not_played_at_the_buckets_new_york_time():
    start, end = drill_window(WEEK, {"2024-07-05"}, "10:30", LAST_BAR)
    # 2024-07-03 10:30 New York (EDT) is 14:30 UTC; a 30-minute bucket.
    assert (start, end) == (
        pd.Timestamp("2024-07-03 14:30", tz="UTC"),
        pd.Timestamp("2024-07-03 15:00", tz="UTC"),
    )


def test_drill_window_skips_a_half_day_that_closes_before_the_bucket_ends():
    start, _ = drill_window(WEEK, {"2024-07-05"}, "13:00", LAST_BAR)
    assert start == pd.Timestamp("2024-07-02 17:00", tz="UTC")  # 07-03 closes at 13:00
    start, _ = drill_window(WEEK, {"2024-07-05"}, "12:30", LAST_BAR)
    assert start == pd.Timestamp("2024-07-03 16:30", tz="UTC")  # 12:30-13:00 fits it


def test_drill_window_skips_a_day_whose_bars_end_before_the_window():
    start, _ = drill_window(WEEK, set(), "15:30", pd.Timestamp("2024-07-05 17:00", tz="UTC"))
    assert start == pd.Timestamp("2024-07-02 19:30", tz="UTC")


def test_drill_window_is_none_when_every_day_was_played():
    played = {"2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05"}
    assert drill_window(WEEK, played, "10:00", LAST_BAR) is None


def test_played_days_counts_every_new_york_date_a_session_spans():
    rows = [{"t_start": "2024-07-01T13:30:00Z", "t_end": "2024-07-03T00:30:00Z"}]  # 07-02 20:30 NY
    assert played_days(rows) == {"2024-07-01", "2024-07-02"}


def _report(by_hour: dict, trades: list[dict]) -> dict:
    return {"by_hour": by_hour, "by_regime": {}, "by_setup": {}, "trades": trades}


def test_weak_buckets_are_those_of_five_trades_or_more_that_lose():
    report = _report(
        {
            "09:30": {"n": 5, "expectancy_r": -0.1},
            "10:00": {"n": 4, "expectancy_r": -2.0},  # too few
            "10:30": {"n": 9, "expectancy_r": 0.3},  # wins
            "11:00": {"n": 6, "expectancy_r": None, "expectancy": -12.0},  # no stop: in $
        },
        [],
    )
    assert [k for k, _ in weak_buckets(report, "hour")] == ["09:30", "11:00"]


def test_drill_plan_plays_the_symbol_and_frame_of_most_of_the_buckets_trades():
    trades = [
        {"session_id": "a", "regime": "trend", "time_bucket": "11:00"},
        {"session_id": "a", "regime": "trend", "time_bucket": "11:00"},
        {"session_id": "b", "regime": "trend", "time_bucket": "09:30"},
        {"session_id": "b", "regime": "range", "time_bucket": "10:00"},
    ]
    rows = [
        {"session_id": "a", "symbol": "QQQ", "disp_tf": "15m"},
        {"session_id": "b", "symbol": "SPY", "disp_tf": "5m"},
    ]
    plan = drill_plan(_report({}, trades), "regime", "trend", rows)
    assert plan == {"symbol": "QQQ", "disp_tf": "15m", "start": "11:00"}
    assert drill_plan(_report({}, trades), "hour", "10:00", rows)["start"] == "10:00"
    with pytest.raises(ServiceError):
        drill_plan(_report({}, trades), "weekday", "Mon", rows)
    with pytest.raises(ServiceError):  # its sessions deleted since
        drill_plan(_report({}, trades), "regime", "trend", [])


@pytest.fixture
def svc(tmp_path):
    svc = fresh_service(tmp_path)
    yield svc
    svc.cache.close()


def test_start_drill_opens_a_session_on_a_day_not_played_yet(svc):
    sid = play_brackets(svc, "2024-08-06", "BUY", 2)
    report = svc.coach({"session_id": [sid]})
    hour = report["trades"][0]["time_bucket"]
    first = start_drill(svc, "hour", hour, {"session_id": [sid]})
    second = start_drill(svc, "hour", hour, {"session_id": [sid]})
    rows = {r["session_id"]: r for r in svc.store.list_sessions(limit=None)}
    days = [played_days([rows[s["session_id"]]]) for s in (first, second)]
    assert days[0] != days[1] and "2024-08-06" not in days[0] | days[1]
    start = pd.Timestamp(rows[first["session_id"]]["t_start"])
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    assert start.tz_convert("America/New_York").strftime("%H:%M") == hour
    assert rows[first["session_id"]]["symbol"] == "SPY"


# --- regime drills on a database whose days are known trend or range days ---------------------

KNOWN = "KNWN"
#: Two weeks of 1m bars: a trend day climbs 0.05 a minute all day, a range day sits flat,
#: alternating 0.10 either side of its level (each day opens at the last close: no gap).
DAY_KINDS = {
    "2024-07-08": "trend",
    "2024-07-09": "range",
    "2024-07-10": "trend",
    "2024-07-11": "range",
    "2024-07-12": "range",
    "2024-07-15": "trend",
    "2024-07-16": "trend",
    "2024-07-17": "range",
    "2024-07-18": "trend",
    "2024-07-19": "range",
}
TREND_DAYS = sorted(d for d, k in DAY_KINDS.items() if k == "trend")
RANGE_DAYS = sorted(d for d, k in DAY_KINDS.items() if k == "range")


def known_bars() -> pd.DataFrame:
    import numpy as np

    from ntree.market import session_minutes

    level, frames = 100.0, []
    for day, kind in DAY_KINDS.items():
        minutes = session_minutes(day, day)
        k = np.arange(len(minutes))
        if kind == "trend":
            close = level + 0.05 * (k + 1)
        else:
            close = level + np.where(k % 2 == 0, 0.10, -0.10)
        open_ = np.concatenate([[level], close[:-1]])
        level = float(close[-1])
        frames.append(
            pd.DataFrame(
                {
                    "open": open_.round(2),
                    "high": (np.maximum(open_, close) + 0.05).round(2),
                    "low": (np.minimum(open_, close) - 0.05).round(2),
                    "close": close.round(2),
                    "volume": np.full(len(k), 1_000, dtype=np.int64),
                },
                index=minutes,
            )
        )
    return pd.concat(frames)


@pytest.fixture
def known(tmp_path):
    """A service on a database holding only the known days (no session played)."""
    from ntree import db
    from ntree.service import ReplayService

    engine = db.connect(f"sqlite:///{tmp_path / 'known.db'}")
    db.save_bars(engine, KNOWN, known_bars())
    svc = ReplayService.create(engine, tmp_path / "cache")
    yield svc
    svc.cache.close()


def _window(svc, played: set[str], regime: str, start: str = "13:00"):
    first, last = svc.data_range(KNOWN)
    days = sessions(first.tz_convert("America/New_York").date(), last.date())
    check = RegimeCheck(svc.db_engine, KNOWN, "5m", regime)
    return drill_window(days, played, start, last, accept=check)


def _ny_day_of(ts: pd.Timestamp) -> str:
    return ts.tz_convert("America/New_York").strftime("%Y-%m-%d")


def test_a_trend_drill_window_is_on_the_newest_unplayed_trend_day(known):
    start, end = _window(known, {TREND_DAYS[-1]}, "trend")
    assert _ny_day_of(start) == TREND_DAYS[-2]  # 07-19 (range) and 07-18 (played) skipped
    assert (end - start) == pd.Timedelta(minutes=30)
    assert start.tz_convert("America/New_York").strftime("%H:%M") == "13:00"


def test_a_range_drill_window_is_on_the_newest_unplayed_range_day(known):
    assert _ny_day_of(_window(known, set(), "range")[0]) == RANGE_DAYS[-1]
    assert _ny_day_of(_window(known, {"2024-07-19", "2024-07-17"}, "range")[0]) == "2024-07-12"


def test_no_regime_drill_window_when_every_day_of_that_regime_was_played(known):
    assert _window(known, set(TREND_DAYS), "trend") is None
    assert _window(known, set(TREND_DAYS), "range") is not None


def test_the_regime_rule_decides_not_the_calendar_a_range_days_open_is_still_trending(known):
    # After 07-16's climb, 07-17 opens flat, but its channel still slopes for a while:
    # at 09:30 its first bars still read trend by the rule, at 13:00 they read range.
    check = RegimeCheck(known.db_engine, KNOWN, "5m", "trend")
    at = pd.Timestamp("2024-07-17 09:30", tz="America/New_York").tz_convert("UTC")
    assert check(at, at + pd.Timedelta(minutes=30))
    at = pd.Timestamp("2024-07-17 13:00", tz="America/New_York").tz_convert("UTC")
    assert not check(at, at + pd.Timedelta(minutes=30))


def test_drill_starts_try_the_losses_time_first_then_the_nearest():
    assert drill_starts("13:00")[:4] == ["13:00", "12:30", "13:30", "12:00"]
    assert len(drill_starts("09:30")) == 13 and drill_starts("09:30")[-1] == "15:30"


def _play_trend_trades(svc, day: str, n: int = 2) -> str:
    """Enter long at market ``n`` times on a climbing ``day`` from 12:00 New York, each with a
    bracket, and close each after two bars; return the ended session's id."""
    t0 = pd.Timestamp(f"{day} 12:00", tz="America/New_York").tz_convert("UTC")
    t1 = pd.Timestamp(f"{day} 15:00", tz="America/New_York").tz_convert("UTC")
    state = svc.start(
        {"symbol": KNOWN, "t_start": t0.isoformat(), "t_end": t1.isoformat(), "disp_tf": "5m"}
    )
    sid = state["session_id"]
    for _ in range(n):
        last = svc.state({"session_id": sid})["last_price"]
        bracket = {"tp": round(last + 5, 2), "sl": round(last - 1, 2)}
        order = {"side": "BUY", "type": "MARKET", "qty": 10, "bracket": bracket}
        svc.command("place", {"session_id": sid, **order})
        svc.command("step", {"session_id": sid, "disp_steps": 2})
        svc.command("flatten", {"session_id": sid})
        svc.command("step", {"session_id": sid, "disp_steps": 1})
    svc.command("end", {"session_id": sid})
    return sid


def test_start_drill_of_the_trend_bucket_plays_a_trend_window_by_the_sessions_own_bars(known):
    from ntree.engine.regime import regimes

    sid = _play_trend_trades(known, TREND_DAYS[-1])
    report = known.coach({"session_id": [sid]})
    assert {t["regime"] for t in report["trades"]} == {"trend"}
    new = start_drill(known, "regime", "trend", {"session_id": [sid]})
    row = known.get_session(new["session_id"])
    start = pd.Timestamp(row["t_start"])
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    assert _ny_day_of(start) == TREND_DAYS[-2]  # the newest trend day not played
    # The drilled session's own display bars in its window are trend bars by the rule.
    known.command("step", {"session_id": new["session_id"], "disp_steps": 6})
    played = known.review_chart(new["session_id"], n=500)["candles"]
    inside = pd.DataFrame([c for c in played if pd.Timestamp(c["ts"]) >= start])
    assert len(inside) == 6
    assert regimes(inside).count("trend") * 2 > len(inside)

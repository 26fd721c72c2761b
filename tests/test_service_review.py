"""The service's reads for the session review: the chart read from the log without a re-run,
and a fork from a display bar picked on it."""

from __future__ import annotations

import pytest

from ntree.service import ServiceError
from ntree.service.lifecycle import bars_back

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"
START = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}
LADDER = [(side, k) for k in (1, 2) for side in ("BUY", "SELL")]


def _play(svc, *, exec_steps: int = 0, disp_tf: str | None = None) -> str:
    """A session with fills over several bars, left mid-bar after ``exec_steps`` minutes."""
    sid = svc.start({**START, "constraints": {"edit_on_disp_boundary": False}})["session_id"]
    for _ in range(12):
        last = svc.state({"session_id": sid})["last_price"]
        orders = [
            {
                "side": side,
                "type": "LIMIT",
                "qty": 1,
                "price": round(last + (-k if side == "BUY" else k) * 0.05, 2),
            }
            for side, k in LADDER
        ]
        svc.command("replace_orders", {"session_id": sid, "orders": orders})
        svc.command("step", {"session_id": sid, "disp_steps": 1})
    if disp_tf:
        svc.command("set_disp_tf", {"session_id": sid, "disp_tf": disp_tf})
        svc.command("step", {"session_id": sid, "disp_steps": 1})
    if exec_steps:
        svc.command("step", {"session_id": sid, "exec_steps": exec_steps})
    return sid


def _live(svc, sid: str) -> tuple[list, list]:
    candles = svc.candles({"session_id": sid, "n": 5_000})["candles"]
    first = candles[0]["ts"]
    fills = [
        {k: f[k] for k in ("ts_exec", "order_id", "side", "qty", "price", "role")}
        for f in svc.state({"session_id": sid})["fills"]
        if f["ts_exec"] >= first
    ]
    return candles, fills


@pytest.mark.parametrize("exec_steps", [0, 2], ids=["at a boundary", "mid-bar"])
def test_the_review_chart_read_from_the_log_matches_the_live_session(replay_service, exec_steps):
    sid = _play(replay_service, exec_steps=exec_steps)
    chart = replay_service.review_chart(sid)
    candles, fills = _live(replay_service, sid)
    assert fills, "the ladder filled"
    assert chart["candles"] == candles
    assert chart["fills"] == fills
    assert chart["disp_tf"] == "5m"
    assert chart["bars_played"] == 12  # completed display bars (a forming one aside)


def test_the_review_chart_of_an_ended_session_and_its_last_bars(replay_service):
    sid = _play(replay_service)
    replay_service.command("end", {"session_id": sid})
    candles, fills = _live(replay_service, sid)
    chart = replay_service.review_chart(sid, n=3)
    assert chart["candles"] == candles[-3:]
    assert chart["fills"] == [f for f in fills if f["ts_exec"] >= candles[-3]["ts"]]


def test_a_session_that_switched_frames_is_charted_as_the_cockpit_sees_it(replay_service):
    sid = _play(replay_service, disp_tf="15m")
    chart = replay_service.review_chart(sid)
    assert chart["disp_tf"] == "15m"
    assert chart["candles"] == _live(replay_service, sid)[0]


@pytest.mark.parametrize(
    ("picked", "cursor", "back"),
    [(9, 12, 2), (11, 12, 0), (0, 12, 11), (12, 12, -1)],
    ids=["three bars back", "the last complete bar", "the first bar", "the forming bar"],
)
def test_bars_back_leaves_the_picked_bar_as_the_forks_last(picked, cursor, back):
    assert bars_back(picked, cursor) == back


def test_a_fork_at_a_picked_bar_has_seen_exactly_the_bars_up_to_it(replay_service):
    sid = _play(replay_service)
    candles = replay_service.candles({"session_id": sid, "n": 5_000})["candles"]
    picked = candles[-4]  # 3 complete bars after it
    fork = replay_service.fork_at(sid, picked["ts"])
    assert fork["parent_session_id"] == sid
    assert fork["disp_bars"] == 3
    seen = replay_service.candles({"session_id": fork["session_id"], "n": 5_000})["candles"]
    assert seen[-1]["ts"] == picked["ts"]
    assert seen == candles[:-3]


def test_a_fork_at_the_bar_before_the_start_starts_at_the_start(replay_service):
    sid = _play(replay_service)
    candles = replay_service.candles({"session_id": sid, "n": 5_000})["candles"]
    before = [c for c in candles if c["ts"] < "2024-08-06T13:30:00Z"][-1]
    fork = replay_service.fork_at(sid, before["ts"])
    assert fork["disp_bars"] == 12
    assert fork["initial_state"]["last_price"] == before["close"]


@pytest.mark.parametrize(
    "ts",
    ["last", "2024-08-06T19:00:00Z", "2024-08-05T19:00:00Z"],
    ids=["the last bar", "after the cursor", "the history before the start"],
)
def test_a_fork_off_the_played_bars_is_refused_with_the_field_named(replay_service, ts):
    sid = _play(replay_service)
    candles = replay_service.candles({"session_id": sid, "n": 5_000})["candles"]
    ts = candles[-1]["ts"] if ts == "last" else ts
    with pytest.raises(ServiceError) as err:
        replay_service.fork_at(sid, ts)
    assert (err.value.code, err.value.field) == ("bad_rewind", "ts")

"""Playback between display boundaries: auto-pause at the 1m bar of a fill, jumps to a time
or the next session open; logged as 1m steps, so the log re-runs the same."""

from __future__ import annotations

import pandas as pd
import pytest

from ntree.service import ServiceError
from ntree.store import SessionStore


def _start(svc, boundary: bool = False, day: str = "2024-08-06", t_end: str | None = None):
    body = {
        "symbol": "SPY",
        "t_start": day,
        "t_end": t_end or day,
        "disp_tf": "15m",
        "constraints": {"edit_on_disp_boundary": boundary},
    }
    return svc.start(body)["session_id"]


def _steps(svc, sid: str) -> list[dict]:
    events = SessionStore(svc.db_engine).load_events(sid)
    return [e.payload["cmd"]["args"] for e in events if e.type == "STEP"]


def test_playback_pauses_at_the_1m_bar_of_a_fill_not_at_the_display_bars_end(replay_service):
    svc = replay_service
    sid = _start(svc)
    svc.command("step", {"session_id": sid, "disp_steps": 2})  # 10:00
    # a buy limit a little under the market: it fills inside the next 15m bar, not at once
    view = svc.state({"session_id": sid})
    px = round(view["last_price"] - 0.15, 2)
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 1, "price": px})

    view = svc.step_to_fill({"session_id": sid})

    fills = [e for e in view["events"] if e["type"] == "FILL"]
    assert fills  # the sample data comes down 0.15 in that bar
    cursor = pd.Timestamp(view["cursor"]["ts_exec"])
    assert cursor == pd.Timestamp(fills[0]["ts_exec"]) + pd.Timedelta(minutes=1)
    assert not view["at_boundary"]  # inside the display bar, right after the fill's minute
    assert all("exec_steps" in a for a in _steps(svc, sid)[1:])
    assert svc.replay_check(sid).ok


def test_without_working_orders_it_is_one_display_bar_in_one_step(replay_service):
    svc = replay_service
    sid = _start(svc)

    view = svc.step_to_fill({"session_id": sid})

    assert view["at_boundary"] and view["cursor"]["ts_exec"].endswith("13:45:00Z")
    assert _steps(svc, sid) == [{"exec_steps": 15}]


def test_a_jump_goes_to_a_new_york_time_or_the_next_session_open(replay_service):
    svc = replay_service
    sid = _start(svc, day="2024-08-06", t_end="2024-08-07")

    view = svc.jump({"session_id": sid, "to": "10:07"})
    assert view["cursor"]["ts_exec"] == "2024-08-06T14:07:00Z"  # 10:07 New York (EDT)
    view = svc.jump({"session_id": sid, "to": "next_open"})
    assert view["cursor"]["ts_exec"] == "2024-08-07T13:30:00Z"
    with pytest.raises(ServiceError) as err:
        svc.jump({"session_id": sid, "to": "2024-08-06 11:00"})  # behind the cursor
    assert (err.value.code, err.value.field) == ("bad_jump", "to")
    with pytest.raises(ServiceError) as err:
        svc.jump({"session_id": sid, "to": "next_open"})  # the range's last day
    assert err.value.code == "bad_jump"
    assert svc.replay_check(sid).ok


def test_a_rewound_parent_reads_forked_until_it_is_played_on(replay_service):
    svc = replay_service
    sid = _start(svc)
    svc.command("step", {"session_id": sid, "disp_steps": 3})

    fork = svc.rewind({"session_id": sid, "disp_bars": 1})["session_id"]

    assert svc.get_session(sid)["status"] == "forked"
    assert svc.get_session(fork)["status"] == "active"
    svc.command("step", {"session_id": sid})  # the trader goes back to the parent
    assert svc.get_session(sid)["status"] == "active"

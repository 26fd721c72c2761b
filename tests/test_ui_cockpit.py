"""Cockpit actions without a browser: resuming a session whose tab was closed."""

from __future__ import annotations

from ntree.ui.cockpit import Action, handle


def _start(svc) -> str:
    body = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}
    sid = svc.start(body)["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 4})
    return sid


def test_a_new_tab_resumes_a_session_where_it_was(replay_service) -> None:
    sid = _start(replay_service)
    before = replay_service.state({"session_id": sid})

    res = handle(replay_service, None, None, Action("init", {"resume": sid}))  # fresh tab

    assert res.session_id == sid and "Resumed session" in res.message
    assert res.state["cursor"] == before["cursor"]
    assert res.figure["data"][0]["x"]  # the chart is drawn again, candles and all


def test_resuming_an_unknown_session_says_so_and_keeps_the_page_usable(replay_service) -> None:
    res = handle(replay_service, None, None, Action("init", {"resume": "nope"}))

    assert res.session_id is None and res.message_color == "danger"
    assert "unknown session" in res.message

"""Context behind a new session's first bar: enough history for warm indicators on every
display frame, recorded in the log so a re-run loads the same bars."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ntree.runner import CONTEXT_SESSIONS, WARMUP_SESSIONS, history_start, open_session
from ntree.store import SessionStore


def _start(svc, t_start: str, disp_tf: str = "1h") -> str:
    body = {"symbol": "SPY", "t_start": t_start, "t_end": t_start[:10], "disp_tf": disp_tf}
    return svc.start(body)["session_id"]


def test_a_new_one_hour_session_shows_200_bars_of_history_before_its_first(replay_service):
    sid = _start(replay_service, "2024-12-31")
    candles = replay_service.snapshot(sid, 400)["candles"]

    first = pd.Timestamp("2024-12-31T14:30:00Z")
    before = [c for c in candles if pd.Timestamp(c["ts"]) < first]
    assert len(before) >= 200
    # the slow indicators are warm at the first bar of play
    assert before[-1]["ema21"] is not None and before[-1]["ch_upper"] is not None
    params = SessionStore(replay_service.db_engine).load_events(sid)[0].payload["params"]
    assert params["context_sessions"] == CONTEXT_SESSIONS
    assert replay_service.replay_check(sid).ok


def test_a_session_near_the_start_of_the_data_gets_all_the_history_there_is(replay_service):
    sid = _start(replay_service, "2024-07-03T10:00:00", disp_tf="5m")  # data from 07-01

    candles = replay_service.snapshot(sid, 400)["candles"]

    assert candles[0]["ts"].startswith("2024-07-01T13:30")  # the first bar of the data
    assert replay_service.replay_check(sid).ok


def test_a_log_without_the_setting_keeps_the_old_three_sessions(seeded_db_url):
    engine = sa.create_engine(seeded_db_url)
    s = open_session(engine, "SPY", "2024-12-31", "2024-12-31", "5m")

    assert "context_sessions" not in s.config.to_params()  # what older logs hold
    old = history_start(pd.Timestamp("2024-12-31T14:30:00Z"))
    assert s.bars.index[0] == old
    assert len(pd.unique(s.bars.index[s.bars.index < s.config.t_start].date)) == WARMUP_SESSIONS
    engine.dispose()

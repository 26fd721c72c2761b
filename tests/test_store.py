"""The storage edge: sessions, their logs and trades round-trip (recorders: test_recorders)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import db
from ntree.engine import ReplaySession, SessionConfig
from ntree.seed import generate_bars
from ntree.store import EventConflict, SessionStore


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return generate_bars("SPY", "2024-07-01", "2024-07-10", seed=7)


def make_session(bars: pd.DataFrame, session_id: str = "s1") -> ReplaySession:
    cfg = SessionConfig(
        session_id,
        "SPY",
        5,
        pd.Timestamp("2024-07-08 13:30", tz="UTC"),
        pd.Timestamp("2024-07-08 20:00", tz="UTC"),
    )
    return ReplaySession(cfg, bars)


def test_store_save_writes_events_once_and_session_row_with_summary(tmp_path, bars) -> None:
    store = SessionStore(db.connect(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: "T0")
    s = make_session(bars)
    store.save(s)
    s.step(disp_steps=1)
    s.place("BUY", "MARKET", 10)
    s.step(disp_steps=3)
    written = store.save(s)

    assert [e.type for e in written][:2] == ["STEP", "ORDER_PLACED"]
    assert store.save(s) == []  # nothing new, nothing written twice
    row = store.get_session("s1")
    assert row["status"] == "active" and row["created_at"] == "T0"
    assert row["params"]["disp_tf"] == "5m" and row["data_fingerprint"] == s.fingerprint
    assert [e.seq for e in store.load_events("s1")] == list(range(1, s.last_event_id + 1))
    assert store.load_events("s1", since=s.last_event_id - 1)[0].seq == s.last_event_id

    s.end()
    store.save(s)
    row = store.get_session("s1")
    assert row["status"] == "ended"
    assert row["num_trades"] == 1 and row["result_pnl"] == s.summary()["pnl"]
    trades = store.trades("s1")
    assert len(trades) == 1 and trades[0]["side"] == "LONG" and trades[0]["qty"] == 10
    assert trades[0]["reason_code"] == "session_end"
    assert [r["session_id"] for r in store.list_sessions()] == ["s1"]


def test_store_keeps_events_pending_when_the_write_fails(tmp_path, bars) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 's.db'}")
    store = SessionStore(engine)
    s = make_session(bars)
    store.save(s)
    s.step(disp_steps=2)
    pending = s.pending_events()
    with engine.begin() as conn:  # someone else wrote seq 2: a conflict, not an overwrite
        conn.execute(
            db.replay_events.insert().values(
                session_id="s1", seq=pending[0].seq, event_type="NOTE", payload_json="{}"
            )
        )

    with pytest.raises(EventConflict):
        store.save(s)

    assert [e.seq for e in s.pending_events()] == [e.seq for e in pending]
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(db.replay_events)).scalar()
    assert n == 2  # SESSION_START and the foreign row; the failed save left nothing half-written

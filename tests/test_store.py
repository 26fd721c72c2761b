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


def test_trades_are_stored_as_they_close_and_the_open_one_shows_as_open(tmp_path, bars) -> None:
    store = SessionStore(db.connect(f"sqlite:///{tmp_path / 's.db'}"))
    s = make_session(bars)
    store.save(s)
    s.step(disp_steps=1)
    s.place("BUY", "MARKET", 10)
    s.step(disp_steps=2)
    store.save(s)

    (open_row,) = store.trades("s1")
    assert open_row["status"] == "open" and open_row["side"] == "LONG"
    assert open_row["qty"] == 10 and open_row["exit_ts"] is None and open_row["exit_px"] is None

    s.flatten()
    s.step(disp_steps=1)
    store.save(s)
    s.place("SELL", "MARKET", 4)
    s.step(disp_steps=1)
    store.save(s)
    store.save(s)  # nothing new: the rows stay as they are

    rows = store.trades("s1")
    assert [(r["trade_id"], r["status"], r["side"]) for r in rows] == [
        (1, "closed", "LONG"),
        (2, "open", "SHORT"),
    ]
    closed = {k: v for k, v in rows[0].items() if k not in ("session_id", "status")}
    expected = {k: v for k, v in s.trades[0].items() if k != "initial_stop"}
    assert closed == expected
    assert store.get_session("s1")["num_trades"] == 1  # History counts what the log lists

    s.end()
    store.save(s)
    rows = store.trades("s1")
    assert [(r["trade_id"], r["status"]) for r in rows] == [(1, "closed"), (2, "closed")]
    assert rows[1]["reason_code"] == "session_end" and rows[1]["exit_px"] is not None


def test_a_save_of_a_closed_trade_already_stored_writes_it_once(tmp_path, bars) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 's.db'}")
    store = SessionStore(engine)
    s = make_session(bars)
    s.step(disp_steps=1)
    s.place("BUY", "MARKET", 5)
    s.step(disp_steps=1)
    s.flatten()
    s.step(disp_steps=1)
    store.save(s)
    fork = ReplaySession.from_events(store.load_events("s1"), bars, session_id="s2")
    store.save(fork)  # a fork's first save carries the trades it inherits

    assert [r["trade_id"] for r in store.trades("s1")] == [1]
    assert [(r["trade_id"], r["status"]) for r in store.trades("s2")] == [(1, "closed")]


def test_service_trades_list_the_open_trade_with_its_excursions_so_far(replay_service) -> None:
    start = {"symbol": "SPY", "t_start": "2024-07-08", "t_end": "2024-07-09", "disp_tf": "5m"}
    sid = replay_service.start(start)["session_id"]
    replay_service.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 3})
    replay_service.command("step", {"session_id": sid, "disp_steps": 4})

    (trade,) = replay_service.trades(sid)

    assert trade["status"] == "open" and trade["exit_ts"] is None and trade["qty"] == 3
    assert trade["mae"] >= 0 and trade["mfe"] >= 0
    assert replay_service.session(sid)["num_trades"] == 0

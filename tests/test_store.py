"""The storage edge: sessions, their logs and trades round-trip (recorders: test_recorders)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import db
from ntree.engine import ReplaySession, SessionConfig
from ntree.seed import generate_bars
from ntree.store import EventConflict, SessionStore

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL


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


def test_store_save_writes_events_once_and_session_row_with_summary(empty_db_url, bars) -> None:
    store = SessionStore(db.connect(empty_db_url), clock=lambda: "T0")
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


def test_store_keeps_events_pending_when_the_write_fails(empty_db_url, bars) -> None:
    engine = db.connect(empty_db_url)
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


def test_trades_are_stored_as_they_close_and_the_open_one_shows_as_open(empty_db_url, bars) -> None:
    store = SessionStore(db.connect(empty_db_url))
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


def test_a_save_of_a_closed_trade_already_stored_writes_it_once(empty_db_url, bars) -> None:
    engine = db.connect(empty_db_url)
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
    assert replay_service.get_session(sid)["num_trades"] == 0


def synthetic_rows(n: int) -> list[dict]:
    """``n`` session rows (no logs): History's input at scale."""
    symbols, tfs = ("SPY", "QQQ", "AAPL"), ("5m", "15m")
    return [
        {
            "session_id": f"s{i:05d}",
            "symbol": symbols[i % 3],
            "exec_tf": "1m",
            "disp_tf": tfs[i % 2],
            "t_start": "2024-07-08T13:30:00Z",
            "t_end": "2024-07-08T20:00:00Z",
            "created_at": f"2024-08-{1 + i // 1000:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
            "params": "{}",
            "data_fingerprint": "x",
            "status": "ended" if i % 4 else "active",
            "player": "bot-a" if i % 5 == 0 else "human",
            "result_pnl": float(i % 17 - 8),
        }
        for i in range(n)
    ]


@pytest.fixture
def many(empty_db_url) -> SessionStore:
    engine = db.connect(empty_db_url)
    with engine.begin() as conn:
        conn.execute(db.replay_sessions.insert(), synthetic_rows(2_000))
    return SessionStore(engine)


def test_history_pages_come_sorted_and_filtered_from_the_database(many) -> None:
    first = many.query_sessions(page=0, page_size=50)
    second = many.query_sessions(page=1, page_size=50)

    assert first["total"] == 2_000 and len(first["rows"]) == 50
    keys = [(r["created_at"], r["session_id"]) for r in first["rows"] + second["rows"]]
    assert keys == sorted(keys, reverse=True)
    assert first["rows"][0]["has_journal"] is False and first["rows"][0]["tags"] == []

    found = many.query_sessions(
        page_size=1_000, sort=("result_pnl", "asc"), filters={"symbol": "QQQ", "player": "human"}
    )
    rows = found["rows"]
    assert {r["symbol"] for r in rows} == {"QQQ"} and {r["player"] for r in rows} == {"human"}
    assert [r["result_pnl"] for r in rows] == sorted(r["result_pnl"] for r in rows)
    assert found["total"] == sum(1 for i in range(2_000) if i % 3 == 1 and i % 5)
    assert many.query_sessions(filters={"text": "s0123"})["total"] == 10
    assert many.query_sessions(filters={"status": "active", "disp_tf": "5m"})["total"] == 500
    assert many.query_sessions(filters={"status": "forked"})["total"] == 0
    assert len(many.list_sessions()) == 500  # the old call answers as it did


def test_the_default_history_order_reads_off_the_index_without_sorting(many) -> None:
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if "ORDER BY" in statement:
            seen.append((statement, parameters))

    sa.event.listen(many.engine, "before_cursor_execute", capture)
    many.query_sessions()
    many.query_sessions(filters={"symbol": "SPY"})
    sa.event.remove(many.engine, "before_cursor_execute", capture)

    assert len(seen) == 2
    for statement, parameters in seen:
        plan = query_plan(many.engine, statement, parameters)
        if many.engine.dialect.name == "sqlite":
            assert "USING INDEX ix_sessions_" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert "Index Scan Backward using ix_sessions_" in plan, plan
            assert "Sort" not in plan, plan


def test_history_text_ignores_case_and_missing_values_sort_alike_on_every_backend(many) -> None:
    assert many.rename_session("s00007", "Band Fade Monday")
    assert many.rename_session("s00008", "late BAND fade")

    found = many.query_sessions(filters={"text": "band FADE"})["rows"]
    assert sorted(r["session_id"] for r in found) == ["s00007", "s00008"]
    up = many.query_sessions(page_size=2_000, sort=("label", "asc"))["rows"]
    down = many.query_sessions(page_size=2_000, sort=("label", "desc"))["rows"]
    assert [r["label"] for r in up[-2:]] == ["Band Fade Monday", "late BAND fade"]
    assert up[0]["label"] is None  # no label: first going up, last going down
    assert [r["label"] for r in down[:2]] == ["late BAND fade", "Band Fade Monday"]
    assert down[-1]["label"] is None


def query_plan(engine: sa.Engine, statement: str, parameters) -> str:
    """Return the database's plan of ``statement`` as one line."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return " | ".join(r[-1] for r in rows)
        conn.exec_driver_sql("ANALYZE replay_sessions")  # the plan of today's rows, not a guess
        return " | ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))


def test_a_renamed_session_keeps_its_label_and_a_deleted_one_is_gone_but_its_fork_reruns(
    replay_service,
) -> None:
    from ntree.service import ServiceError

    svc = replay_service
    start = {"symbol": "SPY", "t_start": "2024-07-09", "t_end": "2024-07-09", "disp_tf": "5m"}
    sid = svc.start(start)["session_id"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 2})
    svc.command("step", {"session_id": sid, "disp_steps": 6})
    fork = svc.rewind({"session_id": sid, "disp_bars": 2})["session_id"]
    svc.add_journal({"session_id": sid, "text": "to delete"})

    assert svc.rename_session(sid, "  first try ")["label"] == "first try"
    assert svc.query_sessions(filters={"text": "first try"})["rows"][0]["session_id"] == sid
    assert svc.query_sessions(filters={"text": sid})["rows"][0]["has_journal"] is True
    assert svc.delete_session(sid) == {"session_id": sid, "deleted": True}

    assert svc.get_session(sid) is None
    for call in (svc.trades, svc.event_log, svc.journal):
        with pytest.raises(ServiceError) as err:
            call(sid)
        assert err.value.code == "unknown_session"
    with pytest.raises(ServiceError):
        svc.command("step", {"session_id": sid, "disp_steps": 1})
    with svc.db_engine.connect() as conn:
        for table in (db.replay_events, db.replay_trades, db.journal_entries):
            q = sa.select(sa.func.count()).where(table.c.session_id == sid)
            assert conn.execute(q).scalar() == 0
    assert svc.get_session(fork)["parent_session_id"] == sid
    assert svc.replay_check(fork).ok
    svc.command("step", {"session_id": fork, "disp_steps": 1})

"""Crash-only sessions: a snapshot behind its log is rebuilt from the log, a killed holder's
lock frees at once (the log is the truth; the cache is disposable)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntree.runner import replay_check, restore_session
from ntree.service import ReplayService
from ntree.store import SessionStore

START = {"symbol": "SPY", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.both_databases  # the tests on a database: SQLite and PostgreSQL


def _logged_behind_the_cache(svc: ReplayService, sid: str, steps: int) -> dict:
    """Play the session further and commit its log without writing the snapshot (what a
    worker killed between its commit and its cache write leaves); return the logged state."""
    s = restore_session(svc.db_engine, sid)
    s.step(disp_steps=steps)
    SessionStore(svc.db_engine).save(s)
    return s.state()


def _assert_log_consecutive(svc: ReplayService, sid: str) -> None:
    seqs = [e["id"] for e in svc.event_log(sid)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert replay_check(svc.db_engine, sid).ok


def test_a_command_after_a_commit_without_its_snapshot_runs_on_the_logged_state(
    replay_service,
):
    sid = replay_service.start(START)["session_id"]
    replay_service.command("step", {"session_id": sid, "disp_steps": 2})
    logged = _logged_behind_the_cache(replay_service, sid, 3)

    state = replay_service.state({"session_id": sid})
    assert state["cursor"] == logged["cursor"]
    assert state["last_event_id"] == logged["last_event_id"]
    after = replay_service.command("step", {"session_id": sid, "disp_steps": 1})
    assert after["cursor"]["disp_index"] == logged["cursor"]["disp_index"] + 1
    _assert_log_consecutive(replay_service, sid)


def test_an_order_after_a_commit_without_its_snapshot_is_not_an_event_conflict(
    replay_service,
):
    sid = replay_service.start(START)["session_id"]
    _logged_behind_the_cache(replay_service, sid, 5)
    order = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 1}
    placed = replay_service.command("place", order)
    assert placed["order_id"]
    _assert_log_consecutive(replay_service, sid)


def test_a_cache_folder_older_than_the_database_is_caught_up_from_the_log(seeded_db_url, tmp_path):
    from ntree import db

    cache = tmp_path / "cache"
    svc = ReplayService.create(db.connect(seeded_db_url), cache)
    sid = svc.start(START)["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    svc.cache.close()
    shutil.copytree(cache, tmp_path / "old")
    svc = ReplayService.create(db.connect(seeded_db_url), cache)
    latest = svc.command("step", {"session_id": sid, "disp_steps": 4})
    svc.cache.close()
    shutil.rmtree(cache)
    shutil.copytree(tmp_path / "old", cache)  # the old folder put back under the newer log

    svc = ReplayService.create(db.connect(seeded_db_url), cache)
    assert svc.state({"session_id": sid})["cursor"] == latest["cursor"]
    after = svc.command("step", {"session_id": sid, "disp_steps": 1})
    assert after["cursor"]["disp_index"] == latest["cursor"]["disp_index"] + 1
    _assert_log_consecutive(svc, sid)
    svc.cache.close()


HOLD = """
import sys, time
from ntree.cache import SessionCache
cache = SessionCache(sys.argv[1], lambda sid: None)
with cache.lock("s1"):
    print("held", flush=True)
    sys.stdin.read()  # hold until killed
"""


def test_a_lock_held_by_a_killed_process_is_free_at_once(tmp_path):
    from ntree.cache import SessionCache

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "c")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        cache = SessionCache(tmp_path / "c", lambda sid: None)
        acquired = threading.Event()

        def take() -> None:
            with cache.lock("s1"):
                acquired.set()

        waiter = threading.Thread(target=take, daemon=True)
        waiter.start()
        assert not acquired.wait(0.3)  # the live holder keeps it
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=5)
        assert acquired.wait(2.0)
        waiter.join(2.0)
        with cache.lock("s2"):  # other sessions were never blocked
            pass
    finally:
        holder.kill()
        holder.wait(timeout=5)


def _blocked_on_a_lock(engine) -> bool:
    """Return True when a PostgreSQL session of the test's database waits on a lock (SQLite
    cannot tell: a writer there waits inside its busy timeout, or has not reached it yet and
    will see the other's events once it writes)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        q = sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return conn.execute(q).scalar() > 0


def test_two_servers_racing_on_one_session_get_one_conflict_and_the_retry_runs_on_the_log(
    seeded_db_url, tmp_path
):
    """Two servers (each its own cache folder, so no shared lock) on one database: the command
    that loses the race to the log is an EventConflict that writes nothing; its retry runs on
    the logged state (the unique (session_id, seq) of the log is the last word)."""
    from ntree import db
    from ntree.store import EventConflict

    a = ReplayService.create(db.connect(seeded_db_url), tmp_path / "a")
    b = ReplayService.create(db.connect(seeded_db_url), tmp_path / "b")
    sid = a.start(START)["session_id"]
    b.command("step", {"session_id": sid, "disp_steps": 1})
    inserted, release = threading.Event(), threading.Event()

    def hold_after_insert(conn, cursor, statement, *args) -> None:
        if statement.startswith("INSERT INTO replay_events") and not release.is_set():
            inserted.set()
            release.wait(30)  # a's transaction stays open with its events written

    sa.event.listen(a.db_engine, "after_cursor_execute", hold_after_insert)
    won: list = []
    a_thread = threading.Thread(
        target=lambda: won.append(a.command("step", {"session_id": sid, "disp_steps": 2}))
    )
    a_thread.start()
    assert inserted.wait(30)
    lost: list = []

    def b_step() -> None:
        try:
            b.command("step", {"session_id": sid, "disp_steps": 1})
        except EventConflict as exc:
            lost.append(exc)

    writing = threading.Event()  # b ran the step on the state before a's and now saves it
    sa.event.listen(
        b.db_engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: (
            statement.startswith("UPDATE replay_sessions") and writing.set()
        ),
    )
    b_thread = threading.Thread(target=b_step)
    b_thread.start()
    assert writing.wait(30)
    deadline = time.monotonic() + 10
    while not _blocked_on_a_lock(b.db_engine):  # PostgreSQL: b waits on a's row lock
        assert time.monotonic() < deadline and b_thread.is_alive()
        time.sleep(0.02)
    release.set()
    a_thread.join(30)
    b_thread.join(30)

    assert won and len(lost) == 1
    after = b.command("step", {"session_id": sid, "disp_steps": 1})
    assert after["cursor"]["disp_index"] == won[0]["cursor"]["disp_index"] + 1
    _assert_log_consecutive(b, sid)
    a.cache.close()
    b.cache.close()

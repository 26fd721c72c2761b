"""Crash-only sessions: a snapshot behind its log is rebuilt from the log, a killed holder's
lock frees at once (the log is the truth; the cache is disposable)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

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

"""The real server under gunicorn with several worker processes: one session, many workers.

Real HTTP requests against ``gunicorn app:server``; the requests land on different worker
processes, which must all see the same session through the diskcache and the event log.
Each test runs on SQLite and on PostgreSQL (``NTREE_TEST_PG_URL``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ntree import db
from ntree.runner import replay_check

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if body else "GET")
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def server(seeded_db_url, tmp_path):
    yield from _serve(seeded_db_url, tmp_path)


@pytest.fixture
def crash_server(seeded_db_url, tmp_path):
    """The server whose worker kills itself (SIGKILL) right after a note's commit."""
    yield from _serve(seeded_db_url, tmp_path, NTREE_TEST_KILL_AFTER_COMMIT="note")


@pytest.fixture
def holding_server(seeded_db_url, tmp_path):
    """The server whose worker keeps the session's lock after a note's commit until it is
    killed; it writes its pid to the file this fixture yields beside the base URL."""
    pidfile = tmp_path / "holder.pid"
    env = {"NTREE_TEST_HOLD_LOCK_AFTER_COMMIT": "note", "NTREE_TEST_HOLD_PIDFILE": str(pidfile)}
    for base in _serve(seeded_db_url, tmp_path, **env):
        yield base, pidfile


def _serve(seeded_db_url, tmp_path, **extra_env):
    pytest.importorskip("gunicorn")
    port = free_port()
    env = dict(os.environ, NTREE_DB_URL=seeded_db_url, NTREE_CACHE_DIR=str(tmp_path / "cache"))
    env.update(extra_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "app:server"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/replay/sessions", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read().decode())
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("gunicorn did not come up")
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def test_one_session_stays_consistent_across_gunicorn_workers(server, seeded_db_url) -> None:
    status, started = call(
        server,
        "/replay/start",
        {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"},
    )
    assert status == 200, started
    sid = started["session_id"]
    seen = []
    for _ in range(15):  # spread over the workers
        status, view = call(server, "/replay/step", {"session_id": sid, "disp_steps": 1})
        assert status == 200, view
        seen.append(view["cursor"]["disp_index"])
    assert seen == list(range(seen[0], seen[0] + 15))  # no worker saw a stale session
    status, placed = call(
        server,
        "/replay/order/place",
        {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 5},
    )
    assert status == 200 and placed["order_id"] == 1
    call(server, "/replay/step", {"session_id": sid, "disp_steps": 2})
    status, st = call(server, f"/replay/state?session_id={sid}")
    assert st["position"]["qty"] == 5
    status, ended = call(server, "/replay/end", {"session_id": sid})
    assert status == 200 and ended["status"] == "ended"
    status, err = call(server, "/replay/step", {"session_id": sid, "disp_steps": 1})
    assert status == 409 and err["error"]["code"] == "session_ended"

    assert replay_check(db.connect(seeded_db_url), sid).ok


def test_a_wrong_api_path_on_the_real_app_says_so_in_json(server) -> None:
    # Dash serves its page for every GET path it doesn't know; /replay/ paths are the API's.
    status, body = call(server, "/replay/symbols")
    assert status == 404 and body["error"]["code"] == "unknown_route"
    status, body = call(server, "/replay/step")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"
    status, body = call(server, "/replay/sessions")
    assert status == 200 and "sessions" in body


def test_a_worker_killed_after_its_commit_leaves_the_session_on_its_logged_state(
    crash_server, seeded_db_url
) -> None:
    from ntree.store import SessionStore

    start = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}
    status, started = call(crash_server, "/replay/start", start)
    sid = started["session_id"]
    store = SessionStore(db.connect(seeded_db_url))
    for round_ in range(3):
        status, view = call(crash_server, "/replay/step", {"session_id": sid, "disp_steps": 2})
        assert status == 200, view
        with pytest.raises(OSError):  # the worker dies after the commit: no answer
            call(crash_server, "/replay/note", {"session_id": sid, "text": f"round {round_}"})
        logged = store.load_events(sid)
        assert logged[-1].type == "NOTE"  # the commit landed, the snapshot did not
        seen = []
        for _ in range(6):  # spread over the workers, the respawned one included
            status, view = call(crash_server, "/replay/step", {"session_id": sid, "disp_steps": 1})
            assert status == 200, view  # never an EventConflict
            seen.append(view["cursor"]["disp_index"])
        assert seen == list(range(seen[0], seen[0] + 6))
        status, st = call(crash_server, f"/replay/state?session_id={sid}")
        assert st["last_event_id"] == store.load_events(sid)[-1].seq
    notes = [e.payload for e in store.load_events(sid) if e.type == "NOTE"]
    assert len(notes) == 3
    assert replay_check(db.connect(seeded_db_url), sid).ok


def _in_thread(fn, *args) -> tuple[threading.Event, list]:
    """Run ``fn(*args)`` in a thread; return (done, [its result or exception])."""
    done, out = threading.Event(), []

    def run() -> None:
        try:
            out.append(fn(*args))
        except Exception as exc:  # the holder's request dies with it: no answer
            out.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, out


def _wait_for_file(path: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()


def test_a_worker_killed_while_it_holds_the_session_lock_frees_the_session_in_seconds(
    holding_server, seeded_db_url
) -> None:
    from ntree.store import SessionStore

    base, pidfile = holding_server
    start = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}
    status, started = call(base, "/replay/start", start)
    sid = started["session_id"]
    status, before = call(base, "/replay/step", {"session_id": sid, "disp_steps": 3})
    assert status == 200, before
    store = SessionStore(db.connect(seeded_db_url))

    noted, note_answer = _in_thread(call, base, "/replay/note", {"session_id": sid, "text": "x"})
    holder = int(_wait_for_file(pidfile, 30))  # it committed the note and holds the lock
    assert store.load_events(sid)[-1].type == "NOTE"
    stepped, answer = _in_thread(call, base, "/replay/step", {"session_id": sid, "disp_steps": 1})
    assert not stepped.wait(1.0)  # another worker waits for the session's lock

    os.kill(holder, signal.SIGKILL)
    killed_at = time.monotonic()
    assert stepped.wait(10), "the session stayed locked after its holder died"
    assert time.monotonic() - killed_at < 5
    assert noted.wait(10) and isinstance(note_answer[0], OSError)  # it died unanswered
    status, view = answer[0]
    assert status == 200, view  # the logged state: the note is in, the cursor one bar on
    assert view["cursor"]["disp_index"] == before["cursor"]["disp_index"] + 1
    logged = store.load_events(sid)
    assert [e.type for e in logged[-2:]] == ["NOTE", "STEP"]
    status, st = call(base, f"/replay/state?session_id={sid}")
    assert status == 200 and st["last_event_id"] == logged[-1].seq
    assert replay_check(db.connect(seeded_db_url), sid).ok

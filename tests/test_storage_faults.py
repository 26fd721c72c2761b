"""Storage faults: a read-only, full or corrupt database answers a clear 503 JSON code and the
server recovers by itself when the fault goes; a full cache disk degrades to no cache; an
emptied database never takes writes of sessions it lost; the CLI says one line."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from flask import Flask

from ntree import db
from ntree.api import install
from ntree.cli import main
from ntree.service import ReplayService

START = {"symbol": "SPY", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (``mount(size)`` -> its folder); skip where mounting is denied."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"mnt{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)


def _copy_db(seeded_db_url: str, folder: Path) -> str:
    path = folder / "ntree.db"
    shutil.copy(seeded_db_url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def _client(url: str, cache: Path):
    svc = ReplayService.create(db.connect(url), cache)
    server = Flask("ntree-faults")
    install(server, svc)
    return svc, server.test_client()


def _start(client) -> str:
    r = client.post("/replay/start", json=START)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["session_id"]


def _step(client, sid: str):
    return client.post("/replay/step", json={"session_id": sid, "disp_steps": 1})


def _assert_log_whole(svc: ReplayService, sid: str) -> None:
    ids = [e["id"] for e in svc.event_log(sid)]
    assert ids == list(range(1, len(ids) + 1))
    assert ids and svc.event_log(sid)[0]["type"] == "SESSION_START"


def _fill(folder: Path) -> Path:
    """Fill the disk of ``folder`` to the last byte; return the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 4096, 1):  # big chunks, then the last pages and bytes
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def _corrupt(path: Path) -> None:
    with open(path, "r+b") as f:
        size = f.seek(0, 2)
        for offset in range(8192, size, 4096 * 3):
            f.seek(offset)
            f.write(b"\xff" * 512)


def test_a_corrupt_database_answers_503_database_corrupt_and_recovers_when_replaced(
    seeded_db_url, tmp_path
):
    url = _copy_db(seeded_db_url, tmp_path)
    path = Path(url.removeprefix("sqlite:///"))
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    good = tmp_path / "good.db"
    svc.db_engine.dispose()
    shutil.copy(path, good)
    _corrupt(path)
    svc.db_engine.dispose()  # as a fresh worker would open it

    for r in (_step(client, sid), client.get("/replay/sessions")):
        assert r.status_code == 503
        assert r.get_json()["error"]["code"] == "database_corrupt"
    shutil.copy(good, path)  # the fault goes: the next request works, no restart
    assert _step(client, sid).status_code == 200
    _assert_log_whole(svc, sid)


def test_replay_check_on_a_corrupt_database_prints_one_line_and_exits_2(
    seeded_db_url, tmp_path, capsys
):
    url = _copy_db(seeded_db_url, tmp_path)
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    svc.db_engine.dispose()
    _corrupt(Path(url.removeprefix("sqlite:///")))
    assert main(["replay-check", sid, "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ntree: error: ") and err.count("\n") == 1
    assert "corrupt" in err and "Traceback" not in err


def test_a_read_only_database_answers_503_read_only_and_recovers_when_writable(
    seeded_db_url, tmp_path, tmpfs
):
    where = tmpfs("64m")
    url = _copy_db(seeded_db_url, where)
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    svc.db_engine.dispose()  # no file open for writing: the remount needs that
    _remount(where, "ro")
    try:
        r = _step(client, sid)
        assert r.status_code == 503, r.get_json()
        assert r.get_json()["error"]["code"] == "read_only", r.get_json()
        # A read may work or not (SQLite's WAL index lives next to the file): never a 500.
        r = client.get(f"/replay/state?session_id={sid}")
        assert r.status_code == 200 or r.get_json()["error"]["code"] == "read_only"
    finally:
        _remount(where, "rw")
    assert _step(client, sid).status_code == 200
    _assert_log_whole(svc, sid)


def test_a_read_only_database_file_by_permissions_answers_read_only(seeded_db_url, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    url = _copy_db(seeded_db_url, folder)
    path = Path(url.removeprefix("sqlite:///"))
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    svc.db_engine.dispose()
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("running as root: permissions do not make a file read-only")
        r = _step(client, sid)
        assert (r.status_code, r.get_json()["error"]["code"]) == (503, "read_only")
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert _step(client, sid).status_code == 200


def test_a_full_database_disk_answers_503_storage_full_and_recovers_when_freed(
    seeded_db_url, tmp_path, tmpfs
):
    where = tmpfs("24m")
    url = _copy_db(seeded_db_url, where)
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    filler = _fill(where)
    try:
        codes = set()
        for _ in range(20):  # SQLite may fit a few small steps in free pages first
            r = _step(client, sid)
            if r.status_code != 200:
                codes.add((r.status_code, r.get_json()["error"]["code"]))
                break
        assert codes == {(503, "storage_full")}
    finally:
        filler.unlink()
    assert _step(client, sid).status_code == 200
    _assert_log_whole(svc, sid)


def test_a_full_cache_disk_degrades_to_no_cache_and_requests_succeed(
    seeded_db_url, tmp_path, tmpfs, caplog
):
    where = tmpfs("32m")
    url = _copy_db(seeded_db_url, tmp_path)
    svc, client = _client(url, where / "cache")
    sid = _start(client)
    other, other_client = _client(url, where / "cache")  # a second worker on the same folder
    filler = _fill(where)
    try:
        with caplog.at_level(logging.ERROR, logger="ntree.cache"):
            for _ in range(3):
                assert _step(client, sid).status_code == 200
            r = client.post("/replay/start", json=START)  # a new session: no lock file room
            assert r.status_code == 200, r.get_json()
            new_sid = r.get_json()["session_id"]
            assert _step(client, new_sid).status_code == 200
            # The other worker sees the logged state (it rebuilds from the log).
            mine = client.get(f"/replay/state?session_id={sid}").get_json()
            theirs = other_client.get(f"/replay/state?session_id={sid}").get_json()
            assert theirs["cursor"] == mine["cursor"]
            assert _step(other_client, sid).status_code == 200
            assert _step(client, sid).status_code == 200
            # A worker that boots now (cannot even open the cache folder) serves too.
            _booted, booted_client = _client(url, where / "cache")
            assert _step(booted_client, sid).status_code == 200
            assert _step(client, sid).status_code == 200
        faults = [r for r in caplog.records if "not writable" in r.getMessage()]
        assert 1 <= len(faults) <= 3  # once per process (here: per cache object)
    finally:
        filler.unlink()
    assert _step(client, sid).status_code == 200
    _assert_log_whole(svc, sid)
    _assert_log_whole(svc, new_sid)


def test_an_emptied_database_does_not_take_the_writes_of_sessions_it_lost(seeded_db_url, tmp_path):
    url = _copy_db(seeded_db_url, tmp_path)
    path = Path(url.removeprefix("sqlite:///"))
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    assert _step(client, sid).status_code == 200
    svc.db_engine.dispose()
    path.write_bytes(b"")  # emptied; a restarted worker migrates (and reseeds) it
    from ntree.seed import ensure_seeded

    ensure_seeded(db.connect(url))

    r = _step(client, sid)  # the cache still holds the session
    assert r.status_code == 404, r.get_json()
    assert r.get_json()["error"]["code"] == "unknown_session"
    assert svc.store.load_events(sid) == []  # no log without its SESSION_START
    r = client.get(f"/replay/events?session_id={sid}")  # reads say so too
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "unknown_session")


# PostgreSQL: the same faults as the server reports them (SQLSTATE), and a server out of reach.

ON_POSTGRESQL = pytest.mark.parametrize("db_backend", ["postgresql"])


def _pg_error(kind: str, message: str) -> Exception:
    """Return what SQLAlchemy raises for a psycopg error of class ``kind``."""
    import psycopg.errors
    import sqlalchemy as sa

    return sa.exc.OperationalError(
        "UPDATE replay_sessions ...", {}, getattr(psycopg.errors, kind)(message)
    )


@pytest.mark.parametrize(
    ("kind", "message", "code"),
    [
        ("DiskFull", "could not extend file: No space left on device", "storage_full"),
        ("ReadOnlySqlTransaction", "cannot execute UPDATE in a read-only transaction", "read_only"),
        ("UndefinedTable", 'relation "replay_events" does not exist', "database_corrupt"),
        (
            "AdminShutdown",
            "terminating connection due to administrator command",
            "database_unavailable",
        ),
        ("ConnectionFailure", "connection to server lost", "database_unavailable"),
        ("OperationalError", "connection failed: Connection refused", "database_unavailable"),
        ("TooManyConnections", "too many connections for role", "storage_busy"),
        ("DeadlockDetected", "deadlock detected", "storage_busy"),
        ("DataException", "value out of range", "storage_error"),
    ],
)
def test_a_postgresql_fault_maps_to_its_service_code_by_sqlstate(kind, message, code):
    pytest.importorskip("psycopg")
    from ntree.service.storage import storage_fault

    err = storage_fault(_pg_error(kind, message))
    assert err.code == code and message in err.message


class _Proxy:
    """A TCP relay in front of the PostgreSQL server: ``stop`` is the server gone (every
    connection cut, new ones refused), ``start`` is it back on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self.port = server.getsockname()[1]
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            for sock in [self._server, *self._conns]:
                try:  # shutdown, not close alone: it wakes the thread blocked in accept/recv
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # stopped
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@ON_POSTGRESQL
def test_a_postgresql_server_gone_answers_503_database_unavailable_and_recovers_when_back(
    seeded_db_url, tmp_path
):
    import sqlalchemy as sa

    real = sa.make_url(seeded_db_url)
    proxy = _Proxy(real.host or "localhost", real.port or 5432)
    proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    svc, client = _client(url, tmp_path / "cache")
    sid = _start(client)
    assert _step(client, sid).status_code == 200

    proxy.stop()
    for r in (_step(client, sid), client.get("/replay/sessions")):
        assert r.status_code == 503, r.get_json()
        assert r.get_json()["error"]["code"] == "database_unavailable", r.get_json()
        assert "ntree:" not in r.get_json()["error"]["message"]  # the password never shows
    proxy.start()  # the server is back on its port: the next request works, no restart
    r = _step(client, sid)
    assert r.status_code == 200, r.get_json()
    _assert_log_whole(svc, sid)
    proxy.stop()


@ON_POSTGRESQL
def test_a_read_only_postgresql_database_answers_503_read_only_and_recovers(
    seeded_db_url, tmp_path, pg_server
):
    svc, client = _client(seeded_db_url, tmp_path / "cache")
    sid = _start(client)
    name = svc.db_engine.url.database

    def admin(sql: str) -> None:
        with pg_server._admin.connect() as conn:
            conn.exec_driver_sql(sql)

    admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    r = _step(client, sid)  # the pool's dead connections are replaced by read-only ones
    assert r.status_code == 503, r.get_json()
    assert r.get_json()["error"]["code"] == "read_only", r.get_json()
    assert client.get(f"/replay/state?session_id={sid}").status_code == 200  # reads go on

    admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
    # What a standby's promotion does: the old connections go (a setting binds new ones only).
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    r = _step(client, sid)
    assert r.status_code == 200, r.get_json()
    _assert_log_whole(svc, sid)

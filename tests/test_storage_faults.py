"""Storage faults: a read-only, full or corrupt database answers a clear 503 JSON code and the
server recovers by itself when the fault goes; a full cache disk degrades to no cache; an
emptied database never takes writes of sessions it lost; the CLI says one line."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
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

"""SessionCache: locked shared access, write-back, expiry and restore, two processes' views."""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass, field

import pytest

from ntree.cache import SessionCache, UnknownSession


@dataclass
class Counter:
    """A hand-made stand-in for a session: picklable, mutable."""

    sid: str
    n: int = 0
    log: list[int] = field(default_factory=list)


@dataclass
class Ghost:
    """A snapshot's class that a later version of the code no longer has (see below)."""

    sid: str


def make(tmp_path, restored=None, ttl_s=60.0, **kwargs):
    calls = []

    def restore(sid):
        calls.append(sid)
        return restored.get(sid) if restored else None

    return SessionCache(tmp_path / "c", restore, ttl_s=ttl_s, **kwargs), calls


def test_a_change_written_back_is_seen_by_another_process_cache(tmp_path):
    a, _ = make(tmp_path)
    b, _ = make(tmp_path)  # a second worker on the same folder
    a.put(Counter("s1"), "s1")
    with a.open("s1") as s:
        s.n += 1
    with b.open("s1") as s:
        assert s.n == 1
        s.n += 1
    with a.open("s1") as s:  # a's local copy is stale: it reloads b's snapshot
        assert s.n == 2


def test_a_failed_command_leaves_the_snapshot_as_it_was(tmp_path):
    cache, _ = make(tmp_path)
    cache.put(Counter("s1", n=5), "s1")
    with pytest.raises(RuntimeError), cache.open("s1") as s:
        s.n = 99
        raise RuntimeError("rejected half-way")
    with cache.open("s1", write=False) as s:
        assert s.n == 5


def test_an_expired_session_is_restored_from_the_log(tmp_path):
    cache, calls = make(tmp_path, restored={"s1": Counter("s1", n=7)})
    with cache.open("s1") as s:
        assert s.n == 7
    assert calls == ["s1"]
    with cache.open("s1") as s:  # cached now: no second restore
        assert s.n == 7
    cache.evict("s1")
    with cache.open("s1"):
        pass
    assert calls == ["s1", "s1"]


def test_snapshots_expire_after_the_ttl(tmp_path):
    cache, _ = make(tmp_path, ttl_s=0.05)
    cache.put(Counter("s1"), "s1")
    import time

    time.sleep(0.1)
    assert not cache.contains("s1")


def test_an_unknown_session_raises(tmp_path):
    cache, _ = make(tmp_path)
    with pytest.raises(UnknownSession), cache.open("nope"):
        pass


def test_a_snapshot_of_another_engine_build_is_restored_from_the_log(tmp_path):
    old, _ = make(tmp_path, build="before-upgrade")
    old.put(Counter("s1", n=5), "s1")
    new, calls = make(tmp_path, restored={"s1": Counter("s1", n=7)}, build="after-upgrade")
    with new.open("s1") as s:  # the old pickle may lack what the new code reads
        assert s.n == 7
    assert calls == ["s1"]


def test_an_unreadable_snapshot_is_restored_from_the_log(tmp_path, monkeypatch, caplog):
    writer, _ = make(tmp_path)
    writer.put(Ghost("s1"), "s1")
    monkeypatch.delattr(sys.modules[__name__], "Ghost")  # the class is gone: unpickling fails
    reader, calls = make(tmp_path, restored={"s1": Counter("s1", n=3)})
    with reader.open("s1") as s:
        assert s == Counter("s1", n=3)
    assert calls == ["s1"] and "unreadable" in caplog.text


# --- snapshots that do not grow with the session (big arrays as content-keyed blobs) ------

SPAN = {"symbol": "SPY", "t_start": "2024-07-01", "t_end": "2024-12-31", "disp_tf": "5m"}


def _snapshot_bytes(svc, sid: str) -> int:
    return len(svc.cache._cache.get(svc.cache._key("snap", sid)))


def test_a_snapshot_holds_the_moving_state_not_the_bars(replay_service):
    sid = replay_service.start(SPAN)["session_id"]  # six months of 1m bars
    first = _snapshot_bytes(replay_service, sid)
    replay_service.command("step", {"session_id": sid, "disp_steps": 5_000})
    later = _snapshot_bytes(replay_service, sid)
    assert first < 32_000 and later < 32_000  # the bars alone pickle to megabytes
    with replay_service.cache.open(sid, write=False) as s:
        whole = len(pickle.dumps(s))
    assert whole > 50 * later


def test_another_process_reads_a_blob_snapshot_as_the_same_session(replay_service, tmp_path):
    from ntree.service import ReplayService

    sid = replay_service.start(SPAN)["session_id"]
    replay_service.command("step", {"session_id": sid, "disp_steps": 300})
    mine = replay_service.state({"session_id": sid})
    other = ReplayService.create(replay_service.db_engine, replay_service.cache.directory)
    restores = []
    other.cache._restore = lambda s: restores.append(s)  # must not be needed
    assert other.state({"session_id": sid}) == mine
    after = other.command("step", {"session_id": sid, "disp_steps": 1})
    assert after["cursor"]["disp_index"] == mine["cursor"]["disp_index"] + 1
    assert restores == []
    other.cache.close()


def test_a_snapshot_whose_blobs_are_gone_is_rebuilt_from_the_log(replay_service):
    from ntree.service import ReplayService

    sid = replay_service.start(SPAN)["session_id"]
    replay_service.command("step", {"session_id": sid, "disp_steps": 100})
    mine = replay_service.state({"session_id": sid})
    raw = replay_service.cache._cache
    for key in list(raw.iterkeys()):
        if key[0] == "blob":
            raw.delete(key)
    other = ReplayService.create(replay_service.db_engine, replay_service.cache.directory)
    assert other.state({"session_id": sid}) == mine  # rebuilt from its log
    other.cache.close()

"""Server-side cache of live replay sessions (diskcache), shared by every worker process.

The event log in the database is the source of truth; the cache holds disposable pickled
snapshots of each :class:`ReplaySession`, keyed by session id, so that Dash callbacks and API
calls served by any process (gunicorn workers, threads) see the same session.

- Every access runs under a per-session file lock (``flock`` on a file in ``locks/``), so two
  commands on one session never interleave, across threads and processes; the OS releases
  the lock of a process that dies (a killed worker never stalls its session).
- A snapshot knows the last logged event it reflects: before each access the cache asks the
  log for its head (``log_head``) and rebuilds the session from the log when they differ (a
  worker killed between its commit and its snapshot write, a cache folder older than the
  database). A session the log no longer has is unknown, even when a snapshot survives.
- Snapshots expire after ``ttl_s`` seconds without use; the next access restores the session
  from its event log through the ``restore`` callable.
- Each process keeps the object it last used with the snapshot's version number: when no
  other process wrote since, the object is reused without unpickling (versions are random
  tokens, so a snapshot rebuilt after expiry never matches a stale copy). A command that raises
  leaves the cached snapshot as it was (the process drops its copy and reloads next time).
- Snapshots are keyed by the engine's build (a hash of its source): after an upgrade, or
  when a snapshot can't be read back, the session is restored from its log, never run on an
  object pickled by other code.
- A snapshot pickles the session's big arrays (its bars) as references to content-keyed
  blobs written once (:mod:`ntree.snapshots`): a write costs the state that moves, not the
  session's length.
- A cache that cannot be written (a full disk) degrades to no cache: the failure is logged
  once, the request goes on, and the next access rebuilds from the log where needed.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache

import ntree.engine
from ntree.snapshots import BlobStore

log = logging.getLogger(__name__)


def _engine_build() -> str:
    """Return a hash of the engine's source: a snapshot pickled by other code is not used."""
    h = hashlib.sha256()
    for path in sorted(Path(ntree.engine.__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


ENGINE_BUILD = _engine_build()
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "data" / "cache"
DEFAULT_TTL_S = 30 * 60
#: What a cache write can fail with when the disk is full or read-only (diskcache stores small
#: values in SQLite, large ones in files).
WRITE_ERRORS = (OSError, sqlite3.Error)
BLOB_TOUCH_S = 300.0  # how often a process renews the expiry of a blob it uses
REOPEN_S = 30.0  # how often a process without a cache folder tries to open it again


class _NoCache:
    """Stands for a cache folder that could not be opened: holds nothing, every write fails
    (so each process keeps its own objects, checked against the log)."""

    def get(self, key: object, default: object = None) -> object:
        return default

    def set(self, key: object, value: object, expire: float | None = None) -> bool:
        raise OSError(errno.ENOSPC, "no session cache")

    def touch(self, key: object, expire: float | None = None) -> bool:
        return False

    def delete(self, key: object) -> bool:
        return False

    def __contains__(self, key: object) -> bool:
        return False

    def close(self) -> None:
        pass


class UnknownSession(KeyError):
    """No session with this id, neither in the cache nor in the event log."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id

    def __str__(self) -> str:
        return f"unknown session: {self.session_id!r}"


def cache_dir() -> Path:
    """Return the cache folder: ``NTREE_CACHE_DIR`` or ``data/cache``."""
    return Path(os.environ.get("NTREE_CACHE_DIR") or DEFAULT_CACHE_DIR)


class SessionCache:
    """Per-session locked access to live sessions; ``restore(session_id)`` rebuilds a session
    from its log and returns None when the id is unknown.

    With ``log_head`` (the session's last logged event id, None when the log has no such
    session) and ``event_id`` (the last logged event a session object reflects), every
    access checks the snapshot against the log first (see the module docstring).
    """

    def __init__(
        self,
        directory: str | Path,
        restore: Callable[[str], Any | None],
        *,
        ttl_s: float = DEFAULT_TTL_S,
        build: str = ENGINE_BUILD,
        log_head: Callable[[str], int | None] | None = None,
        event_id: Callable[[Any], int] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self._write_failed = False
        self._retry_at = 0.0
        self._cache = self._open_cache()
        self._restore = restore
        self._log_head = log_head
        self._event_id = event_id
        self.ttl_s = ttl_s
        self.build = build
        self._local: dict[str, tuple[str | None, Any]] = {}
        blob_ttl = 2 * ttl_s + BLOB_TOUCH_S  # outlives every snapshot that still uses it
        self._blobs = BlobStore(
            lambda key: self._cache.get(("blob", key)),
            lambda key, data: self._cache.set(("blob", key), data, expire=blob_ttl),
            lambda key: self._cache.touch(("blob", key), expire=blob_ttl),
            touch_every_s=min(BLOB_TOUCH_S, ttl_s / 4),
        )
        self._fallback_locks: dict[str, threading.Lock] = {}
        self._fallback_guard = threading.Lock()

    def close(self) -> None:
        self._cache.close()

    def _open_cache(self) -> diskcache.Cache | _NoCache:
        """Open the diskcache folder; on a full or read-only disk serve without one (a
        worker must boot anyway) and try again after REOPEN_S."""
        try:
            return diskcache.Cache(str(self.directory))
        except WRITE_ERRORS as exc:
            self._note_write_failure(exc)
            self._retry_at = time.monotonic() + REOPEN_S
            return _NoCache()

    def _reopen_if_due(self) -> None:
        if isinstance(self._cache, _NoCache) and time.monotonic() >= self._retry_at:
            self._cache = self._open_cache()

    @contextmanager
    def lock(self, session_id: str) -> Iterator[None]:
        """Hold the session's lock (across threads and processes; freed when the holder dies).

        Each call opens its own descriptor of the session's lock file, so ``flock`` excludes
        threads of one process as well as other processes.
        """
        try:
            fd = self._lock_fd(session_id)
        except OSError as exc:  # no room for a lock file: this process's threads only
            self._note_write_failure(exc)
            with self._fallback_lock(session_id):
                yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _lock_fd(self, session_id: str) -> int:
        # A hashed name: a session id is client input and must not name a path.
        name = hashlib.sha256(session_id.encode()).hexdigest()[:32] + ".lock"
        folder = self.directory / "locks"
        try:
            return os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            return os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)

    def _fallback_lock(self, session_id: str) -> threading.Lock:
        with self._fallback_guard:
            return self._fallback_locks.setdefault(session_id, threading.Lock())

    def put(self, session: Any, session_id: str) -> None:
        """Store a new (or rebuilt) session."""
        self._reopen_if_due()
        with self.lock(session_id):
            self._write(session_id, session)

    @contextmanager
    def open(self, session_id: str, *, write: bool = True) -> Iterator[Any]:
        """Yield the live session under its lock; write it back when the block succeeds.

        Raise :class:`UnknownSession` when the id is neither cached nor in the log.
        """
        self._reopen_if_due()
        with self.lock(session_id):
            session = self._read(session_id)
            try:
                yield session
            except BaseException:
                # The object may be half-changed: forget it, the snapshot stays the last good one.
                self._local.pop(session_id, None)
                raise
            if write:
                self._write(session_id, session)
            else:
                self._touch(session_id)

    def contains(self, session_id: str) -> bool:
        """Return True when a live snapshot of the session is cached."""
        try:
            return self._key("snap", session_id) in self._cache
        except sqlite3.Error as exc:
            self._note_write_failure(exc)
            return False

    def evict(self, session_id: str) -> None:
        """Drop the session's snapshot (as the TTL would)."""
        with self.lock(session_id):
            self._forget(session_id)

    def _read(self, session_id: str) -> Any:
        head = self._log_head(session_id) if self._log_head is not None else None
        if self._log_head is not None and head is None:
            # The log has no such session (deleted, or the database was emptied or replaced):
            # a surviving snapshot must not go on writing a log without its SESSION_START.
            self._forget(session_id)
            raise UnknownSession(session_id)
        version = self._get(self._key("ver", session_id))
        local = self._local.get(session_id)
        session = None
        if local is not None and local[0] == version and (version or head is not None):
            session = local[1]  # no snapshot: this process's copy, if the log agrees
        elif version is not None:
            session = self._snapshot(session_id)
        if session is not None and head is not None and self._event_id(session) != head:
            # The snapshot is behind (or ahead of) the log: the log is the truth.
            log.warning(
                "snapshot of session %s reflects event %s, its log is at %s; rebuilding it",
                session_id,
                self._event_id(session),
                head,
            )
            session = None
        if session is None:
            session = self._restore(session_id)
            if session is None:
                raise UnknownSession(session_id)
            version = self._write(session_id, session)
        elif version is None:  # expired or never written (a full disk): cache it again
            version = self._write(session_id, session)
        self._local[session_id] = (version, session)
        return session

    def _forget(self, session_id: str) -> None:
        self._local.pop(session_id, None)
        try:
            self._cache.delete(self._key("snap", session_id))
            self._cache.delete(self._key("ver", session_id))
        except WRITE_ERRORS as exc:
            self._note_write_failure(exc)

    def _get(self, key: tuple) -> Any:
        try:
            return self._cache.get(key)
        except sqlite3.Error as exc:  # an unreadable cache database: go by the log
            self._note_write_failure(exc)
            return None

    def _key(self, kind: str, session_id: str) -> tuple[str, str, str]:
        """Return the key of a session's snapshot ("snap") or its version ("ver") in this
        engine build."""
        return (kind, self.build, session_id)

    def _snapshot(self, session_id: str) -> Any | None:
        try:
            data = self._cache.get(self._key("snap", session_id))
            # Bytes: a BlobStore pickle (big arrays stored once, by content).
            return self._blobs.loads(data) if isinstance(data, bytes) else data
        except KeyError:  # a blob is gone (evicted, an older folder): the log is the truth
            self._blobs.forget_stored()  # so the next write stores the blobs again
            log.warning("snapshot of session %s lost a blob; restoring it from its log", session_id)
            return None
        except Exception:  # a damaged snapshot: the log is the truth, rebuild from it
            log.warning("snapshot of session %s unreadable; restoring it from its log", session_id)
            return None

    def _write(self, session_id: str, session: Any) -> str | None:
        """Write the snapshot and return its version; on a failed write keep the object in
        this process only (under the old version) and return that version."""
        version = uuid.uuid4().hex
        try:
            data = self._blobs.dumps(session)
            self._cache.set(self._key("snap", session_id), data, expire=self.ttl_s)
            self._cache.set(self._key("ver", session_id), version, expire=self.ttl_s)
        except WRITE_ERRORS as exc:
            # The old snapshot (if any) stays behind the log: every reader rebuilds it, as
            # the log-head check finds it stale; this process goes on with its own object.
            self._note_write_failure(exc)
            version = self._get(self._key("ver", session_id))
        self._local[session_id] = (version, session)
        return version

    def _touch(self, session_id: str) -> None:
        try:
            self._cache.touch(self._key("snap", session_id), expire=self.ttl_s)
            self._cache.touch(self._key("ver", session_id), expire=self.ttl_s)
        except WRITE_ERRORS as exc:
            self._note_write_failure(exc)

    def _note_write_failure(self, exc: BaseException) -> None:
        """Log a cache fault once per process (a full disk would log every request)."""
        if not self._write_failed:
            self._write_failed = True
            full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
            log.error(
                "session cache at %s not writable (%s%s); serving from the event log",
                self.directory,
                "disk full: " if full else "",
                exc,
            )

"""Server-side cache of live replay sessions (diskcache), shared by every worker process.

The event log in the database is the source of truth; the cache holds disposable pickled
snapshots of each :class:`ReplaySession`, keyed by session id, so that Dash callbacks and API
calls served by any process (gunicorn workers, threads) see the same session.

- Every access runs under a per-session ``diskcache.Lock``, so two commands on one session
  never interleave, across threads and processes.
- Snapshots expire after ``ttl_s`` seconds without use; the next access restores the session
  from its event log through the ``restore`` callable.
- Each process keeps the object it last used with the snapshot's version number: when no
  other process wrote since, the object is reused without unpickling (versions are random
  tokens, so a snapshot rebuilt after expiry never matches a stale copy). A command that raises
  leaves the cached snapshot as it was (the process drops its copy and reloads next time).
- Snapshots are keyed by the engine's build (a hash of its source): after an upgrade, or
  when a snapshot can't be read back, the session is restored from its log, never run on an
  object pickled by other code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache

import ntree.engine

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
LOCK_EXPIRE_S = 60  # a lock held by a crashed worker frees itself after this


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
    from its log and returns None when the id is unknown."""

    def __init__(
        self,
        directory: str | Path,
        restore: Callable[[str], Any | None],
        *,
        ttl_s: float = DEFAULT_TTL_S,
        build: str = ENGINE_BUILD,
    ) -> None:
        self._cache = diskcache.Cache(str(directory))
        self._restore = restore
        self.ttl_s = ttl_s
        self.build = build
        self._local: dict[str, tuple[str, Any]] = {}

    def close(self) -> None:
        self._cache.close()

    @contextmanager
    def lock(self, session_id: str) -> Iterator[None]:
        """Hold the session's lock (across threads and processes)."""
        with diskcache.Lock(self._cache, ("lock", session_id), expire=LOCK_EXPIRE_S):
            yield

    def put(self, session: Any, session_id: str) -> None:
        """Store a new (or rebuilt) session."""
        with self.lock(session_id):
            self._write(session_id, session)

    @contextmanager
    def open(self, session_id: str, *, write: bool = True) -> Iterator[Any]:
        """Yield the live session under its lock; write it back when the block succeeds.

        Raise :class:`UnknownSession` when the id is neither cached nor in the log.
        """
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
        return self._key("snap", session_id) in self._cache

    def evict(self, session_id: str) -> None:
        """Drop the session's snapshot (as the TTL would)."""
        with self.lock(session_id):
            self._cache.delete(self._key("snap", session_id))
            self._cache.delete(self._key("ver", session_id))
            self._local.pop(session_id, None)

    def _read(self, session_id: str) -> Any:
        version = self._cache.get(self._key("ver", session_id))
        local = self._local.get(session_id)
        if version is not None and local is not None and local[0] == version:
            return local[1]
        session = self._snapshot(session_id) if version is not None else None
        if session is None:
            session = self._restore(session_id)
            if session is None:
                raise UnknownSession(session_id)
            version = self._write(session_id, session)
        self._local[session_id] = (version, session)
        return session

    def _key(self, kind: str, session_id: str) -> tuple[str, str, str]:
        """Return the key of a session's snapshot ("snap") or its version ("ver") in this
        engine build."""
        return (kind, self.build, session_id)

    def _snapshot(self, session_id: str) -> Any | None:
        try:
            return self._cache.get(self._key("snap", session_id))
        except Exception:  # a damaged snapshot: the log is the truth, rebuild from it
            log.warning("snapshot of session %s unreadable; restoring it from its log", session_id)
            return None

    def _write(self, session_id: str, session: Any) -> str:
        version = uuid.uuid4().hex
        self._cache.set(self._key("snap", session_id), session, expire=self.ttl_s)
        self._cache.set(self._key("ver", session_id), version, expire=self.ttl_s)
        self._local[session_id] = (version, session)
        return version

    def _touch(self, session_id: str) -> None:
        self._cache.touch(self._key("snap", session_id), expire=self.ttl_s)
        self._cache.touch(self._key("ver", session_id), expire=self.ttl_s)

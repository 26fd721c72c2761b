"""Snapshots that do not grow with the session: big arrays are stored once, by content.

A session's pickle is mostly its bars (the clock's arrays, the display frame): megabytes
that never change once built, while the state that moves (cursor, orders, portfolio, log
tail) is a few kilobytes. :class:`BlobPickler` writes every numeric array of at least
``MIN_BLOB_BYTES`` as a reference to a blob keyed by a hash of its content; the blob is
written to the cache once (and touched now and then so it outlives the snapshots that use
it), and each process keeps the arrays it has read or written in a small LRU, so writing a
snapshot costs the small state only, whatever the session's length.

This relies on the engine never writing into an array after building it (the clock and
the aggregation build theirs whole; a frame switch makes new ones): the hash is taken
once per array object.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

MIN_BLOB_BYTES = 16_384
LRU_ARRAYS = 256  # arrays kept per process (a session holds ~15; sessions share their bars)


class BlobStore:
    """Content-keyed arrays for snapshots: a per-process LRU over a key-value store
    (``get(key) -> bytes | None``, ``put(key, bytes)``, ``touch(key) -> bool``: whether the
    key was there)."""

    def __init__(
        self,
        get: Callable[[str], bytes | None],
        put: Callable[[str, bytes], None],
        touch: Callable[[str], bool],
        *,
        touch_every_s: float = 300.0,
    ) -> None:
        self._get, self._put, self._touch = get, put, touch
        self._touch_every_s = touch_every_s
        self._arrays: OrderedDict[str, np.ndarray] = OrderedDict()
        self._keys: dict[int, tuple[weakref.ref, str]] = {}  # id(array) -> (ref, its key)
        self._stored: dict[str, float] = {}  # key -> when this process last wrote/touched it
        self._guard = threading.Lock()  # threads on different sessions share the LRU

    def key_of(self, arr: np.ndarray) -> str | None:
        """Return the blob key of ``arr`` (storing it when new), or None to pickle it inline."""
        if arr.nbytes < MIN_BLOB_BYTES or arr.dtype.hasobject:
            return None
        with self._guard:
            known = self._keys.get(id(arr))
        if known is not None and known[0]() is arr:
            key = known[1]
        else:
            key = _content_key(arr)
            self._remember(arr, key)
        now = time.monotonic()
        last = self._stored.get(key)
        if last is None or now - last >= self._touch_every_s:
            # Renew a blob this process knows is there; write one it does not (idempotent:
            # the same content has the same key).
            if last is None or not self._touch(key):
                self._put(key, _dump_array(arr))
            self._stored[key] = now
        return key

    def array(self, key: str) -> np.ndarray:
        """Return the array stored under ``key`` (KeyError when the store lost it)."""
        with self._guard:
            arr = self._arrays.get(key)
            if arr is not None:
                self._arrays.move_to_end(key)
        if arr is None:
            data = self._get(key)
            if data is None:
                raise KeyError(f"snapshot blob {key} is gone")
            arr = pickle.loads(data)
            self._remember(arr, key)
        now = time.monotonic()
        if now - self._stored.get(key, -1e18) >= self._touch_every_s:
            self._touch(key)  # a blob read keeps living as long as the snapshots using it
            self._stored[key] = now
        return arr

    def _remember(self, arr: np.ndarray, key: str) -> None:
        with self._guard:
            self._remember_locked(arr, key)

    def _remember_locked(self, arr: np.ndarray, key: str) -> None:
        self._arrays[key] = arr
        self._arrays.move_to_end(key)
        try:
            self._keys[id(arr)] = (weakref.ref(arr), key)
        except TypeError:  # not weak-referenceable: hashed again next time
            pass
        while len(self._arrays) > LRU_ARRAYS:
            self._arrays.popitem(last=False)
        if len(self._keys) > 4 * LRU_ARRAYS:  # drop the entries of arrays that are gone
            self._keys = {i: (r, k) for i, (r, k) in self._keys.items() if r() is not None}

    def forget_stored(self) -> None:
        """Forget which blobs were written (the store lost one: write them again)."""
        self._stored = {}

    def dumps(self, obj: Any) -> bytes:
        """Pickle ``obj`` with its big arrays as blob references."""
        buf = io.BytesIO()
        _BlobPickler(buf, self).dump(obj)
        return buf.getvalue()

    def loads(self, data: bytes) -> Any:
        """Unpickle what :meth:`dumps` wrote (KeyError when a blob is gone)."""
        return _BlobUnpickler(io.BytesIO(data), self).load()


class _BlobPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, blobs: BlobStore) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._blobs = blobs

    def persistent_id(self, obj: Any) -> str | None:
        if type(obj) is np.ndarray:
            return self._blobs.key_of(obj)
        return None


class _BlobUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, blobs: BlobStore) -> None:
        super().__init__(file)
        self._blobs = blobs

    def persistent_load(self, pid: Any) -> np.ndarray:
        return self._blobs.array(pid)


def _content_key(arr: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{arr.dtype.str}{arr.shape}{arr.strides if arr.ndim > 1 else ''}".encode())
    h.update(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))  # any fixed-size dtype
    return h.hexdigest()


def _dump_array(arr: np.ndarray) -> bytes:
    return pickle.dumps(arr, protocol=pickle.HIGHEST_PROTOCOL)

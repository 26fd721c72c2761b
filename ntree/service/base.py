"""What every part of :class:`~ntree.service.ReplayService` shares: its stores and cache,
opening a cached session as a service error, and a session's JSON-ready view."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree.cache import SessionCache, UnknownSession
from ntree.engine import EngineError, SessionConfig
from ntree.journal import JournalStore
from ntree.service import coach as coach_service
from ntree.service.errors import ServiceError
from ntree.store import SessionStore

_OVERLAYS = ("ema9", "ema21", "vwap", "ch_upper", "ch_mid", "ch_lower")


class ServiceBase:
    """The state and helpers the service's mixins use (:mod:`ntree.service.core` sets them)."""

    db_engine: sa.Engine
    store: SessionStore
    journal_store: JournalStore
    cache: SessionCache
    coach_bundles: coach_service.BundleCache

    def _known(self, session_id: str) -> None:
        # The database alone says (a snapshot that outlived its log is no session).
        if self.store.get_session(session_id) is None:
            raise ServiceError("unknown_session", f"unknown session: {session_id!r}", "session_id")

    def _open(self, session_id: str, *, write: bool = True) -> Opened:
        return Opened(self.cache, session_id, write)

    def _view(self, s, *, events: list | None = None, bars: int = 1) -> dict:
        """Return the JSON-ready state plus new events, the latest bar(s) and all fills."""
        view = dict(s.state())
        view["events"] = [e.to_dict() for e in events or []]
        candles = s.candles(n=bars) if bars > 0 else []
        view["bars"] = candles
        # Overlays of the last *completed* candle (a forming one has none yet).
        done = [c for c in candles if not c.get("forming")] or s.candles(n=2)[:1]
        last = done[-1] if done else None
        view["overlays"] = {k: last.get(k) for k in _OVERLAYS} if last else {}
        view["fills"] = [f.to_dict() for f in s.fills]
        if s.config.blind:  # the values stay real: the cockpit masks them (ntree/ui/blind.py)
            view["blind"] = True
            view["blind_rebase"] = blind_rebase(s.config)
        return view

    def _save_cached(self, session_id: str) -> None:
        """Save the cached session's new events, if it is cached (before reading the log)."""
        if self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                self.store.save(s)


class Opened:
    """``cache.open`` that turns an unknown id into an ``unknown_session`` error."""

    def __init__(self, cache: SessionCache, session_id: str, write: bool) -> None:
        self._cm = cache.open(session_id, write=write)
        self._sid = session_id

    def __enter__(self):
        try:
            return self._cm.__enter__()
        except UnknownSession as exc:
            raise ServiceError(
                "unknown_session", f"unknown session: {self._sid!r}", "session_id"
            ) from exc
        except EngineError as exc:  # its log no longer re-runs: its bars were deleted or changed
            code = exc.code if exc.code == "bad_log" else "data_changed"
            raise ServiceError(
                code, f"session {self._sid!r} cannot re-run: {exc}", "session_id"
            ) from exc

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def blind_rebase(config: SessionConfig) -> dict:
    """Return what a client needs to show a blind session as the cockpit does: the anchors,
    the real tick and the starting cash (see :class:`ntree.blind.Rebase`)."""
    return {
        "price_anchor": config.blind_price_anchor,
        "volume_anchor": config.blind_volume_anchor,
        "tick": config.tick,
        "initial_cash": config.initial_cash,
    }


def jsonable(obj: Any) -> Any:
    """Return ``obj`` with timestamps as ISO text, non-finite floats as None, numpy scalars
    as Python ones."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        return obj.item()
    return obj

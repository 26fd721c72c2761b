"""The replay service: session lifecycle and commands, for every client (no HTTP, no Dash).

:class:`ReplayService` turns JSON-ready request bodies into engine commands on the cached
session and answers JSON-ready dicts; the Flask routes (:mod:`ntree.api`) and the Dash pages
are two thin clients of it, so a bot and the cockpit see exactly the same rules. Every
refusal is a :class:`~ntree.service.errors.ServiceError` raised before or instead of
changing anything (the HTTP edge maps its code to a status).

The class is one façade over a mixin per responsibility: :mod:`~ntree.service.lifecycle`
(start, rewind, fork), :mod:`~ntree.service.commands` (commands, playback, state reads),
:mod:`~ntree.service.review` (event log, trades, review chart, replay-check),
:mod:`~ntree.service.sessions` (History's rows, export/import), :mod:`~ntree.service.journal`
and :mod:`~ntree.service.data` (the bar store); :mod:`~ntree.service.base` holds what they
share and :mod:`~ntree.service.requests` the request-field checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db, market
from ntree.cache import SessionCache
from ntree.journal import JournalStore
from ntree.runner import restore_session
from ntree.service import coach as coach_service
from ntree.service import playback
from ntree.service.commands import CommandMethods
from ntree.service.data import DataMethods
from ntree.service.journal import JournalMethods
from ntree.service.lifecycle import LifecycleMethods
from ntree.service.review import ReviewMethods
from ntree.service.sessions import SessionRowMethods
from ntree.store import SessionStore

#: Event types that mean an order filled (the cockpit's auto-pause and fill markers).
FILL_EVENTS = playback.FILLS


class ReplayService(
    LifecycleMethods,
    CommandMethods,
    ReviewMethods,
    SessionRowMethods,
    JournalMethods,
    DataMethods,
):
    """Session commands on the shared cache, persisted to the event log after each one."""

    def __init__(self, db_engine: sa.Engine, cache: SessionCache) -> None:
        self.db_engine = db_engine
        self.store = SessionStore(db_engine)
        self.journal_store = JournalStore(db_engine)
        self.cache = cache
        self.coach_bundles = coach_service.BundleCache()
        #: Called with a command's op after its events are committed, before the snapshot is
        #: written (a crash test kills the worker there; see app.py).
        self.after_commit: Callable[[str], None] | None = None

    @classmethod
    def create(
        cls, db_engine: sa.Engine, cache_directory, *, ttl_s: float | None = None
    ) -> ReplayService:
        """Build a service whose cache restores expired sessions from the event log."""

        store = SessionStore(db_engine) if db_engine is not None else None

        def restore(session_id: str):
            if store is None or store.get_session(session_id) is None:
                return None
            return restore_session(db_engine, session_id)

        kwargs: dict[str, Any] = {} if ttl_s is None else {"ttl_s": ttl_s}
        if db_engine is not None:  # every access checks the snapshot against the log
            kwargs["log_head"] = store.events.last_seq
            kwargs["event_id"] = stored_event_id
        return cls(db_engine, SessionCache(cache_directory, restore, **kwargs))

    # queries --------------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return db.symbols(self.db_engine)

    def data_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        return db.bar_range(self.db_engine, symbol)

    def exchange(self, symbol: str) -> str:
        """Return the calendar code of the exchange ``symbol`` trades on (XNYS by default)."""
        return market.code((db.symbol_info(self.db_engine, symbol) or {}).get("exchange"))

    def coach(self, filters: dict) -> dict:
        """Answer the Coach over the sessions ``filters`` select (:mod:`ntree.service.coach`)."""
        return coach_service.coach(self, filters)


def stored_event_id(session) -> int:
    """Return the id of the last event of ``session`` that the store has (its pending
    events are not stored yet)."""
    return session.log.seq - len(session.log.pending())

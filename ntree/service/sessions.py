"""The session rows History lists: the list and its pages, label, tags, delete, export and
import (the mixin :class:`SessionRowMethods` of :class:`~ntree.service.ReplayService`)."""

from __future__ import annotations

from ntree import session_file
from ntree.journal import check_names
from ntree.service.base import ServiceBase, jsonable
from ntree.service.errors import ServiceError
from ntree.service.journal import journal_call
from ntree.service.requests import req_dict, req_int, wrong_type
from ntree.store import FILTER_KEYS, SORT_KEYS

MAX_PAGE_SIZE = 1_000
MAX_LABEL = 200


class SessionRowMethods(ServiceBase):
    """The session rows: list, page, label, tag, delete, export, import."""

    def list_sessions(self) -> list[dict]:
        return [jsonable(row) for row in self.store.list_sessions()]

    def get_session(self, session_id: str) -> dict | None:
        """Return a session's row (as :meth:`list_sessions` lists it), or None."""
        row = self.store.get_session(session_id)
        return None if row is None else jsonable(row)

    def query_sessions(
        self,
        page: int = 0,
        page_size: int = 100,
        sort: tuple[str, str] | list[str] = ("created_at", "desc"),
        filters: dict | None = None,
    ) -> dict:
        """Return one History page, sorted and filtered in the database: ``{rows, total,
        page, page_size}`` (see :meth:`ntree.store.SessionStore.query_sessions`)."""
        body = {"page": page, "page_size": page_size}
        page = req_int(body, "page", minimum=0)
        page_size = req_int(body, "page_size", minimum=1, maximum=MAX_PAGE_SIZE)
        if not isinstance(sort, list | tuple) or len(sort) != 2:
            raise wrong_type("sort", "a [column, 'asc'|'desc'] pair", sort)
        key, direction = sort
        if key not in SORT_KEYS:
            raise ServiceError("bad_sort", f"sort must be one of {list(SORT_KEYS)}", "sort")
        if direction not in ("asc", "desc"):
            raise ServiceError("bad_sort", "sort direction must be 'asc' or 'desc'", "sort")
        filters = req_dict({"filters": filters}, "filters") or {}
        for name, value in filters.items():
            if name not in FILTER_KEYS:
                raise ServiceError(
                    "unknown_field", f"no filter {name!r}; have {list(FILTER_KEYS)}", name
                )
            if value is not None and not isinstance(value, str):  # "" or None: no filter
                raise wrong_type(name, "a string", value)
        found = self.store.query_sessions(page, page_size, (key, direction), filters)
        rows = [jsonable(row) for row in found["rows"]]
        return {"rows": rows, "total": found["total"], "page": page, "page_size": page_size}

    def rename_session(self, session_id: str, label: str | None) -> dict:
        """Set a session's label (None or blank clears it); return its row."""
        self._known(session_id)
        if label is not None and not isinstance(label, str):
            raise wrong_type("label", "a string or null", label)
        label = (label or "").strip() or None
        if label is not None and len(label) > MAX_LABEL:
            raise ServiceError(
                "bad_label", f"label must be at most {MAX_LABEL} characters", "label"
            )
        self.store.rename_session(session_id, label)
        return self.get_session(session_id)

    def set_session_tags(self, session_id: str, tags: list[str] | None) -> dict:
        """Set a session's tags (a list of short strings; None clears them); return its row."""
        self._known(session_id)
        if tags is not None:
            if not isinstance(tags, list):
                raise wrong_type("tags", "a list of strings", tags)
            tags = journal_call(check_names, tags, "tags")
        self.store.set_tags(session_id, tags)
        return self.get_session(session_id)

    def delete_session(self, session_id: str) -> dict:
        """Delete a session for good: its events, trades, journal and row, and its cached
        snapshot. Forks of it keep working (each has its own full log)."""
        self._known(session_id)
        self.cache.evict(session_id)
        self.store.delete_session(session_id)
        self.cache.evict(session_id)  # a worker that restored it meanwhile forgets it too
        return {"session_id": session_id, "deleted": True}

    def export_session(self, session_id: str) -> dict:
        """Return the whole session as one JSON-ready dict (row, events, trades, journal and
        the bars it plays on) that :meth:`import_session` loads on another machine."""
        self._known(session_id)
        self._save_cached(session_id)
        doc = session_file.export_session(self.db_engine, session_id)
        if doc is None:
            raise ServiceError("unknown_session", f"unknown session: {session_id!r}", "session_id")
        return jsonable(doc)

    def export_csv(self, session_id: str) -> dict:
        """Return a session's events and trades as CSV text: ``{events_csv, trades_csv}``."""
        self._known(session_id)
        self._save_cached(session_id)
        return session_file.export_csv(self.db_engine, session_id)

    def import_session(self, doc: dict) -> dict:
        """Load an exported session (its bars too); return ``{session_id, events,
        bars_written}``. Refusals: ``bad_file``, ``session_exists``, ``bars_differ``."""
        try:
            return session_file.import_session(self.db_engine, doc)
        except session_file.SessionFileError as exc:
            raise ServiceError(exc.code, str(exc), "file") from exc

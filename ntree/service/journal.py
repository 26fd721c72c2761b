"""The journal as a service answer: notes on a session and its trades, the setup and mistake
lists (the mixin :class:`JournalMethods` of :class:`~ntree.service.ReplayService`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ntree.journal import JournalError
from ntree.service.base import ServiceBase
from ntree.service.errors import ServiceError
from ntree.service.requests import missing_field, req_int, req_str, wrong_type

JOURNAL_FIELDS = ("session_id", "trade_id", "setup", "text", "tags", "mistakes", "rating")


def journal_call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a :class:`~ntree.journal.JournalStore` method, its refusal as a service error."""
    try:
        return fn(*args, **kwargs)
    except JournalError as exc:
        raise ServiceError(exc.code, str(exc), exc.field) from exc


class JournalMethods(ServiceBase):
    """The journal: read a session's notes, add one, edit the lists."""

    def journal(self, session_id: str, *, history: bool = False) -> dict:
        """Return a session's journal: the latest note on the session and on each trade
        (with older versions when ``history``), and the setup/mistake lists."""
        if not isinstance(session_id, str) or not session_id.strip():
            raise wrong_type("session_id", "a non-empty string", session_id)
        self._known(session_id)
        return {
            "session_id": session_id,
            "entries": self.journal_store.entries(session_id, history=history),
            **self.journal_store.lists(),
        }

    def add_journal(self, body: dict) -> dict:
        """Add a note: ``{session_id, trade_id?, setup?, text?, tags?, mistakes?, rating?}``;
        a second note on the same session or trade is its next version. Return the entry."""
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        for name in body:
            if name not in JOURNAL_FIELDS:
                raise ServiceError(
                    "unknown_field", f"no field {name!r}; have {list(JOURNAL_FIELDS)}", name
                )
        sid = req_str(body, "session_id")
        trade_id = req_int(body, "trade_id", required=False)
        rating = req_int(body, "rating", required=False)
        for name in ("setup", "text"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise wrong_type(name, "a string", body[name])
        for name in ("tags", "mistakes"):
            value = body.get(name)
            if value is None:
                continue
            if not isinstance(value, list):
                raise wrong_type(name, "a list of strings", value)
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise wrong_type(f"{name}[{i}]", "a string", item)
        self._known(sid)
        return journal_call(
            self.journal_store.add,
            sid,
            trade_id=trade_id,
            setup=body.get("setup"),
            text=body.get("text"),
            tags=body.get("tags"),
            mistakes=body.get("mistakes"),
            rating=rating,
        )

    def journal_lists(self) -> dict:
        """Return the editable lists: ``{"setups": [...], "mistakes": [...]}``."""
        return self.journal_store.lists()

    def set_journal_list(self, body: dict) -> dict:
        """Replace a list: ``{kind: 'setup'|'mistake', names: [...]}``; return both lists."""
        kind = req_str(body, "kind")
        names = body.get("names")
        if names is None:
            raise missing_field("names")
        if not isinstance(names, list):
            raise wrong_type("names", "a list of strings", names)
        journal_call(self.journal_store.set_list, kind, names)
        return self.journal_store.lists()

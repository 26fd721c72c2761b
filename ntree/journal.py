"""The trader's journal (an edge): notes per session or per trade, and the editable lists.

Written after play, so they live in their own append-only table ``journal_entries``, never
in the event log (a session re-runs the same with or without notes). An edit is a new row
with ``version + 1``; the old one is kept. The setups and mistakes a note picks from are the
rows of ``journal_lists`` (seeded for channel trading by the migration that made it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from ntree import db

MAX_TEXT = 5_000
MAX_SHORT = 64  # a setup, a tag, a mistake
MAX_ITEMS = 20
RATINGS = range(1, 6)
LIST_KINDS = {"setup": "setups", "mistake": "mistakes"}


class JournalError(ValueError):
    """A refused journal entry: machine ``code``, message and the field at fault."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_short_text(value: object, field: str, code: str) -> str:
    """Return ``value`` stripped when it is text of 1..MAX_SHORT characters, else raise."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_SHORT:
        raise JournalError(code, f"{field} must be text of 1 to {MAX_SHORT} characters", field)
    return value.strip()


def check_names(value: object, field: str) -> list[str]:
    """Return a list of up to MAX_ITEMS short strings (duplicates dropped), else raise."""
    code = f"bad_{field}"
    if not isinstance(value, list | tuple) or len(value) > MAX_ITEMS:
        raise JournalError(code, f"{field} must be a list of at most {MAX_ITEMS} strings", field)
    names = [check_short_text(v, f"{field}[{i}]", code) for i, v in enumerate(value)]
    return list(dict.fromkeys(names))


def check_rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATINGS:
        raise JournalError(
            "bad_rating", f"rating must be a whole number 1 to 5, got {value!r}", "rating"
        )
    return value


def check_text(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise JournalError("bad_text", f"text must be at most {MAX_TEXT} characters", "text")
    return value


class JournalStore:
    """Journal entries and the setup/mistake lists in the database."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], str] = _utc_now) -> None:
        self.engine = engine
        self._clock = clock  # wall time is metadata (created_at), never an engine input

    def add(
        self,
        session_id: str,
        trade_id: int | None = None,
        setup: str | None = None,
        text: str | None = None,
        tags: Sequence[str] | None = None,
        mistakes: Sequence[str] | None = None,
        rating: int | None = None,
    ) -> dict:
        """Write a note on the session (or one of its trades) and return it.

        A second note on the same session/trade is its next version (the old one kept).
        Raise JournalError: ``unknown_session``, ``unknown_trade``, ``bad_setup``,
        ``bad_text``, ``bad_tags``, ``bad_mistakes``, ``bad_rating``, ``empty_entry``.
        """
        values = {
            "setup": None if setup is None else check_short_text(setup, "setup", "bad_setup"),
            "text": None if text is None else check_text(text),
            "tags": None if tags is None else json.dumps(check_names(tags, "tags")),
            "mistakes": None if mistakes is None else json.dumps(check_names(mistakes, "mistakes")),
            "rating": None if rating is None else check_rating(rating),
        }
        if all(v is None for v in values.values()):
            raise JournalError("empty_entry", "a journal entry needs at least one field", None)
        t = db.journal_entries
        with self.engine.begin() as conn:
            self._check_target(conn, session_id, trade_id)
            same = sa.and_(t.c.session_id == session_id, _trade_is(t.c.trade_id, trade_id))
            # The next version in the same statement that writes it: two writers never share one.
            version = sa.select(sa.func.coalesce(sa.func.max(t.c.version), 0) + 1).where(same)
            row = {"session_id": session_id, "trade_id": trade_id, **values}
            row["created_at"] = self._clock()
            cols = [*row, "version"]
            literals = [sa.literal(v, type_=t.c[k].type) for k, v in row.items()]
            conn.execute(
                t.insert().from_select(cols, sa.select(*literals, version.scalar_subquery()))
            )
            latest = sa.select(t).where(same).order_by(t.c.version.desc()).limit(1)
            return _entry(conn.execute(latest).mappings().one())

    def entries(self, session_id: str, *, history: bool = False) -> list[dict]:
        """Return the latest version of each note on the session (the session's own first,
        then by trade); with ``history``, each also lists its older versions, newest first."""
        t = db.journal_entries
        q = (
            sa.select(t)
            .where(t.c.session_id == session_id)
            .order_by(t.c.trade_id.is_not(None), t.c.trade_id, t.c.version.desc())
        )
        out: dict[int | None, dict] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(q).mappings():
                entry = _entry(row)
                latest = out.get(entry["trade_id"])
                if latest is None:
                    out[entry["trade_id"]] = {**entry, "history": []} if history else entry
                elif history:
                    latest["history"].append(entry)
        return list(out.values())

    def latest_by_session(self, session_ids: Sequence[str]) -> dict[str, list[dict]]:
        """Return, by session, the latest version of each of its notes (the session's own
        and one per trade), one query per 500 sessions; a session without notes is absent."""
        t = db.journal_entries
        ids = list(dict.fromkeys(session_ids))
        out: dict[str, dict[int | None, dict]] = {}
        with self.engine.connect() as conn:
            for k in range(0, len(ids), 500):
                q = (
                    sa.select(t)
                    .where(t.c.session_id.in_(ids[k : k + 500]))
                    .order_by(t.c.session_id, t.c.trade_id, t.c.version)
                )
                for row in conn.execute(q).mappings():  # later versions overwrite earlier
                    out.setdefault(row["session_id"], {})[row["trade_id"]] = _entry(row)
        return {sid: list(notes.values()) for sid, notes in out.items()}

    def tags(self) -> set[str]:
        """Return every tag some version of some note carries."""
        t = db.journal_entries
        q = sa.select(t.c.tags).where(t.c.tags.is_not(None)).distinct()
        with self.engine.connect() as conn:
            return {tag for (text,) in conn.execute(q) for tag in json.loads(text)}

    def delete_session(self, conn: sa.Connection, session_id: str) -> None:
        """Delete every note on the session (in ``conn``'s transaction)."""
        t = db.journal_entries
        conn.execute(t.delete().where(t.c.session_id == session_id))

    def lists(self) -> dict[str, list[str]]:
        """Return the editable lists in order: ``{"setups": [...], "mistakes": [...]}``."""
        t = db.journal_lists
        out: dict[str, list[str]] = {plural: [] for plural in LIST_KINDS.values()}
        with self.engine.connect() as conn:
            for kind, name in conn.execute(sa.select(t.c.kind, t.c.name).order_by(t.c.position)):
                if kind in LIST_KINDS:
                    out[LIST_KINDS[kind]].append(name)
        return out

    def set_list(self, kind: str, names: Sequence[str]) -> list[str]:
        """Replace the setup or mistake list with ``names`` (in order); return it."""
        if kind not in LIST_KINDS:
            raise JournalError("bad_kind", f"kind must be one of {list(LIST_KINDS)}", "kind")
        names = check_names(names, "names")
        t = db.journal_lists
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.kind == kind))
            if names:
                rows = [{"kind": kind, "name": n, "position": i} for i, n in enumerate(names)]
                conn.execute(t.insert(), rows)
        return names

    def _check_target(self, conn: sa.Connection, session_id: str, trade_id: int | None) -> None:
        s = db.replay_sessions
        # FOR UPDATE (PostgreSQL; SQLite's one writer needs none): notes on one session are
        # written one at a time, so two never compute the same next version.
        q = sa.select(s.c.session_id).where(s.c.session_id == session_id).with_for_update()
        found = conn.execute(q)
        if found.first() is None:
            raise JournalError("unknown_session", f"unknown session: {session_id!r}", "session_id")
        if trade_id is None:
            return
        tr = db.replay_trades
        q = sa.select(tr.c.trade_id).where(tr.c.session_id == session_id, tr.c.trade_id == trade_id)
        if conn.execute(q).first() is None:
            raise JournalError(
                "unknown_trade", f"session {session_id!r} has no trade {trade_id}", "trade_id"
            )


def _trade_is(column: sa.ColumnElement, trade_id: int | None) -> sa.ColumnElement[bool]:
    return column.is_(None) if trade_id is None else column == trade_id


def _entry(row) -> dict:
    d = dict(row)
    for key in ("tags", "mistakes"):
        d[key] = json.loads(d[key]) if d[key] is not None else []
    return d

"""The storage edge of replay sessions: the append-only event log, session rows, trades.

Two event recorders share one interface and one test suite: :class:`InMemoryRecorder`
and :class:`SqlRecorder` (table ``replay_events``, keyed ``(session_id, seq)``; a duplicate
seq is a conflict, never an overwrite). :class:`SessionStore` persists a session's new
events, its row in ``replay_sessions`` and its trades as they close (the open one marked
'open') — in one transaction, so a crash loses at most the step in flight.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from ntree import db
from ntree.codec import (
    EVENT_COLUMNS,
    canonical_json,
    event_from_record,
    event_row,
    event_tuple,
)
from ntree.engine import Event, ReplaySession
from ntree.engine.events import iso_utc


class EventConflict(RuntimeError):
    """An event with that (session_id, seq) is already recorded."""


class EventRecorder(Protocol):
    def append(self, session_id: str, events: list[Event]) -> None: ...

    def select(self, session_id: str, since: int = 0) -> list[Event]: ...


def check_sequence(session_id: str, last: int, events: list[Event]) -> None:
    """Raise EventConflict unless every seq of ``events`` is above ``last`` and the one before.

    Both recorders apply this rule before writing anything, so a conflicting batch records
    none of its events.
    """
    check_seqs(session_id, last, [ev.seq for ev in events])


def check_seqs(session_id: str, last: int, seqs: list[int]) -> None:
    """:func:`check_sequence` on the seqs alone."""
    for seq in seqs:
        if seq <= last:
            raise EventConflict(f"event {session_id}#{seq} is already recorded or out of order")
        last = seq


class InMemoryRecorder:
    """Keeps the log in a dict of lists (tests, benchmarks, throwaway sessions)."""

    def __init__(self) -> None:
        self._logs: dict[str, list[Event]] = {}

    def append(self, session_id: str, events: list[Event]) -> None:
        log = self._logs.setdefault(session_id, [])
        check_sequence(session_id, log[-1].seq if log else 0, events)
        log.extend(events)

    def select(self, session_id: str, since: int = 0) -> list[Event]:
        return [ev for ev in self._logs.get(session_id, []) if ev.seq > since]


_SQLITE_LAST_SEQ = "SELECT max(seq) FROM replay_events WHERE session_id = ?"
_SQLITE_INSERT = (
    f"INSERT INTO replay_events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)


class SqlRecorder:
    """Appends events to ``replay_events`` through SQLAlchemy Core."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # SQLite takes the rows as plain tuples in one prepared statement: a step's events
        # then cost ~3x less than through a compiled Core insert (the hot path of a run).
        self._sqlite = engine.dialect.name == "sqlite"

    def last_seq(self, session_id: str, conn: sa.Connection | None = None) -> int | None:
        """Return the seq of the session's last recorded event, None when it has none (one
        lookup on the ``(session_id, seq)`` index; in ``conn``'s transaction when given)."""
        if conn is None:
            with self.engine.connect() as conn:
                return self.last_seq(session_id, conn)
        if self._sqlite:
            return conn.exec_driver_sql(_SQLITE_LAST_SEQ, (session_id,)).scalar()
        t = db.replay_events
        return conn.execute(
            sa.select(sa.func.max(t.c.seq)).where(t.c.session_id == session_id)
        ).scalar()

    def append(
        self, session_id: str, events: list[Event], conn: sa.Connection | None = None
    ) -> None:
        """Record ``events`` (in ``conn``'s transaction when given, else in one of its own)."""
        if not events:
            return
        if conn is None:
            with self.engine.begin() as conn:
                self.append(session_id, events, conn)
            return
        t = db.replay_events
        check_sequence(session_id, self.last_seq(session_id, conn) or 0, events)
        try:  # the unique (session_id, seq) index still catches a concurrent writer
            if self._sqlite:
                conn.exec_driver_sql(_SQLITE_INSERT, [event_tuple(session_id, ev) for ev in events])
            else:
                rows = [event_row(session_id, ev) for ev in events]
                conn.execute(t.insert(), rows)
        except sa.exc.IntegrityError as exc:
            raise EventConflict(
                f"an event of {session_id} is already recorded: {exc.orig}"
            ) from exc

    def append_rows(self, session_id: str, rows: list[tuple], conn: sa.Connection) -> None:
        """Record events given as :func:`~ntree.codec.event_tuple` rows (serialised where
        they were made), in ``conn``'s transaction, under the same sequence rule."""
        if not rows:
            return
        check_seqs(session_id, self.last_seq(session_id, conn) or 0, [row[1] for row in rows])
        try:
            if self._sqlite:
                conn.exec_driver_sql(_SQLITE_INSERT, rows)
            else:
                conn.execute(
                    db.replay_events.insert(),
                    [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in rows],
                )
        except sa.exc.IntegrityError as exc:
            raise EventConflict(
                f"an event of {session_id} is already recorded: {exc.orig}"
            ) from exc

    def select(self, session_id: str, since: int = 0) -> list[Event]:
        t = db.replay_events
        q = (
            sa.select(t.c.seq, t.c.ts_exec, t.c.ts_market, t.c.event_type, t.c.payload_json)
            .where(t.c.session_id == session_id, t.c.seq > since)
            .order_by(t.c.seq)
        )
        with self.engine.connect() as conn:
            return [event_from_record(*row) for row in conn.execute(q)]


#: The events after which a trade may have opened, grown, closed or been counted as modified
#: (a save of steps alone leaves the trade rows as they are: the hot path of a run).
_TRADE_EVENTS = frozenset(
    {
        "SESSION_START",  # a fork's first save carries the trades it inherits
        "FILL",
        "STOP_TRIGGERED",
        "TARGET_FILLED",
        "FLATTEN",
        "ORDER_MODIFIED",
        "SESSION_END",
    }
)


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SessionStore:
    """Sessions, their logs and trades in the database (the engine never sees SQL)."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], str] = _utc_now) -> None:
        self.engine = engine
        self.events = SqlRecorder(engine)
        self._clock = clock  # wall time is metadata only (created_at), never an engine input

    def save(
        self, session: ReplaySession, *, notes: str | None = None, player: str | None = None
    ) -> list[Event]:
        """Persist the session's pending events, its row and its trades as they stand.

        One transaction: either all of it lands, or nothing does and the events stay
        pending in the session for the next save. Each trade is written when it closes
        (an upsert by ``(session_id, trade_id)``, so saving again changes nothing) and the
        open one, if any, as a row with status 'open' and no exit. ``player`` ('human' or
        a bot's name) is recorded when the row is first written. Returns the events written.
        """
        events = session.pending_events()
        sid = session.config.session_id
        with self.engine.begin() as conn:
            self._upsert_session(conn, session, notes, player, events)
            self.events.append(sid, events, conn)
            if any(ev.type in _TRADE_EVENTS for ev in events):
                self._write_trades(conn, session)
        session.drain_events()
        return events

    def _write_trades(self, conn: sa.Connection, session: ReplaySession) -> None:
        """Write the trades closed since the last save and the open trade as it stands."""
        t = db.replay_trades
        sid = session.config.session_id
        q = sa.select(sa.func.max(t.c.trade_id)).where(
            t.c.session_id == sid, t.c.status == "closed"
        )
        stored = conn.execute(q).scalar() or 0
        rows = [_trade_row(sid, d, "closed") for d in session.trades[stored:]]
        open_trade = session.portfolio.open_trade
        if open_trade is not None:
            rows.append(_open_trade_row(sid, session))
        ids = [r["trade_id"] for r in rows]
        # An upsert that every backend speaks: the open row (and a closed trade written by a
        # save that crashed before its commit) is replaced by id, within this transaction.
        conn.execute(
            t.delete().where(
                t.c.session_id == sid, sa.or_(t.c.trade_id.in_(ids), t.c.status == "open")
            )
        )
        if rows:
            conn.execute(t.insert(), rows)

    def _upsert_session(
        self,
        conn: sa.Connection,
        session: ReplaySession,
        notes: str | None,
        player: str | None = None,
        events: list[Event] | None = None,
    ) -> None:
        values = _result_values(session)
        if notes is not None:
            values["notes"] = notes
        t = db.replay_sessions
        cfg = session.config
        updated = conn.execute(t.update().where(t.c.session_id == cfg.session_id).values(values))
        if updated.rowcount:
            return
        if not events or events[0].seq != 1:
            # A deleted session that a client still holds must not come back as half a log.
            raise EventConflict(f"session {cfg.session_id} is not stored (deleted?)")
        row = {**_new_session_row(session, player), **values, "created_at": self._clock()}
        conn.execute(t.insert().values(**row))

    def save_records(self, records: list[SessionRecord]) -> None:
        """Store finished sessions that were played elsewhere (a bot's workers), in one
        transaction: each one's row, whole log and trades. A session id already stored is
        an EventConflict, and then none of the batch lands."""
        if not records:
            return
        ids = [r.session_id for r in records]
        t = db.replay_sessions
        with self.engine.begin() as conn:
            taken = conn.execute(sa.select(t.c.session_id).where(t.c.session_id.in_(ids)))
            clash = sorted({row[0] for row in taken} | {i for i in ids if ids.count(i) > 1})
            if clash:
                raise EventConflict(f"session(s) already stored: {', '.join(clash)}")
            now = self._clock()
            conn.execute(t.insert(), [{**r.row, "created_at": now} for r in records])
            for r in records:
                self.events.append_rows(r.session_id, r.events, conn)
            trades = [row for r in records for row in r.trades]
            if trades:
                conn.execute(db.replay_trades.insert(), trades)

    def load_events(self, session_id: str, since: int | None = None) -> list[Event]:
        """Return the session's events with seq > ``since`` (all when None)."""
        return self.events.select(session_id, since or 0)

    def event_page(
        self,
        session_id: str,
        types: list[str] | None,
        offset: int,
        limit: int,
        *,
        newest_first: bool = False,
        counts: bool = True,
    ) -> tuple[list[Event], dict[str, int]]:
        """Return ``limit`` events from ``offset`` (in seq order, newest first when asked;
        only ``types`` when given) and the count of each event type in the whole log (the
        timeline pages on these; ``counts=False`` skips it: it reads every event of the log)."""
        t = db.replay_events
        where = [t.c.session_id == session_id]
        if types:
            where.append(t.c.event_type.in_(types))
        q = (
            sa.select(t.c.seq, t.c.ts_exec, t.c.ts_market, t.c.event_type, t.c.payload_json)
            .where(*where)
            .order_by(t.c.seq.desc() if newest_first else t.c.seq)
            .limit(limit)
            .offset(offset)
        )
        by_type = (
            sa.select(t.c.event_type, sa.func.count())
            .where(t.c.session_id == session_id)
            .group_by(t.c.event_type)
        )
        with self.engine.connect() as conn:
            events = [event_from_record(*row) for row in conn.execute(q)]
            if not counts:
                return events, {}
            return events, {kind: n for kind, n in conn.execute(by_type)}

    def get_session(self, session_id: str) -> dict | None:
        """Return the session's row as a dict (params decoded), or None."""
        t = db.replay_sessions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.session_id == session_id)).mappings().first()
        return None if row is None else _session_dict(row)

    def list_sessions(self, limit: int = 500) -> list[dict]:
        """Return the sessions played, newest first."""
        t = db.replay_sessions
        q = sa.select(t).order_by(t.c.created_at.desc(), t.c.session_id).limit(limit)
        with self.engine.connect() as conn:
            return [_session_dict(r) for r in conn.execute(q).mappings()]

    def session_ids_on(self, symbol: str) -> list[str]:
        """Return the ids of the sessions played on ``symbol``'s bars."""
        t = db.replay_sessions
        q = sa.select(t.c.session_id).where(t.c.symbol == symbol).order_by(t.c.session_id)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def query_sessions(
        self,
        page: int = 0,
        page_size: int = 100,
        sort: tuple[str, str] = ("created_at", "desc"),
        filters: dict | None = None,
    ) -> dict:
        """Return one page of History: ``{"rows": [...], "total": n}`` (n: all that match).

        ``sort`` is (a column of :data:`SORT_KEYS`, 'asc' or 'desc'), ties broken by
        session id the same way, so the default order reads straight off the index on
        ``(created_at, session_id)``. ``filters``: ``symbol``, ``status`` ('active',
        'ended', or 'forked': a fork of another session), ``player``, ``disp_tf`` (equal)
        and ``text`` (a substring of the id, label, tags, notes or symbol). Each row says
        whether the session has journal notes (``has_journal``).
        """
        key, direction = sort
        if key not in SORT_KEYS or direction not in ("asc", "desc"):
            raise ValueError(f"sort must be ({'|'.join(SORT_KEYS)}, asc|desc), got {sort!r}")
        t = db.replay_sessions
        where = _session_filters(filters or {})
        order = [_order(t.c[key], direction), _order(t.c.session_id, direction)]
        j = db.journal_entries
        has_journal = sa.exists().where(j.c.session_id == t.c.session_id).label("has_journal")
        q = (
            sa.select(t, has_journal)
            .where(*where)
            .order_by(*order)
            .limit(page_size)
            .offset(page * page_size)
        )
        count = sa.select(sa.func.count()).select_from(t).where(*where)
        with self.engine.connect() as conn:
            rows = [_session_dict(r) for r in conn.execute(q).mappings()]
            total = conn.execute(count).scalar()
        return {"rows": rows, "total": total}

    def rename_session(self, session_id: str, label: str | None) -> bool:
        """Set the session's label (None clears it); return False for an unknown id."""
        t = db.replay_sessions
        with self.engine.begin() as conn:
            done = conn.execute(t.update().where(t.c.session_id == session_id).values(label=label))
        return bool(done.rowcount)

    def mark_forked(self, session_id: str) -> None:
        """Say that an active session was left for a fork of it (a rewind): its status reads
        ``forked``; a later save of it (played on after all) makes it ``active`` again."""
        t = db.replay_sessions
        with self.engine.begin() as conn:
            mine = (t.c.session_id == session_id) & (t.c.status == "active")
            conn.execute(t.update().where(mine).values(status="forked"))

    def set_tags(self, session_id: str, tags: list[str] | None) -> bool:
        """Set the session's tags (a list of short strings); return False for an unknown id."""
        t = db.replay_sessions
        value = None if tags is None else json.dumps(tags)
        with self.engine.begin() as conn:
            done = conn.execute(t.update().where(t.c.session_id == session_id).values(tags=value))
        return bool(done.rowcount)

    def delete_session(self, session_id: str) -> bool:
        """Delete the session: its events, trades, journal and row, in one transaction.

        Its forks are untouched: each carries its own full log. Return False for an
        unknown id.
        """
        with self.engine.begin() as conn:
            for table in (db.replay_events, db.replay_trades, db.journal_entries):
                conn.execute(table.delete().where(table.c.session_id == session_id))
            t = db.replay_sessions
            done = conn.execute(t.delete().where(t.c.session_id == session_id))
        return bool(done.rowcount)

    def trades(self, session_id: str) -> list[dict]:
        """Return the session's trades by id: the closed ones and the open one (status 'open',
        no exit yet) as the last save left them."""
        t = db.replay_trades
        q = sa.select(t).where(t.c.session_id == session_id).order_by(t.c.trade_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def trade_page(
        self,
        session_id: str,
        offset: int,
        limit: int,
        *,
        exit_from: str | None = None,
        newest_first: bool = False,
    ) -> tuple[list[dict], int]:
        """Return ``limit`` of the session's trades from ``offset`` (by trade id, the newest
        first when asked) and how many there are; with ``exit_from`` (ISO UTC) only those still
        open or closed at or after it (a chart window's trades)."""
        t = db.replay_trades
        where = [t.c.session_id == session_id]
        if exit_from is not None:  # ISO UTC text of one format: compared as text, any dialect
            where.append(sa.or_(t.c.exit_ts.is_(None), t.c.exit_ts >= exit_from))
        order = t.c.trade_id.desc() if newest_first else t.c.trade_id
        q = sa.select(t).where(*where).order_by(order).limit(limit).offset(offset)
        n = sa.select(sa.func.count()).select_from(t).where(*where)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
            return rows, int(conn.execute(n).scalar_one())


#: The columns History may sort on.
SORT_KEYS = (
    "created_at",
    "symbol",
    "t_start",
    "disp_tf",
    "status",
    "player",
    "label",
    "result_pnl",
    "max_dd",
    "num_trades",
    "win_rate",
    "avg_r",
)
FILTER_KEYS = ("symbol", "status", "player", "disp_tf", "text")


def _session_filters(filters: dict) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE clauses of History's filters (unknown keys: ValueError)."""
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown filter(s) {sorted(unknown)}; known: {list(FILTER_KEYS)}")
    t = db.replay_sessions
    where = []
    for key in ("symbol", "player", "disp_tf"):
        if filters.get(key):
            where.append(t.c[key] == filters[key])
    status = filters.get("status")
    if status == "forked":  # the forks, and the sessions left for one
        where.append(sa.or_(t.c.parent_session_id.is_not(None), t.c.status == "forked"))
    elif status:
        where.append(t.c.status == status)
    text = filters.get("text")
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cols = (t.c.session_id, t.c.label, t.c.tags, t.c.notes, t.c.symbol)
        # ILIKE on PostgreSQL; lower() LIKE lower() on SQLite, whose LIKE ignores only ASCII case.
        where.append(sa.or_(*(c.ilike(pattern, escape="\\") for c in cols)))
    return where


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session ready to store, built where it was played (no database needed there):
    its ``replay_sessions`` row (less ``created_at``), its events as ``replay_events`` rows
    (:func:`~ntree.codec.event_tuple`) and its ``replay_trades`` rows."""

    session_id: str
    row: dict
    events: list[tuple]
    trades: list[dict]


def session_record(session: ReplaySession, player: str | None = None) -> SessionRecord:
    """Return ``session`` (its log still pending, from SESSION_START) as a SessionRecord."""
    sid = session.config.session_id
    events = session.pending_events()
    if not events or events[0].seq != 1:
        raise EventConflict(f"session {sid}: a record needs its whole log")
    trades = [_trade_row(sid, d, "closed") for d in session.trades]
    if session.portfolio.open_trade is not None:
        trades.append(_open_trade_row(sid, session))
    return SessionRecord(
        session_id=sid,
        row={**_new_session_row(session, player), **_result_values(session)},
        events=[event_tuple(sid, ev) for ev in events],
        trades=trades,
    )


def _result_values(session: ReplaySession) -> dict:
    """Return the ``replay_sessions`` columns that change as the session plays."""
    summary = session.summary()
    return {
        "disp_tf": session.state()["disp_tf"],
        "status": "ended" if session.ended else "active",
        "result_pnl": summary["pnl"],
        "max_dd": summary["max_dd"],
        "num_trades": summary["num_trades"],
        "win_rate": summary["win_rate"],
        "avg_r": summary["avg_r"],
    }


def _new_session_row(session: ReplaySession, player: str | None) -> dict:
    """Return the ``replay_sessions`` columns fixed when the session is first stored."""
    cfg = session.config
    params = cfg.to_params()
    return {
        "session_id": cfg.session_id,
        "symbol": cfg.symbol,
        "exec_tf": "1m",
        "t_start": params["t_start"],
        "t_end": params["t_end"],
        "params": canonical_json(params),
        "data_fingerprint": session.fingerprint,
        "parent_session_id": cfg.parent_session_id,
        "player": player or "human",
    }


def _order(column: sa.Column, direction: str) -> sa.ColumnElement:
    """Return ``column`` sorted in ``direction``, a missing value (NULL) first going up and
    last going down on every backend (SQLite's way; PostgreSQL's default is the reverse)."""
    if direction == "desc":
        return column.desc().nulls_last() if column.nullable else column.desc()
    return column.asc().nulls_first() if column.nullable else column.asc()


_TRADE_KEYS = tuple(c.name for c in db.replay_trades.columns if c.name != "session_id")


def _trade_row(session_id: str, trade: dict, status: str) -> dict:
    """Return a trade as its ``replay_trades`` row."""
    row = {k: trade.get(k) for k in _TRADE_KEYS}
    row.update(session_id=session_id, status=status, mods_count=trade.get("mods_count") or 0)
    return row


def _open_trade_row(session_id: str, session: ReplaySession) -> dict:
    """Return the open trade as it stands: entry, size, realised PnL (its excursions are
    known once it closes; the cockpit shows them live)."""
    trade = session.portfolio.open_trade
    d = trade.to_dict()
    d.update(
        entry_ts=iso_utc(trade.entry_ts),
        exit_ts=None,
        exit_px=None,
        entry_px=round(trade.entry_px, 6),
        pnl=round(trade.pnl, 6),
        mae=None,
        mfe=None,
        r_multiple=None,
        reason_code=None,
    )
    return _trade_row(session_id, d, "open")


def _session_dict(row) -> dict:
    d = dict(row)
    d["params"] = json.loads(d["params"])
    if "tags" in d:
        d["tags"] = json.loads(d["tags"]) if d["tags"] else []
    if "has_journal" in d:
        d["has_journal"] = bool(d["has_journal"])
    return d

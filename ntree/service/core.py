"""The replay service: session lifecycle and commands, for every client (no HTTP, no Dash).

:class:`ReplayService` turns JSON-ready request bodies into engine commands on the cached
session and answers JSON-ready dicts; the Flask routes (:mod:`ntree.api`) and the Dash pages
are two thin clients of it, so a bot and the cockpit see exactly the same rules. Every
refusal is a :class:`~ntree.service.errors.ServiceError` raised before or instead of
changing anything (the HTTP edge maps its code to a status).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa

from ntree import db, market, session_file
from ntree.cache import SessionCache, UnknownSession
from ntree.engine import FILL_MODEL_KNOBS, MAX_SPEED, EngineError, SessionConfig
from ntree.engine.commands import PlaceLadder
from ntree.engine.config import DEFAULT_LEVERAGE
from ntree.engine.ticks import DISP_TFS
from ntree.journal import JournalError, JournalStore, check_names
from ntree.runner import (
    CONTEXT_SESSIONS,
    CheckResult,
    fork_session,
    load_session_bars,
    open_session,
    restore_session,
    start_session,
)
from ntree.runner import parse_time as runner_parse_time
from ntree.runner import replay_check as runner_replay_check
from ntree.service import coach as coach_service
from ntree.service import playback
from ntree.service.contract import RESULT_KEYS, check_fields, parse_command
from ntree.service.data import DataMethods
from ntree.service.errors import ServiceError
from ntree.store import FILTER_KEYS, SORT_KEYS, SessionStore

MAX_CANDLES = 5_000
FILL_EVENTS = playback.FILLS
MAX_PAGE_SIZE = 1_000
MAX_LABEL = 200
MAX_INT = 2**63 - 1
START_FIELDS = (
    "symbol",
    "t_start",
    "t_end",
    "disp_tf",
    "speed",
    "seed",
    "constraints",
    "fill_model",
    "blind",
    "leverage",
)
JOURNAL_FIELDS = ("session_id", "trade_id", "setup", "text", "tags", "mistakes", "rating")


# --- request checks (the requests that are not commands) ----------------------------------


def _missing(name: str) -> ServiceError:
    return ServiceError("missing_field", f"missing required field {name!r}", name)


def _wrong_type(name: str, expected: str, value: Any) -> ServiceError:
    got = type(value).__name__ if value is not None else "null"
    return ServiceError("bad_type", f"field {name!r} must be {expected}, got {got}", name)


def req_str(body: dict, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, str) or not value.strip():
        raise _wrong_type(name, "a non-empty string", value)
    return value


def req_int(
    body: dict,
    name: str,
    *,
    required: bool = True,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise _wrong_type(name, "an integer", value)
    if abs(value) > MAX_INT:  # the database stores 64-bit integers
        raise ServiceError("out_of_range", f"field {name!r} is too large, got {value}", name)
    if minimum is not None and value < minimum:
        raise ServiceError(
            "out_of_range", f"field {name!r} must be >= {minimum}, got {value}", name
        )
    if maximum is not None and value > maximum:
        raise ServiceError(
            "out_of_range", f"field {name!r} must be <= {maximum}, got {value}", name
        )
    return value


def req_number(body: dict, name: str, *, required: bool = True) -> float | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(name, "a finite number", value)
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise ServiceError("out_of_range", f"field {name!r} is too large", name) from None
    if not math.isfinite(value):
        raise _wrong_type(name, "a finite number", value)
    return value


def req_bool(body: dict, name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _wrong_type(name, "true or false", value)
    return value


def req_dict(body: dict, name: str) -> dict | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_type(name, "an object", value)
    return value


def parse_time(
    value: Any, name: str, *, edge: str, exchange: str = market.EXCHANGE
) -> pd.Timestamp:
    """Parse an ISO 8601 time as :func:`ntree.runner.parse_time` does (a bare date is that
    day's session open or close; no offset means ``exchange`` time), as an API error."""
    if value is None:
        raise _missing(name)
    if not isinstance(value, str):
        raise _wrong_type(name, "an ISO 8601 date or time string", value)
    try:
        return runner_parse_time(value, end=edge == "close", name=name, exchange=exchange)
    except EngineError as exc:
        raise ServiceError(exc.code, str(exc), name) from None
    except (KeyError, ValueError, OverflowError) as exc:
        text = str(exc)
        if "dst" in text.lower() or "nonexistent" in text.lower():
            # A wall time the DST change repeats (Nov) or skips (Mar): ask for an offset.
            kind = "does not exist" if "nonexistent" in text.lower() else "is ambiguous"
            where = market.place(exchange)
            message = f"{name} {value!r} {kind} in {where} time (a DST change); give an offset"
            raise ServiceError("bad_time", message, name) from None
        # A date the exchange calendar does not cover (0001-01-01, 9999-12-31).
        raise ServiceError(
            "no_session", f"{name}: {value!r} is outside the exchange calendar", name
        ) from None


# --- the service ---------------------------------------------------------------------------


class ReplayService(DataMethods):
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
            kwargs["event_id"] = _stored_event_id
        return cls(db_engine, SessionCache(cache_directory, restore, **kwargs))

    # queries --------------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return db.symbols(self.db_engine)

    def data_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        return db.bar_range(self.db_engine, symbol)

    def exchange(self, symbol: str) -> str:
        """Return the calendar code of the exchange ``symbol`` trades on (XNYS by default)."""
        return market.code((db.symbol_info(self.db_engine, symbol) or {}).get("exchange"))

    def list_sessions(self) -> list[dict]:
        return [_jsonable(row) for row in self.store.list_sessions()]

    def get_session(self, session_id: str) -> dict | None:
        row = self.store.get_session(session_id)
        return None if row is None else _jsonable(row)

    def session(self, session_id: str) -> dict | None:
        """Return a session's row (as :meth:`list_sessions` lists it), or None."""
        return self.get_session(session_id)

    def event_log(self, session_id: str, since: int | None = None) -> list[dict]:
        """Return a session's logged events after id ``since`` (all by default)."""
        self._known(session_id)
        return [e.to_dict() for e in self.store.load_events(session_id, since=since)]

    def events(self, body: dict) -> dict:
        """Answer an events request: ``{session_id, since?}`` -> ``{session_id, events}``."""
        sid = req_str(body, "session_id")
        since = req_int(body, "since", required=False, minimum=0)
        return {"session_id": sid, "events": self.event_log(sid, since)}

    def event_page(
        self,
        session_id: str,
        *,
        types: list[str] | None = None,
        page: int = 0,
        page_size: int = 200,
    ) -> dict:
        """Return one page of a session's event log, oldest first (only ``types`` when
        given): ``{events, total, page, page_size, counts}``; ``counts`` has every type's
        count in the whole log, ``total`` those the filter keeps."""
        self._known(session_id)
        page = req_int({"page": page}, "page", minimum=0)
        page_size = req_int({"page_size": page_size}, "page_size", minimum=1, maximum=1_000)
        events, counts = self.store.event_page(
            session_id, list(types or []), page * page_size, page_size
        )
        total = sum(n for kind, n in counts.items() if not types or kind in types)
        return {
            "events": [e.to_dict() for e in events],
            "total": total,
            "page": page,
            "page_size": page_size,
            "counts": counts,
        }

    def trade_list(self, body: dict) -> dict:
        """Answer a trades request: ``{session_id}`` -> ``{session_id, trades}`` (see
        :meth:`trades`)."""
        sid = req_str(body, "session_id")
        return {"session_id": sid, "trades": self.trades(sid)}

    def trade_page(
        self,
        session_id: str,
        *,
        page: int = 0,
        page_size: int = 50,
        exit_from: str | None = None,
        newest_first: bool = False,
    ) -> dict:
        """Return one page of a session's trades by id (the newest first when asked):
        ``{trades, total, page, page_size}``; with ``exit_from`` (ISO UTC) only those open or
        closed at or after it. The open trade carries its excursions so far (see :meth:`trades`)."""
        self._known(session_id)
        page = req_int({"page": page}, "page", minimum=0)
        page_size = req_int({"page_size": page_size}, "page_size", minimum=1, maximum=1_000)
        rows, total = self.store.trade_page(
            session_id, page * page_size, page_size, exit_from=exit_from, newest_first=newest_first
        )
        live = [k for k, r in enumerate(rows) if r["status"] == "open"]
        if live and self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                mae, mfe = s.portfolio.open_excursions()
            rows[live[0]] = {**rows[live[0]], "mae": round(mae, 6), "mfe": round(mfe, 6)}
        return {"trades": rows, "total": total, "page": page, "page_size": page_size}

    def trades(self, session_id: str) -> list[dict]:
        """Return a session's trades as stored: the closed ones (``"status": "closed"``) and
        the open one, if any (``"status": "open"``, no exit; its excursions so far when the
        session is live in the cache)."""
        self._known(session_id)
        rows = self.store.trades(session_id)
        if rows and rows[-1]["status"] == "open" and self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                mae, mfe = s.portfolio.open_excursions()
            rows[-1] = {**rows[-1], "mae": round(mae, 6), "mfe": round(mfe, 6)}
        return rows

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
            raise _wrong_type("sort", "a [column, 'asc'|'desc'] pair", sort)
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
                raise _wrong_type(name, "a string", value)
        found = self.store.query_sessions(page, page_size, (key, direction), filters)
        rows = [_jsonable(row) for row in found["rows"]]
        return {"rows": rows, "total": found["total"], "page": page, "page_size": page_size}

    def rename_session(self, session_id: str, label: str | None) -> dict:
        """Set a session's label (None or blank clears it); return its row."""
        self._known(session_id)
        if label is not None and not isinstance(label, str):
            raise _wrong_type("label", "a string or null", label)
        label = (label or "").strip() or None
        if label is not None and len(label) > MAX_LABEL:
            raise ServiceError(
                "bad_label", f"label must be at most {MAX_LABEL} characters", "label"
            )
        self.store.rename_session(session_id, label)
        return self.session(session_id)

    def set_session_tags(self, session_id: str, tags: list[str] | None) -> dict:
        """Set a session's tags (a list of short strings; None clears them); return its row."""
        self._known(session_id)
        if tags is not None:
            if not isinstance(tags, list):
                raise _wrong_type("tags", "a list of strings", tags)
            tags = self._journal_call(check_names, tags, "tags")
        self.store.set_tags(session_id, tags)
        return self.session(session_id)

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
        if self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                self.store.save(s)
        doc = session_file.export_session(self.db_engine, session_id)
        if doc is None:
            raise ServiceError("unknown_session", f"unknown session: {session_id!r}", "session_id")
        return _jsonable(doc)

    def export_csv(self, session_id: str) -> dict:
        """Return a session's events and trades as CSV text: ``{events_csv, trades_csv}``."""
        self._known(session_id)
        if self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                self.store.save(s)
        return session_file.export_csv(self.db_engine, session_id)

    def import_session(self, doc: dict) -> dict:
        """Load an exported session (its bars too); return ``{session_id, events,
        bars_written}``. Refusals: ``bad_file``, ``session_exists``, ``bars_differ``."""
        try:
            return session_file.import_session(self.db_engine, doc)
        except session_file.SessionFileError as exc:
            raise ServiceError(exc.code, str(exc), "file") from exc

    # journal --------------------------------------------------------------------------

    def journal(self, session_id: str, *, history: bool = False) -> dict:
        """Return a session's journal: the latest note on the session and on each trade
        (with older versions when ``history``), and the setup/mistake lists."""
        if not isinstance(session_id, str) or not session_id.strip():
            raise _wrong_type("session_id", "a non-empty string", session_id)
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
                raise _wrong_type(name, "a string", body[name])
        for name in ("tags", "mistakes"):
            value = body.get(name)
            if value is None:
                continue
            if not isinstance(value, list):
                raise _wrong_type(name, "a list of strings", value)
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise _wrong_type(f"{name}[{i}]", "a string", item)
        self._known(sid)
        return self._journal_call(
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
            raise _missing("names")
        if not isinstance(names, list):
            raise _wrong_type("names", "a list of strings", names)
        self._journal_call(self.journal_store.set_list, kind, names)
        return self.journal_store.lists()

    def _journal_call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except JournalError as exc:
            raise ServiceError(exc.code, str(exc), exc.field) from exc

    def coach(self, filters: dict) -> dict:
        """Answer the Coach over the sessions ``filters`` select (:mod:`ntree.service.coach`)."""
        return coach_service.coach(self, filters)

    def replay_check(self, session_id: str) -> CheckResult:
        """Re-run a stored session from its log and compare every event (``ntree
        replay-check``); the cached session's new events are saved first."""
        self._known(session_id)
        if self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                self.store.save(s)
        try:
            return runner_replay_check(self.db_engine, session_id)
        except EngineError as exc:
            raise _from_engine(exc) from exc

    def state(self, body: dict) -> dict:
        sid = req_str(body, "session_id")
        with self._open(sid, write=False) as s:
            return self._view(s, bars=1)

    def candles(self, body: dict) -> dict:
        sid = req_str(body, "session_id")
        n = req_int(body, "n", required=False, minimum=1, maximum=MAX_CANDLES) or 300
        with self._open(sid, write=False) as s:
            return {"session_id": sid, "disp_tf": s.state()["disp_tf"], "candles": s.candles(n=n)}

    def snapshot(self, session_id: str, n: int) -> dict:
        """Return what the cockpit shows: state, the last ``n`` candles, every fill, the closed
        trades and the open position's excursions so far (``open_mae``/``open_mfe``, points)."""
        with self._open(session_id, write=False) as s:
            view = self._view(s, bars=0)
            view["candles"] = s.candles(n=n)
            view["trades"] = _jsonable(s.trades)
            mae, mfe = s.portfolio.open_excursions()
            view["position"] = {
                **view["position"],
                "open_mae": round(mae, 6),
                "open_mfe": round(mfe, 6),
            }
            return view

    # commands -------------------------------------------------------------------------

    def start(self, body: dict) -> dict:
        """Validate a start request, open the session, persist it and return its state."""
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        check_fields(body, START_FIELDS)
        symbol = req_str(body, "symbol")
        known = self.symbols()
        if symbol not in known:
            raise ServiceError(
                "unknown_symbol", f"unknown symbol {symbol!r}; have {known}", "symbol"
            )
        exchange = self.exchange(symbol)
        t_start = parse_time(body.get("t_start"), "t_start", edge="open", exchange=exchange)
        t_end = parse_time(body.get("t_end"), "t_end", edge="close", exchange=exchange)
        if t_end <= t_start:
            raise ServiceError("bad_range", "t_end must be after t_start", "t_end")
        lo, hi = self.data_range(symbol)
        if t_start < lo or t_start > hi or t_end > hi + pd.Timedelta(minutes=1):
            # the field at fault: t_start when it is out of the data, else t_end
            raise ServiceError(
                "outside_data",
                f"{symbol} has data from {lo.isoformat()} to {hi.isoformat()}; "
                f"asked {t_start.isoformat()} .. {t_end.isoformat()}",
                "t_start" if t_start < lo or t_start > hi else "t_end",
            )
        disp_tf = req_str(body, "disp_tf")
        if disp_tf not in DISP_TFS:
            raise ServiceError(
                "bad_tf", f"disp_tf must be one of {list(DISP_TFS)}, got {disp_tf!r}", "disp_tf"
            )
        speed = req_number(body, "speed", required=False)
        speed = 1.0 if speed is None else speed
        if not 0 < speed <= MAX_SPEED:
            raise ServiceError(
                "bad_speed", f"speed must be a number in (0, {MAX_SPEED}], got {speed}", "speed"
            )
        seed = req_int(body, "seed", required=False) or 0  # the engine checks its range
        leverage = req_number(body, "leverage", required=False)  # the engine checks its range
        constraints = req_dict(body, "constraints") or {}
        check_fields(constraints, ("edit_on_disp_boundary",))
        boundary = req_bool(constraints, "edit_on_disp_boundary", True)
        fill_model = req_dict(body, "fill_model") or {}
        for key in fill_model:
            if key not in FILL_MODEL_KNOBS:
                raise ServiceError(
                    "unknown_field",
                    f"fill_model has no {key!r}; its knobs are {list(FILL_MODEL_KNOBS)}",
                    f"fill_model.{key}",
                )
        blind = req_bool(body, "blind", False)
        sid = uuid.uuid4().hex[:12]
        try:
            s = open_session(
                self.db_engine,
                symbol,
                t_start,
                t_end,
                DISP_TFS[disp_tf],
                seed=seed,
                session_id=sid,
                speed=speed,
                edit_on_disp_boundary=boundary,
                blind=blind,
                context_sessions=CONTEXT_SESSIONS,  # 200 bars of context on every frame
                leverage=DEFAULT_LEVERAGE if leverage is None else leverage,
                **fill_model,
            )
        except EngineError as exc:
            err = _from_engine(exc)
            if exc.field in fill_model:
                err.field = f"fill_model.{exc.field}"
            raise err from exc
        sid = s.config.session_id
        events = self.store.save(s)
        self.cache.put(s, sid)
        return {"session_id": sid, "initial_state": self._view(s, events=events, bars=1)}

    def command(self, op: str, body: dict) -> dict:
        """Run one command of the registry (``step``, ``place``, ...) on the session the
        body names, and return the new state (plus the command's result, see RESULT_KEYS).

        The body's shape and types are checked here; the engine judges the values, and an
        order command it refuses stays in the log as ORDER_REJECTED (as in a headless run).
        """
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        if op == "rewind":
            return self.rewind(body)
        if op == "ladder_preview":
            return self.ladder_preview(body)
        sid = req_str(body, "session_id")
        command = parse_command(op, body)
        with self._open(sid) as s:
            disp_before = s.disp_index
            rejected: EngineError | None = None
            try:
                result = s.execute(command)
            except EngineError as exc:
                rejected, result = exc, None
            events = self.store.save(s)
            if self.after_commit is not None:
                self.after_commit(command.op)
            if command.op == "step":  # exactly the bars it made: those completed, the forming
                bars = max(s.disp_index - disp_before, 0) + (not s.at_boundary)
            else:  # the latest bar
                bars = 1
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise _from_engine(rejected) from rejected
        key = RESULT_KEYS.get(command.op)
        if key is not None:
            view[key] = result
        return view

    def step_to_fill(self, body: dict) -> dict:
        """Step ``disp_steps`` display bars (default 1) as playback with auto-pause does:
        stop after the 1m bar of the first fill, not at the display bar's end."""
        check_fields(body, ("session_id", "disp_steps"))
        n = req_int(body, "disp_steps", required=False, minimum=1) or 1
        return self._play(body, lambda s: s.clock.disp_target(n), stop_on_fill=True)

    def jump(self, body: dict) -> dict:
        """Play up to ``to`` (a time, New York unless it says, or ``next_open``); with
        ``stop_on_fill``, stop after the 1m bar of a fill on the way."""
        check_fields(body, ("session_id", "to", "stop_on_fill"))
        stop = req_bool(body, "stop_on_fill", False)
        return self._play(body, lambda s: playback.jump_target(s, body.get("to")), stop)

    def _play(self, body: dict, target_of: Callable, stop_on_fill: bool) -> dict:
        sid = req_str(body, "session_id")
        with self._open(sid) as s:
            disp_before = s.disp_index
            rejected: EngineError | None = None
            try:
                playback.run_until(s, target_of(s), stop_on_fill=stop_on_fill)
            except EngineError as exc:
                rejected = exc
            events = self.store.save(s)
            bars = max(s.disp_index - disp_before, 0) + (not s.at_boundary)
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise _from_engine(rejected) from rejected
        return view

    def ladder_preview(self, body: dict) -> dict:
        """Return the orders ``place_ladder`` would lay now, with the same request (nothing
        is placed or logged: the chart draws them before the trader places them)."""
        sid = req_str(body, "session_id")
        command = parse_command("place_ladder", body)
        assert isinstance(command, PlaceLadder)
        with self._open(sid, write=False) as s:
            try:
                orders = s.ladder_plan(command)
            except EngineError as exc:
                raise _from_engine(exc) from exc
            return {"session_id": sid, "last_price": s.last_price, "orders": orders}

    def rewind(self, body: dict) -> dict:
        """Fork the session ``disp_bars`` display bars back; the parent log stays as it is."""
        check_fields(body, ("session_id", "disp_bars"))
        sid = req_str(body, "session_id")
        n = req_int(body, "disp_bars")  # the engine checks it (bad_rewind)
        with self._open(sid, write=False) as s:  # an ended session can be rewound too
            try:
                fork = fork_session(self.db_engine, s, n)  # saves the parent's log first
            except EngineError as exc:
                raise _from_engine(exc) from exc
            back = s.disp_bars_since(fork.i)
        new_id = fork.config.session_id
        events = self.store.save(fork)
        self.cache.put(fork, new_id)
        self.store.mark_forked(sid)  # the trader left it for the fork
        return {
            "session_id": new_id,
            "parent_session_id": sid,
            "disp_bars": back,
            "initial_state": self._view(fork, events=events, bars=1),
        }

    # helpers --------------------------------------------------------------------------

    def _known(self, session_id: str) -> None:
        # The database alone says (a snapshot that outlived its log is no session).
        if self.store.get_session(session_id) is None:
            raise ServiceError("unknown_session", f"unknown session: {session_id!r}", "session_id")

    def _open(self, session_id: str, *, write: bool = True):
        return _Opened(self.cache, session_id, write)

    def _view(self, s, *, events: list | None = None, bars: int = 1) -> dict:
        """Return the JSON-ready state plus new events, the latest bar(s) and all fills."""
        view = dict(s.state())
        view["events"] = [e.to_dict() for e in events or []]
        candles = s.candles(n=bars) if bars > 0 else []
        view["bars"] = candles
        # Overlays of the last *completed* candle (a forming one has none yet).
        done = [c for c in candles if not c.get("forming")] or s.candles(n=2)[:1]
        last = done[-1] if done else None
        view["overlays"] = (
            {k: last.get(k) for k in ("ema9", "ema21", "vwap", "ch_upper", "ch_mid", "ch_lower")}
            if last
            else {}
        )
        view["fills"] = [f.to_dict() for f in s.fills]
        if s.config.blind:  # the values stay real: the cockpit masks them (ntree/ui/blind.py)
            view["blind"] = True
            view["blind_rebase"] = blind_rebase(s.config)
        return view

    # the session review (film room) --------------------------------------------------

    def review_chart(self, session_id: str, n: int = MAX_CANDLES) -> dict:
        """Return what the review chart draws, read without re-running the log:
        ``{disp_tf, candles, fills, bars_played}`` -- the last ``n`` display candles up to
        the session's cursor (with indicators; a forming one last), the fills at or after
        the first of them, and how many display bars the session completed in all.

        Candles depend only on the bars, the display frame and the cursor, so a session
        that never switched frames is drawn from an unplayed copy moved to its last
        event's bar (a 100,000-event log reads in milliseconds, a rebuild takes seconds);
        one that switched frames is opened as the cockpit opens it."""
        self._known(session_id)
        n = req_int({"n": n}, "n", minimum=1, maximum=MAX_CANDLES)
        store = self.store
        start, _ = store.event_page(session_id, ["SESSION_START"], 0, 1, counts=False)
        switched, _ = store.event_page(session_id, ["DISP_TF_CHANGE"], 0, 1, counts=False)
        if switched or not start:
            with self._open(session_id, write=False) as s:
                return self._review_view(session_id, s, n)
        config = SessionConfig.from_params(start[0].payload["params"])
        try:
            s = start_session(config, load_session_bars(self.db_engine, config))
        except EngineError as exc:  # its bars were deleted since it was played
            raise ServiceError(
                "data_changed", f"session {session_id!r} cannot re-run: {exc}", "session_id"
            ) from exc
        s.clock.move(self._logged_cursor(session_id, s.clock))
        return self._review_view(session_id, s, n)

    def _logged_cursor(self, session_id: str, clock) -> int:
        """Return the 1m index the cursor stands at after the log: an event is logged at the
        cursor (a fill at its bar) and a STEP before it moves, so the later of the last
        event's bar and the last step's target."""
        newest = {"newest_first": True, "counts": False}
        last, _ = self.store.event_page(session_id, None, 0, 1, **newest)
        at = int(clock.ts.searchsorted(last[0].ts_exec))
        step, _ = self.store.event_page(session_id, ["STEP"], 0, 1, **newest)
        if not step:
            return at
        clock.move(int(clock.ts.searchsorted(step[0].ts_exec)))
        return max(at, clock.step_target(step[0].payload["cmd"]["args"]))

    def _review_view(self, session_id: str, s, n: int) -> dict:
        candles = s.candles(n=n)
        fills = _logged_fills(self.db_engine, session_id, candles[0]["ts"] if candles else None)
        played = s.disp_index - int(s.codes[s.clock.i_start])
        return {
            "disp_tf": s.state()["disp_tf"],
            "candles": candles,
            "fills": fills,
            "bars_played": played,
        }

    def fork_at(self, session_id: str, ts: Any) -> dict:
        """Fork the session so that the display bar opening at (or holding) ``ts`` is the
        last one the fork has seen: its cursor stands at that bar's close. Answers as
        :meth:`rewind`; a bar at or after the cursor, or in the history before the bar before
        the session's start, is a ``bad_rewind``."""
        at = parse_time(ts, "ts", edge="open")
        with self._open(session_id, write=False) as s:
            picked = int(s.clock.disp_ts.searchsorted(at.value, side="right")) - 1
            back = bars_back(picked, s.disp_index)
            first = int(s.codes[s.clock.i_start])  # the session's first display bar
        if back < 1:
            raise ServiceError(
                "bad_rewind", "pick a bar before the session's last one to fork from", "ts"
            )
        if picked + 1 < first:  # the history before the start: no fork has seen it last
            raise ServiceError(
                "bad_rewind", "pick a bar of the session (from the bar before its start)", "ts"
            )
        return self.rewind({"session_id": session_id, "disp_bars": back})


def blind_rebase(config: SessionConfig) -> dict:
    """Return what a client needs to show a blind session as the cockpit does: the anchors,
    the real tick and the starting cash (see :class:`ntree.blind.Rebase`)."""
    return {
        "price_anchor": config.blind_price_anchor,
        "volume_anchor": config.blind_volume_anchor,
        "tick": config.tick,
        "initial_cash": config.initial_cash,
    }


def bars_back(picked: int, cursor: int) -> int:
    """Return how many display bars to rewind from display bar ``cursor`` (the one the
    cursor is in) so that display bar ``picked`` is the last the fork has seen."""
    return cursor - picked - 1


_FILL_KEYS = ("order_id", "side", "qty", "price", "role")


class _Opened:
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


def _logged_fills(db_engine: sa.Engine, session_id: str, ts_from: str | None) -> list[dict]:
    """Return the session's fills at or after ``ts_from`` (ISO; all when None) from its log,
    in the state's form (the times stay text: a chart of thousands of fills pays for
    nothing else)."""
    t = db.replay_events
    where = [t.c.session_id == session_id, t.c.event_type == "FILL"]
    if ts_from is not None:  # ISO 8601 UTC text of one width: it sorts as time does
        where.append(t.c.ts_exec >= ts_from)
    q = sa.select(t.c.ts_exec, t.c.payload_json).where(*where).order_by(t.c.seq)
    with db_engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for ts, payload in rows:
        p = orjson.loads(payload)
        out.append({"ts_exec": ts, **{k: p[k] for k in _FILL_KEYS}})
    return out


def _stored_event_id(session) -> int:
    """Return the id of the last event of ``session`` that the store has (its pending
    events are not stored yet)."""
    return session.log.seq - len(session.log.pending())


#: The request field an engine rejection is about, so clients can point at it.
ENGINE_FIELD = {
    "off_tick": "price",
    "bad_price": "price",
    "stop_through_market": "price",
    "bad_qty": "qty",
    "bad_side": "side",
    "bad_type": "type",
    "bad_tag": "tag",
    "bad_oco": "oco_group",
    "bad_bracket": "bracket",
    "bad_orders": "orders",
    "unknown_order": "order_id",
    "bad_tf": "disp_tf",
    "bad_speed": "speed",
    "bad_note": "text",
    "bad_step": "disp_steps",
    "bad_rewind": "disp_bars",
    "no_position": "session_id",
    "session_ended": "session_id",
    "insufficient_buying_power": "qty",
    "unknown_ladder": "ladder_id",
    "bad_ladder": "weights",
    "no_band": "session_id",
}
_ITEM = re.compile(r"^(orders\[\d+\]): ")


def _from_engine(exc: EngineError) -> ServiceError:
    """Return the engine's refusal as a service error with the request field at fault (an
    item of replace_orders: ``orders[2].price``)."""
    code = getattr(exc, "code", "rejected")
    field = getattr(exc, "field", None) or ENGINE_FIELD.get(code)
    item = _ITEM.match(str(exc))
    if item and field != "orders":
        field = f"{item[1]}.{field}" if field else item[1]
    return ServiceError(code, str(exc), field)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        return obj.item()
    return obj

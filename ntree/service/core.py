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
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db
from ntree.cache import SessionCache, UnknownSession
from ntree.engine import FILL_MODEL_KNOBS, MAX_SPEED, EngineError
from ntree.market import DISP_TFS
from ntree.runner import CheckResult, fork_session, open_session, restore_session
from ntree.runner import parse_time as runner_parse_time
from ntree.runner import replay_check as runner_replay_check
from ntree.service import coach as coach_service
from ntree.service.contract import RESULT_KEYS, parse_command
from ntree.service.errors import ServiceError
from ntree.store import SessionStore

MAX_CANDLES = 5_000
FILL_EVENTS = frozenset({"FILL", "TARGET_FILLED", "STOP_TRIGGERED"})


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
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong_type(name, "a finite number", value)
    return float(value)


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


def parse_time(value: Any, name: str, *, edge: str) -> pd.Timestamp:
    """Parse an ISO 8601 time as :func:`ntree.runner.parse_time` does (a bare date is that
    day's session open or close; no offset means New York time), as an API error."""
    if value is None:
        raise _missing(name)
    if not isinstance(value, str):
        raise _wrong_type(name, "an ISO 8601 date or time string", value)
    try:
        return runner_parse_time(value, end=edge == "close", name=name)
    except EngineError as exc:
        raise ServiceError(exc.code, str(exc), name) from None


# --- the service ---------------------------------------------------------------------------


class ReplayService:
    """Session commands on the shared cache, persisted to the event log after each one."""

    def __init__(self, db_engine: sa.Engine, cache: SessionCache) -> None:
        self.db_engine = db_engine
        self.store = SessionStore(db_engine)
        self.cache = cache
        self.coach_bundles = coach_service.BundleCache()

    @classmethod
    def create(
        cls, db_engine: sa.Engine, cache_directory, *, ttl_s: float | None = None
    ) -> ReplayService:
        """Build a service whose cache restores expired sessions from the event log."""

        def restore(session_id: str):
            if db_engine is None or not _session_exists(db_engine, session_id):
                return None
            return restore_session(db_engine, session_id)

        kwargs = {} if ttl_s is None else {"ttl_s": ttl_s}
        return cls(db_engine, SessionCache(cache_directory, restore, **kwargs))

    # queries --------------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return db.symbols(self.db_engine)

    def data_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        return db.bar_range(self.db_engine, symbol)

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

    def trades(self, session_id: str) -> list[dict]:
        """Return a session's closed trades as stored."""
        self._known(session_id)
        return self.store.trades(session_id)

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
        symbol = req_str(body, "symbol")
        known = self.symbols()
        if symbol not in known:
            raise ServiceError(
                "unknown_symbol", f"unknown symbol {symbol!r}; have {known}", "symbol"
            )
        t_start = parse_time(body.get("t_start"), "t_start", edge="open")
        t_end = parse_time(body.get("t_end"), "t_end", edge="close")
        if t_end <= t_start:
            raise ServiceError("bad_range", "t_end must be after t_start", "t_end")
        lo, hi = self.data_range(symbol)
        if t_start < lo or t_start > hi or t_end > hi + pd.Timedelta(minutes=1):
            raise ServiceError(
                "outside_data",
                f"{symbol} has data from {lo.isoformat()} to {hi.isoformat()}; "
                f"asked {t_start.isoformat()} .. {t_end.isoformat()}",
                "t_start",
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
        constraints = req_dict(body, "constraints") or {}
        boundary = req_bool(constraints, "edit_on_disp_boundary", True)
        fill_model = req_dict(body, "fill_model") or {}
        for key in fill_model:
            if key not in FILL_MODEL_KNOBS:
                raise ServiceError(
                    "unknown_field",
                    f"fill_model has no {key!r}; its knobs are {list(FILL_MODEL_KNOBS)}",
                    f"fill_model.{key}",
                )
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
            bars = max(s.disp_index - disp_before, 0) + 1
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise _from_engine(rejected) from rejected
        key = RESULT_KEYS.get(command.op)
        if key is not None:
            view[key] = result
        return view

    def rewind(self, body: dict) -> dict:
        """Fork the session ``disp_bars`` display bars back; the parent log stays as it is."""
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
        return {
            "session_id": new_id,
            "parent_session_id": sid,
            "disp_bars": back,
            "initial_state": self._view(fork, events=events, bars=1),
        }

    # helpers --------------------------------------------------------------------------

    def _known(self, session_id: str) -> None:
        if self.store.get_session(session_id) is None and not self.cache.contains(session_id):
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
        return view


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

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _session_exists(db_engine: sa.Engine, session_id: str) -> bool:
    q = sa.select(db.replay_sessions.c.session_id).where(
        db.replay_sessions.c.session_id == session_id
    )
    with db_engine.connect() as conn:
        return conn.execute(q).first() is not None


#: The request field an engine rejection is about, so clients can point at it.
ENGINE_FIELD = {
    "off_tick": "price",
    "bad_price": "price",
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

"""The replay service: session lifecycle and commands, for every client (no HTTP, no Dash).

:class:`ReplayService` turns JSON-ready request bodies into engine commands on the cached
session and answers JSON-ready dicts; the Flask routes (:mod:`ntree.api`) and the Dash pages
are two thin clients of it, so a bot and the cockpit see exactly the same rules. Every
refusal is a :class:`~ntree.service.errors.ServiceError` raised before or instead of
changing anything (the HTTP edge maps its code to a status).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db
from ntree.cache import SessionCache, UnknownSession
from ntree.engine import FILL_MODEL_KNOBS, MAX_SPEED, EngineError
from ntree.engine.orders import ORDER_TYPE_ALIASES
from ntree.engine.orders import ORDER_TYPES as ENGINE_ORDER_TYPES
from ntree.engine.ticks import DISP_TFS, TICK, is_on_tick
from ntree.runner import fork_session, open_session, restore_session
from ntree.runner import parse_time as runner_parse_time
from ntree.service.errors import ServiceError
from ntree.store import SessionStore

SIDES = ("BUY", "SELL")
ORDER_TYPES = (*ENGINE_ORDER_TYPES, *ORDER_TYPE_ALIASES)  # what a request may name
MAX_STEPS = 10_000
MAX_CANDLES = 5_000
MAX_NOTE = 2_000
MAX_ORDERS = 100  # orders in one replace_orders command
FILL_EVENTS = frozenset({"FILL", "TARGET_FILLED", "STOP_TRIGGERED"})


# --- request validation -------------------------------------------------------------------


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


def req_number(
    body: dict, name: str, *, required: bool = True, positive: bool = False
) -> float | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong_type(name, "a finite number", value)
    if positive and value <= 0:
        raise ServiceError("out_of_range", f"field {name!r} must be > 0, got {value}", name)
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


def req_choice(body: dict, name: str, choices: tuple[str, ...] | list[str]) -> str:
    value = req_str(body, name)
    if value not in choices:
        raise ServiceError(
            "bad_value", f"field {name!r} must be one of {list(choices)}, got {value!r}", name
        )
    return value


def req_price(body: dict, name: str, *, required: bool = True) -> float | None:
    price = req_number(body, name, required=required)
    if price is None:
        return None
    if price <= 0:
        raise ServiceError("bad_price", f"field {name!r} must be > 0, got {price}", name)
    if not is_on_tick(price):
        raise ServiceError("off_tick", f"{name} {price} is not on the {TICK} tick", name)
    return round(price, 2)


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

    def events(self, body: dict) -> dict:
        sid = req_str(body, "session_id")
        since = req_int(body, "since", required=False, minimum=0)
        if self.store.get_session(sid) is None and not self.cache.contains(sid):
            raise ServiceError("unknown_session", f"unknown session: {sid!r}", "session_id")
        events = self.store.load_events(sid, since=since)
        return {"session_id": sid, "events": [e.to_dict() for e in events]}

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
        disp_tf = req_choice(body, "disp_tf", list(DISP_TFS))
        speed = req_number(body, "speed", required=False, positive=True) or 1.0
        if speed > MAX_SPEED:
            raise ServiceError(
                "out_of_range", f"field 'speed' must be <= {MAX_SPEED}, got {speed}", "speed"
            )
        seed = req_int(body, "seed", required=False, minimum=0) or 0
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

    def command(self, name: str, body: dict) -> dict:
        """Run one session command (``step``, ``place``, ...) and return the new state."""
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        if name == "rewind":
            return self.rewind(body)
        handler = COMMANDS.get(name)
        if handler is None:
            raise ServiceError("unknown_command", f"unknown command {name!r}")
        sid = req_str(body, "session_id")
        with self._open(sid) as s:
            if s.ended:
                raise ServiceError("session_ended", f"session {sid} has ended", "session_id")
            disp_before = s.disp_index
            rejected: EngineError | None = None
            try:
                extra = handler(s, body)
            except EngineError as exc:
                # The engine changed nothing but its log (ORDER_REJECTED, as in a headless
                # run): keep that record, then answer the error.
                rejected, extra = exc, None
            events = self.store.save(s)
            bars = max(s.disp_index - disp_before, 0) + 1
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise _from_engine(rejected) from rejected
        if isinstance(extra, dict):
            view.update(extra)
        return view

    def rewind(self, body: dict) -> dict:
        """Fork the session ``disp_bars`` display bars back; the parent log stays as it is."""
        sid = req_str(body, "session_id")
        n = req_int(body, "disp_bars", minimum=1)
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
    "bad_bracket": "bracket",
    "bad_orders": "orders",
    "unknown_order": "order_id",
    "bad_tf": "disp_tf",
    "bad_speed": "speed",
    "bad_step": "disp_steps",
    "bad_rewind": "disp_bars",
    "no_position": "session_id",
    "session_ended": "session_id",
}


def _from_engine(exc) -> ServiceError:
    code = getattr(exc, "code", "rejected")
    field = getattr(exc, "field", None) or ENGINE_FIELD.get(code)
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


# --- command handlers: (session, body) -> extra response fields -----------------------------


def _step(s, body: dict) -> None:
    disp = req_int(body, "disp_steps", required=False, minimum=1, maximum=MAX_STEPS)
    exe = req_int(body, "exec_steps", required=False, minimum=1, maximum=MAX_STEPS)
    if (disp is None) == (exe is None):
        raise ServiceError(
            "missing_field", "give exactly one of 'disp_steps' or 'exec_steps'", "disp_steps"
        )
    if disp is not None:
        s.advance(disp_steps=disp)
    else:
        s.advance(exec_steps=exe)


def _bracket_arg(body: dict) -> dict | None:
    bracket = req_dict(body, "bracket")
    if bracket is None:
        return None
    unknown = sorted(set(bracket) - {"tp", "sl"})
    if unknown:
        raise ServiceError(
            "bad_bracket", f"bracket takes only 'tp' and 'sl', got {unknown}", "bracket"
        )
    tp = req_price(bracket, "tp", required=False)
    sl = req_price(bracket, "sl", required=False)
    if tp is None and sl is None:
        raise ServiceError("missing_field", "bracket needs 'tp' or 'sl'", "bracket")
    return {"tp": tp, "sl": sl}


def _order_args(body: dict) -> dict:
    """Return ``place``'s arguments from a request body (one order)."""
    otype = req_choice(body, "type", ORDER_TYPES)
    return {
        "side": req_choice(body, "side", SIDES),
        "type": otype,
        "qty": req_int(body, "qty", minimum=1),
        "price": req_price(body, "price", required=otype != "MARKET"),  # MARKET + price: no
        "tag": req_str(body, "tag", required=False),
        "oco_group": req_str(body, "oco_group", required=False),
        "bracket": _bracket_arg(body),
    }


def _place(s, body: dict) -> dict:
    return {"order_id": s.place(**_order_args(body))}


def _replace_orders(s, body: dict) -> dict:
    orders = body.get("orders")
    if orders is None:
        raise _missing("orders")
    if not isinstance(orders, list):
        raise _wrong_type("orders", "a list of orders", orders)
    if len(orders) > MAX_ORDERS:
        raise ServiceError(
            "out_of_range", f"at most {MAX_ORDERS} orders at once, got {len(orders)}", "orders"
        )
    checked = []
    for n, item in enumerate(orders):
        if not isinstance(item, dict):
            raise _wrong_type(f"orders[{n}]", "an order object", item)
        try:
            checked.append(_order_args(item))
        except ServiceError as err:
            raise ServiceError(
                err.code, f"orders[{n}]: {err.message}", f"orders[{n}].{err.field}"
            ) from None
    return {"order_ids": s.replace_orders(checked)}


def _order_id(body: dict) -> int:
    return req_int(body, "order_id")


def _cancel(s, body: dict) -> None:
    s.cancel(_order_id(body))


def _modify(s, body: dict) -> None:
    oid = _order_id(body)
    price = req_price(body, "price", required=False)
    qty = req_int(body, "qty", required=False, minimum=1)
    if price is None and qty is None:
        raise ServiceError("missing_field", "modify needs 'price' or 'qty'", "price")
    s.modify(oid, price=price, qty=qty)


def _bracket(s, body: dict) -> None:
    tp = req_price(body, "tp", required=False)
    sl = req_price(body, "sl", required=False)
    if tp is None and sl is None:
        raise ServiceError("missing_field", "bracket needs 'tp' or 'sl'", "tp")
    s.set_bracket(tp=tp, sl=sl)


def _set_speed(s, body: dict) -> None:
    s.set_speed(req_number(body, "speed", positive=True))


def _set_disp_tf(s, body: dict) -> None:
    s.set_disp_tf(DISP_TFS[req_choice(body, "disp_tf", list(DISP_TFS))])


def _note(s, body: dict) -> None:
    text = req_str(body, "text")
    if len(text) > MAX_NOTE:
        raise ServiceError("too_long", f"note is longer than {MAX_NOTE} characters", "text")
    s.note(text)


COMMANDS: dict[str, Callable[[Any, dict], dict | None] | None] = {
    "step": _step,
    "place": _place,
    "cancel": _cancel,
    "modify": _modify,
    "cancel_all": lambda s, body: {"canceled": s.cancel_all()},
    "replace_orders": _replace_orders,
    "flatten": lambda s, body: s.flatten(),
    "bracket": _bracket,
    "set_speed": _set_speed,
    "set_disp_tf": _set_disp_tf,
    "pause": lambda s, body: s.pause(),
    "play": lambda s, body: s.play(),
    "note": _note,
    "end": lambda s, body: s.end(),
    "rewind": None,  # forks: handled by ReplayService.rewind
}

#: URL path under /replay -> command name.
POST_ROUTES = {
    "step": "step",
    "order/place": "place",
    "order/cancel": "cancel",
    "order/modify": "modify",
    "cancel_all": "cancel_all",
    "order/replace": "replace_orders",
    "flatten": "flatten",
    "bracket": "bracket",
    "set_speed": "set_speed",
    "set_disp_tf": "set_disp_tf",
    "pause": "pause",
    "play": "play",
    "note": "note",
    "end": "end",
    "rewind": "rewind",
}

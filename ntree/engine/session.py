"""ReplaySession: the two-clock state machine at the heart of ntree.

The trader decides on *display* candles (5m..1h); orders fill against the 1-minute
*execution* bars inside them. ``step()`` walks the 1m bars one by one where an order can
trigger and skips, in bulk, the spans that no order can reach (the result is identical to
the plain per-bar loop; a test proves it). Every command and every consequence is an
:class:`~ntree.engine.events.Event`; the session is pure (no clock, no I/O), so the same bars
and the same commands always give the same log, byte for byte.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from operator import itemgetter

import numpy as np
import pandas as pd

from ntree.engine.aggregate import aggregate, bucket_codes, local_days
from ntree.engine.book import TriggerBook
from ntree.engine.commands import (
    COMMANDS,
    Cancel,
    CancelAll,
    Command,
    End,
    Flatten,
    Modify,
    Note,
    Pause,
    Place,
    Play,
    ReplaceOrders,
    SetBracket,
    SetDispTf,
    SetSpeed,
    Step,
    command_from_log,
)
from ntree.engine.errors import DataChangedError, EngineError
from ntree.engine.events import LOG_FORMAT, Event, EventType, iso_utc
from ntree.engine.fills import (
    FILL_MODEL_KNOBS,
    direction_of_bar,
    limit_fill_price,
    market_fill_price,
    stop_fill_price,
    trigger_distance,
)
from ntree.engine.indicators import add_indicators
from ntree.engine.orders import (
    LIMIT,
    MARKET,
    ORDER_TYPE_ALIASES,
    ORDER_TYPES,
    SIDE_NAMES,
    SIDES,
    STOP,
    WORKING,
    Fill,
    Order,
)
from ntree.engine.portfolio import Portfolio, _money
from ntree.engine.ticks import EXCHANGE_TZ, disp_tf_label, parse_disp_tf, round_to_tick
from ntree.engine.views import CANDLE_COLUMNS, SessionViews

NS_PER_MIN = 60_000_000_000
_EXIT_REASONS = {"tp": "target", "sl": "stop", "flatten": "flatten"}
_by_distance_then_id = itemgetter(0, 1)  # direction lock: nearest the open, then FIFO
_PLACE_ARGS = frozenset(("side", "type", "qty", "price", "tag", "oco_group", "bracket"))
_new_tuple = tuple.__new__  # a named tuple without its argument parsing (hot loop only)
_SCAN_CHUNK = 512
_SHORT_SPAN = 48  # below this many bars a Python loop beats numpy's call overhead


_PLAIN_TYPES = frozenset((str, int, float))


def _plain(value: object) -> object:
    """Return ``value`` as the log holds it: numpy scalars as Python numbers, text subclasses
    as text, tuples as lists (a bot's ``np.float64`` price is logged, and re-run, as the
    float it is)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str) and value.__class__ is not str:
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _given(args: dict, *, copy: bool = False) -> dict:
    """Return a command's arguments as logged: plain values, without those left out (None);
    ``copy`` when ``args`` is the caller's (the log must not change if the caller's does)."""
    for value in args.values():
        if value is None or value.__class__ not in _PLAIN_TYPES:
            return {k: _plain(v) for k, v in args.items() if v is not None}
    return dict(args) if copy else args


def _loggable(value: object) -> bool:
    """True when ``value`` is plain JSON that reads back as itself (finite numbers, text keys)."""
    cls = value.__class__
    if value is None or cls is str or cls is bool:
        return True
    if cls is int:
        return -(2**63) <= value < 2**64  # what the log's JSON encoder takes
    if cls is float:
        return math.isfinite(value)
    if cls is list:
        return all(_loggable(v) for v in value)
    if cls is dict:
        return all(k.__class__ is str and _loggable(v) for k, v in value.items())
    return False


@dataclass(frozen=True)
class SessionConfig:
    """Everything that defines a session's results. Speed is pacing only and changes nothing."""

    session_id: str
    symbol: str
    disp_tf: int
    t_start: pd.Timestamp
    t_end: pd.Timestamp
    seed: int = 0
    edit_on_disp_boundary: bool = True
    speed: float = 1.0
    tick: float = 0.01
    initial_cash: float = 100_000.0
    commission_per_share: float = 0.0
    limit_fill_ticks_worse: int = 0
    market_slippage_ticks: int = 0
    latency_bars: int = 0
    direction_lock: bool = True
    parent_session_id: str | None = None
    forked_at: str | None = None

    def to_params(self) -> dict:
        """Return the JSON-ready form recorded in SESSION_START."""
        d = asdict(self)
        d["t_start"] = iso_utc(pd.Timestamp(self.t_start).value)
        d["t_end"] = iso_utc(pd.Timestamp(self.t_end).value)
        d["disp_tf"] = disp_tf_label(self.disp_tf)
        return d

    @classmethod
    def from_params(cls, params: dict) -> SessionConfig:
        d = dict(params)
        d["t_start"] = pd.Timestamp(d["t_start"])
        d["t_end"] = pd.Timestamp(d["t_end"])
        d["disp_tf"] = parse_disp_tf(d["disp_tf"])
        return cls(**d)


#: The fill model's defaults, the v1 "perfect fill" (read from SessionConfig, not restated).
FILL_MODEL_DEFAULTS = {
    f.name: f.default for f in fields(SessionConfig) if f.name in FILL_MODEL_KNOBS
}

MAX_SPEED = 10_000  # display bars per minute: pacing only, it never changes results

#: The fill model's knobs and the session's settings, with what each must be.
_WHOLE_SETTINGS = {  # name: the largest value (the log holds 64-bit integers)
    "limit_fill_ticks_worse": 10_000,
    "market_slippage_ticks": 10_000,
    "latency_bars": 10_000,
    "seed": 2**63 - 1,
}
_SWITCHES = ("direction_lock", "edit_on_disp_boundary")
_AMOUNTS = {  # name: (zero allowed, the largest value)
    "tick": (False, 1_000),
    "initial_cash": (False, 10**15),
    "commission_per_share": (True, 1_000),
}


def _checked_settings(config: SessionConfig) -> dict:
    """Return the config's knobs and settings as plain values, or raise ``bad_param``: a
    knob out of range would otherwise be read silently (``direction_lock="no"`` is truthy)."""
    out: dict = {}
    for name, top in _WHOLE_SETTINGS.items():
        value = getattr(config, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or not 0 <= value <= top
        ):
            raise EngineError(
                "bad_param", f"{name} must be a whole number in 0..{top}, got {value!r}", name
            )
        out[name] = int(value)
    for name in _SWITCHES:
        value = getattr(config, name)
        if not isinstance(value, bool | np.bool_):
            raise EngineError("bad_param", f"{name} must be true or false, got {value!r}", name)
        out[name] = bool(value)
    for name, (zero_ok, top) in _AMOUNTS.items():
        value = getattr(config, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not (0 <= value <= top if zero_ok else 0 < value <= top)  # also refuses NaN
        ):
            bounds = f"[0, {top:,}]" if zero_ok else f"(0, {top:,}]"
            raise EngineError(
                "bad_param", f"{name} must be a number in {bounds}, got {value!r}", name
            )
        out[name] = _plain_number(value)
    speed = config.speed
    if isinstance(speed, bool) or not isinstance(speed, numbers.Real) or not 0 < speed <= MAX_SPEED:
        raise EngineError(
            "bad_param", f"speed must be a number in (0, {MAX_SPEED}], got {speed!r}", "speed"
        )
    out["speed"] = _plain_number(speed)
    return out


def _plain_number(value: numbers.Real) -> int | float:
    """Return an int or float as it is (the log records it as given), anything else as float."""
    return value if value.__class__ in (int, float) else float(value)


def data_fingerprint(bars: pd.DataFrame) -> str:
    """Return a SHA-256 of the bars' times and OHLCV (what a re-run must see unchanged)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(bars.index.as_unit("ns").asi8).tobytes())
    for col in ("open", "high", "low", "close"):
        h.update(np.ascontiguousarray(bars[col].to_numpy(np.float64)).tobytes())
    h.update(np.ascontiguousarray(bars["volume"].to_numpy(np.int64)).tobytes())
    return h.hexdigest()


MAX_COUNT = 1_000_000_000  # the largest qty or step count (a log holds 64-bit integers)
MAX_PRICE = 10_000_000  # the highest price an order may name


def _positive_int(value: object, name: str, code: str) -> int:
    if value.__class__ is int and 0 < value <= MAX_COUNT:
        return value
    if (
        isinstance(value, bool)
        or not isinstance(value, (numbers.Integral, float))
        or not 0 < value <= MAX_COUNT
        or int(value) != value
    ):
        raise EngineError(code, f"{name} must be a whole number in 1..{MAX_COUNT}, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one ``step()`` returns: the new display candle(s) with their overlays, the
    working orders, the position and PnL, and every event since the previous step."""

    candles: list[dict]
    orders: list[dict]
    position: dict
    equity: float
    events: list[Event]
    done: bool


class ReplaySession(SessionViews):
    """Replay one symbol between ``t_start`` and ``t_end`` on display bars of ``disp_tf``.

    ``bars_1m`` holds the 1-minute bars (UTC ``ts`` index, OHLCV); those before ``t_start``
    are history that warms the indicators and shows as context; trading starts at the first
    display-bar boundary at or after ``t_start``.
    """

    def __init__(self, config: SessionConfig, bars_1m: pd.DataFrame, *, bulk_skip: bool = True):
        t_start = pd.Timestamp(config.t_start)
        t_end = pd.Timestamp(config.t_end)
        if t_start.tzinfo is None or t_end.tzinfo is None:
            raise EngineError("bad_time", "t_start and t_end must be timezone-aware (UTC)")
        if t_start >= t_end:
            raise EngineError("bad_range", f"t_start {t_start} must be before t_end {t_end}")
        config = replace(
            config,
            disp_tf=parse_disp_tf(config.disp_tf),
            t_start=t_start.tz_convert("UTC"),
            t_end=t_end.tz_convert("UTC"),
            **_checked_settings(config),
        )
        n_in = int(bars_1m.index.searchsorted(config.t_end))  # the index is sorted
        bars = bars_1m if n_in == len(bars_1m) else bars_1m.iloc[:n_in]
        self.config = config
        self.bars = bars
        self.bulk_skip = bulk_skip
        # Read-only views of the caller's bars (no copies: the engine never writes to them).
        self.ts = np.ascontiguousarray(bars.index.as_unit("ns").asi8)
        self.open = np.ascontiguousarray(bars["open"].to_numpy(np.float64))
        self.high = np.ascontiguousarray(bars["high"].to_numpy(np.float64))
        self.low = np.ascontiguousarray(bars["low"].to_numpy(np.float64))
        self.close = np.ascontiguousarray(bars["close"].to_numpy(np.float64))
        self.n = len(self.ts)
        if self.n > 1 and not bool((self.ts[1:] > self.ts[:-1]).all()):
            raise EngineError("bad_bars", "1m bars must be in strictly increasing time order")
        self._day_codes, _ = pd.factorize(local_days(bars.index))  # trading day of each bar
        self._tick_prices: dict[float, float] = {}  # a price checked -> its tick-grid float
        self.speed = float(config.speed)
        self.paused = True
        self.ended = False
        self.portfolio = Portfolio(config.initial_cash, config.commission_per_share)
        self.orders: dict[int, Order] = {}  # the working orders, in id order
        self._exits: dict[int, Order] = {}  # those of them that are bracket exits (tp/sl)
        self._book: TriggerBook | None = None  # the live orders by trigger level, once built
        self._through = config.limit_fill_ticks_worse * config.tick
        self.fills: list[Fill] = []
        self.equity_curve: list[tuple[int, float]] = []
        self._pending: list[Event] = []
        self._since_step: list[Event] = []  # what the next step() reports
        self._seq = 0
        self._next_oid = 1
        self._next_group = 1
        self._pending_mods = 0
        self._set_disp_tf(config.disp_tf)

        i0 = int(np.searchsorted(self.ts, config.t_start.value))
        while 0 < i0 < self.n and self.codes[i0] == self.codes[i0 - 1]:
            i0 += 1  # trading starts at a display-bar boundary
        if i0 >= self.n:
            raise EngineError(
                "no_data", f"no {config.symbol} bars between {config.t_start} and {config.t_end}"
            )
        self.i_start = i0
        self._move_cursor(i0)
        self.fingerprint = data_fingerprint(bars)
        self._emit(
            EventType.SESSION_START,
            {
                "log_format": LOG_FORMAT,
                "params": config.to_params(),
                "data_fingerprint": self.fingerprint,
                "history_bars": i0,
                "session_bars": self.n - i0,
            },
        )

    # --- the display clock ---------------------------------------------------------------
    def _set_disp_tf(self, disp_tf: int) -> None:
        self.disp_tf = disp_tf
        self.codes, disp_ts = bucket_codes(self.bars.index, disp_tf)
        disp = add_indicators(aggregate(self.bars, disp_tf, (self.codes, disp_ts)))
        assert len(disp) == len(disp_ts)
        self.disp = disp
        self.disp_ts = disp_ts.as_unit("ns").asi8
        self._disp_cols = {c: disp[c].to_numpy(np.float64) for c in CANDLE_COLUMNS}
        self._ts_market_arr = self.disp_ts[self.codes]
        self._is_boundary = np.empty(self.n, dtype=bool)
        if self.n:
            self._is_boundary[0] = True
            np.not_equal(self.codes[1:], self.codes[:-1], out=self._is_boundary[1:])
        # First 1m index of each display bar, for O(1) step targets.
        self.disp_first = np.searchsorted(self.codes, np.arange(len(disp_ts) + 1))
        self._bind_views()

    def _bind_views(self) -> None:
        # Per-bar reads from Python: a memoryview gives plain floats and ints ~3x faster than
        # numpy scalar indexing, without the memory of a list (numpy serves the long spans).
        self._t, self._tm = memoryview(self.ts), memoryview(self._ts_market_arr)
        self._code, self._disp_first = memoryview(self.codes), memoryview(self.disp_first)
        self._o, self._h = memoryview(self.open), memoryview(self.high)
        self._l, self._c = memoryview(self.low), memoryview(self.close)

    def __getstate__(self) -> dict:
        # Memoryviews don't pickle (the cache pickles sessions): rebuild them on load.
        state = {k: v for k, v in self.__dict__.items() if not isinstance(v, memoryview)}
        state["_book"] = None  # rebuilt when needed
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind_views()

    def _boundary(self, i: int, codes: np.ndarray | None = None) -> bool:
        if codes is None:
            return i >= self.n or i == self.i_start or bool(self._is_boundary[i])
        return i >= self.n or i == 0 or bool(codes[i] != codes[i - 1])

    @property
    def at_boundary(self) -> bool:
        """True when the cursor stands between two display bars (orders may change)."""
        return self._at_b

    def _move_cursor(self, i: int) -> None:
        self.i = i
        self._at_b = self._boundary(i)

    def _ts_exec(self, i: int) -> int:
        return int(self.ts[i]) if i < self.n else int(self.ts[-1]) + NS_PER_MIN

    def _ts_market(self, i: int) -> int:
        return int(self._ts_market_arr[i if i < self.n else -1])

    # --- events ------------------------------------------------------------------------
    def _emit(self, etype: str, payload: dict, i: int | None = None) -> Event:
        if i is None:
            i = self.i
        self._seq = seq = self._seq + 1
        if i < self.n:
            ev = _new_tuple(Event, (seq, self._t[i], self._tm[i], etype, payload))
        else:
            ev = Event(seq, self._ts_exec(i), self._ts_market(i), etype, payload)
        self._pending.append(ev)
        self._since_step.append(ev)
        return ev

    def drain_events(self) -> list[Event]:
        """Return the events since the last drain (the store persists them)."""
        out, self._pending = self._pending, []
        return out

    def pending_events(self) -> list[Event]:
        """Return the events not yet drained, leaving them pending."""
        return list(self._pending)

    @property
    def last_event_id(self) -> int:
        return self._seq

    # --- guards ------------------------------------------------------------------------
    def _check_active(self) -> None:
        if self.ended:
            raise EngineError("session_ended", f"session {self.config.session_id} has ended")

    def _check_edit(self) -> None:
        if self.ended:
            self._check_active()
        if not self._at_b and self.config.edit_on_disp_boundary:
            nxt = self._ts_exec(int(self.disp_first[self.codes[self.i] + 1]))
            local = pd.Timestamp(nxt, tz="UTC").tz_convert(EXCHANGE_TZ)
            raise EngineError(
                "not_at_boundary",
                "orders can be placed or changed only at a display-bar boundary; the next one "
                f"is at {local:%H:%M} New York ({iso_utc(nxt)}); step to it, or turn off "
                "edit_on_disp_boundary",
            )

    def _check_price(self, price: object, name: str = "price") -> float:
        if price.__class__ is float:
            on_tick = self._tick_prices.get(price)
            if on_tick is not None:  # a session quotes few price levels, over and over
                return on_tick
        elif isinstance(price, bool) or not isinstance(price, (int, float)):
            raise EngineError("bad_price", f"{name} must be a number, got {price!r}")
        if not 0 < price <= MAX_PRICE:  # also refuses NaN
            raise EngineError(
                "bad_price", f"{name} must be a number in (0, {MAX_PRICE:,}], got {price}"
            )
        steps = price / self.config.tick
        whole = round(steps)
        if abs(steps - whole) > 1e-6:
            raise EngineError(
                "off_tick", f"{name} {price} is not on the {self.config.tick} tick grid"
            )
        on_tick = round(whole * self.config.tick, 10)
        if price.__class__ is float:
            self._tick_prices[price] = on_tick
        return on_tick

    def _working_order(self, order_id: object) -> Order:
        order = (
            self.orders.get(order_id)
            if isinstance(order_id, int) and not isinstance(order_id, bool)
            else None
        )
        if order is None or order.status != WORKING:
            raise EngineError("unknown_order", f"no working order with id {order_id!r}")
        return order

    def _reject(self, cmd: dict, err: EngineError) -> None:
        payload = {"cmd": cmd, "code": err.code, "reason": err.message}
        if not _loggable(cmd):
            # Arguments JSON can't hold (an object, NaN): the log keeps their description, and
            # a re-run copies this event instead of re-issuing what it could not record.
            del payload["cmd"]
            payload["cmd_text"] = repr(cmd)[:1000]
        self._emit(EventType.ORDER_REJECTED, payload)

    @property
    def last_price(self) -> float:
        return self._c[self.i - 1] if self.i > 0 else self._o[0]

    # --- order commands ----------------------------------------------------------------
    def _place(self, command: Place) -> int:
        """Place an order, live from the next 1m bar; return its id."""
        args = _given(command.args())  # the log keeps only what was given
        cmd = {"op": "place", "args": args}
        try:
            self._check_edit()
            order = self._new_order(args)
        except EngineError as err:
            if not self.ended:
                self._reject(cmd, err)
            raise
        self.orders[order.order_id] = order
        self._book = None
        self._emit(EventType.ORDER_PLACED, {"cmd": cmd, "order": order.to_event()})
        return order.order_id

    def _new_order(self, args: dict) -> Order:
        """Check ``place``'s arguments (a dict without None values) and make the order."""
        side, type, qty = args.get("side"), args.get("type"), args.get("qty")
        sign = SIDES.get(side) if side.__class__ is str else None
        if sign is None:
            raise EngineError("bad_side", f"side must be BUY or SELL, got {side!r}")
        if type.__class__ is not str or type not in ORDER_TYPES:
            if type.__class__ is not str or type not in ORDER_TYPE_ALIASES:
                raise EngineError(
                    "bad_type",
                    f"type must be one of {ORDER_TYPES} (STOP_MARKET is STOP), got {type!r}",
                )
            type = ORDER_TYPE_ALIASES[type]  # the log keeps the name given, the order its type
        if qty.__class__ is not int or not 0 < qty <= MAX_COUNT:
            qty = _positive_int(qty, "qty", "bad_qty")
        price = args.get("price")
        if type != MARKET:
            price = self._check_price(price)
        elif price is not None:
            raise EngineError("bad_price", "a MARKET order takes no price")
        tag = oco_group = bracket = None
        if len(args) > 3 + ("price" in args):  # more than side, type, qty (and price)
            tag, oco_group, bracket = args.get("tag"), args.get("oco_group"), args.get("bracket")
            if tag is not None and not isinstance(tag, str):
                raise EngineError("bad_tag", f"tag must be text, got {tag!r}")
            if oco_group is not None and not isinstance(oco_group, str):
                raise EngineError("bad_oco", f"oco_group must be text, got {oco_group!r}")
            if bracket is not None:
                bracket = self._check_bracket(sign, price or self.last_price, bracket)
        oid = self._next_oid
        self._next_oid = oid + 1
        return Order(
            oid, sign, type, qty, price, self.i + self.config.latency_bars, tag, oco_group, bracket
        )

    def _check_bracket(self, side: int, ref: float, bracket: object) -> dict:
        if not isinstance(bracket, dict) or not set(bracket) <= {"tp", "sl"}:
            raise EngineError("bad_bracket", f"bracket must be {{tp, sl}}, got {bracket!r}")
        out = {}
        for key in ("tp", "sl"):
            if bracket.get(key) is not None:
                out[key] = self._check_price(bracket[key], f"bracket {key}")
        if not out:
            raise EngineError("bad_bracket", "a bracket needs tp, sl or both")
        # A long position takes profit above and stops out below its entry; a short, the reverse.
        if "tp" in out and (out["tp"] - ref) * side <= 0:
            raise EngineError("bad_bracket", f"tp {out['tp']} must be on the profit side of {ref}")
        if "sl" in out and (ref - out["sl"]) * side <= 0:
            raise EngineError("bad_bracket", f"sl {out['sl']} must be on the loss side of {ref}")
        return out

    def _cancel_order(self, command: Cancel) -> None:
        """Cancel a working order."""
        order_id = _plain(command.order_id)
        cmd = {"op": "cancel", "args": {"order_id": order_id}}
        self._check_active()
        try:
            self._check_edit()
            order = self._working_order(order_id)
        except EngineError as err:
            self._reject(cmd, err)
            raise
        self._cancel(order, "user", cmd)

    def _cancel_all(self, command: CancelAll) -> int:
        """Cancel every working order; return how many were canceled."""
        self._check_edit()
        working = list(self.orders.values())  # only working orders are kept
        if working:
            self._cancel(working[0], "cancel_all", {"op": "cancel_all", "args": {}})
            for order in working[1:]:
                self._cancel(order, "cancel_all")
        return len(working)

    def _replace_orders(self, command: ReplaceOrders) -> list[int]:
        """Cancel every working order and place ``orders`` instead, as one command; return
        the new ids.

        Each item takes :meth:`place`'s arguments (side, type, qty, price, tag, oco_group,
        bracket). All of them are checked first: one bad item rejects the whole command and
        nothing changes. One ORDERS_REPLACED event records the command, the ids canceled
        and the orders placed (a ladder re-laid every bar is one event, not twenty).
        """
        orders = command.orders
        first_oid = self._next_oid
        try:
            self._check_edit()
            if not isinstance(orders, list):
                raise EngineError("bad_orders", f"orders must be a list, got {orders!r}")
            given, new = [], []
            live_from = self.i + self.config.latency_bars
            on_tick = self._tick_prices
            for n, item in enumerate(orders):
                if item.__class__ is dict and len(item) == 4:
                    # The usual item, a limit or stop at a price already seen: the checks of
                    # _new_order, inline (a bot re-lays its ladder every bar).
                    side, type_, qty = item.get("side"), item.get("type"), item.get("qty")
                    price = item.get("price")
                    if (
                        side.__class__ is str
                        and type_.__class__ is str
                        and (side == "BUY" or side == "SELL")
                        and (type_ == LIMIT or type_ == STOP)
                        and qty.__class__ is int
                        and 0 < qty <= MAX_COUNT
                        and price.__class__ is float
                        and (px := on_tick.get(price)) is not None
                    ):
                        given.append({"side": side, "type": type_, "qty": qty, "price": price})
                        oid = self._next_oid
                        self._next_oid = oid + 1
                        new.append(Order(oid, SIDES[side], type_, qty, px, live_from))
                        continue
                if not isinstance(item, dict) or not _PLACE_ARGS.issuperset(item):
                    raise EngineError(
                        "bad_orders",
                        f"orders[{n}] must be an object with keys from {sorted(_PLACE_ARGS)}, "
                        f"got {item!r}",
                    )
                args = _given(item, copy=True)
                given.append(args)
                try:
                    order = self._new_order(args)
                except EngineError as err:
                    raise EngineError(err.code, f"orders[{n}]: {err.message}") from None
                new.append(order)
        except EngineError as err:
            self._next_oid = first_oid  # the ids of the items checked are given back
            if not self.ended:
                self._reject({"op": "replace_orders", "args": {"orders": _plain(orders)}}, err)
            raise
        canceled = list(self.orders)
        for order in self.orders.values():
            order.apply("cancel")
        self._exits.clear()
        ids = [order.order_id for order in new]
        self.orders = dict(zip(ids, new, strict=True))
        self._book = None
        # The orders placed are the command's items, in order, with these ids.
        payload = {
            "cmd": {"op": "replace_orders", "args": {"orders": given}},
            "canceled": canceled,
            "order_ids": ids,
        }
        self._emit(EventType.ORDERS_REPLACED, payload)
        return list(ids)

    def _cancel(self, order: Order, reason: str, cmd: dict | None = None, i: int | None = None):
        order.apply("cancel")
        del self.orders[order.order_id]
        self._book = None
        if self._exits:
            self._exits.pop(order.order_id, None)
        payload = {"order_id": order.order_id, "reason": reason}
        if cmd is not None:
            payload["cmd"] = cmd
        self._emit(EventType.ORDER_CANCELED, payload, i)

    def _modify(self, command: Modify) -> None:
        """Change a working order's price and/or qty (same id; counted in mods_count)."""
        order_id, price, qty = _plain(command.order_id), _plain(command.price), _plain(command.qty)
        cmd = {"op": "modify", "args": _given({"order_id": order_id, "price": price, "qty": qty})}
        self._check_active()
        try:
            self._check_edit()
            order = self._working_order(order_id)
            if price is None and qty is None:
                raise EngineError("bad_modify", "modify needs a new price, a new qty or both")
            new_qty = order.qty if qty is None else _positive_int(qty, "qty", "bad_qty")
            if price is None:
                new_price = order.price
            elif order.type == MARKET:
                raise EngineError("bad_price", "a MARKET order takes no price")
            else:
                new_price = self._check_price(price)
        except EngineError as err:
            self._reject(cmd, err)
            raise
        order.apply("modify")
        order.price, order.qty = new_price, new_qty
        order.mods_count += 1
        order.live_from = max(order.live_from, self.i + self.config.latency_bars)
        self._book = None
        if self.portfolio.open_trade is not None:
            self.portfolio.open_trade.mods_count += 1
        else:
            self._pending_mods += 1
        self._emit(EventType.ORDER_MODIFIED, {"cmd": cmd, "order": order.to_event()})

    def _flatten(self, command: Flatten) -> None:
        """Cancel every working order and close the position at the next 1m bar's open."""
        cmd = {"op": "flatten", "args": {}}
        self._check_edit()
        qty = self.portfolio.qty
        self._emit(EventType.FLATTEN, {"cmd": cmd, "qty": qty, "reason": "user"})
        for order in [o for o in self.orders.values() if o.status == WORKING]:
            self._cancel(order, "flatten")
        if qty:
            order = Order(
                self._next_oid,
                -1 if qty > 0 else 1,
                MARKET,
                abs(qty),
                None,
                self.i + self.config.latency_bars,
                "flatten",
                role="flatten",
            )
            self._next_oid += 1
            self.orders[order.order_id] = order
            self._book = None
            self._emit(EventType.ORDER_PLACED, {"order": order.to_event()})

    def _set_bracket(self, command: SetBracket) -> None:
        """Attach a take-profit and/or stop-loss (an OCO pair) to the open position."""
        tp, sl = _plain(command.tp), _plain(command.sl)
        cmd = {"op": "set_bracket", "args": _given({"tp": tp, "sl": sl})}
        self._check_active()
        try:
            self._check_edit()
            if not self.portfolio.qty:
                raise EngineError("no_position", "set_bracket needs an open position")
            side = 1 if self.portfolio.qty > 0 else -1
            bracket = self._check_bracket(
                side, self.last_price, {k: v for k, v in (("tp", tp), ("sl", sl)) if v is not None}
            )
        except EngineError as err:
            self._reject(cmd, err)
            raise
        ids = self._open_bracket(bracket, self.i + self.config.latency_bars, None, self.i)
        self._emit(EventType.BRACKET_SET, {"cmd": cmd, **bracket, "order_ids": ids})

    def _open_bracket(self, bracket: dict, live_from: int, parent_id: int | None, i: int) -> list:
        """Replace the position's exits with a TP limit and/or SL stop sized to the position."""
        pos = self.portfolio.qty
        for order in list(self._exits.values()):
            self._cancel(order, "replaced", i=i)
        group = f"bracket-{self._next_group}"
        self._next_group += 1
        ids = []
        for role, otype in (("tp", LIMIT), ("sl", STOP)):
            if role not in bracket:
                continue
            order = Order(
                self._next_oid,
                -1 if pos > 0 else 1,
                otype,
                abs(pos),
                bracket[role],
                live_from,
                role,
                group,
                None,
                role,
                parent_id,
            )
            self._next_oid += 1
            self.orders[order.order_id] = order
            self._book = None
            self._exits[order.order_id] = order
            ids.append(order.order_id)
            self._emit(EventType.ORDER_PLACED, {"order": order.to_event()}, i)
        trade = self.portfolio.open_trade
        if "sl" in bracket and trade is not None and trade.initial_stop is None:
            trade.initial_stop = bracket["sl"]
        return ids

    # --- pacing, notes, display frame -----------------------------------------------------
    def _pause(self, command: Pause) -> None:
        self._check_active()
        self.paused = True
        self._emit(EventType.PAUSE, {"cmd": {"op": "pause", "args": {}}})

    def _play(self, command: Play) -> None:
        self._check_active()
        self.paused = False
        self._emit(EventType.PLAY, {"cmd": {"op": "play", "args": {}}})

    def _set_speed(self, command: SetSpeed) -> None:
        """Set the pacing (display bars per minute in the UI); it never changes results."""
        self._check_active()
        speed = _plain(command.speed)
        if (
            isinstance(speed, bool)
            or not isinstance(speed, int | float)
            or not (0 < speed <= MAX_SPEED)
        ):
            raise EngineError(
                "bad_speed", f"speed must be a number in (0, {MAX_SPEED}], got {speed!r}"
            )
        self.speed = float(speed)
        self._emit(EventType.SPEED_CHANGE, {"cmd": {"op": "set_speed", "args": {"speed": speed}}})

    def _note(self, command: Note) -> None:
        self._check_active()
        text = _plain(command.text)
        if not isinstance(text, str) or not text.strip():
            raise EngineError("bad_note", "a note needs some text")
        self._emit(EventType.NOTE, {"cmd": {"op": "note", "args": {"text": text}}})

    def _switch_disp_tf(self, command: SetDispTf) -> None:
        """Switch the display timeframe at a boundary both frames share."""
        disp_tf = command.disp_tf
        self._check_active()
        try:
            minutes = parse_disp_tf(disp_tf)
        except ValueError as exc:
            raise EngineError("bad_tf", str(exc)) from None
        new_codes, _ = bucket_codes(self.bars.index, minutes)
        if not (self._boundary(self.i) and self._boundary(self.i, new_codes)):
            shared = self._is_boundary[self.i :].copy()
            shared[1:] &= new_codes[self.i + 1 :] != new_codes[self.i : -1]
            later = np.flatnonzero(shared[1:])
            nxt = self._ts_exec(self.i + 1 + int(later[0]) if len(later) else self.n)
            local = pd.Timestamp(nxt, tz="UTC").tz_convert(EXCHANGE_TZ)
            raise EngineError(
                "not_at_boundary",
                f"cannot switch to {disp_tf_label(minutes)} here: the cursor is not at a boundary "
                f"both timeframes share; the next one is at {local:%a %H:%M} New York "
                f"({iso_utc(nxt)})",
            )
        self._set_disp_tf(minutes)
        self._move_cursor(self.i)
        self._emit(
            EventType.DISP_TF_CHANGE,
            {"cmd": {"op": "set_disp_tf", "args": {"disp_tf": disp_tf_label(minutes)}}},
        )

    # --- the command interface --------------------------------------------------------
    def execute(self, command: Command):
        """Apply one command (see :mod:`ntree.engine.commands`) and return what it gives:
        an order id (place), the new ids (replace_orders), a count (cancel_all), the
        events since the previous step (step), else None. A refused one raises EngineError
        (an order command also logs ORDER_REJECTED)."""
        handler = _HANDLERS.get(command.__class__)
        if handler is None:
            raise EngineError("bad_command", f"not a command: {command!r}")
        return handler(self, command)

    def place(
        self,
        side: str,
        type: str,
        qty: int,
        price: float | None = None,
        tag: str | None = None,
        oco_group: str | None = None,
        bracket: dict | None = None,
    ) -> int:
        """Place an order, live from the next 1m bar; return its id."""
        return self._place(Place(side, type, qty, price, tag, oco_group, bracket))

    def cancel(self, order_id: int) -> None:
        """Cancel a working order."""
        self._cancel_order(Cancel(order_id))

    def cancel_all(self) -> int:
        """Cancel every working order; return how many were canceled."""
        return self._cancel_all(CancelAll())

    def replace_orders(self, orders: list[dict]) -> list[int]:
        """Cancel every working order and place ``orders`` (place's arguments) instead, all
        or nothing, as one ORDERS_REPLACED event; return the new ids."""
        return self._replace_orders(ReplaceOrders(orders))

    def modify(self, order_id: int, price: float | None = None, qty: int | None = None) -> None:
        """Change a working order's price and/or qty (same id; counted in mods_count)."""
        self._modify(Modify(order_id, price, qty))

    def flatten(self) -> None:
        """Cancel every working order and close the position at the next 1m bar's open."""
        self._flatten(Flatten())

    def set_bracket(self, tp: float | None = None, sl: float | None = None) -> None:
        """Attach a take-profit and/or stop-loss (an OCO pair) to the open position."""
        self._set_bracket(SetBracket(tp, sl))

    def pause(self) -> None:
        self._pause(Pause())

    def play(self) -> None:
        self._play(Play())

    def set_speed(self, speed: float) -> None:
        """Set the pacing (display bars per minute in the UI); it never changes results."""
        self._set_speed(SetSpeed(speed))

    def note(self, text: str) -> None:
        self._note(Note(text))

    def set_disp_tf(self, disp_tf: int | str) -> None:
        """Switch the display timeframe at a boundary both frames share."""
        self._switch_disp_tf(SetDispTf(disp_tf))

    def advance(self, disp_steps: int | None = None, exec_steps: int | None = None) -> list[Event]:
        """Move the clock exactly as :meth:`step` does, without building the screen's views
        (for bots and headless runs); return the events since the previous step."""
        return self._advance(Step(disp_steps, exec_steps))

    def end(self) -> None:
        """End the session now: flatten at the last 1m close and write the summary."""
        self._end(End())

    # --- the execution clock -----------------------------------------------------------
    def step(self, disp_steps: int | None = None, exec_steps: int | None = None) -> StepResult:
        """Advance by ``disp_steps`` display bars (default 1) or ``exec_steps`` 1m bars.

        Return the display candles completed by this step (plus the forming one when it
        stops mid-bar), orders, position, equity and the events since the previous step.
        """
        disp_before = self.disp_index
        events = self.advance(disp_steps, exec_steps)
        return StepResult(
            candles=self.candles(n=self.disp_index - disp_before + (not self.at_boundary)),
            orders=self.working_orders(),
            position=self.position(),
            equity=_money(self.equity),
            events=events,
            done=self.ended,
        )

    def _advance(self, command: Step) -> list[Event]:
        """Move the clock exactly as :meth:`step` does, without building the screen's views
        (for bots and headless runs); return the events since the previous step."""
        disp_steps, exec_steps = command.disp_steps, command.exec_steps
        self._check_active()
        if disp_steps is not None and exec_steps is not None:
            raise EngineError("bad_step", "give disp_steps or exec_steps, not both")
        if exec_steps is not None:
            n = _positive_int(exec_steps, "exec_steps", "bad_step")
            target = min(self.i + n, self.n)
            args = {"exec_steps": n}
        else:
            n = 1 if disp_steps is None else _positive_int(disp_steps, "disp_steps", "bad_step")
            target = self._disp_target(n)
            args = {"disp_steps": n}
        self._emit(EventType.STEP, {"cmd": {"op": "step", "args": args}})
        self._run(target)
        equity = self.portfolio.equity(self.last_price)
        self.equity_curve.append((self._ts_exec(self.i), _money(equity)))
        if self.i >= self.n:
            self._finish("data_end", None)
        events, self._since_step = self._since_step, []
        return events

    def _end(self, command: End) -> None:
        """End the session now: flatten at the last 1m close and write the summary."""
        self._check_active()
        self._finish("user", {"op": "end", "args": {}})

    def _run(self, target: int) -> None:
        """Walk the 1m bars up to ``target``: bars no live order can reach are marked in
        bulk, the others are processed one by one (``bulk_skip=False``: every bar is)."""
        i = self.i
        while i < target:
            if not self.orders:
                self._mark_span(i, target)
                i = target
                break
            if self.bulk_skip:
                k = self._next_trigger(i, target)
                if k > i:
                    self._mark_span(i, k)
                    i = k
                    if k >= target:
                        break
                self._process_bar(i)  # a bar _next_trigger returns has a live order
            elif self._has_live_order(i):
                self._process_bar(i)
            else:
                self._mark_span(i, i + 1)
            i += 1
        self._move_cursor(i)

    def _has_live_order(self, i: int) -> bool:
        for order in self.orders.values():
            if order.live_from <= i:
                return True
        return False

    def _book_at(self, i: int) -> TriggerBook:
        """Return the book of the orders live at bar ``i`` (built again after a change)."""
        book = self._book
        if book is None or i >= book.next_live:
            book = self._book = TriggerBook(self.orders.values(), i, self._through)
        return book

    def _next_trigger(self, i: int, j: int) -> int:
        """Return the first bar in [i, j) where a live order may trigger (or become live)."""
        book = self._book_at(i)
        if book.markets:
            return i
        lo_thr, hi_thr = book.lo_level, book.hi_level
        end = j if j < book.next_live else book.next_live
        if end - i <= _SHORT_SPAN:
            bar_lows, bar_highs = self._l, self._h
            for k in range(i, end):
                if bar_lows[k] <= lo_thr or bar_highs[k] >= hi_thr:
                    return k
            return end
        for a in range(i, end, _SCAN_CHUNK):
            b = min(a + _SCAN_CHUNK, end)
            hits = np.flatnonzero((self.low[a:b] <= lo_thr) | (self.high[a:b] >= hi_thr))
            if len(hits):
                return a + int(hits[0])
        return end

    def _mark_span(self, i: int, j: int) -> None:
        """Mark bars [i, j) in which nothing fills: excursions and drawdown of the position."""
        pf = self.portfolio
        if not pf.qty or j <= i:
            return
        if j - i <= _SHORT_SPAN:
            pf.mark_many(self._h[i:j], self._l[i:j])
            return
        hi, lo = self.high[i:j], self.low[i:j]
        pf._ext_hi = max(pf._ext_hi, float(hi.max()))
        pf._ext_lo = min(pf._ext_lo, float(lo.min()))
        best, worst = (hi, lo) if pf.qty > 0 else (lo, hi)
        peaks = np.maximum.accumulate(np.maximum(pf.cash + pf.qty * best, pf.peak_equity))
        pf.max_dd = max(pf.max_dd, float((peaks - (pf.cash + pf.qty * worst)).max()))
        pf.peak_equity = float(peaks[-1])

    def _process_bar(self, k: int) -> None:
        o, h, lo = self._o[k], self._h[k], self._l[k]
        through = self._through
        trade_before = self.portfolio.open_trade
        if self.bulk_skip:
            candidates = self._book_at(k).reached(h, lo)
        else:  # the plain loop asks every live order (what the book must agree with)
            candidates = [order for order in self.orders.values() if order.live_from <= k]
        eligible = []
        for order in candidates:
            if order.type == LIMIT:
                px = limit_fill_price(order.side, order.price, o, h, lo, through)
            elif order.type == STOP:
                px = stop_fill_price(order.side, order.price, o, h, lo)
            else:
                px = market_fill_price(o)
            if px is not None:
                eligible.append((order, px))
        if len(eligible) > 1:
            eligible = self._fill_sequence(eligible, o, k)
        for order, px in eligible:
            if order.status == WORKING:  # an earlier fill in this bar may have canceled it
                self._fill(order, px, k)
        pf = self.portfolio
        if pf.open_trade is not None and pf.open_trade is not trade_before:
            # Opened inside this bar: its extremes may predate the fill. Count the adverse one
            # (pessimistic) but the favourable one only up to the bar's close.
            c = self._c[k]
            if pf.qty > 0:
                pf.mark(c, lo)
            else:
                pf.mark(h, c)
        else:
            pf.mark(h, lo)

    def _fill_sequence(self, eligible: list[tuple[Order, float]], o: float, k: int) -> list:
        """Return the (order, price) pairs a bar reaching several orders fills, in the order
        they fill (nearest the open, then FIFO); with the direction lock, only those of the
        side the nearest one decides (the others stay working, and the log says why)."""
        ranked = sorted(
            (
                (trigger_distance(order.price, o), order.order_id, order, px)
                for order, px in eligible
            ),
            key=_by_distance_then_id,
        )
        if self.config.direction_lock:
            side = direction_of_bar([(d, oid, order.side) for d, oid, order, _ in ranked])
            winner = next(order for _, _, order, _ in ranked if order.side == side)
            for _, _, order, _ in ranked:
                if order.side != side:
                    self._emit_lock(order, winner, k)
            ranked = [e for e in ranked if e[2].side == side]
        return [(order, px) for _, _, order, px in ranked]

    def _emit_lock(self, skipped: Order, winner: Order, k: int) -> None:
        reason = (
            f"bar reached both sides; {SIDE_NAMES[winner.side]} order #{winner.order_id} "
            "was nearest the open, so this order stays working"
        )
        payload = {
            "order_id": skipped.order_id,
            "side": SIDE_NAMES[skipped.side],
            "winner_order_id": winner.order_id,
            "reason": reason,
        }
        self._emit(EventType.DIRECTION_LOCK, payload, k)

    def _fill(self, order: Order, px: float, k: int) -> None:
        cfg = self.config
        if order.type != LIMIT and cfg.market_slippage_ticks:
            px = round_to_tick(px + order.side * cfg.market_slippage_ticks * cfg.tick, cfg.tick)
        pf = self.portfolio
        oid, role = order.order_id, order.role
        order.apply("fill")
        del self.orders[oid]
        if self._book is not None:
            self._book.remove(order)
        if self._exits:
            self._exits.pop(oid, None)
        if order.type == STOP:
            self._emit(
                EventType.STOP_TRIGGERED, {"order_id": oid, "stop": order.price, "role": role}, k
            )
        was_flat = pf.qty == 0
        ts = self._t[k]
        realized = pf.fill(order.side * order.qty, px, ts, _EXIT_REASONS.get(role, "exit"))
        if was_flat and pf.open_trade is not None:
            pf.open_trade.mods_count += self._pending_mods
            self._pending_mods = 0
        side = SIDE_NAMES[order.side]
        self.fills.append(_new_tuple(Fill, (oid, side, order.qty, px, ts, role)))
        payload = {
            "order_id": oid,
            "side": side,
            "qty": order.qty,
            "price": px,
            "role": role,
            "position_qty": pf.qty,
            "avg_price": _money(pf.avg_price),
            "realized_pnl": _money(realized),
        }
        self._emit(EventType.FILL, payload, k)
        if role == "tp":
            self._emit(EventType.TARGET_FILLED, {"order_id": oid, "price": px}, k)
        if order.oco_group is not None:
            for other in [o for o in self.orders.values() if o.oco_group == order.oco_group]:
                self._cancel(other, "oco", i=k)
        # A bracket protects the position its order opened or added to; on an order that only
        # reduced the position its tp/sl would sit on the wrong side and fill at once.
        if order.bracket and pf.qty * order.side > 0:
            self._open_bracket(order.bracket, k + 1, oid, k)
        if self._exits:
            self._follow_position(k)

    def _follow_position(self, k: int) -> None:
        """Keep bracket exits sized to the position; drop them once it is flat or flipped."""
        pos = self.portfolio.qty
        for order in list(self._exits.values()):
            if pos == 0 or order.side * pos > 0:
                self._cancel(order, "position_flat" if pos == 0 else "position_flipped", i=k)
            elif order.qty != abs(pos):
                order.qty = abs(pos)
                self._emit(
                    EventType.ORDER_MODIFIED,
                    {"order": order.to_event(), "reason": "follow_position"},
                    k,
                )

    def _finish(self, reason: str, cmd: dict | None) -> None:
        last = self.i - 1
        px = float(self.close[last])
        for order in list(self.orders.values()):
            self._cancel(order, "session_end")
        pf = self.portfolio
        if pf.qty:
            qty, ts = pf.qty, int(self.ts[last]) + NS_PER_MIN
            self._emit(EventType.FLATTEN, {"qty": qty, "price": px, "reason": "session_end"})
            realized = pf.fill(-qty, px, ts, "session_end")
            side = SIDE_NAMES[-1 if qty > 0 else 1]
            self.fills.append(Fill(None, side, abs(qty), px, ts, "session_end"))
            payload = {
                "order_id": None,
                "side": side,
                "qty": abs(qty),
                "price": px,
                "role": "session_end",
                "position_qty": 0,
                "avg_price": 0.0,
                "realized_pnl": _money(realized),
            }
            self._emit(EventType.FILL, payload)
        self.ended = True
        payload = {"reason": reason, "summary": self.summary()}
        if cmd is not None:
            payload["cmd"] = cmd
        self._emit(EventType.SESSION_END, payload)

    # --- rebuilding from a log ---------------------------------------------------------
    def rewind_target(self, disp_bars: int) -> int:
        """Return the 1m index that lies ``disp_bars`` display bars before the cursor."""
        disp_bars = _positive_int(disp_bars, "disp_bars", "bad_rewind")
        first_code = int(self.codes[self.i_start])
        code = max(self.disp_index - disp_bars, first_code)
        return max(int(self.disp_first[code]), self.i_start)

    @classmethod
    def from_events(
        cls,
        events: list[Event],
        bars_1m: pd.DataFrame,
        *,
        session_id: str | None = None,
        upto_exec_index: int | None = None,
        bulk_skip: bool = True,
    ) -> ReplaySession:
        """Rebuild a session by re-issuing the commands of its log on the same bars.

        With ``session_id`` the result is a fork whose SESSION_START links its parent; with
        ``upto_exec_index`` (see :meth:`rewind_target`) the rebuild stops when the cursor
        reaches that 1m bar, before the commands given there.
        """
        if not events or events[0].type != EventType.SESSION_START:
            raise EngineError("bad_log", "a session log must begin with SESSION_START")
        start = events[0].payload
        config = SessionConfig.from_params(start["params"])
        if session_id is not None:
            forked_at = None
            if upto_exec_index is not None:
                in_range = bars_1m.index[bars_1m.index < config.t_end]
                forked_at = iso_utc(in_range[min(upto_exec_index, len(in_range) - 1)].value)
            config = replace(
                config,
                session_id=session_id,
                parent_session_id=config.session_id,
                forked_at=forked_at,
            )
        session = cls(config, bars_1m, bulk_skip=bulk_skip)
        if session.fingerprint != start["data_fingerprint"]:
            raise DataChangedError(
                "data_changed",
                f"the {config.symbol} bars differ from those session "
                f"{start['params']['session_id']} was played on (fingerprint "
                f"{session.fingerprint[:12]} != {start['data_fingerprint'][:12]}); "
                "it cannot be re-run exactly",
            )
        target = upto_exec_index
        for ev in events[1:]:
            cmd = ev.payload.get("cmd")
            if cmd is None and "cmd_text" not in ev.payload:
                continue  # a consequence: the re-issued commands make it again
            if target is not None and (session.i >= target or (cmd or {}).get("op") == "end"):
                break
            if cmd is None:  # a refused command the log could only describe: copy it
                session._emit(ev.type, ev.payload)
                continue
            command = command_from_log(cmd, ev.seq)
            if (
                target is not None
                and isinstance(command, Step)
                and session._step_target(command.args()) > target
            ):
                command = Step(exec_steps=target - session.i)
            try:
                session.execute(command)
            except EngineError:
                pass  # a rejected command is rejected again, with the same event
        return session

    def _step_target(self, args: dict) -> int:
        if args.get("exec_steps") is not None:
            return min(self.i + int(args["exec_steps"]), self.n)
        return self._disp_target(int(args.get("disp_steps") or 1))

    def _disp_target(self, n: int) -> int:
        """Return the 1m index that lies ``n`` display-bar boundaries after the cursor."""
        first = self._disp_first
        return first[min(self._code[self.i] + n, len(first) - 1)]


#: Each command's handler (the registry's other half: a command type, never a name).
_HANDLERS = {
    Step: ReplaySession._advance,
    Place: ReplaySession._place,
    Cancel: ReplaySession._cancel_order,
    CancelAll: ReplaySession._cancel_all,
    Modify: ReplaySession._modify,
    ReplaceOrders: ReplaySession._replace_orders,
    Flatten: ReplaySession._flatten,
    SetBracket: ReplaySession._set_bracket,
    Pause: ReplaySession._pause,
    Play: ReplaySession._play,
    SetSpeed: ReplaySession._set_speed,
    Note: ReplaySession._note,
    SetDispTf: ReplaySession._switch_disp_tf,
    End: ReplaySession._end,
}
assert set(_HANDLERS) == set(COMMANDS.values()), "every command has one handler"

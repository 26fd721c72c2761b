"""ReplaySession: the two-clock state machine at the heart of ntree, as a short orchestrator.

The trader decides on *display* candles (5m..1h); orders fill against the 1-minute
*execution* bars inside them. A session takes commands (:mod:`ntree.engine.commands`),
checks them, and hands the work to its parts: the :class:`~ntree.engine.clock.Clock` (bars,
display buckets, the cursor), the :class:`~ntree.engine.broker.PaperBroker` (orders and the
bar loop, prices by :mod:`ntree.engine.fills`), the :class:`~ntree.engine.portfolio.Portfolio`
and the :class:`~ntree.engine.eventlog.EventLog`. Every command and every consequence is an
:class:`~ntree.engine.events.Event`; the session is pure (no clock, no I/O), so the same bars
and the same commands always give the same log, byte for byte.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ntree.engine.aggregate import SessionBounds
from ntree.engine.args import given, loggable, plain, positive_int
from ntree.engine.broker import PaperBroker
from ntree.engine.clock import Clock, data_fingerprint
from ntree.engine.command_methods import SessionCommands
from ntree.engine.commands import (
    COMMANDS,
    Cancel,
    CancelAll,
    CancelLadder,
    Command,
    End,
    Flatten,
    LinkOco,
    Modify,
    Note,
    Pause,
    Place,
    PlaceLadder,
    Play,
    ReplaceOrders,
    SetBracket,
    SetDispTf,
    SetSpeed,
    Step,
)
from ntree.engine.config import FILL_MODEL_DEFAULTS, MAX_SPEED, SessionConfig, checked_config
from ntree.engine.errors import EngineError
from ntree.engine.eventlog import EventLog
from ntree.engine.events import LOG_FORMAT, LOG_FORMATS, Event, EventType, iso_utc
from ntree.engine.order_entry import OrderEntry
from ntree.engine.portfolio import Portfolio, _money
from ntree.engine.prepared import PreparedBars
from ntree.engine.replay import rebuild
from ntree.engine.ticks import EXCHANGE_TZ, disp_tf_label, parse_disp_tf
from ntree.engine.views import SessionViews

__all__ = [
    "FILL_MODEL_DEFAULTS",
    "MAX_SPEED",
    "ReplaySession",
    "SessionConfig",
    "StepResult",
    "data_fingerprint",
]


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


class ReplaySession(SessionCommands, OrderEntry, SessionViews):
    """Replay one symbol between ``t_start`` and ``t_end`` on display bars of ``disp_tf``.

    ``bars_1m`` holds the 1-minute bars (UTC ``ts`` index, OHLCV); those before ``t_start``
    are history that warms the indicators and shows as context; trading starts at the first
    display-bar boundary at or after ``t_start``. A session on another exchange than XNYS
    (``config.exchange``) needs that exchange's trading hours over the bars (``bounds``, see
    :func:`ntree.market.session_bounds`): its display bars anchor to them.
    """

    def __init__(
        self,
        config: SessionConfig,
        bars_1m: pd.DataFrame | PreparedBars,
        *,
        bounds: SessionBounds | None = None,
        bulk_skip: bool = True,
        log_format: int = LOG_FORMAT,
    ):
        """``bars_1m``: the 1m bars, or a :class:`~ntree.engine.prepared.PreparedBars` of them
        that sessions share (the display bars and indicators computed once; the same session
        either way). ``log_format`` names the rules to play by (see :data:`LOG_FORMAT`): a
        new session the newest, a rebuild the stored log's."""
        if log_format not in LOG_FORMATS:
            raise EngineError(
                "bad_log_format", f"log_format must be one of {LOG_FORMATS}, got {log_format!r}"
            )
        config = checked_config(config)
        if isinstance(bars_1m, PreparedBars):
            bounds = bars_1m.bounds if bounds is None else bounds
            if bounds is not bars_1m.bounds:
                raise EngineError("bad_param", "a prepared window carries its own trading hours")
        if (config.exchange is None) != (bounds is None):
            raise EngineError(
                "bad_param",
                "a session on an exchange other than XNYS needs its trading hours (bounds), "
                f"and only such a session takes them (exchange {config.exchange!r})",
                "exchange",
            )
        if isinstance(bars_1m, PreparedBars):
            bars = bars_1m.until(config.t_end.value)  # a window shared across sessions
        else:
            bars = PreparedBars(bars_1m, config.t_end, bounds)
        self.config = config
        self.fill_model = config.fill_model
        self.clock = clock = Clock(bars, config.disp_tf, config.t_start.value, bounds)
        if clock.i_start >= clock.n:
            raise EngineError(
                "no_data", f"no {config.symbol} bars between {config.t_start} and {config.t_end}"
            )
        self.speed = float(config.speed)
        self.paused = True
        self.ended = False
        self.portfolio = Portfolio(config.initial_cash, config.commission_per_share)
        self.log = EventLog(clock)
        self.log_format = log_format
        self.broker = PaperBroker(
            clock, self.portfolio, self.log, self.fill_model, bulk_skip, log_format
        )
        self.equity_curve: list[tuple[int, float]] = []
        self.fingerprint = bars.fingerprint
        start = {
            "log_format": log_format,
            "params": config.to_params(),
            "data_fingerprint": self.fingerprint,
            "history_bars": clock.i_start,
            "session_bars": clock.n - clock.i_start,
        }
        self.log.emit(EventType.SESSION_START, start)

    def drain_events(self) -> list[Event]:
        """Return the events since the last drain (the store persists them)."""
        return self.log.drain()

    # --- guards ------------------------------------------------------------------------
    def _check_active(self) -> None:
        if self.ended:
            raise EngineError("session_ended", f"session {self.config.session_id} has ended")

    def _check_edit(self) -> None:
        if self.ended:
            self._check_active()
        if not self.clock.at_boundary and self.config.edit_on_disp_boundary:
            nxt = self.clock.next_boundary_ts()
            raise EngineError(
                "not_at_boundary",
                "orders can be placed or changed only at a display-bar boundary; the next one "
                f"is at {self._local(nxt, '%H:%M')} ({iso_utc(nxt)}); step to it, or turn "
                "off edit_on_disp_boundary",
            )

    def _local(self, ts_ns: int, fmt: str) -> str:
        """Return a time as a message shows it: exchange wall time and where ("New York")."""
        bounds = self.clock.bounds
        if bounds is None:
            return f"{_new_york(ts_ns).strftime(fmt)} New York"
        local = pd.Timestamp(ts_ns, tz="UTC").tz_convert(bounds.tz)
        return f"{local.strftime(fmt)} {self.config.exchange} time"

    def _reject(self, cmd: dict, err: EngineError) -> None:
        payload = {"cmd": cmd, "code": err.code, "reason": err.message}
        if not loggable(cmd):
            # Arguments JSON can't hold (an object, NaN): the log keeps their description, and
            # a re-run copies this event instead of re-issuing what it could not record.
            del payload["cmd"]
            payload["cmd_text"] = repr(cmd)[:1000]
        self.log.emit(EventType.ORDER_REJECTED, payload)

    # --- order commands ----------------------------------------------------------------
    def _place(self, command: Place) -> int:
        """Place an order, live from the next 1m bar; return its id."""
        args = given(command.args())  # the log keeps only what was given
        cmd = {"op": "place", "args": args}
        try:
            self._check_edit()
            order = self.broker.new_order(args)
            if self.config.leverage is not None:
                self._check_buying_power([order])
        except EngineError as err:
            if not self.ended:
                self._reject(cmd, err)
            raise
        self.broker.add(order)
        self.log.emit(EventType.ORDER_PLACED, {"cmd": cmd, "order": order.to_event()})
        return order.order_id

    def _cancel_order(self, command: Cancel) -> None:
        """Cancel a working order."""
        order_id = plain(command.order_id)
        cmd = {"op": "cancel", "args": {"order_id": order_id}}
        self._check_active()
        try:
            self._check_edit()
            order = self.broker.working_order(order_id)
        except EngineError as err:
            self._reject(cmd, err)
            raise
        self.broker.cancel(order, "user", cmd)

    def _cancel_all(self, command: CancelAll) -> int:
        """Cancel every working order; return how many were canceled."""
        self._check_edit()
        return self.broker.cancel_all({"op": "cancel_all", "args": {}})

    def _replace_orders(self, command: ReplaceOrders) -> list[int]:
        """Cancel every working order and place ``orders`` instead, as one command; return
        the new ids. All items are checked first: one bad item rejects the whole command and
        nothing changes. One ORDERS_REPLACED event records the command, the ids canceled
        and the orders placed (a ladder re-laid every bar is one event, not twenty)."""
        orders = command.orders
        try:
            self._check_edit()
            items, new = self.broker.new_orders(orders)
            if self.config.leverage is not None:
                self._check_buying_power(new, replacing=self.broker.orders.values())
        except EngineError as err:
            if not self.ended:
                self._reject({"op": "replace_orders", "args": {"orders": plain(orders)}}, err)
            raise
        ids = [order.order_id for order in new]
        canceled = self.broker.replace(dict(zip(ids, new, strict=True)))
        # The orders placed are the command's items, in order, with these ids.
        payload = {
            "cmd": {"op": "replace_orders", "args": {"orders": items}},
            "canceled": canceled,
            "order_ids": ids,
        }
        self.log.emit(EventType.ORDERS_REPLACED, payload)
        return list(ids)

    def _modify(self, command: Modify) -> None:
        """Change a working order's price and/or qty (same id; counted in mods_count)."""
        order_id, price, qty = plain(command.order_id), plain(command.price), plain(command.qty)
        cmd = {"op": "modify", "args": given({"order_id": order_id, "price": price, "qty": qty})}
        self._check_active()
        try:
            self._check_edit()
            order = self.broker.working_order(order_id)
            if price is None and qty is None:
                raise EngineError("bad_modify", "modify needs a new price, a new qty or both")
            new_qty = order.qty if qty is None else positive_int(qty, "qty", "bad_qty")
            if price is None:
                new_price = order.price
            elif order.type == "MARKET":
                raise EngineError("bad_price", "a MARKET order takes no price")
            else:
                new_price = self.broker.check_modified_price(order, price)
            if self.config.leverage is not None and order.role == "entry":
                moved = dataclasses.replace(order, price=new_price, qty=new_qty)
                self._check_buying_power([moved], replacing=[order], fresh=False)
        except EngineError as err:
            self._reject(cmd, err)
            raise
        self.broker.modify(order, new_price, new_qty)
        self.log.emit(EventType.ORDER_MODIFIED, {"cmd": cmd, "order": order.to_event()})

    def _flatten(self, command: Flatten) -> None:
        """Cancel every working order and close the position at the next 1m bar's open."""
        self._check_edit()
        self.broker.flatten({"op": "flatten", "args": {}})

    def _set_bracket(self, command: SetBracket) -> None:
        """Attach a take-profit and/or stop-loss (an OCO pair) to the open position: absolute
        prices, or offsets from its average price; either checked against the market."""
        args = given(command.args())
        cmd = {"op": "set_bracket", "args": args}
        self._check_active()
        try:
            self._check_edit()
            if not self.portfolio.qty:
                raise EngineError("no_position", "set_bracket needs an open position")
            side = 1 if self.portfolio.qty > 0 else -1
            if set(args) <= {"tp", "sl"}:  # as every log before offsets were taken
                bracket = self.broker.check_bracket(side, self.last_price, args)
            else:
                bracket = self._bracket_from_average(side, args)
        except EngineError as err:
            self._reject(cmd, err)
            raise
        ids = self.broker.open_bracket(bracket, self.broker.live_from(), None, self.clock.i)
        self.log.emit(EventType.BRACKET_SET, {"cmd": cmd, **bracket, "order_ids": ids})

    # --- pacing, notes, display frame -----------------------------------------------------
    def _pause(self, command: Pause) -> None:
        self._check_active()
        self.paused = True
        self.log.emit(EventType.PAUSE, {"cmd": {"op": "pause", "args": {}}})

    def _play(self, command: Play) -> None:
        self._check_active()
        self.paused = False
        self.log.emit(EventType.PLAY, {"cmd": {"op": "play", "args": {}}})

    def _set_speed(self, command: SetSpeed) -> None:
        """Set the pacing (display bars per minute in the UI); it never changes results."""
        self._check_active()
        speed = plain(command.speed)
        if (
            isinstance(speed, bool)
            or not isinstance(speed, int | float)
            or not (0 < speed <= MAX_SPEED)
        ):
            raise EngineError(
                "bad_speed", f"speed must be a number in (0, {MAX_SPEED}], got {speed!r}"
            )
        self.speed = float(speed)
        cmd = {"op": "set_speed", "args": {"speed": speed}}
        self.log.emit(EventType.SPEED_CHANGE, {"cmd": cmd})

    def _note(self, command: Note) -> None:
        self._check_active()
        text = plain(command.text)
        if not isinstance(text, str) or not text.strip():
            raise EngineError("bad_note", "a note needs some text")
        self.log.emit(EventType.NOTE, {"cmd": {"op": "note", "args": {"text": text}}})

    def _switch_disp_tf(self, command: SetDispTf) -> None:
        """Switch the display timeframe at a boundary both frames share."""
        disp_tf = command.disp_tf
        self._check_active()
        try:
            minutes = parse_disp_tf(disp_tf)
        except ValueError as exc:
            raise EngineError("bad_tf", str(exc)) from None
        nxt = self.clock.next_shared_boundary_ts(self.clock.bucket_codes(minutes)[0])
        if nxt is not None:
            raise EngineError(
                "not_at_boundary",
                f"cannot switch to {disp_tf_label(minutes)} here: the cursor is not at a boundary "
                f"both timeframes share; the next one is at {self._local(nxt, '%a %H:%M')} "
                f"({iso_utc(nxt)})",
            )
        self.clock.set_disp_tf(minutes)
        self.clock.move(self.clock.i)
        cmd = {"op": "set_disp_tf", "args": {"disp_tf": disp_tf_label(minutes)}}
        self.log.emit(EventType.DISP_TF_CHANGE, {"cmd": cmd})

    # --- the execution clock -----------------------------------------------------------
    def _advance(self, command: Step) -> list[Event]:
        """Move the clock exactly as :meth:`step` does, without building the screen's views
        (for bots and headless runs); return the events since the previous step."""
        disp_steps, exec_steps = command.disp_steps, command.exec_steps
        self._check_active()
        clock = self.clock
        if disp_steps is not None and exec_steps is not None:
            raise EngineError("bad_step", "give disp_steps or exec_steps, not both")
        if exec_steps is not None:
            n = positive_int(exec_steps, "exec_steps", "bad_step")
            target = clock.exec_target(n)
            args = {"exec_steps": n}
        else:
            n = 1 if disp_steps is None else positive_int(disp_steps, "disp_steps", "bad_step")
            target = clock.disp_target(n)
            args = {"disp_steps": n}
        self.log.emit(EventType.STEP, {"cmd": {"op": "step", "args": args}})
        self.broker.run(target)
        equity = self.portfolio.equity(clock.last_close())
        self.equity_curve.append((clock.ts_exec(clock.i), _money(equity)))
        if clock.i >= clock.n:
            self._finish("data_end", None)
        return self.log.take_since_step()

    def _end(self, command: End) -> None:
        """End the session now: flatten at the last 1m close and write the summary."""
        self._check_active()
        self._finish("user", {"op": "end", "args": {}})

    def _finish(self, reason: str, cmd: dict | None) -> None:
        self.broker.close_out()
        self.ended = True
        payload = {"reason": reason, "summary": self.summary()}
        if cmd is not None:
            payload["cmd"] = cmd
        self.log.emit(EventType.SESSION_END, payload)

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

    @classmethod
    def from_events(
        cls,
        events: list[Event],
        bars_1m: pd.DataFrame | PreparedBars,
        *,
        session_id: str | None = None,
        upto_exec_index: int | None = None,
        bounds: SessionBounds | None = None,
        bulk_skip: bool = True,
    ) -> ReplaySession:
        """Rebuild a session by re-issuing the commands of its log on the same bars.

        With ``session_id`` the result is a fork whose SESSION_START links its parent; with
        ``upto_exec_index`` (see :meth:`rewind_target`) the rebuild stops when the cursor
        reaches that 1m bar, before the commands given there; ``bounds``: the trading hours
        a session on another exchange than XNYS needs (see :class:`ReplaySession`).
        """
        return rebuild(
            cls,
            events,
            bars_1m,
            session_id=session_id,
            upto_exec_index=upto_exec_index,
            bounds=bounds,
            bulk_skip=bulk_skip,
        )


def _new_york(ts_ns: int) -> pd.Timestamp:
    return pd.Timestamp(ts_ns, tz="UTC").tz_convert(EXCHANGE_TZ)


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
    LinkOco: ReplaySession._link_oco,
    PlaceLadder: ReplaySession._place_ladder,
    CancelLadder: ReplaySession._cancel_ladder,
    Pause: ReplaySession._pause,
    Play: ReplaySession._play,
    SetSpeed: ReplaySession._set_speed,
    Note: ReplaySession._note,
    SetDispTf: ReplaySession._switch_disp_tf,
    End: ReplaySession._end,
}
assert set(_HANDLERS) == set(COMMANDS.values()), "every command has one handler"

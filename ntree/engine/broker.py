"""The paper broker: working orders, OCO groups and brackets, and the bar loop that fills them.

The broker walks the 1m bars one by one where an order can trigger and skips, in bulk, the
spans no order can reach (the result is identical to the per-bar loop of
``bulk_skip=False``, which a test proves). Prices come from :mod:`ntree.engine.fills` through
the session's :class:`~ntree.engine.fills.FillModel`; positions, PnL and excursions from the
:class:`~ntree.engine.portfolio.Portfolio`; every change is an event in the log.
"""

from __future__ import annotations

import numpy as np

from ntree.engine.args import PriceGrid
from ntree.engine.book import TriggerBook
from ntree.engine.clock import NS_PER_MIN, Clock
from ntree.engine.errors import EngineError
from ntree.engine.eventlog import EventLog
from ntree.engine.events import LOG_FORMAT, EventType
from ntree.engine.fills import FillModel
from ntree.engine.orders import (
    LIMIT,
    MARKET,
    SIDE_NAMES,
    STOP,
    WORKING,
    Fill,
    Order,
    bracket_at_fill,
    check_stop_side,
    checked_bracket,
    checked_items,
    checked_place,
)
from ntree.engine.portfolio import Portfolio, _money

_EXIT_REASONS = {"tp": "target", "sl": "stop", "flatten": "flatten"}
_SCAN_CHUNK = 512
_SHORT_SPAN = 48  # below this many bars a Python loop beats numpy's call overhead


class PaperBroker:
    """The working orders of one session and the loop that fills them on the 1m bars."""

    def __init__(
        self,
        clock: Clock,
        portfolio: Portfolio,
        log: EventLog,
        fill_model: FillModel,
        bulk_skip: bool = True,
        log_format: int = LOG_FORMAT,
    ) -> None:
        self.clock, self.portfolio, self.log = clock, portfolio, log
        # Format 3's order checks: stops against the market, brackets against the fill.
        self.checks_market = log_format >= 3
        self.fill_model = fill_model
        self.bulk_skip = bulk_skip
        self.orders: dict[int, Order] = {}  # the working orders, in id order
        self._exits: dict[int, Order] = {}  # those of them that are bracket exits (tp/sl)
        self._book: TriggerBook | None = None  # the live orders by trigger level, once built
        self.fills: list[Fill] = []
        self.prices = PriceGrid(fill_model.tick)
        self._next_oid = 1
        self._next_group = 1
        self._pending_mods = 0  # modifies made while flat: counted on the next trade

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_book": None}  # rebuilt when needed

    # --- checks ----------------------------------------------------------------------------
    def new_order(self, args: dict) -> Order:
        """Check ``place``'s arguments (a dict without None values) and make the order."""
        spec = checked_place(args, self.prices, self.clock.last_close, self.checks_market)
        return self._make_orders([spec])[0]

    def new_orders(self, orders: object) -> tuple[list[dict], list[Order]]:
        """Check ``replace_orders``' items and make their orders: return (the items as
        logged, the orders). One bad item raises, and no order is made."""
        items, specs = checked_items(orders, self.prices, self.clock.last_close, self.checks_market)
        return items, self._make_orders(specs)

    def _make_orders(self, specs: list[tuple]) -> list[Order]:
        """Make the orders of checked fields, with the next ids, live after the latency."""
        live_from = self.clock.i + self.fill_model.latency_bars  # as self.live_from()
        oid = self._next_oid
        self._next_oid = oid + len(specs)
        orders = []
        for sign, type_, qty, price, tag, oco_group, bracket in specs:
            orders.append(Order(oid, sign, type_, qty, price, live_from, tag, oco_group, bracket))
            oid += 1
        return orders

    def release(self, orders: list[Order]) -> None:
        """Give back the ids of orders made but refused (the next order takes them)."""
        if orders:
            self._next_oid = orders[0].order_id

    def check_bracket(self, side: int, ref: float, bracket: object) -> dict:
        """Return a bracket's prices, checked against the side and the reference price."""
        return checked_bracket(side, ref, bracket, self.prices)

    def check_modified_price(self, order: Order, price: object) -> float:
        """Return a modify's new price on the grid; a stop's checked against the market
        (format 3), as a new stop is."""
        new_price = self.prices.check(price)
        if self.checks_market and order.type == STOP:
            check_stop_side(order.side, new_price, self.clock.last_close())
        return new_price

    def working_order(self, order_id: object) -> Order:
        """Return the working order with this id, or raise unknown_order."""
        order = (
            self.orders.get(order_id)
            if isinstance(order_id, int) and not isinstance(order_id, bool)
            else None
        )
        if order is None or order.status != WORKING:
            raise EngineError("unknown_order", f"no working order with id {order_id!r}")
        return order

    def live_from(self) -> int:
        """Return the first bar an order given now may fill on (after the latency)."""
        return self.clock.i + self.fill_model.latency_bars

    def _take_id(self) -> int:
        oid = self._next_oid
        self._next_oid = oid + 1
        return oid

    # --- changes ---------------------------------------------------------------------------
    def add(self, order: Order) -> None:
        """Put an order to work."""
        self.orders[order.order_id] = order
        self._book = None

    def replace(self, new: dict[int, Order]) -> list[int]:
        """Cancel every working order (silently: the caller logs it) for ``new`` (by id);
        return the ids canceled."""
        canceled = list(self.orders)
        for order in self.orders.values():
            order.apply("cancel")
        self._exits.clear()
        self.orders = new
        self._book = None
        return canceled

    def tagged(self, tag: str) -> list[Order]:
        """Return the working orders tagged ``tag`` (a ladder's), in id order."""
        return [o for o in self.orders.values() if o.tag == tag]

    def withdraw(self, orders: list[Order]) -> list[int]:
        """Cancel ``orders`` silently (the caller's one event records it); return their ids."""
        for order in orders:
            order.apply("cancel")
            del self.orders[order.order_id]
            self._exits.pop(order.order_id, None)
        if orders:
            self._book = None
        return [order.order_id for order in orders]

    def link_oco(self, orders: list[Order]) -> tuple[str, list[int]]:
        """Put ``orders`` and every working order of their OCO groups in one new group;
        return it and the ids linked."""
        ids = {o.order_id for o in orders}
        groups = {o.oco_group for o in orders if o.oco_group is not None}
        members = [o for o in self.orders.values() if o.order_id in ids or o.oco_group in groups]
        group = f"oco-{self._next_group}"
        self._next_group += 1
        for order in members:
            order.oco_group = group
        return group, [order.order_id for order in members]

    def cancel(
        self, order: Order, reason: str, cmd: dict | None = None, i: int | None = None
    ) -> None:
        """Cancel a working order and log why."""
        order.apply("cancel")
        del self.orders[order.order_id]
        self._book = None
        if self._exits:
            self._exits.pop(order.order_id, None)
        payload = {"order_id": order.order_id, "reason": reason}
        if cmd is not None:
            payload["cmd"] = cmd
        self.log.emit(EventType.ORDER_CANCELED, payload, i)

    def cancel_all(self, cmd: dict) -> int:
        """Cancel every working order (the first event carries ``cmd``); return how many."""
        working = list(self.orders.values())  # only working orders are kept
        if working:
            self.cancel(working[0], "cancel_all", cmd)
            for order in working[1:]:
                self.cancel(order, "cancel_all")
        return len(working)

    def modify(self, order: Order, price: float | None, qty: int) -> None:
        """Give a working order a new price and qty (counted in mods_count)."""
        order.apply("modify")
        order.price, order.qty = price, qty
        order.mods_count += 1
        order.live_from = max(order.live_from, self.live_from())
        self._book = None
        if self.portfolio.open_trade is not None:
            self.portfolio.open_trade.mods_count += 1
        else:
            self._pending_mods += 1

    def flatten(self, cmd: dict) -> None:
        """Cancel every working order and close the position at the next 1m bar's open."""
        qty = self.portfolio.qty
        self.log.emit(EventType.FLATTEN, {"cmd": cmd, "qty": qty, "reason": "user"})
        for order in [o for o in self.orders.values() if o.status == WORKING]:
            self.cancel(order, "flatten")
        if qty:
            side = -1 if qty > 0 else 1
            order = Order(
                self._take_id(),
                side,
                MARKET,
                abs(qty),
                None,
                self.live_from(),
                "flatten",
                role="flatten",
            )
            self.add(order)
            self.log.emit(EventType.ORDER_PLACED, {"order": order.to_event()})

    def open_bracket(
        self,
        bracket: dict,
        live_from: int,
        parent_id: int | None,
        i: int,
        fill: float | None = None,
    ) -> list[int]:
        """Replace the position's exits with a TP limit and/or SL stop sized to the position.

        Given the ``fill`` that opened the position (format 3), the legs are placed from it
        (:func:`~ntree.engine.orders.bracket_at_fill`): a leg refused is logged as
        BRACKET_LEG_REFUSED, and when no leg is left the exits already working stay."""
        if fill is not None:
            side = 1 if self.portfolio.qty > 0 else -1
            bracket, refused = bracket_at_fill(bracket, side, fill, self.prices.tick)
            for role, px, reason in refused:
                payload = {
                    "order_id": parent_id,
                    "role": role,
                    "price": px,
                    "fill_price": fill,
                    "code": "bracket_through_fill",
                    "reason": reason,
                }
                self.log.emit(EventType.BRACKET_LEG_REFUSED, payload, i)
            if not bracket:
                return []
        pos = self.portfolio.qty
        for order in list(self._exits.values()):
            self.cancel(order, "replaced", i=i)
        group = f"bracket-{self._next_group}"
        self._next_group += 1
        ids = []
        for role, otype in (("tp", LIMIT), ("sl", STOP)):
            if role not in bracket:
                continue
            side = -1 if pos > 0 else 1
            oid = self._take_id()
            order = Order(
                oid,
                side,
                otype,
                abs(pos),
                bracket[role],
                live_from,
                role,
                group,
                role=role,
                parent_id=parent_id,
            )
            self.add(order)
            self._exits[oid] = order
            ids.append(oid)
            self.log.emit(EventType.ORDER_PLACED, {"order": order.to_event()}, i)
        trade = self.portfolio.open_trade
        if "sl" in bracket and trade is not None and trade.initial_stop is None:
            trade.initial_stop = bracket["sl"]
        return ids

    def close_out(self) -> None:
        """End of session: cancel every order and flatten at the last 1m close."""
        clock = self.clock
        last = clock.i - 1
        px = float(clock.close[last])
        for order in list(self.orders.values()):
            self.cancel(order, "session_end")
        pf = self.portfolio
        if not pf.qty:
            return
        qty, ts = pf.qty, int(clock.ts[last]) + NS_PER_MIN
        self.log.emit(EventType.FLATTEN, {"qty": qty, "price": px, "reason": "session_end"})
        realized = pf.fill(-qty, px, ts, "session_end")
        side = SIDE_NAMES[-1 if qty > 0 else 1]
        self.fills.append(Fill(None, side, abs(qty), px, ts, "session_end"))
        payload = {  # the FILL payload, as _fill's
            "order_id": None,
            "side": side,
            "qty": abs(qty),
            "price": px,
            "role": "session_end",
            "position_qty": 0,
            "avg_price": 0.0,
            "realized_pnl": _money(realized),
        }
        self.log.emit(EventType.FILL, payload)

    # --- the bar loop ----------------------------------------------------------------------
    def run(self, target: int) -> None:
        """Play the 1m bars from the cursor up to ``target`` and move the cursor there."""
        i = self.clock.i
        if not self.bulk_skip:
            self._run_per_bar(i, target)
            i = target
        # Bars no live order can reach are marked in bulk, the others processed one by one.
        while i < target:
            if not self.orders:
                self._mark_span(i, target)
                break
            k = self._next_trigger(i, target)
            if k > i:
                self._mark_span(i, k)
                if k >= target:
                    break
            self._process_bar(k)  # a bar _next_trigger returns has a live order
            i = k + 1
        self.clock.move(max(i, target))

    def _run_per_bar(self, i: int, target: int) -> None:
        """The naive loop the skipping one must agree with: every bar on its own, marked by
        the portfolio's per-bar mark when no order is live."""
        clock, pf = self.clock, self.portfolio
        for k in range(i, target):
            if any(order.live_from <= k for order in self.orders.values()):
                self._process_bar(k)
            else:
                pf.mark(clock.h[k], clock.lo[k])

    def _book_at(self, i: int) -> TriggerBook:
        """Return the book of the orders live at bar ``i`` (built again after a change)."""
        book = self._book
        if book is None or i >= book.next_live:
            book = self._book = TriggerBook(self.orders.values(), i, self.fill_model.through)
        return book

    def next_trigger(self, i: int, j: int) -> int:
        """Return the first bar in [i, j) where a working order may fill (j when none can):
        where a playback that pauses on fills must stop to look."""
        return self._next_trigger(i, j) if self.orders else j

    def _next_trigger(self, i: int, j: int) -> int:
        """Return the first bar in [i, j) where a live order may trigger (or become live)."""
        book = self._book_at(i)
        if book.markets:
            return i
        lo_thr, hi_thr = book.lo_level, book.hi_level
        end = j if j < book.next_live else book.next_live
        clock = self.clock
        if end - i <= _SHORT_SPAN:
            bar_lows, bar_highs = clock.lo, clock.h
            for k in range(i, end):
                if bar_lows[k] <= lo_thr or bar_highs[k] >= hi_thr:
                    return k
            return end
        for a in range(i, end, _SCAN_CHUNK):
            b = min(a + _SCAN_CHUNK, end)
            hits = np.flatnonzero((clock.low[a:b] <= lo_thr) | (clock.high[a:b] >= hi_thr))
            if len(hits):
                return a + int(hits[0])
        return end

    def _mark_span(self, i: int, j: int) -> None:
        """Mark bars [i, j) in which nothing fills: excursions and drawdown of the position."""
        pf, clock = self.portfolio, self.clock
        if not pf.qty or j <= i:
            return
        if j - i <= _SHORT_SPAN:
            pf.mark_many(clock.h[i:j], clock.lo[i:j])
        else:
            pf.mark_span(clock.high[i:j], clock.low[i:j])

    def _process_bar(self, k: int) -> None:
        """Fill what bar ``k`` reaches, in order, then mark the bar."""
        clock, pf = self.clock, self.portfolio
        o, h, lo = clock.o[k], clock.h[k], clock.lo[k]
        trade_before = pf.open_trade
        if self.bulk_skip:
            candidates = self._book_at(k).reached(h, lo)
        else:  # the plain loop asks every live order (what the book must agree with)
            candidates = [order for order in self.orders.values() if order.live_from <= k]
        fill_price = self.fill_model.fill_price
        eligible = []
        for order in candidates:
            px = fill_price(order, o, h, lo)
            if px is not None:
                eligible.append((order, px))
        if len(eligible) > 1:
            eligible, locked = self.fill_model.fill_sequence(eligible, o)
            for skipped, winner in locked:
                self._emit_lock(skipped, winner, k)
        for order, px in eligible:
            if order.status == WORKING:  # an earlier fill in this bar may have canceled it
                self._fill(order, px, k)
        if pf.open_trade is not None and pf.open_trade is not trade_before:
            # Opened inside this bar: its extremes may predate the fill. Count the adverse one
            # (pessimistic) but the favourable one only up to the bar's close.
            if pf.qty > 0:
                pf.mark(clock.c[k], lo)
            else:
                pf.mark(h, clock.c[k])
        else:
            pf.mark(h, lo)

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
        self.log.emit(EventType.DIRECTION_LOCK, payload, k)

    def _fill(self, order: Order, px: float, k: int) -> None:
        """Fill ``order`` at ``px`` on bar ``k``, then its OCO group, bracket and exits."""
        pf, log = self.portfolio, self.log
        oid, role = order.order_id, order.role
        order.apply("fill")
        del self.orders[oid]
        if self._book is not None:
            self._book.remove(order)
        if self._exits:
            self._exits.pop(oid, None)
        if order.type == STOP:
            stop = {"order_id": oid, "stop": order.price, "role": role}
            log.emit(EventType.STOP_TRIGGERED, stop, k)
        was_flat = pf.qty == 0
        ts = self.clock.t[k]
        realized = pf.fill(order.side * order.qty, px, ts, _EXIT_REASONS.get(role, "exit"))
        if was_flat and pf.open_trade is not None:
            pf.open_trade.mods_count += self._pending_mods
            self._pending_mods = 0
        side = SIDE_NAMES[order.side]
        self.fills.append(Fill(oid, side, order.qty, px, ts, role))
        # The FILL payload (as close_out's): the fill, and the position after it.
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
        log.emit(EventType.FILL, payload, k)
        if role == "tp":
            log.emit(EventType.TARGET_FILLED, {"order_id": oid, "price": px}, k)
        if order.oco_group is not None:
            for other in [o for o in self.orders.values() if o.oco_group == order.oco_group]:
                self.cancel(other, "oco", i=k)
        # A bracket protects the position its order opened or added to; on an order that only
        # reduced the position its tp/sl would sit on the wrong side and fill at once.
        if order.bracket and pf.qty * order.side > 0:
            self.open_bracket(order.bracket, k + 1, oid, k, px if self.checks_market else None)
        if self._exits:
            self._follow_position(k)

    def _follow_position(self, k: int) -> None:
        """Keep bracket exits sized to the position; drop them once it is flat or flipped."""
        pos = self.portfolio.qty
        for order in list(self._exits.values()):
            if pos == 0 or order.side * pos > 0:
                self.cancel(order, "position_flat" if pos == 0 else "position_flipped", i=k)
            elif order.qty != abs(pos):
                order.qty = abs(pos)
                self.log.emit(
                    EventType.ORDER_MODIFIED,
                    {"order": order.to_event(), "reason": "follow_position"},
                    k,
                )

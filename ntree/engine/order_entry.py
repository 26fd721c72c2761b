"""Order-entry commands of a :class:`~ntree.engine.session.ReplaySession`: OCO between two
working orders, the ladder (laid, re-laid and canceled as one event each), a bracket on the
open position by offsets from its average price, and the buying-power check.

A mixin, as :mod:`ntree.engine.command_methods` is: these handlers read and change the
session's parts (``broker``, ``portfolio``, ``clock``, ``log``, ``config``) and its guards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ntree.engine.args import given, plain
from ntree.engine.commands import CancelLadder, LinkOco, PlaceLadder
from ntree.engine.errors import EngineError
from ntree.engine.events import EventType
from ntree.engine.orders import (
    BRACKET_LEGS,
    MARKET,
    Order,
    bracket_at_fill,
    check_stop_side,
    checked_bracket,
)
from ntree.engine.sizing import MAX_LEVELS, check_buying_power, ladder_orders

if TYPE_CHECKING:
    from ntree.engine.broker import PaperBroker
    from ntree.engine.clock import Clock
    from ntree.engine.config import SessionConfig
    from ntree.engine.eventlog import EventLog
    from ntree.engine.portfolio import Portfolio

#: A ladder's defaults: three levels half an ATR apart, weighted 1-2-3, under one id.
LADDER_LEVELS = 3
LADDER_STEP_ATR = 0.5
LADDER_ID = "ladder"


class OrderEntry:
    """A mixin of :class:`~ntree.engine.session.ReplaySession` (see the module)."""

    broker: PaperBroker
    portfolio: Portfolio
    clock: Clock
    log: EventLog
    config: SessionConfig
    ended: bool

    # and, from the session: _check_active, _check_edit, _reject, last_price, equity

    def _bracket_from_average(self, side: int, args: dict) -> dict:
        """Return the {tp, sl} of offsets from the position's average price (rounded to the
        tick toward it), refused when a leg would fill at once: a stop at or through the last
        price (``stop_through_market``), a target at or through it (``bad_bracket``)."""
        prices, avg, last = self.broker.prices, self.portfolio.avg_price, self.last_price
        spec = checked_bracket(side, avg, args, prices, offsets=True)
        legs = {k: v for k, v in spec.items() if k in ("tp", "sl")}
        offsets = {k: v for k, v in spec.items() if k not in ("tp", "sl")}
        legs.update(bracket_at_fill(offsets, side, avg, prices.tick)[0])
        named = {
            leg: next(k for k in keys if k in args)
            for leg, keys in BRACKET_LEGS.items()
            if any(k in args for k in keys)
        }  # the argument each leg was given by
        if "sl" in legs:
            try:
                check_stop_side(-side, legs["sl"], last)
            except EngineError as err:
                raise EngineError(err.code, f"sl: {err.message}", named["sl"]) from None
        if "tp" in legs and (legs["tp"] - last) * side <= 0:
            where = "above" if side > 0 else "below"
            raise EngineError(
                "bad_bracket",
                f"tp {legs['tp']} must be {where} the last price {last}; it would fill at once",
                named["tp"],
            )
        return legs

    def _link_oco(self, command: LinkOco) -> str:
        """Link two working orders one-cancels-other; return their OCO group."""
        order_ids = plain(command.order_ids)
        cmd = {"op": "link_oco", "args": {"order_ids": order_ids}}
        self._check_active()
        try:
            self._check_edit()
            if (
                not isinstance(order_ids, list)
                or len(order_ids) != 2
                or order_ids[0] == order_ids[1]
            ):
                raise EngineError(
                    "bad_oco",
                    f"order_ids must be two different orders, got {order_ids!r}",
                    "order_ids",
                )
            try:
                orders = [self.broker.working_order(oid) for oid in order_ids]
            except EngineError as err:  # the field at fault is the pair
                raise EngineError(err.code, err.message, "order_ids") from None
        except EngineError as err:
            self._reject(cmd, err)
            raise
        group, linked = self.broker.link_oco(orders)
        payload = {"cmd": cmd, "oco_group": group, "order_ids": linked}
        self.log.emit(EventType.ORDERS_LINKED, payload)
        return group

    def ladder_plan(self, command: PlaceLadder) -> list[dict]:
        """Return the orders ``command`` would lay now (the chart's preview; nothing logged)."""
        clock, last = self.clock, self.clock.disp_index - 1
        bands = {}
        for key in ("ch_upper", "ch_lower", "atr14"):
            v = float(clock.disp_cols[key][last]) if last >= 0 else math.nan
            bands[key] = None if v != v else v
        weights = plain(command.weights)
        levels = plain(command.levels)
        if levels is None:
            levels = len(weights) if isinstance(weights, list) and weights else LADDER_LEVELS
        if weights is None:
            known = levels.__class__ is int and 0 < levels <= MAX_LEVELS
            weights = list(range(1, levels + 1)) if known else []
        return ladder_orders(
            upper=bands["ch_upper"],
            lower=bands["ch_lower"],
            atr=bands["atr14"],
            levels=levels,
            step_atr=LADDER_STEP_ATR if command.step_atr is None else plain(command.step_atr),
            weights=weights,
            qty=plain(command.qty),
            tick=self.broker.prices.tick,
            side=command.side or "BOTH",
        )

    def _place_ladder(self, command: PlaceLadder) -> list[int]:
        """Lay the ladder (replacing the working orders of the same ``ladder_id``) as one
        LADDER_PLACED event; return the new ids."""
        args = given(command.args())
        cmd = {"op": "place_ladder", "args": args}
        ladder_id = args.get("ladder_id", LADDER_ID)
        try:
            self._check_edit()
            if not isinstance(ladder_id, str) or not ladder_id:
                raise EngineError("bad_tag", f"ladder_id must be text, got {ladder_id!r}")
            items = [{**o, "tag": ladder_id} for o in self.ladder_plan(command)]
            _, new = self.broker.new_orders(items)
            old = self.broker.tagged(ladder_id)
            if self.config.leverage is not None:
                self._check_buying_power(new, replacing=old)
        except EngineError as err:
            if not self.ended:
                self._reject(cmd, err)
            raise
        canceled = self.broker.withdraw(old)
        for order in new:
            self.broker.add(order)
        ids = [order.order_id for order in new]
        payload = {
            "cmd": cmd,
            "ladder_id": ladder_id,
            "canceled": canceled,
            "order_ids": ids,
            "orders": [{k: o[k] for k in ("side", "qty", "price")} for o in items],
        }
        self.log.emit(EventType.LADDER_PLACED, payload)
        return ids

    def _cancel_ladder(self, command: CancelLadder) -> int:
        """Cancel the working orders of a ladder as one LADDER_CANCELED event; return how
        many."""
        args = given(command.args())
        cmd = {"op": "cancel_ladder", "args": args}
        ladder_id = args.get("ladder_id", LADDER_ID)
        self._check_active()
        try:
            self._check_edit()
            old = self.broker.tagged(ladder_id) if isinstance(ladder_id, str) else []
            if not old:
                raise EngineError("unknown_ladder", f"no working orders of ladder {ladder_id!r}")
        except EngineError as err:
            self._reject(cmd, err)
            raise
        canceled = self.broker.withdraw(old)
        payload = {"cmd": cmd, "ladder_id": ladder_id, "order_ids": canceled}
        self.log.emit(EventType.LADDER_CANCELED, payload)
        return len(canceled)

    def _check_buying_power(
        self, new: list[Order], replacing: Iterable[Order] = (), fresh: bool = True
    ) -> None:
        """Refuse orders that could take the position past equity x leverage (only with a
        ``leverage``: logs without one re-run with no limit)."""
        gone = {id(o) for o in replacing}
        working = [
            (o.side, o.qty)
            for o in self.broker.orders.values()
            if o.role == "entry" and id(o) not in gone
        ]
        last = self.last_price
        try:
            check_buying_power(
                position=self.portfolio.qty,
                working=working,
                new=[(o.side, o.qty, last if o.type == MARKET else o.price) for o in new],
                equity=self.equity,
                leverage=self.config.leverage,
                last=last,
            )
        except EngineError:
            if fresh:
                self.broker.release(new)  # made for this command: their ids are free again
            raise

"""Every price rule of the paper broker, v1 "perfect fill", evaluated on one 1-minute bar.

The broker applies them through one immutable :class:`FillModel`; nothing outside this module
decides a fill's price, a trigger level or which of several orders a bar fills.

- Limit buy fills when low <= limit, limit sell when high >= limit: at the limit, or at the
  open when the bar opens through it (a gap gives the better price).
- Stop buy triggers when high >= stop, stop sell when low <= stop: at the stop, or at the
  open when the bar gaps through it (the worse price).
- Market fills at the open of the next 1-minute bar.
- Knobs: with ``limit_fill_ticks_worse = n`` a limit fills only once the bar trades n ticks
  through it (a pessimistic queue: a touch is not a fill), still at its price, never beyond;
  market and stop fills slip ``market_slippage_ticks`` ticks against the trader (rounded to
  the tick grid). ``latency_bars`` delays when an order becomes live; ``commission_per_share``
  is charged by the portfolio on every fill.
- Direction lock: when a bar reaches orders on both sides, the one whose trigger price is
  nearest the bar's open (then the lowest order id) decides the bar's direction; only orders
  of that direction fill in that bar, the others stay working.

- Trigger levels: a bar can fill an order only by reaching its level (:func:`trigger_levels`),
  a buy limit's price less the ticks it must trade through, a sell limit's plus them, a stop's
  price; the broker's :class:`~ntree.engine.book.TriggerBook` sorts the orders by it.

Every function is pure; ``side`` is +1 for BUY and -1 for SELL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, field, fields
from operator import itemgetter

from ntree.engine.orders import LIMIT, STOP, Order
from ntree.engine.ticks import round_to_tick

BUY = 1
SELL = -1
_by_distance_then_id = itemgetter(0, 1)


@dataclass(frozen=True, slots=True)
class FillModel:
    """How orders fill: the knobs of the module's rules, and the session's tick."""

    limit_fill_ticks_worse: int = 0
    market_slippage_ticks: int = 0
    latency_bars: int = 0
    direction_lock: bool = True
    commission_per_share: float = 0.0
    tick: float = 0.01
    #: How far beyond its price a bar must trade to fill a limit order (derived).
    through: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "through", self.limit_fill_ticks_worse * self.tick)

    def fill_price(self, order: Order, o: float, h: float, lo: float) -> float | None:
        """Return the price ``order`` fills at on this bar (slipped), or None."""
        if order.type == LIMIT:
            return limit_fill_price(order.side, order.price, o, h, lo, self.through)
        if order.type == STOP:
            px = stop_fill_price(order.side, order.price, o, h, lo)
        else:
            px = market_fill_price(o)
        if px is not None and self.market_slippage_ticks:
            px = slipped(px, order.side, self.market_slippage_ticks, self.tick)
        return px

    def fill_sequence(
        self, eligible: list[tuple[Order, float]], o: float
    ) -> tuple[list[tuple[Order, float]], list[tuple[Order, Order]]]:
        """Return the (order, price) pairs a bar fills, in order, and the (order kept
        working, the order that decided the bar) pairs of the direction lock."""
        return fill_sequence(eligible, o, self.direction_lock)


#: The fill model's knobs (SessionConfig fields), as a session's state shows them.
FILL_MODEL_KNOBS = tuple(f.name for f in fields(FillModel) if f.init and f.name != "tick")
assert astuple(FillModel()) == (0, 0, 0, True, 0.0, 0.01, 0.0), "the v1 perfect fill"


def trigger_levels(
    orders: Iterable[Order], through: float
) -> tuple[list[tuple[float, Order]], list[tuple[float, Order]]]:
    """Return the (level, order) pairs of the limit and stop orders a bar's low reaches and
    of those its high reaches: a buy limit's level is its price less the ticks it must trade
    through, a sell limit's its price plus them, a stop's its price."""
    lows: list[tuple[float, Order]] = []
    highs: list[tuple[float, Order]] = []
    for order in orders:
        if order.type == LIMIT:
            if order.side == BUY:
                lows.append((order.price - through, order))
            else:
                highs.append((order.price + through, order))
        elif order.side == BUY:  # a buy stop triggers on the way up
            highs.append((order.price, order))
        else:
            lows.append((order.price, order))
    return lows, highs


def limit_fill_price(
    side: int, limit: float, o: float, h: float, lo: float, through: float = 0.0
) -> float | None:
    """Return the fill price of a limit order on a bar, or None when the bar does not reach it.

    ``through`` > 0 asks the bar to trade that far beyond the limit before it fills.
    """
    if side == BUY:
        if lo <= limit - through:
            return o if o < limit else limit
        return None
    if h >= limit + through:
        return o if o > limit else limit
    return None


def stop_fill_price(side: int, stop: float, o: float, h: float, lo: float) -> float | None:
    """Return the fill price of a stop-market order on a bar, or None when not triggered."""
    if side == BUY:
        if h >= stop:
            return o if o > stop else stop
        return None
    if lo <= stop:
        return o if o < stop else stop
    return None


def market_fill_price(o: float) -> float:
    """Return the fill price of a market order: the bar's open."""
    return o


def trigger_distance(trigger: float | None, o: float) -> float:
    """Return how far an order's trigger price lies from the bar open (0 for market orders)."""
    return 0.0 if trigger is None else abs(trigger - o)


def direction_of_bar(eligible: list[tuple[float, int, int]]) -> int:
    """Return the side (+1/-1) that wins a bar, from (distance, order_id, side) triples."""
    return min(eligible)[2]


def slipped(px: float, side: int, ticks: int, tick: float) -> float:
    """Return a market or stop fill price moved ``ticks`` ticks against the trader."""
    return round_to_tick(px + side * ticks * tick, tick)


def fill_sequence(
    eligible: list[tuple[Order, float]], o: float, direction_lock: bool
) -> tuple[list[tuple[Order, float]], list[tuple[Order, Order]]]:
    """Return the (order, price) pairs a bar reaching several orders fills, in the order they
    fill (nearest the open, then FIFO), and the orders the direction lock keeps working,
    each with the order whose side won the bar."""
    ranked = sorted(
        ((trigger_distance(order.price, o), order.order_id, order, px) for order, px in eligible),
        key=_by_distance_then_id,
    )
    locked: list[tuple[Order, Order]] = []
    if direction_lock:
        side = direction_of_bar([(d, oid, order.side) for d, oid, order, _ in ranked])
        winner = next(order for _, _, order, _ in ranked if order.side == side)
        locked = [(order, winner) for _, _, order, _ in ranked if order.side != side]
        ranked = [e for e in ranked if e[2].side == side]
    return [(order, px) for _, _, order, px in ranked], locked

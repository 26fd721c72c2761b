"""Fill rules of the paper broker, v1 "perfect fill", evaluated on one 1-minute bar.

- Limit buy fills when low <= limit, limit sell when high >= limit: at the limit, or at the
  open when the bar opens through it (a gap gives the better price).
- Stop buy triggers when high >= stop, stop sell when low <= stop: at the stop, or at the
  open when the bar gaps through it (the worse price).
- Market fills at the open of the next 1-minute bar.
- Knobs: with ``limit_fill_ticks_worse = n`` a limit fills only once the bar trades n ticks
  through it (a pessimistic queue: a touch is not a fill), still at its price, never beyond;
  market and stop fills slip ``market_slippage_ticks`` ticks against the trader.
- Direction lock: when a bar reaches orders on both sides, the one whose trigger price is
  nearest the bar's open (then the lowest order id) decides the bar's direction; only orders
  of that direction fill in that bar, the others stay working.

Every function is pure; ``side`` is +1 for BUY and -1 for SELL.
"""

from __future__ import annotations

BUY = 1
SELL = -1

#: The fill model's knobs (SessionConfig fields), as a session's state shows them.
FILL_MODEL_KNOBS = (
    "limit_fill_ticks_worse",
    "market_slippage_ticks",
    "latency_bars",
    "direction_lock",
    "commission_per_share",
)


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

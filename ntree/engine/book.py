"""The working orders as the bar loop reads them: trigger levels, sorted.

A bar can fill an order only by reaching its *level*
(:func:`~ntree.engine.fills.trigger_levels`: a buy limit's price less the ticks it must trade
through and a sell stop's price, from above, by the bar's low; a sell limit's plus those
ticks and a buy stop's, by its high). Sorted nearest-first, the book answers the loop's two
questions without walking every order:

- can bar k fill anything? ``low[k] <= lo_level`` or ``high[k] >= hi_level``;
- which orders can it fill? a prefix of ``lows`` and of ``highs``, and every market order.

The broker builds a book from its working orders when they change (a command, a cancel)
and takes filled orders out of it; orders not yet live (latency, a bracket opened inside
the bar) wait until ``next_live``, when the broker builds the book again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from operator import itemgetter

from ntree.engine.fills import trigger_levels
from ntree.engine.orders import MARKET, Order

NEVER = 1 << 62  # a bar index no session reaches
_level = itemgetter(0)


class TriggerBook:
    """The live orders of one moment, by trigger level (see the module's docstring)."""

    __slots__ = ("lows", "highs", "markets", "next_live")

    def __init__(self, orders: Iterable[Order], now: int, through: float) -> None:
        priced: list[Order] = []  # limits and stops, placed by fills.trigger_levels
        markets: list[Order] = []
        next_live = NEVER
        for order in orders:
            live_from = order.live_from
            if live_from > now:
                if live_from < next_live:
                    next_live = live_from
            elif order.type == MARKET:
                markets.append(order)
            else:
                priced.append(order)
        # lows: reached by a bar's low, highest level first; highs: by its high, lowest first.
        lows, highs = trigger_levels(priced, through)
        lows.sort(key=_level, reverse=True)
        highs.sort(key=_level)
        self.lows, self.highs, self.markets, self.next_live = lows, highs, markets, next_live

    @property
    def lo_level(self) -> float:
        """The highest level a bar's low can reach an order at (-inf: none)."""
        return self.lows[0][0] if self.lows else -math.inf

    @property
    def hi_level(self) -> float:
        """The lowest level a bar's high can reach an order at (+inf: none)."""
        return self.highs[0][0] if self.highs else math.inf

    def reached(self, high: float, low: float) -> list[Order]:
        """Return the live orders a bar with this high and low reaches (markets first)."""
        out = list(self.markets)
        for level, order in self.lows:
            if low > level:
                break
            out.append(order)
        for level, order in self.highs:
            if high < level:
                break
            out.append(order)
        return out

    def remove(self, order: Order) -> None:
        """Take a filled order out of the book."""
        for side in (self.lows, self.highs):
            for n, entry in enumerate(side):
                if entry[1] is order:
                    del side[n]
                    return
        self.markets.remove(order)

"""The trigger book: which live orders a bar can reach, nearest level first."""

from __future__ import annotations

import math

from ntree.engine.book import NEVER, TriggerBook
from ntree.engine.orders import LIMIT, MARKET, STOP, Order


def order(oid: int, side: int, otype: str, price: float | None, live_from: int = 0) -> Order:
    return Order(oid, side, otype, 1, price, live_from)


BUY_LIMITS = [order(1, 1, LIMIT, 99.0), order(2, 1, LIMIT, 99.5)]
SELL_STOP = order(3, -1, STOP, 98.0)
SELL_LIMIT = order(4, -1, LIMIT, 101.0)
BUY_STOP = order(5, 1, STOP, 100.5)


def test_levels_are_sorted_nearest_first_on_each_side() -> None:
    book = TriggerBook([*BUY_LIMITS, SELL_STOP, SELL_LIMIT, BUY_STOP], now=0, through=0.0)
    assert [o.order_id for _, o in book.lows] == [2, 1, 3]
    assert [o.order_id for _, o in book.highs] == [5, 4]
    assert (book.lo_level, book.hi_level) == (99.5, 100.5)
    assert book.next_live == NEVER and book.markets == []


def test_a_bar_reaches_a_prefix_of_each_side_and_every_market_order() -> None:
    market = order(6, 1, MARKET, None)
    book = TriggerBook([*BUY_LIMITS, SELL_STOP, SELL_LIMIT, BUY_STOP, market], 0, 0.0)
    assert [o.order_id for o in book.reached(high=100.0, low=99.5)] == [6, 2]
    assert [o.order_id for o in book.reached(high=101.0, low=98.0)] == [6, 2, 1, 3, 5, 4]
    assert [o.order_id for o in book.reached(high=100.4, low=99.6)] == [6]


def test_limits_wait_for_the_ticks_they_must_trade_through() -> None:
    book = TriggerBook([*BUY_LIMITS, SELL_LIMIT, BUY_STOP], now=0, through=0.02)
    assert book.lo_level == 99.48 and [lvl for lvl, _ in book.highs] == [100.5, 101.02]
    assert book.reached(high=101.01, low=99.49) == [BUY_STOP]


def test_orders_not_yet_live_wait_and_set_next_live() -> None:
    later = [order(7, 1, LIMIT, 99.9, live_from=5), order(8, -1, LIMIT, 100.1, live_from=3)]
    book = TriggerBook([*later, SELL_LIMIT], now=2, through=0.0)
    assert book.next_live == 3 and book.lo_level == -math.inf and book.hi_level == 101.0
    assert TriggerBook(later, now=3, through=0.0).hi_level == 100.1


def test_a_filled_order_leaves_the_book() -> None:
    market = order(6, 1, MARKET, None)
    book = TriggerBook([*BUY_LIMITS, SELL_LIMIT, market], now=0, through=0.0)
    book.remove(BUY_LIMITS[1])
    book.remove(market)
    book.remove(SELL_LIMIT)
    assert book.lo_level == 99.0 and book.hi_level == math.inf and book.markets == []

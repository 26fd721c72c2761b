"""Fill rules: each as a pure function, then the same rule through a ReplaySession.

Session minute k is the k-th 1m bar of 2024-07-08 (0 = 13:30 UTC); bars not listed are quiet
at the previous close (see ``engine_helpers``).
"""

from __future__ import annotations

import pytest
from engine_helpers import DAY_CLOSE, DAY_OPEN, fills, iso, make_session, of_type

from ntree.codec import log_hash
from ntree.engine import EngineError, ReplaySession
from ntree.engine.config import SessionConfig
from ntree.engine.fills import (
    BUY,
    FILL_MODEL_KNOBS,
    SELL,
    FillModel,
    direction_of_bar,
    fill_sequence,
    limit_fill_price,
    market_fill_price,
    stop_fill_price,
    trigger_distance,
    trigger_levels,
)
from ntree.engine.orders import Order

# --- pure functions ---------------------------------------------------------------------


def test_limit_buy_touched_fills_at_limit() -> None:
    assert limit_fill_price(BUY, 99.0, o=100.0, h=100.5, lo=98.5) == 99.0


def test_limit_buy_exactly_touched_by_low_fills_at_limit() -> None:
    assert limit_fill_price(BUY, 99.0, o=100.0, h=100.5, lo=99.0) == 99.0


def test_limit_buy_not_reached_does_not_fill() -> None:
    assert limit_fill_price(BUY, 99.0, o=100.0, h=100.5, lo=99.01) is None


def test_limit_buy_gapped_through_fills_at_open() -> None:
    assert limit_fill_price(BUY, 99.0, o=98.0, h=98.5, lo=97.5) == 98.0


def test_limit_sell_touched_fills_at_limit() -> None:
    assert limit_fill_price(SELL, 101.0, o=100.0, h=101.5, lo=99.5) == 101.0


def test_limit_sell_not_reached_does_not_fill() -> None:
    assert limit_fill_price(SELL, 101.0, o=100.0, h=100.99, lo=99.5) is None


def test_limit_sell_gapped_through_fills_at_open() -> None:
    assert limit_fill_price(SELL, 101.0, o=102.0, h=102.5, lo=101.5) == 102.0


def test_stop_buy_triggered_fills_at_stop() -> None:
    assert stop_fill_price(BUY, 101.0, o=100.0, h=101.5, lo=99.5) == 101.0


def test_stop_buy_not_reached_does_not_trigger() -> None:
    assert stop_fill_price(BUY, 101.0, o=100.0, h=100.99, lo=99.5) is None


def test_stop_buy_gapped_through_fills_at_open() -> None:
    assert stop_fill_price(BUY, 101.0, o=102.0, h=102.5, lo=101.5) == 102.0


def test_stop_sell_triggered_fills_at_stop() -> None:
    assert stop_fill_price(SELL, 99.0, o=100.0, h=100.5, lo=98.5) == 99.0


def test_stop_sell_not_reached_does_not_trigger() -> None:
    assert stop_fill_price(SELL, 99.0, o=100.0, h=100.5, lo=99.01) is None


def test_stop_sell_gapped_through_fills_at_open() -> None:
    assert stop_fill_price(SELL, 99.0, o=98.0, h=98.5, lo=97.5) == 98.0


def test_market_fills_at_open() -> None:
    assert market_fill_price(100.25) == 100.25


def test_trigger_distance_is_zero_for_market_and_absolute_otherwise() -> None:
    assert trigger_distance(None, 100.0) == 0.0
    assert trigger_distance(99.0, 100.0) == 1.0
    assert trigger_distance(101.5, 100.0) == 1.5


def test_direction_of_bar_nearest_trigger_wins() -> None:
    assert direction_of_bar([(1.0, 1, BUY), (0.5, 2, SELL)]) == SELL


def test_direction_of_bar_tie_goes_to_lower_order_id() -> None:
    assert direction_of_bar([(1.0, 2, BUY), (1.0, 1, SELL)]) == SELL
    assert direction_of_bar([(1.0, 1, BUY), (1.0, 2, SELL)]) == BUY


# --- the same rules through a session ---------------------------------------------------


def run(rows, *orders, steps: int = 5, **cfg):
    """Place ``orders`` (side, type, qty, price) at 13:30, step ``steps`` 1m bars; return events."""
    s = make_session(rows, **cfg)
    for side, otype, qty, price in orders:
        s.place(side, otype, qty, price)
    s.step(exec_steps=steps)
    return s, s.drain_events()


def test_session_limit_buy_touched_fills_at_limit_on_the_touching_bar() -> None:
    _, events = run([None, (100, 100.5, 98.5, 99.5)], ("BUY", "LIMIT", 10, 99.0))
    (fill,) = fills(events)
    assert (fill["price"], fill["qty"], fill["side"], fill["ts_exec"]) == (99.0, 10, "BUY", iso(1))


def test_session_limit_buy_gapped_through_fills_at_open() -> None:
    _, events = run([None, (98.0, 98.5, 97.5, 98.2)], ("BUY", "LIMIT", 10, 99.0))
    assert [f["price"] for f in fills(events)] == [98.0]


def test_session_limit_sell_touched_fills_at_limit() -> None:
    _, events = run([(100, 101.2, 99.8, 101)], ("SELL", "LIMIT", 5, 101.0))
    assert [(f["price"], f["side"], f["ts_exec"]) for f in fills(events)] == [
        (101.0, "SELL", iso(0))
    ]


def test_session_limit_sell_gapped_through_fills_at_open() -> None:
    _, events = run([(102, 102.5, 101.5, 102)], ("SELL", "LIMIT", 5, 101.0))
    assert [f["price"] for f in fills(events)] == [102.0]


def test_session_stop_buy_fills_at_stop() -> None:
    _, events = run([None, None, (100, 101.5, 99.9, 101.2)], ("BUY", "STOP", 3, 101.0))
    (fill,) = fills(events)
    assert (fill["price"], fill["ts_exec"]) == (101.0, iso(2))
    assert [e.payload["stop"] for e in of_type(events, "STOP_TRIGGERED")] == [101.0]


def test_session_stop_buy_gapped_through_fills_at_worse_open() -> None:
    _, events = run([None, (102, 102.5, 101.8, 102)], ("BUY", "STOP", 3, 101.0))
    assert [f["price"] for f in fills(events)] == [102.0]


def test_session_stop_sell_fills_at_stop() -> None:
    _, events = run([None, (100, 100.1, 98.5, 98.8)], ("SELL", "STOP", 3, 99.0))
    assert [f["price"] for f in fills(events)] == [99.0]


def test_session_stop_sell_gapped_through_fills_at_worse_open() -> None:
    _, events = run([None, (97.5, 98.0, 97.0, 97.2)], ("SELL", "STOP", 3, 99.0))
    assert [f["price"] for f in fills(events)] == [97.5]


def test_session_market_fills_at_next_1m_bar_open() -> None:
    s = make_session([(100, 100.5, 99.5, 100.2), (100.3, 100.9, 100.1, 100.8)])
    s.step(exec_steps=1)  # 13:30 bar is done; the cursor is before 13:31
    s.place("BUY", "MARKET", 7)
    s.step(exec_steps=1)
    (fill,) = fills(s.drain_events())
    assert (fill["price"], fill["ts_exec"]) == (100.3, iso(1))


def test_session_order_placed_after_the_touching_bar_does_not_fill_on_it() -> None:
    # Minute 0 dips to 98; a buy limit at 99 placed once minute 0 is over must not see it.
    s = make_session([(100, 100, 98, 100), (100, 100.5, 99.5, 100)], edit_on_disp_boundary=True)
    s.step(exec_steps=1)
    s.step(exec_steps=4)  # now at the 13:35 boundary, past the dip
    s.place("BUY", "LIMIT", 1, 99.0)
    s.step(exec_steps=10)
    assert fills(s.drain_events()) == []
    assert s.position()["qty"] == 0


def test_session_order_placed_at_boundary_is_live_from_the_next_1m_bar() -> None:
    rows = [None] * 5 + [(100, 100, 98.5, 99)]  # minute 5 (13:35) dips through 99
    s = make_session(rows, edit_on_disp_boundary=True)
    s.step()  # to the 13:35 boundary
    s.place("BUY", "LIMIT", 1, 99.0)
    s.step()
    assert [(f["price"], f["ts_exec"]) for f in fills(s.drain_events())] == [(99.0, iso(5))]


# --- fill-model knobs -------------------------------------------------------------------


def test_limit_fill_ticks_worse_needs_the_bar_to_trade_through_and_fills_at_the_limit() -> None:
    _, events = run(
        [None, (100, 100.5, 98.5, 99.5)], ("BUY", "LIMIT", 10, 99.0), limit_fill_ticks_worse=2
    )
    assert [f["price"] for f in fills(events)] == [99.0]  # never beyond the limit


def test_limit_fill_ticks_worse_a_mere_touch_is_not_a_fill() -> None:
    _, events = run(
        [None, (100, 100.5, 98.99, 99.5)], ("BUY", "LIMIT", 10, 99.0), limit_fill_ticks_worse=2
    )
    assert fills(events) == []  # 98.99 is one tick through, two are needed


def test_limit_fill_ticks_worse_on_a_sell_limit() -> None:
    _, events = run(
        [(100, 101.2, 99.8, 101), (101, 101.01, 100.5, 101)],
        ("SELL", "LIMIT", 5, 101.0),
        limit_fill_ticks_worse=1,
    )
    assert [f["price"] for f in fills(events)] == [101.0]


def test_market_slippage_ticks_worsen_market_and_stop_fills() -> None:
    rows = [(100, 100.5, 99.5, 100), (100, 101.5, 99.9, 101)]
    _, events = run(
        rows,
        ("BUY", "MARKET", 1, None),
        ("SELL", "STOP", 1, 99.6),
        market_slippage_ticks=3,
        direction_lock=False,
    )
    prices = {f["side"]: f["price"] for f in fills(events)}
    assert prices == {"BUY": 100.03, "SELL": 99.57}


def test_latency_bars_delays_when_an_order_goes_live() -> None:
    rows = [(100, 100.2, 98.0, 100), (100, 100.2, 98.5, 100), (100, 100.2, 99.8, 100)]
    _, events = run(rows, ("BUY", "LIMIT", 1, 99.0), latency_bars=1)
    assert [(f["price"], f["ts_exec"]) for f in fills(events)] == [(99.0, iso(1))]


def test_latency_bars_delay_a_market_order_to_the_open_after_next() -> None:
    rows = [(100, 100.2, 99.8, 100.1), (100.5, 100.6, 100.4, 100.5)]
    _, events = run(rows, ("BUY", "MARKET", 1, None), latency_bars=1)
    assert [(f["price"], f["ts_exec"]) for f in fills(events)] == [(100.5, iso(1))]


# --- direction lock ---------------------------------------------------------------------

BOTH_SIDES = (100, 101.5, 98.0, 100)  # reaches a buy limit at 99 and a sell limit at 100.5


def test_direction_lock_nearest_trigger_to_open_decides_and_other_stays_working() -> None:
    rows = [BOTH_SIDES, None, (100, 101, 99.9, 100)]
    s, events = run(rows, ("BUY", "LIMIT", 1, 99.0), ("SELL", "LIMIT", 1, 100.5), steps=1)
    assert [(f["order_id"], f["price"]) for f in fills(events)] == [(2, 100.5)]
    (lock,) = of_type(events, "DIRECTION_LOCK")
    assert lock.payload["order_id"] == 1 and lock.payload["winner_order_id"] == 2
    assert "nearest the open" in lock.payload["reason"]
    assert [o["order_id"] for o in s.working_orders()] == [1]


def test_direction_lock_skipped_order_fills_on_a_later_bar() -> None:
    rows = [BOTH_SIDES, (100, 100.2, 99.5, 99.8), (99.5, 99.6, 98.9, 99.2)]
    s, events = run(rows, ("BUY", "LIMIT", 1, 99.0), ("SELL", "LIMIT", 1, 100.5), steps=3)
    assert [(f["order_id"], f["price"], f["ts_exec"]) for f in fills(events)] == [
        (2, 100.5, iso(0)),
        (1, 99.0, iso(2)),
    ]
    assert s.position()["qty"] == 0


def test_direction_lock_tie_on_distance_goes_to_lower_order_id() -> None:
    # Open 100: the sell limit at 101 and the buy limit at 99 are both 1.00 away.
    rows = [(100, 101.5, 98.5, 100)]
    _, events = run(rows, ("SELL", "LIMIT", 1, 101.0), ("BUY", "LIMIT", 1, 99.0), steps=1)
    assert [f["order_id"] for f in fills(events)] == [1]
    assert [e.payload["order_id"] for e in of_type(events, "DIRECTION_LOCK")] == [2]


def test_direction_lock_off_lets_both_sides_fill_in_one_bar() -> None:
    rows = [BOTH_SIDES]
    _, events = run(
        rows, ("BUY", "LIMIT", 1, 99.0), ("SELL", "LIMIT", 1, 100.5), steps=1, direction_lock=False
    )
    assert sorted((f["order_id"], f["price"]) for f in fills(events)) == [(1, 99.0), (2, 100.5)]
    assert of_type(events, "DIRECTION_LOCK") == []


def test_direction_lock_same_side_orders_all_fill() -> None:
    rows = [(100, 100.2, 98.0, 99)]
    s, events = run(rows, ("BUY", "LIMIT", 1, 99.5), ("BUY", "LIMIT", 2, 98.5), steps=1)
    assert [(f["order_id"], f["price"]) for f in fills(events)] == [(1, 99.5), (2, 98.5)]
    assert s.position()["qty"] == 3


@pytest.mark.parametrize("bulk_skip", [True, False])
def test_direction_lock_is_the_same_with_and_without_bulk_skip(bulk_skip: bool) -> None:
    rows = [None] * 7 + [BOTH_SIDES]
    s, events = run(
        rows, ("BUY", "LIMIT", 1, 99.0), ("SELL", "LIMIT", 1, 100.5), steps=10, bulk_skip=bulk_skip
    )
    assert [(f["order_id"], f["ts_exec"]) for f in fills(events)] == [(2, iso(7))]
    assert len(of_type(events, "DIRECTION_LOCK")) == 1


def test_a_stop_market_order_is_a_stop_under_its_longer_name() -> None:
    # STOP_MARKET (the name many brokers and bots use) places a STOP: the same fills, the
    # order shown as STOP, the command logged as given, and an identical re-run.
    rows = [None, (100, 101.5, 99.9, 101.2)]
    s, events = run(rows, ("BUY", "STOP_MARKET", 3, 101.0))
    _, as_stop = run(rows, ("BUY", "STOP", 3, 101.0))
    assert fills(events) == fills(as_stop) and [f["price"] for f in fills(events)] == [101.0]
    (placed,) = of_type(events, "ORDER_PLACED")
    assert placed.payload["cmd"]["args"]["type"] == "STOP_MARKET"
    assert placed.payload["order"]["type"] == "STOP"
    rebuilt = ReplaySession.from_events(events, s.bars)
    assert log_hash(rebuilt.drain_events()) == log_hash(events)


@pytest.mark.parametrize("name", ["STOP_LIMIT", "stop", "", None])
def test_an_unknown_order_type_is_refused_naming_the_known_ones(name) -> None:
    s = make_session()
    with pytest.raises(EngineError) as exc:
        s.place("BUY", name, 1, 99.0)
    assert exc.value.code == "bad_type"
    assert "('LIMIT', 'STOP', 'MARKET') (STOP_MARKET is STOP)" in exc.value.message


# --- the fill model: one value applies every rule -----------------------------------------


def test_fill_model_slips_market_and_stop_fills_against_the_trader_on_the_tick() -> None:
    model = FillModel(market_slippage_ticks=2, tick=0.05)
    buy_stop = Order(1, BUY, "STOP", 10, 100.0, 0)
    sell_market = Order(2, SELL, "MARKET", 10, None, 0)
    assert model.fill_price(buy_stop, o=99.0, h=100.5, lo=98.5) == 100.1
    assert model.fill_price(sell_market, o=99.0, h=100.5, lo=98.5) == 98.9


def test_fill_model_never_slips_a_limit_and_asks_it_to_trade_through() -> None:
    model = FillModel(limit_fill_ticks_worse=2, market_slippage_ticks=3)
    buy_limit = Order(1, BUY, "LIMIT", 10, 99.0, 0)
    assert model.fill_price(buy_limit, o=100.0, h=100.0, lo=98.99) is None  # 1 tick through
    assert model.fill_price(buy_limit, o=100.0, h=100.0, lo=98.98) == 99.0


def test_trigger_levels_put_the_trade_through_on_limits_only() -> None:
    buy_limit, sell_limit = Order(1, BUY, "LIMIT", 1, 99.0, 0), Order(2, SELL, "LIMIT", 1, 101.0, 0)
    buy_stop, sell_stop = Order(3, BUY, "STOP", 1, 101.0, 0), Order(4, SELL, "STOP", 1, 99.0, 0)
    lows, highs = trigger_levels([buy_limit, sell_limit, buy_stop, sell_stop], 0.02)
    assert lows == [(98.98, buy_limit), (99.0, sell_stop)]
    assert highs == [(101.02, sell_limit), (101.0, buy_stop)]


def test_fill_sequence_with_the_lock_keeps_the_far_side_working() -> None:
    near_sell = Order(2, SELL, "LIMIT", 10, 100.2, 0)
    far_buy = Order(1, BUY, "LIMIT", 10, 99.5, 0)
    fills_, locked = fill_sequence([(far_buy, 99.5), (near_sell, 100.2)], 100.0, True)
    assert fills_ == [(near_sell, 100.2)] and locked == [(far_buy, near_sell)]
    both, none = fill_sequence([(far_buy, 99.5), (near_sell, 100.2)], 100.0, False)
    assert both == [(near_sell, 100.2), (far_buy, 99.5)] and none == []


def test_the_knobs_are_the_fill_model_fields_but_the_tick() -> None:
    assert FILL_MODEL_KNOBS == (
        "limit_fill_ticks_worse",
        "market_slippage_ticks",
        "latency_bars",
        "direction_lock",
        "commission_per_share",
    )
    assert FillModel() == SessionConfig("s", "X", 5, DAY_OPEN, DAY_CLOSE).fill_model

"""Order entry commands: OCO between two working orders, a ladder, a bracket on the open
position by offsets, and the buying-power limit (only with a ``leverage``)."""

from __future__ import annotations

import pytest

from ntree.engine.commands import PlaceLadder
from ntree.engine.errors import EngineError
from tests.engine_helpers import fills, make_session, of_type, snapshot

# 0: a market buy fills at the open, 100; 1: quiet; 2: dips to 98.50, closes 99.20
ROWS = [None, None, (100.0, 100.2, 98.5, 99.2)]
# bars with a range, so the channel and its ATR form: each 100.00 +- 0.50
RANGE_ROWS = [(100.0, 100.5, 99.5, 100.0)] * 20


def _refused(s, call) -> EngineError:
    before = snapshot(s)
    with pytest.raises(EngineError) as err:
        call()
    assert snapshot(s) == before
    (rejected,) = of_type(s.drain_events(), "ORDER_REJECTED")
    assert rejected.payload["code"] == err.value.code
    return err.value


def test_linked_orders_the_stop_fills_and_the_target_is_canceled_leaving_no_orphan() -> None:
    s = make_session(ROWS)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)
    target = s.place("SELL", "LIMIT", 10, 101.0)
    stop = s.place("SELL", "STOP", 10, 99.0)
    s.drain_events()

    group = s.link_oco([target, stop])
    (linked,) = of_type(s.drain_events(), "ORDERS_LINKED")
    assert linked.payload == {
        "cmd": {"op": "link_oco", "args": {"order_ids": [target, stop]}},
        "oco_group": group,
        "order_ids": [target, stop],
    }
    s.step(exec_steps=2)

    events = s.drain_events()
    assert [(f["order_id"], f["price"]) for f in fills(events)] == [(stop, 99.0)]
    (canceled,) = of_type(events, "ORDER_CANCELED")
    assert canceled.payload == {"order_id": target, "reason": "oco"}
    assert s.working_orders() == [] and s.position()["qty"] == 0


def test_linking_an_order_of_a_bracket_joins_the_whole_bracket() -> None:
    s = make_session(ROWS)
    s.place("BUY", "MARKET", 10, bracket={"tp": 102.0, "sl": 97.0})
    s.step(exec_steps=1)
    tp, sl = sorted(s.orders)
    extra = s.place("SELL", "STOP", 10, 99.0)

    s.link_oco([tp, extra])
    assert {o.oco_group for o in s.orders.values()} == {"oco-2"}  # bracket-1 was the first
    s.step(exec_steps=2)  # the extra stop fills: the target and the old stop go with it
    assert s.working_orders() == [] and s.position()["qty"] == 0
    assert {e.payload["order_id"] for e in of_type(s.drain_events(), "ORDER_CANCELED")} >= {
        tp,
        sl,
    }


@pytest.mark.parametrize("ids", [[1], [1, 1], [1, 2, 3], "1,2"])
def test_link_oco_needs_two_different_orders(ids) -> None:
    s = make_session(ROWS)
    s.place("BUY", "LIMIT", 1, 99.0)
    s.place("SELL", "LIMIT", 1, 101.0)
    s.drain_events()
    assert _refused(s, lambda: s.link_oco(ids)).code == "bad_oco"


def test_link_oco_of_an_order_no_longer_working_is_refused() -> None:
    s = make_session(ROWS)
    a = s.place("BUY", "LIMIT", 1, 99.0)
    s.drain_events()
    assert _refused(s, lambda: s.link_oco([a, 99])).code == "unknown_order"


def test_set_bracket_by_offsets_is_placed_from_the_average_price() -> None:
    s = make_session(ROWS)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)  # long 10 @ 100.00, last 100.00
    s.drain_events()

    s.set_bracket(tp_offset=1.25, sl_ticks=50)

    (bracket,) = of_type(s.drain_events(), "BRACKET_SET")
    assert (bracket.payload["tp"], bracket.payload["sl"]) == (101.25, 99.5)
    assert bracket.payload["cmd"]["args"] == {"tp_offset": 1.25, "sl_ticks": 50}
    assert sorted((o["role"], o["price"], o["qty"]) for o in s.working_orders()) == [
        ("sl", 99.5, 10),
        ("tp", 101.25, 10),
    ]


def test_set_bracket_whose_stop_would_fill_at_once_is_refused() -> None:
    s = make_session(ROWS)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=3)  # long from 100.00; the last price is now 99.20
    s.drain_events()

    err = _refused(s, lambda: s.set_bracket(sl_offset=0.5))  # 99.50: above the market

    assert err.code == "stop_through_market"
    s.set_bracket(tp_offset=1.0, sl_offset=1.0)  # 101.00 / 99.00 on either side of 99.20
    assert sorted(o["price"] for o in s.working_orders()) == [99.0, 101.0]


def test_set_bracket_whose_target_would_fill_at_once_is_refused() -> None:
    s = make_session(ROWS)
    s.place("SELL", "MARKET", 10)
    s.step(exec_steps=3)  # short from 100.00; the last price is now 99.20
    s.drain_events()

    err = _refused(s, lambda: s.set_bracket(tp_offset=0.5))  # a buy limit at 99.50

    assert err.code == "bad_bracket" and "below the last price 99.2" in err.message


def test_a_ladder_is_laid_re_laid_and_canceled_as_one_event_each() -> None:
    s = make_session(RANGE_ROWS, minutes=40)
    s.step(exec_steps=20)
    s.drain_events()
    plan = s.ladder_plan(PlaceLadder(qty=10))
    assert len(plan) == 6 and sum(o["qty"] for o in plan if o["side"] == "BUY") == 10

    ids = s.place_ladder(10)
    (placed,) = s.drain_events()
    assert placed.type == "LADDER_PLACED" and placed.payload["order_ids"] == ids
    assert [(o["side"], o["qty"], o["price"]) for o in placed.payload["orders"]] == [
        (o["side"], o["qty"], o["price"]) for o in plan
    ]
    assert {o["tag"] for o in s.working_orders()} == {"ladder"}

    new = s.place_ladder(4, levels=2, side="BUY")
    (relaid,) = s.drain_events()
    assert relaid.payload["canceled"] == ids and len(new) == 2
    assert [o["order_id"] for o in s.working_orders()] == new

    assert s.cancel_ladder() == 2
    (canceled,) = s.drain_events()
    assert canceled.type == "LADDER_CANCELED" and canceled.payload["order_ids"] == new
    assert s.working_orders() == []
    assert _refused(s, s.cancel_ladder).code == "unknown_ladder"


def test_a_ladder_before_the_channel_forms_is_refused() -> None:
    s = make_session(ROWS)  # flat history: ATR 0
    assert _refused(s, lambda: s.place_ladder(10)).code == "no_band"


def test_a_ladder_re_runs_from_its_log_identically() -> None:
    s = make_session(RANGE_ROWS, minutes=40)
    s.step(exec_steps=20)
    s.place_ladder(9, weights=[1, 2])
    s.cancel_ladder()
    s.place_ladder(6)
    s.step(exec_steps=10)
    events = s.drain_events()
    again = type(s).from_events(events, s.clock.bars)
    assert again.drain_events() == events


def test_without_leverage_no_buying_power_limit_applies() -> None:
    s = make_session(ROWS)
    s.place("BUY", "MARKET", 100_000)  # $10M on $100k: as every stored log may hold
    (start,) = of_type(s.drain_events(), "SESSION_START")
    assert "leverage" not in start.payload["params"]


def test_with_leverage_an_order_past_buying_power_is_refused() -> None:
    s = make_session(ROWS, leverage=4)
    s.drain_events()
    err = _refused(s, lambda: s.place("BUY", "MARKET", 4001))
    assert err.code == "insufficient_buying_power"
    assert s.place("BUY", "LIMIT", 4000, 99.0) == 1  # the refusal's id was given back
    assert _refused(s, lambda: s.place("BUY", "LIMIT", 1, 99.0)).code == (
        "insufficient_buying_power"
    )
    assert _refused(s, lambda: s.modify(1, qty=4100)).code == "insufficient_buying_power"
    s.place("SELL", "LIMIT", 3900, 101.0)  # the other side has its own room


def test_replace_orders_counts_only_the_new_orders_against_buying_power() -> None:
    s = make_session(ROWS, leverage=1)
    s.place("BUY", "LIMIT", 900, 99.0)
    s.replace_orders([{"side": "BUY", "type": "LIMIT", "qty": 1000, "price": 99.0}])
    with pytest.raises(EngineError):
        s.replace_orders([{"side": "BUY", "type": "LIMIT", "qty": 1001, "price": 99.0}])


def test_a_session_with_leverage_re_runs_identically() -> None:
    s = make_session(ROWS, leverage=2)
    s.place("BUY", "MARKET", 100)
    try:
        s.place("BUY", "LIMIT", 5000, 99.0)
    except EngineError:
        pass
    s.step(exec_steps=3)
    events = s.drain_events()
    assert events[0].payload["params"]["leverage"] == 2
    again = type(s).from_events(events, s.clock.bars)
    assert again.drain_events() == events

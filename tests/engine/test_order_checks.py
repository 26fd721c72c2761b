"""Format 3's order checks: stops on the wrong side of the market, brackets from the fill."""

from __future__ import annotations

import pytest

from ntree.engine.errors import EngineError
from tests.engine_helpers import fills, make_session, of_type, snapshot

# The market sits at 100.00 (quiet bars); bar 2 dips to 99.00 and closes at 99.50.
ROWS = [None, None, (100.0, 100.0, 99.0, 99.5)]


def _refused(s, call) -> EngineError:
    before = snapshot(s)
    with pytest.raises(EngineError) as err:
        call()
    assert snapshot(s) == before  # nothing changed
    (rejected,) = of_type(s.drain_events(), "ORDER_REJECTED")
    assert rejected.payload["code"] == err.value.code
    return err.value


@pytest.mark.parametrize(("side", "price"), [("SELL", 100.0), ("SELL", 100.5), ("BUY", 99.99)])
def test_a_stop_at_or_through_the_last_price_is_refused(side: str, price: float) -> None:
    s = make_session(ROWS)
    s.drain_events()

    err = _refused(s, lambda: s.place(side, "STOP", 10, price))

    assert err.code == "stop_through_market"
    assert "last price 100.0" in err.message and "would fill at once" in err.message


def test_a_stop_on_the_right_side_is_placed_and_waits() -> None:
    s = make_session(ROWS)
    s.place("SELL", "STOP", 10, 99.9)
    s.place("BUY", "STOP", 10, 100.1)
    s.step(exec_steps=2)
    assert not fills(s.drain_events())


def test_a_stop_modified_through_the_market_is_refused_and_keeps_its_price() -> None:
    s = make_session(ROWS)
    oid = s.place("SELL", "STOP", 10, 99.0)
    s.drain_events()

    err = _refused(s, lambda: s.modify(oid, price=100.2))

    assert err.code == "stop_through_market"
    assert s.broker.orders[oid].price == 99.0


def test_replace_orders_with_a_stop_through_the_market_names_the_item() -> None:
    s = make_session(ROWS)
    s.drain_events()
    orders = [
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0},
        {"side": "SELL", "type": "STOP", "qty": 1, "price": 100.5},
    ]

    err = _refused(s, lambda: s.replace_orders(orders))

    assert err.code == "stop_through_market" and err.message.startswith("orders[1]: ")


def test_a_format_2_session_still_fills_a_stop_through_the_market_at_once() -> None:
    s = make_session(ROWS, log_format=2)
    s.place("SELL", "STOP", 10, 100.5)
    s.step(exec_steps=1)
    assert [f["price"] for f in fills(s.drain_events())] == [100.0]


# --- brackets that follow the fill ----------------------------------------------------------
# Bar 1 opens at 100.37 (a gap up from 100.00): a market buy placed at 100.00 fills there.
GAP = [None, (100.37, 100.40, 100.30, 100.35)]


def _legs(s) -> dict:
    return {o.role: o.price for o in s.broker.orders.values() if o.role in ("tp", "sl")}


def test_a_bracket_by_offsets_is_placed_from_the_fill_price() -> None:
    s = make_session(GAP)
    s.step(exec_steps=1)  # the last price is 100.00; the next bar opens at 100.37
    s.place("BUY", "MARKET", 10, bracket={"tp_offset": 1.0, "sl_offset": 0.5})
    s.step(exec_steps=1)

    (fill,) = fills(s.drain_events())
    assert fill["price"] == 100.37
    assert _legs(s) == {"tp": 101.37, "sl": 99.87}


def test_a_bracket_in_ticks_is_placed_from_the_fill_price_of_a_short() -> None:
    s = make_session(GAP)
    s.step(exec_steps=1)
    s.place("SELL", "MARKET", 10, bracket={"tp_ticks": 40, "sl_ticks": 25})
    s.step(exec_steps=1)
    assert _legs(s) == {"tp": 99.97, "sl": 100.62}


def test_offsets_from_an_off_tick_fill_round_toward_the_fill() -> None:
    # A fill off the grid (data quoted in half cents): both legs round toward it, so the
    # target and the risk are never larger than asked.
    s = make_session([None, (100.375, 100.4, 100.3, 100.35)])
    s.step(exec_steps=1)
    s.place("BUY", "MARKET", 10, bracket={"tp_offset": 1.0, "sl_offset": 0.5})
    s.step(exec_steps=1)
    assert _legs(s) == {"tp": 101.37, "sl": 99.88}


def test_an_absolute_stop_above_the_fill_is_not_placed_and_says_why() -> None:
    # The case: the sl was below the last price when placed, but the buy filled
    # below it; a stop there would fill at once and book a false winner.
    s = make_session([None, (99.5, 99.6, 99.4, 99.5)])
    s.step(exec_steps=1)
    parent = s.place("BUY", "MARKET", 10, bracket={"tp": 101.0, "sl": 99.8})
    s.step(exec_steps=1)

    events = s.drain_events()
    (refused,) = of_type(events, "BRACKET_LEG_REFUSED")
    assert refused.payload == {
        "order_id": parent,
        "role": "sl",
        "price": 99.8,
        "fill_price": 99.5,
        "code": "bracket_through_fill",
        "reason": "sl 99.8 must be below the fill price 99.5; it would fill at once",
    }
    assert _legs(s) == {"tp": 101.0}
    assert s.position()["qty"] == 10


def test_a_format_2_session_places_an_absolute_stop_above_the_fill() -> None:
    s = make_session([None, (99.5, 99.6, 99.4, 99.5)], log_format=2)
    s.step(exec_steps=1)
    s.place("BUY", "MARKET", 10, bracket={"tp": 101.0, "sl": 99.8})
    s.step(exec_steps=1)
    assert not of_type(s.drain_events(), "BRACKET_LEG_REFUSED")
    assert _legs(s) == {"tp": 101.0, "sl": 99.8}


@pytest.mark.parametrize(
    ("bracket", "log_format", "code"),
    [
        ({"tp_offset": 1.0}, 2, "bad_bracket"),  # format 2 knew only tp and sl
        ({"tp": 101.0, "tp_offset": 1.0}, 3, "bad_bracket"),
        ({"sl_offset": 0.005}, 3, "off_tick"),
        ({"sl_ticks": 0}, 3, "bad_bracket"),
        ({"tp_offset": -1.0}, 3, "bad_price"),
    ],
)
def test_a_bad_bracket_is_refused(bracket: dict, log_format: int, code: str) -> None:
    s = make_session(log_format=log_format)
    s.drain_events()
    assert _refused(s, lambda: s.place("BUY", "MARKET", 1, bracket=bracket)).code == code

"""The order ticket's arithmetic: the bracket template, size from risk, the marketable-limit
check, the ladder's fields and prices with the tick's decimals (hand-checked numbers)."""

from __future__ import annotations

import pytest

from ntree.service import ServiceError
from ntree.ui import ticket


def test_prices_show_the_ticks_decimals() -> None:
    assert ticket.price_text(542.6) == "542.60"
    assert ticket.price_text(542) == "542.00"
    assert ticket.price_text(4500.25, 0.25) == "4500.25"
    assert ticket.price_text(None) is None


@pytest.mark.parametrize(
    ("mode", "tp", "sl", "out"),
    [
        ("price", "101.50", 99.0, {"tp": 101.5, "sl": 99.0}),
        ("points", 1.0, "0.50", {"tp_offset": 1.0, "sl_offset": 0.5}),
        ("ticks", 100, 50, {"tp_ticks": 100, "sl_ticks": 50}),
        (None, None, 99.0, {"sl": 99.0}),
        ("points", None, None, None),
    ],
)
def test_the_template_reads_tp_and_sl_by_its_mode(mode, tp, sl, out) -> None:
    assert ticket.bracket(mode, tp, sl) == out


def test_the_stop_in_r_comes_from_the_risk_and_the_target_in_r_multiples() -> None:
    # $100 on 300 shares: 0.333 a share, down to the tick 0.33; a 2R target: 0.66
    assert ticket.bracket("r", 2, None, qty=300, risk=100) == {
        "sl_offset": 0.33,
        "tp_offset": 0.66,
    }
    assert ticket.bracket("r", None, None, qty=100, risk=50) == {"sl_offset": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mode": "r", "tp": 2, "sl": None, "qty": 100}, "risk"),
        ({"mode": "r", "tp": None, "sl": None, "qty": 1000, "risk": 5}, "risk"),
        ({"mode": "ticks", "tp": 2.5, "sl": None}, None),
        ({"mode": "points", "tp": "abc", "sl": None}, "tp"),
    ],
)
def test_a_template_that_cannot_be_read_names_the_box(kwargs, field) -> None:
    mode, tp, sl = kwargs.pop("mode"), kwargs.pop("tp"), kwargs.pop("sl")
    with pytest.raises(ServiceError) as err:
        ticket.bracket(mode, tp, sl, **kwargs)
    assert err.value.field == field


def test_the_legs_as_prices_from_an_entry() -> None:
    assert ticket.legs_at("points", "BUY", 100.0, 1.0, 0.5) == (101.0, 99.5)
    assert ticket.legs_at("ticks", "SELL", 100.0, 100, 50) == (99.0, 100.5)
    assert ticket.legs_at("price", "BUY", 100.0, None, 98.0) == (None, 98.0)


def test_size_from_risk_and_the_stop_the_sl_box_means() -> None:
    assert ticket.stop_price("points", 100.0, "BUY", 0.5) == 99.5
    assert ticket.stop_price("ticks", 100.0, "SELL", 25) == 100.25
    assert ticket.size_from_risk("100", 100.0, 99.5) == 200
    with pytest.raises(ServiceError) as err:
        ticket.size_from_risk(10, 100.0, 80.0)  # $10 does not cover one share to 80
    assert err.value.code == "bad_risk"


@pytest.mark.parametrize(
    ("side", "otype", "price", "marketable"),
    [
        ("BUY", "LIMIT", 100.01, True),
        ("BUY", "LIMIT", 100.0, False),
        ("SELL", "LIMIT", 99.99, True),
        ("SELL", "LIMIT", 100.5, False),
        ("BUY", "STOP", 101.0, False),
        ("LONG", "LIMIT", 99.0, False),  # no side: the engine refuses it (bad_side)
    ],
)
def test_a_limit_through_the_market_is_marketable(side, otype, price, marketable) -> None:
    assert ticket.marketable(side, otype, price, 100.0) is marketable


def test_the_confirmation_names_the_price_and_the_market() -> None:
    text = ticket.confirm_text("SELL", 100, 541.2, 542.6)
    assert text.startswith("SELL LMT 100 @ 541.20 is below the market 542.60")


def test_the_ladder_fields_become_a_place_ladder_request() -> None:
    fields = {"levels": 3, "step_atr": 0.5, "weights": "1-2-3", "qty": 60, "side": "BUY"}
    assert ticket.ladder_body(fields, "s1") == {
        "session_id": "s1",
        "qty": 60,
        "levels": 3,
        "step_atr": 0.5,
        "weights": [1, 2, 3],
        "side": "BUY",
    }
    assert ticket.weights("1, 1.5 ,2") == [1, 1.5, 2]
    assert ticket.ladder_body({"qty": 10, "weights": "1-1"}, "s")["levels"] == 2

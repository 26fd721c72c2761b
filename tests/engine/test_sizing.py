"""Order sizing, on numbers checked by hand: risk to shares, the ladder, buying power."""

from __future__ import annotations

import itertools

import pytest

from ntree.engine.errors import EngineError
from ntree.engine.sizing import check_buying_power, ladder_orders, qty_from_risk, split_qty


@pytest.mark.parametrize(
    ("risk", "entry", "stop", "qty"),
    [(100, 50.0, 49.5, 200), (100, 50.0, 49.7, 333), (100, 49.7, 50.0, 333), (10, 50.0, 39.0, 0)],
)
def test_qty_from_risk_never_loses_more_than_the_risk(risk, entry, stop, qty) -> None:
    assert qty_from_risk(risk, entry, stop) == qty
    assert qty * abs(entry - stop) <= risk


@pytest.mark.parametrize(("risk", "stop"), [(0, 49.0), (-5, 49.0), (100, 50.0)])
def test_qty_from_risk_without_a_risk_or_a_stop_distance_is_refused(risk, stop) -> None:
    with pytest.raises(EngineError) as err:
        qty_from_risk(risk, 50.0, stop)
    assert err.value.code == "bad_risk"


def test_split_qty_gives_the_shares_left_to_the_largest_remainders() -> None:
    # 10 x 1/6, 2/6, 3/6 = 1.67, 3.33, 5: floors 1, 3, 5; the one left goes to 1.67
    assert split_qty(10, [1, 2, 3]) == [2, 3, 5]
    assert split_qty(12, [1, 2, 3]) == [2, 4, 6]


def test_split_qty_breaks_a_tie_toward_the_farther_level() -> None:
    assert split_qty(2, [1, 1, 1]) == [0, 1, 1]


def test_split_qty_always_sums_exactly_to_the_total() -> None:
    for total, weights in itertools.product(range(1, 40), ([1, 2, 3], [1, 1], [3, 1, 0.5, 2])):
        parts = split_qty(total, weights)
        assert sum(parts) == total and all(p >= 0 for p in parts)


def test_a_ladder_lays_weighted_levels_outside_both_bands() -> None:
    orders = ladder_orders(
        upper=101.0,
        lower=99.0,
        atr=0.4,
        levels=3,
        step_atr=0.5,
        weights=[1, 2, 3],
        qty=10,
        tick=0.01,
    )
    assert [(o["side"], o["price"], o["qty"]) for o in orders] == [
        ("BUY", 98.8, 2),
        ("BUY", 98.6, 3),
        ("BUY", 98.4, 5),
        ("SELL", 101.2, 2),
        ("SELL", 101.4, 3),
        ("SELL", 101.6, 5),
    ]
    assert {o["type"] for o in orders} == {"LIMIT"}


def test_a_ladder_rounds_each_level_away_from_the_market() -> None:
    orders = ladder_orders(
        upper=101.0, lower=99.0, atr=0.333, levels=1, step_atr=1, weights=[1], qty=5, tick=0.01
    )
    assert [o["price"] for o in orders] == [98.66, 101.34]  # 98.667 down, 101.333 up


def test_a_one_sided_ladder_leaves_out_levels_whose_share_is_zero() -> None:
    orders = ladder_orders(
        upper=101.0,
        lower=99.0,
        atr=1.0,
        levels=3,
        step_atr=1,
        weights=[1, 1, 1],
        qty=2,
        tick=0.01,
        side="SELL",
    )
    assert [(o["price"], o["qty"]) for o in orders] == [(103.0, 1), (104.0, 1)]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"atr": None}, "no_band"),
        ({"upper": None}, "no_band"),
        ({"weights": [1, 2]}, "bad_ladder"),
        ({"step_atr": 0}, "bad_ladder"),
        ({"qty": 0}, "bad_qty"),
        ({"side": "UP"}, "bad_side"),
    ],
)
def test_a_ladder_without_bands_or_with_bad_sizes_is_refused(change, code) -> None:
    args = dict(
        upper=101.0,
        lower=99.0,
        atr=0.4,
        levels=3,
        step_atr=0.5,
        weights=[1, 2, 3],
        qty=10,
        tick=0.01,
    )
    with pytest.raises(EngineError) as err:
        ladder_orders(**{**args, **change})
    assert err.value.code == code


def _check(position=0, working=(), new=(), equity=100_000.0, leverage=4.0, last=100.0):
    check_buying_power(
        position=position, working=working, new=new, equity=equity, leverage=leverage, last=last
    )


def test_an_order_within_buying_power_passes_and_one_past_it_is_refused() -> None:
    _check(new=[(1, 4000, 100.0)])  # $400,000 = 100,000 x 4
    with pytest.raises(EngineError) as err:
        _check(new=[(1, 4001, 100.0)])
    assert err.value.code == "insufficient_buying_power"
    assert "at most 4,000 more shares" in err.value.message


def test_working_orders_of_the_same_side_count_against_buying_power() -> None:
    _check(working=[(1, 3000), (-1, 3000)], new=[(1, 1000, 100.0)])
    with pytest.raises(EngineError):
        _check(working=[(1, 3000)], new=[(1, 1001, 100.0)])
    with pytest.raises(EngineError):  # short: the sells add up the same way
        _check(position=-2000, working=[(-1, 1000)], new=[(-1, 1001, 100.0)])


def test_an_order_that_reduces_the_position_is_never_refused() -> None:
    _check(position=8000, equity=50_000.0, new=[(-1, 8000, 100.0)])


def test_buying_power_values_the_position_at_the_higher_of_the_price_and_the_last() -> None:
    _check(new=[(1, 4000, 90.0)], last=100.0)  # 4,000 x 100 (the last)
    with pytest.raises(EngineError):
        _check(new=[(1, 3900, 105.0)], last=100.0)  # a buy stop at 105: 3,900 x 105

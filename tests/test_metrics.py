"""Trade statistics on hand-made trades whose answers can be checked by eye."""

from __future__ import annotations

import pytest

from ntree.engine.metrics import (
    Streaks,
    Tally,
    average_r,
    expectancy,
    longest_streaks,
    net_pnl,
    profit_factor,
    tally,
    trade_pnl,
    trade_r,
    win_rate,
)
from ntree.engine.portfolio import Trade

# +120 at +2R, -60 at -1R, a scratch with no stop, +30 with no stop.
TRADES = [
    {"pnl": 120.0, "r_multiple": 2.0},
    {"pnl": -60.0, "r_multiple": -1.0},
    {"pnl": 0.0, "r_multiple": None},
    {"pnl": 30.0},
]


def test_tally_counts_winners_and_losers_and_a_scratch_is_neither() -> None:
    assert tally(TRADES) == Tally(count=4, wins=2, losses=1)


def test_tally_of_no_trades_is_all_zero() -> None:
    assert tally([]) == Tally(0, 0, 0)


def test_win_rate_is_wins_over_all_trades_scratches_included() -> None:
    assert win_rate(TRADES) == 0.5  # 2 of 4


def test_win_rate_of_no_trades_is_none() -> None:
    assert win_rate([]) is None


def test_average_r_counts_only_trades_that_had_a_stop() -> None:
    assert average_r(TRADES) == 0.5  # (2 - 1) / 2; the two trades without R are left out


def test_average_r_is_none_when_no_trade_had_a_stop() -> None:
    assert average_r([{"pnl": 10.0}, {"pnl": -5.0, "r_multiple": None}]) is None
    assert average_r([]) is None


def test_net_pnl_sums_every_trade() -> None:
    assert net_pnl(TRADES) == 90.0
    assert net_pnl([]) == 0


def test_expectancy_is_the_mean_pnl_per_trade() -> None:
    assert expectancy(TRADES) == 22.5  # 90 / 4
    assert expectancy([]) is None


def test_engine_trades_read_the_same_as_their_dicts() -> None:
    won = Trade(1, "LONG", 0, 100.0, qty=10, pnl=50.0, r_multiple=1.25)
    lost = Trade(2, "SHORT", 0, 100.0, qty=10, pnl=-20.0)
    assert (trade_pnl(won), trade_r(won), trade_r(lost)) == (50.0, 1.25, None)
    records = [won, lost]
    dicts = [t.to_dict() for t in records]
    for metric in (tally, win_rate, average_r, net_pnl, expectancy):
        assert metric(records) == metric(dicts)
    assert tally(records) == Tally(2, 1, 1) and average_r(records) == 1.25


def test_sums_run_in_trade_order() -> None:
    pnls = [0.1, 0.2, 0.3]  # float addition is not associative: the order is part of the answer
    trades = [{"pnl": p, "r_multiple": p} for p in pnls]
    assert net_pnl(trades) == (0.1 + 0.2) + 0.3
    assert average_r(trades) == pytest.approx(0.2) and average_r(trades) == ((0.1 + 0.2) + 0.3) / 3


def test_profit_factor_is_gross_profit_over_gross_loss() -> None:
    assert profit_factor(TRADES) == 150.0 / 60.0


def test_profit_factor_without_a_loss_is_none() -> None:
    assert profit_factor([{"pnl": 10.0}, {"pnl": 0.0}]) is None


def test_longest_streaks_and_a_scratch_ends_a_run() -> None:
    pnls = [5.0, 1.0, -1.0, -2.0, 0.0, -3.0, 4.0, 6.0, 7.0]
    assert longest_streaks([{"pnl": p} for p in pnls]) == Streaks(wins=3, losses=2)

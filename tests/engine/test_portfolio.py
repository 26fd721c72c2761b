"""Portfolio: scaling in and out, flips, PnL, commission, excursions and trade records."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import make_session
from hypothesis import given, settings
from hypothesis import strategies as st

from ntree.engine.portfolio import Portfolio

T0, T1, T2, T3 = 1, 2, 3, 4  # fill times; only their order matters here


def test_scaling_in_averages_the_entry_price() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    pf.fill(10, 102.0, T1)
    assert (pf.qty, pf.avg_price) == (20, 101.0)
    assert pf.cash == 10_000.0 - 1000.0 - 1020.0
    assert pf.open_trade is not None and pf.open_trade.qty == 20


def test_scaling_out_realizes_pnl_and_keeps_avg_price() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(20, 101.0, T0)
    realized = pf.fill(-5, 104.0, T1)
    assert realized == 15.0
    assert (pf.qty, pf.avg_price, pf.realized) == (15, 101.0, 15.0)
    assert pf.trades == []  # still open


def test_closing_to_flat_records_one_trade() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    pf.fill(10, 102.0, T1)
    pf.fill(-5, 104.0, T2)
    pf.fill(-15, 100.0, T3, "exit")
    (t,) = pf.trades
    assert (t.side, t.qty, t.entry_px, t.exit_px) == ("LONG", 20, 101.0, 101.0)
    assert t.pnl == 5 * 3.0 + 15 * -1.0
    assert (t.entry_ts, t.exit_ts, t.reason_code) == (T0, T3, "exit")
    assert pf.qty == 0 and pf.open_trade is None
    assert pf.equity(123.0) == pf.cash == 10_000.0


def test_short_trade_pnl_is_entry_minus_exit() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(-10, 50.0, T0)
    assert pf.unrealized(48.0) == 20.0
    pf.fill(10, 48.0, T1)
    (t,) = pf.trades
    assert (t.side, t.pnl) == ("SHORT", 20.0)
    assert pf.cash == 10_020.0


def test_flip_through_zero_closes_one_trade_and_opens_the_next() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    realized = pf.fill(-15, 103.0, T1, "exit")
    assert realized == 30.0
    (closed,) = pf.trades
    assert (closed.side, closed.qty, closed.exit_px, closed.pnl) == ("LONG", 10, 103.0, 30.0)
    nxt = pf.open_trade
    assert nxt is not None
    assert (nxt.side, nxt.qty, nxt.entry_px, nxt.entry_ts, nxt.trade_id) == (
        "SHORT",
        5,
        103.0,
        T1,
        2,
    )
    assert (pf.qty, pf.avg_price) == (-5, 103.0)


def test_commission_per_share_is_charged_on_every_fill_and_split_on_a_flip() -> None:
    pf = Portfolio(10_000.0, commission_per_share=0.01)
    pf.fill(100, 10.0, T0)
    pf.fill(-150, 11.0, T1)  # closes 100 (fee 1.00), opens 50 short (fee 0.50)
    pf.fill(50, 11.0, T2)  # fee 0.50
    first, second = pf.trades
    assert first.pnl == pytest.approx(100.0 - 1.0 - 1.0)
    assert second.pnl == pytest.approx(-0.5 - 0.5)
    assert pf.commission == pytest.approx(3.0)
    assert pf.cash == pytest.approx(10_000.0 + 100.0 - 3.0)


def test_mark_tracks_excursions_and_drawdown_of_a_long() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    pf.mark(high=101.0, low=99.5)
    pf.mark(high=103.0, low=102.0)
    pf.mark(high=102.5, low=98.0)
    assert pf.open_excursions() == (2.0, 3.0)
    assert pf.max_dd == 50.0  # equity peak at 103 (+30) to the low at 98 (-20)
    pf.fill(-10, 99.0, T1)
    (t,) = pf.trades
    assert (t.mae, t.mfe) == (2.0, 3.0)


def test_mark_tracks_excursions_of_a_short() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(-10, 100.0, T0)
    pf.mark(high=100.7, low=98.0)
    pf.fill(10, 99.0, T1)
    (t,) = pf.trades
    assert (t.mae, t.mfe) == (0.7, 2.0)


def test_mark_while_flat_changes_nothing() -> None:
    pf = Portfolio(10_000.0)
    pf.mark(high=200.0, low=1.0)
    assert (pf.max_dd, pf.peak_equity) == (0.0, 10_000.0)


def test_r_multiple_is_pnl_over_initial_risk() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    assert pf.open_trade is not None
    pf.open_trade.initial_stop = 98.0  # risk 2.00 x 10 = 20
    pf.fill(-10, 105.0, T1)
    assert pf.trades[0].r_multiple == 2.5


def test_r_multiple_is_none_without_a_stop() -> None:
    pf = Portfolio(10_000.0)
    pf.fill(10, 100.0, T0)
    pf.fill(-10, 105.0, T1)
    assert pf.trades[0].r_multiple is None


# --- trade records through a session ----------------------------------------------------


FLAT = (100, 100, 100, 100)


def test_session_trade_record_after_scale_in_and_scale_out() -> None:
    rows = [
        FLAT,
        (102, 102, 102, 102),
        (104, 104.5, 103.5, 104),
        (100, 100.2, 99.0, 100),
    ]
    s = make_session(rows)
    s.place("BUY", "MARKET", 10, bracket={"sl": 97.0})
    s.step(exec_steps=1)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)
    s.place("SELL", "MARKET", 5)
    s.step(exec_steps=1)
    s.place("SELL", "MARKET", 15)
    s.step(exec_steps=2)
    (t,) = s.trades
    assert (t["side"], t["qty"], t["entry_px"], t["exit_px"]) == ("LONG", 20, 101.0, 101.0)
    assert t["pnl"] == 0.0  # +3 x 5 and -1 x 15
    assert (t["entry_ts"], t["exit_ts"]) == ("2024-07-08T13:30:00Z", "2024-07-08T13:33:00Z")
    assert t["mfe"] == 3.5  # high 104.5 against the 101 average
    # The exit at minute 3's open comes before its 99.00 low; the worst seen is the 100 entry.
    assert t["mae"] == 1.0
    assert t["initial_stop"] == 97.0
    assert t["r_multiple"] == 0.0
    assert s.position()["realized_pnl"] == 0.0


def test_session_trade_counts_modifications() -> None:
    s = make_session([FLAT, FLAT, (100, 100.1, 99.4, 99.5), (99.5, 101.2, 99.5, 101)])
    oid = s.place("BUY", "LIMIT", 10, 99.0)
    s.modify(oid, price=99.5)  # before entry: counted on the trade it opens
    s.step(exec_steps=3)
    s.set_bracket(tp=102.0, sl=98.0)
    tp = next(o["order_id"] for o in s.working_orders() if o["role"] == "tp")
    s.modify(tp, price=101.0)
    s.step(exec_steps=2)
    (t,) = s.trades
    assert t["mods_count"] == 2
    assert (t["entry_px"], t["exit_px"], t["pnl"], t["reason_code"]) == (
        99.5,
        101.0,
        15.0,
        "target",
    )
    assert t["r_multiple"] == 1.0  # risk 1.50 x 10


def test_session_commission_reduces_pnl_and_equity() -> None:
    s = make_session([FLAT, (101, 101, 101, 101)], commission_per_share=0.005)
    s.place("BUY", "MARKET", 200)
    s.step(exec_steps=1)
    s.place("SELL", "MARKET", 200)
    s.step(exec_steps=1)
    (t,) = s.trades
    assert t["pnl"] == pytest.approx(200.0 - 2.0)
    assert s.equity == pytest.approx(100_000.0 + 198.0)
    assert s.position()["realized_pnl"] == pytest.approx(198.0)


def test_session_flip_gives_two_trade_records() -> None:
    s = make_session([FLAT, (102, 102, 102, 102), (101, 101, 101, 101)])
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)
    s.place("SELL", "MARKET", 25)
    s.step(exec_steps=2)
    assert s.position()["qty"] == -15
    assert s.position()["avg_price"] == 102.0
    s.end()
    first, second = s.trades
    assert (first["side"], first["qty"], first["pnl"]) == ("LONG", 10, 20.0)
    assert (second["side"], second["qty"], second["entry_px"], second["exit_px"]) == (
        "SHORT",
        15,
        102.0,
        101.0,
    )
    assert second["pnl"] == 15.0
    assert s.summary()["num_trades"] == 2 and s.summary()["win_rate"] == 1.0


@given(
    qty=st.sampled_from([10, -10, 300, -7]),
    bars=st.lists(
        st.tuples(st.integers(9_000, 11_000), st.integers(0, 200)), min_size=1, max_size=80
    ),
    cuts=st.lists(st.integers(1, 79), max_size=6),
)
@settings(max_examples=200, deadline=None)
def test_marking_spans_equals_the_plain_bar_by_bar_drawdown(qty, bars, cuts) -> None:
    lows = [lo / 100 for lo, _ in bars]
    highs = [(lo + rng) / 100 for lo, rng in bars]
    pf = Portfolio(10_000.0)
    pf.fill(qty, 100.0, T0)
    cash = pf.cash
    bounds = sorted({0, len(bars), *(c for c in cuts if c < len(bars))})
    for a, b in zip(bounds, bounds[1:], strict=False):  # spans, as the engine marks them
        pf.mark_many(highs[a:b], lows[a:b])
    peak, max_dd = 10_000.0, 0.0  # the reference: every bar, best extreme then worst
    for h, lo in zip(highs, lows, strict=True):
        best, worst = (h, lo) if qty > 0 else (lo, h)
        peak = max(peak, cash + qty * best)
        max_dd = max(max_dd, peak - (cash + qty * worst))
    assert (pf.peak_equity, pf.max_dd) == (peak, max_dd)
    mae, mfe = pf.open_excursions()
    if qty > 0:
        assert (mae, mfe) == (100.0 - min(100.0, *lows), max(100.0, *highs) - 100.0)
    else:
        assert (mae, mfe) == (max(100.0, *highs) - 100.0, 100.0 - min(100.0, *lows))


# --- a position held through a long span with no working order ---------------------------
# The broker marks a span of more than 48 bars in one numpy pass (Portfolio.mark_span); these
# bars put the adverse extreme and the favourable one inside such a span.
SPAN_MINUTES = 120
DIP_AT, RALLY_AT = 50, 70


def long_span_rows(side: str) -> list:
    """Quiet bars at 100 but one 5.00 against ``side`` at minute 50 and 3.00 for it at 70."""
    rows: list = [None] * SPAN_MINUTES
    against, favour = ((100, 100, 95, 100), (100, 103, 100, 100))
    if side == "SELL":
        against, favour = (100, 105, 100, 100), (100, 100, 97, 100)
    rows[DIP_AT], rows[RALLY_AT] = against, favour
    return rows


@pytest.mark.parametrize("bulk_skip", [True, False])
@pytest.mark.parametrize(("side", "trade_side"), [("BUY", "LONG"), ("SELL", "SHORT")])
def test_position_held_through_a_long_span_without_orders_keeps_mae_and_mfe(
    side: str, trade_side: str, bulk_skip: bool
) -> None:
    s = make_session(long_span_rows(side), minutes=SPAN_MINUTES, bulk_skip=bulk_skip)
    s.place(side, "MARKET", 10)  # fills at minute 0's open, 100.00
    s.step(exec_steps=1)
    assert s.working_orders() == []
    s.step(exec_steps=100)  # one span of 100 bars, no order working
    position = s.observe()["position"]
    assert (position["open_mae"], position["open_mfe"]) == (5.0, 3.0)
    s.place("SELL" if side == "BUY" else "BUY", "MARKET", 10)
    s.step(exec_steps=1)
    (t,) = s.trades
    assert (t["side"], t["entry_px"], t["exit_px"]) == (trade_side, 100.0, 100.0)
    assert (t["mae"], t["mfe"]) == (5.0, 3.0)
    assert s.portfolio.max_dd == 50.0  # 10 shares 5.00 under the entry, before the rally


def test_mark_span_matches_marking_bar_by_bar() -> None:
    rng = np.random.default_rng(3)
    highs = 100 + np.cumsum(rng.normal(0, 0.1, 200)).round(2)
    lows = highs - rng.uniform(0, 0.5, 200).round(2)
    for qty in (10, -10):
        one, many = Portfolio(10_000.0), Portfolio(10_000.0)
        for pf in (one, many):
            pf.fill(qty, 100.0, T0)
        for high, low in zip(highs.tolist(), lows.tolist(), strict=True):
            one.mark(high, low)
        many.mark_span(highs, lows)
        assert (many.max_dd, many.peak_equity) == (one.max_dd, one.peak_equity)
        assert many.open_excursions() == one.open_excursions()


def test_a_target_filled_above_every_marked_high_counts_in_the_trades_mfe() -> None:
    # Entry at 99.50; the bars before the exit reach 101.00; the target fills at 101.50 on a
    # bar the portfolio no longer marks (flat by its end): price did trade there.
    s = make_session(
        [(99.6, 99.6, 99.4, 99.5), (99.5, 101.0, 99.5, 100.9), (100.9, 101.6, 100.9, 101.6)]
    )
    s.place("BUY", "LIMIT", 10, 99.5, bracket={"tp": 101.5})
    s.advance(exec_steps=3)
    (trade,) = s.trades
    assert trade["exit_px"] == 101.5 and trade["mfe"] == 2.0
    assert trade["mae"] == 0.1  # the entry bar's low, 99.40 (its adverse extreme counts)


def test_a_stop_filled_below_every_marked_low_counts_in_the_trades_mae() -> None:
    s = make_session([(99.6, 99.6, 99.4, 99.5), (99.5, 99.5, 99.0, 99.1), (98.0, 98.0, 97.5, 97.6)])
    s.place("BUY", "LIMIT", 10, 99.5, bracket={"sl": 98.5})
    s.advance(exec_steps=3)
    (trade,) = s.trades
    # The stop gapped: filled at the 98.00 open, 1.50 below the entry.
    assert trade["exit_px"] == 98.0 and trade["mae"] == 1.5

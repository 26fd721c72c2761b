"""Coach metrics on hand-built trades and candles whose answers can be checked by eye."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from engine_helpers import make_session, minute

from ntree.engine.coach import (
    SessionBundle,
    bucket_stats,
    coach_report,
    equity_curve,
    group_stats,
    r_histogram,
    tilt,
    time_bucket,
    weekday,
)
from ntree.engine.coach_trades import (
    after_exit_favour,
    band_distance_atr,
    entry_decision_times,
    excursions,
    in_dollars,
    in_r,
    left_on_table,
    mfe_captured,
    risk_per_share,
    signal_bar,
)
from ntree.engine.events import Event
from ntree.engine.regime import classify_regime


def ns(n: int) -> int:
    return minute(n).value


def trade(**fields: object) -> dict:
    """Return a closed long of 10 shares: in at 100 (stop 99), out at 102, +$20 = +2R."""
    base = {
        "trade_id": 1,
        "side": "LONG",
        "entry_ts": "2024-07-08T13:35:00Z",
        "exit_ts": "2024-07-08T13:50:00Z",
        "entry_px": 100.0,
        "exit_px": 102.0,
        "qty": 10,
        "pnl": 20.0,
        "r_multiple": 2.0,
        "mae": 0.5,
        "mfe": 3.0,
        "initial_stop": 99.0,
    }
    return {**base, **fields}


# --- one trade -------------------------------------------------------------------------------
def test_mae_and_mfe_in_r_divide_by_the_distance_to_the_initial_stop() -> None:
    t = trade()
    assert risk_per_share(t) == 1.0
    assert (in_r(t["mae"], t), in_r(t["mfe"], t)) == (0.5, 3.0)


def test_mae_and_mfe_in_dollars_are_points_times_qty() -> None:
    assert (in_dollars(0.5, trade()), in_dollars(3.0, trade())) == (5.0, 30.0)


def test_risk_is_read_back_from_r_when_the_stop_was_not_stored() -> None:
    t = trade(initial_stop=None)
    del t["initial_stop"]
    assert risk_per_share(t) == 1.0  # 20 / (2R x 10 shares)


def test_a_trade_without_a_stop_has_no_r() -> None:
    assert risk_per_share(trade(initial_stop=None, r_multiple=None)) is None
    assert in_r(1.0, trade(initial_stop=None, r_multiple=None)) is None


def test_mfe_captured_and_money_left_on_the_table() -> None:
    # Best showing 3 points x 10 = $30; made $20: two thirds captured, $10 left.
    assert mfe_captured(trade()) == pytest.approx(2 / 3)
    assert left_on_table(trade()) == 10.0


def test_mfe_captured_of_a_trade_that_never_went_its_way_is_none() -> None:
    assert mfe_captured(trade(mfe=0.0, pnl=-10.0, exit_px=99.0)) is None


def test_excursions_reach_at_least_the_exit() -> None:
    # The exit bar is marked only up to the fill: a target beyond the recorded mfe counts.
    assert excursions(trade(mfe=1.5)) == (0.5, 2.0)
    assert excursions(trade(side="SHORT", exit_px=101.0, pnl=-10.0, mae=0.2)) == (1.0, 3.0)


TIMES = np.array([ns(0), ns(5), ns(10), ns(15), ns(20)])
HIGHS = np.array([101.0, 102.0, 103.0, 104.5, 106.0])
LOWS = np.array([99.0, 100.0, 101.0, 100.5, 99.0])


def test_after_the_exit_is_the_best_move_past_the_exit_in_the_next_bars() -> None:
    # Out at 102 at 13:37 (bar 13:35): the next two bars reach 103 and 104.5.
    t = trade(exit_ts=iso(7), exit_px=102.0)
    assert after_exit_favour(t, TIMES, HIGHS, LOWS, n_bars=2) == pytest.approx(2.5)
    short = trade(side="SHORT", exit_ts=iso(7), exit_px=102.0)
    assert after_exit_favour(short, TIMES, HIGHS, LOWS, n_bars=2) == pytest.approx(1.5)


def test_after_the_exit_is_zero_when_price_went_against_and_none_past_the_data() -> None:
    assert after_exit_favour(trade(exit_ts=iso(7), exit_px=110.0), TIMES, HIGHS, LOWS) == 0.0
    assert after_exit_favour(trade(exit_ts=iso(21)), TIMES, HIGHS, LOWS) is None


def iso(n: int) -> str:
    return minute(n).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_signal_bar_is_the_bar_before_the_one_holding_the_time() -> None:
    assert signal_bar(TIMES, ns(5)) == 0  # placed at 13:35: decided on the 13:30 bar
    assert signal_bar(TIMES, ns(7)) == 0  # mid-bar: the 13:30 bar is the last complete one
    assert signal_bar(TIMES, ns(0)) is None


def test_band_distance_is_measured_to_the_lower_band_for_longs_and_upper_for_shorts() -> None:
    candle = {"atr14": 2.0, "ch_lower": 99.0, "ch_upper": 107.0}
    assert band_distance_atr("LONG", 100.0, candle) == 0.5
    assert band_distance_atr("SHORT", 108.0, candle) == -0.5  # sold above the band
    assert band_distance_atr("LONG", 100.0, {**candle, "atr14": math.nan}) is None


def ev(seq: int, ts: int, etype: str, payload: dict) -> Event:
    return Event(seq, ts, ts, etype, payload)


def test_entry_decision_times_follow_the_order_that_opened_each_trade() -> None:
    events = [
        ev(1, ns(0), "SESSION_START", {}),
        ev(2, ns(5), "ORDER_PLACED", {"order": {"order_id": 1}}),
        ev(3, ns(10), "ORDERS_REPLACED", {"canceled": [1], "order_ids": [2, 3]}),
        ev(4, ns(12), "FILL", {"order_id": 2, "position_qty": 10}),  # trade 1 opens
        ev(5, ns(14), "FILL", {"order_id": 3, "position_qty": -5}),  # flips: trade 2 opens
        ev(6, ns(20), "ORDER_PLACED", {"order": {"order_id": 4}}),
        ev(7, ns(21), "FILL", {"order_id": 4, "position_qty": 0}),
    ]
    assert entry_decision_times(events) == {1: ns(10), 2: ns(10)}


# --- buckets ---------------------------------------------------------------------------------
ROWS = [
    {"session_id": "a", "trade_id": 1, "exit_ts": "t1", "pnl": 30.0, "r_multiple": 3.0},
    {"session_id": "a", "trade_id": 2, "exit_ts": "t2", "pnl": -10.0, "r_multiple": -1.0},
    {"session_id": "a", "trade_id": 3, "exit_ts": "t3", "pnl": -10.0, "r_multiple": -1.0},
    {"session_id": "a", "trade_id": 4, "exit_ts": "t4", "pnl": 10.0, "r_multiple": None},
]


def test_bucket_stats_of_two_winners_and_two_losers() -> None:
    assert bucket_stats(ROWS) == {
        "n": 4,
        "n_r": 3,
        "win_rate": 0.5,
        "expectancy_r": pytest.approx(1 / 3, abs=1e-6),
        "expectancy": 5.0,
        "avg_r": pytest.approx(1 / 3, abs=1e-6),
        "profit_factor": 2.0,  # 40 won / 20 lost
    }


def test_profit_factor_without_a_loser_is_none() -> None:
    assert bucket_stats(ROWS[:1])["profit_factor"] is None


def test_group_stats_put_named_keys_first_then_the_rest_sorted() -> None:
    rows = [{"pnl": 1.0, "k": k} for k in ("Wed", "Mon", "zz", "Mon")]
    out = group_stats(rows, lambda r: r["k"], ("Mon", "Tue", "Wed"))
    assert list(out) == ["Mon", "Wed", "zz"]
    assert out["Mon"]["n"] == 2


def test_time_bucket_and_weekday_are_new_york_time() -> None:
    assert time_bucket(pd.Timestamp("2024-07-08 13:59", tz="UTC").value) == "09:30"
    assert time_bucket(pd.Timestamp("2024-07-08 14:00", tz="UTC").value) == "10:00"
    assert time_bucket(pd.Timestamp("2024-01-08 14:45", tz="UTC").value) == "09:30"  # EST
    assert weekday(pd.Timestamp("2024-07-09 01:00", tz="UTC").value) == "Mon"  # 21:00 NY


def test_equity_curve_and_drawdown_from_the_running_peak() -> None:
    curve = equity_curve(ROWS)
    assert [p["equity"] for p in curve["points"]] == [30.0, 20.0, 10.0, 20.0]
    assert [p["drawdown"] for p in curve["points"]] == [0.0, 10.0, 20.0, 10.0]
    assert curve["max_drawdown"] == 20.0


def test_r_histogram_has_every_bin_between_the_extremes() -> None:
    assert r_histogram([-1.0, -0.9, 0.2, None, 1.2]) == [
        {"lo": -1.0, "hi": -0.5, "n": 2},
        {"lo": -0.5, "hi": 0.0, "n": 0},
        {"lo": 0.0, "hi": 0.5, "n": 1},
        {"lo": 0.5, "hi": 1.0, "n": 0},
        {"lo": 1.0, "hi": 1.5, "n": 1},
    ]
    assert r_histogram([12.0])[0]["lo"] == 5.0  # clipped into the outermost bin


def test_tilt_compares_the_trades_after_a_loss_with_all() -> None:
    out = tilt([*ROWS, {"session_id": "b", "trade_id": 1, "pnl": 5.0, "r_multiple": 0.5}])
    # After a loss in session a: trades 3 (-1R) and 4 (no R); b's first trade follows none.
    assert out["n_after_loss"] == 2
    assert out["mean_r_after_loss"] == -1.0
    assert out["mean_pnl_after_loss"] == 0.0


def test_longest_streaks_come_from_the_report() -> None:
    trades = [
        trade(trade_id=k, pnl=p, r_multiple=None, exit_ts=iso(10 + k))
        for k, p in enumerate([5.0, -1.0, -2.0, -3.0, 0.0, 4.0, 6.0], start=1)
    ]
    report = coach_report([SessionBundle("s", trades)])
    assert report["streaks"] == {"wins": 2, "losses": 3}


# --- the report on a played session ----------------------------------------------------------
def played() -> tuple[SessionBundle, object]:
    """Three lively bars, then a buy limit at 99 placed at 13:45 (on the 13:40 bar's close),
    filled at 13:46, out at its 101 target at 13:52."""
    lively = [(100, 100.5, 99.5, 100)] * 15
    rows: list = [*lively, None, (100, 100, 99, 99.5), *[None] * 5, (99.5, 101.5, 99.5, 101)]
    s = make_session(rows, minutes=30)
    s.step(disp_steps=3)
    s.place("BUY", "LIMIT", 10, 99.0, bracket={"tp": 101.0, "sl": 98.0})
    s.step(disp_steps=3)
    return SessionBundle("s1", s.trades, s.disp, s.drain_events(), setups={1: "band fade"}), s


def test_report_trade_reads_its_band_distance_on_the_bar_the_order_was_placed_on() -> None:
    bundle, s = played()
    (row,) = coach_report([bundle])["trades"]
    signal = s.disp.loc[pd.Timestamp("2024-07-08 13:40", tz="UTC")]  # placed at 13:45
    expected = (99.0 - signal["ch_lower"]) / signal["atr14"]
    assert signal["atr14"] > 0
    assert row["signal_bar_ts"] == "2024-07-08T13:40:00Z"
    assert row["entry_band_distance_atr"] == pytest.approx(expected, abs=1e-6)
    assert (row["entry_px"], row["exit_px"], row["pnl"], row["r_multiple"]) == (99, 101, 20, 2)
    assert (row["mae_r"], row["mfe_r"]) == (0.0, 2.0)
    assert row["setup"] == "band fade"
    assert row["regime"] == classify_regime(signal["ch_slope"], signal["atr14"])


def test_report_has_the_api_keys_and_is_strict_json() -> None:
    bundle, _ = played()
    report = coach_report([bundle])
    for key in (
        "n_trades win_rate expectancy_r avg_r profit_factor avg_mae_r avg_mfe_r mfe_captured "
        "stood_down_rate by_regime by_setup by_hour by_weekday streaks equity trades"
    ).split():
        assert key in report
    for key in (
        "session_id trade_id side entry_ts exit_ts entry_px exit_px qty pnl r_multiple mae mfe "
        "entry_band_distance_atr regime setup"
    ).split():
        assert key in report["trades"][0]
    json.dumps(report, allow_nan=False)


def test_report_is_the_same_whatever_the_order_of_the_sessions() -> None:
    bundle, _ = played()
    other = SessionBundle("s0", [trade(exit_ts=iso(40))])
    assert coach_report([bundle, other]) == coach_report([other, bundle])
    assert [t["session_id"] for t in coach_report([other, bundle])["trades"]] == ["s1", "s0"]


def test_report_of_no_trades_is_empty_not_an_error() -> None:
    report = coach_report([])
    assert report["n_trades"] == 0 and report["win_rate"] is None and report["trades"] == []
    json.dumps(report, allow_nan=False)

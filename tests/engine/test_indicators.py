"""Indicators against values worked out by hand, and no lookahead."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ntree.engine import indicators
from ntree.engine.aggregate import aggregate
from ntree.engine.indicators import INDICATOR_COLUMNS, add_indicators, atr, ema, true_range, vwap
from ntree.seed import generate_bars


def candles(rows: list[tuple[str, float, float, float, float, int]]) -> pd.DataFrame:
    """Build candles from (UTC time, open, high, low, close, volume) rows."""
    index = pd.DatetimeIndex([pd.Timestamp(r[0], tz="UTC") for r in rows], name="ts")
    return pd.DataFrame(
        [r[1:] for r in rows], columns=["open", "high", "low", "close", "volume"], index=index
    )


def test_ema_span_3_halves_the_gap_each_bar_seeded_with_first_value() -> None:
    out = ema(pd.Series([1.0, 2.0, 3.0, 4.0]), 3)  # alpha = 2 / (3 + 1) = 0.5

    assert out.tolist() == [1.0, 1.5, 2.25, 3.125]


def test_true_range_uses_previous_close_on_a_gap_and_high_low_on_first_bar() -> None:
    df = candles(
        [
            ("2024-07-01 13:30", 9, 10, 8, 9, 1),  # first: 10 - 8 = 2
            ("2024-07-01 13:35", 9, 12, 9, 11, 1),  # max(3, |12-9|, |9-9|) = 3
            ("2024-07-01 13:40", 11, 11, 10, 10.5, 1),  # max(1, 0, |10-11|) = 1
            ("2024-07-01 13:45", 14, 15, 14, 14.5, 1),  # gap up: max(1, |15-10.5|, 3.5) = 4.5
        ]
    )

    assert true_range(df).tolist() == [2.0, 3.0, 1.0, 4.5]


def test_atr_is_wilder_rma_of_true_range() -> None:
    df = candles(
        [
            ("2024-07-01 13:30", 9, 10, 8, 9, 1),
            ("2024-07-01 13:35", 9, 12, 9, 11, 1),
            ("2024-07-01 13:40", 11, 11, 10, 10.5, 1),
            ("2024-07-01 13:45", 14, 15, 14, 14.5, 1),
        ]
    )

    # n = 2: atr_t = atr_{t-1} + (tr_t - atr_{t-1}) / 2 on TR 2, 3, 1, 4.5
    assert atr(df, 2).tolist() == [2.0, 2.5, 1.75, 3.125]
    # n = 14 by the recursion written out
    expected, prev = [], None
    for tr in [2.0, 3.0, 1.0, 4.5]:
        prev = tr if prev is None else prev + (tr - prev) / 14
        expected.append(prev)
    assert atr(df, 14).tolist() == pytest.approx(expected, abs=1e-12)


def test_vwap_weights_typical_price_by_volume_and_resets_at_new_session() -> None:
    df = candles(
        [
            ("2024-11-01 13:30", 10, 11, 9, 10, 100),  # tp 10
            ("2024-11-01 13:35", 12, 13, 11, 12, 300),  # tp 12 -> (1000 + 3600) / 400
            ("2024-11-04 14:30", 20, 21, 19, 20, 50),  # next session (after DST): tp 20
            ("2024-11-04 14:35", 20, 24, 21, 21, 150),  # tp 22 -> (1000 + 3300) / 200
        ]
    )

    assert vwap(df).tolist() == [10.0, 11.5, 20.0, 21.5]


def test_vwap_is_the_close_while_session_volume_is_zero() -> None:
    df = candles(
        [
            ("2024-11-01 13:30", 10, 11, 9, 10.5, 0),
            ("2024-11-01 13:35", 10, 13, 11, 12, 300),  # tp 12
            ("2024-11-04 14:30", 20, 21, 19, 19.75, 0),
        ]
    )

    assert vwap(df).tolist() == [10.5, 12.0, 19.75]


def test_keltner_on_flat_prices_is_mid_plus_minus_two_atr() -> None:
    times = pd.date_range("2024-07-01 13:30", periods=8, freq="5min", tz="UTC")
    df = candles([(str(t), 100, 101, 99, 100, 10) for t in times])  # every TR = 2

    out = add_indicators(df)

    assert out["ch_mid"].tolist() == [100.0] * 8
    assert out["atr14"].tolist() == [2.0] * 8
    assert out["ch_upper"].tolist() == [104.0] * 8
    assert out["ch_lower"].tolist() == [96.0] * 8
    assert out["ch_slope"].isna().tolist() == [True] * 5 + [False] * 3
    assert out["ch_slope"].iloc[5:].tolist() == [0.0] * 3
    assert out["ch_width_atr"].tolist() == [4.0] * 8  # the slow ATR is 2 as well


def test_channel_width_in_slow_atr_grows_when_volatility_expands() -> None:
    times = pd.date_range("2024-07-01 13:30", periods=3, freq="5min", tz="UTC")
    df = candles(
        [
            (str(times[0]), 100, 101, 99, 100, 10),  # TR 2
            (str(times[1]), 100, 105, 95, 100, 10),  # TR 10
            (str(times[2]), 100, 101, 99, 100, 10),
        ]
    )  # TR 2

    out = add_indicators(df)

    atr14_1 = 2 + (10 - 2) / 14
    atr50_1 = 2 + (10 - 2) / 50
    assert out["ch_width_atr"].iloc[1] == pytest.approx(4 * atr14_1 / atr50_1)
    assert out["ch_width_atr"].iloc[1] > 4.0


def test_channel_slope_is_mid_change_over_five_bars_per_bar() -> None:
    closes = [100, 101, 103, 102, 105, 107, 106, 110]
    times = pd.date_range("2024-07-01 13:30", periods=len(closes), freq="5min", tz="UTC")
    df = candles([(str(t), c, c + 1, c - 1, c, 10) for t, c in zip(times, closes, strict=True)])

    out = add_indicators(df)

    alpha, mid = 2 / 21, []
    for c in closes:
        mid.append(c if not mid else alpha * c + (1 - alpha) * mid[-1])
    assert out["ch_mid"].tolist() == pytest.approx(mid, abs=1e-12)
    assert out["ch_slope"].iloc[5] == pytest.approx((mid[5] - mid[0]) / 5, abs=1e-12)
    assert out["ch_slope"].iloc[7] == pytest.approx((mid[7] - mid[2]) / 5, abs=1e-12)
    width = out["ch_upper"] - out["ch_lower"]
    assert width.tolist() == pytest.approx((4 * out["atr14"]).tolist(), abs=1e-12)


def test_add_indicators_returns_a_copy_with_every_indicator_column() -> None:
    disp = aggregate(generate_bars("SPY", "2024-07-01", "2024-07-02", seed=1), 5)

    out = add_indicators(disp)

    assert list(out.columns) == list(disp.columns) + INDICATOR_COLUMNS
    assert "ema9" not in disp.columns
    assert out[["ema9", "ema21", "vwap", "atr14", "ch_mid"]].notna().all().all()
    assert out["ema9"].iloc[0] == disp["close"].iloc[0]


def test_add_indicators_on_no_candles_gives_empty_indicator_columns() -> None:
    disp = aggregate(generate_bars("SPY", "2024-07-04", "2024-07-04", seed=1), 5)  # holiday

    out = add_indicators(disp)

    assert out.empty
    assert set(INDICATOR_COLUMNS) <= set(out.columns)


@pytest.mark.parametrize("disp_tf", [5, 60])
def test_no_lookahead_values_up_to_t_do_not_change_when_later_bars_are_cut(disp_tf: int) -> None:
    bars = generate_bars("QQQ", "2024-07-01", "2024-07-10", seed=7)  # spans a holiday
    disp = aggregate(bars, disp_tf)
    full = add_indicators(disp)

    cuts = np.unique(np.linspace(0, len(disp) - 1, 25).astype(int))
    for t in cuts:
        cut = add_indicators(disp.iloc[: t + 1])
        pd.testing.assert_frame_equal(cut, full.iloc[: t + 1], check_exact=True)


def test_no_lookahead_vwap_on_1m_bars_matches_truncated_series_at_every_session_start() -> None:
    bars = generate_bars("AAPL", "2024-07-01", "2024-07-05", seed=3)
    full = vwap(bars)
    day = bars.index.tz_convert("America/New_York").date
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])

    for t in starts:
        assert vwap(bars.iloc[: t + 1]).tolist() == full.iloc[: t + 1].tolist()
        typical = (bars["high"].iloc[t] + bars["low"].iloc[t] + bars["close"].iloc[t]) / 3
        assert math.isclose(full.iloc[t], typical)


def test_indicators_module_imports_only_numpy_and_pandas() -> None:
    source = Path(indicators.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])

    assert imported <= {"__future__", "numpy", "pandas"}

"""The synthetic 1-minute bar generator: shape, calendar, determinism, regimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntree.engine.ticks import EXCHANGE_TZ, TICK
from ntree.market import session_minutes
from ntree.seed import SEED_END, SEED_START, SEED_SYMBOLS, generate_bars, generate_default

START, END = "2024-11-01", "2024-12-06"  # DST change, Thanksgiving, half day


@pytest.fixture(scope="module")
def spy() -> pd.DataFrame:
    return generate_bars("SPY", START, END, seed=11)


def daily(bars: pd.DataFrame) -> pd.DataFrame:
    day = bars.index.tz_convert(EXCHANGE_TZ).date
    return bars.groupby(day).agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
    )


def test_every_price_is_on_the_0_01_tick(spy: pd.DataFrame) -> None:
    prices = spy[["open", "high", "low", "close"]].to_numpy()
    steps = prices / TICK
    assert np.abs(steps - np.round(steps)).max() < 1e-6
    assert (prices > 0).all()


def test_high_and_low_bound_open_and_close(spy: pd.DataFrame) -> None:
    assert (spy["high"] >= spy[["open", "close"]].max(axis=1)).all()
    assert (spy["low"] <= spy[["open", "close"]].min(axis=1)).all()
    assert (spy["volume"] > 0).all()
    assert spy["volume"].dtype == np.int64


def test_bars_are_exactly_the_nyse_regular_session_minutes(spy: pd.DataFrame) -> None:
    assert spy.index.equals(session_minutes(START, END))
    assert spy.index.tz is not None
    assert spy.index.name == "ts"


def test_holidays_have_no_bars(spy: pd.DataFrame) -> None:
    days = set(spy.index.tz_convert(EXCHANGE_TZ).date)
    assert pd.Timestamp("2024-11-28").date() not in days  # Thanksgiving
    assert pd.Timestamp("2024-11-30").date() not in days  # Saturday
    assert pd.Timestamp("2024-11-29").date() in days


def test_half_day_session_ends_at_1300_new_york(spy: pd.DataFrame) -> None:
    local = spy.index.tz_convert(EXCHANGE_TZ)
    half = local[local.date == pd.Timestamp("2024-11-29").date()]
    assert half[0].strftime("%H:%M") == "09:30"
    assert half[-1].strftime("%H:%M") == "12:59"
    assert len(half) == 210


def test_dst_change_keeps_first_bar_at_0930_new_york(spy: pd.DataFrame) -> None:
    first = spy.groupby(spy.index.tz_convert(EXCHANGE_TZ).date).head(1).index
    utc_hours = {t.tz_convert(EXCHANGE_TZ).date(): t.hour for t in first}
    assert utc_hours[pd.Timestamp("2024-11-01").date()] == 13
    assert utc_hours[pd.Timestamp("2024-11-04").date()] == 14


def test_each_minute_opens_near_the_previous_close_within_a_day(spy: pd.DataFrame) -> None:
    day = spy.index.tz_convert(EXCHANGE_TZ).date
    same_day = day[1:] == day[:-1]
    jump = np.abs(spy["open"].to_numpy()[1:] - spy["close"].to_numpy()[:-1])[same_day]
    assert np.median(jump) <= 0.02
    assert (jump / spy["close"].to_numpy()[:-1][same_day]).max() < 0.003


def test_overnight_gaps_exist(spy: pd.DataFrame) -> None:
    d = daily(spy)
    prev_close = d["close"].shift(1)
    gaps = ((d["open"] - prev_close) / prev_close).dropna()
    assert (np.abs(gaps) > 0.001).sum() >= 5


def test_volume_and_volatility_are_higher_at_open_and_close_than_midday(spy: pd.DataFrame) -> None:
    local = spy.index.tz_convert(EXCHANGE_TZ)
    minute = local.hour * 60 + local.minute - (9 * 60 + 30)
    day = pd.Series(local.date)
    full_day = (day.map(day.value_counts()) == 390).to_numpy()
    bars, minute = spy[full_day], minute[full_day]
    spread = (bars["high"] - bars["low"]) / bars["close"]
    phase = np.select([minute < 30, minute >= 360], ["open", "close"], "midday")
    volume = bars["volume"].groupby(phase).mean()
    vol = spread.groupby(phase).mean()
    assert volume["open"] > 1.5 * volume["midday"]
    assert volume["close"] > 1.3 * volume["midday"]
    assert vol["open"] > 1.3 * vol["midday"]
    assert vol["close"] > vol["midday"]


def test_same_seed_gives_identical_bars_and_another_seed_differs() -> None:
    a = generate_bars("QQQ", "2024-07-01", "2024-07-12", seed=5)
    b = generate_bars("QQQ", "2024-07-01", "2024-07-12", seed=5)
    c = generate_bars("QQQ", "2024-07-01", "2024-07-12", seed=6)

    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not np.array_equal(a["close"].to_numpy(), c["close"].to_numpy())


def test_days_mix_trending_and_ranging(spy: pd.DataFrame) -> None:
    d = daily(spy)
    efficiency = (d["close"] - d["open"]).abs() / (d["high"] - d["low"])  # 1 = straight line

    assert (efficiency > 0.6).sum() >= 3
    assert (efficiency < 0.25).sum() >= 3


def test_bundled_defaults_cover_the_second_half_of_2024_for_three_symbols() -> None:
    assert [s.symbol for s in SEED_SYMBOLS] == ["SPY", "QQQ", "AAPL"]
    assert len({s.seed for s in SEED_SYMBOLS}) == 3
    expected_minutes = session_minutes(SEED_START, SEED_END)
    assert len(expected_minutes) == 125 * 390 + 3 * 210  # 128 sessions, 3 half days

    for spec in SEED_SYMBOLS:
        bars = generate_default(spec)
        assert bars.index.equals(expected_minutes)
        assert abs(bars["open"].iloc[0] - spec.price) / spec.price < 0.01
        assert bars["close"].between(0.6 * spec.price, 1.6 * spec.price).all()
        local = bars.index.tz_convert(EXCHANGE_TZ)
        days = set(local.date)
        for holiday in ["2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"]:
            assert pd.Timestamp(holiday).date() not in days
        for half_day in ["2024-07-03", "2024-11-29", "2024-12-24"]:
            assert local[local.date == pd.Timestamp(half_day).date()][-1].hour == 12


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_on_tick_consistent_bars(seed: int) -> None:
    bars = generate_bars("ZZZ", "2024-07-02", "2024-07-03", seed=seed)  # full day + half day

    prices = bars[["open", "high", "low", "close"]].to_numpy()
    assert np.abs(prices * 100 - np.round(prices * 100)).max() < 1e-6
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (prices > 0).all()
    assert len(bars) == 390 + 210

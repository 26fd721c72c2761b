"""The regime rule, the stand-down flag and the trader's exposure at each display close."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from engine_helpers import make_session, minute

from ntree.engine.events import Event
from ntree.engine.regime import (
    REGIME_RULE,
    STAND_DOWN_RULE,
    TREND_SLOPE_ATR,
    classify_regime,
    exposure_at_close,
    regime_holds,
    regimes,
    stand_down,
    stand_down_counts,
    stood_down_rate,
)


def ns(n: int) -> int:
    return minute(n).value


@pytest.mark.parametrize(
    ("slope", "atr", "regime"),
    [
        (0.2, 2.0, "trend"),  # 0.10 ATR a bar: exactly the threshold
        (-0.3, 2.0, "trend"),  # falling counts as much as rising
        (0.19, 2.0, "range"),
        (0.0, 1.0, "range"),
        (math.nan, 1.0, None),  # warm-up: no slope yet
        (0.5, 0.0, None),  # flat history: no ATR
        (None, 1.0, None),
    ],
)
def test_regime_is_trend_when_slope_per_atr_reaches_the_threshold(
    slope: float | None, atr: float, regime: str | None
) -> None:
    assert classify_regime(slope, atr) == regime


def test_the_rules_state_their_threshold() -> None:
    assert TREND_SLOPE_ATR == 0.10
    assert "0.10" in REGIME_RULE and "trend" in STAND_DOWN_RULE


def test_regimes_read_each_candles_slope_and_atr() -> None:
    candles = pd.DataFrame({"ch_slope": [math.nan, 0.05, -0.5], "atr14": [1.0, 1.0, 1.0]})
    assert regimes(candles) == [None, "range", "trend"]


def test_stand_down_flags_trend_bars_only() -> None:
    assert [stand_down(r) for r in ("trend", "range", None)] == [True, False, False]


def test_stood_down_rate_counts_played_flagged_bars_with_nothing_on() -> None:
    flags = [True, True, False, True, True]
    exposure = [False, True, False, None, False]  # bar 3 was not played
    assert stand_down_counts(flags, exposure) == (3, 2)
    assert stood_down_rate(flags, exposure) == pytest.approx(2 / 3)


def test_stood_down_rate_without_a_flagged_bar_is_none() -> None:
    assert stood_down_rate([False, False], [False, True]) is None


def start(ts: int) -> Event:
    return Event(1, ts, ts, "SESSION_START", {})


def placed(seq: int, ts: int, oid: int) -> Event:
    return Event(seq, ts, ts, "ORDER_PLACED", {"order": {"order_id": oid}})


def fill(seq: int, ts: int, oid: int | None, position: int) -> Event:
    return Event(seq, ts, ts, "FILL", {"order_id": oid, "position_qty": position})


def step(seq: int, ts: int) -> Event:
    return Event(seq, ts, ts, "STEP", {"cmd": {"op": "step", "args": {}}})


def test_exposure_counts_the_order_placed_at_a_close_but_not_the_next_bars_fill() -> None:
    # 5m bars at 13:30, 13:35, 13:40, 13:45. An order placed at the close of bar 0 (13:35)
    # fills in the first minute of bar 1, which is flattened at 13:45; the session ends 13:50.
    times = [ns(0), ns(5), ns(10), ns(15)]
    events = [
        start(ns(0)),
        step(2, ns(0)),
        placed(3, ns(5), 1),  # the decision at bar 0's close
        step(4, ns(5)),
        fill(5, ns(5), 1, 10),  # bar 1's first minute
        fill(6, ns(10), 2, 0),  # bar 2's first minute: flat again
        Event(7, ns(20), ns(20), "SESSION_END", {}),
    ]
    assert exposure_at_close(events, times) == [True, True, False, False]


def test_exposure_of_bars_outside_the_session_is_none() -> None:
    times = [ns(-10), ns(-5), ns(0), ns(5), ns(10)]  # two history bars, then 13:30..13:45
    events = [start(ns(0)), step(2, ns(0)), step(3, ns(5))]  # not ended: reached 13:35
    assert exposure_at_close(events, times) == [None, None, False, None, None]


def test_exposure_of_a_played_session_follows_its_orders_and_position() -> None:
    # A buy limit at 99 placed at 13:35, touched at 13:41, exited by its target at 13:47.
    rows: list = [None] * 11 + [(100, 100, 99, 99.5)] + [None] * 5 + [(99.5, 101.5, 99.5, 101)]
    s = make_session(rows, minutes=30)
    s.step()
    s.place("BUY", "LIMIT", 1, 99.0, bracket={"tp": 101.0})
    s.step(disp_steps=5)  # to the end of the data
    times = s.disp.index.as_unit("ns").asi8.tolist()
    exposure = exposure_at_close(s.drain_events(), times)
    played = exposure[12:]  # the 12 history bars first
    assert played == [True, True, True, False, False, False]


def _five_minute_candles(slopes: list[float]) -> pd.DataFrame:
    index = pd.date_range("2024-08-06 14:00", periods=len(slopes), freq="5min", tz="UTC")
    return pd.DataFrame({"ch_slope": slopes, "atr14": [1.0] * len(slopes)}, index=index)


def test_a_window_is_of_a_regime_when_most_of_its_bars_are():
    # bars at 14:00 .. 14:35: trend, trend, range, trend, range, range, nan, range
    candles = _five_minute_candles([0.5, 0.2, 0.0, 0.3, 0.05, 0.0, math.nan, 0.0])
    at = pd.Timestamp("2024-08-06 14:00", tz="UTC").value
    m = pd.Timedelta(minutes=1).value
    assert regime_holds(candles, at, at + 20 * m, "trend")  # 3 of 4
    assert not regime_holds(candles, at, at + 30 * m, "trend")  # 3 of 6: not most
    assert not regime_holds(candles, at, at + 30 * m, "range")
    assert not regime_holds(candles, at + 25 * m, at + 35 * m, "range")  # unknown counts against
    assert regime_holds(candles, at + 25 * m, at + 40 * m, "range")  # 2 of 3
    assert regime_holds(candles, at + 27 * m, at + 28 * m, "range")  # inside the 14:25 bar
    assert not regime_holds(candles, at - 60 * m, at - 30 * m, "range")  # before every bar

"""Blind replay's pure mapping (ntree/blind.py): prices, money, volume and the Day-N calendar."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ntree.blind import BlindClock, Rebase, anchors, day_label, day_labels, is_blind_time
from ntree.market import calendar
from ntree.ui import format as fmt

# a real first open anywhere from a penny stock to a four-figure one, on the cent tick
anchors_st = st.integers(min_value=100, max_value=500_000).map(lambda c: c / 100)
shown_st = st.integers(min_value=100, max_value=100_000).map(lambda c: c / 100)


@given(anchor=anchors_st, shown=shown_st)
def test_shown_price_lands_on_a_real_tick_and_shows_within_half_a_tick(anchor, shown):
    r = Rebase(price_anchor=anchor, volume_anchor=1000)
    real = r.to_real(shown)
    assert real == round(real, 2)  # on the real cent grid, as the log writes a price
    back = r.price(real)
    shown_tick = 0.01 * 100 / anchor
    assert abs(back - shown) <= shown_tick / 2 + 0.005 + 1e-9
    # where it landed is stable: typing what is shown lands on the same real tick
    assert r.to_real(back) == real


@given(anchor=anchors_st.filter(lambda a: a >= 100), shown=shown_st)
def test_above_100_every_shown_cent_is_reachable_exactly(anchor, shown):
    """A real tick is at most a shown cent: the price typed is the price shown."""
    r = Rebase(price_anchor=anchor, volume_anchor=1000)
    assert r.snap(shown) == shown


@given(anchor=anchors_st, real_cents=st.integers(min_value=1, max_value=10**6))
def test_real_price_round_trips_when_a_real_tick_is_at_least_a_shown_cent(anchor, real_cents):
    r = Rebase(price_anchor=anchor, volume_anchor=1000)
    real = real_cents / 100
    if anchor <= 100:
        assert r.to_real(r.price(real)) == real


@given(anchor=anchors_st, pnl_cents=st.integers(min_value=-(10**9), max_value=10**9))
def test_rebased_pnl_is_the_real_pnl_times_the_factor_exactly_to_the_cent(anchor, pnl_cents):
    r = Rebase(price_anchor=anchor, volume_anchor=1000)
    pnl = pnl_cents / 100
    exact = round(Fraction(repr(pnl)) * 100 / Fraction(repr(anchor)), 2)  # half-even, exact
    assert fmt.money(r.money(pnl)) == f"{float(exact):+,.2f}"
    equity = fmt.money(r.equity(100_000 + pnl), signed=False)
    assert equity == f"{float(100_000 + exact):,.2f}"


def test_first_open_shows_as_100():
    r = Rebase(price_anchor=541.37, volume_anchor=12_345.5)
    assert r.price(541.37) == 100.0
    assert r.volume(12_345.5) == 1000.0
    assert r.price(None) is None and r.price(float("nan")) is None


def test_anchors_are_the_first_session_open_and_the_history_mean_volume():
    ts = pd.date_range("2024-08-05 19:58", periods=4, freq="1min", tz="UTC")
    bars = pd.DataFrame(
        {"open": [10.0, 11.0, 12.5, 13.0], "volume": [100, 300, 50, 70]},
        index=pd.DatetimeIndex(ts, name="ts"),
    )
    got = anchors(bars, pd.Timestamp("2024-08-05 20:00", tz="UTC"))
    assert got == {"blind_price_anchor": 12.5, "blind_volume_anchor": 200.0}


def _clock(day1: str) -> BlindClock:
    return BlindClock(calendar().sessions.values, pd.Timestamp(day1))


def test_days_count_trading_days_across_a_weekend_a_holiday_and_dst():
    """Fri 2024-11-01 is Day 1; the clocks go back on Sun 11-03; Thu 11-28 is Thanksgiving."""
    clock = _clock("2024-11-01")
    real = [
        "2024-10-31T13:30:00Z",  # Thu 09:30 EDT: the day before
        "2024-11-01T13:30:00Z",  # Fri 09:30 EDT
        "2024-11-04T14:30:00Z",  # Mon 09:30 EST
        "2024-11-29T18:00:00Z",  # Fri 13:00 EST after Thanksgiving
    ]
    fake = clock.fake(real)
    assert day_labels(pd.DatetimeIndex(fake)) == [
        "Day 0 09:30",
        "Day 1 09:30",
        "Day 2 09:30",
        "Day 20 13:00",
    ]
    assert all(is_blind_time(pd.Timestamp(t)) for t in fake)
    assert not is_blind_time(pd.Timestamp(real[0]))
    assert fake == sorted(fake)  # ISO text of one width: sorts as time does


_MINUTES = calendar().sessions_minutes(pd.Timestamp("2024-07-01"), pd.Timestamp("2024-11-29"))


@given(st.lists(st.integers(min_value=0, max_value=len(_MINUTES) - 1), min_size=1, max_size=40))
def test_fictional_times_keep_the_order_and_the_exchange_wall_time(picks):
    """Over trading minutes (bars exist only there), across July 4th and a DST change."""
    real = [_MINUTES[i] for i in sorted(picks)]
    fake = _clock("2024-07-01").fake([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in real])
    assert fake == sorted(fake)
    for r, f in zip(real, fake, strict=True):
        wall = r.tz_convert("America/New_York").strftime("%H:%M")
        assert day_label(f).endswith(" " + wall)


def test_fake_keeps_none_and_needs_no_calendar_for_an_empty_list():
    clock = _clock("2024-07-01")
    assert clock.fake([None, ""]) == [None, ""]
    assert clock.day_numbers(np.array(["2024-07-01"], dtype="datetime64[D]")).tolist() == [1]

"""Display buckets on other exchanges: anchored to each session's open in its own time zone,
never across a session or a break (XHKG's lunch, XLON's 08:00 open across a DST change)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ntree import market
from ntree.engine.aggregate import SessionBounds, aggregate, bucket_codes, bucket_open, local_days
from ntree.engine.indicators import add_indicators
from tests.engine.test_aggregate import bars_on


def local(index: pd.DatetimeIndex, exchange: str) -> list[str]:
    return [t.strftime("%H:%M") for t in index.tz_convert(market.timezone(exchange))]


def day_bars(
    exchange: str, first: str, last: str | None = None
) -> tuple[pd.DataFrame, SessionBounds | None]:
    """Return every regular-session minute of the sessions from ``first`` to ``last``."""
    bars = bars_on(market.session_minutes(first, last or first, exchange))
    return bars, market.bounds_over(exchange, bars.index)


def test_xhkg_1h_candles_stop_at_the_lunch_break_and_restart_at_1300() -> None:
    bars, bounds = day_bars("XHKG", "2024-03-01")

    disp = aggregate(bars, 60, bounds=bounds)

    assert local(disp.index, "XHKG") == ["09:30", "10:30", "11:30", "13:00", "14:00", "15:00"]
    # 11:30-12:00 is a short candle of 30 minutes: minutes 120..149 of the day.
    short = disp.iloc[2]
    assert (short["open"], short["close"]) == (100.0 + 120, 100.25 + 149)
    assert short["volume"] == sum(10 * (i + 1) for i in range(120, 150))
    # 13:00-14:00 starts with the first afternoon minute (minute 150 of the day).
    assert disp.iloc[3]["open"] == 100.0 + 150
    assert disp["volume"].sum() == bars["volume"].sum()


def test_xhkg_30m_candles_are_five_in_the_morning_and_six_in_the_afternoon() -> None:
    bars, bounds = day_bars("XHKG", "2024-03-01")

    disp = aggregate(bars, 30, bounds=bounds)

    assert local(disp.index, "XHKG") == [
        "09:30", "10:00", "10:30", "11:00", "11:30",
        "13:00", "13:30", "14:00", "14:30", "15:00", "15:30",
    ]  # fmt: skip


def test_a_bar_in_the_lunch_break_gets_a_bucket_of_its_own() -> None:
    bars, bounds = day_bars("XHKG", "2024-03-01")
    lunch = pd.DatetimeIndex([pd.Timestamp("2024-03-01 12:20", tz="Asia/Hong_Kong")])
    index = bars.index.append(lunch.tz_convert("UTC")).sort_values()

    opens = bucket_open(index, 60, bounds)

    at = index.get_loc(lunch.tz_convert("UTC")[0])
    assert local(opens[[at - 1, at, at + 1]], "XHKG") == ["11:30", "12:00", "13:00"]


def test_xlon_1h_candles_open_at_0800_london_on_both_sides_of_a_dst_change() -> None:
    # The UK moved its clocks on 2024-03-31: 08:00 London is 08:00 UTC, then 07:00 UTC
    # (29 March and 1 April are Easter holidays: two sessions).
    bars, bounds = day_bars("XLON", "2024-03-28", "2024-04-02")

    disp = aggregate(bars, 60, bounds=bounds)

    hours = ["08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert local(disp.index, "XLON") == hours * 2
    # The last one is the short 16:00-16:30.
    assert int((bucket_codes(bars.index, 60, bounds)[0] == 8).sum()) == 30


def test_both_halves_of_a_split_session_are_one_trading_day() -> None:
    bars, bounds = day_bars("XHKG", "2024-03-01", "2024-03-04")

    days = local_days(bars.index, bounds)

    assert sorted(set(days.tolist())) == [int(days[0]), int(days[0]) + 1]
    assert (days[:330] == days[0]).all() and (days[330:] == days[0] + 1).all()


def test_the_vwap_runs_through_the_lunch_break_and_resets_at_the_next_session() -> None:
    # New York's midnight falls in Hong Kong's session (12:00 or 13:00): a New York date
    # key would reset the VWAP there.
    bars, bounds = day_bars("XHKG", "2024-03-01", "2024-03-04")
    codes, disp_ts = bucket_codes(bars.index, 30, bounds)
    disp = aggregate(bars, 30, (codes, disp_ts))
    days = local_days(bars.index, bounds)[np.flatnonzero(np.diff(codes, prepend=-1))]

    vwap = add_indicators(disp, days)["vwap"]

    typical = (disp["high"] + disp["low"] + disp["close"]) / 3
    first_day = slice(0, 11)
    expected = (typical * disp["volume"])[first_day].cumsum() / disp["volume"][first_day].cumsum()
    assert np.allclose(vwap.iloc[first_day], expected)
    assert vwap.iloc[11] == typical.iloc[11]  # a new session: its first candle's own price


def test_xnys_hours_as_data_give_the_buckets_of_the_0930_rule_over_a_year() -> None:
    # Half days, DST changes and holidays included: the default rule is the XNYS hours.
    minutes = market.session_minutes("2024-01-02", "2024-12-31")
    bounds = market.session_bounds("XNYS", "2024-01-01", "2024-12-31")

    for disp_tf in (5, 15, 30, 60):
        assert (bucket_open(minutes, disp_tf, bounds) == bucket_open(minutes, disp_tf)).all()

"""1m -> display candle aggregation on hand-built minutes you can check by eye."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ntree.engine.aggregate import aggregate, bucket_codes, bucket_open
from ntree.engine.ticks import DISP_TFS, EXCHANGE_TZ
from ntree.market import session_minutes


def minutes_from(start_utc: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start_utc, periods=n, freq="1min", tz="UTC", name="ts")


def bars_on(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Minute i: open 100+i, high 100.5+i, low 99.5+i, close 100.25+i, volume 10*(i+1)."""
    i = np.arange(len(index), dtype=float)
    return pd.DataFrame(
        {
            "open": 100.0 + i,
            "high": 100.5 + i,
            "low": 99.5 + i,
            "close": 100.25 + i,
            "volume": (10 * (i + 1)).astype(np.int64),
        },
        index=pd.DatetimeIndex(index, name="ts"),
    )


def ny(ts: pd.Timestamp) -> str:
    return ts.tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M")


def test_first_5m_candle_takes_first_open_max_high_min_low_last_close_sum_volume() -> None:
    bars = bars_on(minutes_from("2024-11-01 13:30", 10))  # 09:30..09:39 New York (EDT)

    disp = aggregate(bars, 5)

    assert list(disp.index) == [
        pd.Timestamp("2024-11-01 13:30", tz="UTC"),
        pd.Timestamp("2024-11-01 13:35", tz="UTC"),
    ]
    first = disp.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        100.0,
        104.5,
        99.5,
        104.25,
    )
    assert first["volume"] == 10 + 20 + 30 + 40 + 50
    second = disp.iloc[1]
    assert (second["open"], second["close"], second["volume"]) == (105.0, 109.25, 400)


def test_1h_candles_start_at_0930_and_last_one_of_day_is_short_1530_to_1600() -> None:
    bars = bars_on(session_minutes("2024-11-01", "2024-11-01"))

    disp = aggregate(bars, 60)

    assert [ny(t)[-5:] for t in disp.index] == [
        "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30",
    ]  # fmt: skip
    last = disp.iloc[-1]
    assert last["open"] == 100.0 + 360  # minute 360 of the session is 15:30
    assert last["close"] == 100.25 + 389
    assert last["volume"] == sum(10 * (i + 1) for i in range(360, 390))


def test_dst_change_keeps_buckets_at_0930_new_york_1330_utc_before_1430_utc_after() -> None:
    before = bars_on(minutes_from("2024-11-01 13:30", 15))  # Friday, EDT (UTC-4)
    after = bars_on(minutes_from("2024-11-04 14:30", 15))  # Monday, EST (UTC-5)

    disp = aggregate(pd.concat([before, after]), 15)

    assert list(disp.index) == [
        pd.Timestamp("2024-11-01 13:30", tz="UTC"),
        pd.Timestamp("2024-11-04 14:30", tz="UTC"),
    ]
    assert [ny(t) for t in disp.index] == ["2024-11-01 09:30", "2024-11-04 09:30"]
    assert list(disp["volume"]) == [sum(range(10, 160, 10))] * 2


def test_half_day_last_1h_candle_is_1230_to_1300_and_short() -> None:
    minutes = session_minutes("2024-11-29", "2024-11-29")
    assert ny(minutes[-1]) == "2024-11-29 12:59"
    bars = bars_on(minutes)

    disp = aggregate(bars, 60)

    assert [ny(t)[-5:] for t in disp.index] == ["09:30", "10:30", "11:30", "12:30"]
    assert disp.index[-1] == pd.Timestamp("2024-11-29 17:30", tz="UTC")
    codes, _ = bucket_codes(bars.index, 60)
    assert np.bincount(codes).tolist() == [60, 60, 60, 30]
    assert disp["close"].iloc[-1] == 100.25 + 209


def test_missing_minutes_inside_a_bucket_use_only_the_minutes_present() -> None:
    bars = bars_on(minutes_from("2024-11-04 14:30", 5))  # 09:30..09:34 New York
    holed = bars.drop(bars.index[[0, 2]])  # 09:30 and 09:32 missing

    disp = aggregate(holed, 5)

    assert len(disp) == 1
    assert disp.index[0] == pd.Timestamp("2024-11-04 14:30", tz="UTC")
    row = disp.iloc[0]
    assert row["open"] == 101.0  # the 09:31 minute
    assert row["high"] == 104.5
    assert row["low"] == 100.5
    assert row["close"] == 104.25
    assert row["volume"] == 20 + 40 + 50


@pytest.mark.parametrize("disp_tf", list(DISP_TFS.values()))
def test_buckets_never_straddle_two_sessions(disp_tf: int) -> None:
    bars = bars_on(session_minutes("2024-11-26", "2024-12-02"))  # includes the 11-29 half day

    codes, opens = bucket_codes(bars.index, disp_tf)

    minute_day = bars.index.tz_convert(EXCHANGE_TZ).date
    open_day = opens.tz_convert(EXCHANGE_TZ).date
    assert (minute_day == open_day[codes]).all()
    per_day = pd.Series(open_day).value_counts().sort_index()
    full_day = -(-390 // disp_tf)
    half_day = -(-210 // disp_tf)
    assert per_day.tolist() == [full_day, full_day, half_day, full_day]


def test_bucket_open_maps_each_minute_to_its_candle_open() -> None:
    minutes = minutes_from("2024-07-01 13:30", 31)  # 09:30..10:00 New York

    opens = bucket_open(minutes, 30)

    assert opens[0] == opens[29] == pd.Timestamp("2024-07-01 13:30", tz="UTC")
    assert opens[30] == pd.Timestamp("2024-07-01 14:00", tz="UTC")


def test_empty_minutes_aggregate_to_an_empty_frame_with_ohlcv_columns() -> None:
    empty = bars_on(minutes_from("2024-07-01 13:30", 0))

    disp = aggregate(empty, 5)

    assert disp.empty
    assert list(disp.columns) == ["open", "high", "low", "close", "volume"]

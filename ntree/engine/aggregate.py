"""1-minute execution bars -> display candles (pure, vectorised).

Buckets are strict in exchange time and anchored to each session's 09:30 New York open,
so a bucket never straddles two sessions, DST shifts nothing, a bucket with missing
minutes is built from those present, and the last bucket of a session may be short
(15:30-16:00 at 1h, or a half day's 13:00 close).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ntree.engine.ticks import EXCHANGE_TZ, SESSION_OPEN_LOCAL

OHLCV = ["open", "high", "low", "close", "volume"]


_MIN_NS = 60_000_000_000
_DAY_NS = 1440 * _MIN_NS
_OPEN_NS = SESSION_OPEN_LOCAL.value


def _local_ns(ts: pd.DatetimeIndex) -> np.ndarray:
    return ts.tz_convert(EXCHANGE_TZ).tz_localize(None).as_unit("ns").asi8


def local_days(ts: pd.DatetimeIndex) -> np.ndarray:
    """Return each UTC bar time's New York calendar day, as days since 1970-01-01."""
    return _local_ns(ts) // _DAY_NS


def _bucket_open_ns(ts: pd.DatetimeIndex, disp_tf: int) -> np.ndarray:
    """Return the UTC open time (epoch ns) of each bar's display bucket.

    Integer arithmetic on New York wall-clock time: a bucket lies within one session, so it
    shares its bars' UTC offset, and one time-zone conversion serves the whole index.
    """
    utc = ts.as_unit("ns").asi8
    local = _local_ns(ts)
    session_open = local // _DAY_NS * _DAY_NS + _OPEN_NS
    offset_min = (local - session_open) // _MIN_NS
    start_local = session_open + offset_min // disp_tf * disp_tf * _MIN_NS
    return start_local - (local - utc)


def bucket_open(ts: pd.DatetimeIndex, disp_tf: int) -> pd.DatetimeIndex:
    """Return, for each UTC bar open time, the UTC open time of its display bucket."""
    return pd.to_datetime(_bucket_open_ns(ts, disp_tf), unit="ns", utc=True)


def bucket_codes(ts: pd.DatetimeIndex, disp_tf: int) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Return (code per 1m bar, display bar open times): code i means display bar i."""
    starts = _bucket_open_ns(ts, disp_tf)
    if len(starts) and bool((starts[1:] >= starts[:-1]).all()):  # sorted bars: no sort needed
        new = np.empty(len(starts), dtype=bool)
        new[0] = True
        np.not_equal(starts[1:], starts[:-1], out=new[1:])
        codes = np.cumsum(new) - 1
        uniques = starts[new]
    else:
        codes, uniques = pd.factorize(starts, sort=True)
    disp_ts = pd.to_datetime(uniques, unit="ns", utc=True)
    return codes.astype(np.int64), disp_ts


def aggregate(
    bars_1m: pd.DataFrame,
    disp_tf: int,
    buckets: tuple[np.ndarray, pd.DatetimeIndex] | None = None,
) -> pd.DataFrame:
    """Aggregate 1m bars (UTC ``ts`` index, OHLCV columns) into ``disp_tf``-minute candles.

    ``buckets``: the bars' :func:`bucket_codes`, when the caller has them already.
    """
    if bars_1m.empty:
        return pd.DataFrame(columns=OHLCV, index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    if disp_tf == 1:
        return bars_1m[OHLCV].copy()
    codes, disp_ts = bucket_codes(bars_1m.index, disp_tf) if buckets is None else buckets
    order = None
    if not bool((codes[1:] >= codes[:-1]).all()):  # unsorted bars: group them first
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
    first = np.flatnonzero(np.diff(codes, prepend=-1))  # where each bucket's bars begin
    last = np.append(first[1:], len(codes)) - 1

    def col(name: str) -> np.ndarray:
        values = bars_1m[name].to_numpy()
        return values if order is None else values[order]

    out = pd.DataFrame(
        {
            "open": col("open")[first],
            "high": np.maximum.reduceat(col("high"), first),
            "low": np.minimum.reduceat(col("low"), first),
            "close": col("close")[last],
            "volume": np.add.reduceat(col("volume"), first),
        },
        index=disp_ts.rename("ts"),
    )
    return out

"""1-minute execution bars -> display candles (pure, vectorised).

Buckets are strict in exchange time and anchored to each session's 09:30 New York open,
so a bucket never straddles two sessions, DST shifts nothing, a bucket with missing
minutes is built from those present, and the last bucket of a session may be short
(15:30-16:00 at 1h, or a half day's 13:00 close).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ntree.market import EXCHANGE_TZ, SESSION_OPEN_LOCAL

OHLCV = ["open", "high", "low", "close", "volume"]


def bucket_open(ts: pd.DatetimeIndex, disp_tf: int) -> pd.DatetimeIndex:
    """Return, for each UTC bar open time, the UTC open time of its display bucket."""
    local = ts.tz_convert(EXCHANGE_TZ).tz_localize(None)
    session_open = local.normalize() + SESSION_OPEN_LOCAL
    offset_min = (local - session_open) // pd.Timedelta(minutes=1)
    start_local = session_open + pd.to_timedelta((offset_min // disp_tf) * disp_tf, unit="min")
    return start_local.tz_localize(EXCHANGE_TZ).tz_convert("UTC")


def bucket_codes(ts: pd.DatetimeIndex, disp_tf: int) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Return (code per 1m bar, display bar open times): code i means display bar i."""
    codes, uniques = pd.factorize(bucket_open(ts, disp_tf), sort=True)
    return codes.astype(np.int64), pd.DatetimeIndex(uniques)


def aggregate(bars_1m: pd.DataFrame, disp_tf: int) -> pd.DataFrame:
    """Aggregate 1m bars (UTC ``ts`` index, OHLCV columns) into ``disp_tf``-minute candles."""
    if bars_1m.empty:
        return pd.DataFrame(columns=OHLCV, index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    if disp_tf == 1:
        return bars_1m[OHLCV].copy()
    grouped = bars_1m.groupby(bucket_open(bars_1m.index, disp_tf), sort=True)
    out = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    out.index.name = "ts"
    return out

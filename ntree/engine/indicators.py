"""Chart indicators on display candles (pure, vectorised, no lookahead).

Every value at bar ``t`` uses only bars ``<= t``, so an indicator computed on data truncated
at ``t`` equals the one computed on the full history up to ``t``.

Formulas (``o, h, l, c, v`` are a candle's open, high, low, close, volume):

- ``ema(x, span)``: ``alpha = 2 / (span + 1)``; ``ema_0 = x_0``;
  ``ema_t = alpha * x_t + (1 - alpha) * ema_{t-1}`` (pandas ``ewm(adjust=False)``).
- ``vwap``: per session (the New York calendar date of the candle, or the session numbers
  the caller gives: an exchange whose session spans New York's midnight, as XHKG's does),
  ``tp = (h + l + c) / 3`` and ``vwap_t = cumsum(tp * v) / cumsum(v)`` from the session's
  first candle; while the session's cumulative volume is 0 the value is the close.
- ``atr(df, n)`` (Wilder): ``tr_t = max(h_t - l_t, |h_t - c_{t-1}|, |l_t - c_{t-1}|)``,
  ``tr_0 = h_0 - l_0``; ``atr_0 = tr_0``; ``atr_t = atr_{t-1} + (tr_t - atr_{t-1}) / n``
  (an RMA: EMA with ``alpha = 1 / n``).
- Keltner channel: ``ch_mid = ema(c, 20)``, ``ch_upper/ch_lower = ch_mid +- 2 * atr(14)``,
  ``ch_slope_t = (ch_mid_t - ch_mid_{t-5}) / 5`` (price per candle, NaN for the first 5),
  ``ch_width_atr = (ch_upper - ch_lower) / atr(50)``: the band width in units of a slow
  ATR (NaN when it is 0). Against ``atr14`` it would always be ``2 * 2 = 4``; against the
  slow ATR it reads the regime: above 4 volatility is expanding, below 4 contracting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EXCHANGE_TZ = "America/New_York"  # as ntree.engine.ticks has it: this module imports no ntree

EMA_FAST = 9
EMA_SLOW = 21
ATR_N = 14
CH_SPAN = 20
CH_MULT = 2.0
CH_SLOPE_LAG = 5
CH_WIDTH_ATR_N = 50

INDICATOR_COLUMNS = [
    "ema9",
    "ema21",
    "vwap",
    "atr14",
    "ch_mid",
    "ch_upper",
    "ch_lower",
    "ch_slope",
    "ch_width_atr",
]


def ema(series: pd.Series, span: int) -> pd.Series:
    """Return the exponential moving average, seeded with the first value."""
    return series.astype(float).ewm(span=span, adjust=False).mean()


def rma(series: pd.Series, n: int) -> pd.Series:
    """Return Wilder's running average (EMA with alpha = 1/n), seeded with the first value."""
    return series.astype(float).ewm(alpha=1.0 / n, adjust=False).mean()


def true_range(df: pd.DataFrame) -> pd.Series:
    """Return the true range; the first candle, with no previous close, uses high - low."""
    prev_close = df["close"].shift(1)
    ranges = pd.concat(
        [df["high"] - df["low"], (df["high"] - prev_close).abs(), (df["low"] - prev_close).abs()],
        axis=1,
    )
    return ranges.max(axis=1, skipna=True).astype(float)


def atr(df: pd.DataFrame, n: int = ATR_N) -> pd.Series:
    """Return Wilder's average true range over ``n`` candles."""
    return rma(true_range(df), n)


def session_keys(index: pd.DatetimeIndex) -> np.ndarray:
    """Return, per candle, its session key: the New York calendar date as an integer day."""
    local = index.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    return local.asi8


def vwap(df: pd.DataFrame, days: np.ndarray | None = None) -> pd.Series:
    """Return the session VWAP of typical price, reset at each New York calendar date (or
    at each change of ``days``, a session number per candle)."""
    typical = (df["high"] + df["low"] + df["close"]) / 3.0
    volume = df["volume"].astype(float)
    keys = session_keys(pd.DatetimeIndex(df.index)) if days is None else days
    cum_pv = (typical * volume).groupby(keys).cumsum()
    cum_v = volume.groupby(keys).cumsum()
    out = cum_pv / cum_v.where(cum_v > 0)
    return out.where(cum_v > 0, df["close"].astype(float)).rename("vwap")


def keltner(df: pd.DataFrame, atr14: pd.Series | None = None) -> pd.DataFrame:
    """Return the Keltner channel columns ch_mid, ch_upper, ch_lower, ch_slope, ch_width_atr."""
    atr14 = atr(df, ATR_N) if atr14 is None else atr14
    mid = ema(df["close"], CH_SPAN)
    slow_atr = atr(df, CH_WIDTH_ATR_N)
    upper = mid + CH_MULT * atr14
    lower = mid - CH_MULT * atr14
    return pd.DataFrame(
        {
            "ch_mid": mid,
            "ch_upper": upper,
            "ch_lower": lower,
            "ch_slope": (mid - mid.shift(CH_SLOPE_LAG)) / CH_SLOPE_LAG,
            "ch_width_atr": (upper - lower) / slow_atr.where(slow_atr > 0),
        },
        index=df.index,
    )


def add_indicators(disp: pd.DataFrame, days: np.ndarray | None = None) -> pd.DataFrame:
    """Return a copy of display candles with the indicator columns added (``days``: the
    session number of each candle, for the VWAP; New York dates without it)."""
    out = disp.copy()
    if out.empty:
        for col in INDICATOR_COLUMNS:
            out[col] = pd.Series(dtype=float)
        return out
    atr14 = atr(out, ATR_N)
    out["ema9"] = ema(out["close"], EMA_FAST)
    out["ema21"] = ema(out["close"], EMA_SLOW)
    out["vwap"] = vwap(out, days)
    out["atr14"] = atr14
    channel = keltner(out, atr14)
    for col in channel.columns:
        out[col] = channel[col]
    return out

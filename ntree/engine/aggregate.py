"""1-minute execution bars -> display candles (pure, vectorised).

Buckets are strict in exchange time and anchored to each session's open, so a bucket never
straddles two sessions, DST shifts nothing, a bucket with missing minutes is built from
those present, and the last bucket of a session may be short (15:30-16:00 at 1h, or a half
day's 13:00 close).

Without :class:`SessionBounds` the session is New York's, opening at 09:30 every day (the
XNYS rule every stored session was played by). With them -- any exchange's trading hours,
given as data by the edge (:func:`ntree.market.session_bounds`) -- each bucket is anchored
to its segment's open: a session, or each part of one split by a break, so on XHKG 1h
candles run 09:30-10:30, 10:30-11:30, 11:30-12:00, 13:00-14:00, ...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ntree.engine.ticks import EXCHANGE_TZ, SESSION_OPEN_LOCAL

OHLCV = ["open", "high", "low", "close", "volume"]


_MIN_NS = 60_000_000_000
_DAY_NS = 1440 * _MIN_NS
_OPEN_NS = SESSION_OPEN_LOCAL.value


@dataclass(frozen=True, eq=False)
class SessionBounds:
    """An exchange's trading hours as data: the trading segments, in time order.

    A segment is a session, or the part of one before or after its break (lunch on XHKG).
    ``opens``/``closes``: each segment's UTC open and close, epoch ns (int64); ``days``: the
    session each segment belongs to (both halves of a split session share one); ``tz``: the
    exchange's time zone (for the times a message shows).
    """

    tz: str
    opens: np.ndarray
    closes: np.ndarray
    days: np.ndarray

    def segment(self, utc_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return, per time, the index of the last segment opened at or before it (-1 before
        the first) and whether the time lies inside that segment."""
        k = np.searchsorted(self.opens, utc_ns, side="right") - 1
        if not len(self.opens):
            return k, np.zeros(len(k), dtype=bool)
        inside = (k >= 0) & (utc_ns < self.closes[np.maximum(k, 0)])
        return k, inside


def _local_ns(ts: pd.DatetimeIndex) -> np.ndarray:
    return ts.tz_convert(EXCHANGE_TZ).tz_localize(None).as_unit("ns").asi8


def local_days(ts: pd.DatetimeIndex, bounds: SessionBounds | None = None) -> np.ndarray:
    """Return each UTC bar time's trading day: its New York calendar day (days since
    1970-01-01), or with ``bounds`` its session's number (a bar between sessions counts with
    the one before, a bar before the first session is -1)."""
    if bounds is None:
        return _local_ns(ts) // _DAY_NS
    k, _ = bounds.segment(ts.as_unit("ns").asi8)
    if not len(bounds.days):
        return k
    return np.where(k >= 0, bounds.days[np.maximum(k, 0)], -1)


def _bounded_open_ns(utc: np.ndarray, disp_tf: int, bounds: SessionBounds) -> np.ndarray:
    """Return each bar's bucket open, anchored to its segment's open; a bar outside every
    segment (extended hours, a break) is anchored to the close before it, so its buckets
    never share one with a segment's bars."""
    k, inside = bounds.segment(utc)
    if not len(bounds.opens):
        anchor = np.zeros(len(utc), dtype=np.int64)
    else:
        kk = np.maximum(k, 0)
        after = np.where(k >= 0, bounds.closes[kk], bounds.opens[0])
        anchor = np.where(inside, bounds.opens[kk], after)
    step = disp_tf * _MIN_NS
    return anchor + (utc - anchor) // step * step


def _bucket_open_ns(
    ts: pd.DatetimeIndex, disp_tf: int, bounds: SessionBounds | None = None
) -> np.ndarray:
    """Return the UTC open time (epoch ns) of each bar's display bucket.

    Integer arithmetic on New York wall-clock time: a bucket lies within one session, so it
    shares its bars' UTC offset, and one time-zone conversion serves the whole index. With
    ``bounds``, UTC arithmetic from each segment's open (a segment has one UTC offset).
    """
    utc = ts.as_unit("ns").asi8
    if bounds is not None:
        return _bounded_open_ns(utc, disp_tf, bounds)
    local = _local_ns(ts)
    session_open = local // _DAY_NS * _DAY_NS + _OPEN_NS
    offset_min = (local - session_open) // _MIN_NS
    start_local = session_open + offset_min // disp_tf * disp_tf * _MIN_NS
    return start_local - (local - utc)


def bucket_open(
    ts: pd.DatetimeIndex, disp_tf: int, bounds: SessionBounds | None = None
) -> pd.DatetimeIndex:
    """Return, for each UTC bar open time, the UTC open time of its display bucket."""
    return pd.to_datetime(_bucket_open_ns(ts, disp_tf, bounds), unit="ns", utc=True)


def bucket_codes(
    ts: pd.DatetimeIndex, disp_tf: int, bounds: SessionBounds | None = None
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Return (code per 1m bar, display bar open times): code i means display bar i."""
    starts = _bucket_open_ns(ts, disp_tf, bounds)
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
    bounds: SessionBounds | None = None,
) -> pd.DataFrame:
    """Aggregate 1m bars (UTC ``ts`` index, OHLCV columns) into ``disp_tf``-minute candles.

    ``buckets``: the bars' :func:`bucket_codes`, when the caller has them already;
    ``bounds``: the exchange's trading hours (New York's 09:30 open without them).
    """
    if bars_1m.empty:
        return pd.DataFrame(columns=OHLCV, index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    if disp_tf == 1:
        return bars_1m[OHLCV].copy()
    if buckets is None:
        buckets = bucket_codes(bars_1m.index, disp_tf, bounds)
    codes, disp_ts = buckets
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

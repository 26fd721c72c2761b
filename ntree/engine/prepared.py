"""Prepared windows: what a session derives from its 1m bars, computed once and shared.

Opening a session costs mostly pandas work on its bars: the display buckets, the display
candles and their indicators, the trading-day codes, the data fingerprint. None of it depends
on the commands, so a bot that plays many episodes on the same symbol-window builds it once:
``ReplaySession(config, PreparedBars(bars_1m))`` reuses a :class:`PreparedBars` across
sessions, and a plain DataFrame is prepared on the spot, through the same code, so a session
opened either way is the same session, event for event.

Everything here is read-only once built (numpy arrays are flagged unwriteable): sessions
share it and never write to it. The display frames of each ``disp_tf`` are computed the
first time a session asks for them and kept (a pure cache: same bars, same frame).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ntree.engine.aggregate import SessionBounds, aggregate, bucket_codes, local_days
from ntree.engine.errors import EngineError
from ntree.engine.indicators import INDICATOR_COLUMNS, add_indicators

CANDLE_COLUMNS = ("open", "high", "low", "close", "volume", *INDICATOR_COLUMNS)


def data_fingerprint(bars: pd.DataFrame) -> str:
    """Return a SHA-256 of the bars' times and OHLCV (what a re-run must see unchanged)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(bars.index.as_unit("ns").asi8).tobytes())
    for col in ("open", "high", "low", "close"):
        h.update(np.ascontiguousarray(bars[col].to_numpy(np.float64)).tobytes())
    h.update(np.ascontiguousarray(bars["volume"].to_numpy(np.int64)).tobytes())
    return h.hexdigest()


def _frozen(values: np.ndarray) -> np.ndarray:
    # A view, flagged unwriteable: sessions share these arrays, none may write to them.
    out = np.ascontiguousarray(values).view()
    out.flags.writeable = False
    return out


@dataclass(frozen=True, slots=True, eq=False)
class DisplayFrame:
    """The display bars of one ``disp_tf`` over a window's 1m bars.

    ``codes[i]``: the display bar 1m bar ``i`` lies in; ``disp_ts``: each display bar's open
    (epoch ns); ``disp``: the candles with their indicators (``disp_cols`` the same columns
    as float arrays); ``ts_market[i]``: the open of 1m bar ``i``'s display bar;
    ``is_boundary[i]``: 1m bar ``i`` begins a display bar; ``disp_first[k]``: the first 1m
    index of display bar ``k`` (one past the end at ``k == len(disp_ts)``).
    """

    disp_tf: int
    codes: np.ndarray
    disp_ts: np.ndarray
    disp: pd.DataFrame
    disp_cols: dict[str, np.ndarray]
    ts_market: np.ndarray
    is_boundary: np.ndarray
    disp_first: np.ndarray


def display_frame(
    bars: pd.DataFrame,
    disp_tf: int,
    bounds: SessionBounds | None = None,
    day_codes: np.ndarray | None = None,
) -> DisplayFrame:
    """Bucket ``bars`` into display bars of ``disp_tf`` minutes, with their indicators;
    ``bounds``: the exchange's hours the buckets anchor to (``day_codes``: each bar's trading
    session, by which the indicators reset), New York's 09:30 open without them."""
    codes, disp_ts = bucket_codes(bars.index, disp_tf, bounds)
    candles = aggregate(bars, disp_tf, (codes, disp_ts))
    days = None
    if bounds is not None and day_codes is not None:  # each candle's session, its first bar's
        days = day_codes[np.flatnonzero(np.diff(codes, prepend=-1))]
    disp = add_indicators(candles, days)
    assert len(disp) == len(disp_ts)
    n = len(codes)
    is_boundary = np.empty(n, dtype=bool)
    if n:
        is_boundary[0] = True
        np.not_equal(codes[1:], codes[:-1], out=is_boundary[1:])
    disp_ts_ns = disp_ts.as_unit("ns").asi8
    return DisplayFrame(
        disp_tf=disp_tf,
        codes=_frozen(codes),
        disp_ts=_frozen(disp_ts_ns),
        disp=disp,
        disp_cols={c: _frozen(disp[c].to_numpy(np.float64)) for c in CANDLE_COLUMNS},
        ts_market=_frozen(disp_ts_ns[codes]),
        is_boundary=_frozen(is_boundary),
        # First 1m index of each display bar, for O(1) step targets.
        disp_first=_frozen(np.searchsorted(codes, np.arange(len(disp_ts) + 1))),
    )


class PreparedBars:
    """A window's 1m bars (UTC ``ts`` index, OHLCV) with what a session derives from them.

    ``t_end``: keep only the bars before it (what a session ending then plays on);
    ``bounds``: the exchange's trading hours (None: New York's). Raise EngineError
    ``bad_bars`` when the bars are not in strictly increasing time order.
    """

    def __init__(
        self,
        bars_1m: pd.DataFrame,
        t_end: pd.Timestamp | int | None = None,
        bounds: SessionBounds | None = None,
    ) -> None:
        if t_end is not None:
            n_in = int(bars_1m.index.searchsorted(pd.Timestamp(t_end)))  # the index is sorted
            if n_in < len(bars_1m):
                bars_1m = bars_1m.iloc[:n_in]
        self.bars = bars_1m
        self.bounds = bounds
        self.ts = _frozen(bars_1m.index.as_unit("ns").asi8)
        self.open = _frozen(bars_1m["open"].to_numpy(np.float64))
        self.high = _frozen(bars_1m["high"].to_numpy(np.float64))
        self.low = _frozen(bars_1m["low"].to_numpy(np.float64))
        self.close = _frozen(bars_1m["close"].to_numpy(np.float64))
        self.n = len(self.ts)
        if self.n > 1 and not bool((self.ts[1:] > self.ts[:-1]).all()):
            raise EngineError("bad_bars", "1m bars must be in strictly increasing time order")
        day_codes, _ = pd.factorize(local_days(bars_1m.index, bounds))  # each bar's day
        self.day_codes = _frozen(day_codes)
        self._fingerprint: str | None = None
        self._frames: dict[int, DisplayFrame] = {}
        self._day_bounds: tuple[np.ndarray, np.ndarray] | None = None

    def until(self, t_end_ns: int) -> PreparedBars:
        """Return the window cut before ``t_end_ns``: this one when no bar lies at or after
        it (the usual case: a window prepared for that session), else a new one."""
        n_in = int(np.searchsorted(self.ts, t_end_ns))
        return self if n_in == self.n else PreparedBars(self.bars.iloc[:n_in], None, self.bounds)

    @property
    def fingerprint(self) -> str:
        """Return the bars' :func:`data_fingerprint` (computed once)."""
        if self._fingerprint is None:
            self._fingerprint = data_fingerprint(self.bars)
        return self._fingerprint

    @property
    def day_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Return, per 1m bar, the index of its trading day's first bar and one past its
        last (computed once: a bot reads the market phase every step)."""
        if self._day_bounds is None:
            codes = self.day_codes
            self._day_bounds = (
                _frozen(np.searchsorted(codes, codes, side="left")),
                _frozen(np.searchsorted(codes, codes, side="right")),
            )
        return self._day_bounds

    def display(self, disp_tf: int) -> DisplayFrame:
        """Return the display frame of ``disp_tf`` minutes (computed on first use, kept)."""
        frame = self._frames.get(disp_tf)
        if frame is None:
            frame = self._frames[disp_tf] = display_frame(
                self.bars, disp_tf, self.bounds, self.day_codes
            )
        return frame

    def prepare(self, *disp_tfs: int) -> PreparedBars:
        """Compute the display frames of ``disp_tfs`` and the fingerprint now; return self."""
        for disp_tf in disp_tfs:
            self.display(disp_tf)
        _ = self.fingerprint
        return self

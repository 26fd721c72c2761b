"""The two clocks of a session: the 1-minute execution bars and the display bars over them.

The trader decides on *display* bars (5m..1h); orders fill on the *execution* bars inside
them. The :class:`Clock` holds the bars (read-only views of the caller's frame), the display
buckets (which display bar each 1m bar belongs to, where each one begins) and the cursor:
the index of the next 1m bar to play. A boundary lies between two display bars; the cursor
may stop between boundaries (``exec_steps``), where orders change only when the session
allows it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ntree.engine.aggregate import SessionBounds, bucket_codes
from ntree.engine.args import positive_int
from ntree.engine.prepared import CANDLE_COLUMNS, PreparedBars, data_fingerprint

__all__ = ["CANDLE_COLUMNS", "NS_PER_MIN", "Clock", "data_fingerprint"]

NS_PER_MIN = 60_000_000_000


class Clock:
    """The execution bars, their display buckets of ``disp_tf`` minutes, and the cursor.

    ``t_start_ns``: trading starts at the first display boundary at or after it (the bars
    before are history); ``i_start >= n`` when no bar is left to trade. ``bounds``: the
    exchange's trading hours the buckets anchor to (New York's 09:30 open without them).
    """

    def __init__(
        self,
        bars: pd.DataFrame | PreparedBars,
        disp_tf: int,
        t_start_ns: int,
        bounds: SessionBounds | None = None,
    ) -> None:
        # A prepared window is shared with other sessions as it is (see ntree.engine.prepared);
        # plain bars are prepared here, through the same code, for this session alone.
        if isinstance(bars, PreparedBars):
            prepared = bars
        else:
            prepared = PreparedBars(bars, None, bounds)
        self.prepared = prepared
        self.bars, self.bounds = prepared.bars, prepared.bounds
        self.ts, self.open, self.high = prepared.ts, prepared.open, prepared.high
        self.low, self.close = prepared.low, prepared.close
        self.n = prepared.n
        self.day_codes = prepared.day_codes  # trading day of each bar
        self.set_disp_tf(disp_tf)
        i0 = int(np.searchsorted(self.ts, t_start_ns))
        while 0 < i0 < self.n and self.codes[i0] == self.codes[i0 - 1]:
            i0 += 1  # trading starts at a display-bar boundary
        self.i_start = i0
        self.move(i0)

    def set_disp_tf(self, disp_tf: int) -> None:
        """Bucket the bars into display bars of ``disp_tf`` minutes (with their indicators)."""
        frame = self.prepared.display(disp_tf)
        self.disp_tf = disp_tf
        self.codes, self.disp_ts, self.disp = frame.codes, frame.disp_ts, frame.disp
        self.disp_cols = frame.disp_cols
        self._ts_market_arr, self._is_boundary = frame.ts_market, frame.is_boundary
        self.disp_first = frame.disp_first
        self._bind_views()

    def bucket_codes(self, disp_tf: int) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """Return the bars' display buckets of ``disp_tf`` minutes (see :func:`bucket_codes`)."""
        return bucket_codes(self.bars.index, disp_tf, self.bounds)

    def _bind_views(self) -> None:
        # Per-bar reads from Python: a memoryview gives plain floats and ints ~3x faster than
        # numpy scalar indexing, without the memory of a list (numpy serves the long spans);
        # lists instead cost 2.8% more instructions per bar (bench_instructions, 11,000 bars:
        # 24,224 with lists, 23,551 with memoryviews).
        self.t, self.tm = memoryview(self.ts), memoryview(self._ts_market_arr)
        self._code, self._disp_first = memoryview(self.codes), memoryview(self.disp_first)
        self.o, self.h = memoryview(self.open), memoryview(self.high)
        self.lo, self.c = memoryview(self.low), memoryview(self.close)

    def __getstate__(self) -> dict:
        # Memoryviews don't pickle (the cache pickles sessions): rebuild them on load.
        return {k: v for k, v in self.__dict__.items() if not isinstance(v, memoryview)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind_views()

    # --- the cursor ------------------------------------------------------------------------
    def move(self, i: int) -> None:
        """Put the cursor before 1m bar ``i``."""
        self.i = i
        self.at_boundary = self.boundary(i)

    def boundary(self, i: int, codes: np.ndarray | None = None) -> bool:
        """True when 1m bar ``i`` begins a display bar (of ``codes``, else the current one)."""
        if codes is None:
            return i >= self.n or i == self.i_start or bool(self._is_boundary[i])
        return i >= self.n or i == 0 or bool(codes[i] != codes[i - 1])

    def ts_exec(self, i: int) -> int:
        """Return the open time of 1m bar ``i`` (past the end: the close of the last one)."""
        return int(self.ts[i]) if i < self.n else int(self.ts[-1]) + NS_PER_MIN

    def ts_market(self, i: int) -> int:
        """Return the open time of the display bar 1m bar ``i`` lies in."""
        return int(self._ts_market_arr[i if i < self.n else -1])

    def last_close(self) -> float:
        """Return the close of the last 1m bar played (before any: the first open)."""
        return self.c[self.i - 1] if self.i > 0 else self.o[0]

    @property
    def disp_index(self) -> int:
        """Index of the display bar the cursor is in (the next one to form)."""
        return int(self.codes[min(self.i, self.n - 1)]) + (1 if self.i >= self.n else 0)

    # --- targets ---------------------------------------------------------------------------
    def disp_target(self, n: int) -> int:
        """Return the 1m index that lies ``n`` display-bar boundaries after the cursor."""
        first = self._disp_first
        return first[min(self._code[self.i] + n, len(first) - 1)]

    def exec_target(self, n: int) -> int:
        """Return the 1m index that lies ``n`` 1m bars after the cursor (at most the end)."""
        return min(self.i + n, self.n)

    def step_target(self, args: dict) -> int:
        """Return where a step with these (logged) arguments stops."""
        if args.get("exec_steps") is not None:
            return self.exec_target(int(args["exec_steps"]))
        return self.disp_target(int(args.get("disp_steps") or 1))

    def rewind_target(self, disp_bars: object) -> int:
        """Return the 1m index that lies ``disp_bars`` display bars before the cursor."""
        disp_bars = positive_int(disp_bars, "disp_bars", "bad_rewind")
        first_code = int(self.codes[self.i_start])
        code = max(self.disp_index - disp_bars, first_code)
        return max(int(self.disp_first[code]), self.i_start)

    def next_boundary_ts(self) -> int:
        """Return the time of the next display boundary after the cursor."""
        return self.ts_exec(int(self.disp_first[self.codes[self.i] + 1]))

    def next_shared_boundary_ts(self, new_codes: np.ndarray) -> int | None:
        """Return None when the cursor stands at a boundary of both the current display bars
        and ``new_codes``; else the time of the next boundary they share."""
        i = self.i
        if self.boundary(i) and self.boundary(i, new_codes):
            return None
        shared = self._is_boundary[i:].copy()
        shared[1:] &= new_codes[i + 1 :] != new_codes[i:-1]
        later = np.flatnonzero(shared[1:])
        return self.ts_exec(i + 1 + int(later[0]) if len(later) else self.n)

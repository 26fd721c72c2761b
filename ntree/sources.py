"""Bar sources (edge adapters of :class:`~ntree.engine.sources.BarSource`).

- :class:`SqlBarSource` reads the ``bars`` table through :mod:`ntree.db`.
- :class:`SampleBarSource` generates the bundled synthetic bars in memory (what
  ``ntree data seed`` stores), so a session can be played with no database at all.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ntree import db, market
from ntree.engine.sources import BarSource
from ntree.market import EXCHANGE
from ntree.seed import OHLCV, SEED_SYMBOLS, SymbolSpec, generate_default

__all__ = ["BarSource", "SampleBarSource", "SqlBarSource", "regular_session"]


def regular_session(bars: pd.DataFrame, exchange: str = EXCHANGE) -> pd.DataFrame:
    """Return the bars that open inside a regular session of ``exchange``, out of its breaks
    (the same frame when all do, as the bundled sample's)."""
    first, last = bars.index[0], bars.index[-1]
    day = pd.Timedelta(days=1)  # the schedule is keyed by naive session dates
    bounds = market.session_bounds(
        exchange, pd.Timestamp(first.date()) - day, pd.Timestamp(last.date()) + day
    )
    _, inside = bounds.segment(bars.index.as_unit("ns").asi8)
    return bars if inside.all() else bars[inside]


class SqlBarSource:
    """The 1-minute bars stored in the database: the regular session of the symbol's
    exchange by default (extended-hours bars an import stored are left out), every stored
    bar with ``extended_hours=True``."""

    def __init__(self, engine: sa.Engine, *, extended_hours: bool = False) -> None:
        self.engine = engine
        self.extended_hours = extended_hours

    def load(
        self, symbol: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Return the stored bars of ``symbol`` in [start, end)."""
        bars = db.load_bars(self.engine, symbol, start, end)
        if self.extended_hours or bars.empty:
            return bars
        return regular_session(bars, self.exchange(symbol))

    def exchange(self, symbol: str) -> str:
        """Return the calendar code of the exchange ``symbol`` trades on (XNYS by default)."""
        info = db.symbol_info(self.engine, symbol)
        return market.code((info or {}).get("exchange"))

    def tick(self, symbol: str) -> float | None:
        """Return ``symbol``'s price increment as imported (None: no metadata, the default)."""
        info = db.symbol_info(self.engine, symbol)
        return None if info is None else float(info["tick"])

    def symbols(self) -> list[str]:
        """Return the symbols with stored 1m bars, sorted."""
        return db.symbols(self.engine)

    def bar_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """Return the first and last stored bar time of ``symbol``, or None."""
        return db.bar_range(self.engine, symbol)


class SampleBarSource:
    """The bundled synthetic symbols, generated on first use and kept by this instance."""

    def __init__(self, specs: tuple[SymbolSpec, ...] = SEED_SYMBOLS) -> None:
        self._specs = {spec.symbol: spec for spec in specs}
        self._bars: dict[str, pd.DataFrame] = {}

    def _all(self, symbol: str) -> pd.DataFrame | None:
        spec = self._specs.get(symbol)
        if spec is None:
            return None
        if symbol not in self._bars:
            # Generated over the whole bundled range: the walk depends on every earlier day.
            self._bars[symbol] = generate_default(spec)
        return self._bars[symbol]

    def load(
        self, symbol: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Return the sample bars of ``symbol`` in [start, end) (a copy: callers may write)."""
        bars = self._all(symbol)
        if bars is None:
            index = pd.DatetimeIndex([], tz="UTC", name="ts").as_unit("ns")
            empty = {c: pd.Series(dtype="int64" if c == "volume" else float) for c in OHLCV}
            return pd.DataFrame(empty, index=index)
        lo = 0 if start is None else bars.index.searchsorted(pd.Timestamp(start))
        hi = len(bars) if end is None else bars.index.searchsorted(pd.Timestamp(end))
        return bars.iloc[lo:hi].copy()

    def exchange(self, symbol: str) -> str:
        """Return XNYS: the bundled symbols trade on the default exchange."""
        return EXCHANGE

    def symbols(self) -> list[str]:
        """Return the bundled symbols, sorted."""
        return sorted(self._specs)

    def bar_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """Return the first and last sample bar time of ``symbol``, or None."""
        bars = self._all(symbol)
        if bars is None or bars.empty:
            return None
        return bars.index[0], bars.index[-1]

"""The bar-source port: where a session's 1-minute bars come from (the engine never asks how).

Adapters live at the edge (:mod:`ntree.sources`): the SQLite bar store, the bundled sample
generator, and next a broker's history or a file import.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd


class BarSource(Protocol):
    """A store of 1-minute OHLCV bars per symbol."""

    def load(
        self, symbol: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Return the bars of ``symbol`` in [start, end): a UTC ``ts`` index (bar open
        time) and float ``open/high/low/close``, int ``volume``; empty for an unknown one."""
        ...

    def symbols(self) -> list[str]:
        """Return the symbols that have bars, sorted."""
        ...

    def bar_range(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """Return the open times of the first and last bar of ``symbol``, None without any."""
        ...

    def exchange(self, symbol: str) -> str:
        """Return the calendar code of the exchange ``symbol`` trades on ("XNYS")."""
        ...

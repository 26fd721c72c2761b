"""Statistics of closed trades: tally, win rate, average R, expectancy, net PnL, profit
factor, streaks.

Pure functions of a sequence of closed trades, each either the engine's
:class:`~ntree.engine.portfolio.Trade` or its dict form (``{"pnl": ..., "r_multiple": ...}``,
as the API, the store and the cockpit hold it). A trade wins when its pnl is above zero and
loses when it is below; a scratch (pnl exactly 0) is neither. Only trades that had a stop at
entry have an R multiple. Sums run in trade order, so a figure is the same float wherever it
is computed (the session summary is logged and re-runs compare it byte for byte).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ntree.engine.portfolio import Trade

TradeRecord = Trade | Mapping[str, object]


class Tally(NamedTuple):
    """How many trades closed, won and lost."""

    count: int
    wins: int
    losses: int


def trade_pnl(trade: TradeRecord) -> float:
    """Return a trade's pnl."""
    return trade["pnl"] if isinstance(trade, Mapping) else trade.pnl


def trade_r(trade: TradeRecord) -> float | None:
    """Return a trade's R multiple, None when it had no stop at entry."""
    return trade.get("r_multiple") if isinstance(trade, Mapping) else trade.r_multiple


def tally(trades: Sequence[TradeRecord]) -> Tally:
    """Count the trades, the winners and the losers."""
    pnls = [trade_pnl(t) for t in trades]
    return Tally(len(pnls), sum(p > 0 for p in pnls), sum(p < 0 for p in pnls))


def win_rate(trades: Sequence[TradeRecord]) -> float | None:
    """Return the share of trades that won (0..1), None when there are none."""
    if not trades:
        return None
    return sum(trade_pnl(t) > 0 for t in trades) / len(trades)


def average_r(trades: Sequence[TradeRecord]) -> float | None:
    """Return the mean R multiple over the trades that have one, None when none has."""
    rs = [r for r in map(trade_r, trades) if r is not None]
    return sum(rs) / len(rs) if rs else None


def net_pnl(trades: Sequence[TradeRecord]) -> float:
    """Return the sum of the trades' pnl (0 for none)."""
    return sum(trade_pnl(t) for t in trades)


def expectancy(trades: Sequence[TradeRecord]) -> float | None:
    """Return the mean pnl per trade, None when there are none."""
    return net_pnl(trades) / len(trades) if trades else None


def profit_factor(trades: Sequence[TradeRecord]) -> float | None:
    """Return gross profit / gross loss, None when no trade lost (the ratio has no bound)."""
    pnls = [trade_pnl(t) for t in trades]
    loss = -sum(p for p in pnls if p < 0)
    return sum(p for p in pnls if p > 0) / loss if loss > 0 else None


class Streaks(NamedTuple):
    """The longest runs of consecutive winners and of consecutive losers."""

    wins: int
    losses: int


def longest_streaks(trades: Sequence[TradeRecord]) -> Streaks:
    """Return the longest winning and losing runs, in trade order (a scratch ends both)."""
    best_win = best_loss = run_win = run_loss = 0
    for t in trades:
        p = trade_pnl(t)
        run_win = run_win + 1 if p > 0 else 0
        run_loss = run_loss + 1 if p < 0 else 0
        best_win, best_loss = max(best_win, run_win), max(best_loss, run_loss)
    return Streaks(best_win, best_loss)

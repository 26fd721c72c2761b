"""Bot vs human: the windows several players played, their figures side by side.

A *window* is what a session played: symbol, start, end and display frame (a bot run with
``--against SESSION`` plays exactly its human session's). :func:`compare_players` keeps the
windows every compared player played and reports, per window and in total, each player's
PnL, drawdown, win rate, MAE/MFE and entry-to-band distance from the Coach's trade rows
(:func:`ntree.engine.coach.session_rows`). Pure and deterministic; floats rounded to 6
decimals, a figure that cannot be computed is None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ntree.engine.metrics import win_rate

COMPARE_RULE = (
    "windows: sessions of the same symbol, start, end and display frame; PnL and max drawdown "
    "from the closed trades in exit order (a player with several sessions on a window: their "
    "mean), win rate and the averages over their trades pooled; total: the windows' PnL "
    "summed, the largest drawdown, the trades of every window pooled"
)
TradeRows = Sequence[Mapping[str, Any]]


class Window(NamedTuple):
    """What a session played: the key two players' sessions must share to be compared."""

    symbol: str
    start: str
    end: str
    disp_tf: str


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _mean(values: Sequence[float | None]) -> float | None:
    given = [v for v in values if v is not None]
    return sum(given) / len(given) if given else None


def max_drawdown(rows: TradeRows) -> float:
    """Return the largest fall of cumulative closed-trade PnL from its running peak (the peak
    starts at 0), rows in exit order."""
    equity = peak = worst = 0.0
    for r in rows:
        equity += r["pnl"]
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    return worst


def _pooled(rows: TradeRows) -> dict:
    return {
        "win_rate": _round(win_rate(rows)),
        "avg_mae_r": _round(_mean([r.get("mae_r") for r in rows])),
        "avg_mfe_r": _round(_mean([r.get("mfe_r") for r in rows])),
        "avg_mae": _round(_mean([r.get("mae_usd") for r in rows])),
        "avg_mfe": _round(_mean([r.get("mfe_usd") for r in rows])),
        "entry_band_distance_atr": _round(_mean([r.get("entry_band_distance_atr") for r in rows])),
        "n_trades": len(rows),
    }


def player_figures(sessions: Sequence[TradeRows]) -> dict:
    """Return one player's figures on one window from the trade rows of each of their
    sessions on it: mean PnL and mean max drawdown per session, the rest pooled."""
    pooled = [r for rows in sessions for r in rows]
    pnls = [sum(r["pnl"] for r in rows) for rows in sessions]
    dds = [max_drawdown(rows) for rows in sessions]
    return {
        "pnl": _round(_mean(pnls)),
        "max_dd": _round(_mean(dds)),
        **_pooled(pooled),
        "n_sessions": len(sessions),
    }


def compare_players(
    played: Mapping[Window, Mapping[str, Sequence[TradeRows]]], players: Sequence[str]
) -> dict:
    """Return ``{players, rule, windows, total}`` over the windows of ``played`` (window ->
    player -> the trade rows of each of their sessions on it) that every one of ``players``
    played; windows oldest first. ``total`` has ``n_windows`` and, per player, the windows'
    PnL summed, their largest drawdown and the figures of all their trades pooled."""
    names = list(dict.fromkeys(players))
    shared = sorted(w for w, by in played.items() if all(by.get(p) for p in names))
    windows = []
    for w in shared:
        figures = {p: player_figures(played[w][p]) for p in names}
        windows.append({**w._asdict(), "players": figures})
    total = {}
    for p in names:
        per = [win["players"][p] for win in windows]
        rows = [r for w in shared for rows in played[w][p] for r in rows]
        total[p] = {
            "pnl": _round(sum(f["pnl"] for f in per if f["pnl"] is not None)) if per else None,
            "max_dd": _round(max(f["max_dd"] for f in per)) if per else None,
            **_pooled(rows),
            "n_sessions": sum(f["n_sessions"] for f in per),
        }
    return {
        "players": names,
        "rule": COMPARE_RULE,
        "windows": windows,
        "total": {"n_windows": len(windows), "players": total},
    }

"""One trade under the film-room lamp: excursions in R and $, what was left, the entry bar.

A trade is the dict form of :class:`~ntree.engine.portfolio.Trade` (``session.trades``, the
store's rows): ``side`` LONG/SHORT, ``entry_ts``/``exit_ts`` (ISO UTC text or epoch ns),
``entry_px``, ``exit_px``, ``qty`` (the largest size held), ``pnl``, ``r_multiple``, and
``mae``/``mfe`` in price points from the average entry, measured on the 1m bars while open.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ntree.engine.regime import event_fields

#: Display bars after the exit that "after the exit" looks at.
AFTER_EXIT_BARS = 3


def to_ns(ts: object) -> int | None:
    """Return a time (epoch ns, ISO text or Timestamp) as UTC epoch nanoseconds."""
    if ts is None:
        return None
    if isinstance(ts, int | np.integer):
        return int(ts)
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value)


def _sign(trade: Mapping[str, Any]) -> int:
    return 1 if trade["side"] == "LONG" else -1


def excursions(trade: Mapping[str, Any]) -> tuple[float, float]:
    """Return (mae, mfe) in points, each at least the exit's own move from the entry.

    The engine marks the bar a trade closes in only up to its exit fill, so a target hit in
    that bar can lie beyond the recorded mfe; price did trade at the exit.
    """
    moved = (trade["exit_px"] - trade["entry_px"]) * _sign(trade)
    return max(trade["mae"], -moved, 0.0), max(trade["mfe"], moved, 0.0)


def risk_per_share(trade: Mapping[str, Any]) -> float | None:
    """Return |entry - initial stop|, None when the trade had no stop at entry.

    Without ``initial_stop`` (the store drops it) the risk is read back from the R multiple,
    pnl / (r x qty), which needs a nonzero R.
    """
    stop = trade.get("initial_stop")
    if stop is not None:
        risk = abs(trade["entry_px"] - stop)
        return risk if risk > 0 else None
    r, qty = trade.get("r_multiple"), trade.get("qty") or 0
    if r is None or r == 0 or not qty:
        return None
    return abs(trade["pnl"] / (r * qty))


def in_r(points: float, trade: Mapping[str, Any]) -> float | None:
    """Return a price distance in R of the trade, None when it had no stop."""
    risk = risk_per_share(trade)
    return None if risk is None else points / risk


def in_dollars(points: float, trade: Mapping[str, Any]) -> float:
    """Return a price distance times the trade's qty."""
    return points * (trade.get("qty") or 0)


def mfe_captured(trade: Mapping[str, Any]) -> float | None:
    """Return pnl / (mfe x qty), None when the trade never moved in its favour."""
    best = in_dollars(trade["mfe"], trade)
    return trade["pnl"] / best if best > 0 else None


def left_on_table(trade: Mapping[str, Any]) -> float:
    """Return the money between the best the trade showed and what it made: mfe x qty - pnl."""
    return in_dollars(trade["mfe"], trade) - trade["pnl"]


def bar_containing(times: np.ndarray, ts: int) -> int:
    """Return the index of the display bar (open times ``times``) that holds ``ts``, -1 before
    the first."""
    return int(np.searchsorted(times, ts, side="right")) - 1


def signal_bar(times: np.ndarray, ts: int) -> int | None:
    """Return the last display bar completed before ``ts``: the bar before the one holding it.

    Give the ORDER_PLACED event's ``ts_exec`` (the minute the order went live from) to read the
    bar whose close the trader decided on; given the entry fill's time instead, it is the bar
    before the fill's, which differs when the order waited a whole bar or more to fill.
    """
    j = bar_containing(times, ts) - 1
    return j if j >= 0 else None


def after_exit_favour(
    trade: Mapping[str, Any],
    times: np.ndarray,
    highs: np.ndarray,
    lows: np.ndarray,
    n_bars: int = AFTER_EXIT_BARS,
) -> float | None:
    """Return how far price went in the trade's favour beyond its exit within the ``n_bars``
    display bars that open after the exit (points, at least 0), None when none follows."""
    exit_ts = to_ns(trade.get("exit_ts"))
    if exit_ts is None or trade.get("exit_px") is None:
        return None
    first = bar_containing(times, exit_ts) + 1
    last = min(first + n_bars, len(times))
    if first >= last:
        return None
    if _sign(trade) > 0:
        return max(0.0, float(highs[first:last].max()) - trade["exit_px"])
    return max(0.0, trade["exit_px"] - float(lows[first:last].min()))


def band_distance_atr(side: str, entry_px: float, candle: Mapping[str, float]) -> float | None:
    """Return the entry's distance to its band in ATR(14): (entry - ch_lower) / atr14 for a
    long, (ch_upper - entry) / atr14 for a short (negative: beyond the band)."""
    atr = candle.get("atr14")
    band = candle.get("ch_lower" if side == "LONG" else "ch_upper")
    if atr is None or band is None or not (math.isfinite(atr) and math.isfinite(band)):
        return None
    if atr <= 0:
        return None
    return (entry_px - band) / atr if side == "LONG" else (band - entry_px) / atr


def entry_decision_times(events: Iterable[Any]) -> dict[int, int]:
    """Return, by trade id, the ``ts_exec`` of the event that placed the order opening it.

    Trades are numbered 1, 2, ... as FILL events take the position away from flat (or flip
    it); the opening fill's order was placed by ORDER_PLACED or ORDERS_REPLACED.
    """
    placed: dict[int, int] = {}
    out: dict[int, int] = {}
    position = 0
    trade_id = 0
    for event in events:
        ts, etype, payload = event_fields(event)
        if etype == "ORDER_PLACED" and ts is not None:
            placed[payload["order"]["order_id"]] = ts
        elif etype == "ORDERS_REPLACED" and ts is not None:
            placed.update(dict.fromkeys(payload["order_ids"], ts))
        elif etype == "FILL":
            after = payload["position_qty"]
            if after and (position == 0 or (after > 0) != (position > 0)):
                trade_id += 1
                oid = payload.get("order_id")
                if oid in placed:
                    out[trade_id] = placed[oid]
            position = after
    return out

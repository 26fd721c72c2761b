"""Range vs trend on display candles, the stand-down rule, and what the trader had on.

The regime of a display bar is read at its close from its own channel slope and ATR (the
indicators use no later bar). A bar's exposure is the trader's stance at that close: a
position or a working order after the bar's fills *and* the decisions taken at its close,
that is, what the trader carried into the next bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: |ch_slope| / atr14 at or above this is a trend bar (the channel mid moves 0.10 ATR a bar).
TREND_SLOPE_ATR = 0.10
TREND = "trend"
RANGE = "range"
#: The regime the page names when a bar's slope or ATR is not known yet (warm-up).
UNKNOWN = "unknown"
REGIME_RULE = (
    f"trend when |channel slope| / ATR(14) >= {TREND_SLOPE_ATR:.2f} on the display bar, else range"
)
#: A band-fade trader fades the bands; against a trend the band keeps walking.
STAND_DOWN_REGIME = TREND
STAND_DOWN_RULE = f"stand down (no position, no working order) in a {STAND_DOWN_REGIME} bar"

#: Events that only the processing of a 1m bar produces first (a fill, a trigger, a lock).
_BAR_EVENTS = frozenset(("FILL", "STOP_TRIGGERED", "DIRECTION_LOCK", "STEP"))


def classify_regime(ch_slope: float | None, atr14: float | None) -> str | None:
    """Return ``trend`` or ``range`` by :data:`REGIME_RULE`, None when either is unknown."""
    if ch_slope is None or atr14 is None:
        return None
    if not (np.isfinite(ch_slope) and np.isfinite(atr14)) or atr14 <= 0:
        return None
    return TREND if abs(ch_slope) / atr14 >= TREND_SLOPE_ATR else RANGE


def regimes(candles: pd.DataFrame) -> list[str | None]:
    """Return the regime of every display candle (columns ``ch_slope`` and ``atr14``)."""
    slope = candles["ch_slope"].to_numpy(np.float64)
    atr = candles["atr14"].to_numpy(np.float64)
    return [classify_regime(s, a) for s, a in zip(slope.tolist(), atr.tolist(), strict=True)]


def stand_down(regime: str | None) -> bool:
    """Return whether :data:`STAND_DOWN_RULE` flags a bar of this regime."""
    return regime == STAND_DOWN_REGIME


def stand_down_flags(candles: pd.DataFrame) -> list[bool]:
    """Return the stand-down flag of every display candle."""
    return [stand_down(r) for r in regimes(candles)]


def candle_times(candles: pd.DataFrame) -> np.ndarray:
    """Return the candles' open times as UTC epoch nanoseconds."""
    index = pd.DatetimeIndex(candles.index)
    if index.tz is None:
        index = index.tz_localize("UTC")
    return index.as_unit("ns").asi8


def event_fields(event: Any) -> tuple[int | None, str, dict]:
    """Return (ts_exec in epoch ns, type, payload) of an Event or of its API dict form."""
    if isinstance(event, dict):
        ts = event.get("ts_exec")
        ts_ns = None if ts is None else int(pd.Timestamp(ts).value)
        return ts_ns, str(event["type"]), event.get("payload") or {}
    return event.ts_exec, str(event.type), event.payload


def _apply(event_type: str, payload: dict, orders: set[int], position: list[int]) -> None:
    """Fold one event into the working order ids and the position (a one-item list)."""
    if event_type == "ORDER_PLACED":
        orders.add(payload["order"]["order_id"])
    elif event_type == "ORDERS_REPLACED":
        orders.difference_update(payload["canceled"])
        orders.update(payload["order_ids"])
    elif event_type == "ORDER_CANCELED":
        orders.discard(payload["order_id"])
    elif event_type == "FILL":
        if payload.get("order_id") is not None:
            orders.discard(payload["order_id"])
        position[0] = payload["position_qty"]


def exposure_at_close(events: Iterable[Any], times: Sequence[int]) -> list[bool | None]:
    """Return, per display bar (open times ``times``, epoch ns), whether a position or a
    working order existed at its close, None for a bar the session did not play.

    The close of bar j is the open of bar j + 1: the state after the events before it and
    after the commands given at it, before the first event of that bar's own minutes (a
    STEP, FILL, STOP_TRIGGERED or DIRECTION_LOCK). A bar is played when it opens at or after
    the session's first bar and closes at or before the last event (SESSION_END: the end).
    """
    evs = [event_fields(e) for e in events]
    n = len(times)
    out: list[bool | None] = [None] * n
    if not evs or evs[0][1] != "SESSION_START" or not n:
        return out
    start = evs[0][0]
    end = max(ts for ts, _, _ in evs if ts is not None)
    ended = any(t == "SESSION_END" for _, t, _ in evs)
    orders: set[int] = set()
    position = [0]
    k = 1
    for j in range(n):
        close = int(times[j + 1]) if j + 1 < n else (end if ended else None)
        if close is None or not start <= int(times[j]) < close <= end:
            continue
        while k < len(evs):
            ts, etype, payload = evs[k]
            if ts is not None and (ts > close or (ts == close and etype in _BAR_EVENTS)):
                break
            _apply(etype, payload, orders, position)
            k += 1
        out[j] = bool(orders) or position[0] != 0
    return out


def stand_down_counts(flags: Sequence[bool], exposure: Sequence[bool | None]) -> tuple[int, int]:
    """Return (played stand-down bars, those of them closed with nothing on)."""
    flagged = [e for f, e in zip(flags, exposure, strict=True) if f and e is not None]
    return len(flagged), sum(not e for e in flagged)


def stood_down_rate(flags: Sequence[bool], exposure: Sequence[bool | None]) -> float | None:
    """Return the share of played stand-down bars closed with no position and no working
    order, None when no played bar was flagged."""
    flagged, stood = stand_down_counts(flags, exposure)
    return stood / flagged if flagged else None


#: A regime drill plays a window in which the regime rule holds (see :func:`regime_holds`).
WINDOW_REGIME_RULE = (
    "a window is of a regime when most of its display bars are (the bar holding its start "
    "when none opens in it), by the regime rule on that day's bars"
)


def window_bars(candles: pd.DataFrame, start_ns: int, end_ns: int) -> list[int]:
    """Return the positions of the display candles opening in [start, end) (epoch ns), else
    the one holding ``start`` (a window shorter than a display bar), else none."""
    times = candle_times(candles)
    lo, hi = np.searchsorted(times, start_ns, "left"), np.searchsorted(times, end_ns, "left")
    if hi > lo:
        return list(range(int(lo), int(hi)))
    held = int(np.searchsorted(times, start_ns, "right")) - 1
    return [held] if held >= 0 else []


def regime_holds(candles: pd.DataFrame, start_ns: int, end_ns: int, regime: str) -> bool:
    """Return whether a window [start, end) is of ``regime`` by :data:`WINDOW_REGIME_RULE`:
    more than half of its display bars are (a bar of unknown regime counts against)."""
    picked = window_bars(candles, start_ns, end_ns)
    if not picked:
        return False
    slope = candles["ch_slope"].to_numpy(np.float64)
    atr = candles["atr14"].to_numpy(np.float64)
    same = sum(classify_regime(float(slope[j]), float(atr[j])) == regime for j in picked)
    return 2 * same > len(picked)

"""Ticks, display timeframes and exchange time: the pure constants and helpers (the exchange
calendar, which needs ``exchange_calendars``, stays at the edge in :mod:`ntree.market`)."""

from __future__ import annotations

import pandas as pd

EXCHANGE_TZ = "America/New_York"
SESSION_OPEN_LOCAL = pd.Timedelta(hours=9, minutes=30)
TICK = 0.01

#: Display timeframes the trader can pick, label -> minutes.
DISP_TFS: dict[str, int] = {"5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60}


def parse_disp_tf(value: str | int) -> int:
    """Return a display timeframe in minutes from "5m".."1h" or a number of minutes."""
    if isinstance(value, bool):
        raise ValueError(f"disp_tf must be one of {list(DISP_TFS)}, got {value!r}")
    if isinstance(value, int):
        if value in DISP_TFS.values():
            return value
    elif isinstance(value, str):
        if value in DISP_TFS:
            return DISP_TFS[value]
        if value.isdigit() and int(value) in DISP_TFS.values():
            return int(value)
    raise ValueError(f"disp_tf must be one of {list(DISP_TFS)}, got {value!r}")


def disp_tf_label(minutes: int) -> str:
    """Return the label ("5m".."1h") of a display timeframe in minutes."""
    for label, m in DISP_TFS.items():
        if m == minutes:
            return label
    raise ValueError(f"unknown display timeframe: {minutes} minutes")


def is_on_tick(price: float, tick: float = TICK) -> bool:
    """Return True when ``price`` is a whole number of ticks."""
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6


def round_to_tick(price: float, tick: float = TICK) -> float:
    """Return ``price`` rounded to the nearest tick."""
    return round(round(price / tick) * tick, 10)

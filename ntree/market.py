"""Exchange time: the NYSE calendar, display timeframes, ticks and market phases (pure)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import exchange_calendars as xcals

EXCHANGE = "XNYS"
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


@lru_cache(maxsize=1)
def calendar() -> xcals.ExchangeCalendar:
    """Return the NYSE calendar (holidays, half days), built once."""
    import exchange_calendars as xcals  # only the edges need the calendar, not the engine

    return xcals.get_calendar(EXCHANGE, start="2000-01-03")


def sessions(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
    """Return the regular sessions between two dates with their UTC ``open`` and ``close``."""
    sched = calendar().schedule.loc[pd.Timestamp(start) : pd.Timestamp(end), ["open", "close"]]
    return sched


def session_minutes(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """Return the UTC open times of every regular-session 1-minute bar between two dates."""
    return calendar().sessions_minutes(pd.Timestamp(start), pd.Timestamp(end))


def is_on_tick(price: float, tick: float = TICK) -> bool:
    """Return True when ``price`` is a whole number of ticks."""
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6


def round_to_tick(price: float, tick: float = TICK) -> float:
    """Return ``price`` rounded to the nearest tick."""
    return round(round(price / tick) * tick, 10)

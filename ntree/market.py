"""Exchange time at the edge: exchange calendars (holidays, half days, session minutes).

Each exchange's calendar is built once per process and kept: building XNYS takes ~0.4 s,
which the first session start after boot used to pay.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

# The pure names moved to the engine; re-exported here for branches that still import them.
from ntree.engine.ticks import (
    DISP_TFS,  # noqa: F401  moved to ntree.engine.ticks
    EXCHANGE_TZ,  # noqa: F401  moved to ntree.engine.ticks
    SESSION_OPEN_LOCAL,  # noqa: F401  moved to ntree.engine.ticks
    TICK,  # noqa: F401  moved to ntree.engine.ticks
    disp_tf_label,  # noqa: F401  moved to ntree.engine.ticks
    is_on_tick,  # noqa: F401  moved to ntree.engine.ticks
    parse_disp_tf,  # noqa: F401  moved to ntree.engine.ticks
    round_to_tick,  # noqa: F401  moved to ntree.engine.ticks
)

if TYPE_CHECKING:
    import exchange_calendars as xcals

EXCHANGE = "XNYS"


def calendar(exchange: str = EXCHANGE) -> xcals.ExchangeCalendar:
    """Return ``exchange``'s calendar (any exchange_calendars code), built once per process.

    Raises ValueError for a code exchange_calendars does not know.
    """
    return _build_calendar(exchange.upper())


# Keyed on the code alone, so calendar() and calendar("XNYS") share one build.
@cache
def _build_calendar(exchange: str) -> xcals.ExchangeCalendar:
    import exchange_calendars as xcals  # only the edges need the calendar, not the engine

    try:
        return xcals.get_calendar(exchange, start="2000-01-03")
    except xcals.errors.InvalidCalendarName as exc:
        raise ValueError(f"unknown exchange calendar: {exchange!r}") from exc


def sessions(
    start: str | pd.Timestamp, end: str | pd.Timestamp, exchange: str = EXCHANGE
) -> pd.DataFrame:
    """Return the regular sessions between two dates with their UTC ``open`` and ``close``."""
    sched = calendar(exchange).schedule
    return sched.loc[pd.Timestamp(start) : pd.Timestamp(end), ["open", "close"]]


def session_minutes(
    start: str | pd.Timestamp, end: str | pd.Timestamp, exchange: str = EXCHANGE
) -> pd.DatetimeIndex:
    """Return the UTC open times of every regular-session 1-minute bar between two dates."""
    return calendar(exchange).sessions_minutes(pd.Timestamp(start), pd.Timestamp(end))

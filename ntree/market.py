"""Exchange time at the edge: the NYSE calendar (holidays, half days, session minutes)."""

from __future__ import annotations

from functools import lru_cache
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

"""Exchange time at the edge: exchange calendars (holidays, half days, session minutes).

Each exchange's calendar is built once per process and kept: building XNYS takes ~0.4 s,
which the first session start after boot used to pay.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ntree.engine.aggregate import SessionBounds

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
#: Places a message or a label names for an exchange's time ("09:30 New York").
_PLACES = {"XNYS": "New York", "XLON": "London", "XHKG": "Hong Kong"}


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


def code(exchange: str | None) -> str:
    """Return an exchange's calendar code as stored and recorded (None: the default)."""
    return (exchange or EXCHANGE).upper()


def recorded(exchange: str | None) -> str | None:
    """Return the exchange a session records: None for the default XNYS (whose logs, all
    written before there was a choice, record none)."""
    exchange = code(exchange)
    return None if exchange == EXCHANGE else exchange


def timezone(exchange: str = EXCHANGE) -> str:
    """Return the exchange's time zone name ("America/New_York")."""
    return str(calendar(exchange).tz)


def place(exchange: str = EXCHANGE) -> str:
    """Return how a label names the exchange's time: a city, else its time zone."""
    exchange = code(exchange)
    return _PLACES.get(exchange, timezone(exchange))


def session_bounds(
    exchange: str, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> SessionBounds:
    """Return ``exchange``'s trading hours from the session of date ``start`` to that of
    ``end`` as the engine takes them: one segment per session, two when it has a break."""
    cal = calendar(exchange)
    sched = cal.schedule.loc[pd.Timestamp(start) : pd.Timestamp(end)]

    def ns(col: str) -> np.ndarray:
        return pd.DatetimeIndex(sched[col]).as_unit("ns").asi8

    opens, closes = ns("open"), ns("close")
    has_break = sched["break_start"].notna().to_numpy()
    # A session without a break is one segment: its second half is empty (at the close).
    break_start = np.where(has_break, ns("break_start"), closes)
    break_end = np.where(has_break, ns("break_end"), closes)
    seg_opens = np.column_stack([opens, break_end]).ravel()
    seg_closes = np.column_stack([break_start, closes]).ravel()
    keep = seg_closes > seg_opens
    days = np.repeat(np.arange(len(opens), dtype=np.int64), 2)
    return SessionBounds(
        tz=timezone(exchange),
        opens=np.ascontiguousarray(seg_opens[keep]),
        closes=np.ascontiguousarray(seg_closes[keep]),
        days=np.ascontiguousarray(days[keep]),
    )


def bounds_over(exchange: str | None, index: pd.DatetimeIndex) -> SessionBounds | None:
    """Return the trading hours a session on ``exchange`` needs over bars at ``index``
    (None for XNYS, whose sessions take none)."""
    exchange = recorded(exchange)
    if exchange is None:
        return None
    if not len(index):
        return session_bounds(exchange, "2000-01-03", "2000-01-02")  # no segment
    tz = timezone(exchange)
    day = pd.Timedelta(days=1)
    lo, hi = (t.tz_convert(tz).tz_localize(None).normalize() for t in (index[0], index[-1]))
    return session_bounds(exchange, lo - day, hi + day)

"""What the store holds per symbol, against its exchange calendar (an edge).

``coverage`` answers: first and last bar, trading days with data, regular-session minutes
missing (a minute with no trade has no bar; it is never forward-filled, only counted) and
the open days with no data at all, between the symbol's first and last bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ntree import db, market


@dataclass(frozen=True)
class Coverage:
    """One symbol's stored bars measured against its exchange's regular sessions."""

    symbol: str
    exchange: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    bars: int
    trading_days: int
    days_with_data: int
    minutes_missing: int
    days_without_data: list[str] = field(default_factory=list)

    def line(self) -> str:
        """Return the one-line summary the CLI prints."""
        if self.first is None or self.last is None:
            return f"{self.symbol} ({self.exchange}): no bars"
        empty = ", ".join(self.days_without_data[:10])
        more = len(self.days_without_data) - 10
        if more > 0:
            empty += f" and {more} more"
        return (
            f"{self.symbol} ({self.exchange}): {self.first:%Y-%m-%d %H:%M} .. "
            f"{self.last:%Y-%m-%d %H:%M} UTC, {self.bars} bars, "
            f"{self.days_with_data}/{self.trading_days} trading days, "
            f"{self.minutes_missing} regular-session minutes missing, "
            f"{len(self.days_without_data)} open days with no data"
        ) + (f": {empty}" if empty else "")


def exchange_of(engine: sa.Engine, symbol: str) -> str:
    """Return the symbol's exchange code (XNYS when it has no metadata row)."""
    info = db.symbol_info(engine, symbol)
    return info["exchange"] if info else market.EXCHANGE


def day_table(
    ts_s: np.ndarray, exchange: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Return, per session from ``start``'s day to ``end``'s day (a ``date`` index of naive
    days), the regular-session minutes ``expected`` and those ``present`` among the bar
    times ``ts_s`` (epoch seconds)."""
    cal = market.calendar(exchange)
    tz = cal.tz
    # Days outside the calendar's span (it is built for a bounded range) are not measured.
    first_day = max(start.tz_convert(tz).tz_localize(None).normalize(), cal.first_session)
    last_day = min(end.tz_convert(tz).tz_localize(None).normalize(), cal.last_session)
    if first_day > last_day:
        return _empty_days()
    days = cal.sessions_in_range(first_day, last_day)
    if len(days) == 0:
        return _empty_days()
    sched = cal.schedule.loc[days]
    ts = np.unique(ts_s)
    opens, closes = _seconds(sched["open"]), _seconds(sched["close"])
    # A session's minutes are [open, close) without [break_start, break_end) (the calendar's
    # "left" side): count bar times in those spans with two binary searches each, instead of
    # listing every minute of every session.
    expected = (closes - opens) // 60
    present = _count(ts, opens, closes)
    has_break = sched["break_start"].notna().to_numpy()
    if has_break.any():
        b_start = _seconds(sched["break_start"].where(has_break, sched["open"]))
        b_end = _seconds(sched["break_end"].where(has_break, sched["open"]))
        expected -= (b_end - b_start) // 60
        present -= _count(ts, b_start, b_end)
    table = pd.DataFrame({"expected": expected, "present": present}, index=days)
    return table.astype("int64").rename_axis("date")


def _seconds(times: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(times).as_unit("s").asi8


def _count(ts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return how many of the sorted ``ts`` fall in each [lo, hi)."""
    return np.searchsorted(ts, hi, "left") - np.searchsorted(ts, lo, "left")


def _empty_days() -> pd.DataFrame:
    return pd.DataFrame(
        {"expected": pd.Series(dtype="int64"), "present": pd.Series(dtype="int64")},
        index=pd.DatetimeIndex([], name="date"),
    )


def measure(
    ts_s: np.ndarray, exchange: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[int, int, int, list[str]]:
    """Return (trading days, days with data, minutes missing, empty days) for bar times
    ``ts_s`` (epoch seconds) on the sessions from ``start``'s day to ``end``'s day."""
    return _totals(day_table(ts_s, exchange, start, end))


def _totals(days: pd.DataFrame) -> tuple[int, int, int, list[str]]:
    empty = [f"{d:%Y-%m-%d}" for d in days.index[days["present"] == 0]]
    missing = int((days["expected"] - days["present"]).sum())
    return len(days), int((days["present"] > 0).sum()), missing, empty


def coverage_by_day(engine: sa.Engine, symbol: str) -> tuple[Coverage, pd.DataFrame]:
    """Return ``symbol``'s coverage and its :func:`day_table` (one read of its bars)."""
    exchange = exchange_of(engine, symbol)
    span = db.bar_range(engine, symbol)
    if span is None:
        return Coverage(symbol, exchange, None, None, 0, 0, 0, 0), _empty_days()
    first, last = span
    ts_s = db.bar_times(engine, symbol)
    days = day_table(ts_s, exchange, first, last)
    n_days, with_data, missing, empty = _totals(days)
    cov = Coverage(symbol, exchange, first, last, len(ts_s), n_days, with_data, missing, empty)
    return cov, days


def coverage(engine: sa.Engine, symbol: str) -> Coverage:
    """Return ``symbol``'s coverage of its exchange calendar, first bar to last."""
    return coverage_by_day(engine, symbol)[0]

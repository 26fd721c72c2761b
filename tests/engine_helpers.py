"""Hand-made 1-minute bars and sessions for the engine tests, small enough to check by eye.

The trading day is Monday 2024-07-08 (NYSE opens 13:30 UTC, 09:30 New York); the last hour
of Friday 2024-07-05 (19:00-19:59 UTC) is history that warms the indicators. Every bar not
given explicitly is a quiet bar: open = high = low = close at the previous close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ntree.engine import Event, ReplaySession, SessionConfig
from ntree.engine.events import LOG_FORMAT, iso_utc

DAY_OPEN = pd.Timestamp("2024-07-08 13:30", tz="UTC")
DAY_CLOSE = pd.Timestamp("2024-07-08 20:00", tz="UTC")
HISTORY_OPEN = pd.Timestamp("2024-07-05 19:00", tz="UTC")
HISTORY_BARS = 60
BASE = 100.0

#: One bar: (open, high, low, close); or None for a quiet bar at the previous close.
Row = tuple[float, float, float, float] | None


def minute(n: int) -> pd.Timestamp:
    """Return the UTC open time of session minute ``n`` (0 = 13:30)."""
    return DAY_OPEN + pd.Timedelta(minutes=n)


def iso(n: int) -> str:
    """Return session minute ``n`` as the engine's ISO form (``2024-07-08T13:30:00Z``)."""
    return minute(n).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_bars(rows: Sequence[Row] = (), *, minutes: int = 60, base: float = BASE) -> pd.DataFrame:
    """Return history + ``minutes`` session bars whose first ones are ``rows``."""
    assert len(rows) <= minutes
    history = [(base, base, base, base)] * HISTORY_BARS
    day: list[tuple[float, float, float, float]] = []
    last = base
    for k in range(minutes):
        row = rows[k] if k < len(rows) else None
        if row is None:
            row = (last, last, last, last)
        o, h, lo, c = row
        assert lo <= min(o, c) <= max(o, c) <= h, f"bad bar {k}: {row}"
        day.append(row)
        last = c
    index = pd.DatetimeIndex(
        list(pd.date_range(HISTORY_OPEN, periods=HISTORY_BARS, freq="1min"))
        + list(pd.date_range(DAY_OPEN, periods=minutes, freq="1min")),
        name="ts",
    )
    ohlc = np.array(history + day, dtype=float)
    return pd.DataFrame(
        {
            "open": ohlc[:, 0],
            "high": ohlc[:, 1],
            "low": ohlc[:, 2],
            "close": ohlc[:, 3],
            "volume": np.full(len(index), 1000, dtype=np.int64),
        },
        index=index,
    )


def config(**overrides: object) -> SessionConfig:
    """Return a 5m session on 2024-07-08 that accepts commands between boundaries."""
    params: dict = {
        "session_id": "t",
        "symbol": "TEST",
        "disp_tf": 5,
        "t_start": DAY_OPEN,
        "t_end": DAY_CLOSE,
        "edit_on_disp_boundary": False,
    }
    params.update(overrides)
    return SessionConfig(**params)


def make_session(
    rows: Sequence[Row] = (),
    *,
    minutes: int = 60,
    bulk_skip: bool = True,
    log_format: int = LOG_FORMAT,
    **overrides: object,
) -> ReplaySession:
    """Return a session on :func:`make_bars` with :func:`config` ``overrides``, playing by
    the rules of ``log_format``."""
    return ReplaySession(
        config(**overrides),
        make_bars(rows, minutes=minutes),
        bulk_skip=bulk_skip,
        log_format=log_format,
    )


def of_type(events: Iterable[Event], etype: str) -> list[Event]:
    return [e for e in events if e.type == etype]


def fills(events: Iterable[Event]) -> list[dict]:
    """Return the FILL payloads of ``events``, each with its event's ``ts_exec`` (the fill time)."""
    return [{**e.payload, "ts_exec": iso_utc(e.ts_exec)} for e in of_type(events, "FILL")]


def snapshot(s: ReplaySession) -> dict:
    """Return what a refused command must leave untouched."""
    st = s.state()
    return {
        "position": st["position"],
        "orders": st["orders"],
        "cursor": st["cursor"],
        "equity": st["equity"],
        "status": st["status"],
    }

"""Blind replay's mapping between the real market and what a blind session shows.

A blind session plays on the real bars and its log holds the real prices and times: blindness
is presentation only, applied at the edge that shows the session to the trader (the cockpit,
``ntree/ui/blind.py``). This module is the pure arithmetic of it:

- **prices** are rebased so the session's first bar opens at :data:`PRICE_BASE` (100.00):
  ``shown = real * PRICE_BASE / price_anchor``, rounded to the cent; a price the trader types
  goes back to the *real* tick grid (``to_real``), so an order always lands on a real tick,
  and shows again as ``price(to_real(shown))`` (for an anchor above 100 that is exactly what
  was typed; below 100 a real tick is more than a cent, the nearest one);
- **money** (PnL, drawdown) scales by the same factor, rounded to the cent from the exact
  decimal product (``money(real) == round(real * factor, 2)``); equity is the starting cash
  plus the rebased PnL;
- **volume** is scaled so the mean 1-minute volume of the warm-up history reads
  :data:`VOLUME_BASE`;
- **times** keep their exchange wall time but move to a fictional calendar: trading day ``N``
  of the session (Day 1 is its first day, the warm-up history is Day 0, -1, ...) becomes the
  date ``BLIND_EPOCH + N days``, an era no market data has (before 1918, when New York time
  had no daylight saving, so every wall time is one instant). Everything that sorts, buckets
  or splits days on times keeps working on them; :func:`day_label` prints ``Day 1 09:30``.

Decimal arithmetic on the floats' shortest text keeps every rounding exact and platform-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ntree.engine.ticks import EXCHANGE_TZ

#: What the first bar's real open is shown as.
PRICE_BASE = 100
#: What the warm-up history's mean 1-minute volume is shown as.
VOLUME_BASE = 1_000
#: The fictional date of Day 0 (the trading day before the session's first).
BLIND_EPOCH = pd.Timestamp("1900-01-01")
#: Every time before this is a blind time (no 1-minute data is this old).
BLIND_ERA_END = pd.Timestamp("1918-01-01", tz="UTC")
_CENT = Decimal("0.01")


def _dec(x: float | int) -> Decimal:
    return Decimal(repr(float(x))) if not isinstance(x, int) else Decimal(x)


@dataclass(frozen=True)
class Rebase:
    """The price, money and volume mapping of one blind session (its SESSION_START anchors)."""

    price_anchor: float  # the real open of the session's first bar
    volume_anchor: float  # the real mean 1m volume of the warm-up history
    tick: float = 0.01  # the real tick
    initial_cash: float = 100_000.0

    @cached_property
    def factor(self) -> Decimal:
        """Shown per real: prices and money are multiplied by it."""
        return Decimal(PRICE_BASE) / _dec(self.price_anchor)

    def price(self, real: float | None) -> float | None:
        """The shown price of a real one, to the cent (None and NaN stay None)."""
        if real is None or (isinstance(real, float) and not math.isfinite(real)):
            return None
        return float((_dec(real) * self.factor).quantize(_CENT, ROUND_HALF_EVEN))

    def to_real(self, shown: float) -> float:
        """The real price on the real tick nearest a shown price."""
        tick = _dec(self.tick)
        real = _dec(shown) * _dec(self.price_anchor) / Decimal(PRICE_BASE)
        return float((real / tick).quantize(Decimal(1), ROUND_HALF_EVEN) * tick)

    def snap(self, shown: float) -> float:
        """Where a price typed as ``shown`` lands, as shown."""
        return self.price(self.to_real(shown))

    def points(self, real: float | None) -> float | None:
        """A real price distance (MAE, ATR, an offset) as shown (4 decimals)."""
        if real is None or (isinstance(real, float) and not math.isfinite(real)):
            return None
        return float((_dec(real) * self.factor).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))

    def to_real_points(self, shown: float) -> float:
        """A shown price distance (a bracket offset) in real points, on the real tick."""
        return self.to_real(shown)

    def money(self, real: float | None) -> float | None:
        """A real amount of money (PnL, drawdown) as shown: ``round(real * factor, 2)``."""
        if real is None or (isinstance(real, float) and not math.isfinite(real)):
            return None
        return float((_dec(real) * self.factor).quantize(_CENT, ROUND_HALF_EVEN))

    def to_real_money(self, shown: float) -> float:
        """A shown amount of money (a risk budget) in real money, to the cent."""
        return float((_dec(shown) / self.factor).quantize(_CENT, ROUND_HALF_EVEN))

    def equity(self, real: float | None) -> float | None:
        """Equity as shown: the starting cash plus the rebased PnL."""
        if real is None:
            return None
        cash = _dec(self.initial_cash)
        gain = ((_dec(real) - cash) * self.factor).quantize(_CENT, ROUND_HALF_EVEN)
        return float(cash + gain)

    def volume(self, real: float | None) -> float | None:
        """A real volume as shown (whole shares)."""
        if real is None or (isinstance(real, float) and not math.isfinite(real)):
            return None
        return float(round(real * VOLUME_BASE / self.volume_anchor))


def anchors(bars_1m: pd.DataFrame, t_start: pd.Timestamp) -> dict[str, float]:
    """Return a blind session's anchors from its bars (UTC ``ts`` index, OHLCV): the open of
    the first bar at or after ``t_start`` and the mean 1m volume before it (of the whole
    range when there is no history; 1 when there is no volume at all)."""
    ts = bars_1m.index
    first = int(ts.searchsorted(pd.Timestamp(t_start)))
    first = min(first, len(ts) - 1)
    history = bars_1m["volume"].iloc[:first]
    volume = float(history.mean()) if len(history) else float(bars_1m["volume"].mean())
    if not math.isfinite(volume) or volume <= 0:
        volume = 1.0
    return {
        "blind_price_anchor": float(bars_1m["open"].iloc[first]),
        "blind_volume_anchor": round(volume, 2),
    }


class BlindClock:
    """Real times <-> the fictional calendar of one blind session.

    ``sessions``: the exchange's trading days (sorted dates), which number the days;
    ``day1``: the session's first trading day.
    """

    def __init__(self, sessions: np.ndarray, day1: pd.Timestamp, tz: str = EXCHANGE_TZ) -> None:
        self.tz = tz  # the exchange's: its wall time is kept (the fictional era shows it as is)
        self._days = np.asarray(sessions, dtype="datetime64[D]")
        self._day1 = int(np.searchsorted(self._days, np.datetime64(day1.date(), "D")))

    def day_numbers(self, local_days: np.ndarray) -> np.ndarray:
        """Day numbers (1 = the session's first) of exchange-time dates."""
        pos = np.searchsorted(self._days, np.asarray(local_days, dtype="datetime64[D]"))
        return pos - self._day1 + 1

    def fake_index(self, ts: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Map UTC times to the fictional calendar (UTC), keeping the exchange wall time
        (Hong Kong's 09:30 reads "Day 1 09:30", as New York's does: :func:`day_labels`)."""
        local = ts.tz_convert(self.tz).tz_localize(None)
        days = local.normalize()
        n = self.day_numbers(days.values)
        fake = BLIND_EPOCH + pd.to_timedelta(n, unit="D") + (local - days)
        return pd.DatetimeIndex(fake).tz_localize(EXCHANGE_TZ).tz_convert("UTC")

    def fake(self, values: list[Any]) -> list[Any]:
        """Map ISO UTC times (None passes) to the fictional calendar, in the same ISO form."""
        where = [i for i, v in enumerate(values) if isinstance(v, str) and v]
        out = list(values)
        if not where:
            return out
        idx = pd.DatetimeIndex(pd.to_datetime([values[i] for i in where], utc=True))
        for i, t in zip(where, self.fake_index(idx), strict=True):
            out[i] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        return out


def is_blind_time(ts: pd.Timestamp | pd.DatetimeIndex) -> bool:
    """True for a time (or an index whose first time) of the fictional calendar."""
    first = ts[0] if isinstance(ts, pd.DatetimeIndex) else ts
    return pd.Timestamp(first) < BLIND_ERA_END


def day_labels(idx: pd.DatetimeIndex) -> list[str]:
    """``Day N HH:MM`` of fictional-calendar times (exchange wall time)."""
    local = idx.tz_convert(EXCHANGE_TZ).tz_localize(None)
    n = (local.normalize() - BLIND_EPOCH).days
    return [f"Day {d} {t}" for d, t in zip(n, local.strftime("%H:%M"), strict=True)]


def day_label(ts: str | pd.Timestamp) -> str:
    """``Day N HH:MM`` of one fictional-calendar time."""
    return day_labels(pd.DatetimeIndex([pd.Timestamp(ts)]).tz_convert("UTC"))[0]

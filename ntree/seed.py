"""Bundled sample data: realistic synthetic 1-minute bars, and seeding the bar store.

``generate_bars`` is pure and deterministic from its seed (``numpy.random.default_rng``,
never the global random state). It lays bars on the real NYSE regular session, so
holidays, half days (13:00 close) and DST are those of the exchange calendar. Each day:

- opens with an overnight gap from the previous close;
- draws a regime: a *trend* day (drift in one direction plus noise) or a *range* day
  (a Brownian bridge that comes back near the open);
- has U-shaped intraday volatility and volume (high at the open and into the close);
- builds each minute's open near the previous close, wicks around the body, and rounds
  every price to the 0.01 tick with ``low <= min(open, close) <= max(open, close) <= high``.

``seed_database`` and ``ensure_seeded`` write the bundled defaults to the database edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ntree import db
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.market import session_minutes

FULL_SESSION_MINUTES = 390
TREND_DAY_PROB = 0.4
GAP_SD = 0.35  # overnight gap, in units of daily volatility
OPEN_JITTER = 0.1  # a minute's open vs. the previous close, in units of minute volatility
WICK_SCALE = 0.4  # mean wick beyond the body, in units of minute volatility


@dataclass(frozen=True)
class SymbolSpec:
    """How one bundled symbol looks: starting price, daily volatility, volume, seed."""

    symbol: str
    price: float
    daily_vol: float
    daily_volume: int
    seed: int


SEED_START = "2024-07-01"
SEED_END = "2024-12-31"
SEED_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("SPY", 560.0, 0.008, 45_000_000, 20240701),
    SymbolSpec("QQQ", 480.0, 0.011, 35_000_000, 20240702),
    SymbolSpec("AAPL", 225.0, 0.014, 50_000_000, 20240703),
)
_SPECS = {s.symbol: s for s in SEED_SYMBOLS}
_GENERIC = SymbolSpec("", 100.0, 0.015, 5_000_000, 0)

OHLCV = ["open", "high", "low", "close", "volume"]


def u_shape(k: np.ndarray, n: np.ndarray, open_boost: float, close_boost: float) -> np.ndarray:
    """Return an intraday U-shaped weight for minute ``k`` of a session of ``n`` minutes."""
    return 1.0 + open_boost * np.exp(-k / 20.0) + close_boost * np.exp(-(n - 1 - k) / 15.0)


def vol_shape(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Return per-minute volatility weights, normalised so a full day has unit variance."""
    full = np.arange(FULL_SESSION_MINUTES)
    ref = u_shape(full, np.full_like(full, FULL_SESSION_MINUTES), 1.2, 0.5)
    return u_shape(k, n, 1.2, 0.5) / np.sqrt(np.mean(ref**2))


def volume_shape(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Return per-minute volume weights, normalised to mean 1 over a full day."""
    full = np.arange(FULL_SESSION_MINUTES)
    ref = u_shape(full, np.full_like(full, FULL_SESSION_MINUTES), 2.5, 1.8)
    return u_shape(k, n, 2.5, 1.8) / ref.mean()


def day_layout(minutes: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (day code, minute-of-session k, session length n) for each minute."""
    local_day = minutes.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    codes, _ = pd.factorize(local_day, sort=True)
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.arange(len(minutes)) - starts[codes]
    return codes, k, counts[codes]


def per_day_cumsum(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return the running sum of ``x`` restarting at each day."""
    total = np.cumsum(x)
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    before = total[first] - x[first]
    return total - before[codes]


def generate_bars(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    seed: int,
    *,
    price: float | None = None,
    daily_vol: float | None = None,
    daily_volume: int | None = None,
) -> pd.DataFrame:
    """Return synthetic 1m bars (UTC ``ts`` index, OHLCV) for the sessions in [start, end]."""
    spec = _SPECS.get(symbol, _GENERIC)
    price = spec.price if price is None else price
    daily_vol = spec.daily_vol if daily_vol is None else daily_vol
    daily_volume = spec.daily_volume if daily_volume is None else daily_volume
    minutes = session_minutes(start, end)
    index = pd.DatetimeIndex(minutes, name="ts")
    if len(minutes) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in OHLCV}, index=index)
    rng = np.random.default_rng(seed)
    codes, k, n = day_layout(minutes)
    n_days = int(codes.max()) + 1

    # Per-day plan.
    is_trend = rng.random(n_days) < TREND_DAY_PROB
    direction = rng.choice([-1.0, 1.0], n_days)
    trend_move = rng.uniform(1.2, 2.5, n_days) * daily_vol * direction
    range_end = rng.normal(0.0, 0.2, n_days) * daily_vol
    gaps = rng.normal(0.0, GAP_SD, n_days) * daily_vol
    gaps[0] = 0.0
    day_vol = daily_vol * np.exp(rng.normal(0.0, 0.25, n_days))

    # Per-minute draws.
    z = rng.standard_normal(len(minutes))
    jitter = rng.standard_normal(len(minutes))
    wick_hi = rng.exponential(1.0, len(minutes))
    wick_lo = rng.exponential(1.0, len(minutes))
    volume_noise = rng.lognormal(0.0, 0.35, len(minutes))

    sigma = day_vol[codes] / np.sqrt(FULL_SESSION_MINUTES) * vol_shape(k, n)
    frac = (k + 1) / n
    walk = per_day_cumsum(sigma * z, codes)
    last = np.flatnonzero(np.r_[codes[1:] != codes[:-1], True])
    walk_end = walk[last][codes]
    trend_path = 0.8 * walk + trend_move[codes] * frac
    range_path = walk - walk_end * frac + range_end[codes] * frac
    path = np.where(is_trend[codes], trend_path, range_path)  # log close vs. the day's open

    day_change = path[last]
    day_open = np.log(price) + np.cumsum(gaps + np.r_[0.0, day_change[:-1]])
    log_close = day_open[codes] + path
    prev_path = np.where(k == 0, 0.0, np.r_[0.0, path[:-1]])
    log_open = day_open[codes] + prev_path + np.where(k == 0, 0.0, OPEN_JITTER * sigma * jitter)

    close = np.round(np.exp(log_close), 2)
    open_ = np.round(np.exp(log_open), 2)
    high = np.round(np.maximum(open_, close) * np.exp(WICK_SCALE * sigma * wick_hi), 2)
    low = np.round(np.minimum(open_, close) * np.exp(-WICK_SCALE * sigma * wick_lo), 2)
    high = np.maximum(high, np.maximum(open_, close))
    low = np.maximum(np.minimum(low, np.minimum(open_, close)), 0.01)

    move = np.abs(z)
    raw_volume = daily_volume / FULL_SESSION_MINUTES * volume_shape(k, n) * volume_noise
    volume = np.maximum(np.round(raw_volume * (0.7 + 0.3 * move), -2), 100).astype(np.int64)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def generate_default(spec: SymbolSpec) -> pd.DataFrame:
    """Return the bundled bars of one default symbol over the default range."""
    return generate_bars(spec.symbol, SEED_START, SEED_END, spec.seed)


def seed_database(engine: sa.Engine, force: bool = False) -> dict[str, int]:
    """Write the bundled symbols to ``engine``; return rows written per symbol.

    A symbol that already has 1m bars is left alone (0 rows), so seeding twice writes
    nothing and never mixes synthetic bars into real ones. ``force`` deletes the symbol's
    bars in the bundled range first and writes them again.
    """
    written: dict[str, int] = {}
    for spec in SEED_SYMBOLS:
        if force:
            delete_bars(engine, spec.symbol, SEED_START, SEED_END)
        elif db.bar_range(engine, spec.symbol) is not None:
            written[spec.symbol] = 0
            continue
        written[spec.symbol] = db.save_bars(engine, spec.symbol, generate_default(spec))
    return written


def delete_bars(engine: sa.Engine, symbol: str, start: str, end: str) -> int:
    """Delete the 1m bars of ``symbol`` on the sessions from ``start`` to ``end``."""
    lo = pd.Timestamp(start, tz=EXCHANGE_TZ)
    hi = pd.Timestamp(end, tz=EXCHANGE_TZ) + pd.Timedelta(days=1)
    stmt = db.bars.delete().where(
        db.bars.c.symbol == symbol,
        db.bars.c.timeframe_s == 60,
        db.bars.c.ts >= int(lo.timestamp()),
        db.bars.c.ts < int(hi.timestamp()),
    )
    with engine.begin() as conn:
        return max(conn.execute(stmt).rowcount, 0)


def ensure_seeded(engine: sa.Engine) -> dict[str, int]:
    """Seed the bundled data when the ``bars`` table is empty; return rows written."""
    with engine.connect() as conn:
        has_bars = conn.execute(sa.select(db.bars.c.ts).limit(1)).first() is not None
    if has_bars:
        return {}
    return seed_database(engine)

"""The engine benchmark's workload: synthetic 1m bars and a ladder-of-limits strategy.

Shared by ``bench/bench_engine.py`` and ``tests/test_backtesting_parity.py`` so both play
exactly the same bars and orders.

Bars: ``numpy.random.default_rng(seed)`` (seed 42), a geometric random walk from 100.00.
Per minute the close is the open times ``exp(N(0, 0.0004))``; the open is the previous
close times ``exp(N(0, 0.0001))`` (so bars sometimes open through a limit); the high and
low extend the body by ``exp(|N(0, 0.0002)|)``. Every price is rounded to the 0.01 tick,
so ``low <= min(open, close) <= max(open, close) <= high``. 390 bars a day, 09:30-16:00
New York, on consecutive weekdays from Monday 2015-01-05 (holidays are not skipped).

Strategy: on a 30m display frame, at the close of every 30th 1m bar (the last minute of
each display bar) cancel every working order and place 5 buy limits at
``close - k * 0.10`` and 5 sell limits at ``close + k * 0.10`` (k = 1..5, qty 10, on the
tick), live from the next bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 42
START_PRICE = 100.0
TICK = 0.01
START_DAY = "2015-01-05"
BARS_PER_DAY = 390
DISP_TF = 30
LADDER_STEP = 0.10
LADDER_RUNGS = 5
QTY = 10
SIGMA_CLOSE = 0.0004
SIGMA_OPEN = 0.0001
SIGMA_WICK = 0.0002


def make_bars(n: int, seed: int = SEED) -> pd.DataFrame:
    """Return ``n`` synthetic 1m bars (UTC ``ts`` index; open, high, low, close, volume)."""
    rng = np.random.default_rng(seed)
    r_close = rng.normal(0.0, SIGMA_CLOSE, n)
    r_open = rng.normal(0.0, SIGMA_OPEN, n)
    wick_hi = np.abs(rng.normal(0.0, SIGMA_WICK, n))
    wick_lo = np.abs(rng.normal(0.0, SIGMA_WICK, n))
    volume = rng.integers(100, 10_000, n)
    r_open[0] = 0.0  # the first bar opens at exactly 100.00
    log_open = np.log(START_PRICE) + np.cumsum(r_open)
    log_open[1:] += np.cumsum(r_close)[:-1]
    log_close = log_open + r_close
    o, c = np.exp(log_open), np.exp(log_close)
    h = np.maximum(o, c) * np.exp(wick_hi)
    lo = np.minimum(o, c) * np.exp(-wick_lo)
    o, h, lo, c = (np.round(x, 2) for x in (o, h, lo, c))
    return pd.DataFrame(
        {"open": o, "high": h, "low": lo, "close": c, "volume": volume.astype(np.int64)},
        index=bar_times(n),
    )


def bar_times(n: int) -> pd.DatetimeIndex:
    """Return the UTC open times of ``n`` 1m bars: 390 a weekday from 09:30 New York."""
    days = pd.bdate_range(START_DAY, periods=-(-n // BARS_PER_DAY))
    minute = np.arange(BARS_PER_DAY) * np.timedelta64(1, "m") + np.timedelta64(570, "m")
    local = (days.values[:, None] + minute[None, :]).ravel()[:n]
    idx = pd.DatetimeIndex(local).tz_localize("America/New_York").tz_convert("UTC")
    return idx.rename("ts")


def ladder(close: float, step: float = LADDER_STEP) -> list[tuple[str, float]]:
    """Return the (side, limit price) of the 10 orders placed at a display bar's close."""
    out = []
    for k in range(1, LADDER_RUNGS + 1):
        out.append(("BUY", round(close - k * step, 2)))
        out.append(("SELL", round(close + k * step, 2)))
    return out


def ladder_orders(close: float, step: float = LADDER_STEP) -> list[dict]:
    """Return :func:`ladder` as ``ReplaySession.replace_orders`` takes it."""
    orders = []
    for k in range(1, LADDER_RUNGS + 1):
        d = k * step
        orders.append({"side": "BUY", "type": "LIMIT", "qty": QTY, "price": round(close - d, 2)})
        orders.append({"side": "SELL", "type": "LIMIT", "qty": QTY, "price": round(close + d, 2)})
    return orders


def backtesting_ladder(ladder_step: float = LADDER_STEP):
    """Return the workload's strategy as a backtesting.py ``Strategy`` (imported lazily:
    backtesting.py is a benchmark/test extra, not a dependency)."""
    from backtesting import Strategy

    class Ladder(Strategy):
        step = ladder_step  # a class attribute: Backtest.run(step=...) can override it

        def init(self) -> None:
            pass

        def next(self) -> None:
            if len(self.data) % DISP_TF:
                return
            for order in self.orders:
                order.cancel()
            for side, price in ladder(float(self.data.Close[-1]), self.step):
                place = self.buy if side == "BUY" else self.sell
                place(size=QTY, limit=price)

    return Ladder


def backtesting_run(bars, ladder_step: float = LADDER_STEP, cash: float = 10_000_000.0):
    """Return ``backtesting.Backtest`` set up for the workload as ntree plays it: cash that
    never binds, no commission, no hedging, orders live from the next bar, and open trades
    left open at the end (their final equity marks them at the last close, as ntree's
    end-of-session flatten does)."""
    from backtesting import Backtest

    return Backtest(
        bars.rename(columns=str.capitalize),
        backtesting_ladder(ladder_step),
        cash=cash,
        commission=0.0,
        exclusive_orders=False,
        hedging=False,
        trade_on_close=False,
        finalize_trades=False,
    )

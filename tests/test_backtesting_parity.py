"""ntree's paper broker against backtesting.py on the engine benchmark's workload.

Without the direction lock, both apply the same fill rules to this workload: a limit buy
fills when ``low <= limit`` at ``min(open, limit)`` (a sell mirrored), orders placed at a
bar's close are live from the next bar, and every order that a bar reaches fills. So the
fills (bar, side, price), the final position and the PnL must be equal. Conventions that
differ, and how the comparison handles them:

- backtesting.py fills the orders of one bar in the order they were placed, ntree nearest
  the open first: fills are compared as a multiset per bar.
- backtesting.py nets FIFO by trade, ntree on an average price: realized PnL splits
  differently, but realized + unrealized (marked at the last close) is the same.
- backtesting.py has no direction lock: a bar that reaches orders on both sides fills them
  all. ntree's default lock fills only the side nearest the open, so parity is checked
  with ``direction_lock=False``. The benchmark's ladder (0.10 apart) never reaches both
  sides in one bar on these bars; a tight ladder (0.02 apart) does, dozens of times.
- backtesting.py leaves trades open at the end (``finalize_trades=False``; ``True`` would
  close them at the last bar's *open* and re-test the last orders on that bar), ntree
  flattens at the last close: its extra ``session_end`` fill is left out of the fills and
  gives the final position.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import workload  # noqa: E402

from ntree.engine import ReplaySession, SessionConfig  # noqa: E402

backtesting = pytest.importorskip("backtesting")

N_BARS = 3_000
CASH = 10_000_000.0
BENCH_STEP, TIGHT_STEP = workload.LADDER_STEP, 0.02


def run_backtesting(bars: pd.DataFrame, step: float = BENCH_STEP) -> dict:
    """Return fills, final position and PnL of the workload on backtesting.py."""
    bt = workload.backtesting_run(bars, cash=CASH)
    with pytest.warns(UserWarning, match="trades remain open"):
        stats = bt.run(step=step)
    strategy = stats._strategy
    # Every order is 10 shares and every trade one order's 10 shares (hedging=False closes
    # whole trades FIFO), so each trade entry and each trade exit is one order's fill.
    fills = []
    for t in [*strategy.closed_trades, *strategy.trades]:
        fills.append((t.entry_bar, "BUY" if t.size > 0 else "SELL", t.entry_price))
        if t.exit_bar is not None:
            fills.append((t.exit_bar, "SELL" if t.size > 0 else "BUY", t.exit_price))
    return {
        "fills": sorted(fills),
        "position": strategy.position.size,
        "pnl": stats["Equity Final [$]"] - CASH,
    }


def run_ntree(bars: pd.DataFrame, step: float = BENCH_STEP, *, direction_lock: bool) -> dict:
    """Return fills, final position and PnL of the workload on ntree's ReplaySession."""
    config = SessionConfig(
        session_id="parity",
        symbol="SYN",
        disp_tf=workload.DISP_TF,
        t_start=bars.index[0],
        t_end=bars.index[-1] + pd.Timedelta(minutes=1),
        initial_cash=CASH,
        direction_lock=direction_lock,
    )
    session = ReplaySession(config, bars)
    while not session.ended:
        session.step(disp_steps=1)
        if not session.ended:
            session.cancel_all()
            for side, price in workload.ladder(session.last_price, step):
                session.place(side, "LIMIT", workload.QTY, price)
    bar_of = {ts: i for i, ts in enumerate(bars.index.as_unit("ns").asi8)}
    fills, position = [], 0
    for f in session.fills:
        if f.role == "session_end":
            position = -f.qty if f.side == "BUY" else f.qty
        else:
            fills.append((bar_of[f.ts_exec], f.side, f.price))
    return {"fills": sorted(fills), "position": position, "pnl": session.summary()["pnl"]}


def bars_reaching_both_sides(fills: list[tuple]) -> int:
    sides: dict[int, set[str]] = {}
    for bar, side, _ in fills:
        sides.setdefault(bar, set()).add(side)
    return sum(len(s) == 2 for s in sides.values())


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return workload.make_bars(N_BARS)


@pytest.fixture(scope="module", params=[BENCH_STEP, TIGHT_STEP], ids=["bench", "tight"])
def step(request) -> float:
    return request.param


@pytest.fixture(scope="module")
def reference(bars: pd.DataFrame, step: float) -> dict:
    return run_backtesting(bars, step)


def test_ladder_fills_match_backtesting_bar_by_bar(bars, step, reference):
    ours = run_ntree(bars, step, direction_lock=False)
    assert len(reference["fills"]) > 200
    assert ours["fills"] == reference["fills"]  # same bars, sides and prices, to the bit
    if step == TIGHT_STEP:
        assert bars_reaching_both_sides(ours["fills"]) > 20


def test_ladder_final_position_and_pnl_match_backtesting(bars, step, reference):
    ours = run_ntree(bars, step, direction_lock=False)
    assert ours["position"] == reference["position"] != 0
    assert ours["pnl"] == pytest.approx(reference["pnl"], abs=1e-6)


def test_direction_lock_fills_one_side_where_backtesting_fills_both(bars):
    reference = run_backtesting(bars, TIGHT_STEP)
    locked = run_ntree(bars, TIGHT_STEP, direction_lock=True)
    assert bars_reaching_both_sides(reference["fills"]) > 20
    assert bars_reaching_both_sides(locked["fills"]) == 0
    assert len(locked["fills"]) < len(reference["fills"])

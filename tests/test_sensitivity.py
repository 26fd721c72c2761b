"""Fill sensitivity on tiny scripted sessions whose fills can be checked by eye."""

from __future__ import annotations

import pytest
from engine_helpers import make_bars, make_session

from ntree.engine import DataChangedError
from ntree.engine.sensitivity import (
    SCENARIOS,
    fill_sensitivity,
    lock_bars,
    rerun,
    total_sensitivity,
)

# Minute 5 dips to exactly 99.50 and closes 99.80; minute 6 runs to 101; the rest is quiet.
TOUCH = [None] * 5 + [(100, 100, 99.5, 99.8), (99.8, 101, 99.8, 101)]


def touched_limit_session(**overrides: object) -> tuple[list, object]:
    s = make_session(TOUCH, minutes=30, **overrides)
    s.place("BUY", "LIMIT", 10, 99.5)
    s.step(disp_steps=3)
    s.end()
    return s.drain_events(), make_bars(TOUCH, minutes=30)


def test_a_touched_limit_fills_perfectly_but_not_one_tick_through() -> None:
    events, bars = touched_limit_session()
    out = fill_sensitivity(events, bars)
    assert out["perfect"]["pnl"] == 15.0  # 10 x (101 - 99.5), flattened at the end
    assert out["limit_1_tick_through"] == {
        "pnl": 0.0,
        "num_trades": 0,
        "lock_bars": 0,
        "pnl_vs_perfect": -15.0,
    }
    assert out["all_three"]["pnl"] == 0.0
    assert list(out) == list(SCENARIOS)


def test_perfect_is_measured_without_the_knobs_the_session_was_played_with() -> None:
    events, bars = touched_limit_session(limit_fill_ticks_worse=1)  # played pessimistic
    assert events[-1].payload["summary"]["pnl"] == 0.0
    assert fill_sensitivity(events, bars)["perfect"]["pnl"] == 15.0


def test_market_slippage_costs_one_tick_per_share_each_way() -> None:
    s = make_session(TOUCH, minutes=30)
    s.place("BUY", "MARKET", 10)  # fills at the 13:30 open, 100
    s.step(disp_steps=2)
    s.flatten()  # at the 13:40 open, 101
    s.step()
    events, bars = s.drain_events(), make_bars(TOUCH, minutes=30)
    out = fill_sensitivity(events, bars)
    assert out["perfect"]["pnl"] == 10.0
    assert out["slippage_1_tick"]["pnl"] == pytest.approx(9.8)  # 100.01 in, 100.99 out


def test_latency_moves_a_market_order_to_the_next_bar() -> None:
    # Bought at the 13:35 boundary: filled at minute 5's open (100) or, a bar late, minute 6's
    # (99.8); the session ends at the last close, 101.
    s = make_session(TOUCH, minutes=30)
    s.step()
    s.place("BUY", "MARKET", 10)
    s.step()
    events, bars = s.drain_events(), make_bars(TOUCH, minutes=30)
    out = fill_sensitivity(events, bars)
    assert out["perfect"]["pnl"] == 10.0
    assert out["latency_1_bar"]["pnl"] == pytest.approx(12.0)


def test_a_refused_command_does_not_stop_the_rerun() -> None:
    # The bracket needs the position that only the perfect fill opens.
    s = make_session(TOUCH, minutes=30)
    s.place("BUY", "LIMIT", 10, 99.5)
    s.step(disp_steps=2)
    s.set_bracket(tp=102.0)
    s.step()
    events = s.drain_events()
    rerun_events = rerun(events, make_bars(TOUCH, minutes=30), {"limit_fill_ticks_worse": 1})
    types = [e.type for e in rerun_events]
    assert "ORDER_REJECTED" in types and types[-1] == "SESSION_END"


def test_the_direction_lock_is_counted_per_bar() -> None:
    # Minute 5 opens at 100 and reaches both 99.50 and 100.50: the buy (nearest, lowest id)
    # fills, the sell stays working.
    rows = [None] * 5 + [(100, 100.5, 99.5, 100)]
    s = make_session(rows, minutes=30)
    s.place("BUY", "LIMIT", 1, 99.5)
    s.place("SELL", "LIMIT", 1, 100.5)
    s.step()
    s.step()
    events = s.drain_events()
    assert lock_bars(events) == 1
    assert fill_sensitivity(events, make_bars(rows, minutes=30))["perfect"]["lock_bars"] == 1


def test_other_bars_are_refused() -> None:
    events, _ = touched_limit_session()
    with pytest.raises(DataChangedError):
        fill_sensitivity(events, make_bars(TOUCH, minutes=30, base=50.0))


def test_total_sensitivity_sums_the_sessions() -> None:
    events, bars = touched_limit_session()
    one = fill_sensitivity(events, bars)
    total = total_sensitivity([one, one])
    assert total["perfect"]["pnl"] == 30.0
    assert total["limit_1_tick_through"]["pnl_vs_perfect"] == -30.0

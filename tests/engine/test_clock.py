"""The two clocks: display buckets over the 1m bars, boundaries, step and rewind targets."""

from __future__ import annotations

import pandas as pd
from engine_helpers import DAY_OPEN, HISTORY_BARS, make_bars

from ntree.engine.aggregate import bucket_codes
from ntree.engine.clock import NS_PER_MIN, Clock


def clock(disp_tf: int = 5, minutes: int = 60) -> Clock:
    return Clock(make_bars(minutes=minutes), disp_tf, DAY_OPEN.value)


def test_trading_starts_at_the_first_bar_of_t_start_after_the_history() -> None:
    c = clock()
    assert c.i_start == HISTORY_BARS and c.i == c.i_start
    assert c.at_boundary
    assert c.ts_exec(c.i) == DAY_OPEN.value


def test_a_t_start_inside_a_display_bar_moves_to_the_next_boundary() -> None:
    c = Clock(make_bars(), 5, (DAY_OPEN + pd.Timedelta(minutes=2)).value)
    assert c.ts_exec(c.i_start) == (DAY_OPEN + pd.Timedelta(minutes=5)).value


def test_disp_target_is_n_boundaries_ahead_and_exec_target_stops_at_the_end() -> None:
    c = clock()
    assert c.disp_target(1) == c.i + 5
    assert c.disp_target(3) == c.i + 15
    c.move(c.i + 2)  # mid-bar: the next boundary is 3 bars away
    assert not c.at_boundary
    assert c.disp_target(1) == c.i + 3
    assert c.exec_target(10**6) == c.n


def test_step_target_reads_a_logged_step() -> None:
    c = clock()
    assert c.step_target({"exec_steps": 7}) == c.i + 7
    assert c.step_target({"disp_steps": 2}) == c.i + 10
    assert c.step_target({}) == c.i + 5


def test_rewind_target_goes_back_whole_display_bars_but_not_before_the_start() -> None:
    c = clock()
    c.move(c.i_start + 23)  # inside the 5th display bar of the day
    assert c.rewind_target(1) == c.i_start + 15
    assert c.rewind_target(100) == c.i_start


def test_ts_exec_past_the_last_bar_is_its_close() -> None:
    c = clock()
    assert c.ts_exec(c.n) == int(c.ts[-1]) + NS_PER_MIN
    assert c.ts_market(c.n) == c.ts_market(c.n - 1)


def test_a_timeframe_switch_needs_a_boundary_both_frames_share() -> None:
    c = clock(disp_tf=5)
    new_codes, _ = bucket_codes(c.bars.index, 15)
    assert c.next_shared_boundary_ts(new_codes) is None  # 13:30 begins both
    c.move(c.i_start + 5)  # 13:35: a 5m boundary inside a 15m bar
    assert c.next_shared_boundary_ts(new_codes) == (DAY_OPEN + pd.Timedelta(minutes=15)).value


def test_the_last_price_is_the_last_close_played() -> None:
    c = Clock(make_bars([(100, 101, 99, 100.5)]), 5, DAY_OPEN.value)
    c.move(c.i_start + 1)
    assert c.last_close() == 100.5

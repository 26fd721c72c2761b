"""No look-ahead: an action chosen on the close of display bar t fills no earlier than the
first 1-minute bar after t (hand-built bars, so each price is known in advance)."""

from __future__ import annotations

import pandas as pd

from ntree.gym.env import ReplayEnv, structured
from tests.engine_helpers import fills, iso, make_bars


class FrameSource:
    """A BarSource over one hand-built frame."""

    def __init__(self, bars: pd.DataFrame) -> None:
        self.bars = bars.tz_localize("UTC") if bars.index.tz is None else bars

    def load(self, symbol: str, start=None, end=None) -> pd.DataFrame:
        idx = self.bars.index
        lo = 0 if start is None else idx.searchsorted(pd.Timestamp(start))
        hi = len(idx) if end is None else idx.searchsorted(pd.Timestamp(end))
        return self.bars.iloc[lo:hi].copy()

    def symbols(self) -> list[str]:
        return ["TEST"]

    def bar_range(self, symbol: str):
        return self.bars.index[0], self.bars.index[-1]


def env_on(rows) -> ReplayEnv:
    env = ReplayEnv("TEST", "5m", days="2024-07-08", source=FrameSource(make_bars(rows)))
    env.reset(seed=0)
    return env


# Display bar 0 (minutes 0-4) dips to 95 in its last minute and closes at 100; the next
# minute opens at 101; minute 7 dips to 95 again.
ROWS = [
    None,
    None,
    None,
    None,
    (100, 100, 95, 100),
    (101, 101, 101, 101),
    None,
    (101, 101, 95, 100),
]


def test_a_limit_at_a_price_bar_t_touched_fills_only_when_a_later_minute_touches_it():
    env = env_on(ROWS)
    obs, *_ = env.step(structured("HOLD"))  # bar t = minutes 0-4 is now complete
    assert obs["bar"][2] == 95 and obs["bar"][3] == 100
    _, _, _, _, info = env.step(structured("PLACE_LIMIT", side="BUY", price=95.0, qty=10))
    done = fills(info["events"])
    assert [(f["ts_exec"], f["price"]) for f in done] == [(iso(7), 95.0)]


def test_a_market_order_on_the_close_of_bar_t_fills_at_the_next_minutes_open():
    env = env_on(ROWS)
    env.step(structured("HOLD"))
    _, _, _, _, info = env.step(structured("PLACE_MARKET", side="BUY", qty=10))
    done = fills(info["events"])
    assert [(f["ts_exec"], f["price"]) for f in done] == [(iso(5), 101.0)]  # not bar t's 100


def test_the_observation_after_a_step_holds_no_minute_of_the_next_bar():
    env = env_on(ROWS)
    obs, *_ = env.step(structured("HOLD"))
    assert obs["last_price"][0] == 100.0  # bar t's close, not minute 5's 101
    assert obs["cursor_ts"][0] == pd.Timestamp(iso(5)).value

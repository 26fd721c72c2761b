"""The regime a bot sees: the film room's range/trend rule on the last completed bar, the
same in the env's observation and in the engine's observe()."""

from __future__ import annotations

import gymnasium

import ntree.gym
from ntree.engine.regime import classify_regime
from ntree.gym.env import REGIMES, structured
from ntree.sources import SampleBarSource


def test_the_observation_names_the_regime_of_the_last_completed_bar():
    src = SampleBarSource()
    env = gymnasium.make(ntree.gym.ENV_ID, symbol="SPY", days="2024-08-05", source=src).unwrapped
    obs, _ = env.reset(seed=0, options={"day": "2024-08-05"})
    seen = set()
    for _ in range(60):
        obs, *_ = env.step(structured("HOLD"))
        session = env.session
        row = session.disp.iloc[session.disp_index - 1]
        expected = classify_regime(row["ch_slope"], row["atr14"])
        assert REGIMES[int(obs["regime"])] == (expected or "unknown")
        view = session.observe()
        assert view["regime"] == expected
        assert view["stand_down"] == (expected == "trend")
        assert env.observation_space["regime"].contains(obs["regime"])
        seen.add(expected)
    assert {"range", "trend"} <= seen  # the day shows both

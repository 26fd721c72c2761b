"""Bots (an edge): a gymnasium environment on the human's contract, and reference policies.

``import ntree.gym`` registers ``ntree/Replay-v0``::

    import gymnasium, ntree.gym
    env = gymnasium.make("ntree/Replay-v0", symbol="SPY", disp_tf="5m")

Needs the optional extra ``ntree[gym]`` (gymnasium); the engine itself never imports it.
"""

from __future__ import annotations

import gymnasium

from ntree.gym.env import (
    ACTION_KINDS,
    ENV_ID,
    AdvanceTo,
    DiscreteActions,
    ReplayEnv,
    RewardContext,
)

__all__ = ["ACTION_KINDS", "ENV_ID", "AdvanceTo", "DiscreteActions", "ReplayEnv", "RewardContext"]

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="ntree.gym.env:ReplayEnv")

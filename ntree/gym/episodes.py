"""Playing whole episodes headless: one in this process, or many on a process pool."""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

from ntree.engine import ReplaySession
from ntree.gym.policies import AgentPolicy


def load_policy(spec: str, **kwargs: Any) -> AgentPolicy:
    """Return an instance of ``module:Class`` (raise ValueError for a bad spec)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"a policy is module:Class, got {spec!r}")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load policy {spec!r}: {exc}") from None
    policy = cls(**kwargs)
    if not callable(getattr(policy, "act", None)):
        raise ValueError(f"policy {spec!r} has no act(obs) method")
    return policy


def policy_name(policy: object) -> str:
    """Return the name a policy's sessions record as their player."""
    return str(getattr(policy, "name", None) or type(policy).__name__)


def play_episode(
    env: gymnasium.Env,
    policy: AgentPolicy,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> ReplaySession:
    """Play one episode to its end; return the session (its whole log still pending)."""
    obs, _ = env.reset(seed=seed, options=options)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset(seed)
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, _ = env.step(policy.act(obs))
    return env.unwrapped.session

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


# --- many episodes: in this process or on a process pool ------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(env_kwargs: dict[str, Any], policy_spec: str) -> None:
    """Build one env and one policy per worker process (reused by its episodes)."""
    from ntree.gym.env import ReplayEnv

    _WORKER["env"] = ReplayEnv(**env_kwargs)
    _WORKER["policy"] = load_policy(policy_spec)


def _play_job(job: tuple[int, int, dict[str, Any]]) -> tuple[int, ReplaySession]:
    k, seed, options = job
    return k, play_episode(_WORKER["env"], _WORKER["policy"], seed=seed, options=options)


def run_episodes(
    env_kwargs: dict[str, Any],
    policy_spec: str,
    jobs: list[tuple[int, dict[str, Any]]],
    *,
    workers: int = 1,
):
    """Yield ``(index, session)`` for each ``(seed, options)`` job as it finishes: in this
    process for one worker, else on a pool of ``workers`` processes. Each session comes back
    whole, its log pending, for the caller to store."""
    numbered = [(k, seed, options) for k, (seed, options) in enumerate(jobs)]
    if workers <= 1:
        _init_worker(env_kwargs, policy_spec)
        for job in numbered:
            yield _play_job(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fresh interpreter per worker (fork would copy the parent's DB connections).
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(env_kwargs, policy_spec)
    ) as pool:
        yield from pool.map(_play_job, numbered)

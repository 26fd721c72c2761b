"""Playing whole episodes headless: one in this process, or many on a pool of workers.

Workers (processes on this machine, or Ray actors) each keep one env and one policy for
as long as the pool lives, so prepared windows are reused across episodes; each episode
comes back as its log (a :class:`~ntree.store.SessionRecord`), not as a live session, and
the caller writes those in batches (:meth:`~ntree.store.SessionStore.save_records`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gymnasium

from ntree.engine import ReplaySession
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.gym.policies import AgentPolicy
from ntree.store import SessionRecord, session_record


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


# --- many episodes: in this process, on a process pool, or on Ray -------------------------
EXECUTORS = ("process", "ray")


@dataclass(frozen=True, slots=True)
class EpisodeLog:
    """One finished episode as a worker hands it back: what the store writes (its log
    serialised where it was played) and the figures the summary table shows."""

    index: int
    record: SessionRecord
    day: str  # the first trading day, YYYY-MM-DD New York
    summary: dict


class EpisodeWorker:
    """One env and one policy, kept across episodes: the env keeps its prepared windows, so
    only a worker's first episode on a symbol-window pays for loading and preparing it."""

    def __init__(self, env_kwargs: dict[str, Any], policy_spec: str) -> None:
        from ntree.gym.env import ReplayEnv

        self.env = ReplayEnv(**env_kwargs)
        self.policy = load_policy(policy_spec)
        self.player = policy_name(self.policy)

    def play(self, job: tuple[int, int | None, dict[str, Any]]) -> EpisodeLog:
        """Play job ``(index, seed, options)``; return its log (nothing stays behind)."""
        k, seed, options = job
        session = play_episode(self.env, self.policy, seed=seed, options=options)
        self.env.unwrapped.session = None  # the log leaves with the record
        return EpisodeLog(
            index=k,
            record=session_record(session, self.player),
            day=f"{session.config.t_start.tz_convert(EXCHANGE_TZ):%Y-%m-%d}",
            summary=session.summary(),
        )

    def play_many(self, jobs: list[tuple[int, int | None, dict[str, Any]]]) -> list[EpisodeLog]:
        """Play several jobs in a row (one round trip for a chunk of them)."""
        return [self.play(job) for job in jobs]


_WORKER: dict[str, EpisodeWorker] = {}  # this process's worker, in a pool's processes


def _init_process(env_kwargs: dict[str, Any], policy_spec: str) -> None:
    _WORKER["worker"] = EpisodeWorker(env_kwargs, policy_spec)


def _play_in_process(jobs: list[tuple[int, int | None, dict[str, Any]]]) -> list[EpisodeLog]:
    return _WORKER["worker"].play_many(jobs)


def _package_path() -> str:
    """Return PYTHONPATH with the folder that holds this ``ntree`` first (a local Ray
    runtime's workers then import the same code as this process, installed or not)."""
    import os
    from pathlib import Path

    import ntree

    here = str(Path(ntree.__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)


class EpisodePool:
    """Workers that play episodes and keep their env across them, until :meth:`close`.

    ``executor="process"``: ``workers`` processes on this machine (one worker plays in this
    process); ``"ray"``: ``workers`` Ray actors, on the cluster at ``address`` (default: a
    local Ray runtime of ``workers`` CPUs, started here). ``run`` may be called many times;
    the workers and their prepared windows stay.
    """

    def __init__(
        self,
        env_kwargs: dict[str, Any],
        policy_spec: str,
        *,
        workers: int = 1,
        executor: str = "process",
        address: str | None = None,
    ) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers!r}")
        load_policy(policy_spec)  # a bad spec fails here, not in every worker
        self.workers, self.executor = workers, executor
        self._local: EpisodeWorker | None = None
        self._pool: Any = None
        self._actors: list[Any] = []
        self._ray_started = False
        if executor == "ray":
            self._start_ray(env_kwargs, policy_spec, address)
        elif workers == 1:
            self._local = EpisodeWorker(env_kwargs, policy_spec)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: a fresh interpreter per worker (fork would copy the parent's DB
            # connections and threads).
            self._pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_process,
                initargs=(env_kwargs, policy_spec),
            )

    def _start_ray(self, env_kwargs: dict[str, Any], policy_spec: str, address: str | None) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError("--executor ray needs Ray (install ntree[ray])") from None
        if not ray.is_initialized():
            if address:  # a cluster's nodes have ntree installed (pip install ntree[ray])
                try:
                    ray.init(address=address, log_to_driver=False)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise ValueError(f"cannot join the Ray cluster at {address}: {exc}") from None
            else:
                ray.init(
                    address="local",  # a runtime of our own, never a cluster found lying about
                    num_cpus=self.workers,
                    include_dashboard=False,
                    log_to_driver=False,
                    runtime_env={"env_vars": {"PYTHONPATH": _package_path()}},
                )
            self._ray_started = True
        actor = ray.remote(num_cpus=1)(EpisodeWorker)
        self._actors = [actor.remote(env_kwargs, policy_spec) for _ in range(self.workers)]

    def run(self, jobs: list[tuple[int | None, dict[str, Any]]]) -> Iterator[EpisodeLog]:
        """Yield an EpisodeLog for each ``(seed, options)`` job, in the jobs' order."""
        numbered = [(k, seed, options) for k, (seed, options) in enumerate(jobs)]
        if self._local is not None:
            for job in numbered:
                yield self._local.play(job)
            return
        # Chunks of a few episodes: fewer round trips, and still about 4 per worker, so an
        # uneven chunk can't leave a worker idle for long.
        size = max(1, min(8, len(numbered) // (4 * self.workers)))
        chunks = [numbered[i : i + size] for i in range(0, len(numbered), size)]
        if self._pool is not None:
            for logs in self._pool.map(_play_in_process, chunks):
                yield from logs
            return
        yield from self._run_ray(chunks)

    def _run_ray(self, chunks: list[list]) -> Iterator[EpisodeLog]:
        from ray.util import ActorPool

        pool = ActorPool(self._actors)
        for logs in pool.map(lambda actor, chunk: actor.play_many.remote(chunk), chunks):
            yield from logs

    def pids(self) -> list[int]:
        """Return the ids of this machine's processes that play: this one for a single local
        worker, the pool's processes, or none for Ray (its workers are Ray's)."""
        import os

        if self._local is not None:
            return [os.getpid()]
        if self._pool is not None:
            return sorted(self._pool._processes)  # started on first use
        return []

    def close(self) -> None:
        """Stop the workers (and the local Ray runtime this pool started)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._actors:
            import ray

            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
            if self._ray_started:
                ray.shutdown()
                self._ray_started = False

    def __enter__(self) -> EpisodePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_episodes(
    env_kwargs: dict[str, Any],
    policy_spec: str,
    jobs: list[tuple[int | None, dict[str, Any]]],
    *,
    workers: int = 1,
    executor: str = "process",
    address: str | None = None,
) -> Iterator[EpisodeLog]:
    """Yield an EpisodeLog for each ``(seed, options)`` job, on a pool made for them."""
    with EpisodePool(
        env_kwargs, policy_spec, workers=workers, executor=executor, address=address
    ) as pool:
        yield from pool.run(jobs)

"""Benchmark the bot environment against its targets, and two common trading envs, in one run.

Run ``PYTHONPATH=. python bench/bench_gym.py [--episodes N]`` from the repository root.
Bars: the bundled sample SPY (``SampleBarSource``, generated once before timing); display
frame 5m, so one trading day is 78 steps. Every figure is the median of 3 timed runs.

1. ``ntree env``: ``BandFadePolicy`` (one ``replace_orders`` per bar: orders, fills and the
   event log) on 2024-08-05; ``steps/s`` counts ``env.step`` + ``policy.act`` (reset not
   included), ``episodes/s`` includes the reset.
2. ``episode open``: ``env.reset`` on a day never opened (loads the bars, prepares the
   window: with SQL it is the SQL load) and on a prepared window (the env keeps the 1m
   bars, display bars, indicators and day bounds per symbol-window). Target < 3 ms.
3. ``gym-trading-env`` and ``gym-anytrading`` on the same 5m bars of the same day, features
   = ntree's observation columns, seeded random actions, ``env.step`` alone. Bench-only
   installs (not dependencies of ntree); the bench says how to install them when missing.
   Target: ntree's steps/s at least gym-trading-env's (ntree does orders, fills and a log);
   ntree with seeded random ``DiscreteActions`` is printed too (random actions, as theirs).
4. ``workers``: N episodes (seeds 0..N-1, August 2024) on a persistent ``EpisodePool``
   with 1 worker (in this process) and 2 (processes). Each pool is started and warmed (two
   untimed runs: every worker has prepared its windows) before the timed runs; each episode
   comes back as its serialised log. Target 2 workers / 1 >= 1.6x. The start-up (spawn,
   imports, preparing windows) is printed apart. The machine's load average is printed with
   it: the 2-core machine is shared, and another process on a core takes it from a worker.
   So is the CPU each episode costs, workers and parent together (psutil): twice the one-
   worker figure over the two-worker one bounds what 2 workers can give on two idle cores
   (the pool's overhead: pickling logs, the parent's share, a second copy of the windows);
   and a control, 2 processes / 1 on a fixed pure-Python loop in the same run: what the
   machine gave two processes at that moment.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from ntree.gym.env import (
    BAR_FIELDS,
    CHANNEL_FIELDS,
    DISCRETE_ACTIONS,
    INDICATOR_FIELDS,
    DiscreteActions,
    ReplayEnv,
)
from ntree.gym.episodes import EpisodePool, play_episode
from ntree.gym.policies import BandFadePolicy
from ntree.sources import SampleBarSource

DAY = "2024-08-05"
DAYS = "2024-08-01:2024-08-30"
POLICY = "ntree.gym.policies:BandFadePolicy"
MIN_RUN_S = 0.25  # each timed run repeats episodes for at least this long
OPEN_TARGET_MS = 3.0
WORKERS_TARGET = 1.6

INSTALL_HINT = {
    # gym-trading-env pins flask==2.2.5, which would downgrade ntree's Flask: no deps.
    "gym-trading-env": "pip install --no-deps gym-trading-env",
    "gym-anytrading": "pip install gym-anytrading",
}


def median_of_3(fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(3))


def repeat_steps(reset: Callable[[], None], play: Callable[[], int]) -> tuple[float, float, float]:
    """Return (steps/s of play alone, the same in CPU time, episodes/s with reset) over at
    least MIN_RUN_S of episodes. CPU time leaves out what other processes on the shared
    cores take; on an idle machine the two agree."""
    steps = episodes = 0
    play_s = play_cpu = total_s = 0.0
    while total_s < MIN_RUN_S:
        t0 = time.perf_counter()
        reset()
        t1, c1 = time.perf_counter(), time.process_time()
        steps += play()
        t2, c2 = time.perf_counter(), time.process_time()
        play_s += t2 - t1
        play_cpu += c2 - c1
        total_s += t2 - t0
        episodes += 1
    return steps / play_s, steps / play_cpu, episodes / total_s


def median_runs(reset: Callable[[], None], play: Callable[[], int]) -> tuple[float, ...]:
    """Return the median of each figure of :func:`repeat_steps` over 3 runs."""
    runs = [repeat_steps(reset, play) for _ in range(3)]
    return tuple(statistics.median(r[k] for r in runs) for k in range(3))


# --- ntree --------------------------------------------------------------------------------
def bench_ntree(source: SampleBarSource) -> tuple[float, float, float, int]:
    env = ReplayEnv("SPY", "5m", days=DAY, source=source)
    policy = BandFadePolicy()
    state: dict = {}

    def reset() -> None:
        state["obs"], _ = env.reset(seed=0)

    def play() -> int:
        obs, steps, done = state["obs"], 0, False
        while not done:
            obs, _, done, _, _ = env.step(policy.act(obs))
            steps += 1
        return steps

    reset()
    steps_per_day = play()  # warm: the window is prepared
    return (*median_runs(reset, play), steps_per_day)


def bench_ntree_random(source: SampleBarSource) -> tuple[float, ...]:
    """Return :func:`median_runs` for seeded random ``DiscreteActions`` (limits at the bands
    or the mid, flatten, cancel all, hold): random actions, as the other envs are given."""
    env = DiscreteActions(ReplayEnv("SPY", "5m", days=DAY, source=source))
    rng = np.random.default_rng(0)
    actions = [int(a) for a in rng.integers(len(DISCRETE_ACTIONS), size=200)]

    def play() -> int:
        steps, done = 0, False
        while not done:
            _, _, done, _, _ = env.step(actions[steps])
            steps += 1
        return steps

    env.reset(seed=0)
    play()  # warm: the window is prepared
    return median_runs(lambda: env.reset(seed=0), play)


def bench_open(source: SampleBarSource) -> tuple[float, float]:
    days = iter(["2024-08-06", "2024-08-07", "2024-08-08"])

    def cold() -> float:
        env = ReplayEnv("SPY", "5m", source=source)
        t0 = time.perf_counter()
        env.reset(seed=0, options={"day": next(days)})
        return time.perf_counter() - t0

    env = ReplayEnv("SPY", "5m", source=source)
    env.reset(seed=0, options={"day": "2024-08-09"})

    def prepared() -> float:
        t0 = time.perf_counter()
        env.reset(seed=0, options={"day": "2024-08-09"})
        return time.perf_counter() - t0

    return median_of_3(cold), median_of_3(prepared)


# --- the same bars for the other envs ------------------------------------------------------
def day_bars(source: SampleBarSource) -> pd.DataFrame:
    """Return the 5m display bars of DAY with ntree's observation columns (the same values
    ntree's env observes), history bars left out."""
    env = ReplayEnv("SPY", "5m", days=DAY, source=source)
    env.reset(seed=0)
    clock = env.session.clock
    disp = clock.disp.iloc[int(clock.codes[clock.i_start]) :]
    cols = dict.fromkeys((*BAR_FIELDS, *CHANNEL_FIELDS, *INDICATOR_FIELDS))
    return disp[list(cols)].fillna(0.0)


def bench_gym_trading_env(bars: pd.DataFrame) -> tuple[float, ...] | str:
    filters = warnings.filters[:]
    try:
        from gym_trading_env.environments import TradingEnv
    except ImportError:
        return f"not installed ({INSTALL_HINT['gym-trading-env']})"
    finally:
        warnings.filters[:] = filters  # it turns every warning into an error on import
    df = bars.rename(columns={c: f"feature_{c}" for c in bars.columns})
    df["close"], df["high"], df["low"] = bars["close"], bars["high"], bars["low"]
    df.index = df.index.tz_localize(None)
    env = TradingEnv(df=df, positions=[-1, 0, 1], trading_fees=0.0001, verbose=0)
    rng = np.random.default_rng(0)
    actions = [int(a) for a in rng.integers(3, size=len(df))]

    def play() -> int:
        steps, done = 0, False
        while not done:
            _, _, terminated, truncated, _ = env.step(actions[steps])
            steps += 1
            done = terminated or truncated
        return steps

    return median_runs(lambda: env.reset(seed=0), play)


def bench_gym_anytrading(bars: pd.DataFrame) -> tuple[float, ...] | str:
    try:
        from gym_anytrading.envs import StocksEnv
    except ImportError:
        return f"not installed ({INSTALL_HINT['gym-anytrading']})"
    df = bars.rename(columns={"close": "Close"})
    window = 10
    env = StocksEnv(df=df, window_size=window, frame_bound=(window, len(df)))
    rng = np.random.default_rng(0)
    actions = [int(a) for a in rng.integers(2, size=len(df))]

    def play() -> int:
        steps, done = 0, False
        while not done:
            _, _, terminated, truncated, _ = env.step(actions[steps])
            steps += 1
            done = terminated or truncated
        return steps

    return median_runs(lambda: env.reset(seed=0), play)


# --- workers -------------------------------------------------------------------------------
def bench_workers(
    source: SampleBarSource, episodes: int, workers: int
) -> tuple[float, float, float]:
    """Return (episodes/s on a warm persistent pool, CPU seconds per episode spent by the
    workers and this process, seconds to start and warm the pool)."""
    import psutil

    env_kwargs = {"symbol": "SPY", "disp_tf": "5m", "days": DAYS, "source": source}
    jobs = [(k, {}) for k in range(episodes)]
    t0 = time.perf_counter()
    with EpisodePool(env_kwargs, POLICY, workers=workers) as pool:
        for _ in range(2):  # warm: jobs go to whichever worker is free, so twice over
            assert len(list(pool.run(jobs))) == episodes  # each worker prepares its windows
        startup = time.perf_counter() - t0
        procs = [psutil.Process(pid) for pid in pool.pids()]
        me = os.getpid()

        def cpu() -> float:
            # This process counts once: as the local worker, or as the parent of the pool.
            total = sum(sum(p.cpu_times()[:2]) for p in procs if p.pid != me)
            return total + time.process_time()

        def run() -> tuple[float, float]:
            t0, c0 = time.perf_counter(), cpu()
            assert len(list(pool.run(jobs))) == episodes
            return time.perf_counter() - t0, cpu() - c0

        runs = [run() for _ in range(3)]
    wall = statistics.median(r[0] for r in runs)
    cpu_s = statistics.median(r[1] for r in runs)
    return episodes / wall, cpu_s / episodes, startup


def _spin(n: int) -> int:
    total = 0
    for k in range(n):
        total += k & 7
    return total


def machine_scaling(n: int = 3_000_000) -> float:
    """Return how much faster 2 processes run 4 fixed pure-Python loops than 1 does, now:
    the control for the workers' ratio (what the shared machine gives two processes)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")

    def timed(workers: int) -> float:
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            list(pool.map(_spin, [1000] * workers))  # started

            def run() -> float:
                t0 = time.perf_counter()
                list(pool.map(_spin, [n] * 4))
                return time.perf_counter() - t0

            return median_of_3(run)

    return timed(1) / timed(2)


def ratio(a: tuple[float, ...], b: tuple[float, ...] | str, k: int) -> str:
    return f"{a[k] / b[k]:.2f}x" if isinstance(b, tuple) else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=64, help="episodes per worker run")
    args = parser.parse_args()
    source = SampleBarSource()
    source.load("SPY")  # generate the sample once, untimed
    play_episode(ReplayEnv("SPY", days=DAY, source=source), BandFadePolicy(), seed=0)  # warm up
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")

    *ntree, steps = bench_ntree(source)
    print(
        f"ntree env, band-fade {DAY} 5m ({steps} steps): {ntree[0]:,.0f} steps/s "
        f"({ntree[1]:,.0f} per CPU second), {ntree[2]:.1f} episodes/s"
    )
    rand = bench_ntree_random(source)
    print(
        f"ntree env, random DiscreteActions, same day: {rand[0]:,.0f} steps/s "
        f"({rand[1]:,.0f} per CPU second)"
    )
    cold, prepared = bench_open(source)
    print(f"episode open: new window {cold * 1e3:.1f} ms, prepared window {prepared * 1e3:.2f} ms")
    bars = day_bars(source)
    others = {
        "gym-trading-env": bench_gym_trading_env(bars),
        "gym-anytrading": bench_gym_anytrading(bars),
    }
    for name, fig in others.items():
        shown = (
            f"{fig[0]:,.0f} steps/s ({fig[1]:,.0f} per CPU second)"
            if isinstance(fig, tuple)
            else fig
        )
        print(f"{name}, the same {len(bars)} bars, random actions: {shown}")
    one, cpu_one, start_one = bench_workers(source, args.episodes, 1)
    two, cpu_two, start_two = bench_workers(source, args.episodes, 2)
    print(
        f"{args.episodes} episodes on a warm pool: 1 worker {one:.1f} ep/s, 2 workers "
        f"{two:.1f} ep/s (start-up and warm-up runs apart: {start_one:.1f} s, {start_two:.1f} s)"
    )
    print(
        f"CPU per episode (workers + parent): 1 worker {cpu_one * 1e3:.2f} ms, 2 workers "
        f"{cpu_two * 1e3:.2f} ms: on two idle cores 2 workers could give at most "
        f"{2 * cpu_one / cpu_two:.2f}x"
    )
    control = machine_scaling()
    print(f"control: 2 processes / 1 on a pure-Python loop, now: {control:.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print("targets (wall clock; per CPU second in brackets):")
    for name, target in (("gym-trading-env", ">= 1x"), ("gym-anytrading", "no target")):
        shown = f"{ratio(ntree, others[name], 0)} ({ratio(ntree, others[name], 1)})"
        print(f"  ntree env (band-fade) / {name} steps/s: {shown} ({target})")
        shown = f"{ratio(rand, others[name], 0)} ({ratio(rand, others[name], 1)})"
        print(f"  ntree env (random actions) / {name} steps/s: {shown}")
    print(
        f"  episode open on a prepared window: {prepared * 1e3:.2f} ms "
        f"({prepared * 1e3 / OPEN_TARGET_MS:.2f} of the {OPEN_TARGET_MS:.0f} ms target)"
    )
    print(
        f"  2 workers / 1: {two / one:.2f}x (>= {WORKERS_TARGET}x; the CPU bound on idle "
        f"cores: {2 * cpu_one / cpu_two:.2f}x; the machine gave 2 processes {control:.2f}x)"
    )


if __name__ == "__main__":
    main()

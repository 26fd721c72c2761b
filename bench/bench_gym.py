"""Benchmark the bot environment: steps/s, episode open time, episodes/s with 1 and 2 workers.

Run ``PYTHONPATH=. python bench/bench_gym.py [--episodes N]`` from the repository root.
Bars: the bundled sample SPY
(``SampleBarSource``, generated once before timing); policy: ``BandFadePolicy`` (one
``replace_orders`` per bar), display frame 5m, so one trading day is 78 steps. Medians of 3.

1. ``steps/s``: ``env.step`` on 2024-08-05 (reset not included); ``episodes/s`` the same
   day with its reset.
2. ``open``: ``env.reset`` on a day never opened (loads the bars: here a slice of the
   in-memory sample, with SQL it is the SQL load) vs a prepared window (the env keeps the
   bars per symbol-day; the ``ReplaySession`` constructor still aggregates and computes
   the indicators, which the engine does not yet let a caller pass in).
3. ``workers``: N episodes (seeds 0..N-1, August 2024) through ``run_episodes`` with 1 and
   with 2 worker processes (spawn start-up included; the sessions come back pickled).
"""

from __future__ import annotations

import argparse
import statistics
import time

from ntree.gym.env import ReplayEnv
from ntree.gym.episodes import play_episode, run_episodes
from ntree.gym.policies import BandFadePolicy
from ntree.sources import SampleBarSource

DAY = "2024-08-05"
DAYS = "2024-08-01:2024-08-30"


def median_of_3(fn) -> float:
    return statistics.median(fn() for _ in range(3))


def bench_steps(source: SampleBarSource) -> tuple[float, float, int]:
    env = ReplayEnv("SPY", "5m", days=DAY, source=source)
    policy = BandFadePolicy()
    env.reset(seed=0)  # warm the prepared window

    def loop() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        obs, _ = env.reset(seed=0)
        t1 = time.perf_counter()
        steps, done = 0, False
        while not done:
            obs, _, done, _, _ = env.step(policy.act(obs))
            steps += 1
        t2 = time.perf_counter()
        return t2 - t1, t2 - t0, steps

    runs = [loop() for _ in range(3)]
    step_time = statistics.median(r[0] for r in runs)
    episode_time = statistics.median(r[1] for r in runs)
    return runs[0][2] / step_time, 1 / episode_time, runs[0][2]


def bench_open(source: SampleBarSource) -> tuple[float, float]:
    days = ["2024-08-06", "2024-08-07", "2024-08-08"]

    def cold() -> float:
        env = ReplayEnv("SPY", "5m", source=source)
        t0 = time.perf_counter()
        env.reset(seed=0, options={"day": days[0]})
        return time.perf_counter() - t0

    env = ReplayEnv("SPY", "5m", source=source)
    env.reset(seed=0, options={"day": days[1]})

    def prepared() -> float:
        t0 = time.perf_counter()
        env.reset(seed=0, options={"day": days[1]})
        return time.perf_counter() - t0

    return median_of_3(cold), median_of_3(prepared)


def bench_workers(source: SampleBarSource, episodes: int, workers: int) -> float:
    env_kwargs = {"symbol": "SPY", "disp_tf": "5m", "days": DAYS, "source": source}
    jobs = [(k, {}) for k in range(episodes)]
    policy = "ntree.gym.policies:BandFadePolicy"

    def run() -> float:
        t0 = time.perf_counter()
        done = list(run_episodes(env_kwargs, policy, jobs, workers=workers))
        assert len(done) == episodes
        return time.perf_counter() - t0

    return episodes / median_of_3(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=16, help="episodes per worker run")
    args = parser.parse_args()
    source = SampleBarSource()
    source.load("SPY")  # generate the sample once, untimed
    play_episode(ReplayEnv("SPY", days=DAY, source=source), BandFadePolicy(), seed=0)  # warm up

    steps_s, episodes_s, steps = bench_steps(source)
    print(f"env band-fade {DAY} 5m: {steps} steps, {steps_s:,.0f} steps/s, {episodes_s:.1f} ep/s")
    cold, prepared = bench_open(source)
    print(f"episode open: new window {cold * 1e3:.1f} ms, prepared window {prepared * 1e3:.1f} ms")
    one = bench_workers(source, args.episodes, 1)
    two = bench_workers(source, args.episodes, 2)
    print(
        f"{args.episodes} episodes: 1 worker {one:.1f} ep/s, 2 workers {two:.1f} ep/s "
        f"({two / one:.2f}x; spawn start-up included)"
    )


if __name__ == "__main__":
    main()

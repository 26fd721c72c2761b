"""Benchmark one display step through the service at day 1, 20 and 120 of a session, and
the snapshot bytes each command writes to the cache (not a test).

Each timed step is ``ReplayService.command("step", ...)``: the session lock, the log-head
check, the engine step, the SQLite event write and the snapshot write, as a request sees
it. A snapshot writes only the state that moves; the bars go once, as content-keyed blobs
(:mod:`ntree.snapshots`), so the cost should not grow with the session's length.

    python bench/bench_service_step.py [--steps 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAYS = (1, 20, 120)
BARS_PER_DAY = 78  # 5m display bars in a regular session


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ntree-bench-"))

    from ntree import db
    from ntree.seed import ensure_seeded
    from ntree.service import ReplayService

    engine = db.connect(f"sqlite:///{tmp / 'ntree.db'}")
    ensure_seeded(engine)
    svc = ReplayService.create(engine, tmp / "cache")
    written: list[int] = []
    real_set = svc.cache._cache.set

    def counting_set(key, value, *a, **kw):  # the bytes each command hands to diskcache
        written.append(len(value) if isinstance(value, bytes) else 0)
        return real_set(key, value, *a, **kw)

    svc.cache._cache.set = counting_set
    start = {"symbol": "SPY", "t_start": "2024-07-01", "t_end": "2024-12-31", "disp_tf": "5m"}
    sid = svc.start(start)["session_id"]
    at = 0
    print(f"{'day':>4} {'p50 ms':>8} {'p95 ms':>8} {'snapshot B/cmd':>15}")
    for day in DAYS:
        target = (day - 1) * BARS_PER_DAY
        while at < target:  # get there in requests of at most 10,000 steps
            n = min(target - at, 5_000)
            svc.command("step", {"session_id": sid, "disp_steps": n})
            at += n
        times = []
        written.clear()
        for _ in range(args.steps):
            t0 = time.perf_counter()
            svc.command("step", {"session_id": sid, "disp_steps": 1})
            times.append((time.perf_counter() - t0) * 1000)
        at += args.steps
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        per_cmd = sum(written) / args.steps
        print(f"{day:>4} {p50:>8.2f} {p95:>8.2f} {per_cmd:>15,.0f}")
    svc.cache.close()


if __name__ == "__main__":
    main()

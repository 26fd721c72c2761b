"""Benchmark the Coach: server time of ``svc.coach({})`` over ~1,000 closed trades (not a test).

Setup: a fresh seeded SQLite database; sessions of several SPY days at 5m, each trading a
bracketed market order of 100 (0.30 either side) every few bars, played through the service
until about 1,000 trades closed. Timed: ``coach()`` cold (the bundle LRU emptied first: every
log read and every session's display candles built from its 1m bars) and warm (the LRU
filled, as on a second look), median of 3.

    python bench/bench_coach.py [--trades 1000]
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

TARGET_MS = 300.0
DAYS = [("2024-07-08", "2024-07-19"), ("2024-07-22", "2024-08-02"), ("2024-08-05", "2024-08-16")]


def play(svc, t_start: str, t_end: str, want: int) -> int:
    """Trade a bracket every few bars until ``want`` trades closed or the data ends."""
    sid = svc.start({"symbol": "SPY", "t_start": t_start, "t_end": t_end, "disp_tf": "5m"})[
        "session_id"
    ]
    side, n = "BUY", 0
    view = svc.command("step", {"session_id": sid, "disp_steps": 2})
    while n < want and view["status"] != "ended":
        last, sign = view["last_price"], 1 if side == "BUY" else -1
        bracket = {"tp": round(last + sign * 0.30, 2), "sl": round(last - sign * 0.30, 2)}
        body = {"session_id": sid, "side": side, "type": "MARKET", "qty": 100, "bracket": bracket}
        view = svc.command("place", body)
        while view["status"] != "ended" and (view["position"]["qty"] or view["orders"]):
            view = svc.command("step", {"session_id": sid, "disp_steps": 1})
        n += 1
        side = "SELL" if side == "BUY" else "BUY"
        if view["status"] != "ended":
            view = svc.command("step", {"session_id": sid, "disp_steps": 1})
    if view["status"] != "ended":
        svc.command("end", {"session_id": sid})
    return n


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trades", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ntree-bench-coach-"))
    from ntree import db
    from ntree.seed import ensure_seeded
    from ntree.service import ReplayService

    engine = db.connect(f"sqlite:///{tmp / 'ntree.db'}")
    ensure_seeded(engine)
    svc = ReplayService.create(engine, tmp / "cache")
    t0 = time.perf_counter()
    played = k = 0
    while played < args.trades:
        t_start, t_end = DAYS[k % len(DAYS)]
        played += play(svc, t_start, t_end, args.trades - played)
        k += 1
    print(f"setup: {k} sessions, {played} trades played in {time.perf_counter() - t0:.0f} s")

    report = svc.coach({})
    print(f"coach: {report['n_sessions']} sessions, {report['n_trades']} closed trades")

    def cold() -> None:
        svc.coach_bundles = type(svc.coach_bundles)()
        svc.coach({})

    cold_ms = statistics.median(timed(cold) for _ in range(3))
    warm_ms = statistics.median(timed(lambda: svc.coach({})) for _ in range(3))
    timings = (("warm (bundles cached)", warm_ms), ("cold (candles from the 1m bars)", cold_ms))
    for name, ms in timings:
        verdict = "OK" if ms < TARGET_MS else "over"
        print(f"coach() {name}: {ms:.0f} ms median of 3 (target < {TARGET_MS:.0f} ms: {verdict})")
    svc.cache.close()


if __name__ == "__main__":
    main()

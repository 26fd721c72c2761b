"""Benchmark History on the server: one 100-row page at 10,000 sessions, before/after the index.

Run ``python bench/bench_history.py``. Inserts 10,000 synthetic session rows (no logs) into a
temp SQLite file at the newest schema, then prints the median of 3 runs of
``SessionStore.query_sessions`` (the first page, a deep page, a symbol filter, a PnL sort)
with History's indexes, and again with them dropped, against the 150 ms target.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ntree import db  # noqa: E402
from ntree.store import SessionStore  # noqa: E402

N_SESSIONS = 10_000
PAGE = 100
RUNS = 3
TARGET_MS = 150.0
INDEXES = ("ix_sessions_created", "ix_sessions_symbol_created")


def rows(n: int) -> list[dict]:
    symbols = ("SPY", "QQQ", "AAPL")
    return [
        {
            "session_id": f"{i:012x}",
            "symbol": symbols[i % 3],
            "exec_tf": "1m",
            "disp_tf": ("5m", "15m")[i % 2],
            "t_start": "2024-07-08T13:30:00Z",
            "t_end": "2024-07-08T20:00:00Z",
            "created_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "params": '{"seed":0}',
            "data_fingerprint": "0" * 64,
            "status": "ended" if i % 4 else "active",
            "result_pnl": float(i % 97 - 48),
            "num_trades": i % 9,
        }
        for i in range(n)
    ]


def median_ms(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(store: SessionStore) -> dict[str, float]:
    cases = {
        "first page (newest first)": lambda: store.query_sessions(0, PAGE),
        "page 50": lambda: store.query_sessions(50, PAGE),
        "symbol=SPY": lambda: store.query_sessions(0, PAGE, filters={"symbol": "SPY"}),
        "sort result_pnl": lambda: store.query_sessions(0, PAGE, sort=("result_pnl", "desc")),
    }
    store.query_sessions(0, PAGE)  # warm the page cache
    return {name: median_ms(fn) for name, fn in cases.items()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.connect(f"sqlite:///{Path(tmp) / 'history.db'}")
        with engine.begin() as conn:
            conn.execute(db.replay_sessions.insert(), rows(N_SESSIONS))
        store = SessionStore(engine)
        after = measure(store)
        with engine.begin() as conn:
            for name in INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {name}")
        before = measure(store)
        engine.dispose()
    print(f"History query, {PAGE}-row page at {N_SESSIONS:,} sessions (median of {RUNS}):")
    print(f"  {'query':<28}{'no index':>12}{'index':>12}")
    for name in after:
        print(f"  {name:<28}{before[name]:>9.2f} ms{after[name]:>9.2f} ms")
    worst = max(after.values())
    verdict = "OK" if worst < TARGET_MS else "SLOW"
    print(f"  worst with the index {worst:.2f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the data path: SQLite -> 1m bars -> display candles -> indicators.

Run ``python bench/bench_data.py``. Generates ~1 year of 1m bars into a temp SQLite file,
then prints the median of several runs for loading 100,000 1m bars and for aggregating
them to each display timeframe with indicators, against the 150 ms target for
load + 5m + indicators.
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
from ntree.engine.aggregate import aggregate  # noqa: E402
from ntree.engine.indicators import add_indicators  # noqa: E402
from ntree.engine.ticks import DISP_TFS  # noqa: E402
from ntree.seed import generate_bars  # noqa: E402
from ntree.sources import SqlBarSource  # noqa: E402

SYMBOL = "SPY"
START, END = "2023-12-01", "2024-12-31"  # ~13 months: > 100,000 minutes
N_LOAD = 100_000
RUNS = 9
TARGET_MS = 150.0
LOAD_TARGET_MS = 100.0


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    """Return the median wall time of ``fn`` in milliseconds over ``runs`` calls."""
    fn()  # warm-up: imports, caches, the SQLite page cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0 = time.perf_counter()
        bars = generate_bars(SYMBOL, START, END, seed=42)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        db.save_bars(engine, SYMBOL, bars)
        save_s = time.perf_counter() - t0
        print(f"generated {len(bars):,} 1m bars in {gen_s:.2f} s, saved in {save_s:.2f} s")

        start, end = bars.index[0], bars.index[N_LOAD]
        loaded = db.load_bars(engine, SYMBOL, start, end)
        assert len(loaded) == N_LOAD, len(loaded)

        load_ms = median_ms(lambda: db.load_bars(engine, SYMBOL, start, end))
        rate = N_LOAD / load_ms * 1000
        print(f"load {N_LOAD:,} 1m bars: {load_ms:7.1f} ms  ({rate:,.0f} rows/s)")
        # What a session pays: the store's bars, cut to the exchange's regular session.
        source = SqlBarSource(engine)
        source_ms = median_ms(lambda: source.load(SYMBOL, start, end))
        verdict = "OK" if source_ms < LOAD_TARGET_MS else "OVER TARGET"
        print(
            f"SqlBarSource.load {N_LOAD:,} 1m bars: {source_ms:7.1f} ms,"
            f" target < {LOAD_TARGET_MS:.0f} ms: {verdict}"
        )

        per_tf: dict[str, float] = {}
        for label, minutes in DISP_TFS.items():
            agg_ms = median_ms(lambda m=minutes: aggregate(loaded, m))
            disp = aggregate(loaded, minutes)
            ind_ms = median_ms(lambda d=disp: add_indicators(d))
            per_tf[label] = agg_ms + ind_ms
            print(
                f"{label:>4}: aggregate {agg_ms:6.1f} ms + indicators {ind_ms:5.1f} ms"
                f" = {agg_ms + ind_ms:6.1f} ms  ({len(disp):,} candles,"
                f" {N_LOAD / agg_ms * 1000:,.0f} 1m rows/s)"
            )

        end_to_end = median_ms(
            lambda: add_indicators(aggregate(db.load_bars(engine, SYMBOL, start, end), 5))
        )
        verdict = "OK" if end_to_end < TARGET_MS else "OVER TARGET"
        print(
            f"total load + 5m + indicators: {end_to_end:.1f} ms (sum of parts"
            f" {load_ms + per_tf['5m']:.1f} ms), target < {TARGET_MS:.0f} ms: {verdict}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()

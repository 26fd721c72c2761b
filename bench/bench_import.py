"""Benchmark real-data import: 1,000,000 1m rows from CSV and from Parquet, then a load.

Run ``python bench/bench_import.py``. Writes 1,000,000 clean 1m bars (about 10 years of
one symbol's regular sessions) to a CSV and a Parquet file in a temp folder, imports each
into a fresh SQLite file through ``ntree.ingest.files.import_files`` (every row checked,
one transaction), and loads 100,000 bars back with ``db.load_bars``. Targets: CSV import
>= 200,000 rows/s with validation; loading 100,000 bars < 100 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ntree import db, market  # noqa: E402
from ntree.ingest.files import import_files  # noqa: E402

N_ROWS = 1_000_000
N_LOAD = 100_000
CSV_TARGET = 200_000.0
LOAD_TARGET_MS = 100.0


def make_rows(n: int) -> pd.DataFrame:
    """Return n clean 1m bars on the NYSE regular sessions, prices on the 0.01 tick."""
    minutes = market.session_minutes("2010-01-04", "2024-12-31")[:n]
    rng = np.random.default_rng(1)
    close = np.round(100 + np.cumsum(rng.normal(0, 0.05, n)), 2)
    open_ = np.round(np.r_[close[0], close[:-1]], 2)
    high = np.round(np.maximum(open_, close) + rng.integers(0, 5, n) * 0.01, 2)
    low = np.round(np.minimum(open_, close) - rng.integers(0, 5, n) * 0.01, 2)
    return pd.DataFrame(
        {
            "timestamp": minutes.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.integers(100, 10_000, n),
        }
    )


def timed_import(folder: Path, path: Path, name: str) -> float:
    engine = db.connect(f"sqlite:///{folder / (name + '.db')}")
    t0 = time.perf_counter()
    report = import_files(engine, [path], "BENCH")
    seconds = time.perf_counter() - t0
    assert report.added == N_ROWS and not report.problems, report.lines()
    engine.dispose()
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = make_rows(N_ROWS)
        csv, parquet = folder / "bars.csv", folder / "bars.parquet"
        rows.to_csv(csv, index=False)
        rows.assign(timestamp=pd.to_datetime(rows["timestamp"], utc=True)).to_parquet(parquet)
        results = []
        for name, path in (("csv", csv), ("parquet", parquet)):
            seconds = timed_import(folder, path, name)
            results.append((name, N_ROWS / seconds, seconds))
        engine = db.connect(f"sqlite:///{folder / 'csv.db'}")
        first, end = (pd.Timestamp(rows["timestamp"].iloc[i]) for i in (0, N_LOAD))
        runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            loaded = db.load_bars(engine, "BENCH", first, end)
            runs.append((time.perf_counter() - t0) * 1000)
        assert len(loaded) == N_LOAD
        engine.dispose()
    print(f"{'step':<28}{'figure':>16}{'target':>16}")
    for name, rate, seconds in results:
        target = f">= {CSV_TARGET:,.0f}" if name == "csv" else "-"
        print(f"import 1,000,000 rows {name:<7}{rate:>12,.0f} r/s{target:>16}  ({seconds:.2f} s)")
    print(f"{'load 100,000 bars':<28}{statistics.median(runs):>13.1f} ms{'< 100 ms':>16}")


if __name__ == "__main__":
    main()

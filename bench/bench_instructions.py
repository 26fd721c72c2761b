"""Count the CPU instructions the engine spends per bar: a figure a busy machine can't blur.

Run ``python bench/bench_instructions.py [--bars N] [--against REF]``. It plays the engine
benchmark's workload (``bench/workload.py``: the 10-order ladder re-laid every 30m bar,
events encoded to canonical lines) under ``valgrind --tool=callgrind`` on N bars and on
N/10 bars and prints the difference per bar, so the interpreter's start-up and imports
cancel out (both runs make the same N bars, so what is counted is the session: setup,
stepping, fills, the log, and the bot; not the making of the bars). Wall-clock figures on a
shared machine swing by 20% from one run to the next; instruction counts repeat to 1 in
20,000, so this is the benchmark to compare two versions of the engine by.
``--against REF`` counts the same workload on the ntree package of another commit (checked
out in a temporary git worktree) and prints the ratio.

Needs valgrind (Debian: ``apt-get install valgrind``); it is not a dependency of ntree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BARS = 33_000


def child(n: int, total: int) -> None:
    """Make ``total`` bars and play the workload on the first ``n`` (run under callgrind by
    :func:`count`; making the same bars in both runs takes their cost out of the difference)."""
    from ntree.codec import event_line  # first: bench_engine puts this tree on sys.path

    sys.path.insert(0, str(HERE))
    import bench_engine
    import workload

    lines: list[str] = []
    bars = workload.make_bars(total).iloc[:n]
    bench_engine.run_engine(bars, lambda evs: lines.extend(map(event_line, evs)))


def count(n: int, total: int, package_root: Path) -> int:
    """Return the instructions callgrind counts for the workload on ``n`` of ``total`` bars,
    with the ``ntree`` package imported from ``package_root``."""
    # Repeatable: one hash seed, and no idle BLAS threads spinning into the count.
    env = {**os.environ, "PYTHONPATH": str(package_root), "PYTHONHASHSEED": "0"}
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    cmd = ["setarch", "-R", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    cmd += [sys.executable, str(Path(__file__).resolve()), "--child", str(n), str(total)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode or not found:
        sys.exit(f"callgrind run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def per_bar(n: int, package_root: Path) -> float:
    small = max(n // 10, 300)
    return (count(n, n, package_root) - count(small, n, package_root)) / (n - small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=DEFAULT_BARS)
    parser.add_argument("--against", metavar="REF", help="a git commit to compare with")
    parser.add_argument("--child", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")

    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"workload: bench/workload.py ladder, {args.bars:,} bars (minus {args.bars // 10:,})")
    here = per_bar(args.bars, ROOT)
    print(f"ntree {head or 'working tree'}: {here:,.0f} instructions per bar")
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "ref"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree)]
                + [args.against],
                check=True,
            )
            try:
                there = per_bar(args.bars, tree)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
        print(f"ntree {args.against}: {there:,.0f} instructions per bar")
        print(f"{head} / {args.against}: {here / there:.3f} (below 1: fewer instructions)")


if __name__ == "__main__":
    main()

"""Benchmark the replay engine headless, with its SQLite event log, and against backtesting.py.

Run ``python bench/bench_engine.py [--bars N]`` (default 1,000,000). It prints figures and the
four standing targets (engine >= 10x backtesting.py, engine >= 0.35x the hand-written ladder
loop, SQLite log <= 3x the engine-only time, peak RSS < 500 MB for 1M bars), each met or
missed; it is not a timed test and never fails on a miss.

Workload (``bench/workload.py``, shared with ``tests/test_backtesting_parity.py``):
synthetic 1m bars from ``numpy.random.default_rng(42)``, a geometric random walk from
100.00 on the 0.01 tick, 390 bars a weekday 09:30-16:00 New York (holidays not skipped);
display frame 30m, so a display bar is exactly 30 1m bars. The strategy steps one display
bar at a time; at each display close it cancels every working order and places 5 buy
limits at ``close - k * 0.10`` and 5 sell limits at ``close + k * 0.10`` (k = 1..5,
qty 10), live from the next bar: on ntree one ``replace_orders`` command (one logged
event per ladder). ntree runs with its default direction lock (on).

Measured, each kind in its own child process so peak RSS figures don't mix:

1. ``engine``: ntree's ReplaySession on N bars, headless (``advance``), events drained
   every step and encoded into an in-memory list of canonical lines
   (``ntree.codec.event_line``); median of 3 runs. ``engine-per-order`` re-lays the ladder
   as ``cancel_all`` plus ten ``place`` commands instead (twenty events), for context.
2. ``sqlite``: the same, the drained events appended every step, in one transaction, to
   ``replay_events`` in a temp SQLite file by ``ntree.store.SqlRecorder``; median of 3.
3. ``backtesting``: backtesting.py 0.6.6 on the first min(N, 100,000) bars with the same
   strategy (cash 10M, commission 0, ``exclusive_orders=False``, ``hedging=False``,
   ``trade_on_close=False``, ``finalize_trades=False``: open trades stay open and the
   final equity marks them at the last close, as ntree's end-of-session flatten does);
   median of 3. ``engine-slice`` runs ntree on that same slice (median of 3) for the speed
   ratio and cross-checks fills, position and PnL.
4. ``loop``: the leanest hand-written pure-Python loop for the workload (same fills and one
   log line per step, fill and ladder; no checks, order objects or portfolio metrics): the
   ceiling a pure-Python engine that logs everything can approach.

"Elapsed" is session setup (aggregation, indicators, fingerprint) plus the stepping loop;
bars/s is bars / elapsed. Generating the bars is not timed.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import orjson  # noqa: E402
import pandas as pd  # noqa: E402
import workload  # noqa: E402

from ntree.codec import event_line  # noqa: E402
from ntree.engine import Event, ReplaySession, SessionConfig  # noqa: E402
from ntree.engine.events import iso_utc  # noqa: E402

DEFAULT_BARS = 1_000_000
BT_BARS = 100_000
CASH = 10_000_000.0
RUNS = 3
# The standing targets (issue 10), each a ratio within one run, so a busy machine slows both
# sides alike; the old 1,000,000 bars/s and 30x backtesting.py targets are retired.
TARGET_VS_BT = 10.0  # engine >= 10x backtesting.py, on the same slice
TARGET_VS_LOOP = 0.35  # engine >= 0.35x the hand-written ladder loop
TARGET_SQLITE_RATIO = 3.0  # SQLite-logged run <= 3x the engine-only time
TARGET_RSS_MB = 500.0  # peak RSS < 500 MB for 1M bars
SESSION_ID = "bench"
OHLC = ("open", "high", "low", "close")


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(bars: pd.DataFrame, sink, per_order: bool = False, split: bool = False) -> dict:
    """Play the workload on ntree; ``sink(events)`` receives each step's drained events.

    The ladder is re-laid with one ``replace_orders`` command, or with ``per_order`` as
    ``cancel_all`` plus ten ``place`` commands (the same orders, fills and PnL). ``split``
    times the parts of the loop (its clock calls cost about 1%: not in the timed runs)."""
    config = SessionConfig(
        session_id=SESSION_ID,
        symbol="SYN",
        disp_tf=workload.DISP_TF,
        t_start=bars.index[0],
        t_end=bars.index[-1] + pd.Timedelta(minutes=1),
        initial_cash=CASH,
    )
    part = time.perf_counter if split else int  # int() is 0: no timing
    t0 = time.perf_counter()
    session = ReplaySession(config, bars)
    t1 = time.perf_counter()
    # Where the loop's time goes: the clock (bars walked, orders filled), the bot building
    # its ladder, the order commands, and the sink.
    spent = dict.fromkeys(("advance", "strategy", "commands", "sink"), 0.0)
    while not session.ended:
        a = part()
        session.advance(disp_steps=1)
        b = c = part()
        if session.ended:
            pass
        elif per_order:
            ladder = workload.ladder(session.last_price)
            c = part()
            session.cancel_all()
            for side, price in ladder:
                session.place(side, "LIMIT", workload.QTY, price)
        else:
            ladder = workload.ladder_orders(session.last_price)
            c = part()
            session.replace_orders(ladder)
        d = part()
        sink(session.drain_events())
        e = part()
        spent["advance"] += b - a
        spent["strategy"] += c - b
        spent["commands"] += d - c
        spent["sink"] += e - d
    t2 = time.perf_counter()
    fills = [f.to_dict() for f in session.fills if f.role != "session_end"]
    position = 0
    for f in session.fills:
        if f.role == "session_end":  # the end-of-data flatten gives the final position
            position = -f.qty if f.side == "BUY" else f.qty
    return {
        "setup_s": t1 - t0,
        "loop_s": t2 - t1,
        "spent_s": spent,
        "elapsed_s": t2 - t0,
        "fills": len(fills),
        "position": position,
        "pnl": session.summary()["pnl"],
        "fills_digest": sorted((f["ts_exec"], f["side"], f["price"]) for f in fills),
    }


def child_engine(bars: pd.DataFrame, runs: int, per_order: bool = False) -> dict:
    results = []
    for run in range(runs + 1):  # the last run times the loop's parts
        lines: list[str] = []

        def sink(events: list[Event], lines=lines) -> None:
            lines.extend(map(event_line, events))

        r = run_engine(bars, sink, per_order, split=run == runs)
        r["events"] = len(lines)
        r["event_mb"] = sum(map(len, lines)) / 1e6
        del lines
        if run == runs:
            split = r["spent_s"]
        else:
            results.append(r)
    med = median_run(results)
    med["runs_s"] = sorted(round(r["elapsed_s"], 3) for r in results)
    med["spent_s"] = split
    return med


def median_run(results: list[dict]) -> dict:
    """Return (a copy of) the run of median elapsed time."""
    return dict(sorted(results, key=lambda r: r["elapsed_s"])[len(results) // 2])


def child_sqlite(bars: pd.DataFrame, runs: int) -> dict:
    return median_run([sqlite_run(bars) for _ in range(runs)])


def sqlite_run(bars: pd.DataFrame) -> dict:
    from ntree import db
    from ntree.store import SqlRecorder

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        engine = db.connect(f"sqlite:///{path}")
        recorder = SqlRecorder(engine)

        count = [0]

        def sink(events: list[Event]) -> None:
            recorder.append(SESSION_ID, events)
            count[0] += len(events)

        r = run_engine(bars, sink)
        with engine.connect() as conn:
            stored = conn.execute(db.sa.select(db.sa.func.count()).select_from(db.replay_events))
            r["stored"] = stored.scalar_one()
        engine.dispose()
        r["events"] = count[0]
        r["db_mb"] = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    return r


def child_backtesting(bars: pd.DataFrame, runs: int) -> dict:
    times = []
    for _ in range(runs):  # the median, as for ntree: the ratio's two sides alike
        t0 = time.perf_counter()
        bt = workload.backtesting_run(bars, cash=CASH)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "trades remain open": on purpose, see docstring
            stats = bt.run()
        times.append(time.perf_counter() - t0)
    elapsed = sorted(times)[len(times) // 2]
    strategy = stats._strategy
    # Each trade is one order's 10 shares (hedging=False closes whole trades FIFO), so
    # every trade entry and every trade exit is one fill.
    iso = bars.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = []
    for t in [*strategy.closed_trades, *strategy.trades]:
        digest.append((iso[t.entry_bar], "BUY" if t.size > 0 else "SELL", t.entry_price))
        if t.exit_bar is not None:
            digest.append((iso[t.exit_bar], "SELL" if t.size > 0 else "BUY", t.exit_price))
    return {
        "elapsed_s": elapsed,
        "fills": len(digest),
        "position": strategy.position.size,
        "pnl": round(stats["Equity Final [$]"] - CASH, 6),
        "fills_digest": sorted(digest),
    }


def child_loop(bars: pd.DataFrame) -> dict:
    """The leanest hand-written pure-Python loop for this workload, as a ceiling: the same
    ladder, fills (direction lock included) and one canonical log line per step, fill and
    ladder, but no checks, no order objects, no MAE/MFE, drawdown or trades, no indicators."""
    o_, h_, l_, c_ = (memoryview(np.ascontiguousarray(bars[k].to_numpy())) for k in OHLC)
    ts = memoryview(bars.index.as_unit("ns").asi8)
    n, lines, seq, next_id, book, qty, avg = len(bars), [], 0, 0, [], 0, 0.0

    def log(t: int, etype: str, payload: dict) -> None:
        nonlocal seq
        seq += 1
        body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        lines.append(f"{seq}|{iso_utc(t)}|{iso_utc(t)}|{etype}|{body}")

    t0 = time.perf_counter()
    fills, i = 0, 0
    while i < n:
        target = min(i + workload.DISP_TF, n)
        log(ts[i], "STEP", {"cmd": {"op": "step", "args": {"disp_steps": 1}}})
        while i < target:
            lo_thr = max((p for _, side, p in book if side == 1), default=-math.inf)
            hi_thr = min((p for _, side, p in book if side == -1), default=math.inf)
            k = i
            while k < target and l_[k] > lo_thr and h_[k] < hi_thr:
                k += 1
            if k >= target:
                i = target
                break
            o, h, lo = o_[k], h_[k], l_[k]
            hit = []
            for order in book:
                oid, side, p = order
                if (lo <= p) if side == 1 else (h >= p):
                    hit.append((abs(p - o), oid, order, (min if side == 1 else max)(o, p)))
            hit.sort(key=lambda e: (e[0], e[1]))
            winner = hit[0][2][1]
            for _, oid, order, px in hit:
                if order[1] == winner:
                    book.remove(order)
                    fills += 1
                    realized = 0.0
                    if qty * winner >= 0:  # opening or adding
                        avg = (avg * abs(qty) + px * workload.QTY) / (abs(qty) + workload.QTY)
                    else:
                        realized = workload.QTY * (px - avg) * -winner
                    qty += workload.QTY * winner
                    avg = avg if qty else 0.0
                    fill = {"order_id": oid, "side": "BUY" if winner == 1 else "SELL"}
                    fill.update(qty=workload.QTY, price=px, role="entry", position_qty=qty)
                    fill.update(avg_price=round(avg, 6), realized_pnl=round(realized, 6))
                    log(ts[k], "FILL", fill)
            i = k + 1
        if i >= n:
            break
        orders = workload.ladder_orders(c_[i - 1])
        canceled, book = [order[0] for order in book], []
        for order in orders:
            next_id += 1
            book.append([next_id, 1 if order["side"] == "BUY" else -1, order["price"]])
        payload = {"cmd": {"op": "replace_orders", "args": {"orders": orders}}}
        ids = list(range(next_id - len(orders) + 1, next_id + 1))
        log(ts[i], "ORDERS_REPLACED", {**payload, "canceled": canceled, "order_ids": ids})
    elapsed = time.perf_counter() - t0
    return {"elapsed_s": elapsed, "fills": fills, "position": qty, "events": len(lines)}


def rss_mb() -> float:
    """Return this process's current resident set size in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def child(kind: str, n: int, runs: int) -> dict:
    bars = workload.make_bars(n)
    base = rss_mb()
    if kind == "engine":
        out = child_engine(bars, runs)
    elif kind == "engine-slice":
        out = child_engine(bars, runs)
    elif kind == "engine-per-order":
        out = child_engine(bars, runs, per_order=True)
    elif kind == "sqlite":
        out = child_sqlite(bars, runs)
    elif kind == "backtesting":
        out = child_backtesting(bars, runs)
    else:
        out = child_loop(bars)
    out.update(kind=kind, bars=n, rss_before_mb=base, peak_rss_mb=peak_rss_mb())
    return out


def spawn(kind: str, n: int, runs: int = 1) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    cmd = [sys.executable, __file__, "--child", kind, "--bars", str(n), "--runs", str(runs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def code_version() -> str:
    """Return the commit measured, flagged when the engine has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "ntree/engine"], capture_output=True, text=True
    )
    if head.returncode:
        return "unknown commit"
    return head.stdout.strip() + (" + uncommitted engine changes" if dirty.stdout.strip() else "")


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=DEFAULT_BARS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.bars, args.runs)))
        return

    n, n_bt = args.bars, min(args.bars, BT_BARS)
    print(
        f"workload: {n:,} 1m bars, 30m display, 10-order limit ladder every display bar"
        f" (ntree {code_version()}, Python {sys.version.split()[0]})"
    )
    # Interleaved rounds: each ratio compares two runs made minutes apart at most, so a
    # shared machine's load swings (up to 3x here) fall on both sides of it alike.
    sizes = {"engine": n, "loop": n, "sqlite": n, "backtesting": n_bt, "engine-slice": n_bt}
    rounds = [{kind: spawn(kind, size) for kind, size in sizes.items()} for _ in range(args.runs)]
    per_order = spawn("engine-per-order", n, 1)
    eng, sql, bt, eng_bt, loop = (
        median_run([r[kind] for r in rounds])
        for kind in ("engine", "sqlite", "backtesting", "engine-slice", "loop")
    )

    def paired(slow: str, fast: str) -> float:
        """Return the median over rounds of ``slow``'s time / ``fast``'s time."""
        ratios = sorted(r[slow]["elapsed_s"] / r[fast]["elapsed_s"] for r in rounds)
        return ratios[len(ratios) // 2]

    def line(name: str, r: dict, extra: str = "") -> None:
        bps = r["bars"] / r["elapsed_s"]
        print(
            f"{name:<28} {r['bars']:>9,} bars {r['elapsed_s']:8.3f} s {bps:>12,.0f} bars/s"
            f"  fills {r.get('fills', 0):>7,}  pos {r.get('position', 0):>6}"
            f"  pnl {r.get('pnl', 0.0):>12,.2f}  peak RSS {r['peak_rss_mb']:6.0f} MB{extra}"
        )

    print()
    line(
        f"ntree engine (median of {args.runs})",
        eng,
        f"  [setup {eng['setup_s']:.2f} s, loop {eng['loop_s']:.2f} s, "
        f"{eng['events']:,} events = {eng['event_mb']:.0f} MB of lines, runs {eng['runs_s']}]",
    )
    line(
        "ntree, cancel_all + 10 place",
        per_order,
        f"  [{per_order['events']:,} events = {per_order['event_mb']:.0f} MB of lines]",
    )
    line(
        f"ntree + SQLite event log ({args.runs})",
        sql,
        f"  [{sql['events']:,} events, {sql['stored']:,} rows, {sql['db_mb']:.0f} MB file]",
    )
    line(f"backtesting.py 0.6.6 ({args.runs})", bt)
    line(f"ntree engine, same slice ({args.runs})", eng_bt)
    loop_bps = loop["bars"] / loop["elapsed_s"]
    print(
        f"{'hand-written ladder loop':<28} {loop['bars']:>9,} bars {loop['elapsed_s']:8.3f} s "
        f"{loop_bps:>12,.0f} bars/s  fills {loop['fills']:>7,}  pos {loop['position']:>6}"
        f"  [{loop['events']:,} events; no checks, orders, MAE/drawdown or setup]"
    )

    eng_bps = n / eng["elapsed_s"]
    eng_loop_bps = n / eng["loop_s"]
    vs_bt = paired("backtesting", "engine-slice")
    sql_ratio = paired("sqlite", "engine")
    same = all(eng_bt[k] == bt[k] for k in ("fills", "position", "fills_digest"))
    same = same and abs(eng_bt["pnl"] - bt["pnl"]) < 1e-4
    vs_loop = 1 / paired("engine", "loop")
    print()
    print(f"engine-only bars/s   {eng_bps:>12,.0f}  (loop only {eng_loop_bps:,.0f})")
    print("standing targets (issue 10), each the median of the rounds' paired ratios:")
    rss_note = "" if n >= 1_000_000 else f" (measured on {n:,} bars; the target is for 1M)"
    targets = [
        (
            "engine / backtesting.py",
            f"{vs_bt:.2f}x",
            f">= {TARGET_VS_BT:.0f}x",
            vs_bt >= TARGET_VS_BT,
        ),
        (
            "engine / ladder loop",
            f"{vs_loop:.2f}x",
            f">= {TARGET_VS_LOOP:.2f}x",
            vs_loop >= TARGET_VS_LOOP,
        ),
        (
            "SQLite log / engine-only",
            f"{sql_ratio:.2f}x",
            f"<= {TARGET_SQLITE_RATIO:.0f}x",
            sql_ratio <= TARGET_SQLITE_RATIO,
        ),
        (
            "engine peak RSS",
            f"{eng['peak_rss_mb']:.0f} MB",
            f"< {TARGET_RSS_MB:.0f} MB",
            eng["peak_rss_mb"] < TARGET_RSS_MB,
        ),
    ]
    for name, value, target, ok in targets:
        print(f"  {name:<26} {value:>8}  target {target:<9} {verdict(ok)}")
    print(
        f"  (peak RSS before the session, interpreter + bars: {eng['rss_before_mb']:.0f} MB"
        f"{rss_note})"
    )
    spent = eng["spent_s"]
    print(
        f"engine time split    setup {eng['setup_s']:.2f} s · advance (bars, fills) "
        f"{spent['advance']:.2f} s · the bot's ladders {spent['strategy']:.2f} s · order "
        f"commands {spent['commands']:.2f} s · sink (canonical lines) {spent['sink']:.2f} s"
    )
    print(
        f"ntree vs backtesting.py on {n_bt:,} bars: fills, position, PnL "
        f"{'identical' if same else 'DIFFER'}"
    )


if __name__ == "__main__":
    main()

"""Benchmark the session detail page (``/history/<id>``) of a session of ~100,000 events.

Run ``python bench/bench_session_detail.py [--events 100000]``. Builds a fresh seeded SQLite
database and plays one long SPY session at 5m through the engine: at each 1-minute bar the
10-order ladder of ``bench/workload.py`` (qty 1, 0.20 apart) is re-laid (edits off the
display-bar boundary allowed) with one
``replace_orders`` and the session steps one 1m bar (~5 events a minute: STEP,
ORDERS_REPLACED, fills, direction locks), saved with ``SessionStore.save`` every 1,000 bars
and ended (~20,000 minutes: ~4,000 display bars).

Timed (median of 3): ``pages/session_log.layout(session_id=...)`` inside the Dash app's Flask
context (the service installed as the app installs it; the timeline's first page, read and drawn
as its callback does, is timed too), and the size of what Dash sends for the layout
(``json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder)``), against the targets
(< 500 ms, < 500 KB). ``BENCH_PROFILE=1`` adds a profile and the bytes of each part.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_MS = 500.0
TARGET_KB = 500.0
RUNS = 3


def build(engine, want: int) -> str:
    """Play the ladder session until it has ``want`` events; return its id."""
    from workload import ladder_orders

    from ntree.engine.commands import End, ReplaceOrders, Step
    from ntree.runner import open_session
    from ntree.store import SessionStore

    store = SessionStore(engine)
    s = open_session(engine, "SPY", "2024-07-01", "2024-12-31", "5m", edit_on_disp_boundary=False)
    n_events, bar = 0, 0
    while n_events < want and s.state()["status"] != "ended":
        orders = [{**o, "qty": 1} for o in ladder_orders(s.state()["last_price"], 0.2)]
        s.execute(ReplaceOrders(orders=orders))
        s.execute(Step(exec_steps=1))
        bar += 1
        if bar % 1_000 == 0:
            n_events += len(store.save(s))
    s.execute(End())
    n_events += len(store.save(s))
    print(f"setup: {bar:,} minutes, {n_events:,} events, session {s.config.session_id}")
    return s.config.session_id


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ntree-bench-detail-"))
    os.environ["NTREE_DB_URL"] = f"sqlite:///{tmp / 'ntree.db'}"
    os.environ["NTREE_CACHE_DIR"] = str(tmp / "cache")
    from ntree import db
    from ntree.seed import ensure_seeded

    engine = db.connect(os.environ["NTREE_DB_URL"])
    ensure_seeded(engine)
    t0 = time.perf_counter()
    sid = build(engine, args.events)
    print(f"setup took {time.perf_counter() - t0:.0f} s")

    import plotly.utils

    import app as app_module
    from ntree.ui import review
    from ntree.ui.service import service
    from ntree.ui.tables import log_events_table
    from pages import session_log

    server = app_module.app.server
    times, sizes, page_times = [], [], []
    with server.app_context():
        for _ in range(RUNS):
            # Each run is a first look: the page reads the log and bars, never the cache.
            t0 = time.perf_counter()
            layout = session_log.layout(session_id=sid)
            body = json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder)
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(body.encode()) / 1024)
            t0 = time.perf_counter()
            found = service().event_page(sid, page=0, page_size=review.EVENTS_PAGE_SIZE)
            json.dumps(log_events_table(found["events"]), cls=plotly.utils.PlotlyJSONEncoder)
            page_times.append((time.perf_counter() - t0) * 1000)
    print("runs: " + ", ".join(f"{t:,.0f} ms" for t in times))
    ms, kb = statistics.median(times), statistics.median(sizes)
    verdict = "OK" if ms < TARGET_MS else "OVER"
    print(f"layout + JSON: {ms:,.0f} ms (target < {TARGET_MS:.0f}) {verdict}")
    print(f"sent: {kb:,.0f} KB (target < {TARGET_KB:.0f}) {'OK' if kb < TARGET_KB else 'OVER'}")
    print(f"timeline page callback: {statistics.median(page_times):,.0f} ms")
    if os.environ.get("BENCH_PROFILE"):  # where the time and bytes go
        import cProfile
        import pstats

        with server.app_context():
            cProfile.runctx("session_log.layout(session_id=sid)", globals(), locals(), "/tmp/p")
            pstats.Stats("/tmp/p").sort_stats("tottime").print_stats(25)
            layout = session_log.layout(session_id=sid).to_plotly_json()
            for child in layout["props"]["children"]:
                kb = len(json.dumps(child, cls=plotly.utils.PlotlyJSONEncoder)) / 1024
                print(f"{kb:8.0f} KB  {getattr(child, '_type', type(child).__name__)}")
    return 0 if ms < TARGET_MS and kb < TARGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())

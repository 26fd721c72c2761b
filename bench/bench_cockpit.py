"""Benchmark one cockpit tick: server time and bytes sent to the browser (not a test).

Setup: a 5m session on 8 weeks of SPY with 500 candles on screen and 20 working orders.
Each tick is the real Dash callback request (the interval firing) sent through Flask's test
client, so the time includes the service, the diskcache round trip, the SQLite event write
and the Patch; the bytes are the JSON response body the browser receives.

    python bench/bench_cockpit.py [--ticks 200]
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

WINDOW = 500


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ntree-bench-"))
    os.environ["NTREE_DB_URL"] = f"sqlite:///{tmp / 'ntree.db'}"
    os.environ["NTREE_CACHE_DIR"] = str(tmp / "cache")

    from ntree.ui import figures, ids

    figures.DEFAULT_WINDOW = WINDOW  # 500 candles on screen
    import app as app_module
    from ntree.service import ReplayService

    client = app_module.server.test_client()
    svc: ReplayService = app_module.server.extensions["ntree"]
    res = svc.start(
        {
            "symbol": "SPY",
            "t_start": "2024-09-03",
            "t_end": "2024-10-31",
            "disp_tf": "5m",
            "speed": 60,
        }
    )
    sid = res["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 520})
    px = svc.state({"session_id": sid})["last_price"]
    for k in range(10):  # 20 working orders far from the market
        svc.command(
            "place",
            {
                "session_id": sid,
                "side": "BUY",
                "type": "LIMIT",
                "qty": 10,
                "price": round(px - 20 - k, 2),
            },
        )
        svc.command(
            "place",
            {
                "session_id": sid,
                "side": "SELL",
                "type": "LIMIT",
                "qty": 10,
                "price": round(px + 20 + k, 2),
            },
        )

    # The cockpit's callback as the browser sends it: build the request once from the app's
    # callback map, then fire the interval input ``ticks`` times.
    from ntree.ui.cockpit import Action, handle

    first = handle(svc, sid, None, Action("init"), window=WINDOW)
    assert first.meta["n"] == WINDOW, first.meta
    meta = first.meta
    client.get("/")  # the first request registers the pages' callbacks
    cb_key = next(
        k for k in app_module.app.callback_map if ids.CHART_META in k and ids.SESSION_ID in k
    )
    cb = app_module.app.callback_map[cb_key]
    inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in cb["inputs"]]
    for i in inputs:
        if i["id"] == ids.TICKER:
            i["value"] = 0
    states_spec = cb["state"]
    outputs = cb_key

    def state_values(meta):
        vals = {
            ids.SESSION_ID: sid,
            ids.CHART_META: meta,
            ids.AUTO_PAUSE: True,
            ids.STEP_N_COUNT: 10,
        }
        return [
            {"id": s["id"], "property": s["property"], "value": vals.get(s["id"])}
            for s in states_spec
        ]

    times, sizes = [], []
    for t in range(args.ticks):
        for i in inputs:
            if i["id"] == ids.TICKER:
                i["value"] = t + 1
        body = {
            "output": outputs,
            "outputs": [
                {"id": o.split(".")[0], "property": o.split(".")[1]}
                for o in outputs.strip(".").split("...")
            ],
            "inputs": inputs,
            "changedPropIds": [f"{ids.TICKER}.n_intervals"],
            "state": state_values(meta),
        }
        t0 = time.perf_counter()
        r = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.data[:500]
        sizes.append(len(r.data))
        resp = r.get_json()["response"]
        meta = resp[ids.CHART_META]["data"]
    q = statistics.quantiles(times, n=100)
    print(f"ticks={args.ticks} candles_on_screen={WINDOW} working_orders=20")
    print(f"server time per tick: p50={q[49]:.1f} ms  p95={q[94]:.1f} ms  max={max(times):.1f} ms")
    print(
        f"bytes to browser per tick: p50={int(statistics.median(sizes))}  "
        f"p95={int(statistics.quantiles(sizes, n=100)[94])}  max={max(sizes)}"
    )
    full = len(
        json.dumps(
            figures.build_figure(
                svc.candles({"session_id": sid, "n": WINDOW})["candles"], [], {}, [], 5
            )
        )
    )
    print(f"(a full figure of {WINDOW} candles would be {full} bytes)")


if __name__ == "__main__":
    main()

"""The cockpit chart builder: what a trader sees, checked without a browser."""

from __future__ import annotations

import pandas as pd

from ntree.ui import figures


def candle(ts: str, vwap: float) -> dict:
    return {
        "ts": ts,
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": 1.5,
        "volume": 10,
        "vwap": vwap,
    }


def vwap_ops(patch) -> list[dict]:
    i = figures.TRACE["vwap"]
    return [o for o in patch.to_plotly_json()["operations"] if o["location"][:2] == ["data", i]]


def test_vwap_line_breaks_where_a_new_session_starts_in_a_full_figure() -> None:
    candles = [
        candle("2024-12-30T20:50:00Z", 5.0),
        candle("2024-12-30T20:55:00Z", 5.0),
        candle("2024-12-31T14:30:00Z", 2.0),  # 09:30 New York: VWAP restarts
        candle("2024-12-31T14:35:00Z", 2.0),
    ]
    fig = figures.build_figure(candles, [], {}, [], 5)

    assert fig["data"][figures.TRACE["vwap"]]["y"] == [5.0, 5.0, None, 2.0]


def test_vwap_break_survives_the_next_incremental_patch() -> None:
    history = [candle("2024-12-30T20:50:00Z", 5.0), candle("2024-12-30T20:55:00Z", 5.0)]
    meta = figures.meta_for("s", "5m", history, [], [], {})
    p1, meta = figures.patch_figure(
        meta, [history[-1], candle("2024-12-31T14:30:00Z", 2.0)], [], {}, []
    )
    assert {
        "operation": "Extend",
        "location": ["data", figures.TRACE["vwap"], "y"],
        "params": {"value": [None]},
    } in vwap_ops(p1)

    p2, meta = figures.patch_figure(
        meta,
        [candle("2024-12-31T14:30:00Z", 2.0), candle("2024-12-31T14:35:00Z", 2.0)],
        [],
        {},
        [],
    )

    assigned = [o for o in vwap_ops(p2) if o["operation"] == "Assign"]
    assert [o["params"]["value"] for o in assigned] == [None]  # not overwritten by 2.0
    assert meta["vwap_break"] is False


def test_live_edge_shows_a_readable_window_of_candles() -> None:
    times = pd.date_range("2024-12-02 14:30", periods=300, freq="5min", tz="UTC")
    candles = [candle(t.strftime("%Y-%m-%dT%H:%M:%SZ"), 1.0) for t in times]
    fig = figures.build_figure(candles, [], {}, [], 5)

    assert len(candles) > figures.VISIBLE_BARS
    lo, hi = fig["layout"]["xaxis"]["range"]
    assert hi - lo <= figures.VISIBLE_BARS + 2
    assert len(fig["data"][0]["x"]) == len(candles)  # the rest stays loaded for panning back

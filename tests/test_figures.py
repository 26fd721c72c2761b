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


def day_candles(n: int) -> list[dict]:
    """``n`` consecutive 5m candles from 09:30 New York on 2024-12-31 (enough for 78)."""
    start = pd.Timestamp("2024-12-31T14:30:00Z")
    return [candle((start + pd.Timedelta(minutes=5 * i)).isoformat(), 1.0) for i in range(n)]


def layout_ops(patch) -> dict[str, object]:
    return {
        ".".join(map(str, o["location"][1:])): o["params"]["value"]
        for o in patch.to_plotly_json()["operations"]
        if o["location"][0] == "layout"
    }


def pan(x0: float, x1: float) -> dict:
    return {"xaxis.range[0]": x0, "xaxis.range[1]": x1, "yaxis.range[0]": 0, "yaxis.range[1]": 3}


def test_new_candles_move_the_view_while_it_is_at_the_live_edge() -> None:
    candles = day_candles(40)
    meta = figures.meta_for("s", "5m", candles[:39], [], [], {})

    p, meta = figures.patch_figure(figures.follow_view(meta, None), candles[-2:], [], {}, [])

    ops = layout_ops(p)
    assert ops["xaxis.range"] == figures._x_range(40, figures.DEFAULT_WINDOW)
    assert "yaxis.range" in ops
    assert meta["follow"] is True


def test_panned_back_view_stays_put_while_candles_keep_coming() -> None:
    candles = day_candles(42)
    meta = figures.meta_for("s", "5m", candles[:40], [], [], {})
    meta = figures.follow_view(meta, pan(5.2, 20.2))  # the trader studies earlier candles

    p, meta = figures.patch_figure(meta, candles[-3:], [], {}, [])

    assert meta["follow"] is False
    assert meta["n"] == 42
    assert layout_ops(p) == {}  # candles appended, ranges untouched
    assert p.to_plotly_json()["operations"]  # ... but the candles were sent


def test_zoom_that_keeps_the_last_candle_in_view_follows_with_the_same_width() -> None:
    candles = day_candles(41)
    meta = figures.meta_for("s", "5m", candles[:40], [], [], {})
    meta = figures.follow_view(meta, pan(19.5, 41.5))  # zoomed in at the edge

    p, meta = figures.patch_figure(meta, candles[-2:], [], {}, [])

    assert layout_ops(p)["xaxis.range"] == [20.5, 42.5]
    assert meta["follow"] is True


def test_a_relayout_already_seen_does_not_stop_following_again() -> None:
    candles = day_candles(45)
    meta = figures.meta_for("s", "5m", candles[:40], [], [], {})
    away = pan(5.0, 20.0)
    meta = figures.follow_view(meta, away)
    p, meta = figures.patch_figure(meta, candles[39:41], [], {}, [], live=True)  # "⇥ Live"

    ops = layout_ops(p)
    assert ops["xaxis.range"] == figures._x_range(41, figures.DEFAULT_WINDOW)
    assert ops["xaxis.uirevision"] == ops["yaxis.uirevision"] != "keep"  # drops the pan
    # the graph still reports the old pan on the next tick: it must not count twice
    p, meta = figures.patch_figure(figures.follow_view(meta, away), candles[40:42], [], {}, [])
    assert meta["follow"] is True
    assert "xaxis.range" in layout_ops(p)


def test_resize_or_autorange_events_keep_or_resume_following() -> None:
    candles = day_candles(40)
    meta = figures.meta_for("s", "5m", candles, [], [], {})
    away = figures.follow_view(meta, pan(1.0, 10.0))

    assert figures.follow_view(away, {"autosize": True})["follow"] is False
    back = figures.follow_view(away, {"xaxis.autorange": True, "yaxis.autorange": True})
    assert back["follow"] is True
    assert back["xr"] == figures._x_range(40, figures.DEFAULT_WINDOW)


def test_rebuild_that_trims_old_candles_keeps_the_traders_place() -> None:
    candles = day_candles(60)
    meta = figures.meta_for("s", "5m", candles[:50], [], [], {})
    meta = figures.follow_view(meta, pan(10.0, 30.0))  # candles 10..30 in view

    view = figures.carry_view(meta, candles[20:], "s", "5m")  # trimmed by 20, 10 new

    assert view == {"follow": False, "xr": [-10.0, 10.0]}  # the same candles: 10..30
    assert figures.carry_view(meta, candles[20:], "s", "15m") is None  # a new chart
    fig = figures.build_figure(candles[20:], [], {}, [], 5, x_range=view["xr"])
    assert fig["layout"]["xaxis"]["range"] == [-10.0, 10.0]

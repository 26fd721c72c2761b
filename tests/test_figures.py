"""The cockpit chart builder: what a trader sees, checked without a browser."""

from __future__ import annotations

import re

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
    assert hi - lo <= figures.VISIBLE_BARS + figures.RIGHT_ROOM
    assert hi >= len(candles) - 0.5 + figures.RIGHT_ROOM  # room for the labels, right
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
    ops = layout_ops(p)
    assert not [k for k in ops if "range" in k]  # candles appended, ranges untouched
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


ORDERS = [
    {"order_id": 1, "side": "BUY", "type": "LIMIT", "qty": 10, "price": 100.0},
    {"order_id": 2, "side": "SELL", "type": "MARKET", "qty": 10, "price": None},  # no line
    {"order_id": 3, "side": "SELL", "type": "STOP", "qty": 10, "price": 98.5},
]
LONG = {"qty": 10, "avg_price": 99.0}


def drop(index: int, y: float) -> dict:
    """The relayoutData of a shape moved by the trader (plotly sends both ends)."""
    return {f"shapes[{index}].x0": 0.04, f"shapes[{index}].x1": 1.04} | {
        f"shapes[{index}].y0": y,
        f"shapes[{index}].y1": y,
    }


def test_only_working_order_lines_are_draggable_not_the_average_price() -> None:
    shapes, _ = figures.order_overlays(ORDERS, LONG)

    assert [s.get("editable", False) for s in shapes] == [True, True, False]
    assert figures.meta_for("s", "5m", day_candles(3), [], ORDERS, LONG)["lines"] == [1, 3]


def test_dropped_line_maps_its_shape_index_to_the_order_at_a_price_on_the_tick() -> None:
    meta = figures.meta_for("s", "5m", day_candles(3), [], ORDERS, LONG)

    assert figures.dropped_order(drop(1, 97.23661), meta) == (3, 97.24)
    assert figures.dropped_order(drop(0, 100.004999), meta) == (1, 100.0)
    # an end dragged on its own: its new height is the price
    assert figures.dropped_order({"shapes[0].x0": 0.1, "shapes[0].y0": 101.0}, meta) == (1, 101.0)


def test_a_drop_of_the_average_price_line_or_a_pan_is_no_order_move() -> None:
    meta = figures.meta_for("s", "5m", day_candles(3), [], ORDERS, LONG)

    assert figures.dropped_order(drop(2, 99.5), meta) == (None, 99.5)  # the AVG line
    assert figures.dropped_order(drop(7, 99.5), meta) == (None, 99.5)  # a shape gone since
    assert figures.dropped_order(pan(1.0, 9.0), meta) is None
    assert figures.dropped_order({"shapes": []}, meta) is None
    assert figures.dropped_order(None, meta) is None


def test_a_refused_drop_redraws_the_line_at_the_orders_price() -> None:
    candles = day_candles(3)
    meta = figures.meta_for("s", "5m", candles, [], ORDERS, LONG)

    p, _ = figures.patch_figure(meta, candles[-1:], ORDERS, LONG, [], reset_lines=True)

    shapes = layout_ops(p)["shapes"]
    assert [s["y0"] for s in shapes] == [100.0, 98.5, 99.0]  # where the engine has them
    assert "annotations" in layout_ops(p)
    p, _ = figures.patch_figure(meta, candles[-1:], ORDERS, LONG, [])
    assert "shapes" not in layout_ops(p)  # a plain tick does not resend unchanged lines


def test_a_line_drag_is_not_a_pan_the_view_keeps_following() -> None:
    meta = figures.meta_for("s", "5m", day_candles(40), [], ORDERS, {})

    after = figures.follow_view(meta, drop(0, 101.0))

    assert after["follow"] is True and after["xr"] == meta["xr"]


def test_a_pending_bracket_shows_as_fixed_dashed_lines_until_its_parent_fills() -> None:
    entry = {"order_id": 7, "side": "BUY", "type": "LIMIT", "qty": 10, "price": 100.0}
    absolute = {**entry, "bracket": {"tp": 101.5, "sl": 99.25}}
    by_offset = {**entry, "bracket": {"tp_offset": 1.0, "sl_offset": 0.5}}

    for order, legs in ((absolute, [101.5, 99.25]), (by_offset, [101.0, 99.5])):
        shapes, notes = figures.order_overlays([order], {"qty": 0})
        entry_line, *pending = shapes
        assert entry_line["editable"] is True
        assert [s["y0"] for s in pending] == legs
        assert all(s["line"]["dash"] == "dash" and "editable" not in s for s in pending)
        assert all("pending, #7" in n["text"] for n in notes[1:])
    # the price range shows the pending legs near the candles, like the order lines
    candles = [{"ts": "2024-07-08T13:30:00Z", "low": 99.6, "high": 100.4}]
    assert figures.y_range(candles, [absolute], {"qty": 0})[0] < 99.25
    # a market entry's offsets have no price before the fill: nothing to draw
    market = {**by_offset, "type": "MARKET", "price": None}
    assert figures.order_overlays([market], {"qty": 0}) == ([], [])


def regime_candle(ts: str, slope: float | None, close: float = 1.5) -> dict:
    return {**candle(ts, 1.0), "close": close, "ch_slope": slope, "atr14": 1.0}


def test_last_price_tag_sits_on_the_axis_at_the_last_close_coloured_by_its_direction() -> None:
    candles = day_candles(3)
    candles[-1] = {**candles[-1], "open": 2.0, "close": 1.25}  # closed down
    fig = figures.build_figure(candles, [], {}, [], 5)

    tag = fig["layout"]["annotations"][figures.LAST_TAG]
    assert (tag["xref"], tag["x"], tag["xanchor"]) == ("paper", 1.0, "left")  # the margin
    assert (tag["y"], tag["text"], tag["bgcolor"]) == (1.25, "1.25", figures.SELL_COLOR)
    assert figures.build_figure([], [], {}, [], 5)["layout"]["annotations"][0]["visible"] is False


def test_the_last_price_tag_follows_a_new_close_in_the_patch() -> None:
    candles = day_candles(4)
    meta = figures.meta_for("s", "5m", candles[:3], [], [], {})
    moved = [candles[2], {**candles[3], "close": 1.75}]

    p, meta = figures.patch_figure(meta, moved, [], {}, [])

    ops = layout_ops(p)
    assert ops["annotations.0.y"] == 1.75 and ops["annotations.0.text"] == "1.75"
    p, _ = figures.patch_figure(meta, moved[1:], [], {}, [])
    assert "annotations.0.y" not in layout_ops(p)  # unchanged: not sent again


def test_a_session_open_draws_a_separator_line_in_the_figure_and_in_a_patch() -> None:
    candles = [
        candle("2024-12-30T20:50:00Z", 5.0),
        candle("2024-12-30T20:55:00Z", 5.0),
        candle("2024-12-31T14:30:00Z", 2.0),  # 09:30 New York: a new session
        candle("2024-12-31T14:35:00Z", 2.0),
    ]
    fig = figures.build_figure(candles, [], {}, [], 5)
    assert fig["data"][figures.TRACE["sessions"]]["y"] == [None, None, 1.0, None]
    assert fig["data"][figures.TRACE["sessions"]]["yaxis"] == "y3"  # the hidden 0..1 axis

    meta = figures.meta_for("s", "5m", candles[:2], [], [], {})
    p, meta = figures.patch_figure(meta, candles[1:3], [], {}, [])
    p, meta = figures.patch_figure(meta, candles[2:4], [], {}, [])  # the open is now "last"
    i = figures.TRACE["sessions"]
    ops = [o for o in p.to_plotly_json()["operations"] if o["location"][:3] == ["data", i, "y"]]
    assert [o["params"]["value"] for o in ops] == [1.0, [None]]  # kept, then the next bar


def test_stand_down_bars_are_shaded_and_the_badge_names_the_last_completed_regime() -> None:
    t = pd.Timestamp("2024-12-31T14:30:00Z")
    ts = [(t + pd.Timedelta(minutes=5 * i)).isoformat() for i in range(4)]
    candles = [
        regime_candle(ts[0], None),  # warming up
        regime_candle(ts[1], 0.05),  # range: |slope| / ATR < 0.10
        regime_candle(ts[2], -0.4),  # trend: stand down
        {**regime_candle(ts[3], None), "forming": True},  # no indicators yet
    ]
    fig = figures.build_figure(candles, [], {}, [], 5)

    assert fig["data"][figures.TRACE["stand_down"]]["y"] == [None, None, 1.0, None]
    badge = fig["layout"]["annotations"][figures.REGIME_TAG]
    assert badge["text"] == "TREND · stand down"
    assert figures.regime_badge(candles[:2])["text"] == "RANGE"
    assert figures.regime_badge(candles[:1])["text"] == "regime: warming up"


def test_order_labels_at_one_price_stack_instead_of_covering_each_other() -> None:
    orders = [
        {"order_id": 1, "side": "BUY", "type": "LIMIT", "qty": 10, "price": 100.0},
        {"order_id": 2, "side": "BUY", "type": "LIMIT", "qty": 5, "price": 100.0},
        {"order_id": 3, "side": "SELL", "type": "LIMIT", "qty": 5, "price": 103.0},
    ]
    _, notes = figures.order_overlays(orders, {"qty": 10, "avg_price": 100.01}, near=0.5)

    assert all(n["x"] == 1.0 and n["xanchor"] == "right" for n in notes)  # the right edge
    shifts = {n["text"].split("#")[-1] if "#" in n["text"] else "avg": n["yshift"] for n in notes}
    assert sorted([shifts["1"], shifts["2"], shifts["avg"]]) == [0, 13, 26]  # one each
    assert shifts["3"] == 0  # far from the others: on its line


def test_a_label_pushed_up_never_lands_on_the_next_one_up() -> None:
    # seen in the cockpit: SL 200.42, AVG 200.82, TP 201.62 with labels 0.57 high: the AVG
    # label, pushed off the SL's, was drawn on the TP's (the TP was "far" from the AVG line)
    notes = [{"y": y, "text": t} for y, t in ((201.62, "tp"), (200.42, "sl"), (200.82, "avg"))]
    near = 0.57

    out = figures.stack_labels(notes, near)

    spans = sorted(
        (n["y"] + n["yshift"] / figures.LABEL_PX * near, n["text"]) for n in out
    )  # (bottom edge in price, label), bottom up
    assert [t for _, t in spans] == ["sl", "avg", "tp"]
    for (low, _), (high, _) in zip(spans, spans[1:], strict=False):
        assert high - low >= near - 0.01  # clear of the one below (to a rounded pixel)
    assert {n["text"]: n["yshift"] for n in out}["sl"] == 0  # the lowest stays on its line


def test_fill_marks_sit_beside_their_candle_buys_left_sells_right() -> None:
    candles = day_candles(3)
    fills = [
        {"ts_exec": candles[1]["ts"], "side": "BUY", "qty": 10, "price": 1.2},
        {"ts_exec": candles[2]["ts"], "side": "SELL", "qty": -10, "price": 1.4},
    ]
    fig = figures.build_figure(candles, [], {}, fills, 5)

    marks = [s for s in fig["layout"]["shapes"] if s["type"] == "path"]
    assert [(m["xanchor"], m["yanchor"]) for m in marks] == [
        (figures.label(candles[1]["ts"]), 1.2),
        (figures.label(candles[2]["ts"]), 1.4),
    ]
    assert all(m["xsizemode"] == m["ysizemode"] == "pixel" for m in marks)
    xs = [[float(v) for v in re.findall(r"-?\d+", m["path"])[::2]] for m in marks]
    assert max(xs[0]) < 0 < min(xs[1])  # left of the buy's candle, right of the sell's
    # the markers on the candles only answer the hover (one unified box with OHLCV)
    assert fig["data"][figures.TRACE["fills_buy"]]["marker"]["opacity"] == 0
    assert fig["layout"]["hovermode"] == "x unified"
    # a new fill redraws the marks in the patch
    meta = figures.meta_for("s", "5m", candles, fills[:1], [], {})
    p, _ = figures.patch_figure(meta, candles[-1:], [], {}, fills)
    assert len([s for s in layout_ops(p)["shapes"] if s["type"] == "path"]) == 2


def test_average_price_and_vwap_never_share_a_style() -> None:
    shapes, _ = figures.order_overlays([], {"qty": 10, "avg_price": 100.0})
    vwap = next(o for o in figures.OVERLAYS if o[0] == "vwap")

    assert (shapes[-1]["line"]["color"], shapes[-1]["line"]["dash"]) != (vwap[2], vwap[3])
    assert shapes[-1]["line"]["dash"] != vwap[3]


def test_the_candles_hover_row_carries_the_volume_in_the_figure_and_the_patch() -> None:
    candles = day_candles(3)
    fig = figures.build_figure(candles, [], {}, [], 5)
    assert fig["data"][0]["text"] == ["volume: 10"] * 3

    meta = figures.meta_for("s", "5m", candles[:2], [], [], {})
    p, _ = figures.patch_figure(meta, candles[1:], [], {}, [])
    ops = [o for o in p.to_plotly_json()["operations"] if o["location"] == ["data", 0, "text"]]
    assert ops and ops[0]["params"]["value"] == ["volume: 10"]

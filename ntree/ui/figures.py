"""The cockpit chart: a full plotly figure once, then small ``dash.Patch`` updates per tick.

The x axis is categorical (one category per display candle, labelled in exchange time), so
nights, weekends and holidays leave no gaps and the visible window is a range of candle
indices. Trace order is fixed (see ``TRACE``); :func:`patch_figure` relies on it.

``meta`` is the small JSON dict the browser keeps next to the figure (``CHART_META``): which
session and timeframe the figure shows, how many candles it holds, the last candle time, how
many fills are drawn and a signature of the order lines, so each tick sends only what changed.

The view follows the live edge like a trading platform's: while the trader looks at the latest
candle, each new candle shifts the x range (keeping the trader's zoom) and the price axis
rescales; once they pan or zoom away from it (``follow_view`` reads the graph's
``relayoutData``), new candles are appended but the ranges are left alone until they come
back to the edge or ask for it (``live=True``: the "Live" button, a double-click).

Working-order lines are the only editable shapes: the trader drags one to a new price and
the graph reports ``{"shapes[i].y0": ..., "shapes[i].y1": ...}``; ``meta["lines"]`` holds the
order id of each order line in shape order, so :func:`dropped_order` maps the index back to
the order. After a drop the lines are redrawn from the engine's orders (``reset_lines``), so a
refused move snaps back.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from bisect import bisect_right
from typing import Any

import numpy as np
import pandas as pd
from dash import Patch

from ntree.blind import day_labels, is_blind_time
from ntree.engine.aggregate import bucket_open
from ntree.engine.regime import REGIME_RULE, STAND_DOWN_RULE, classify_regime, stand_down
from ntree.engine.ticks import DISP_TFS, EXCHANGE_TZ, TICK, round_to_tick
from ntree.ui.format import ORDER_KIND, pending_legs

BUY_COLOR = "#26a69a"
SELL_COLOR = "#ef5350"
AVG_COLOR = "#e0e0e0"  # near white, long dashes: never mistaken for the dotted orange VWAP
BG = "#101418"
STAND_DOWN_COLOR = "rgba(255, 183, 77, 0.08)"  # a faint tint behind a stand-down (trend) bar
SESSION_COLOR = "rgba(170, 182, 194, 0.7)"
GRID = "#1e252c"
DEFAULT_WINDOW = 300  # candles the figure holds (pan left to see them)
VISIBLE_BARS = 150  # candles in view at the live edge: readable bodies, not a barcode
REBUILD_SLACK = 150  # candles held beyond the window before a full rebuild trims them
#: Empty candles' room right of the last candle: order labels and the Live button sit there,
#: never over the newest bars.
RIGHT_ROOM = 30  # (at 1366 px: ~150 px, the widest order label's width)
LABEL_PX = 13  # height of an order label: labels at one price stack this far apart
LAST_TAG, REGIME_TAG = 0, 1  # annotations[0] is the last-price tag, [1] the regime badge

OVERLAYS = (
    ("ema9", "EMA 9", "#42a5f5", "solid", 1.2),
    ("ema21", "EMA 21", "#ab47bc", "solid", 1.2),
    ("vwap", "VWAP", "#ffb74d", "dot", 1.4),
    ("ch_upper", "Ch upper", "#78909c", "dash", 1.0),
    ("ch_mid", "Ch mid", "#546e7a", "dot", 1.0),
    ("ch_lower", "Ch lower", "#78909c", "dash", 1.0),
)
TRACE = {"candles": 0, "volume": 1, **{k: 2 + i for i, (k, *_) in enumerate(OVERLAYS)}}
TRACE["fills_buy"] = len(TRACE)
TRACE["fills_sell"] = len(TRACE)
TRACE["stand_down"] = len(TRACE)  # bars on a hidden [0, 1] axis: tints stand-down bars
TRACE["sessions"] = len(TRACE)  # thin bars on that axis: a line at each session open


def label(ts: str | pd.Timestamp, tz: str = EXCHANGE_TZ) -> str:
    """Return the x category of a candle: its open time in exchange time (``tz``, New York's
    by default), ``MM-DD HH:MM``."""
    return labels([ts], tz)[0]


def labels(ts_list: list[str], tz: str = EXCHANGE_TZ) -> list[str]:
    if not ts_list:
        return []
    # format="ISO8601": no per-call format guessing (a tick's two candles took milliseconds)
    idx = pd.DatetimeIndex(pd.to_datetime(ts_list, utc=True, format="ISO8601"))
    idx = idx.tz_convert(tz)
    if is_blind_time(idx):  # a blind session's fictional calendar: "Day 2 09:30"
        return day_labels(idx)
    return list(idx.strftime("%m-%d %H:%M"))


def _num(x: Any) -> float | None:
    return None if x is None or x != x else float(x)


def _columns(candles: list[dict], tz: str = EXCHANGE_TZ) -> dict[str, list]:
    cols: dict[str, list] = {"x": labels([c["ts"] for c in candles], tz)}
    for key in ("open", "high", "low", "close", "volume"):
        cols[key] = [_num(c[key]) for c in candles]
    for key, *_ in OVERLAYS:
        cols[key] = [_num(c.get(key)) for c in candles]
    cols["sessions"] = [None] * len(candles)
    # VWAP restarts each session: break its line there instead of drawing a cliff.
    for i in _session_starts(cols["x"]):
        cols["vwap"][i] = None
        cols["sessions"][i] = 1.0
    cols["stand_down"] = [1.0 if stand_down(candle_regime(c)) else None for c in candles]
    # the volume in the candle's own hover row: the unified box shows the hovered pane only
    cols["vtext"] = [f"volume: {v:,.0f}" if v is not None else "" for v in cols["volume"]]
    cols["vcolor"] = [
        BUY_COLOR if (c["close"] or 0) >= (c["open"] or 0) else SELL_COLOR for c in candles
    ]
    return cols


def candle_regime(candle: dict) -> str | None:
    """Return a candle's regime (``trend``/``range``) by the film room's rule, None while its
    slope or ATR is unknown (warm-up, or the forming candle)."""
    return classify_regime(_num(candle.get("ch_slope")), _num(candle.get("atr14")))


def regime_badge(candles: list[dict]) -> dict:
    """Return the regime badge (an annotation, top right of the price pane): the regime of
    the last completed candle, and "stand down" when the rule says so."""
    regime = next((r for c in reversed(candles) if (r := candle_regime(c)) is not None), None)
    if regime is None:
        text, bg = "regime: warming up", "#37414b"
    elif stand_down(regime):
        text, bg = "TREND · stand down", "#b26a00"
    else:
        text, bg = "RANGE", "#2e5e4e"
    return {
        "xref": "paper",
        "yref": "paper",
        "x": 1.0,
        "y": 1.0,
        "xanchor": "right",
        "yanchor": "top",
        "text": text,
        "hovertext": f"{REGIME_RULE}; {STAND_DOWN_RULE}",
        "showarrow": False,
        "font": {"size": 10, "color": "#fff"},
        "bgcolor": bg,
        "borderpad": 2,
    }


def last_price_tag(candles: list[dict]) -> dict:
    """Return the last price's tag on the price axis (an annotation in the right margin),
    green when the last candle closed up, red when down; hidden without candles."""
    last = candles[-1] if candles else None
    close = _num(last.get("close")) if last else None
    up = last is not None and (close or 0) >= (_num(last.get("open")) or 0)
    return {
        "xref": "paper",
        "yref": "y",
        "x": 1.0,
        "y": close if close is not None else 0,
        "xanchor": "left",
        "yanchor": "middle",
        "text": f"{close:.2f}" if close is not None else "",
        "visible": close is not None,
        "showarrow": False,
        "font": {"size": 10, "color": "#fff"},
        "bgcolor": BUY_COLOR if up else SELL_COLOR,
        "borderpad": 2,
    }


def _session_starts(xs: list[str]) -> list[int]:
    """Return the positions (after the first) whose candle opens a new session day."""
    return [i for i in range(1, len(xs)) if _day(xs[i]) != _day(xs[i - 1])]


def _opens_session(candles: list[dict], tz: str = EXCHANGE_TZ) -> bool:
    """Return True when the last candle is the first of its session (its VWAP is a break)."""
    xs = labels([c["ts"] for c in candles[-2:]], tz)
    return len(xs) == 2 and _day(xs[0]) != _day(xs[1])


def _day(x: str) -> str:
    """The day part of an x category (``12-31`` of ``12-31 09:30``, ``Day 2`` of a blind one)."""
    return x.rsplit(" ", 1)[0]


def _fill_points(
    fills: list[dict], disp_tf_min: int, candles: list[dict] | None = None, tz: str = EXCHANGE_TZ
) -> dict[str, dict[str, list]]:
    """Return the fill markers, each on the candle it filled in: the last of ``candles``
    opening at or before it (any exchange's buckets), else New York's bucket of it."""
    out = {"BUY": {"x": [], "y": [], "text": []}, "SELL": {"x": [], "y": [], "text": []}}
    if not fills:
        return out
    ts = pd.DatetimeIndex(pd.to_datetime([f["ts_exec"] for f in fills], utc=True))
    opens = bucket_open(ts, disp_tf_min)
    if candles:
        starts = pd.DatetimeIndex(pd.to_datetime([c["ts"] for c in candles], utc=True))
        at = starts.searchsorted(ts, side="right") - 1
        opens = pd.DatetimeIndex(np.where(at >= 0, starts[np.maximum(at, 0)], opens))
    buckets = labels([t.isoformat() for t in opens], tz)
    for f, x in zip(fills, buckets, strict=True):
        side = "BUY" if f["side"] == "BUY" else "SELL"
        out[side]["x"].append(x)
        out[side]["y"].append(float(f["price"]))
        out[side]["text"].append(f"{side} {abs(f['qty'])} @ {float(f['price']):.2f}")
    return out


def _order_text(o: dict) -> str:
    kind = ORDER_KIND.get(o["type"], o["type"])
    role = f" {o['role'].upper()}" if o.get("role") and o["role"] not in ("entry", "main") else ""
    return f"{o['side']} {kind}{role} {o['qty']} @ {float(o['price']):.2f}  #{o['order_id']}"


def _hline(y: float, color: str, width: float, dash: str, *, editable: bool = False) -> dict:
    """Return a horizontal line across the price pane at ``y`` (``editable``: the trader may
    drag it; the chart's config turns shape dragging on and cockpit.js keeps the others still).
    """
    line = {
        "type": "line",
        "xref": "x domain",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": color, "width": width, "dash": dash},
    }
    if editable:
        line["editable"] = True
    return line


def _line_label(y: float, text: str, bg: str, fg: str) -> dict:
    """Return the label of a horizontal line: at the chart's right edge (the empty room right
    of the newest candle, see :data:`RIGHT_ROOM`), just above its line."""
    return {
        "xref": "x domain",
        "yref": "y",
        "x": 1.0,
        "y": y,
        "xanchor": "right",
        "yanchor": "bottom",
        "yshift": 0,
        "text": text,
        "showarrow": False,
        "font": {"size": 10, "color": fg},
        "bgcolor": bg,
        "opacity": 0.9,
        "borderpad": 1,
    }


def stack_labels(notes: list[dict], near: float) -> list[dict]:
    """Return ``notes`` with each label moved up just clear of the one below it (``near``:
    a label's height in price), so labels at one price (or close prices) never cover each
    other; the lowest of a cluster stays on its line.

    A label's bottom is kept at or above the previous label's top (where that one was moved
    to, not its line's price: a label pushed up must push the next one too)."""
    order = sorted(range(len(notes)), key=lambda k: notes[k]["y"])
    out = [dict(n) for n in notes]
    top = None  # the price of the previous label's top edge
    for k in order:
        y = out[k]["y"]
        bottom = y if top is None or near <= 0 else max(y, top)
        out[k]["yshift"] = round((bottom - y) / near * LABEL_PX) if near > 0 else 0
        top = bottom + near
    return out


def fill_marks(
    fills: list[dict],
    disp_tf_min: int,
    candles: list[dict] | None = None,
    tz: str = EXCHANGE_TZ,
) -> list[dict]:
    """Return a small triangle per fill beside its candle, pointing at the fill price: a buy
    left of the candle, a sell right of it (fixed pixel size, so it never covers the body)."""
    marks = []
    pts = _fill_points(fills, disp_tf_min, candles, tz)  # the x axis's labels: its exchange's
    for side, color, path in (
        ("BUY", BUY_COLOR, "M -4,0 L -12,5 L -12,-5 Z"),
        ("SELL", SELL_COLOR, "M 4,0 L 12,5 L 12,-5 Z"),
    ):
        for x, y in zip(pts[side]["x"], pts[side]["y"], strict=True):
            marks.append(
                {
                    "type": "path",
                    "xref": "x",
                    "yref": "y",
                    "xsizemode": "pixel",
                    "ysizemode": "pixel",
                    "xanchor": x,
                    "yanchor": y,
                    "path": path,
                    "fillcolor": color,
                    "line": {"color": "#fff", "width": 0.8},
                }
            )
    return marks


def _priced(orders: list[dict]) -> list[dict]:
    return [o for o in orders if o.get("price") is not None]


def line_orders(orders: list[dict]) -> list[int]:
    """Return the order id of each order line, in the order of the figure's shapes."""
    return [o["order_id"] for o in _priced(orders)]


def order_overlays(
    orders: list[dict], position: dict, near: float | None = None
) -> tuple[list[dict], list[dict]]:
    """Return (shapes, annotations): a labelled line per working order (draggable, first, in
    :func:`line_orders` order), then the average price (not draggable). Labels sit at the
    right edge, stacked where prices are closer than ``near`` (default: 0.1% of the price)."""
    shapes: list[dict] = []
    notes: list[dict] = []
    for o in _priced(orders):
        color = BUY_COLOR if o["side"] == "BUY" else SELL_COLOR
        y = float(o["price"])
        dash = "dash" if o["type"] == "STOP" else "solid"
        shapes.append(_hline(y, color, 1.3, dash, editable=True))
        notes.append(_line_label(y, _order_text(o), color, "#fff"))
    for o in orders:  # the exits a working entry's bracket will place: thin, dashed, fixed
        exit_color = SELL_COLOR if o["side"] == "BUY" else BUY_COLOR
        for _role, px, text in pending_legs(o):
            if px is not None:
                shapes.append(_hline(px, exit_color, 0.9, "dash"))
                label = f"{text} (pending, #{o['order_id']})"
                notes.append(_line_label(px, label, "rgba(0,0,0,0.55)", exit_color))
    qty = position.get("qty") or 0
    if qty:
        y = float(position["avg_price"])
        shapes.append(_hline(y, AVG_COLOR, 1.2, "longdash"))
        notes.append(_line_label(y, f"AVG {qty:+d} @ {y:.2f}", AVG_COLOR, "#111"))
    if notes and near is None:
        near = 0.001 * max(abs(n["y"]) for n in notes)
    return shapes, stack_labels(notes, near or 0.0)


def _overlays(
    orders: list[dict],
    position: dict,
    fills: list[dict],
    tf_min: int,
    yr: list[float] | None,
    candles: list[dict] | None = None,
    tz: str = EXCHANGE_TZ,
) -> tuple[list[dict], list[dict]]:
    """Return every shape of the figure (order lines first, see :func:`dropped_order`, then
    the fill marks) and the annotations (the last-price tag and regime badge are added by
    the caller at :data:`LAST_TAG` and :data:`REGIME_TAG`)."""
    near = (yr[1] - yr[0]) * 0.03 if yr else None
    shapes, notes = order_overlays(orders, position, near)
    return shapes + fill_marks(fills, tf_min, candles, tz), notes


def _signature(orders: list[dict], position: dict) -> str:
    key = [
        (
            o["order_id"],
            o["side"],
            o["type"],
            o["qty"],
            o.get("price"),
            o.get("role"),
            o.get("bracket"),
        )
        for o in orders
    ]
    key.append((position.get("qty"), position.get("avg_price")))
    return hashlib.blake2s(json.dumps(key, default=str).encode(), digest_size=8).hexdigest()


_SHAPE_Y = re.compile(r"^shapes\[(\d+)\]\.y[01]$")


def dropped_order(relayout: dict | None, meta: dict | None) -> tuple[int | None, float] | None:
    """Return (order id, new price on the tick) of a line the trader dragged and dropped, or
    None when ``relayout`` is not a shape drag.

    The price is the mean of the line's new ends (equal for a move). The order id is None for
    a shape that is no order line (the average price) or one the figure no longer holds.
    """
    if not relayout:
        return None
    found: dict[int, list[float]] = {}
    for key, value in relayout.items():
        m = _SHAPE_Y.match(key)
        if m and isinstance(value, int | float) and not isinstance(value, bool):
            found.setdefault(int(m.group(1)), []).append(float(value))
    if len(found) != 1:  # none, or a relayout of the whole shape list: not a drag
        return None
    [(index, ys)] = found.items()
    price = round_to_tick(sum(ys) / len(ys), TICK)
    lines = (meta or {}).get("lines") or []
    return (lines[index] if index < len(lines) else None), price


def y_range(candles: list[dict], orders: list[dict], position: dict) -> list[float]:
    """Return a price range fitting the visible candles and bands, plus nearby order lines."""
    lows = [c["low"] for c in candles if c.get("low") is not None]
    highs = [c["high"] for c in candles if c.get("high") is not None]
    if not lows:
        return [0.0, 1.0]
    lo, hi = min(lows), max(highs)
    for c in candles[-60:]:  # recent bands, not ones far in the past
        for k in ("ch_lower", "ch_upper"):
            v = _num(c.get(k))
            if v is not None:
                lo, hi = min(lo, v), max(hi, v)
    span = max(hi - lo, 0.01)
    extra = [float(o["price"]) for o in orders if o.get("price") is not None]
    extra += [px for o in orders for _, px, _ in pending_legs(o) if px is not None]
    if position.get("qty"):
        extra.append(float(position["avg_price"]))
    for p in extra:  # order lines stay visible unless far away
        if lo - span <= p <= hi + span:
            lo, hi = min(lo, p), max(hi, p)
    pad = (hi - lo) * 0.04 or 0.05
    return [round(lo - pad, 4), round(hi + pad, 4)]


def _x_range(n: int, window: int) -> list[float]:
    return [max(n - min(window, VISIBLE_BARS), 0) - 0.5, n - 0.5 + RIGHT_ROOM]


def _in_view(candles: list[dict], n: int, xr: list[float]) -> list[dict]:
    """Return the candles of ``candles`` (the last ones of a figure of ``n``) inside ``xr``."""
    first = n - len(candles)  # figure index of candles[0]
    lo = max(math.ceil(xr[0]) - first, 0)
    hi = min(math.floor(xr[1]) - first, len(candles) - 1)
    return candles[lo : hi + 1] if hi >= lo else candles[-1:]


def relayout_x(relayout: dict | None) -> list[float] | str | None:
    """Return the x range a plotly relayout event set, ``"auto"`` for an autorange, or None
    when the event left the x axis alone (a resize, a price-axis drag)."""
    if not relayout:
        return None
    if relayout.get("xaxis.autorange"):
        return "auto"
    pair = relayout.get("xaxis.range")
    if pair is None and "xaxis.range[0]" in relayout and "xaxis.range[1]" in relayout:
        pair = [relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]]
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    try:
        return [float(pair[0]), float(pair[1])]
    except (TypeError, ValueError):  # a date-like range: not this chart's category axis
        return None


def relayout_sig(relayout: dict | None) -> str | None:
    """Return a short key of a relayout event, so each one is taken into account only once."""
    if not relayout:
        return None
    text = json.dumps(relayout, sort_keys=True, default=str)
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def at_live_edge(xr: list[float], n: int) -> bool:
    """Return True when the x range shows the figure's last candle (at least half of it)."""
    return xr[1] >= n - 1


def follow_view(meta: dict, relayout: dict | None, window: int = DEFAULT_WINDOW) -> dict:
    """Return ``meta`` updated with the trader's latest pan or zoom (a plotly relayout event).

    An event seen before changes nothing: the graph keeps reporting the last one while the
    ticks move the view. A new x range stops following unless it still shows the last candle;
    an autorange (plotly's own reset) goes back to the live edge.
    """
    sig = relayout_sig(relayout)
    if sig == meta.get("rl"):
        return meta
    out = dict(meta, rl=sig)
    x = relayout_x(relayout)
    if x is None:
        return out
    if x == "auto":
        return dict(out, follow=True, xr=_x_range(meta["n"], window))
    return dict(out, follow=at_live_edge(x, meta["n"]), xr=[round(v, 2) for v in x])


def carry_view(
    meta: dict | None,
    candles: list[dict],
    session_id: str,
    disp_tf: str,
    window: int = DEFAULT_WINDOW,
) -> dict | None:
    """Return the view (follow, x range) a rebuilt figure of ``candles`` should keep, or None
    for the live edge: the same session and timeframe, trimmed or extended, keeps the trader's
    place (shifted to the candles' new indices); anything else starts at the live edge."""
    if not meta or meta.get("sid") != session_id or meta.get("tf") != disp_tf:
        return None
    if meta.get("follow", True) and meta.get("xr") in (None, _x_range(meta["n"], window)):
        return None
    ts_list = [c["ts"] for c in candles]
    j = bisect_right(ts_list, meta.get("last_ts") or "") - 1
    if j < 0 or ts_list[j] != meta["last_ts"]:
        return None
    follow = meta.get("follow", True)
    shift = (len(candles) - meta["n"]) if follow else (j - (meta["n"] - 1))
    x0, x1 = meta["xr"]
    return {"follow": follow, "xr": [round(x0 + shift, 2), round(x1 + shift, 2)]}


def _vol_range(volumes: list[float | None]) -> list[float]:
    vals = [v for v in volumes if v]
    return [0, (max(vals) if vals else 1) * 1.15]


def empty_figure(message: str = "Start a session to replay the market") -> dict:
    fig = build_figure([], [], {}, [], 5, window=DEFAULT_WINDOW)
    fig["layout"]["annotations"] = [
        {
            "text": message,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.55,
            "showarrow": False,
            "font": {"size": 16, "color": "#8a96a3"},
        }
    ]
    return fig


def build_figure(
    candles: list[dict],
    orders: list[dict],
    position: dict,
    fills: list[dict],
    disp_tf_min: int,
    *,
    window: int = DEFAULT_WINDOW,
    x_range: list[float] | None = None,
    fills_beside: bool = True,
    tz: str = EXCHANGE_TZ,
) -> dict:
    """Return the whole figure (as a plotly JSON dict) for the given candles, showing
    ``x_range`` (candle indices; default: the live edge); times in the exchange's ``tz``.
    ``fills_beside``: each fill is a small triangle beside its candle (its marker only
    answers the hover); else a marker on the candle at the fill price."""
    cols = _columns(candles, tz)
    n = len(candles)
    xr = x_range or _x_range(n, window)
    data: list[dict] = [
        {
            "type": "candlestick",
            "name": "Price",
            "x": cols["x"],
            "open": cols["open"],
            "high": cols["high"],
            "low": cols["low"],
            "close": cols["close"],
            "text": cols["vtext"],
            "hoverinfo": "x+y+text",
            "xaxis": "x",
            "yaxis": "y",
            "whiskerwidth": 0,
            "increasing": {"line": {"color": BUY_COLOR, "width": 1}, "fillcolor": BUY_COLOR},
            "decreasing": {"line": {"color": SELL_COLOR, "width": 1}, "fillcolor": SELL_COLOR},
        },
        {
            "type": "bar",
            "name": "Volume",
            "x": cols["x"],
            "y": cols["volume"],
            "marker": {"color": cols["vcolor"], "line": {"width": 0}},
            "opacity": 0.6,
            "xaxis": "x",
            "yaxis": "y2",
            "hovertemplate": "%{y:,.0f}",
        },
    ]
    for key, name, color, dash, width in OVERLAYS:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": cols["x"],
                "y": cols[key],
                "line": {"color": color, "dash": dash, "width": width},
                "xaxis": "x",
                "yaxis": "y",
                "connectgaps": False,
                "hovertemplate": "%{y:.2f}",
            }
        )
    pts = _fill_points(fills, disp_tf_min, candles, tz)
    for side, symbol, color in (
        ("BUY", "triangle-up", BUY_COLOR),
        ("SELL", "triangle-down", SELL_COLOR),
    ):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{side} fills",
                "x": pts[side]["x"],
                "y": pts[side]["y"],
                "text": pts[side]["text"],
                "hovertemplate": "%{text}<extra></extra>",
                "xaxis": "x",
                "yaxis": "y",
                "marker": {
                    "symbol": symbol,
                    "size": 11,
                    "color": color,
                    "line": {"color": "#fff", "width": 1},
                    "opacity": 0 if fills_beside else 1,
                },
            }
        )
    for key, color, width, offset in (
        ("stand_down", STAND_DOWN_COLOR, 1.0, -0.5),
        ("sessions", SESSION_COLOR, 0.12, -0.56),
    ):
        data.append(
            {
                "type": "bar",
                "name": key,
                "x": cols["x"],
                "y": cols[key],
                "width": width,
                "offset": offset,
                "marker": {"color": color, "line": {"width": 0}},
                "hoverinfo": "skip",
                "showlegend": False,
                "xaxis": "x",
                "yaxis": "y3",
            }
        )
    visible = _in_view(candles, n, xr) if candles else []
    yr = y_range(visible, orders, position)
    beside = fills if fills_beside else []
    shapes, notes = _overlays(orders, position, beside, disp_tf_min, yr, candles, tz)
    layout = {
        "template": "plotly_dark",
        "paper_bgcolor": BG,
        "plot_bgcolor": BG,
        "margin": {"l": 30, "r": 58, "t": 8, "b": 28},  # l: room for the first time label
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": 10},
            "bgcolor": "rgba(0,0,0,0)",
        },
        "hovermode": "x unified",  # one box: OHLC, volume and the overlays of the bar
        "dragmode": "pan",
        "uirevision": "keep",
        "font": {
            "family": "Inter, Roboto, Helvetica, Arial, sans-serif",
            "size": 11,
            "color": "#c8d1da",
        },
        "xaxis": {
            "type": "category",
            "rangeslider": {"visible": False},
            "range": xr,
            "showgrid": True,
            "gridcolor": GRID,
            "nticks": 10,
            "tickfont": {"size": 10},
            "anchor": "y2",
            "showspikes": True,
            "spikemode": "across",
            "spikethickness": 1,
            "spikecolor": "#5c6b7a",
            "spikedash": "dot",
        },
        "yaxis": {
            "domain": [0.24, 1.0],
            "side": "right",
            "range": yr,
            "gridcolor": GRID,
            "tickformat": ".2f",
            "showspikes": True,
            "spikemode": "across",
            "spikethickness": 1,
            "spikecolor": "#5c6b7a",
            "spikedash": "dot",
            "fixedrange": False,
        },
        "yaxis2": {
            "domain": [0.0, 0.2],
            "side": "right",
            "gridcolor": GRID,
            "range": _vol_range([c["volume"] for c in visible]),
            "tickformat": "~s",
            "fixedrange": True,
        },
        # the stand-down tint and the session lines: a hidden [0, 1] axis over the price pane
        "yaxis3": {
            "overlaying": "y",
            "range": [0, 1],
            "visible": False,
            "fixedrange": True,
        },
        "barmode": "overlay",
        "shapes": shapes,
        "annotations": [last_price_tag(candles), regime_badge(candles), *notes],
        "hoverlabel": {"bgcolor": "#1c232b", "font": {"size": 11}},
    }
    return {"data": data, "layout": layout}


def meta_for(
    session_id: str,
    disp_tf: str,
    candles: list[dict],
    fills: list[dict],
    orders: list[dict],
    position: dict,
    *,
    view: dict | None = None,
    window: int = DEFAULT_WINDOW,
    tz: str = EXCHANGE_TZ,
) -> dict:
    """Return the meta of a full figure; ``view`` as given by :func:`carry_view`."""
    view = view or {"follow": True, "xr": _x_range(len(candles), window)}
    visible = _in_view(candles, len(candles), view["xr"]) if candles else []
    meta = {
        "yr": y_range(visible, orders, position),  # the price range, for stacking labels
        "tags": [last_price_tag(candles)["text"], regime_badge(candles)["text"]],
        "sid": session_id,
        "tf": disp_tf,
        "n": len(candles),
        "last_ts": candles[-1]["ts"] if candles else None,
        "nfills": len(fills),
        "sig": _signature(orders, position),
        "lines": line_orders(orders),
        "vwap_break": _opens_session(candles, tz),
        "follow": view["follow"],
        "xr": view["xr"],
    }
    if tz != EXCHANGE_TZ:  # another exchange's chart: its patches label in its time
        meta["tz"] = tz
    return meta


def needs_rebuild(meta: dict | None, session_id: str, disp_tf: str, window: int) -> bool:
    return (
        not meta
        or meta.get("sid") != session_id
        or meta.get("tf") != disp_tf
        or not meta.get("last_ts")
        or meta["n"] > window + REBUILD_SLACK
    )


def patch_figure(
    meta: dict,
    recent: list[dict],
    orders: list[dict],
    position: dict,
    fills: list[dict],
    *,
    window: int = DEFAULT_WINDOW,
    live: bool = False,
    reset_lines: bool = False,
) -> tuple[Patch, dict] | None:
    """Return (Patch, new meta) bringing the browser's figure up to date, or None when a full
    rebuild is needed (``recent`` does not reach back to the figure's last candle).

    ``recent`` holds the latest candles, starting at or before ``meta["last_ts"]``; the
    figure's last candle is replaced (it may have been forming) and the newer ones appended.
    While ``meta["follow"]`` the view moves with the new candles; ``live`` brings it back to
    the live edge (and follows again). ``reset_lines`` redraws the order lines and labels even
    if the orders did not change: the trader dragged one, the browser's copy moved.
    """
    ts_list = [c["ts"] for c in recent]
    start = bisect_right(ts_list, meta["last_ts"]) - 1 if recent else -1
    if start < 0 or ts_list[start] != meta["last_ts"]:
        return None
    new = recent[start:]
    tz = meta.get("tz", EXCHANGE_TZ)
    cols = _columns(new, tz)
    if meta.get("vwap_break"):  # the figure's last candle opened a session: keep the break
        cols["vwap"][0] = None
        cols["sessions"][0] = 1.0
    n = meta["n"]
    p = Patch()
    arrays = {
        "candles": {
            "x": "x",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "text": "vtext",
        },
        "volume": {"x": "x", "y": "volume"},
    }
    for key in (*(k for k, *_ in OVERLAYS), "stand_down", "sessions"):
        arrays[key] = {"x": "x", "y": key}
    for trace, fields in arrays.items():
        i = TRACE[trace]
        for attr, col in fields.items():
            if attr != "x":  # the figure's last candle keeps its category, its values may move
                p["data"][i][attr][n - 1] = cols[col][0]
            if len(new) > 1:
                p["data"][i][attr].extend(cols[col][1:])
    p["data"][TRACE["volume"]]["marker"]["color"][n - 1] = cols["vcolor"][0]
    if len(new) > 1:
        p["data"][TRACE["volume"]]["marker"]["color"].extend(cols["vcolor"][1:])
    n_new = n + len(new) - 1
    if len(fills) > meta["nfills"]:
        pts = _fill_points(fills[meta["nfills"] :], _tf_minutes(meta["tf"]), new, tz)
        for side in ("BUY", "SELL"):
            if pts[side]["x"]:
                t = p["data"][TRACE["fills_buy" if side == "BUY" else "fills_sell"]]
                t["x"].extend(pts[side]["x"])
                t["y"].extend(pts[side]["y"])
                t["text"].extend(pts[side]["text"])
    sig = _signature(orders, position)
    tags = (last_price_tag(recent), regime_badge(recent))
    if sig != meta["sig"] or reset_lines or len(fills) != meta["nfills"]:
        # the fill marks are shapes too: a new fill redraws them with the lines
        yr = meta.get("yr")
        tf_min = _tf_minutes(meta["tf"])
        shapes, notes = _overlays(orders, position, fills, tf_min, yr, recent, tz)
        p["layout"]["shapes"] = shapes
        p["layout"]["annotations"] = [*tags, *notes]
    else:  # the tags move on their own: only what changed since the figure's meta
        for k, tag in zip((LAST_TAG, REGIME_TAG), tags, strict=True):
            if tag["text"] != (meta.get("tags") or ["", ""])[k]:
                for attr in ("y", "text", "bgcolor", "visible"):
                    if attr in tag:
                        p["layout"]["annotations"][k][attr] = tag[attr]
    follow = meta.get("follow", True)
    xr = meta.get("xr") or _x_range(n, window)
    ur = meta.get("ur", 0)
    if live:
        follow, xr, ur = True, _x_range(n_new, window), ur + 1
        # A new uirevision makes plotly drop the trader's pan even if the range is unchanged.
        p["layout"]["xaxis"]["uirevision"] = p["layout"]["yaxis"]["uirevision"] = f"live{ur}"
        p["layout"]["xaxis"]["range"] = xr
    elif follow and n_new > n:
        # the default window (it grows until VISIBLE_BARS), or the trader's zoom, moved along
        default = xr == _x_range(n, window)
        xr = _x_range(n_new, window) if default else [xr[0] + n_new - n, xr[1] + n_new - n]
        p["layout"]["xaxis"]["range"] = xr
    yr = meta.get("yr")
    if follow:
        visible = _in_view(recent, n_new, xr)
        yr = y_range(visible, orders, position)
        p["layout"]["yaxis"]["range"] = yr
        p["layout"]["yaxis2"]["range"] = _vol_range([c["volume"] for c in visible])
    vwap_break = _opens_session(new, tz) if len(new) > 1 else meta.get("vwap_break", False)
    new_meta = dict(
        meta,
        n=n_new,
        last_ts=new[-1]["ts"],
        nfills=len(fills),
        sig=sig,
        lines=line_orders(orders),
        vwap_break=vwap_break,
        follow=follow,
        xr=xr,
        yr=yr,
        tags=[t["text"] for t in tags],
    )
    if ur:
        new_meta["ur"] = ur
    return p, new_meta


def _tf_minutes(label_: str) -> int:
    return DISP_TFS[label_]

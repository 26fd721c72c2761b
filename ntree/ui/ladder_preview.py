"""The ladder's preview on the cockpit chart: one dotted trace of the limits a ladder would
lay, drawn before the trader places it (``place_ladder``) and cleared when they do.

The trace is the figure's last one: :func:`add_to_figure` appends it (empty) to every full
figure the cockpit builds and records its index in the chart's meta (``preview_i``), so a
``dash.Patch`` can replace it later whatever traces the chart itself holds.
"""

from __future__ import annotations

from typing import Any

from dash import Patch

from ntree.ui import figures

PREVIEW_COLOR = "#ffca28"
PREVIEW_SPAN = 12  # candles the preview's level lines reach back from the newest one
META_KEY = "preview_i"


def preview_trace(orders: list[dict], xs: list[str]) -> dict:
    """Return the preview trace: a short dotted line at each level's price over the last
    candles ``xs`` (their x categories), labelled "B20" (buy 20) at its right end (the toast
    lists the prices)."""
    x: list[str | None] = []
    y: list[float | None] = []
    text: list[str] = []
    if xs:
        left, right = xs[max(0, len(xs) - PREVIEW_SPAN)], xs[-1]
        for o in orders:
            label = f"{o['side'][0]}{o['qty']}"  # compact: levels sit a few pixels apart
            x += [left, right, None]
            y += [o["price"], o["price"], None]
            text += ["", label, ""]
    return {
        "type": "scatter",
        "mode": "lines+text",
        "name": "Ladder preview",
        "x": x,
        "y": y,
        "text": text,
        "textposition": "middle left",
        "textfont": {"size": 10, "color": PREVIEW_COLOR},
        "line": {"color": PREVIEW_COLOR, "dash": "dot", "width": 1.5},
        "hoverinfo": "skip",
        "showlegend": False,
        "xaxis": "x",
        "yaxis": "y",
        "connectgaps": False,
    }


def add_to_figure(fig: dict, meta: dict) -> None:
    """Append the (empty) preview trace to a full figure and note its index in ``meta``."""
    meta[META_KEY] = len(fig["data"])
    meta["preview_on"] = False
    fig["data"].append(preview_trace([], []))


def show(out: Any, meta: dict, orders: list[dict], snap: dict) -> Any:
    """Return the figure ``out`` (a full figure, a Patch, or None: unchanged) showing the
    preview of ``orders`` (none: cleared), its price axis widened to hold them; ``snap`` is
    the cockpit's snapshot (candles, working orders, position)."""
    i = meta.get(META_KEY)
    if i is None:
        return out
    meta["preview_on"] = bool(orders)  # a second L places what is shown
    candles = snap["candles"]
    trace = preview_trace(orders, figures.labels([c["ts"] for c in candles]))
    span = None
    if orders:
        visible = candles[-figures.VISIBLE_BARS :]
        span = _range(visible, [*snap["orders"], *orders], snap["position"])
    if isinstance(out, dict):
        out["data"][i] = trace
        if span:
            out["layout"]["yaxis"]["range"] = span
        return out
    p = out if isinstance(out, Patch) else Patch()
    p["data"][i] = trace
    if span:
        p["layout"]["yaxis"]["range"] = span
    return p


def _range(candles: list[dict], orders: list[dict], pos: dict) -> list[float]:
    lo, hi = figures.y_range(candles, orders, pos)
    prices = [o["price"] for o in orders]
    pad = (max(prices) - min(prices)) * 0.03 if prices else 0
    return [min(lo, min(prices) - pad), max(hi, max(prices) + pad)]

"""The Coach page's charts: plotly figures drawn from the report of ``svc.coach`` (no maths
beyond picking the report's numbers; every figure is computed in :mod:`ntree.engine.coach`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ntree.ui.figures import BG, BUY_COLOR, GRID, SELL_COLOR

CHART_HEIGHT = 250
FLAT_COLOR = "#8a96a3"
_AXIS = {"gridcolor": GRID, "zerolinecolor": "#3a4652", "automargin": True}


#: What the R distribution says when no trade of the selection has an R.
NO_R_NOTE = {
    "text": "no trade has an R: R needs a stop set at entry",
    "xref": "paper",
    "yref": "paper",
    "x": 0.5,
    "y": 0.5,
    "showarrow": False,
    "font": {"size": 13, "color": "#8a96a3"},
}


def _layout(x_title: str, y_title: str, **extra: Any) -> dict:
    return {
        "height": CHART_HEIGHT,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 40},
        "paper_bgcolor": BG,
        "plot_bgcolor": BG,
        "font": {"color": "#c9d1d9", "size": 11},
        "xaxis": {**_AXIS, "title": {"text": x_title, "standoff": 4}},
        "yaxis": {**_AXIS, "title": {"text": y_title, "standoff": 4}},
        "showlegend": False,
        "hoverlabel": {"font": {"size": 11}},
        **extra,
    }


def _legend() -> dict:
    return {
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    }


def _color(x: float | None) -> str:
    if x is None or x == 0:
        return FLAT_COLOR
    return BUY_COLOR if x > 0 else SELL_COLOR


def _has_r(trades: Sequence[Mapping[str, Any]]) -> bool:
    """Whether to draw in R: at least half the trades had a stop (else every trade in $)."""
    with_r = sum(t.get("mae_r") is not None for t in trades)
    return with_r > 0 and 2 * with_r >= len(trades)


def mae_mfe(trades: Sequence[Mapping[str, Any]]) -> dict:
    """Each trade at (MAE, MFE), in R when trades have a stop (else in $); winners green,
    losers red, the $ figures in the hover."""
    in_r = _has_r(trades)
    shown = [t for t in trades if not in_r or t.get("mae_r") is not None]
    unit = "R" if in_r else "$"
    traces = []
    for name, keep, color in (
        ("winners", lambda p: p > 0, BUY_COLOR),
        ("losers", lambda p: p <= 0, SELL_COLOR),
    ):
        group = [t for t in shown if keep(t["pnl"])]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name} ({len(group)})",
                "x": [t["mae_r"] if in_r else t["mae_usd"] for t in group],
                "y": [t["mfe_r"] if in_r else t["mfe_usd"] for t in group],
                "marker": {"color": color, "size": 8, "opacity": 0.8},
                "customdata": [
                    [t["mae_usd"], t["mfe_usd"], t["pnl"], t["session_id"], t["trade_id"]]
                    for t in group
                ],
                "hovertemplate": "MAE %{x:.2f} " + unit + " ($%{customdata[0]:.0f})<br>"
                "MFE %{y:.2f} " + unit + " ($%{customdata[1]:.0f})<br>"
                "PnL $%{customdata[2]:.0f}<br>%{customdata[3]} #%{customdata[4]}"
                "<extra></extra>",
            }
        )
    layout = _layout(f"MAE ({unit}, against)", f"MFE ({unit}, in favour)", **_legend())
    return {"data": traces, "layout": layout}


def band_distance(trades: Sequence[Mapping[str, Any]]) -> dict:
    """Histograms of the entry's distance to its band in ATR, longs and shorts overlaid."""
    traces = []
    for side, name, color in (("LONG", "longs", BUY_COLOR), ("SHORT", "shorts", SELL_COLOR)):
        xs = [
            t["entry_band_distance_atr"]
            for t in trades
            if t["side"] == side and t.get("entry_band_distance_atr") is not None
        ]
        traces.append(
            {
                "type": "histogram",
                "name": f"{name} ({len(xs)})",
                "x": xs,
                "xbins": {"size": 0.25},
                "marker": {"color": color},
                "opacity": 0.7,
                "hovertemplate": "%{x} ATR: %{y} trades<extra></extra>",
            }
        )
    layout = _layout("ATR from the band (0 = on it)", "trades", barmode="overlay", **_legend())
    return {"data": traces, "layout": layout}


def bucket_bars(buckets: Mapping[str, Mapping[str, Any]], x_title: str) -> dict:
    """Bars of each bucket's expectancy in R when at least half the trades have an R (else in
    $), the trades it is the mean of on each: ``n=3`` (``n=3/882``: 3 of 882 have an R)."""
    n_all = sum(b["n"] for b in buckets.values())
    n_r = sum(b.get("n_r", b["n"]) for b in buckets.values())
    in_r = n_r > 0 and 2 * n_r >= n_all
    key, unit = ("expectancy_r", "R") if in_r else ("expectancy", "$")
    keys = list(buckets)
    ys = [buckets[k].get(key) for k in keys]
    texts = []
    for k in keys:
        n, with_r = buckets[k]["n"], buckets[k].get("n_r", buckets[k]["n"])
        texts.append(f"n={n}" if not in_r or with_r == n else f"n={with_r}/{n}")
    trace = {
        "type": "bar",
        "x": keys,
        "y": [0 if y is None else y for y in ys],
        "text": texts,
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": [_color(y) for y in ys]},
        "customdata": [
            [buckets[k]["n"], buckets[k].get("win_rate") or 0, buckets[k].get("profit_factor")]
            for k in keys
        ],
        "hovertemplate": "%{x}: %{y:.2f} " + unit + " a trade<br>n=%{customdata[0]}, "
        "win rate %{customdata[1]:.0%}<extra></extra>",
    }
    layout = _layout(x_title, f"expectancy ({unit} / trade)")
    layout["xaxis"]["type"] = "category"
    layout["yaxis"]["rangemode"] = "tozero"
    return {"data": [trace], "layout": layout}


def equity(points: Sequence[Mapping[str, Any]]) -> dict:
    """Cumulative PnL after each trade (top) and its drawdown from the running peak (below)."""
    xs = list(range(1, len(points) + 1))
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(points) < 60 else "lines",
            "name": "equity",
            "x": xs,
            "y": [p["equity"] for p in points],
            "line": {"color": BUY_COLOR, "width": 2},
            "marker": {"size": 4},
            "customdata": [[p["ts"], p["session_id"]] for p in points],
            "hovertemplate": "trade %{x}: $%{y:.0f}<br>%{customdata[0]}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "drawdown",
            "x": xs,
            "y": [-(p["drawdown"] or 0) for p in points],
            "yaxis": "y2",
            "fill": "tozeroy",
            "line": {"color": SELL_COLOR, "width": 1},
            "hovertemplate": "trade %{x}: drawdown $%{y:.0f}<extra></extra>",
        },
    ]
    layout = _layout("trade (in exit order)", "equity $")
    layout["xaxis"]["anchor"] = "y2"  # the trade axis under the drawdown panel
    layout["yaxis"]["domain"] = [0.38, 1.0]
    layout["yaxis2"] = {
        **_AXIS,
        "domain": [0.0, 0.3],
        "nticks": 3,
        "title": {"text": "DD $", "standoff": 4},
    }
    return {"data": traces, "layout": layout}


def r_distribution(bins: Sequence[Mapping[str, Any]]) -> dict:
    """Bars of how many trades ended in each half-R bin (beyond +-5 R in the outer bins)."""
    trace = {
        "type": "bar",
        "x": [(b["lo"] + b["hi"]) / 2 for b in bins],
        "y": [b["n"] for b in bins],
        "width": [b["hi"] - b["lo"] for b in bins],
        "marker": {"color": [_color((b["lo"] + b["hi"]) / 2) for b in bins]},
        "customdata": [[b["lo"], b["hi"]] for b in bins],
        "hovertemplate": "%{customdata[0]} to %{customdata[1]} R: %{y} trades<extra></extra>",
    }
    layout = _layout("R multiple", "trades")
    if not any(b["n"] for b in bins):  # empty axes would look like a drawing that failed
        layout["annotations"] = [NO_R_NOTE]
    return {"data": [trace], "layout": layout}


def hold_vs_pnl(trades: Sequence[Mapping[str, Any]]) -> dict:
    """Each trade at (minutes held, PnL $), winners green and losers red."""
    traces = []
    for name, keep, color in (
        ("winners", lambda p: p > 0, BUY_COLOR),
        ("losers", lambda p: p <= 0, SELL_COLOR),
    ):
        group = [t for t in trades if keep(t["pnl"])]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name} ({len(group)})",
                "x": [t["hold_minutes"] for t in group],
                "y": [t["pnl"] for t in group],
                "marker": {"color": color, "size": 7, "opacity": 0.75},
                "customdata": [[t["session_id"], t["trade_id"]] for t in group],
                "hovertemplate": "held %{x:.0f} min: $%{y:.0f}<br>%{customdata[0]} "
                "#%{customdata[1]}<extra></extra>",
            }
        )
    layout = _layout("minutes held", "PnL $", **_legend())
    return {"data": traces, "layout": layout}


def tilt(tilt_stats: Mapping[str, Any], n_trades: int) -> dict:
    """Two bars: the mean result of the trades that follow a loss, beside all trades' (in R
    when the trades have one, else in $), ``n`` on each."""
    in_r = tilt_stats.get("mean_r") is not None
    after, every = ("mean_r_after_loss", "mean_r") if in_r else ("mean_pnl_after_loss", "mean_pnl")
    unit = "R" if in_r else "$"
    ys = [tilt_stats.get(after), tilt_stats.get(every)]
    trace = {
        "type": "bar",
        "x": ["after a loss", "all trades"],
        "y": [0 if y is None else y for y in ys],
        "text": [f"n={tilt_stats['n_after_loss']}", f"n={n_trades}"],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": [_color(y) for y in ys]},
        "hovertemplate": "%{x}: %{y:.2f} " + unit + " a trade<extra></extra>",
    }
    layout = _layout("", f"mean ({unit} / trade)")
    layout["xaxis"]["type"] = "category"
    layout["yaxis"]["rangemode"] = "tozero"
    return {"data": [trace], "layout": layout}


def after_exit(trades: Sequence[Mapping[str, Any]]) -> dict:
    """Histograms of how far price went on in the trade's favour after its exit (points),
    winners and losers overlaid."""
    traces = []
    for name, keep, color in (
        ("winners", lambda p: p > 0, BUY_COLOR),
        ("losers", lambda p: p <= 0, SELL_COLOR),
    ):
        xs = [t["after_exit"] for t in trades if keep(t["pnl"]) and t.get("after_exit") is not None]
        traces.append(
            {
                "type": "histogram",
                "name": f"{name} ({len(xs)})",
                "x": xs,
                "xbins": {"size": 0.1},
                "marker": {"color": color},
                "opacity": 0.7,
                "hovertemplate": "%{x} pts further: %{y} trades<extra></extra>",
            }
        )
    layout = _layout("points further in favour after the exit", "trades", barmode="overlay")
    return {"data": traces, "layout": {**layout, **_legend()}}


#: One colour per compared player, in the order they are named (the first: usually human).
PLAYER_COLORS = ("#4f9de0", "#f0ad4e", "#b38cf0", "#5fd0c2", "#e07a9c")


def compare_pnl(compare: Mapping[str, Any], window_label: Any) -> dict:
    """Each shared window's PnL per player, bars side by side (``window_label(window)`` names
    a window on the x axis)."""
    windows = compare["windows"]
    labels = [window_label(w) for w in windows]
    traces = [
        {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": [w["players"][name]["pnl"] for w in windows],
            "marker": {"color": PLAYER_COLORS[k % len(PLAYER_COLORS)]},
            "customdata": [w["players"][name]["n_trades"] for w in windows],
            "hovertemplate": name + " %{x}: $%{y:,.0f} (n=%{customdata})<extra></extra>",
        }
        for k, name in enumerate(compare["players"])
    ]
    layout = _layout("window", "PnL ($)", barmode="group", **_legend())
    layout["height"] = 200
    return {"data": traces, "layout": layout}

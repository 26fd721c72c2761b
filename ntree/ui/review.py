"""The session review's pure parts: the whole-session chart with every fill and each trade
drawn entry→exit, the start request of "Practice again", the timeline's pager text and the
journal's views. Plain dicts in, figure dicts or Dash components out."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from ntree.engine import FILL_MODEL_KNOBS
from ntree.engine.aggregate import bucket_open
from ntree.engine.coach_trades import to_ns
from ntree.engine.events import iso_utc
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.ui import figures
from ntree.ui import format as fmt

WIN_COLOR = figures.BUY_COLOR
LOSS_COLOR = figures.SELL_COLOR
#: The names of the two trade-segment traces (winners, losers): tests and legends read them.
TRADE_TRACES = ("Trades won", "Trades lost")
EVENTS_PAGE_SIZE = 200
#: Trades per page of the trade list (a ladder session closes thousands: paged on the server).
TRADES_PAGE_SIZE = 50
#: The most trades the chart draws: the newest of those in its window (~150 bytes each).
CHART_TRADES = 300
#: The most display bars the review draws: a long session shows its last ones (~200 bytes a
#: candle with its overlays, so 1,000 keep the page under 500 KB); the trades before them
#: are in the table, and a trade open across the window's start is drawn from its first bar.
REVIEW_BARS = 1_000
CONTEXT_BARS = 12  # display bars of history shown before the session's start
_FLAT = {"qty": 0, "avg_price": None}


def _bar_labels(times: list[str], disp_tf_min: int, tz: str = EXCHANGE_TZ) -> list[str]:
    """Return the x category (display bar, labelled in ``tz``) each ISO time falls in."""
    if not times:
        return []
    ts = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return figures.labels([t.isoformat() for t in bucket_open(ts, disp_tf_min)], tz)


def _round4(v):
    return round(v, 4) if isinstance(v, float) else v


def trade_segments(trades: list[dict], disp_tf_min: int, tz: str = EXCHANGE_TZ) -> list[dict]:
    """Return the two line traces joining each closed trade's entry to its exit: winners
    green, losers (and scratches) red; ``None`` gaps separate the trades in a trace."""
    closed = [t for t in trades if t.get("exit_ts") and t.get("exit_px") is not None]
    entries = _bar_labels([t["entry_ts"] for t in closed], disp_tf_min, tz)
    exits = _bar_labels([t["exit_ts"] for t in closed], disp_tf_min, tz)
    out = []
    for name, color, won in (
        (TRADE_TRACES[0], WIN_COLOR, True),
        (TRADE_TRACES[1], LOSS_COLOR, False),
    ):
        x: list = []
        y: list = []
        text: list = []
        for t, x0, x1 in zip(closed, entries, exits, strict=True):
            if (t["pnl"] > 0) != won:
                continue
            tip = f"#{t['trade_id']} {t['side']} {t['qty']}: {fmt.money(t['pnl'])}"
            x += [x0, x1, None]
            y += [float(t["entry_px"]), float(t["exit_px"]), None]
            text += [tip, tip, None]
        out.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": x,
                "y": y,
                "text": text,
                "hovertemplate": "%{text}<extra></extra>",
                "line": {"color": color, "width": 2.5},
                "marker": {"size": 5, "color": color},
                "connectgaps": False,
                "xaxis": "x",
                "yaxis": "y",
            }
        )
    return out


def bar_fills(fills: list[dict], disp_tf_min: int) -> list[dict]:
    """Return one fill per display bar and side: the bar's total quantity at its
    quantity-weighted price, with ``count`` (a ladder can fill dozens of times a bar; one
    marker each would be most of the page)."""
    if not fills:
        return []
    ts = pd.DatetimeIndex(pd.to_datetime([f["ts_exec"] for f in fills], utc=True))
    merged: dict[tuple[str, str], dict] = {}
    opens = [t.isoformat() for t in bucket_open(ts, disp_tf_min)]
    for f, t in zip(fills, opens, strict=True):
        m = merged.setdefault((t, f["side"]), {"ts_exec": t, "side": f["side"], "qty": 0})
        qty = abs(f["qty"])
        m["qty"] += qty
        m["notional"] = m.get("notional", 0.0) + qty * float(f["price"])
        m["count"] = m.get("count", 0) + 1
    out = []
    for m in merged.values():
        price = round(m.pop("notional") / m["qty"], 2) if m["qty"] else 0.0
        out.append({**m, "price": price})
    return out


def clip_trades(trades: list[dict], first_ts: str) -> list[dict]:
    """Return the closed trades still open at or after ``first_ts`` (the chart's first bar),
    those entered before it starting there (at their entry price)."""
    first = pd.Timestamp(first_ts)
    out = []
    for t in trades:
        if not t.get("exit_ts") or pd.Timestamp(t["exit_ts"]) < first:
            continue
        out.append({**t, "entry_ts": max(pd.Timestamp(t["entry_ts"]), first).isoformat()})
    return out


def picked_ts(click: dict | None, bar_ts: list[str], tz: str = EXCHANGE_TZ) -> str | None:
    """Return the open time of the display bar a chart click names (its x category, in
    ``tz``), or None (no click, or a point off the candles)."""
    points = (click or {}).get("points") or []
    if not points or not bar_ts:
        return None
    x = points[0].get("x")
    found = [i for i, lab in enumerate(figures.labels(bar_ts, tz)) if lab == x]
    return bar_ts[found[-1]] if found else None


def picked_text(ts: str, tz: str = EXCHANGE_TZ) -> str:
    """Say which bar a fork starts after: ``fork after the 08-07 10:15 ET bar``."""
    return f"fork after the {figures.label(ts, tz)} {fmt.zone_abbr(tz)} bar"


def picked_line(x: str) -> dict:
    """Return the dotted vertical line marking the picked bar (``x``: its category)."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#f0ad4e", "width": 1.5, "dash": "dot"},
    }


def chart_note(
    shown: int, played: int, trades_drawn: int = 0, trades_in_view: int = 0
) -> str | None:
    """Say that a long session's chart shows only its last bars, or only the newest of the
    trades in view, or that no bar of the session was played (None when everything is
    drawn)."""
    if not played:
        return "no bar of the session was played: the chart shows the history before its start"
    parts = []
    if played > shown:
        parts.append(f"the last {shown:,} of {played:,} display bars")
    if trades_in_view > trades_drawn:
        parts.append(f"the newest {trades_drawn:,} of {trades_in_view:,} trades in view")
    if not parts:
        return None
    return "; ".join(parts) + "; every trade is in the table"


def window_start(candles: list[dict]) -> str | None:
    """Return the chart's first candle time as ISO UTC text (as trades store theirs), None
    for no candle."""
    if not candles:
        return None
    return iso_utc(to_ns(candles[0]["ts"]))


def session_bars(candles: list[dict], t_start: str | None, context: int = CONTEXT_BARS) -> list:
    """Return the candles from ``context`` bars before ``t_start`` on (the warm-up history
    before it only sets the indicators); a session that ended before its first bar: the last
    ``context`` bars of history."""
    if not t_start:
        return candles
    start = pd.Timestamp(t_start)
    first = next((i for i, c in enumerate(candles) if pd.Timestamp(c["ts"]) >= start), len(candles))
    return candles[max(0, first - context) :]


def review_figure(
    candles: list[dict],
    fills: list[dict],
    trades: list[dict],
    disp_tf: str,
    t_start: str | None = None,
    tz: str = EXCHANGE_TZ,
) -> dict:
    """Return the whole session's chart (from shortly before ``t_start``, all in view) with
    every fill as a marker and each trade as an entry→exit segment coloured by its result;
    times labelled in the session's exchange time ``tz``."""
    tf = figures.DISP_TFS[disp_tf]
    candles = session_bars(candles, t_start)
    n = len(candles)
    if not n:
        return figures.empty_figure("No bars played yet")
    fills = bar_fills(fills, tf)
    fig = figures.build_figure(
        candles,
        [],
        _FLAT,
        fills,
        tf,
        window=n,
        x_range=[-0.5, n - 0.5],
        fills_beside=False,
        tz=tz,
    )
    for trace in fig["data"]:  # a marker per bar and side: say how many fills it holds
        if trace.get("name") in ("BUY fills", "SELL fills"):
            trace["text"] = [
                f"{f['side']} {f['qty']} @ {f['price']:.2f}"
                + (f" ({f['count']} fills)" if f["count"] > 1 else "")
                for f in fills
                if f"{f['side']} fills" == trace["name"]
            ]
    for trace in fig["data"]:  # indicators carry 15 digits: 4 are plenty and halve the bytes
        for key in ("open", "high", "low", "close", "y"):
            if isinstance(trace.get(key), list):
                trace[key] = [_round4(v) for v in trace[key]]
    fig["data"] += trade_segments(clip_trades(trades, candles[0]["ts"]), tf, tz)
    lows = [c["low"] for c in candles if c.get("low") is not None]
    highs = [c["high"] for c in candles if c.get("high") is not None]
    if lows and highs:
        pad = (max(highs) - min(lows)) * 0.04 or 0.5
        fig["layout"]["yaxis"]["range"] = [min(lows) - pad, max(highs) + pad]
    notes = fig["layout"].get("annotations") or []
    if len(notes) > figures.REGIME_TAG:  # the live badge names the last bar's regime only
        # (the shading shows every bar's) and sat over the last-price tag
        notes[figures.REGIME_TAG]["visible"] = False
    fig["layout"]["uirevision"] = None
    return fig


def practice_body(params: dict) -> dict:
    """Return the start request of a new session with a played one's parameters (its
    SESSION_START ``params``): same symbol, range, display tf, speed, seed and fill model."""
    body = {k: params[k] for k in ("symbol", "t_start", "t_end", "disp_tf") if k in params}
    for key in ("speed", "seed"):
        if params.get(key) is not None:
            body[key] = params[key]
    if "edit_on_disp_boundary" in params:
        body["constraints"] = {"edit_on_disp_boundary": params["edit_on_disp_boundary"]}
    body["fill_model"] = {k: params[k] for k in FILL_MODEL_KNOBS if k in params}
    return body


def pager_text(page: dict, noun: str = "events") -> str:
    """Say which items a page shows: ``events 201-400 of 7,367`` (``trades 1-50 of 2,400``)."""
    total = page["total"]
    if not total:
        return f"no {noun}"
    first = page["page"] * page["page_size"] + 1
    last = min(total, first + page["page_size"] - 1)
    return f"{noun} {first:,}-{last:,} of {total:,}"


def page_turn(page: int, pressed: str | None, prev_id: str, next_id: str) -> int:
    """Return the page a pager's button press leads to (any other trigger: the first)."""
    if pressed == prev_id:
        return max(0, page - 1)
    if pressed == next_id:
        return page + 1
    return 0


def merged_targets(page_trades: list[dict], current: str | None, shown: list[dict]) -> list:
    """Return the journal's targets for a new trade page: the session and the page's trades,
    keeping the target chosen now (from the options ``shown``) when it is not on the page."""
    options = target_options(page_trades)
    values = {o["value"] for o in options}
    kept = [o for o in shown or [] if o["value"] == current and current not in values]
    return options[:1] + kept + options[1:]


def type_options(counts: dict[str, int]) -> list[dict]:
    """The timeline's type filter: each type in the log with its count."""
    return [{"label": f"{k} ({n:,})", "value": k} for k, n in sorted(counts.items())]


def setups_by_trade(entries: list[dict]) -> dict[int, str]:
    """Return trade id -> the setup of its latest journal note (notes without one skipped)."""
    return {e["trade_id"]: e["setup"] for e in entries if e["trade_id"] is not None and e["setup"]}


def target_options(trades: list[dict]) -> list[dict]:
    """What a journal note can be about: the session, or one of its trades."""
    out = [{"label": "The whole session", "value": "session"}]
    for t in trades:
        result = "open" if t.get("status") == "open" else fmt.money(t.get("pnl"))
        out.append(
            {
                "label": f"Trade #{t['trade_id']} {t['side']} {t['qty']} ({result})",
                "value": str(t["trade_id"]),
            }
        )
    return out


def target_trade(value: str | None) -> int | None:
    """The trade id a target value names (None: the session)."""
    return None if value in (None, "", "session") else int(value)


def note_body(session_id: str, target: str | None, form: dict) -> dict:
    """Return the ``add_journal`` body of the journal form (blank fields left out)."""
    body: dict = {"session_id": session_id}
    trade = target_trade(target)
    if trade is not None:
        body["trade_id"] = trade
    if form.get("setup"):
        body["setup"] = form["setup"]
    if (form.get("text") or "").strip():
        body["text"] = form["text"].strip()
    tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
    if tags:
        body["tags"] = tags
    if form.get("mistakes"):
        body["mistakes"] = list(form["mistakes"])
    if form.get("rating"):
        body["rating"] = int(form["rating"])
    return body


def latest_for(entries: list[dict], target: str | None) -> dict | None:
    """The latest note on the target (the session or a trade), or None."""
    trade = target_trade(target)
    return next((e for e in entries if e["trade_id"] == trade), None)


def editing_text(target: str | None, latest: dict | None) -> str:
    """Say what saving the form writes: ``trade #1: version 2 on save``."""
    trade = target_trade(target)
    about = "the session" if trade is None else f"trade #{trade}"
    version = (latest or {}).get("version", 0) + 1
    return f"{about}: version {version} on save"


def _entry_line(e: dict) -> list:
    parts = []
    if e.get("setup"):
        parts.append(dbc.Badge(e["setup"], color="info", className="me-1"))
    if e.get("rating"):
        parts.append(html.Span("★" * e["rating"] + "☆" * (5 - e["rating"]), className="me-2"))
    for m in e.get("mistakes") or []:
        parts.append(dbc.Badge(m, color="danger", className="me-1"))
    for t in e.get("tags") or []:
        parts.append(dbc.Badge(t, color="secondary", className="me-1"))
    if e.get("text"):
        parts.append(html.Span(e["text"], className="journal-text ms-1"))
    return parts


def journal_view(entries: list[dict], show_history: bool) -> html.Div:
    """The latest note on the session and on each trade; with ``show_history`` the older
    versions under each, newest first."""
    if not entries:
        return html.Div("No notes yet.", className="text-muted small")
    items = []
    for e in entries:
        about = "Session" if e["trade_id"] is None else f"Trade #{e['trade_id']}"
        head = html.Small(
            f"{about} · v{e['version']} · {fmt.et_time(e['created_at'])}", className="text-muted"
        )
        block = [html.Div([head]), html.Div(_entry_line(e), className="small")]
        if show_history:
            for old in e.get("history") or []:
                block.append(
                    html.Div(
                        [
                            html.Small(f"v{old['version']} · ", className="text-muted"),
                            *_entry_line(old),
                        ],
                        className="small journal-old ms-3",
                    )
                )
        items.append(html.Div(block, className="journal-entry mb-2"))
    return html.Div(items)

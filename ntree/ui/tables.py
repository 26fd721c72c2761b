"""Table renderers: the cockpit's working orders and closed trades, History's sessions and the
session log's trades and events (records in, Dash components out)."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine.ticks import EXCHANGE_TZ
from ntree.ui import format as fmt
from ntree.ui import ids


def orders_table(orders: list[dict]) -> html.Table | html.Div:
    """The working orders, each with its modify and cancel buttons."""
    if not orders:
        return html.Div("No working orders", className="text-muted small px-1")
    rows = []
    for o in orders:
        side_cls = "buy" if o["side"] == "BUY" else "sell"
        role = o.get("role") or ""
        rows.append(
            html.Tr(
                [
                    html.Td(_pick(o), className="pick"),
                    html.Td(f"#{o['order_id']}", className="text-muted"),
                    html.Td(o["side"], className=f"side {side_cls}"),
                    html.Td(
                        [
                            fmt.ORDER_KIND.get(o["type"], o["type"])
                            + ("" if role in ("", "entry") else f" {role.upper()}"),
                            *_oco_badge(o),
                        ]
                    ),
                    html.Td(str(o["qty"]), className="num"),
                    html.Td(
                        "MKT" if o.get("price") is None else f"{o['price']:.2f}", className="num"
                    ),
                    html.Td(
                        [
                            dbc.Button(
                                "✎",
                                id={"type": ids.ORDER_EDIT, "oid": o["order_id"]},
                                size="sm",
                                color="link",
                                className="p-0 me-2 row-btn",
                                title="modify",
                            ),
                            dbc.Button(
                                "✕",
                                id={"type": ids.ORDER_CANCEL, "oid": o["order_id"]},
                                size="sm",
                                color="link",
                                className="p-0 row-btn text-danger",
                                title="cancel",
                            ),
                        ],
                        className="text-end",
                    ),
                ]
            )
        )
        rows.extend(_pending_leg_row(o, leg) for leg in fmt.pending_legs(o))
    return html.Table(html.Tbody(rows), className="table table-sm table-dark mb-0 orders")


def _pick(order: dict) -> dcc.Checklist:
    """The tick box that picks an order (two picked: Link OCO)."""
    return dcc.Checklist(
        id={"type": ids.ORDER_PICK, "oid": order["order_id"]},
        options=[{"label": "", "value": order["order_id"]}],
        value=[],
        className="order-pick",
        inputClassName="form-check-input",
    )


def _oco_badge(order: dict) -> list:
    """An "OCO" mark on an order in a one-cancels-other group (a bracket's, or linked)."""
    group = order.get("oco_group")
    if not group:
        return []
    return [html.Span(" OCO", className="oco-badge", title=f"one cancels other: {group}")]


def _pending_leg_row(parent: dict, leg: tuple[str, float | None, str]) -> html.Tr:
    """A bracket exit the parent will place when it fills, listed under it."""
    role, px, text = leg
    side = "SELL" if parent["side"] == "BUY" else "BUY"
    kind = "LMT" if role == "tp" else "STP"
    price = text.split(" ", 1)[1] if px is None else f"{px:.2f}"
    return html.Tr(
        [
            html.Td(""),
            html.Td("↳", className="text-muted"),
            html.Td(side, className=f"side {'buy' if side == 'BUY' else 'sell'}"),
            html.Td(f"{kind} {role.upper()}"),
            html.Td(str(parent["qty"]), className="num"),
            html.Td(price, className="num"),
            html.Td("pending", className="text-muted small text-end"),
        ],
        className="pending-leg text-muted",
    )


def trades_table(trades: list[dict]) -> list:
    """The tally line and the closed trades, newest first."""
    tally = html.Div(fmt.trades_tally(trades), className="trades-tally")
    if not trades:
        return [tally]
    rows = []
    for t in reversed(trades):
        c = fmt.trade_cells(t)
        side_cls = "buy" if c["side"] == "LONG" else "sell"
        rows.append(
            html.Tr(
                [
                    html.Td(c["n"], className="text-muted tn"),
                    html.Td(c["side"], className=f"side {side_cls}"),
                    html.Td(c["qty"], className="num"),
                    html.Td(c["prices"], className="num"),
                    html.Td(c["pnl"], className=f"num {c['pnl_class']}"),
                    html.Td(c["r"], className="num"),
                    html.Td(c["reason"], className="text-muted reason"),
                ]
            )
        )
    table = html.Table(html.Tbody(rows), className="table table-sm table-dark mb-0 orders trades")
    return [tally, table]


HISTORY_COLUMNS = (
    "Session",
    "Symbol",
    "TF",
    "Replayed range (ET)",
    "Status",
    "PnL",
    "Max DD",
    "Trades",
    "Win rate",
    "Avg R",
    "Parent",
    "Played (ET)",
)
LOG_TRADE_COLUMNS = (
    "#",
    "Side",
    "Qty",
    "Entry (ET)",
    "Entry",
    "Exit (ET)",
    "Exit",
    "Held",
    "PnL",
    "R",
    "MAE",
    "MFE",
    "Exit reason",
)
LOG_EVENT_COLUMNS = ("#", "Time (ET)", "Event", "What happened")
_HISTORY_NUMERIC = {"PnL", "Max DD", "Trades", "Win rate", "Avg R"}
_LOG_NUMERIC = {"Qty", "Entry", "Exit", "Held", "PnL", "R", "MAE", "MFE"}


def _head(columns: tuple[str, ...], numeric: set[str]) -> html.Thead:
    return html.Thead(
        html.Tr([html.Th(c, className="num" if c in numeric else None) for c in columns])
    )


def sessions_table(sessions: list[dict]) -> dbc.Table:
    """History's table: one row per session, newest first as given."""
    return dbc.Table(
        [_head(HISTORY_COLUMNS, _HISTORY_NUMERIC), html.Tbody([_session_row(s) for s in sessions])],
        bordered=False,
        hover=True,
        size="sm",
        color="dark",
        className="history-table",
        id=ids.HISTORY_TABLE,
    )


def _session_row(s: dict) -> html.Tr:
    pnl = s.get("result_pnl")
    parent = s.get("parent_session_id")
    return html.Tr(
        [
            html.Td(dcc.Link(s["session_id"], href=f"/history/{s['session_id']}")),
            html.Td(s["symbol"]),
            html.Td(s["disp_tf"]),
            html.Td(fmt.et_range(s["t_start"], s["t_end"])),
            html.Td(
                [
                    dbc.Badge(
                        s["status"], color="success" if s["status"] == "active" else "secondary"
                    ),
                    dcc.Link(
                        "resume ▶",
                        href=f"/?session={s['session_id']}",
                        className="small ms-2 resume-link",
                    )
                    if s["status"] == "active"
                    else None,
                ]
            ),
            html.Td(fmt.money(pnl), className=f"num {fmt.pnl_class(pnl)}"),
            html.Td(fmt.money(s.get("max_dd"), signed=False), className="num"),
            html.Td("—" if s.get("num_trades") is None else s["num_trades"], className="num"),
            html.Td(fmt.pct(s.get("win_rate")), className="num"),
            html.Td(fmt.r_multiple(s.get("avg_r")), className="num"),
            html.Td(dcc.Link(parent, href=f"/history/{parent}") if parent else ""),
            html.Td(fmt.et_time(s.get("created_at"))),
        ],
        id=ids.history_row(s["session_id"]),
    )


def _log_table(columns: tuple[str, ...], rows: list, id_: str) -> dbc.Table:
    return dbc.Table(
        [_head(columns, _LOG_NUMERIC), html.Tbody(rows)],
        size="sm",
        color="dark",
        className="history-table",
        id=id_,
    )


def _zoned(columns: tuple[str, ...], tz: str) -> tuple[str, ...]:
    """Return the column names with ``(ET)`` said in ``tz``'s short name (``(HKT)``)."""
    return tuple(c.replace("(ET)", f"({fmt.zone_abbr(tz)})") for c in columns)


def log_trades_table(
    trades: list[dict], setups: dict[int, str] | None = None, tz: str = EXCHANGE_TZ
) -> dbc.Table:
    """The session log's trades, in order (an open one shows as open), times in the
    session's exchange time ``tz``; with ``setups`` (trade id -> the journal's setup) a Setup
    column too."""
    rows = [_log_trade_row(t, tz) for t in trades]
    columns = _zoned(LOG_TRADE_COLUMNS, tz)
    if setups is None:
        return _log_table(columns, rows, ids.LOG_TRADES)
    for t, row in zip(trades, rows, strict=True):
        row.children.append(html.Td(setups.get(t["trade_id"], ""), className="trade-setup"))
    return _log_table((*columns, "Setup"), rows, ids.LOG_TRADES)


def log_events_table(events: list[dict], tz: str = EXCHANGE_TZ) -> dbc.Table:
    """The session log's events (times in exchange time ``tz``), each opening on its payload."""
    rows = [_event_row(e, tz) for e in events]
    return _log_table(_zoned(LOG_EVENT_COLUMNS, tz), rows, ids.LOG_TABLE)


def _log_trade_row(t: dict, tz: str = EXCHANGE_TZ) -> html.Tr:
    long = t["side"] in ("LONG", "BUY")
    if t.get("status") == "open":  # still open: no exit, hold time or final result yet
        return _open_trade_row(t, long, tz)
    return html.Tr(
        [
            html.Td(t["trade_id"]),
            html.Td(t["side"], className=f"side {'buy' if long else 'sell'}"),
            html.Td(t["qty"], className="num"),
            html.Td(fmt.et_time(t["entry_ts"], year=False, zone=False, weekday=False, tz=tz)),
            html.Td(f"{t['entry_px']:.2f}", className="num"),
            html.Td(fmt.et_time(t["exit_ts"], year=False, zone=False, weekday=False, tz=tz)),
            html.Td(f"{t['exit_px']:.2f}", className="num"),
            html.Td(fmt.duration(t["entry_ts"], t["exit_ts"]), className="num"),
            html.Td(fmt.money(t["pnl"]), className=f"num {fmt.pnl_class(t['pnl'])}"),
            html.Td(fmt.r_multiple(t.get("r_multiple")), className="num"),
            html.Td(
                "—" if t.get("mae") is None else f"-{t['mae']:.2f}",
                className="num pnl-neg",
                title="worst excursion against the trade, in price points",
            ),
            html.Td(
                "—" if t.get("mfe") is None else f"+{t['mfe']:.2f}",
                className="num pnl-pos",
                title="best excursion for the trade, in price points",
            ),
            html.Td(fmt.reason(t.get("reason_code"))),
        ]
    )


def _open_trade_row(t: dict, long: bool, tz: str = EXCHANGE_TZ) -> html.Tr:
    pnl = t.get("pnl")
    return html.Tr(
        [
            html.Td(t["trade_id"]),
            html.Td(t["side"], className=f"side {'buy' if long else 'sell'}"),
            html.Td(t["qty"], className="num"),
            html.Td(fmt.et_time(t["entry_ts"], year=False, zone=False, weekday=False, tz=tz)),
            html.Td(f"{t['entry_px']:.2f}", className="num"),
            html.Td("open", colSpan=3, className="text-muted"),
            html.Td(
                "—" if pnl is None else fmt.money(pnl),
                className=f"num {fmt.pnl_class(pnl or 0)}",
                title="realized so far",
            ),
            html.Td("—", className="num"),
            html.Td("—" if t.get("mae") is None else f"-{t['mae']:.2f}", className="num pnl-neg"),
            html.Td("—" if t.get("mfe") is None else f"+{t['mfe']:.2f}", className="num pnl-pos"),
            html.Td("open"),
        ],
        className="trade-open",
    )


def _event_row(e: dict, tz: str = EXCHANGE_TZ) -> html.Tr:
    payload = json.dumps(e["payload"], sort_keys=True, indent=1)
    return html.Tr(
        [
            html.Td(e["id"], className="text-muted"),
            html.Td(
                fmt.et_time(e["ts_exec"], year=False, zone=False, tz=tz),
                title=f"exec {e['ts_exec']} · bar {e['ts_market']} (UTC)",
            ),
            html.Td(dbc.Badge(e["type"], color=fmt.event_color(e["type"]), className="ev-badge")),
            html.Td(
                html.Details(
                    [html.Summary(fmt.event_summary(e)), html.Pre(payload, className="payload")]
                )
            ),
        ],
        className=f"ev ev-{e['type'].lower()}",
    )

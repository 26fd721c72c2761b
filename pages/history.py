"""History: the sessions played, newest first, with their summary metrics and log links.

``/history?symbol=AAPL`` shows one symbol's sessions (the pills above the table).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.ui import format as fmt
from ntree.ui import ids
from ntree.ui.service import service

dash.register_page(__name__, path="/history", name="History", title="ntree · History", order=1)

COLUMNS = (
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
NUMERIC = {"PnL", "Max DD", "Trades", "Win rate", "Avg R"}


def _row(s: dict) -> html.Tr:
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
        id=f"history-row-{s['session_id']}",
    )


def _symbol_filter(symbols: list[str], current: str | None) -> dbc.Nav:
    items = [("All", "/history", current is None)]
    items += [(sym, f"/history?symbol={sym}", sym == current) for sym in symbols]
    return dbc.Nav(
        [dbc.NavItem(dbc.NavLink(text, href=href, active=on)) for text, href, on in items],
        pills=True,
        className="history-filter ms-3",
        id=ids.HISTORY_FILTER,
    )


def layout(symbol: str | None = None, **_kwargs) -> html.Div:
    sessions = service().list_sessions()  # newest first
    symbols = sorted({s["symbol"] for s in sessions})
    symbol = symbol if symbol in symbols else None
    shown = [s for s in sessions if symbol in (None, s["symbol"])]
    if not shown:
        body = html.P("No sessions yet: start one in the Cockpit.", className="text-muted")
    else:
        body = dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [html.Th(c, className="num" if c in NUMERIC else None) for c in COLUMNS]
                    )
                ),
                html.Tbody([_row(s) for s in shown]),
            ],
            bordered=False,
            hover=True,
            size="sm",
            color="dark",
            className="history-table",
            id=ids.HISTORY_TABLE,
        )
    title = html.Div(
        [
            html.H5("Sessions played", className="mb-0"),
            _symbol_filter(symbols, symbol) if len(symbols) > 1 else None,
            html.Small(f"{len(shown)} sessions, newest first", className="text-muted ms-3"),
        ],
        className="d-flex align-items-center my-2",
    )
    return dbc.Container([title, body], fluid=True)

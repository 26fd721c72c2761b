"""History: the sessions played, newest first, with their summary metrics and log links."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from ntree.api import service
from ntree.market import EXCHANGE_TZ
from ntree.ui import ids

dash.register_page(__name__, path="/history", name="History", title="ntree · History", order=1)

COLUMNS = (
    "Session",
    "Symbol",
    "TF",
    "Range (ET)",
    "Status",
    "PnL",
    "Max DD",
    "Trades",
    "Win rate",
    "Avg R",
    "Parent",
    "Created",
)


def _day(ts: str | None) -> str:
    if not ts:
        return ""
    return pd.Timestamp(ts).tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M")


def _num(x, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def _row(s: dict) -> html.Tr:
    pnl = s.get("result_pnl")
    pnl_cls = "" if not pnl else ("pnl-pos" if pnl > 0 else "pnl-neg")
    parent = s.get("parent_session_id")
    return html.Tr(
        [
            html.Td(dcc.Link(s["session_id"], href=f"/history/{s['session_id']}")),
            html.Td(s["symbol"]),
            html.Td(s["disp_tf"]),
            html.Td(f"{_day(s['t_start'])} → {_day(s['t_end'])}"),
            html.Td(
                dbc.Badge(s["status"], color="success" if s["status"] == "active" else "secondary")
            ),
            html.Td(_num(pnl, "+,.2f"), className=pnl_cls),
            html.Td(_num(s.get("max_dd"), ",.2f")),
            html.Td(_num(s.get("num_trades"), "d")),
            html.Td(_num(s.get("win_rate"), ".0%")),
            html.Td(_num(s.get("avg_r"), "+.2f")),
            html.Td(dcc.Link(parent, href=f"/history/{parent}") if parent else ""),
            html.Td(s.get("created_at", "")),
        ],
        id=f"history-row-{s['session_id']}",
    )


def layout(**_kwargs) -> html.Div:
    sessions = service().list_sessions()
    if not sessions:
        body = html.P("No sessions yet: start one in the Cockpit.", className="text-muted")
    else:
        body = dbc.Table(
            [
                html.Thead(html.Tr([html.Th(c) for c in COLUMNS])),
                html.Tbody([_row(s) for s in sessions]),
            ],
            bordered=False,
            hover=True,
            size="sm",
            color="dark",
            className="history-table",
            id=ids.HISTORY_TABLE,
        )
    return dbc.Container([html.H5("Sessions played", className="mt-2"), body], fluid=True)

"""One session's log: its metrics, trades and every event (linked from History)."""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.api import service
from ntree.ui import ids

dash.register_page(
    __name__,
    path_template="/history/<session_id>",
    name="Session log",
    title="ntree · Session log",
    nav=False,
)


def layout(session_id: str | None = None, **_kwargs) -> html.Div:
    svc = service()
    row = svc.get_session(session_id) if session_id else None
    if row is None:
        return dbc.Container(
            dbc.Alert(f"Unknown session {session_id!r}", color="warning"), fluid=True
        )
    events = svc.store.load_events(session_id)
    trades = svc.store.trades(session_id)
    metrics = [
        ("PnL", row.get("result_pnl"), "+,.2f"),
        ("Max DD", row.get("max_dd"), ",.2f"),
        ("Trades", row.get("num_trades"), "d"),
        ("Win rate", row.get("win_rate"), ".0%"),
        ("Avg R", row.get("avg_r"), "+.2f"),
    ]
    cards = dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(label, className="stat-label"),
                            html.Div("—" if v is None else format(v, fmt), className="stat-value"),
                        ],
                        className="p-2",
                    )
                ),
                width="auto",
            )
            for label, v, fmt in metrics
        ],
        className="g-2 mb-2",
    )
    parent = row.get("parent_session_id")
    head = html.Div(
        [
            html.H5([f"Session {session_id} ", dbc.Badge(row["status"], className="ms-1")]),
            html.Div(
                f"{row['symbol']} · {row['disp_tf']} · {row['t_start']} → {row['t_end']}",
                className="text-muted small",
            ),
            html.Div(
                ["Forked from ", dcc.Link(parent, href=f"/history/{parent}")], className="small"
            )
            if parent
            else None,
            dcc.Link("← History", href="/history", className="small"),
        ],
        className="my-2",
    )
    trade_table = (
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(c)
                            for c in ("#", "Side", "Qty", "Entry", "Exit", "PnL", "R", "Reason")
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(t["trade_id"]),
                                html.Td(t["side"]),
                                html.Td(t["qty"]),
                                html.Td(f"{t['entry_px']:.2f} {t['entry_ts']}"),
                                html.Td(f"{t['exit_px']:.2f} {t['exit_ts']}"),
                                html.Td(f"{t['pnl']:+.2f}"),
                                html.Td(
                                    "—"
                                    if t.get("r_multiple") is None
                                    else f"{t['r_multiple']:+.2f}"
                                ),
                                html.Td(t.get("reason_code") or ""),
                            ]
                        )
                        for t in trades
                    ]
                ),
            ],
            size="sm",
            color="dark",
            className="history-table",
        )
        if trades
        else None
    )
    log = dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(c) for c in ("#", "Exec time", "Market time", "Event", "Payload")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(e["id"]),
                            html.Td(e["ts_exec"] or ""),
                            html.Td(e["ts_market"] or ""),
                            html.Td(e["type"]),
                            html.Td(html.Code(json.dumps(e["payload"], sort_keys=True)[:300])),
                        ]
                    )
                    for e in (ev.to_dict() for ev in events)
                    if e["type"] != "STEP"
                ]
            ),
        ],
        size="sm",
        color="dark",
        className="history-table",
        id=ids.LOG_TABLE,
    )
    return dbc.Container(
        [
            head,
            cards,
            html.H6("Trades") if trades else None,
            trade_table,
            html.H6("Event log (steps hidden)"),
            log,
        ],
        fluid=True,
    )

"""One session's log, the film room: metrics, trades, every event, and an exact re-run check.

Times are New York exchange time; the text comes from :mod:`ntree.ui.format`.
"""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from ntree.engine import EngineError
from ntree.runner import replay_check
from ntree.ui import format as fmt
from ntree.ui import ids
from ntree.ui.service import service

dash.register_page(
    __name__,
    path_template="/history/<session_id>",
    name="Session log",
    title="ntree · Session log",
    nav=False,
)

TRADE_COLUMNS = (
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


def _metric(label: str, value: str, cls: str = "") -> dbc.Col:
    body = [html.Div(label, className="stat-label"), html.Div(value, className=f"stat-value {cls}")]
    return dbc.Col(dbc.Card(dbc.CardBody(body, className="p-2")), width="auto")


def _head(row: dict, start_params: dict) -> html.Div:
    sid, parent = row["session_id"], row.get("parent_session_id")
    fork = None
    if parent:
        at = fmt.et_time(start_params.get("forked_at"))
        fork = html.Div(
            ["Fork of ", dcc.Link(parent, href=f"/history/{parent}", id=ids.LOG_PARENT)]
            + ([f", rewound to {at}"] if at else []),
            className="small",
        )
    return html.Div(
        [
            html.H5(
                [
                    f"Session {sid} ",
                    dbc.Badge(
                        row["status"],
                        color="success" if row["status"] == "active" else "secondary",
                        className="ms-1",
                    ),
                ]
            ),
            html.Div(
                f"{row['symbol']} · {row['disp_tf']} · {fmt.et_range(row['t_start'], row['t_end'])}"
                f" · fills: {fmt.fill_model_text(start_params)}"
                f" · played {fmt.et_time(row.get('created_at'))}",
                className="text-muted small",
                id=ids.LOG_HEAD,
            ),
            fork,
            html.Div(
                [
                    dcc.Link("← History", href="/history", className="small me-3"),
                    dcc.Link(
                        "Resume in the cockpit ▶",
                        href=f"/?session={sid}",
                        className="small me-3",
                        id=ids.LOG_RESUME,
                    )
                    if row["status"] == "active"
                    else None,
                    dbc.Button(
                        "Verify re-run",
                        id=ids.LOG_VERIFY,
                        size="sm",
                        color="info",
                        outline=True,
                        className="py-0",
                        title="re-run the session from its log and compare every event",
                    ),
                    dcc.Loading(html.Div(id=ids.LOG_VERIFY_RESULT, className="mt-1"), type="dot"),
                ],
                className="mt-1",
            ),
        ],
        className="my-2",
    )


def _trade_row(t: dict) -> html.Tr:
    long = t["side"] in ("LONG", "BUY")
    return html.Tr(
        [
            html.Td(t["trade_id"]),
            html.Td(t["side"], className=f"side {'buy' if long else 'sell'}"),
            html.Td(t["qty"], className="num"),
            html.Td(fmt.et_time(t["entry_ts"], year=False, zone=False)),
            html.Td(f"{t['entry_px']:.2f}", className="num"),
            html.Td(fmt.et_time(t["exit_ts"], year=False, zone=False)),
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


def _event_row(e: dict) -> html.Tr:
    payload = json.dumps(e["payload"], sort_keys=True, indent=1)
    return html.Tr(
        [
            html.Td(e["id"], className="text-muted"),
            html.Td(
                fmt.et_time(e["ts_exec"], year=False, zone=False),
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


NUMERIC = {"Qty", "Entry", "Exit", "Held", "PnL", "R", "MAE", "MFE"}


def _table(head, rows, **kwargs) -> dbc.Table:
    cells = [html.Th(c, className="num" if c in NUMERIC else None) for c in head]
    return dbc.Table(
        [html.Thead(html.Tr(cells)), html.Tbody(rows)],
        size="sm",
        color="dark",
        className="history-table",
        **kwargs,
    )


def layout(session_id: str | None = None, **_kwargs) -> html.Div:
    svc = service()
    row = svc.get_session(session_id) if session_id else None
    if row is None:
        return dbc.Container(
            dbc.Alert(f"Unknown session {session_id!r}", color="warning"), fluid=True
        )
    events = [ev.to_dict() for ev in svc.store.load_events(session_id)]
    trades = svc.store.trades(session_id)
    start = next((e for e in events if e["type"] == "SESSION_START"), None)
    start_params = (start or {}).get("payload", {}).get("params") or {}
    pnl = row.get("result_pnl")
    cards = dbc.Row(
        [
            _metric("PnL", fmt.money(pnl), fmt.pnl_class(pnl)),
            _metric("Max DD", fmt.money(row.get("max_dd"), signed=False)),
            _metric("Trades", "—" if row.get("num_trades") is None else str(row["num_trades"])),
            _metric("Win rate", fmt.pct(row.get("win_rate"))),
            _metric("Avg R", fmt.r_multiple(row.get("avg_r"))),
        ],
        className="g-2 mb-2",
    )
    shown = [e for e in events if e["type"] != "STEP"]
    return dbc.Container(
        [
            dcc.Store(id=ids.LOG_SESSION, data=session_id),
            _head(row, start_params),
            cards,
            html.H6("Trades") if trades else None,
            html.P("Trades are recorded when the session ends.", className="text-muted small")
            if not trades and row["status"] == "active"
            else None,
            _table(TRADE_COLUMNS, [_trade_row(t) for t in trades], id=ids.LOG_TRADES)
            if trades
            else None,
            html.H6(
                [
                    "Event log ",
                    html.Small(
                        f"({fmt.count(len(events) - len(shown), 'step')} hidden; "
                        "click a line for its payload)",
                        className="text-muted",
                    ),
                ]
            ),
            _table(
                ("#", "Time (ET)", "Event", "What happened"),
                [_event_row(e) for e in shown],
                id=ids.LOG_TABLE,
            ),
        ],
        fluid=True,
    )


@callback(
    Output(ids.LOG_VERIFY_RESULT, "children"),
    Input(ids.LOG_VERIFY, "n_clicks"),
    State(ids.LOG_SESSION, "data"),
    prevent_initial_call=True,
)
def _verify(_n, session_id):
    """Re-run the session from its stored log and say whether every event came out the same."""
    if not session_id:
        raise PreventUpdate
    try:
        res = replay_check(service().db_engine, session_id)
    except EngineError as exc:
        return dbc.Alert(str(exc), color="danger", className="py-1 px-2 mb-0 small")
    if res.ok:
        return dbc.Alert(
            [
                html.B("OK "),
                f"{res.events} events re-run identically · PnL {fmt.money(res.rerun_pnl)} · ",
                html.Code(res.stored_hash[:16], title=f"log SHA-256 {res.stored_hash}"),
            ],
            color="success",
            className="py-1 px-2 mb-0 small verify-ok",
        )
    return dbc.Alert(
        [
            html.B("The re-run differs from the stored log"),
            html.Pre(res.message, className="payload mb-0"),
        ],
        color="danger",
        className="py-1 px-2 mb-0 small verify-bad",
    )

"""The session log page's layout (the film room): the head with its links and the re-run
check, the metric cards, the trades and the events; and the re-run check's verdict."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.ui import format as fmt
from ntree.ui import ids
from ntree.ui.tables import log_events_table, log_trades_table


def unknown(session_id: str | None) -> dbc.Container:
    """The page for an id with no session."""
    return dbc.Container(dbc.Alert(f"Unknown session {session_id!r}", color="warning"), fluid=True)


def page(row: dict, events: list[dict], trades: list[dict]) -> dbc.Container:
    """The log of the session ``row`` (its stored record) with its events and trades."""
    start = next((e for e in events if e["type"] == "SESSION_START"), None)
    start_params = (start or {}).get("payload", {}).get("params") or {}
    shown = [e for e in events if e["type"] != "STEP"]
    return dbc.Container(
        [
            dcc.Store(id=ids.LOG_SESSION, data=row["session_id"]),
            _head(row, start_params),
            _metrics(row),
            html.H6("Trades") if trades else None,
            html.P("Trades are recorded when the session ends.", className="text-muted small")
            if not trades and row["status"] == "active"
            else None,
            log_trades_table(trades) if trades else None,
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
            log_events_table(shown),
        ],
        fluid=True,
    )


def _metric(label: str, value: str, cls: str = "") -> dbc.Col:
    body = [html.Div(label, className="stat-label"), html.Div(value, className=f"stat-value {cls}")]
    return dbc.Col(dbc.Card(dbc.CardBody(body, className="p-2")), width="auto")


def _metrics(row: dict) -> dbc.Row:
    pnl = row.get("result_pnl")
    return dbc.Row(
        [
            _metric("PnL", fmt.money(pnl), fmt.pnl_class(pnl)),
            _metric("Max DD", fmt.money(row.get("max_dd"), signed=False)),
            _metric("Trades", "—" if row.get("num_trades") is None else str(row["num_trades"])),
            _metric("Win rate", fmt.pct(row.get("win_rate"))),
            _metric("Avg R", fmt.r_multiple(row.get("avg_r"))),
        ],
        className="g-2 mb-2",
    )


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


def verify_result(res) -> dbc.Alert:
    """The re-run check's verdict (a ``ntree.runner`` replay-check result)."""
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


def verify_error(message: str) -> dbc.Alert:
    """The re-run check could not run (e.g. a log it cannot read)."""
    return dbc.Alert(message, color="danger", className="py-1 px-2 mb-0 small")

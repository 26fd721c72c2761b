"""The cockpit's sidebar: position stats, order ticket, working orders, trades, hotkeys, and the
card shown when the session ends."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine.commands import MAX_NOTE
from ntree.engine.ticks import TICK
from ntree.ui import format as fmt
from ntree.ui import ids, ticket_layout
from ntree.ui.cockpit import HOTKEYS
from ntree.ui.tables import trades_table


def sidebar() -> list:
    """The right-hand column, top to bottom (the summary card appears above when it ends)."""
    return [
        html.Div(id=ids.SUMMARY),
        position_card(),
        order_ticket(),
        orders_card(),
        trades_card(),
        hotkeys_card(),
    ]


def _stat(label: str, id_: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="stat-label"), html.Div("—", id=id_, className="stat-value")],
        className="stat",
    )


def position_card() -> dbc.Card:
    """Position, average price, PnL, equity, drawdown and the buying power used."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        _stat("Position", ids.POS_QTY),
                        _stat("Avg price", ids.POS_AVG),
                        _stat("Unrealized", ids.POS_UNREAL),
                        _stat("Realized", ids.POS_REAL),
                        _stat("Equity", ids.POS_EQUITY),
                        _stat("Max DD", ids.POS_MAXDD),
                    ],
                    className="stats-grid",
                ),
                html.Div(
                    "—", id=ids.POS_BP, className="bp-line", title="buying power used / available"
                ),
            ],
            className="p-2",
        ),
        className="mb-2",
    )


def order_ticket() -> dbc.Card:
    """The ticket: an Order tab (side, type, price ± a tick, qty, the bracket template, risk,
    the risk line, Place, the note box) and a Ladder tab."""
    order = [
        html.Div(
            [
                dbc.RadioItems(
                    id=ids.ORDER_SIDE,
                    value="BUY",
                    inline=True,
                    className="btn-group side-toggle",
                    inputClassName="btn-check",
                    labelClassName="btn btn-sm btn-outline-light",
                    labelCheckedClassName="active",
                    options=[
                        {"label": "BUY", "value": "BUY"},
                        {"label": "SELL", "value": "SELL"},
                    ],
                ),
                dbc.Select(
                    id=ids.ORDER_TYPE,
                    size="sm",
                    value="LIMIT",
                    className="ms-1 order-type",
                    options=[{"label": t.title(), "value": t} for t in ("LIMIT", "STOP", "MARKET")],
                ),
            ],
            className="d-flex mt-1",
        ),
        dbc.InputGroup(
            [
                dbc.Button("−", id=ids.PRICE_DOWN, color="secondary"),
                dbc.Input(
                    id=ids.ORDER_PRICE,
                    type="number",
                    step=TICK,
                    placeholder="price (click chart)",
                ),
                dbc.Button("+", id=ids.PRICE_UP, color="secondary"),
                dbc.InputGroupText("Qty"),
                dbc.Input(
                    id=ids.ORDER_QTY, type="number", value=100, min=1, step=1, className="qty"
                ),
            ],
            size="sm",
            className="mt-1",
        ),
        ticket_layout.bracket_row(),
        ticket_layout.risk_row(),
        html.Div(id=ids.RISK_PREVIEW, className="risk-preview"),
        html.Div(
            [
                dbc.Button(
                    "Place order",
                    id=ids.PLACE,
                    color="primary",
                    size="sm",
                    className="flex-grow-1",
                ),
                dbc.Button(
                    "✕",
                    id=ids.MODIFY_CANCEL,
                    color="secondary",
                    size="sm",
                    className="ms-1",
                    title="stop modifying",
                ),
            ],
            className="d-flex mt-1",
        ),
        dbc.InputGroup(
            [
                dbc.Input(
                    id=ids.NOTE_TEXT,
                    placeholder="note (into the log; the open trade's)",
                    maxLength=MAX_NOTE,
                    debounce=False,
                ),
                dbc.Button(
                    "Note",
                    id=ids.NOTE_BUTTON,
                    color="info",
                    outline=True,
                    title="write a NOTE event into the session's log",
                ),
            ],
            size="sm",
            className="mt-1 note-box",
        ),
    ]
    return dbc.Card(
        dbc.CardBody(
            dbc.Tabs(
                [
                    dbc.Tab(order, label="Order ticket", tab_id="order"),
                    dbc.Tab(ticket_layout.ladder_tab(), label="Ladder", tab_id="ladder"),
                ],
                id=ids.TICKET_TABS,
                active_tab="order",
                className="ticket-tabs",
            ),
            className="p-2 pt-1",
        ),
        className="mb-2",
    )


def orders_card() -> dbc.Card:
    """The working orders, with Link OCO (the two ticked), Cancel all and Flatten."""
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.Span("Orders", className="small"),
                        html.Div(
                            [
                                dbc.Button(
                                    "Link OCO",
                                    id=ids.LINK_OCO,
                                    color="info",
                                    outline=True,
                                    size="sm",
                                    className="py-0 me-1",
                                    title="tick two orders: when one fills the other is canceled",
                                ),
                                dbc.Button(
                                    "Cancel all",
                                    id=ids.CANCEL_ALL,
                                    color="warning",
                                    outline=True,
                                    size="sm",
                                    className="py-0",
                                ),
                                dbc.Button(
                                    "Flatten",
                                    id=ids.FLATTEN,
                                    color="danger",
                                    size="sm",
                                    className="py-0 ms-1",
                                ),
                            ]
                        ),
                    ],
                    className="d-flex justify-content-between align-items-center",
                ),
                className="py-1",
            ),
            dbc.CardBody(html.Div(id=ids.ORDERS_TABLE, className="orders-table"), className="p-1"),
        ],
        className="mb-2",
    )


def trades_card() -> dbc.Card:
    """The closed trades' tally and rows, and the open position's MAE / MFE."""
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.Span("Trades", className="small"),
                        html.Span(
                            id=ids.TRADES_OPEN,
                            className="open-exc",
                            title="open position: worst / best excursion from the average "
                            "price so far (points)",
                        ),
                    ],
                    className="d-flex justify-content-between align-items-center",
                ),
                className="py-1",
            ),
            dbc.CardBody(
                html.Div(trades_table([]), id=ids.TRADES_TABLE, className="trades-table"),
                className="p-1",
            ),
        ],
        className="mb-2",
    )


def hotkeys_card() -> html.Details:
    """The hotkeys, open by default."""
    return html.Details(
        [
            html.Summary("Hotkeys", className="small text-muted"),
            html.Table(
                [
                    html.Tr([html.Td(html.Kbd(k)), html.Td(v, className="small")])
                    for k, v in HOTKEYS
                ],
                className="hotkeys",
            ),
        ],
        open=True,
        className="hotkeys-box",
    )


def summary_card(sid: str, summary: dict) -> dbc.Card:
    """The session's result, linking to its log."""

    def row(label, value):
        return html.Div(
            [html.Span(label, className="stat-label"), html.Span(value, className="stat-value")],
            className="sum-row",
        )

    return dbc.Card(
        [
            dbc.CardHeader("Session ended", className="py-1"),
            dbc.CardBody(
                [
                    row("PnL", fmt.money(summary.get("pnl"))),
                    row("Max DD", fmt.money(summary.get("max_dd"), signed=False)),
                    row("Trades", str(summary.get("num_trades", 0))),
                    row("Win rate", fmt.pct(summary.get("win_rate"))),
                    row("Avg R", fmt.r_multiple(summary.get("avg_r"))),
                    dcc.Link(
                        "Open in History →",
                        href=f"/history/{sid}",
                        className="small",
                        id=ids.SUMMARY_LINK,
                    ),
                ],
                className="p-2",
            ),
        ],
        className="mb-2 summary-card",
        color="secondary",
        outline=True,
    )

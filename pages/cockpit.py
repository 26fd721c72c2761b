"""Cockpit: replay a market bar by bar and trade it by hand.

Thin page: callbacks turn inputs into :mod:`ntree.ui.cockpit` actions (service commands) and
the resulting state into a figure Patch and widget texts.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from ntree.engine import FILL_MODEL_DEFAULTS
from ntree.engine.ticks import DISP_TFS, EXCHANGE_TZ, TICK, round_to_tick
from ntree.market import sessions
from ntree.ui import figures, ids
from ntree.ui import format as fmt
from ntree.ui.cockpit import HOTKEYS, Action, handle
from ntree.ui.service import service

dash.register_page(__name__, path="/", name="Cockpit", title="ntree · Cockpit", order=0)

SPEEDS = [1, 2, 5, 10, 20, 30, 60, 120]  # display bars per minute
PRESETS = {
    "none": "Preset…",
    "random": "Random day (from seed)",
    "last1": "Last day",
    "last5": "Last 5 days",
    "last20": "Last 20 days",
    "rth": "Regular session of the start day",
}


def _field(label: str, control, width: str = "auto", hint: str | None = None) -> dbc.Col:
    return dbc.Col(
        [html.Label(label, className="field-label", title=hint), control],
        width=width,
        className="px-1",
    )


def _start_panel() -> dbc.Card:
    svc = service()
    symbols = svc.symbols()
    return dbc.Card(
        dbc.CardBody(
            [
                dbc.Row(
                    [
                        _field(
                            "Symbol",
                            dbc.Select(
                                id=ids.START_SYMBOL,
                                size="sm",
                                options=[{"label": s, "value": s} for s in symbols],
                                value=symbols[0] if symbols else None,
                            ),
                        ),
                        _field(
                            "From", dbc.Input(id=ids.START_DATES + "-from", type="date", size="sm")
                        ),
                        _field("To", dbc.Input(id=ids.START_DATES + "-to", type="date", size="sm")),
                        _field(
                            "Display",
                            dbc.Select(
                                id=ids.START_DISP_TF,
                                size="sm",
                                options=[{"label": k, "value": k} for k in DISP_TFS],
                                value="5m",
                            ),
                        ),
                        _field(
                            "Speed (bars/min)",
                            dbc.Select(
                                id=ids.START_SPEED,
                                size="sm",
                                value="10",
                                options=[{"label": str(s), "value": str(s)} for s in SPEEDS],
                            ),
                        ),
                        _field(
                            "Seed",
                            dbc.Input(
                                id=ids.START_SEED,
                                type="number",
                                min=0,
                                step=1,
                                value=0,
                                size="sm",
                                style={"width": "5rem"},
                            ),
                        ),
                        _field(
                            "Preset",
                            dbc.Select(
                                id=ids.START_PRESET,
                                size="sm",
                                value="none",
                                options=[{"label": v, "value": k} for k, v in PRESETS.items()],
                            ),
                        ),
                        dbc.Col(
                            dbc.Switch(
                                id=ids.START_BOUNDARY,
                                label="Edit on bar boundary",
                                value=True,
                                className="mb-0 small",
                            ),
                            width="auto",
                            className="px-2 align-self-end",
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Fills: perfect",
                                id=ids.START_FILL_TOGGLE,
                                color="secondary",
                                outline=True,
                                size="sm",
                                title="The paper broker's fill model for the new session",
                            ),
                            width="auto",
                            className="px-1 align-self-end",
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Start session", id=ids.START_BUTTON, color="primary", size="sm"
                            ),
                            width="auto",
                            className="px-1 align-self-end",
                        ),
                        dbc.Col(
                            html.Small(id=ids.START_RANGE_NOTE, className="text-muted"),
                            className="px-2 align-self-end",
                        ),
                    ],
                    className="g-0 align-items-end",
                ),
                dbc.Collapse(_fill_model_row(), id=ids.START_FILL_PANEL, is_open=False),
                dcc.Store(id=ids.START_FILL_MODEL, data={}),
            ],
            className="py-2 px-2",
        ),
        className="mb-2 start-panel",
    )


def _whole_input(id_: str, knob: str) -> dbc.Input:
    return dbc.Input(
        id=id_,
        type="number",
        min=0,
        step=1,
        value=FILL_MODEL_DEFAULTS[knob],
        size="sm",
        style={"width": "5rem"},
    )


def _fill_model_row() -> dbc.Row:
    """The fill model's knobs (defaults: the v1 "perfect fill"); hover a label for its rule."""
    return dbc.Row(
        [
            _field(
                "Limit fills: ticks through",
                _whole_input(ids.START_FILL_THROUGH, "limit_fill_ticks_worse"),
                hint="0: a touch fills; n: the bar must trade n ticks through the limit",
            ),
            _field(
                "Market/stop slippage (ticks)",
                _whole_input(ids.START_FILL_SLIPPAGE, "market_slippage_ticks"),
                hint="market and stop fills n ticks worse",
            ),
            _field(
                "Latency (1m bars)",
                _whole_input(ids.START_FILL_LATENCY, "latency_bars"),
                hint="orders and changes are live n 1m bars later",
            ),
            _field(
                "Commission ($/share)",
                dbc.Input(
                    id=ids.START_FILL_COMMISSION,
                    type="number",
                    min=0,
                    step=0.001,
                    value=FILL_MODEL_DEFAULTS["commission_per_share"],
                    size="sm",
                    style={"width": "6rem"},
                ),
            ),
            dbc.Col(
                html.Div(
                    dbc.Switch(
                        id=ids.START_FILL_LOCK,
                        label="Direction lock",
                        value=FILL_MODEL_DEFAULTS["direction_lock"],
                        className="mb-0 small",
                    ),
                    title="a 1m bar that reaches both sides fills only the side nearest its open",
                ),
                width="auto",
                className="px-2 align-self-end",
            ),
            dbc.Col(
                html.Small(id=ids.START_FILL_SUMMARY, className="text-warning"),
                className="px-2 align-self-end",
            ),
        ],
        className="g-0 align-items-end mt-2 fill-model",
    )


def _toolbar() -> html.Div:
    return html.Div(
        [
            dbc.ButtonGroup(
                [
                    dbc.Button(
                        "▶ Play", id=ids.PLAY, color="success", size="sm", className="play-btn"
                    ),
                    dbc.Button("Step 1", id=ids.STEP_1, color="secondary", size="sm"),
                    dbc.Button("Step N", id=ids.STEP_N, color="secondary", size="sm"),
                ]
            ),
            dbc.Input(
                id=ids.STEP_N_COUNT,
                type="number",
                value=10,
                min=1,
                step=1,
                size="sm",
                className="num-sm",
            ),
            html.Div(
                [
                    html.Span("Speed", className="field-label me-1"),
                    dcc.Slider(
                        id=ids.SPEED_SLIDER,
                        min=0,
                        max=len(SPEEDS) - 1,
                        step=1,
                        value=3,
                        marks={i: str(s) for i, s in enumerate(SPEEDS)},
                        included=False,
                        updatemode="mouseup",
                    ),
                ],
                className="speed-box",
                title="display bars per minute",
            ),
            dbc.Select(
                id=ids.DISP_TF,
                size="sm",
                value="5m",
                className="tf-select",
                options=[{"label": k, "value": k} for k in DISP_TFS],
            ),
            dbc.InputGroup(
                [
                    dbc.Button("⟲ Rewind", id=ids.REWIND, color="warning", outline=True, size="sm"),
                    dbc.Input(
                        id=ids.REWIND_COUNT,
                        type="number",
                        value=10,
                        min=1,
                        step=1,
                        className="num-sm",
                    ),
                ],
                size="sm",
                className="rewind-group",
            ),
            dbc.Switch(
                id=ids.AUTO_PAUSE,
                label="Auto-pause on fill",
                value=True,
                className="mb-0 small ms-2",
            ),
            dbc.Button(
                "End session", id=ids.END, color="danger", outline=True, size="sm", className="ms-2"
            ),
            html.Div(
                [
                    html.Span(id=ids.BAR_TIME, className="bar-time"),
                    dbc.Badge(id=ids.MARKET_PHASE, color="info", className="ms-2 phase"),
                    html.Span(id=ids.TIME_LEFT, className="time-left ms-2"),
                ],
                className="ms-auto clock",
            ),
        ],
        className="toolbar",
    )


def _stat(label: str, id_: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="stat-label"), html.Div("—", id=id_, className="stat-value")],
        className="stat",
    )


def _position_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
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
            className="p-2",
        ),
        className="mb-2",
    )


def _order_ticket() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Order ticket", className="py-1 small"),
            dbc.CardBody(
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
                        className="mt-1",
                        options=[
                            {"label": t.title(), "value": t} for t in ("LIMIT", "STOP", "MARKET")
                        ],
                    ),
                    dbc.InputGroup(
                        [
                            dbc.Button("−", id=ids.PRICE_DOWN, color="secondary"),
                            dbc.Input(
                                id=ids.ORDER_PRICE,
                                type="number",
                                step=TICK,
                                placeholder="price (click the chart)",
                            ),
                            dbc.Button("+", id=ids.PRICE_UP, color="secondary"),
                        ],
                        size="sm",
                        className="mt-1",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("Qty"),
                            dbc.Input(id=ids.ORDER_QTY, type="number", value=100, min=1, step=1),
                        ],
                        size="sm",
                        className="mt-1",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("TP"),
                            dbc.Input(
                                id=ids.ORDER_TP, type="number", step=TICK, placeholder="optional"
                            ),
                            dbc.InputGroupText("SL"),
                            dbc.Input(
                                id=ids.ORDER_SL, type="number", step=TICK, placeholder="optional"
                            ),
                        ],
                        size="sm",
                        className="mt-1",
                    ),
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
                        className="d-flex mt-2",
                    ),
                ],
                className="p-2",
            ),
        ],
        className="mb-2",
    )


def _orders_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.Span("Working orders", className="small"),
                        html.Div(
                            [
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


def _trades_card() -> dbc.Card:
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
                html.Div(_trades_rows([]), id=ids.TRADES_TABLE, className="trades-table"),
                className="p-1",
            ),
        ],
        className="mb-2",
    )


def _hotkeys_card() -> html.Details:
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


def layout(session: str | None = None, **_kwargs) -> html.Div:
    """The cockpit; ``/?session=ID`` resumes a session (e.g. after its tab was closed)."""
    return html.Div(
        [
            _start_panel(),
            _toolbar(),
            dcc.Interval(id=ids.TICKER, interval=6000, disabled=True),
            dcc.Store(id=ids.CHART_META),
            dcc.Store(id=ids.MODIFY_TARGET),
            dcc.Store(id=ids.ORDER_DRAG),
            dcc.Store(id=ids.HOTKEY),
            dcc.Store(id="cockpit-init", data=session or 0),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Alert(
                                id=ids.ALERT,
                                is_open=False,
                                dismissable=True,
                                duration=8000,
                                className="cockpit-alert py-1 px-2 mb-1",
                            ),
                            html.Div(
                                [
                                    dcc.Graph(
                                        id=ids.CHART,
                                        figure=figures.empty_figure(),
                                        className="chart",
                                        config={
                                            "displaylogo": False,
                                            "scrollZoom": True,
                                            # order lines are dragged to a new price; the
                                            # other shapes are kept still by cockpit.js
                                            "edits": {"shapePosition": True},
                                            # double-click = the Live button (cockpit.js)
                                            "doubleClick": False,
                                            "modeBarButtonsToRemove": [
                                                "select2d",
                                                "lasso2d",
                                                "autoScale2d",
                                                "resetScale2d",
                                            ],
                                        },
                                    ),
                                    dbc.Button(
                                        "⇥ Live",
                                        id=ids.CHART_LIVE,
                                        size="sm",
                                        className="live-btn",
                                        title="Back to the latest candle and follow new ones "
                                        "(or double-click the chart)",
                                    ),
                                ],
                                className="chart-box",
                            ),
                        ],
                        width=9,
                        className="pe-1",
                    ),
                    dbc.Col(
                        [
                            html.Div(id=ids.SUMMARY),
                            _position_card(),
                            _order_ticket(),
                            _orders_card(),
                            _trades_card(),
                            _hotkeys_card(),
                        ],
                        width=3,
                        className="ps-1 sidebar",
                    ),
                ],
                className="g-0",
            ),
        ],
        className="cockpit",
    )


# --- callbacks ------------------------------------------------------------------------------


@callback(
    Output(ids.START_DATES + "-from", "min"),
    Output(ids.START_DATES + "-from", "max"),
    Output(ids.START_DATES + "-to", "min"),
    Output(ids.START_DATES + "-to", "max"),
    Output(ids.START_DATES + "-from", "value"),
    Output(ids.START_DATES + "-to", "value"),
    Output(ids.START_RANGE_NOTE, "children"),
    Input(ids.START_SYMBOL, "value"),
    Input(ids.START_PRESET, "value"),
    State(ids.START_SEED, "value"),
    State(ids.START_DATES + "-from", "value"),
)
def _date_range(symbol, preset, seed, current_from):
    """Limit the date inputs to the symbol's data; apply a preset."""
    if not symbol:
        raise PreventUpdate
    rng = service().data_range(symbol)
    if rng is None:
        return None, None, None, None, None, None, f"no data for {symbol}"
    # trading days only (NYSE calendar): a preset never starts on a holiday
    days = pd.DatetimeIndex(
        sessions(
            rng[0].tz_convert(EXCHANGE_TZ).tz_localize(None).normalize(),
            rng[1].tz_convert(EXCHANGE_TZ).tz_localize(None).normalize(),
        ).index
    )
    lo, hi = days[0].strftime("%Y-%m-%d"), days[-1].strftime("%Y-%m-%d")
    start = end = days[-1]
    if preset == "random":
        import numpy as np

        start = end = days[int(np.random.default_rng(int(seed or 0)).integers(len(days)))]
    elif preset in ("last5", "last20"):
        start = days[-int(preset[4:])]
    elif preset == "rth" and current_from:
        start = end = pd.Timestamp(current_from)
    elif preset == "none" and ctx.triggered_id == ids.START_PRESET:
        raise PreventUpdate
    note = f"{symbol}: data {lo} → {hi} · regular session 09:30–16:00 ET"
    return lo, hi, lo, hi, start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d"), note


@callback(
    Output(ids.START_FILL_PANEL, "is_open"),
    Input(ids.START_FILL_TOGGLE, "n_clicks"),
    State(ids.START_FILL_PANEL, "is_open"),
    prevent_initial_call=True,
)
def _toggle_fill_model(_clicks, is_open):
    return not is_open


_FILL_KNOB_INPUTS = {
    "limit_fill_ticks_worse": ids.START_FILL_THROUGH,
    "market_slippage_ticks": ids.START_FILL_SLIPPAGE,
    "latency_bars": ids.START_FILL_LATENCY,
    "commission_per_share": ids.START_FILL_COMMISSION,
    "direction_lock": ids.START_FILL_LOCK,
}


@callback(
    Output(ids.START_FILL_MODEL, "data"),
    Output(ids.START_FILL_TOGGLE, "children"),
    Output(ids.START_FILL_TOGGLE, "color"),
    Output(ids.START_FILL_SUMMARY, "children"),
    *(Input(i, "value") for i in _FILL_KNOB_INPUTS.values()),
)
def _fill_model(*values):
    """Keep the knobs set away from their defaults (the session's start sends them; the
    engine checks them) and sum them up on the button."""
    model = {}
    for knob, value in zip(_FILL_KNOB_INPUTS, values, strict=True):
        if value is None or value == "":
            continue  # cleared or not a number yet: the default
        if value != FILL_MODEL_DEFAULTS[knob]:
            model[knob] = value
    text = fmt.fill_model_text(model)
    if text == "perfect":
        return model, "Fills: perfect", "secondary", "every touch fills, nothing added"
    return model, "Fills: custom", "warning", text


@callback(
    Output(ids.ORDER_PRICE, "value"),
    Output(ids.ORDER_QTY, "value"),
    Output(ids.ORDER_SIDE, "value"),
    Output(ids.ORDER_TYPE, "value"),
    Output(ids.MODIFY_TARGET, "data"),
    Output(ids.PLACE, "children"),
    Input(ids.PRICE_UP, "n_clicks"),
    Input(ids.PRICE_DOWN, "n_clicks"),
    Input({"type": ids.ORDER_EDIT, "oid": ALL}, "n_clicks"),
    Input(ids.MODIFY_CANCEL, "n_clicks"),
    Input(ids.PLACE, "n_clicks"),
    Input(ids.SESSION_ID, "data"),
    State(ids.ORDER_PRICE, "value"),
    State(ids.SESSION_ID, "data"),
    prevent_initial_call=True,
)
def _ticket(_up, _down, _edit, _cancel, _place, _sid_in, price, sid):
    """Tick the price up/down, load an order to modify, or reset the ticket."""
    trig = ctx.triggered_id
    keep = (no_update,) * 4
    if trig in (ids.PRICE_UP, ids.PRICE_DOWN):
        if price is None:
            raise PreventUpdate
        step = TICK if trig == ids.PRICE_UP else -TICK
        return round_to_tick(float(price) + step), *keep[1:], no_update, no_update
    if isinstance(trig, dict) and trig.get("type") == ids.ORDER_EDIT:
        if not ctx.triggered[0]["value"] or not sid:
            raise PreventUpdate
        oid = trig["oid"]
        st = service().state({"session_id": sid})
        order = next((o for o in st["orders"] if o["order_id"] == oid), None)
        if order is None:
            raise PreventUpdate
        return (order["price"], order["qty"], order["side"], order["type"], oid, f"Modify #{oid}")
    if trig == ids.SESSION_ID:
        if not sid or price is not None:
            raise PreventUpdate
        try:
            st = service().state({"session_id": sid})
        except Exception:  # noqa: BLE001 - a stale id: leave the ticket alone
            raise PreventUpdate from None
        return st["last_price"], *keep[1:], no_update, no_update
    return (*keep, None, "Place order")  # placed, or modify cancelled


# Only a drop of a shape (an order line) reaches the server, not every pan and zoom.
clientside_callback(
    ClientsideFunction(namespace="ntree", function_name="orderDrop"),
    Output(ids.ORDER_DRAG, "data"),
    Input(ids.CHART, "relayoutData"),
    prevent_initial_call=True,
)

_ACTION_INPUTS = [
    Input("cockpit-init", "data"),
    Input(ids.START_BUTTON, "n_clicks"),
    Input(ids.PLAY, "n_clicks"),
    Input(ids.STEP_1, "n_clicks"),
    Input(ids.STEP_N, "n_clicks"),
    Input(ids.TICKER, "n_intervals"),
    Input(ids.PLACE, "n_clicks"),
    Input(ids.CANCEL_ALL, "n_clicks"),
    Input(ids.FLATTEN, "n_clicks"),
    Input({"type": ids.ORDER_CANCEL, "oid": ALL}, "n_clicks"),
    Input(ids.DISP_TF, "value"),
    Input(ids.REWIND, "n_clicks"),
    Input(ids.END, "n_clicks"),
    Input(ids.HOTKEY, "data"),
    Input(ids.SPEED_SLIDER, "value"),
    Input(ids.CHART_LIVE, "n_clicks"),
    Input(ids.ORDER_DRAG, "data"),
]
_ACTION_STATES = [
    State(ids.SESSION_ID, "data"),
    State(ids.CHART_META, "data"),
    State(ids.START_SYMBOL, "value"),
    State(ids.START_DATES + "-from", "value"),
    State(ids.START_DATES + "-to", "value"),
    State(ids.START_DISP_TF, "value"),
    State(ids.START_SPEED, "value"),
    State(ids.START_SEED, "value"),
    State(ids.START_BOUNDARY, "value"),
    State(ids.START_FILL_MODEL, "data"),
    State(ids.STEP_N_COUNT, "value"),
    State(ids.ORDER_SIDE, "value"),
    State(ids.ORDER_TYPE, "value"),
    State(ids.ORDER_PRICE, "value"),
    State(ids.ORDER_QTY, "value"),
    State(ids.ORDER_TP, "value"),
    State(ids.ORDER_SL, "value"),
    State(ids.MODIFY_TARGET, "data"),
    State(ids.REWIND_COUNT, "value"),
    State(ids.AUTO_PAUSE, "value"),
    State(ids.CHART, "relayoutData"),
]
_OUTPUTS = [
    Output(ids.SESSION_ID, "data"),
    Output(ids.CHART, "figure"),
    Output(ids.CHART_META, "data"),
    Output(ids.TICKER, "disabled"),
    Output(ids.TICKER, "interval"),
    Output(ids.PLAY, "children"),
    Output(ids.BAR_TIME, "children"),
    Output(ids.MARKET_PHASE, "children"),
    Output(ids.TIME_LEFT, "children"),
    Output(ids.SESSION_LABEL, "children"),
    Output(ids.POS_QTY, "children"),
    Output(ids.POS_AVG, "children"),
    Output(ids.POS_UNREAL, "children"),
    Output(ids.POS_REAL, "children"),
    Output(ids.POS_EQUITY, "children"),
    Output(ids.POS_MAXDD, "children"),
    Output(ids.ORDERS_TABLE, "children"),
    Output(ids.TRADES_TABLE, "children"),
    Output(ids.TRADES_OPEN, "children"),
    Output(ids.ALERT, "children"),
    Output(ids.ALERT, "is_open"),
    Output(ids.ALERT, "color"),
    Output(ids.SUMMARY, "children"),
    Output(ids.DISP_TF, "value"),
    Output(ids.SPEED_SLIDER, "value"),
    Output(ids.CHART_LIVE, "className"),
]

_HOTKEY_ACTIONS = {
    " ": ("toggle_play", {}),
    "ArrowRight": ("step", {"n": 1}),
    ".": ("step", {"n": 1}),
    "b": ("band_order", {"side": "BUY", "band": "ch_lower"}),
    "s": ("band_order", {"side": "SELL", "band": "ch_upper"}),
    "B": ("band_order", {"side": "BUY", "band": "ch_mid"}),
    "S": ("band_order", {"side": "SELL", "band": "ch_mid"}),
    "f": ("flatten", {}),
    "x": ("cancel_all", {}),
}


def _to_action(trig, v: dict) -> Action | None:
    """Map the triggering input to a cockpit action (None: nothing to do)."""
    if trig == "cockpit-init":
        resume = v["_init"]
        return Action("init", {"resume": resume} if isinstance(resume, str) and resume else {})
    if trig == ids.START_BUTTON:
        body = {
            "symbol": v["symbol"],
            "t_start": v["t_from"],
            "t_end": v["t_to"],
            "disp_tf": v["tf"],
            "speed": float(v["speed"] or 10),
            "seed": int(v["seed"] or 0),
            "constraints": {"edit_on_disp_boundary": bool(v["boundary"])},
            "fill_model": v["fill_model"] or {},
        }
        return Action("start", {"body": body})
    if trig == ids.PLAY:
        return Action("toggle_play")
    if trig == ids.STEP_1:
        return Action("step", {"n": 1})
    if trig == ids.STEP_N:
        return Action("step", {"n": int(v["n"] or 1)})
    if trig == ids.TICKER:
        return Action("tick", {"n": 1, "auto_pause": bool(v["auto_pause"])})
    if trig == ids.PLACE:
        args = {k: v[k] for k in ("side", "price", "qty", "tp", "sl", "modify_target")}
        return Action("place", {**args, "type": v["otype"]})
    if trig in (ids.CANCEL_ALL, ids.FLATTEN, ids.END):
        return Action({ids.CANCEL_ALL: "cancel_all", ids.FLATTEN: "flatten", ids.END: "end"}[trig])
    if isinstance(trig, dict) and trig.get("type") == ids.ORDER_CANCEL:
        if not ctx.triggered[0]["value"]:
            return None  # the button just appeared
        return Action("cancel", {"order_id": trig["oid"]})
    if trig == ids.DISP_TF:
        if v["meta"] and v["meta"].get("tf") == v["disp_tf"]:
            return None
        return Action("set_disp_tf", {"disp_tf": v["disp_tf"]})
    if trig == ids.REWIND:
        return Action("rewind", {"n": int(v["rewind_n"] or 1)})
    if trig == ids.CHART_LIVE:
        return Action("live")
    if trig == ids.ORDER_DRAG and v["drag"]:
        return Action("drag_line", {"relayout": v["drag"]["rl"]})
    if trig == ids.SPEED_SLIDER:
        return Action("set_speed", {"speed": float(SPEEDS[int(v["speed_idx"] or 0)])})
    if trig == ids.HOTKEY and v["hotkey"]:
        key = v["hotkey"].get("key")
        if key in ("n", "N"):
            return Action("step", {"n": int(v["n"] or 1)})
        kind, args = _HOTKEY_ACTIONS.get(key, (None, None))
        if kind is None:
            return None
        return Action(kind, {**args, "qty": v["qty"]})
    return None


def _orders_rows(orders: list[dict]) -> html.Table | html.Div:
    if not orders:
        return html.Div("No working orders", className="text-muted small px-1")
    rows = []
    for o in orders:
        side_cls = "buy" if o["side"] == "BUY" else "sell"
        role = o.get("role") or ""
        rows.append(
            html.Tr(
                [
                    html.Td(f"#{o['order_id']}", className="text-muted"),
                    html.Td(o["side"], className=f"side {side_cls}"),
                    html.Td(
                        fmt.ORDER_KIND.get(o["type"], o["type"])
                        + ("" if role in ("", "entry") else f" {role.upper()}")
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
    return html.Table(html.Tbody(rows), className="table table-sm table-dark mb-0 orders")


def _trades_rows(trades: list[dict]) -> list:
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


@callback(
    Output(ids.RISK_PREVIEW, "children"),
    Output(ids.RISK_PREVIEW, "className"),
    Input(ids.ORDER_SIDE, "value"),
    Input(ids.ORDER_TYPE, "value"),
    Input(ids.ORDER_PRICE, "value"),
    Input(ids.ORDER_QTY, "value"),
    Input(ids.ORDER_TP, "value"),
    Input(ids.ORDER_SL, "value"),
    State(ids.SESSION_ID, "data"),
)
def _risk(side, otype, price, qty, tp, sl, sid):
    """Preview the ticket's risk, reward and R; flag a TP/SL the engine would refuse."""
    if tp is None and sl is None:
        return "", "risk-preview"
    if otype == "MARKET":  # a market order's bracket is checked against the last price
        price = None
        if sid:
            try:
                price = service().state({"session_id": sid})["last_price"]
            except Exception:  # noqa: BLE001 - a stale id: no preview
                price = None
    text, ok = fmt.risk_preview(side, price, qty, tp, sl)
    return text, "risk-preview" if ok else "risk-preview bad"


def _summary_card(sid: str, summary: dict) -> dbc.Card:
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
                        id="summary-link",
                    ),
                ],
                className="p-2",
            ),
        ],
        className="mb-2 summary-card",
        color="secondary",
        outline=True,
    )


def _session_label(st: dict, sid: str) -> str:
    fills = fmt.fill_model_text(st.get("fill_model"))
    label = f"{st['symbol']} · {st['disp_tf']} · {sid}"
    return label if fills == "perfect" else f"{label} · fills: {fills}"


@callback(*_OUTPUTS, *_ACTION_INPUTS, *_ACTION_STATES)
def _on_action(
    _init,
    _start,
    _play,
    _s1,
    _sn,
    _tick,
    _place,
    _cxl_all,
    _flat,
    _cxl,
    disp_tf,
    _rewind,
    _end,
    hotkey,
    speed_idx,
    _live,
    drag,
    sid,
    meta,
    symbol,
    t_from,
    t_to,
    tf,
    speed,
    seed,
    boundary,
    fill_model,
    n,
    side,
    otype,
    price,
    qty,
    tp,
    sl,
    modify_target,
    rewind_n,
    auto_pause,
    relayout,
):
    """The one dispatcher: every cockpit action goes through here, one round trip each."""
    v = locals()
    # The initial call lists every input as triggered: treat it as a page load.
    trig = "cockpit-init" if len(ctx.triggered) > 1 else ctx.triggered_id
    action = _to_action(trig, v)
    if action is None:
        raise PreventUpdate
    res = handle(service(), sid, meta, action, relayout=relayout)
    st = res.state
    full = action.kind in ("init", "start", "rewind", "set_disp_tf") or not isinstance(
        res.figure, dash.Patch
    )
    alert = (res.message, True, res.message_color) if res.message else (no_update,) * 3
    if st is None:
        return (
            None,
            res.figure,
            None,
            True,
            no_update,
            "▶ Play",
            "",
            "",
            "",
            "",
            "—",
            "—",
            "—",
            "—",
            "—",
            "—",
            _orders_rows([]),
            _trades_rows([]),
            "",
            *alert,
            None,
            no_update,
            no_update,
            _live_class(True),
        )
    pos = st["position"]
    ended = st["status"] == "ended"
    playing = not st["paused"] and not ended
    speed_now = float(st["speed"] or 1)
    cur = pd.Timestamp(st["cursor"]["ts_market"]).tz_convert(EXCHANGE_TZ)
    left = st["time_remaining_min"]
    orders = _orders_rows(st["orders"]) if (res.orders_changed or full) else no_update
    trades_new = res.trades_changed or full
    trades = _trades_rows(st["trades"]) if trades_new else no_update
    # MAE/MFE move every bar while a position is open; a flat book sends nothing
    excursion = fmt.open_excursion(pos) if pos["qty"] or trades_new else no_update
    following = _following(res.meta)
    return (
        res.session_id,
        res.figure,
        res.meta,
        not playing,
        max(int(60_000 / speed_now), 100),
        "❚❚ Pause" if playing else "▶ Play",
        cur.strftime("%a %Y-%m-%d %H:%M ET"),
        st["market_phase"],
        "session ended"
        if ended
        else (f"{left // 60}h{left % 60:02d}m left" if left >= 60 else f"{left}m left"),
        _session_label(st, res.session_id) if full else no_update,
        f"{pos['qty']:+d}" if pos["qty"] else "flat",
        "—" if pos["avg_price"] is None else f"{pos['avg_price']:.2f}",
        fmt.money(pos["unrealized_pnl"]),
        fmt.money(pos["realized_pnl"]),
        fmt.money(st["equity"], signed=False),
        fmt.money(st["max_drawdown"], signed=False),
        orders,
        trades,
        excursion,
        *alert,
        _summary_card(res.session_id, st["summary"]) if ended else (None if full else no_update),
        st["disp_tf"] if full else no_update,
        _speed_index(speed_now) if full else no_update,
        _live_class(following) if full or following != _following(meta) else no_update,
    )


def _following(meta: dict | None) -> bool:
    return bool(meta is None or meta.get("follow", True))


def _live_class(following: bool) -> str:
    """The Live button stands out while the view is away from the live edge."""
    return "live-btn" if following else "live-btn away"


def _speed_index(speed: float) -> int:
    return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))

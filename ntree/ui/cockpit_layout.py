"""The cockpit's layout: the start panel, the toolbar, the chart column, and the page that puts
them together with the sidebar (:mod:`ntree.ui.cockpit_panels`)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine import FILL_MODEL_DEFAULTS
from ntree.engine.config import DEFAULT_LEVERAGE, MAX_LEVERAGE
from ntree.engine.ticks import DISP_TFS
from ntree.ui import figures, ids, ticket_layout
from ntree.ui.cockpit import DEFAULT_SPEED, SPEEDS, speed_label
from ntree.ui.cockpit_panels import sidebar

PRESETS = {
    "none": "Preset…",
    "random": "Random day (from seed)",
    "last1": "Last day",
    "last5": "Last 5 days",
    "last20": "Last 20 days",
    "rth": "Regular session of the start day",
}
HEALTH_POLL_MS = 3000  # how often the page checks that the server answers
#: The fill model's knobs and the start panel's input for each.
FILL_KNOB_IDS = {
    "limit_fill_ticks_worse": ids.START_FILL_THROUGH,
    "market_slippage_ticks": ids.START_FILL_SLIPPAGE,
    "latency_bars": ids.START_FILL_LATENCY,
    "commission_per_share": ids.START_FILL_COMMISSION,
    "direction_lock": ids.START_FILL_LOCK,
}


def page(session: str | None, symbols: list[str]) -> html.Div:
    """The whole cockpit; ``session`` (from ``/?session=ID``) is resumed on load."""
    return html.Div(
        [
            start_panel(symbols),
            toolbar(),
            dcc.Interval(id=ids.TICKER, interval=6000, disabled=True),
            dcc.Store(id=ids.CHART_META),
            dcc.Store(id=ids.MODIFY_TARGET),
            dcc.Store(id=ids.ORDER_DRAG),
            dcc.Store(id=ids.CHART_MORE),
            *health_parts(),
            end_dialog(),
            dcc.Store(id=ids.HOTKEY),
            dcc.Store(id=ids.COCKPIT_INIT, data=session or 0),
            ticket_layout.confirm_modal(),
            dbc.Row(
                [
                    dbc.Col(chart_column(), width=9, className="pe-1 chart-col"),
                    dbc.Col(sidebar(), width=3, className="ps-1 sidebar"),
                ],
                className="g-0 cockpit-main",
            ),
        ],
        className="cockpit",
    )


def health_parts() -> list:
    """The banner shown while the server does not answer (or its storage fails), and the
    health check that notices it is back (assets/cockpit_playback.js runs both)."""
    return [
        dbc.Alert(id=ids.SERVER_BANNER, is_open=False, color="danger", className="server-banner"),
        dcc.Interval(id=ids.HEALTH_TICK, interval=HEALTH_POLL_MS),
        dcc.Store(id=ids.HEALTH),
        dcc.Store(id=ids.SERVER_BACK),
    ]


def end_dialog() -> dbc.Modal:
    """The question "End session" asks before it ends the session."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("End the session?")),
            dbc.ModalBody(
                "Ending flattens the position at the last price, cancels the working orders "
                "and writes the summary. It cannot be undone (a rewind forks a new session)."
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep playing", id=ids.END_KEEP, color="secondary", size="sm"),
                    dbc.Button("End session", id=ids.END_CONFIRM, color="danger", size="sm"),
                ]
            ),
        ],
        id=ids.END_DIALOG,
        is_open=False,
        centered=True,
    )


def chart_column() -> list:
    """The alert (a toast over the page), the chart and its Live button."""
    return [
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
                        # order lines are dragged to a new price; cockpit.js keeps the rest still
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
    ]


def _field(label: str, control, width: str = "auto", hint: str | None = None) -> dbc.Col:
    return dbc.Col(
        [html.Label(label, className="field-label", title=hint), control],
        width=width,
        className="px-1",
    )


def start_panel(symbols: list[str]) -> dbc.Card:
    """The new-session form: symbol, range, frame, speed, seed, preset, the fill model;
    folded to one line (the session in play and a "New session" button) while one plays."""
    folded = html.Div(
        [
            html.Span("Session", className="field-label d-inline me-2"),
            html.Span(id=ids.START_FOLDED, className="folded-text"),
            dbc.Button(
                "New session ▾",
                id=ids.START_UNFOLD,
                color="info",
                outline=True,
                size="sm",
                className="ms-auto py-0",
            ),
        ],
        className="start-folded-line",
    )
    return dbc.Card(
        dbc.CardBody(
            [
                folded,
                html.Div(
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
                                    "From", dbc.Input(id=ids.START_FROM, type="date", size="sm")
                                ),
                                _field("To", dbc.Input(id=ids.START_TO, type="date", size="sm")),
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
                                    "Leverage",
                                    dbc.Input(
                                        id=ids.START_LEVERAGE,
                                        type="number",
                                        min=1,
                                        max=MAX_LEVERAGE,
                                        step=0.5,
                                        value=DEFAULT_LEVERAGE,
                                        size="sm",
                                        style={"width": "4.5rem"},
                                    ),
                                    hint="buying power = equity x leverage (4: US intraday)",
                                ),
                                _field(
                                    "Preset",
                                    dbc.Select(
                                        id=ids.START_PRESET,
                                        size="sm",
                                        value="none",
                                        options=[
                                            {"label": v, "value": k} for k, v in PRESETS.items()
                                        ],
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
                                    html.Div(
                                        dbc.Switch(
                                            id=ids.START_BLIND,
                                            label="Blind",
                                            value=False,
                                            className="mb-0 small",
                                        ),
                                        title="Blind replay: a random symbol and day, prices "
                                        "rebased to 100, times as Day 1 09:30; revealed at the end",
                                    ),
                                    width="auto",
                                    className="px-2 align-self-end",
                                ),
                                dbc.Col(
                                    dbc.Button(
                                        "Fills: perfect",
                                        id=ids.START_FILL_TOGGLE,
                                        color="info",  # a live button, not a disabled grey
                                        outline=True,
                                        size="sm",
                                        title="The paper broker's fill model for the new session",
                                    ),
                                    width="auto",
                                    className="px-1 align-self-end",
                                ),
                                dbc.Col(
                                    dbc.Button(
                                        "Start session",
                                        id=ids.START_BUTTON,
                                        color="primary",
                                        size="sm",
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
                    ],
                    id=ids.START_FORM,
                ),
                dcc.Store(id=ids.START_FILL_MODEL, data={}),
            ],
            className="py-1 px-2",
        ),
        id=ids.START_PANEL,
        className="mb-1 start-panel",
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


def jump_group() -> dbc.InputGroup:
    """Jump to a New York time (``10:30``, or a date and time) or to the next session open."""
    return dbc.InputGroup(
        [
            dbc.Input(  # a New York time (HH:MM, or YYYY-MM-DD HH:MM) to play up to
                id=ids.JUMP_TO,
                placeholder="10:30",
                size="sm",
                className="jump-to",
            ),
            dbc.Button("Jump", id=ids.JUMP, color="info", outline=True, size="sm"),
            dbc.Button(
                "Next open",
                id=ids.JUMP_NEXT_OPEN,
                color="info",
                outline=True,
                size="sm",
                title="Play up to the next session's open",
            ),
        ],
        size="sm",
        className="jump-group",
    )


def toolbar() -> html.Div:
    """Play, step, speed, frame, rewind, auto-pause, end; the replay clock on the right."""
    return html.Div(
        [
            dbc.ButtonGroup(
                [
                    dbc.Button(
                        "▶ Play", id=ids.PLAY, color="success", size="sm", className="play-btn"
                    ),
                    dbc.Button("Step 1", id=ids.STEP_1, color="secondary", size="sm"),
                    dbc.Button("Step N", id=ids.STEP_N, color="secondary", size="sm"),
                    dbc.Button(
                        "1m",
                        id=ids.STEP_1M,
                        color="secondary",
                        size="sm",
                        title="Step one 1-minute bar (M): act between display bars when "
                        "'Edit on bar boundary' is off",
                    ),
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
                dbc.Select(
                    id=ids.SPEED_SLIDER,  # the one speed control (new sessions start at it)
                    size="sm",
                    value=str(DEFAULT_SPEED),
                    options=[{"label": speed_label(s), "value": str(s)} for s in SPEEDS],
                    className="speed-select",
                ),
                title="Playback speed: display bars per second (+ / − keys)",
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
            jump_group(),
            html.Div(
                dbc.Switch(
                    id=ids.AUTO_PAUSE, label="Auto-pause", value=True, className="mb-0 small"
                ),
                title="Pause at the 1-minute bar of a fill",
                className="ms-1",
            ),
            dbc.Button(
                "End",
                id=ids.END,
                color="danger",
                outline=True,
                size="sm",
                className="ms-1",
                title="End the session (asks first)",
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

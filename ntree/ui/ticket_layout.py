"""The order ticket's order-entry widgets: the bracket template row, the risk row (size from
risk, bracket the position), the Ladder tab and the confirmation asked before a limit that
would fill at once (:mod:`ntree.ui.cockpit_panels` puts them in the ticket)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine.order_entry import LADDER_LEVELS, LADDER_STEP_ATR
from ntree.ui import ids
from ntree.ui.ticket import BRACKET_MODES


def bracket_row() -> dbc.InputGroup:
    """TP and SL, read by the template's mode: prices; points or ticks from the fill (the
    hotkeys use these too); R: the stop from the $ risk, the TP in R multiples."""
    return dbc.InputGroup(
        [
            dbc.Select(
                id=ids.BRACKET_MODE,
                value="price",
                options=[{"label": label, "value": v} for v, label in BRACKET_MODES.items()],
                className="bracket-mode",
            ),
            dbc.InputGroupText("TP"),
            dbc.Input(id=ids.ORDER_TP, type="number", step="any", placeholder="opt."),
            dbc.InputGroupText("SL"),
            dbc.Input(id=ids.ORDER_SL, type="number", step="any", placeholder="opt."),
        ],
        size="sm",
        className="mt-1",
    )


def risk_row() -> dbc.InputGroup:
    """$ risk, the size it gives with the SL, and the template's bracket on the position."""
    return dbc.InputGroup(
        [
            dbc.InputGroupText("Risk $"),
            dbc.Input(id=ids.ORDER_RISK, type="number", min=0, step="any", placeholder="e.g. 100"),
            dbc.Button(
                "Size",
                id=ids.SIZE_FROM_RISK,
                color="secondary",
                title="qty = risk / |entry − SL| (whole shares)",
            ),
            dbc.Button(
                "Bracket pos",
                id=ids.BRACKET_POSITION,
                color="info",
                outline=True,
                title="put TP/SL on the open position (offsets: from its average price)",
            ),
        ],
        size="sm",
        className="mt-1",
    )


def _num_input(id_: str, value: float | int, label: str, **kw) -> list:
    return [dbc.InputGroupText(label), dbc.Input(id=id_, type="number", value=value, **kw)]


def ladder_tab() -> html.Div:
    """The ladder: N limits per side outside the channel, k x ATR apart, weighted."""
    return html.Div(
        [
            dbc.InputGroup(
                [
                    *_num_input(ids.LADDER_LEVELS, LADDER_LEVELS, "Levels", min=1, max=20, step=1),
                    *_num_input(ids.LADDER_STEP, LADDER_STEP_ATR, "Step ×ATR", min=0, step="any"),
                ],
                size="sm",
                className="mt-1",
            ),
            dbc.InputGroup(
                [
                    dbc.InputGroupText("Weights"),
                    dbc.Input(id=ids.LADDER_WEIGHTS, value="1-2-3", debounce=False),
                    *_num_input(ids.LADDER_QTY, 300, "Qty/side", min=1, step=1),
                ],
                size="sm",
                className="mt-1",
            ),
            html.Div(
                [
                    dbc.Select(
                        id=ids.LADDER_SIDE,
                        size="sm",
                        value="BOTH",
                        options=[
                            {"label": "Both sides", "value": "BOTH"},
                            {"label": "Buys", "value": "BUY"},
                            {"label": "Sells", "value": "SELL"},
                        ],
                        className="ladder-side",
                    ),
                    dbc.Button("Preview", id=ids.LADDER_PREVIEW, color="secondary", size="sm"),
                    dbc.Button("Place ladder", id=ids.LADDER_PLACE, color="primary", size="sm"),
                    dbc.Button(
                        "Cancel", id=ids.LADDER_CANCEL, color="warning", outline=True, size="sm"
                    ),
                ],
                className="d-flex gap-1 mt-1",
            ),
            html.Div(
                "Buys at lower band − i·step·ATR, sells at upper + i·step·ATR (i = 1..levels); "
                "each side's qty split by the weights. L: preview, L again: place.",
                className="small text-muted mt-1 ladder-note",
            ),
        ]
    )


def confirm_modal() -> html.Div:
    """The question asked before a limit that would fill at once, and what it would place."""
    return html.Div(
        [
            dcc.Store(id=ids.CONFIRM_PENDING),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Fill at once?"), close_button=False),
                    dbc.ModalBody(id=ids.CONFIRM_TEXT),
                    dbc.ModalFooter(
                        [
                            dbc.Button("Cancel", id=ids.CONFIRM_NO, color="secondary"),
                            dbc.Button("Place anyway", id=ids.CONFIRM_YES, color="warning"),
                        ]
                    ),
                ],
                id=ids.CONFIRM_MODAL,
                is_open=False,
                centered=True,
                backdrop="static",
            ),
        ]
    )


__all__ = ["bracket_row", "confirm_modal", "ladder_tab", "risk_row"]

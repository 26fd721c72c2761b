"""Data: what the bar store holds per symbol against its exchange calendar, the import of
CSV/Parquet files (the same code as ``ntree data import``) and deleting a symbol's bars.

Every answer comes from the service (``data_coverage``, ``data_import``,
``data_delete_plan``, ``data_delete``); the callbacks turn inputs into those calls and
answers into the layout's pieces.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from ntree.service import ServiceError
from ntree.ui import data_layout, ids
from ntree.ui.service import service

dash.register_page(__name__, path="/data", name="Data", title="ntree · Data", order=3)


def layout(**_kwargs) -> dbc.Container:
    return data_layout.page(service().data_coverage(days=True)["symbols"])


@callback(
    output=dict(names=Output(ids.DATA_UPLOAD_NAMES, "children")),
    inputs=dict(names=Input(ids.DATA_UPLOAD, "filename")),
    state=dict(contents=State(ids.DATA_UPLOAD, "contents")),
    prevent_initial_call=True,
)
def _chosen(names, contents):
    """The files waiting for Import, with their sizes."""
    return dict(names=data_layout.chosen(names, contents))


@callback(
    output=dict(
        report=Output(ids.DATA_REPORT, "children"),
        refresh=Output(ids.DATA_REFRESH, "data"),
    ),
    inputs=dict(_click=Input(ids.DATA_IMPORT, "n_clicks")),
    state=dict(
        contents=State(ids.DATA_UPLOAD, "contents"),
        names=State(ids.DATA_UPLOAD, "filename"),
        symbol=State(ids.DATA_SYMBOL, "value"),
        tz=State(ids.DATA_TZ, "value"),
        label=State(ids.DATA_LABEL, "value"),
        exchange=State(ids.DATA_EXCHANGE, "value"),
        skip_bad=State(ids.DATA_SKIP_BAD, "value"),
        n=State(ids.DATA_REFRESH, "data"),
    ),
    prevent_initial_call=True,
)
def _import(_click, contents, names, symbol, tz, label, exchange, skip_bad, n):
    """Import the chosen files with the options; show the report."""
    try:
        answer = service().data_import(
            data_layout.uploads(contents, names),
            symbol,
            tz=tz or data_layout.DEFAULT_TZ,
            label=label or "open",
            exchange=exchange,
            skip_bad=bool(skip_bad),
        )
    except ServiceError as exc:
        return dict(report=data_layout.refusal(exc.message), refresh=no_update)
    refresh = (n or 0) + 1 if answer["added"] else no_update
    return dict(report=data_layout.report(answer), refresh=refresh)


@callback(
    output=dict(
        overview=Output(ids.DATA_OVERVIEW, "children"),
        heatmaps=Output(ids.DATA_HEATMAPS, "children"),
        summary=Output(ids.DATA_SUMMARY, "children"),
    ),
    inputs=dict(_n=Input(ids.DATA_REFRESH, "data")),
    prevent_initial_call=True,
)
def _overview(_n):
    """After an import or a deletion: the table and the heatmaps again."""
    rows = service().data_coverage(days=True)["symbols"]
    return dict(
        overview=data_layout.overview(rows),
        heatmaps=data_layout.heatmaps(rows),
        summary=data_layout.summary(rows),
    )


@callback(
    output=dict(
        target=Output(ids.DATA_DELETE_TARGET, "data"),
        text=Output(ids.DATA_DELETE_TEXT, "children"),
        open_=Output(ids.DATA_DELETE_DIALOG, "is_open"),
    ),
    inputs=dict(
        _clicks=Input(ids.data_delete(ALL), "n_clicks"),
        _cancel=Input(ids.DATA_DELETE_CANCEL, "n_clicks"),
    ),
    prevent_initial_call=True,
)
def _ask_delete(_clicks, _cancel):
    """A row's Delete bars opens the confirmation (with the sessions it affects)."""
    if ctx.triggered_id == ids.DATA_DELETE_CANCEL:
        return dict(target=None, text=no_update, open_=False)
    # A re-rendered table brings new buttons (n_clicks None): that is no click.
    if not isinstance(ctx.triggered_id, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    try:
        plan = service().data_delete_plan(ctx.triggered_id["symbol"])
    except ServiceError as exc:
        return dict(target=None, text=exc.message, open_=True)
    return dict(target=plan["symbol"], text=data_layout.delete_text(plan), open_=True)


@callback(
    output=dict(
        open_=Output(ids.DATA_DELETE_DIALOG, "is_open", allow_duplicate=True),
        refresh=Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
        message=Output(ids.DATA_MESSAGE, "children"),
    ),
    inputs=dict(_confirm=Input(ids.DATA_DELETE_CONFIRM, "n_clicks")),
    state=dict(symbol=State(ids.DATA_DELETE_TARGET, "data"), n=State(ids.DATA_REFRESH, "data")),
    prevent_initial_call=True,
)
def _delete(_confirm, symbol, n):
    if not symbol:
        raise PreventUpdate
    try:
        done = service().data_delete({"symbol": symbol})
    except ServiceError as exc:
        return dict(open_=False, refresh=no_update, message=dbc.Badge(exc.message, color="danger"))
    text = f"{done['symbol']}: {done['bars_deleted']:,} bars deleted"
    return dict(open_=False, refresh=(n or 0) + 1, message=dbc.Badge(text, color="warning"))

"""History: every session played, in a grid sorted, filtered and paged on the server.

``/history?symbol=AAPL`` shows one symbol's sessions (the pills above the grid). A label is
renamed in place; the ✕ cell deletes a session after a confirmation.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from ntree.service import ServiceError
from ntree.ui import history_grid, history_layout, ids
from ntree.ui.service import service

dash.register_page(__name__, path="/history", name="History", title="ntree · History", order=1)


def layout(symbol: str | None = None, **_kwargs) -> dbc.Container:
    return history_layout.page(service().symbols(), symbol)


@callback(
    output=dict(rows=Output(ids.HISTORY_TABLE, "getRowsResponse")),
    inputs=dict(request=Input(ids.HISTORY_TABLE, "getRowsRequest")),
    state=dict(symbol=State(ids.HISTORY_SYMBOL, "data")),
)
def _rows(request, symbol):
    """One page of sessions from the database, as the grid asked for it."""
    if request is None:
        raise PreventUpdate
    found = service().query_sessions(**history_grid.query_args(request, symbol))
    return dict(rows=history_grid.grid_page(found))


@callback(
    output=dict(message=Output(ids.HISTORY_MESSAGE, "children")),
    inputs=dict(change=Input(ids.HISTORY_TABLE, "cellValueChanged")),
    prevent_initial_call=True,
)
def _rename(change):
    edit = history_grid.edited_label(change)
    if edit is None:
        raise PreventUpdate
    sid, label = edit
    try:
        service().rename_session(sid, label)
    except ServiceError as exc:
        return dict(message=dbc.Badge(exc.message, color="danger"))
    return dict(message=dbc.Badge(f"{sid} renamed", color="secondary"))


@callback(
    output=dict(
        target=Output(ids.HISTORY_DELETE_TARGET, "data"),
        text=Output(ids.HISTORY_DELETE_TEXT, "children"),
        open_=Output(ids.HISTORY_DELETE_DIALOG, "is_open"),
    ),
    inputs=dict(
        clicked=Input(ids.HISTORY_TABLE, "cellClicked"),
        _cancel=Input(ids.HISTORY_DELETE_CANCEL, "n_clicks"),
    ),
    prevent_initial_call=True,
)
def _ask_delete(clicked, _cancel):
    """The ✕ cell opens the confirmation; "Keep it" closes it."""
    if ctx.triggered_id == ids.HISTORY_DELETE_CANCEL:
        return dict(target=None, text=no_update, open_=False)
    if not clicked or clicked.get("colId") != "delete" or not clicked.get("rowId"):
        raise PreventUpdate
    sid = clicked["rowId"]
    return dict(target=sid, text=history_layout.delete_text(sid), open_=True)


@callback(
    output=dict(
        open_=Output(ids.HISTORY_DELETE_DIALOG, "is_open", allow_duplicate=True),
        refresh=Output(ids.HISTORY_REFRESH, "data"),
        message=Output(ids.HISTORY_MESSAGE, "children", allow_duplicate=True),
    ),
    inputs=dict(_confirm=Input(ids.HISTORY_DELETE_CONFIRM, "n_clicks")),
    state=dict(sid=State(ids.HISTORY_DELETE_TARGET, "data"), n=State(ids.HISTORY_REFRESH, "data")),
    prevent_initial_call=True,
)
def _delete(_confirm, sid, n):
    if not sid:
        raise PreventUpdate
    try:
        service().delete_session(sid)
    except ServiceError as exc:
        return dict(open_=False, refresh=no_update, message=dbc.Badge(exc.message, color="danger"))
    return dict(
        open_=False, refresh=(n or 0) + 1, message=dbc.Badge(f"{sid} deleted", color="warning")
    )


# After a delete, the grid asks the server again for the pages it shows.
clientside_callback(
    f"""async function(n) {{
        if (!n) {{ return window.dash_clientside.no_update; }}
        const api = await dash_ag_grid.getApiAsync("{ids.HISTORY_TABLE}");
        api.refreshInfiniteCache();
        return "deleted " + n;
    }}""",
    Output(ids.HISTORY_MESSAGE, "title"),
    Input(ids.HISTORY_REFRESH, "data"),
    prevent_initial_call=True,
)

"""One session's log, the film room: metrics, trades, every event, and an exact re-run check.

Times are New York exchange time; the layout comes from :mod:`ntree.ui.log_layout`.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback
from dash.exceptions import PreventUpdate

from ntree.service import ServiceError
from ntree.ui import ids, log_layout
from ntree.ui.service import service

dash.register_page(
    __name__,
    path_template="/history/<session_id>",
    name="Session log",
    title="ntree · Session log",
    nav=False,
)


def layout(session_id: str | None = None, **_kwargs) -> dbc.Container:
    stored = _stored_log(session_id) if session_id else None
    if stored is None:
        return log_layout.unknown(session_id)
    return log_layout.page(*stored)


def _stored_log(session_id: str) -> tuple[dict, list[dict], list[dict]] | None:
    """The session's record, its events and its trades; None for an unknown id."""
    svc = service()
    row = svc.session(session_id)
    if row is None:
        return None
    return row, svc.event_log(session_id), svc.trades(session_id)


@callback(
    output=dict(verdict=Output(ids.LOG_VERIFY_RESULT, "children")),
    inputs=dict(_clicks=Input(ids.LOG_VERIFY, "n_clicks")),
    state=dict(session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _verify(_clicks, session_id):
    """Re-run the session from its stored log and say whether every event came out the same."""
    if not session_id:
        raise PreventUpdate
    try:
        res = service().replay_check(session_id)
    except ServiceError as exc:
        return dict(verdict=log_layout.verify_error(str(exc)))
    return dict(verdict=log_layout.verify_result(res))

"""One session's review, the film room: the whole session on a chart, its trades, the
journal, the event timeline (paged on the server), an exact re-run check, Practice again,
a fork from a bar picked on the chart and the exports.

Times are the session's exchange time (New York unless it played another exchange); the
layout comes from :mod:`ntree.ui.log_layout`.
"""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from ntree.service import ServiceError
from ntree.ui import blind, ids, log_layout, review
from ntree.ui import format as fmt
from ntree.ui.service import service
from ntree.ui.tables import log_events_table

dash.register_page(
    __name__,
    path_template="/history/<session_id>",
    name="Session log",
    title="ntree · Session review",
    nav=False,
)


def layout(session_id: str | None = None, **_kwargs) -> dbc.Container:
    svc = service()
    row = svc.get_session(session_id) if session_id else None
    if row is None:
        return log_layout.unknown(session_id)
    start = svc.event_page(session_id, types=["SESSION_START"], page_size=1)
    params = start["events"][0]["payload"].get("params", {}) if start["events"] else {}
    if blind.hidden_in_play(row):
        return blind.in_play_notice(session_id)
    trades = svc.trade_page(session_id, page_size=review.TRADES_PAGE_SIZE)
    try:
        chart = svc.review_chart(session_id, n=review.REVIEW_BARS)
    except ServiceError as exc:  # its bars were deleted (Data page): trades and log still show
        chart = {"candles": [], "fills": [], "disp_tf": row["disp_tf"], "bars_played": 0}
        gone = exc.message
    else:
        gone = None
    candles = review.session_bars(chart["candles"], row["t_start"])
    # Only the newest trades of the chart's window are drawn; the list pages through them all.
    drawn = svc.trade_page(
        session_id,
        page_size=review.CHART_TRADES,
        exit_from=review.window_start(candles),
        newest_first=True,
    )
    figure = review.review_figure(
        candles, chart["fills"], drawn["trades"][::-1], chart["disp_tf"], tz=fmt.session_tz(row)
    )
    note = gone or review.chart_note(
        len(candles), chart["bars_played"], len(drawn["trades"]), drawn["total"]
    )
    journal = svc.journal(session_id)
    return log_layout.page(
        row,
        trades,
        journal,
        log_layout.Chart(figure, [c["ts"] for c in candles], note),
        start["counts"],
        params,
    )


def _tz(session_id: str | None) -> str:
    """The time zone of the session's exchange (its times are shown in it)."""
    return fmt.session_tz(service().get_session(session_id) if session_id else None)


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


@callback(
    output=dict(
        view=Output(ids.EVENTS_VIEW, "children"),
        pager=Output(ids.EVENTS_PAGER, "children"),
        page=Output(ids.EVENTS_PAGE, "data"),
        no_prev=Output(ids.EVENTS_PREV, "disabled"),
        no_next=Output(ids.EVENTS_NEXT, "disabled"),
    ),
    inputs=dict(
        types=Input(ids.EVENTS_TYPES, "value"),
        _prev=Input(ids.EVENTS_PREV, "n_clicks"),
        _next=Input(ids.EVENTS_NEXT, "n_clicks"),
    ),
    state=dict(session_id=State(ids.LOG_SESSION, "data"), page=State(ids.EVENTS_PAGE, "data")),
)
def _timeline(types, _prev, _next, session_id, page):
    """One page of the event log (of the chosen types) from the server."""
    page = page or 0
    if ctx.triggered_id == ids.EVENTS_PREV:
        page = max(0, page - 1)
    elif ctx.triggered_id == ids.EVENTS_NEXT:
        page += 1
    else:
        page = 0  # a new filter starts at its first page
    size = review.EVENTS_PAGE_SIZE
    found = service().event_page(session_id, types=types or None, page=page, page_size=size)
    if not found["events"] and page > 0:  # past the end: stay on the last page
        page = max(0, (found["total"] - 1) // size)
        found = service().event_page(session_id, types=types or None, page=page, page_size=size)
    last = (page + 1) * size >= found["total"]
    return dict(
        view=log_events_table(found["events"], _tz(session_id)),
        pager=review.pager_text(found),
        page=page,
        no_prev=page == 0,
        no_next=last,
    )


@callback(
    output=dict(
        view=Output(ids.TRADES_VIEW, "children"),
        pager=Output(ids.TRADES_PAGER, "children"),
        page=Output(ids.TRADES_PAGE, "data"),
        no_prev=Output(ids.TRADES_PREV, "disabled"),
        no_next=Output(ids.TRADES_NEXT, "disabled"),
        targets=Output(ids.JOURNAL_TARGET, "options"),
    ),
    inputs=dict(_prev=Input(ids.TRADES_PREV, "n_clicks"), _next=Input(ids.TRADES_NEXT, "n_clicks")),
    state=dict(
        session_id=State(ids.LOG_SESSION, "data"),
        page=State(ids.TRADES_PAGE, "data"),
        target=State(ids.JOURNAL_TARGET, "value"),
        shown=State(ids.JOURNAL_TARGET, "options"),
    ),
    prevent_initial_call=True,
)
def _trade_list(_prev, _next, session_id, page, target, shown):
    """One page of the trade list from the server; the journal can be about its trades."""
    page = review.page_turn(page or 0, ctx.triggered_id, ids.TRADES_PREV, ids.TRADES_NEXT)
    svc, size = service(), review.TRADES_PAGE_SIZE
    found = svc.trade_page(session_id, page=page, page_size=size)
    if not found["trades"] and page > 0:  # past the end: stay on the last page
        page = max(0, (found["total"] - 1) // size)
        found = svc.trade_page(session_id, page=page, page_size=size)
    return dict(
        view=log_layout.trades_view(found["trades"], svc.journal(session_id), _tz(session_id)),
        pager=review.pager_text(found, "trades"),
        page=page,
        no_prev=page == 0,
        no_next=(page + 1) * size >= found["total"],
        targets=review.merged_targets(found["trades"], target, shown),
    )


@callback(
    output=dict(
        href=Output(ids.REVIEW_LOCATION, "href"), message=Output(ids.REVIEW_MESSAGE, "children")
    ),
    inputs=dict(_clicks=Input(ids.REVIEW_PRACTICE, "n_clicks")),
    state=dict(session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _practice_again(_clicks, session_id):
    """Start a new session with this one's parameters and open it in the cockpit."""
    svc = service()
    start = svc.event_page(session_id, types=["SESSION_START"], page_size=1)["events"]
    params = start[0]["payload"].get("params", {}) if start else {}
    try:
        new = svc.start(review.practice_body(params))
    except ServiceError as exc:
        return dict(href=no_update, message=dbc.Badge(exc.message, color="danger"))
    return dict(href=f"/?session={new['session_id']}", message=no_update)


@callback(
    output=dict(
        picked=Output(ids.REVIEW_PICKED, "data"),
        text=Output(ids.REVIEW_PICK_TEXT, "children"),
        no_fork=Output(ids.REVIEW_FORK, "disabled"),
        figure=Output(ids.REVIEW_CHART, "figure"),
    ),
    inputs=dict(click=Input(ids.REVIEW_CHART, "clickData")),
    state=dict(bar_ts=State(ids.REVIEW_BARS, "data"), session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _pick_bar(click, bar_ts, session_id):
    """A click on the chart picks its display bar: marked on the chart, ready to fork."""
    tz = _tz(session_id)
    ts = review.picked_ts(click, bar_ts or [], tz)
    if ts is None:
        raise PreventUpdate
    marked = Patch()
    marked["layout"]["shapes"] = [review.picked_line(click["points"][0]["x"])]
    return dict(picked=ts, text=review.picked_text(ts, tz), no_fork=False, figure=marked)


@callback(
    output=dict(
        href=Output(ids.REVIEW_LOCATION, "href", allow_duplicate=True),
        message=Output(ids.REVIEW_MESSAGE, "children", allow_duplicate=True),
    ),
    inputs=dict(_clicks=Input(ids.REVIEW_FORK, "n_clicks")),
    state=dict(session_id=State(ids.LOG_SESSION, "data"), picked=State(ids.REVIEW_PICKED, "data")),
    prevent_initial_call=True,
)
def _fork_here(_clicks, session_id, picked):
    """Fork the session at the picked bar and open the fork in the cockpit."""
    if not picked:
        raise PreventUpdate
    try:
        fork = service().fork_at(session_id, picked)
    except ServiceError as exc:
        return dict(href=no_update, message=dbc.Badge(exc.message, color="danger"))
    return dict(href=f"/?session={fork['session_id']}", message=no_update)


@callback(
    output=dict(file=Output(ids.REVIEW_DOWNLOAD, "data")),
    inputs=dict(
        _events=Input(ids.REVIEW_EXPORT_EVENTS, "n_clicks"),
        _trades=Input(ids.REVIEW_EXPORT_TRADES, "n_clicks"),
        _json=Input(ids.REVIEW_EXPORT_JSON, "n_clicks"),
    ),
    state=dict(session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _export(_events, _trades, _json, session_id):
    """Download the events or trades as CSV, or the whole session as one JSON file."""
    svc = service()
    if ctx.triggered_id == ids.REVIEW_EXPORT_JSON:
        doc = svc.export_session(session_id)
        content, name = json.dumps(doc, sort_keys=True), f"{session_id}.json"
    else:
        csv = svc.export_csv(session_id)
        kind = "events" if ctx.triggered_id == ids.REVIEW_EXPORT_EVENTS else "trades"
        content, name = csv[f"{kind}_csv"], f"{session_id}-{kind}.csv"
    return dict(file={"content": content, "filename": name})


@callback(
    output=dict(
        setup=Output(ids.JOURNAL_SETUP, "value"),
        text=Output(ids.JOURNAL_TEXT, "value"),
        tags=Output(ids.JOURNAL_TAGS, "value"),
        mistakes=Output(ids.JOURNAL_MISTAKES, "value"),
        rating=Output(ids.JOURNAL_RATING, "value"),
        message=Output(ids.JOURNAL_MESSAGE, "children", allow_duplicate=True),
    ),
    inputs=dict(target=Input(ids.JOURNAL_TARGET, "value")),
    state=dict(session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _journal_form(target, session_id):
    """Choosing what the note is about shows its latest note in the form (to edit it)."""
    latest = review.latest_for(service().journal(session_id)["entries"], target) or {}
    return dict(
        setup=latest.get("setup") or "",
        text=latest.get("text") or "",
        tags=", ".join(latest.get("tags") or []),
        mistakes=latest.get("mistakes") or [],
        rating=latest.get("rating"),
        message=review.editing_text(target, latest),
    )


@callback(
    output=dict(
        saved=Output(ids.JOURNAL_SAVED, "data"), message=Output(ids.JOURNAL_MESSAGE, "children")
    ),
    inputs=dict(_clicks=Input(ids.JOURNAL_SAVE, "n_clicks")),
    state=dict(
        session_id=State(ids.LOG_SESSION, "data"),
        target=State(ids.JOURNAL_TARGET, "value"),
        setup=State(ids.JOURNAL_SETUP, "value"),
        text=State(ids.JOURNAL_TEXT, "value"),
        tags=State(ids.JOURNAL_TAGS, "value"),
        mistakes=State(ids.JOURNAL_MISTAKES, "value"),
        rating=State(ids.JOURNAL_RATING, "value"),
        saved=State(ids.JOURNAL_SAVED, "data"),
    ),
    prevent_initial_call=True,
)
def _save_note(_clicks, session_id, target, saved, **form):
    """Append the form as the target's next journal version."""
    try:
        entry = service().add_journal(review.note_body(session_id, target, form))
    except ServiceError as exc:
        return dict(saved=no_update, message=dbc.Badge(exc.message, color="danger"))
    text = f"saved (version {entry['version']})"
    return dict(saved=(saved or 0) + 1, message=dbc.Badge(text, color="success"))


@callback(
    output=dict(view=Output(ids.JOURNAL_VIEW, "children")),
    inputs=dict(
        _saved=Input(ids.JOURNAL_SAVED, "data"), history=Input(ids.JOURNAL_HISTORY, "value")
    ),
    state=dict(session_id=State(ids.LOG_SESSION, "data")),
    prevent_initial_call=True,
)
def _journal_view(_saved, history, session_id):
    entries = service().journal(session_id, history=bool(history))["entries"]
    return dict(view=review.journal_view(entries, bool(history)))

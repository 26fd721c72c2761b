"""The Coach: what the trader's closed trades say about their habits, across sessions.

Every number comes from ``svc.coach(filters)`` (the same function as ``GET /replay/coach``);
the callbacks only turn the filters into that call and its report into tiles and charts.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, no_update

from ntree import market
from ntree.engine.coach import UNTAGGED
from ntree.service import ServiceError
from ntree.service.coach import known_tags, start_drill
from ntree.ui import coach_layout, ids
from ntree.ui.service import service

dash.register_page(__name__, path="/coach", name="Coach", title="ntree · Coach", order=2)

FILTERS = dict(
    symbol=Input(ids.COACH_SYMBOL, "value"),
    t_from=Input(ids.COACH_FROM, "value"),
    t_to=Input(ids.COACH_TO, "value"),
    disp_tf=Input(ids.COACH_DISP_TF, "value"),
    player=Input(ids.COACH_PLAYER, "value"),
    setup=Input(ids.COACH_SETUP, "value"),
    tag=Input(ids.COACH_TAG, "value"),
    sessions=Input(ids.COACH_SESSIONS, "value"),
)


FILTER_STATES = {
    name: State(dep.component_id, dep.component_property) for name, dep in FILTERS.items()
}


def layout(compare: str | None = None, **_kwargs) -> dbc.Container:
    """The Coach; ``/coach?compare=human,band-fade`` opens with those players compared."""
    svc = service()
    rows = svc.list_sessions()
    setups = [*svc.journal_lists()["setups"], UNTAGGED]
    players = [p.strip() for p in (compare or "").split(",") if p.strip()]
    return coach_layout.page(svc.symbols(), rows, known_tags(svc, rows), setups, players)


def filters_of(
    symbol=None,
    t_from=None,
    t_to=None,
    disp_tf=None,
    player=None,
    setup=None,
    tag=None,
    sessions=None,
) -> dict:
    """The page's filter values as the service takes them (empty: any; two players or more
    are compared)."""

    def chosen(value: str | None) -> str | None:
        return None if value in (None, "", coach_layout.ANY) else value

    return {
        "symbol": chosen(symbol),
        "from": chosen(t_from),
        "to": chosen(t_to),
        "disp_tf": chosen(disp_tf),
        "player": [player] if isinstance(player, str) else list(player or []),
        "setup": chosen(setup),
        "tag": chosen(tag),
        "session_id": list(sessions or []),
    }


def _window_zones(report: dict) -> dict[str, str]:
    """The time zone of each compared window's symbol (its exchange's)."""
    svc = service()
    symbols = {w["symbol"] for w in (report.get("compare") or {}).get("windows", [])}
    return {s: market.timezone(svc.exchange(s)) for s in symbols}


@callback(
    output=dict(
        compare=Output(ids.COACH_COMPARE, "children"),
        tiles=Output(ids.COACH_TILES, "children"),
        charts=Output(ids.COACH_CHARTS, "children"),
        summary=Output(ids.COACH_SUMMARY, "children"),
    ),
    inputs=FILTERS,
)
def _draw(**values):
    """Ask the service for the report of the filters and draw it."""
    try:
        report = service().coach(filters_of(**values))
    except ServiceError as exc:
        return dict(compare=None, tiles=None, charts=coach_layout.error(exc.message), summary="")
    return dict(
        compare=coach_layout.compare_view(report.get("compare"), _window_zones(report)),
        tiles=coach_layout.tiles(report) if report["n_trades"] else None,
        charts=coach_layout.charts(report),
        summary=coach_layout.summary(report),
    )


@callback(
    output=dict(table=Output(ids.COACH_SENS, "children")),
    inputs=dict(_clicks=Input(ids.COACH_SENS_RUN, "n_clicks"), **FILTERS),
)
def _sensitivity(_clicks, **values):
    """Re-run the selection under each fill scenario when asked (new filters: ask again)."""
    if ctx.triggered_id != ids.COACH_SENS_RUN:
        return dict(table=coach_layout.sensitivity_hint())
    try:
        report = service().coach({**filters_of(**values), "sensitivity": "1"})
    except ServiceError as exc:
        return dict(table=coach_layout.error(exc.message))
    return dict(table=coach_layout.sensitivity_table(report["sensitivity"]))


@callback(
    output=dict(
        href=Output(ids.COACH_LOCATION, "href"),
        message=Output(ids.COACH_DRILL_MESSAGE, "children"),
    ),
    inputs=dict(_clicks=Input(ids.coach_drill(ALL, ALL), "n_clicks")),
    state=FILTER_STATES,
    prevent_initial_call=True,
)
def _drill(_clicks, **values):
    """Start a drill of the bucket whose button was pressed and open it in the cockpit."""
    pressed = ctx.triggered_id
    if not pressed or not ctx.triggered[0]["value"]:
        return dict(href=no_update, message=no_update)  # buttons drawn anew, none pressed
    try:
        new = start_drill(service(), pressed["kind"], pressed["key"], filters_of(**values))
    except ServiceError as exc:
        return dict(href=no_update, message=coach_layout.error(exc.message))
    return dict(href=f"/?session={new['session_id']}", message=no_update)

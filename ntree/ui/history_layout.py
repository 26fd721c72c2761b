"""The History page's layout: the title with its symbol pills, the sessions grid (rows come
from the server a page at a time) and the delete confirmation."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.ui import history_grid, ids

#: The grid on the app's dark theme (AG Grid's theming API, parameters only).
GRID_THEME = (
    "themeQuartz.withParams({backgroundColor: '#222222', foregroundColor: '#dee2e6', "
    "headerBackgroundColor: '#303030', accentColor: '#3498db', fontSize: 13, "
    "rowHeight: 30, headerHeight: 32, spacing: 5})"
)


def page(symbols: list[str], symbol: str | None) -> dbc.Container:
    """The sessions grid, only ``symbol``'s sessions if it is one of ``symbols``."""
    symbol = symbol if symbol in symbols else None
    title = html.Div(
        [
            html.H5("Sessions played", className="mb-0"),
            _symbol_filter(symbols, symbol) if len(symbols) > 1 else None,
            html.Small(
                "sort and filter on the headers · click an id for its review · "
                "double-click a label to rename",
                className="text-muted ms-3",
            ),
            html.Small(id=ids.HISTORY_MESSAGE, className="ms-3"),
        ],
        className="d-flex align-items-center my-2 flex-wrap",
    )
    return dbc.Container(
        [
            dcc.Store(id=ids.HISTORY_SYMBOL, data=symbol),
            dcc.Store(id=ids.HISTORY_DELETE_TARGET),
            dcc.Store(id=ids.HISTORY_REFRESH, data=0),
            title,
            grid(),
            delete_dialog(),
        ],
        fluid=True,
    )


#: What the grid says when it has no row.
NO_SESSIONS = "No sessions here yet: play one in the Cockpit (or clear the filters on the headers)."


def grid() -> dag.AgGrid:
    """The sessions grid (infinite row model: every page is a ``getRowsRequest``)."""
    return dag.AgGrid(
        id=ids.HISTORY_TABLE,
        columnDefs=history_grid.column_defs(),
        defaultColDef=history_grid.default_col_def(),
        rowModelType="infinite",
        getRowId="params.data.session_id",
        dashGridOptions={
            "theme": {"function": GRID_THEME},
            "pagination": True,
            "paginationPageSize": history_grid.PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": history_grid.PAGE_SIZE,
            "maxBlocksInCache": 5,
            "infiniteInitialRowCount": 1,
            "tooltipShowDelay": 300,
            # no session (or none the filters keep): say what to do, not the grid's default
            "localeText": {"noRowsToShow": NO_SESSIONS},
            "stopEditingWhenCellsLoseFocus": True,
        },
        style={"height": "calc(100vh - 130px)", "minHeight": "360px"},
        className="history-grid",
    )


def delete_dialog() -> dbc.Modal:
    """Asks before a session is deleted for good (the Coach forgets it too)."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete this session?")),
            dbc.ModalBody(id=ids.HISTORY_DELETE_TEXT),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep it", id=ids.HISTORY_DELETE_CANCEL, color="secondary"),
                    dbc.Button("Delete for good", id=ids.HISTORY_DELETE_CONFIRM, color="danger"),
                ]
            ),
        ],
        id=ids.HISTORY_DELETE_DIALOG,
        is_open=False,
    )


def delete_text(session_id: str) -> list:
    """What the delete dialog says."""
    return [
        html.P(["Session ", html.B(session_id), " will be deleted: its events, trades and notes."]),
        html.P(
            "Deleted sessions are gone from the Coach too (its statistics no longer count "
            "them). Forks of it keep working. This cannot be undone.",
            className="text-warning mb-0",
        ),
    ]


def _symbol_filter(symbols: list[str], current: str | None) -> dbc.Nav:
    items = [("All", "/history", current is None)]
    items += [(sym, f"/history?symbol={sym}", sym == current) for sym in symbols]
    return dbc.Nav(
        [dbc.NavItem(dbc.NavLink(text, href=href, active=on)) for text, href, on in items],
        pills=True,
        className="history-filter ms-3",
        id=ids.HISTORY_FILTER,
    )

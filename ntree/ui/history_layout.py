"""The History page's layout: the title with its symbol pills, and the sessions table."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from ntree.ui import ids
from ntree.ui.tables import sessions_table


def page(sessions: list[dict], symbol: str | None) -> dbc.Container:
    """The sessions (newest first), only ``symbol``'s if it is one of theirs."""
    symbols = sorted({s["symbol"] for s in sessions})
    symbol = symbol if symbol in symbols else None
    shown = [s for s in sessions if symbol in (None, s["symbol"])]
    if not shown:
        body = html.P("No sessions yet: start one in the Cockpit.", className="text-muted")
    else:
        body = sessions_table(shown)
    title = html.Div(
        [
            html.H5("Sessions played", className="mb-0"),
            _symbol_filter(symbols, symbol) if len(symbols) > 1 else None,
            html.Small(f"{len(shown)} sessions, newest first", className="text-muted ms-3"),
        ],
        className="d-flex align-items-center my-2",
    )
    return dbc.Container([title, body], fluid=True)


def _symbol_filter(symbols: list[str], current: str | None) -> dbc.Nav:
    items = [("All", "/history", current is None)]
    items += [(sym, f"/history?symbol={sym}", sym == current) for sym in symbols]
    return dbc.Nav(
        [dbc.NavItem(dbc.NavLink(text, href=href, active=on)) for text, href, on in items],
        pills=True,
        className="history-filter ms-3",
        id=ids.HISTORY_FILTER,
    )

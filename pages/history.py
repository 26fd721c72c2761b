"""History: the sessions played, newest first, with their summary metrics and log links.

``/history?symbol=AAPL`` shows one symbol's sessions (the pills above the table).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc

from ntree.ui import history_layout
from ntree.ui.service import service

dash.register_page(__name__, path="/history", name="History", title="ntree · History", order=1)


def layout(symbol: str | None = None, **_kwargs) -> dbc.Container:
    return history_layout.page(service().list_sessions(), symbol)  # newest first

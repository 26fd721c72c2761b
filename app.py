"""ntree: the multi-page Dash app and the REST API on one Flask server.

``python app.py`` serves it on http://127.0.0.1:8050 with the bundled data (seeding the
database on first run); ``gunicorn app:server`` runs it with several workers, which share
live sessions through the diskcache folder (``NTREE_CACHE_DIR``, default ``data/cache``).
"""

from __future__ import annotations

import os
import signal

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html

from ntree import db
from ntree.api import install
from ntree.cache import cache_dir
from ntree.seed import ensure_seeded
from ntree.service import ReplayService
from ntree.ui import faults, ids


def navbar() -> dbc.Navbar:
    """Return the navbar, one link per page of the registry (pages opt out with nav=False)."""
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in dash.page_registry.values()
        if page.get("nav", True)
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([html.Span("ntree", className="brand-mark"), " replay"], href="/"),
                dbc.Nav(links, navbar=True, className="me-auto"),
                html.Span(id=ids.SESSION_LABEL, className="session-label"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        id=ids.NAVBAR,
        className="py-0 app-navbar",
    )


def create_app(db_url: str | None = None) -> Dash:
    """Build the app: seed the database if empty, install the replay service and the API."""
    engine = db.connect(db_url)
    ensure_seeded(engine)
    app = Dash(
        __name__,
        use_pages=True,
        # Bootswatch DARKLY is bundled in assets/ (no CDN: the app must work offline).
        suppress_callback_exceptions=True,
        title="ntree replay",
        update_title=None,
    )
    ttl = os.environ.get("NTREE_CACHE_TTL_S")
    service = ReplayService.create(engine, cache_dir(), ttl_s=float(ttl) if ttl else None)
    install(app.server, service)
    faults.install(app.server)  # a storage fault in a page callback: a 503 the page shows
    crash_op = os.environ.get("NTREE_TEST_KILL_AFTER_COMMIT")
    if crash_op:  # crash tests only: die between a command's commit and its snapshot write
        service.after_commit = lambda op: op == crash_op and os.kill(os.getpid(), signal.SIGKILL)
    hold_op = os.environ.get("NTREE_TEST_HOLD_LOCK_AFTER_COMMIT")
    if hold_op:  # crash tests only: keep the session's lock after the commit until killed
        service.after_commit = lambda op: op == hold_op and _hold_until_killed()
    app.layout = html.Div(
        [
            # The browser holds only the session id; the session lives server-side.
            dcc.Store(id=ids.SESSION_ID, storage_type="session"),
            navbar(),
            html.Div(dash.page_container, className="page-body"),
        ]
    )
    return app


def _hold_until_killed() -> None:
    """Write this worker's pid to ``NTREE_TEST_HOLD_PIDFILE`` and wait for the test's kill."""
    pidfile = os.environ["NTREE_TEST_HOLD_PIDFILE"]
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(pidfile + ".tmp", pidfile)  # the test never reads half a pid
    while True:
        signal.pause()


try:
    app = create_app()
except db.DatabaseError as exc:  # a missing folder, a corrupt file: say so, no traceback
    raise SystemExit(
        f"ntree: {exc}\n(set NTREE_DB_URL to another database, or move the file away)"
    ) from None
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8050")), debug=False)

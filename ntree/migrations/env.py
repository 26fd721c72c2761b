"""Alembic's environment: run the revisions on the connection ntree hands over.

:func:`ntree.migrations.upgrade` passes its connection in ``config.attributes``; the
Alembic command line (a developer writing a revision) passes ``-x url=sqlite:///...``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database: alembic -x url=sqlite:///data/ntree.db ...")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        _run_on(conn)
        conn.commit()
    engine.dispose()


def _run_on(connection: sa.Connection) -> None:
    # render_as_batch: SQLite alters a table by copying it; batch mode does that for us.
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()

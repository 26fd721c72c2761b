"""Schema upgrades (Alembic), run in code: no ``alembic.ini`` needed.

:func:`upgrade` brings a database to the newest revision in place. A database written
before Alembic (no ``alembic_version`` table, but ntree's tables) is stamped at the
baseline first, since the baseline is exactly the schema those versions created. The
revisions live in ``versions/``; ``python -m alembic`` is never needed by users.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent
#: The schema every ntree before Alembic created (``metadata.create_all``).
BASELINE = "0001_baseline"
#: The PostgreSQL advisory lock key upgrades take (any fixed 64-bit number: "ntree" in ASCII).
UPGRADE_LOCK = 0x6E74726565


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Return an Alembic config on this package's scripts (and ``connection`` when given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    """Return the newest revision id (read once from the scripts shipped with the package)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current(connection: sa.Connection) -> str | None:
    """Return the database's revision, or None when it has never been stamped."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> str | None:
    """Upgrade the database to the newest revision in place; return the revision it was at.

    A database already at head costs one query. The whole upgrade runs in one transaction
    that holds a write lock first (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    lock): two processes starting at once upgrade it once, and a failed step leaves the
    database as it was.
    """
    with engine.connect() as conn:
        if current(conn) == head():
            return head()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, before reading the revision
        else:  # PostgreSQL: a lock of this transaction that other upgrades wait for
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        before = current(conn)
        if before is None and sa.inspect(conn).has_table("replay_sessions"):
            command.stamp(alembic_config(conn), BASELINE)
        if before != head():
            command.upgrade(alembic_config(conn), "head")
        conn.commit()
    return before

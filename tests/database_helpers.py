"""The two databases the storage tests run on: SQLite files and a PostgreSQL server.

``NTREE_TEST_PG_URL`` names a PostgreSQL server and a role that may create databases
(``postgresql+psycopg://ntree:ntree@localhost/ntree``); each test gets a database of its
own, created for it and dropped after it, so tests never see each other's sessions. A
seeded test database is a copy of one template seeded once per run (a copy takes ~0.1 s).
Without the variable the PostgreSQL variants skip, saying why.
"""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

PG_URL_ENV = "NTREE_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")
#: Every database a run creates starts with this (an interrupted run's leftovers are findable).
PREFIX = "ntree_test_"


def pg_url_from_env() -> str | None:
    """Return the PostgreSQL server of the tests, or None when none is configured."""
    return os.environ.get(PG_URL_ENV) or None


class PgServer:
    """Creates and drops the tests' databases on one PostgreSQL server."""

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        # CREATE/DROP DATABASE cannot run inside a transaction.
        self._admin = sa.create_engine(
            self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        self._run = uuid.uuid4().hex[:8]

    def check(self) -> None:
        """Raise unless the server answers and the role may create databases."""
        with self._admin.connect() as conn:
            may = conn.execute(
                sa.text("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
        if not may:
            raise RuntimeError(f"role {self.url.username!r} may not create databases (CREATEDB)")

    def create(self, template: str | None = None) -> str:
        """Create a fresh database (a copy of ``template`` when given) and return its URL."""
        name = f"{PREFIX}{self._run}_{uuid.uuid4().hex[:10]}"
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{sa.make_url(template).database}"'
        with self._admin.connect() as conn:
            conn.exec_driver_sql(sql)
            # A test database need not survive a power cut: commits skip the WAL flush
            # (~10x faster on a slow disk); what a commit means to other sessions is unchanged.
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop the database of ``url``, closing whatever still holds it (a killed server's
        connections, a test's pool)."""
        name = sa.make_url(url).database
        # Not DROP ... WITH (FORCE): it refuses when an autovacuum worker is in the database
        # (not ours to terminate); a plain DROP stops autovacuum itself and waits up to 5 s
        # for the connections this role's own backends are closing.
        close_ours = sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
        )
        with self._admin.connect() as conn:
            for attempt in range(3):
                conn.execute(close_ours, {"name": name})
                try:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                    return
                except sa.exc.OperationalError:  # still in use: a backend was slow to go
                    if attempt == 2:
                        raise

    def dispose(self) -> None:
        self._admin.dispose()

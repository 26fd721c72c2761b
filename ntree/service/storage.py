"""Storage faults as service errors: a read-only, full or corrupt database is a clear code
(``read_only``, ``storage_full``, ``database_corrupt``; a database server out of reach
``database_unavailable``; HTTP 503), never a traceback.

The fault is the machine's, not the request's: it is reported, the server stays up, and
the next request after the fault goes succeeds (the connection pool is dropped so that no
connection opened read-only or on a replaced file lingers).
"""

from __future__ import annotations

import os
import sqlite3

import sqlalchemy as sa

from ntree.service.errors import ServiceError

#: What a message of the database driver says -> (code, what the user should know).
_FAULTS = (
    ("readonly", "read_only", "the database is read-only (file or folder permissions?)"),
    ("read-only", "read_only", "the database is read-only (file or folder permissions?)"),
    ("disk is full", "storage_full", "the database's disk is full"),
    ("disk full", "storage_full", "the database's disk is full"),
    ("not a database", "database_corrupt", "the database file is corrupt"),
    ("malformed", "database_corrupt", "the database file is corrupt"),
    ("no such table", "database_corrupt", "the database has lost its tables (emptied?)"),
    ("disk i/o error", "storage_error", "the database's disk failed to read or write"),
    ("unable to open", "storage_error", "the database file cannot be opened"),
    ("database is locked", "storage_busy", "the database is busy; try again"),
)

#: PostgreSQL's error classes (SQLSTATE, as psycopg reports them) -> (code, what it means).
_PG_STATES = {
    "53100": ("storage_full", "the database's disk is full"),
    "25006": ("read_only", "the database is read-only (a standby, or set read-only)"),
    "42P01": ("database_corrupt", "the database has lost its tables (emptied?)"),
    "53300": ("storage_busy", "the database server has too many connections; try again"),
    "40001": ("storage_busy", "the database is busy; try again"),
    "40P01": ("storage_busy", "the database is busy; try again"),
    "55P03": ("storage_busy", "the database is busy; try again"),
}
#: SQLSTATE prefixes of a lost or refused connection (class 08, a server shutting down).
_PG_GONE = ("08", "57P")
_UNAVAILABLE = "the database server cannot be reached (down, restarting, or the network)"

#: The errors a storage fault surfaces as.
STORAGE_ERRORS = (sa.exc.DBAPIError, sqlite3.Error)


def storage_fault(exc: BaseException, db_engine: sa.Engine | None = None) -> ServiceError | None:
    """Return the service error of a storage fault, or None when ``exc`` is not one
    (``db_engine``: tells a read-only file system from other failures to open a file)."""
    if not isinstance(exc, STORAGE_ERRORS):
        return None
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if type(orig).__module__.startswith("psycopg"):
        return _pg_fault(exc, orig, first)
    text = first.lower()
    for needle, code, what in _FAULTS:
        if needle in text:
            if code == "storage_error" and _read_only_folder(db_engine):
                # SQLite cannot create its journal next to the file: the folder is read-only.
                code, what = "read_only", "the database's folder is read-only"
            return ServiceError(code, f"{what}: {first}")
    return ServiceError("storage_error", f"database error: {first}")


def _pg_fault(exc: BaseException, orig: BaseException, first: str) -> ServiceError:
    """Return the service error of a PostgreSQL fault, by its SQLSTATE."""
    state = getattr(orig, "sqlstate", None) or ""
    if state in _PG_STATES:
        code, what = _PG_STATES[state]
    elif state.startswith(_PG_GONE) or getattr(exc, "connection_invalidated", False):
        code, what = "database_unavailable", _UNAVAILABLE
    elif not state and type(orig).__name__ in ("OperationalError", "InterfaceError"):
        code, what = "database_unavailable", _UNAVAILABLE  # refused or lost: no server reply
    else:
        return ServiceError("storage_error", f"database error: {first}")
    return ServiceError(code, f"{what}: {first}")


def _read_only_folder(db_engine: sa.Engine | None) -> bool:
    """Return True when the SQLite file of ``db_engine`` sits in a folder not writable."""
    if db_engine is None or db_engine.dialect.name != "sqlite" or not db_engine.url.database:
        return False
    folder = os.path.dirname(os.path.abspath(db_engine.url.database))
    try:
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
    return read_only_mount or not os.access(folder, os.W_OK)


def recover(db_engine: sa.Engine | None) -> None:
    """Drop the pooled connections, so the next request opens the database afresh."""
    if db_engine is not None:
        db_engine.dispose()

"""Bars clustered by their key on SQLite: a range of bars is one B-tree scan.

Revision ID: 0005_bars_without_rowid
Revises: 0004_bigint_ids
Create Date: 2025-01-05

- SQLite: ``bars`` is rebuilt as a ``WITHOUT ROWID`` table (the rows are copied in key
  order). A rowid table keeps the key ``(symbol, timeframe_s, ts)`` in a separate index, so
  loading a window of bars walked that index and then looked each row up by rowid; now the
  rows are stored in the key's order and a load reads them in one pass. The copy takes a
  few seconds per million stored bars, once.
- PostgreSQL: nothing changes (it has no rowid; the primary key is already an index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_bars_without_rowid"
down_revision = "0004_bigint_ids"
branch_labels = None
depends_on = None

COLUMNS = "symbol, timeframe_s, ts, open, high, low, close, volume"


def _rebuild(*, with_rowid: bool) -> None:
    """Copy ``bars`` into a new table of the same columns, with or without a rowid."""
    op.create_table(
        "bars_rebuilt",
        sa.Column("symbol", sa.String(16), primary_key=True),
        sa.Column("timeframe_s", sa.Integer, primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        f"INSERT INTO bars_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM bars"
        " ORDER BY symbol, timeframe_s, ts"
    )
    op.drop_table("bars")
    op.rename_table("bars_rebuilt", "bars")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(with_rowid=True)

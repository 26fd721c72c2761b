"""64-bit ids for the event log and the journal on PostgreSQL (a team's server grows).

Revision ID: 0004_bigint_ids
Revises: 0003_symbols
Create Date: 2025-01-04

- PostgreSQL: ``replay_events.id`` and ``journal_entries.id`` (and their sequences) become
  BIGINT: a SERIAL stops at 2^31 rows, a few thousand long sessions of a whole team.
- SQLite: nothing changes (an INTEGER PRIMARY KEY is already 64-bit: the rowid).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_bigint_ids"
down_revision = "0003_symbols"
branch_labels = None
depends_on = None

TABLES = ("replay_events", "journal_entries")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.alter_column(table, "id", existing_type=sa.Integer, type_=sa.BigInteger)
        op.execute(f"ALTER SEQUENCE {table}_id_seq AS BIGINT")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER SEQUENCE {table}_id_seq AS INTEGER")
        op.alter_column(table, "id", existing_type=sa.BigInteger, type_=sa.Integer)

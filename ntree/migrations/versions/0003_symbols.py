"""Symbol metadata: each symbol's exchange calendar, tick, source, feed and adjustment.

Revision ID: 0003_symbols
Revises: 0002_film_room
Create Date: 2025-01-03

- ``symbols``: one row per symbol whose bars were imported (a file or Alpaca); a symbol
  without a row is read as XNYS with the 0.01 tick (the bundled sample, older databases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_symbols"
down_revision = "0002_film_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "symbols",
        sa.Column("symbol", sa.String(16), primary_key=True),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("tick", sa.Float, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("feed", sa.String(16), nullable=True),
        sa.Column("adjustment", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("symbols")

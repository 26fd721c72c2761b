"""Film room: who played, labels and tags, History indexes, live trades, the journal.

Revision ID: 0002_film_room
Revises: 0001_baseline
Create Date: 2025-01-02

- ``replay_sessions``: ``player`` ('human' or a bot's name), ``label`` (a rename), ``tags``
  (JSON list); indexes on History's sort key ``(created_at, session_id)`` and
  ``(symbol, created_at, session_id)``.
- ``replay_trades``: ``status`` ('open' / 'closed'); an open trade has no exit yet, so
  ``exit_ts``/``exit_px`` become nullable (SQLite: the table is copied, batch mode).
- ``journal_entries``: append-only notes per session or trade (an edit is version + 1).
- ``journal_lists``: the editable setup and mistake lists, seeded for channel trading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_film_room"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

SETUPS = (
    "band fade",
    "mid reclaim",
    "breakout",
    "VWAP reversion",
    "trend pullback",
    "opening range",
)
MISTAKES = (
    "early exit",
    "moved stop",
    "chased",
    "oversized",
    "no stop",
    "revenge trade",
    "late entry",
)


def upgrade() -> None:
    with op.batch_alter_table("replay_sessions") as t:
        t.add_column(sa.Column("player", sa.String(64), nullable=False, server_default="human"))
        t.add_column(sa.Column("label", sa.String(200), nullable=True))
        t.add_column(sa.Column("tags", sa.Text, nullable=True))
    op.create_index("ix_sessions_created", "replay_sessions", ["created_at", "session_id"])
    op.create_index(
        "ix_sessions_symbol_created", "replay_sessions", ["symbol", "created_at", "session_id"]
    )
    with op.batch_alter_table("replay_trades") as t:
        t.add_column(sa.Column("status", sa.String(8), nullable=False, server_default="closed"))
        t.alter_column("exit_ts", existing_type=sa.String(32), nullable=True)
        t.alter_column("exit_px", existing_type=sa.Float, nullable=True)
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.Integer, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("setup", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("tags", sa.Text, nullable=True),
        sa.Column("mistakes", sa.Text, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_journal_session", "journal_entries", ["session_id", "trade_id", "version"])
    lists = op.create_table(
        "journal_lists",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.bulk_insert(
        lists,
        [{"kind": "setup", "name": n, "position": i} for i, n in enumerate(SETUPS)]
        + [{"kind": "mistake", "name": n, "position": i} for i, n in enumerate(MISTAKES)],
    )


def downgrade() -> None:
    op.drop_table("journal_lists")
    op.drop_index("ix_journal_session", "journal_entries")
    op.drop_table("journal_entries")
    with op.batch_alter_table("replay_trades") as t:
        t.alter_column("exit_px", existing_type=sa.Float, nullable=False)
        t.alter_column("exit_ts", existing_type=sa.String(32), nullable=False)
        t.drop_column("status")
    op.drop_index("ix_sessions_symbol_created", "replay_sessions")
    op.drop_index("ix_sessions_created", "replay_sessions")
    with op.batch_alter_table("replay_sessions") as t:
        t.drop_column("tags")
        t.drop_column("label")
        t.drop_column("player")

"""Baseline: the schema of every ntree before Alembic (bars, sessions, events, trades).

Revision ID: 0001_baseline
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(16), primary_key=True),
        sa.Column("timeframe_s", sa.Integer, primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "replay_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(16), nullable=False),
        sa.Column("exec_tf", sa.String(8), nullable=False),
        sa.Column("disp_tf", sa.String(8), nullable=False),
        sa.Column("t_start", sa.String(32), nullable=False),
        sa.Column("t_end", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("parent_session_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("result_pnl", sa.Float),
        sa.Column("max_dd", sa.Float),
        sa.Column("num_trades", sa.Integer),
        sa.Column("win_rate", sa.Float),
        sa.Column("avg_r", sa.Float),
        sa.Column("notes", sa.Text),
    )
    op.create_table(
        "replay_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("ts_exec", sa.String(32)),
        sa.Column("ts_market", sa.String(32)),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_event_seq"),
    )
    op.create_table(
        "replay_trades",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("trade_id", sa.Integer, primary_key=True),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("entry_ts", sa.String(32), nullable=False),
        sa.Column("entry_px", sa.Float, nullable=False),
        sa.Column("exit_ts", sa.String(32), nullable=False),
        sa.Column("exit_px", sa.Float, nullable=False),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("pnl", sa.Float, nullable=False),
        sa.Column("r_multiple", sa.Float),
        sa.Column("mae", sa.Float),
        sa.Column("mfe", sa.Float),
        sa.Column("reason_code", sa.String(32)),
        sa.Column("mods_count", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    for name in ("replay_trades", "replay_events", "replay_sessions", "bars"):
        op.drop_table(name)

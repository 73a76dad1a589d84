"""exactly one post per outbox row, paced per channel, turns in Slack's order: the outbox's
lane (rows to one destination post in order) and its unknown-outcome flag, a per-channel
not-before time, and the inbox event's Slack ts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.String(255), nullable=True))
        batch.add_column(
            sa.Column("uncertain", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_outbox_lane_id", "outbox", ["lane", "id"])
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("event_ts", sa.String(24), nullable=True))
    op.create_table(
        "channel_pacing",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_pacing")),
    )


def downgrade() -> None:
    op.drop_table("channel_pacing")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("event_ts")
    op.drop_index("ix_outbox_lane_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("uncertain")
        batch.drop_column("lane")

"""on-call routing, agents' names, the weekly report: a workspace's on-call user group (and
round robin with the member offered last), whether customers are told the claiming agent's
name, the weekly report's channel and when it is next due (`desk_settings`); the members each
handoff was offered to (`handoff_offers`)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("desk_settings") as batch:
        batch.add_column(sa.Column("oncall_group_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("oncall_group_handle", sa.String(length=128), nullable=True))
        batch.add_column(
            sa.Column("oncall_round_robin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("oncall_last_offered", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("agent_names", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("report_channel", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("report_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "handoff_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_offers_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_offers")),
        sa.UniqueConstraint("handoff_id", "user_id", name="uq_handoff_offers_pair"),
    )


def downgrade() -> None:
    op.drop_table("handoff_offers")
    with op.batch_alter_table("desk_settings") as batch:
        for column in (
            "report_due_at",
            "report_channel",
            "agent_names",
            "oncall_last_offered",
            "oncall_round_robin",
            "oncall_group_handle",
            "oncall_group_id",
        ):
            batch.drop_column(column)

"""response targets and business hours: a workspace's time-to-claim target, its hours and
holidays (`desk_settings`), the reminder and overdue-notice timers of each handoff
(`handoff_timers`, swept by the workers), and when an agent first replied to a handoff

Downgrading on SQLite copies `handoffs` to drop its column, which sets `outbox.handoff_id` to
NULL for rows that pointed at a handoff (ON DELETE SET NULL); their payloads keep the id.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "desk_settings",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("claim_target_seconds", sa.Integer(), nullable=True),
        sa.Column("hours", _json(), nullable=True),
        sa.Column("holidays", _json(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_desk_settings")),
    )
    op.create_table(
        "handoff_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "fired",
                "skipped",
                name="timer_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_timers_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_timers")),
        sa.UniqueConstraint("handoff_id", "kind", name="uq_handoff_timers_handoff_kind"),
    )
    op.create_index("ix_handoff_timers_status_due_at", "handoff_timers", ["status", "due_at"])
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("first_reply_at")
    op.drop_index("ix_handoff_timers_status_due_at", table_name="handoff_timers")
    op.drop_table("handoff_timers")
    op.drop_table("desk_settings")

"""the handoff card names the customer: the shop's name for an identified customer, kept
with the conversation when it is identified (so no lookup is needed to escalate)

Downgrading on SQLite copies `handoffs` to drop the column, which sets `outbox.handoff_id` to
NULL for rows that pointed at a handoff (ON DELETE SET NULL); their payloads keep the id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On the state's table, not `conversations`: SQLite's batch mode copies a table to drop a
    # column, and copying `conversations` would cascade-delete every row that points at it.
    with op.batch_alter_table("conversation_states") as batch:
        batch.add_column(
            sa.Column("customer_name", sa.String(length=255), server_default="", nullable=False)
        )
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(
            sa.Column("customer_name", sa.String(length=255), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("customer_name")
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_column("customer_name")

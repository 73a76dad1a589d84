"""The outbox row's workspace as a column (issue 16): `outbox.workspace_id`, so a workspace's
status, held posts and releases read an indexed column instead of each row's JSON payload and
its conversation or handoff. Rows already queued get it here, from what
db.repositories derived at revision 0012 (`_outbox_workspace`): the payload's `workspace_id`
(an empty one is none), else the row's conversation's, else its handoff's conversation's; a row
of none of these keeps NULL (it belongs to no workspace, as before).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("workspace_id", sa.String(64), nullable=True))
    # what a workspace's status and held list filter on: its rows of one status, newest first
    op.create_index("ix_outbox_workspace_id_status_id", "outbox", ["workspace_id", "status", "id"])
    _fill_workspaces()


def downgrade() -> None:
    op.drop_index("ix_outbox_workspace_id_status_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("workspace_id")


def _fill_workspaces() -> None:
    """One statement for every row, sent or not (a workspace's counts include its sent rows)."""
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        ),
        sa.column("conversation_id", sa.Integer),
        sa.column("handoff_id", sa.Integer),
        sa.column("workspace_id", sa.String),
    )
    conversations = sa.table(
        "conversations", sa.column("id", sa.Integer), sa.column("workspace_id", sa.String)
    )
    handoffs = sa.table(
        "handoffs", sa.column("id", sa.Integer), sa.column("conversation_id", sa.Integer)
    )
    of_conversation = (
        sa.select(conversations.c.workspace_id)
        .where(conversations.c.id == outbox.c.conversation_id)
        .scalar_subquery()
    )
    of_handoff = (
        sa.select(conversations.c.workspace_id)
        .join(handoffs, handoffs.c.conversation_id == conversations.c.id)
        .where(handoffs.c.id == outbox.c.handoff_id)
        .scalar_subquery()
    )
    op.get_bind().execute(
        sa.update(outbox).values(
            workspace_id=sa.func.coalesce(
                sa.func.nullif(outbox.c.payload["workspace_id"].as_string(), ""),
                of_conversation,
                of_handoff,
            )
        )
    )

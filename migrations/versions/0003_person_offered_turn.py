"""remember the turn whose reply asked whether the customer would rather have a person

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 11:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Conversations under way start at 0: their last reply was written before the question
    # existed, so a bare "yes" to it is read as before (not as consent).
    with op.batch_alter_table("conversation_states") as batch:
        batch.add_column(
            sa.Column("person_offered_turn", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_column("person_offered_turn")

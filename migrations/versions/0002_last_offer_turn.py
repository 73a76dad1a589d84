"""remember the turn of the last offer (a renewed wish for a person needs signal, offer, signal)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 05:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_states") as batch:
        batch.add_column(
            sa.Column("last_offer_turn", sa.Integer(), server_default="0", nullable=False)
        )
    # Conversations under way: the turn of their offer was not kept; their latest turn is the
    # closest value, so a wish noted before it still makes the next one a renewed wish.
    op.execute(
        sa.text("UPDATE conversation_states SET last_offer_turn = turn WHERE resolution_offered")
    )


def downgrade() -> None:
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_column("last_offer_turn")

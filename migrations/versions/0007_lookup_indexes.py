"""indexes for the lookups every event makes: a conversation's earlier events in the inbox, and
the handoff whose card an agent's thread reply answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_inbox_conversation_key_id", "inbox", ["conversation_key", "id"])
    op.create_index("ix_handoffs_card_channel_card_ts", "handoffs", ["card_channel", "card_ts"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_card_channel_card_ts", table_name="handoffs")
    op.drop_index("ix_inbox_conversation_key_id", table_name="inbox")

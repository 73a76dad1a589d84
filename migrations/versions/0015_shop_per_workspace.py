"""A shop connection per workspace (issue 16): `workspace_shops` holds the shop API a
workspace's admins set with `/escalation shop <url> [token]`; a workspace without a row uses the
process's shop (SHOP_API_URL, or SHOP=demo), as every workspace did before. Nothing to carry
over; downgrade drops the table (those workspaces go back to the process's shop).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 20:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_shops",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("api_url", sa.String(length=2000), nullable=False),
        sa.Column("api_token", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_shops")),
    )


def downgrade() -> None:
    op.drop_table("workspace_shops")

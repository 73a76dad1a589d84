"""the weekly report's one retry: when a report that failed before Slack could have shared it
is tried again (`desk_settings.report_retry_at`; NULL: no retry pending); and when the report in
a sweeper's hands was claimed (`desk_settings.report_started_at`; NULL once its outcome is known)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("desk_settings") as batch:
        batch.add_column(sa.Column("report_retry_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("report_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("desk_settings") as batch:
        batch.drop_column("report_started_at")
        batch.drop_column("report_retry_at")

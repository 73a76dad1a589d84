"""exactly one post per outbox row, paced per channel, turns in Slack's order: the outbox's
lane (rows to one destination post in order; filled in for the rows already waiting) and when
an attempt of unknown outcome was made, a per-channel not-before time, and the inbox event's
Slack ts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

import json
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
        batch.add_column(sa.Column("uncertain_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_lane_id", "outbox", ["lane", "id"])
    _fill_lanes_of_waiting_rows()
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
        batch.drop_column("uncertain_since")
        batch.drop_column("lane")


def _fill_lanes_of_waiting_rows() -> None:
    """Rows still to post get their lane, so they keep their place ahead of new ones (the
    rule as it stands in db.repositories.outbox_lane at this revision)."""
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("handoff_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("lane", sa.String),
    )
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.payload, outbox.c.handoff_id).where(
            outbox.c.status.in_(("pending", "sending", "held"))
        )
    ).all()
    for row_id, kind, payload, handoff_id in waiting:
        document = json.loads(payload) if isinstance(payload, str) else (payload or {})
        lane = None
        if kind in ("reply", "relay_to_customer"):
            lane = f"to:{document.get('channel')}:{document.get('thread_ts') or ''}"[:255]
        elif kind in ("handoff_card", "card_update", "relay_to_agents") and handoff_id is not None:
            lane = f"card:{handoff_id}"
        if lane is not None:
            connection.execute(sa.update(outbox).where(outbox.c.id == row_id).values(lane=lane))

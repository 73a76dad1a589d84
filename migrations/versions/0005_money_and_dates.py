"""amounts as exact NUMERIC(12, 2); the demo shop's order dates as timestamps

Orders kept "days ago" never aged. Their days become dates counted back from the moment of
the upgrade, which is what they meant then.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(12, 2)
AMOUNTS = {
    "orders": ("total", "current_price"),
    "effects": ("amount",),
    "shop_actions": ("amount",),
}
DATES = {
    "ordered_days_ago": "ordered_at",
    "delivered_days_ago": "delivered_at",
    "due_days_ago": "due_at",
}


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for column in DATES.values():
            batch.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    _copy_days_to_dates(datetime.now(UTC))
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("ordered_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        for column in DATES:
            batch.drop_column(column)
    for table, columns in AMOUNTS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    existing_type=sa.Float(),
                    type_=MONEY,
                    existing_nullable=column != "total",
                    postgresql_using=f"round({column}::numeric, 2)",
                )


def downgrade() -> None:
    for table, columns in AMOUNTS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    existing_type=MONEY,
                    type_=sa.Float(),
                    existing_nullable=column != "total",
                )
    with op.batch_alter_table("orders") as batch:
        for column in DATES:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    _copy_dates_to_days(datetime.now(UTC))
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("ordered_days_ago", existing_type=sa.Integer(), nullable=False)
        for column in DATES.values():
            batch.drop_column(column)


def _orders(*columns: str) -> sa.TableClause:
    return sa.table("orders", sa.column("number", sa.String()), *(sa.column(c) for c in columns))


def _copy_days_to_dates(now: datetime) -> None:
    bind = op.get_bind()
    orders = _orders(*DATES, *DATES.values())
    for row in bind.execute(sa.select(orders)).mappings():
        values = {
            moment: None if row[days] is None else now - timedelta(days=int(row[days]))
            for days, moment in DATES.items()
        }
        bind.execute(orders.update().where(orders.c.number == row["number"]).values(**values))


def _copy_dates_to_days(now: datetime) -> None:
    bind = op.get_bind()
    orders = _orders(*DATES, *DATES.values())
    for row in bind.execute(sa.select(orders)).mappings():
        values = {
            days: None if row[moment] is None else (now.date() - _aware(row[moment]).date()).days
            for days, moment in DATES.items()
        }
        bind.execute(orders.update().where(orders.c.number == row["number"]).values(**values))


def _aware(moment: datetime | str) -> datetime:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)

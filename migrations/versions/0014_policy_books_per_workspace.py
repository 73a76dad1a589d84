"""Policy books per workspace (issue 16): each book belongs to the workspace that uploaded it
(`policy_books.workspace_id`, its name unique there, folded: `name_key`; `revision` counts its
uploads), and `workspace_policy_books` says which one a workspace uses; a workspace without a
row uses the shipped default, which is the file the bot ships and is no longer stored.

Before, one book was global (`active`). Every workspace the database knows (its settings, its
conversations, its desk settings, its Slack installation) keeps deciding against that book: it
gets a copy of its own under the book's name, chosen. The global rows are then removed. A
database that knows no workspace yet keeps nothing: its first workspace uses the shipped
default, as the global book was (installed from the same file at first start).

Downgrade: the book chosen last by any workspace becomes the one active book (none chosen: no
active book, and the bot of revision 0013 installs the shipped default at start).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

books = sa.table(
    "policy_books",
    sa.column("id", sa.Integer),
    sa.column("workspace_id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("document", _DOCUMENT),
    sa.column("active", sa.Boolean),
    sa.column("revision", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
chosen = sa.table(
    "workspace_policy_books",
    sa.column("workspace_id", sa.String),
    sa.column("policy_book_id", sa.Integer),
    sa.column("chosen_at", sa.DateTime(timezone=True)),
)


def name_key(name: str) -> str:
    """As bot.policies.book_name_key: a migration must not change when the code does."""
    return " ".join(name.split()).casefold()


def upgrade() -> None:
    with op.batch_alter_table("policy_books") as batch:
        batch.add_column(sa.Column("workspace_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("name_key", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    copies = _copy_the_global_book_to_every_workspace()
    op.get_bind().execute(sa.delete(books).where(books.c.workspace_id.is_(None)))
    with op.batch_alter_table("policy_books") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("name_key", existing_type=sa.String(length=255), nullable=False)
        batch.alter_column("revision", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_column("active")
        batch.create_unique_constraint(
            "uq_policy_books_workspace_id_name_key", ["workspace_id", "name_key"]
        )
    # After the table's rebuild on SQLite (batch mode copies it and drops the old one: with
    # foreign keys on, that would delete rows referring to it).
    op.create_table(
        "workspace_policy_books",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("policy_book_id", sa.Integer(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_book_id"],
            ["policy_books.id"],
            name=op.f("fk_workspace_policy_books_policy_book_id_policy_books"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_policy_books")),
    )
    now = datetime.now(UTC)
    for workspace, book_id in copies.items():
        op.get_bind().execute(
            sa.insert(chosen).values(workspace_id=workspace, policy_book_id=book_id, chosen_at=now)
        )


def _known_workspaces(bind: sa.Connection) -> list[str]:
    sources = [
        "SELECT id FROM workspaces",
        "SELECT workspace_id FROM conversations",
        "SELECT workspace_id FROM desk_settings",
        "SELECT team_id FROM slack_installations",
    ]
    found = bind.execute(sa.text(" UNION ".join(sources))).scalars()
    return sorted({str(team) for team in found if team})


def _copy_the_global_book_to_every_workspace() -> dict[str, int]:
    """Each known workspace's copy of the active book: its id, by workspace."""
    bind = op.get_bind()
    active = bind.execute(
        sa.select(books.c.name, books.c.document, books.c.created_at)
        .where(books.c.active.is_(True), books.c.workspace_id.is_(None))
        .order_by(books.c.id.desc())
        .limit(1)
    ).first()
    if active is None:
        return {}
    now = datetime.now(UTC)
    name = str(active.name or "policy book")
    copies = {}
    for workspace in _known_workspaces(bind):
        copies[workspace] = bind.execute(
            sa.insert(books)
            .values(
                workspace_id=workspace,
                name=name,
                name_key=name_key(name),
                document=active.document,
                active=False,
                revision=1,
                created_at=active.created_at,
                updated_at=now,
            )
            .returning(books.c.id)
        ).scalar_one()
    return copies


def downgrade() -> None:
    bind = op.get_bind()
    last = bind.execute(
        sa.select(chosen.c.policy_book_id)
        .order_by(chosen.c.chosen_at.desc(), chosen.c.policy_book_id.desc())
        .limit(1)
    ).scalar()
    op.drop_table("workspace_policy_books")
    with op.batch_alter_table("policy_books") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=True))
    bind.execute(sa.update(books).values(active=sa.false()))
    if last is not None:
        bind.execute(sa.update(books).where(books.c.id == last).values(active=sa.true()))
    with op.batch_alter_table("policy_books") as batch:
        batch.drop_constraint("uq_policy_books_workspace_id_name_key", type_="unique")
        batch.drop_column("updated_at")
        batch.drop_column("revision")
        batch.drop_column("name_key")
        batch.drop_column("workspace_id")
        batch.alter_column("active", existing_type=sa.Boolean(), nullable=False)

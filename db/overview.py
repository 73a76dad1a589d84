"""Reads for the agents' desk overview (the Home tab): live handoffs, hand-backs, and what waits
for an admin. Read only; `now` and `since` come from the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.models import Conversation, HandoffRow, InboxEvent, OutboxMessage
from db.repositories import as_utc


@dataclass(frozen=True, slots=True)
class LiveHandoff:
    """A handoff no one has closed yet: open (waiting for an agent) or claimed."""

    id: int
    trigger: str
    opened_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    customer_id: str
    customer_name: str
    customer_user_id: str
    root_cause: str


@dataclass(frozen=True, slots=True)
class LiveList:
    """The first `limit` of a list, oldest first, and how many there are in all."""

    items: tuple[LiveHandoff, ...]
    total: int


@dataclass(frozen=True, slots=True)
class AwaitingAdmin:
    """An event given up on (`inbox`) or a post held (`outbox`), kept until an admin acts.
    `error` is what was stored: for the admin's eyes only through a category (it can quote a
    customer's message)."""

    source: str  # "event" or the outbox kind ("handoff_card", "reply" ...)
    error: str
    since: datetime


@dataclass(frozen=True, slots=True)
class AwaitingList:
    items: tuple[AwaitingAdmin, ...]  # newest first
    total: int


class SqlDeskOverview:
    def __init__(self, session: Session) -> None:
        self.session = session

    def waiting(self, workspace_id: str, *, limit: int) -> LiveList:
        """Open handoffs (no agent has them), oldest first."""
        return self._live(workspace_id, HandoffRow.status == "open", limit=limit)

    def claimed_by(self, workspace_id: str, agent_id: str, *, limit: int) -> LiveList:
        return self._live(
            workspace_id,
            (HandoffRow.status == "claimed") & (HandoffRow.claimed_by == agent_id),
            limit=limit,
        )

    def claimed_by_others(self, workspace_id: str, agent_id: str, *, limit: int) -> LiveList:
        return self._live(
            workspace_id,
            (HandoffRow.status == "claimed") & (HandoffRow.claimed_by != agent_id),
            limit=limit,
        )

    def returned_to_bot(self, workspace_id: str, *, since: datetime) -> int:
        """Handoffs an agent gave back to the bot since `since`."""
        count = self.session.scalar(
            select(func.count())
            .select_from(HandoffRow)
            .join(Conversation, Conversation.id == HandoffRow.conversation_id)
            .where(
                Conversation.workspace_id == workspace_id,
                HandoffRow.status == "returned",
                HandoffRow.resolved_at >= since,
            )
        )
        return int(count or 0)

    def awaiting_admin(self, workspace_id: str, *, limit: int) -> AwaitingList:
        """The workspace's events given up on and posts held, newest first. An outbox row's
        workspace is its `workspace_id` column; a row of no workspace is on no desk."""
        event_where = (InboxEvent.status == "failed") & (InboxEvent.workspace_id == workspace_id)
        events = self.session.execute(
            select(InboxEvent.last_error, InboxEvent.processed_at, InboxEvent.received_at)
            .where(event_where)
            .order_by(InboxEvent.id.desc())
            .limit(limit)
        ).all()
        held = (OutboxMessage.status == "held") & (OutboxMessage.workspace_id == workspace_id)
        posts = self.session.execute(
            select(OutboxMessage.kind, OutboxMessage.last_error, OutboxMessage.created_at)
            .where(held)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        ).all()
        items = [
            AwaitingAdmin("event", str(error or ""), as_utc(processed or received))
            for error, processed, received in events
        ] + [AwaitingAdmin(str(kind), str(error or ""), as_utc(at)) for kind, error, at in posts]
        items.sort(key=lambda item: item.since, reverse=True)
        total = self.session.scalar(select(func.count()).select_from(InboxEvent).where(event_where))
        total_posts = self.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(held)
        )
        return AwaitingList(tuple(items[:limit]), int(total or 0) + int(total_posts or 0))

    def _live(self, workspace_id: str, which: ColumnElement[bool], *, limit: int) -> LiveList:
        where = (Conversation.workspace_id == workspace_id) & which
        rows = self.session.execute(
            select(HandoffRow, Conversation.customer_user_id)
            .join(Conversation, Conversation.id == HandoffRow.conversation_id)
            .where(where)
            .order_by(HandoffRow.created_at, HandoffRow.id)
            .limit(limit)
        ).all()
        total = self.session.scalar(
            select(func.count())
            .select_from(HandoffRow)
            .join(Conversation, Conversation.id == HandoffRow.conversation_id)
            .where(where)
        )
        items = tuple(
            LiveHandoff(
                id=row.id,
                trigger=row.trigger,
                opened_at=as_utc(row.created_at),
                claimed_by=row.claimed_by,
                claimed_at=as_utc(row.claimed_at) if row.claimed_at else None,
                customer_id=row.customer_id,
                customer_name=row.customer_name,
                customer_user_id=customer_user_id,
                root_cause=row.root_cause,
            )
            for row, customer_user_id in rows
        )
        return LiveList(items, int(total or 0))

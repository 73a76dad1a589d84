"""The outbox drainer: posts what turns and the desk wrote, through a platform's `Sender`.

Rows are claimed with a lease and retried with backoff; a rate limit's wait is honoured; a card
that cannot be posted until an admin fixes something is held and the admins are told once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.workers.loop import LEASE, Worker, worker_name
from db.repositories import ConversationRecord, HandoffRecord, OutboxItem
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

Posted = dict[str, Any]  # where a message landed, as the platform names it (channel, ts)


@dataclass(frozen=True, slots=True)
class CardContext:
    """Where the customer's conversation is, and what happened to the handoff since."""

    workspace_id: str
    channel_id: str
    customer_user_id: str
    thread_ts: str | None = None
    acted_by: str | None = None
    acted_at: datetime | None = None


class SendFailed(Exception):
    """A post the platform refused or could not take.

    `retry_after`: the platform asked to wait that long (a rate limit). `needs_admin`: retrying
    cannot help until an admin changes something; `reason` then says what, for the admins.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        needs_admin: bool = False,
        permanent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.needs_admin = needs_admin
        self.permanent = permanent  # retrying this very post cannot succeed


class Sender(Protocol):
    """What the drainer needs from a chat platform; failures raise `SendFailed`."""

    def post_message(self, *, channel: str, text: str, thread_ts: str | None = None) -> Posted: ...

    def post_card(self, *, channel: str, record: HandoffRecord, context: CardContext) -> Posted: ...

    def update_card(
        self, *, channel: str, ts: str, record: HandoffRecord, context: CardContext
    ) -> None: ...

    def workspace_admins(self) -> tuple[str, ...]:
        """The workspace's own admins and owners (people, not bots)."""
        ...


class NotReady(Exception):
    """Something this message depends on has not been posted yet."""


NO_HANDOFF_CHANNEL = "no handoff channel is set"
# A post still failing after this many tries (about 40 minutes of backoff) is kept, held, and
# the admins are told, instead of being retried forever.
MAX_POST_ATTEMPTS = 12


class OutboxDrainer(Worker):
    """Posts outbox rows through the sender, with backoff; a rate limit's wait is honoured."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sender: Sender,
        clock: Callable[[], datetime],
        interval: float = 1.0,
    ) -> None:
        super().__init__(name=worker_name("outbox"), interval=interval)
        self.sessions = sessions
        self.sender = sender
        self.clock = clock

    def work_once(self) -> int:
        if self.stopping:
            return 0
        with SqlUnitOfWork(self.sessions) as uow:
            items = uow.outbox.claim_due(worker=self.name, now=self.clock(), lease=LEASE, limit=20)
            uow.commit()
        for item in items:
            self._post(item)
        return len(items)

    def _post(self, item: OutboxItem) -> None:
        try:
            result = self._send(item)
        except NotReady as waiting:
            self._retry(item, str(waiting), retry_after=2.0)
            return
        except SendFailed as failure:
            self._failed(item, failure)
            return
        except Exception as error:  # network trouble and the like: try again later
            log.warning("outbox %s (%s): %r", item.id, item.kind, error)
            self._retry(item, repr(error))
            return
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.mark_sent(item.id, worker=self.name, now=self.clock(), result=result)
            uow.commit()

    def _send(self, item: OutboxItem) -> Posted:
        payload = item.payload
        if item.kind in ("reply", "relay_to_customer"):
            return self.sender.post_message(
                channel=payload["channel"], text=payload["text"], thread_ts=payload.get("thread_ts")
            )
        if item.kind == "handoff_card":
            return self._post_card(int(payload["handoff_id"]), payload.get("workspace_id", ""))
        if item.kind == "card_update":
            return self._update_card(item)
        if item.kind == "relay_to_agents":
            return self._relay_to_agents(item)
        if item.kind == "admin_notice":
            return self._notify_admins(payload["workspace_id"], payload["text"])
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    def _post_card(self, handoff_id: int, workspace_id: str) -> Posted:
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(handoff_id)
            conversation = uow.conversations.get(record.conversation_id)
            settings = uow.workspaces.get(workspace_id or conversation.key.workspace_id)
        if record.card_ts:
            return {"channel": record.card_channel, "ts": record.card_ts}  # posted before
        if not settings.handoff_channel:
            raise SendFailed(NO_HANDOFF_CHANNEL, needs_admin=True)
        posted = self.sender.post_card(
            channel=settings.handoff_channel, record=record, context=card_context(conversation)
        )
        with SqlUnitOfWork(self.sessions) as uow:
            uow.handoffs.set_card(handoff_id, channel=str(posted["channel"]), ts=str(posted["ts"]))
            uow.commit()
        return posted

    def _update_card(self, item: OutboxItem) -> Posted:
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(int(item.payload["handoff_id"]))
            conversation = uow.conversations.get(record.conversation_id)
        if not record.card_ts or not record.card_channel:
            raise NotReady("the card is not posted yet")
        acted_at = item.payload.get("acted_at")
        context = card_context(
            conversation,
            acted_by=item.payload.get("acted_by"),
            acted_at=datetime.fromisoformat(acted_at) if acted_at else None,
        )
        self.sender.update_card(
            channel=record.card_channel, ts=record.card_ts, record=record, context=context
        )
        return {"channel": record.card_channel, "ts": record.card_ts}

    def _relay_to_agents(self, item: OutboxItem) -> Posted:
        handoff_id = item.payload.get("handoff_id")
        if handoff_id is None:
            return {"skipped": "no handoff"}
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(int(handoff_id))
        if not record.card_ts or not record.card_channel:
            raise NotReady("the card is not posted yet")
        return self.sender.post_message(
            channel=record.card_channel,
            text=f"Customer: {item.payload['text']}",
            thread_ts=record.card_ts,
        )

    def _notify_admins(self, workspace_id: str, text: str) -> Posted:
        with SqlUnitOfWork(self.sessions) as uow:
            admins = uow.workspaces.get(workspace_id).admin_user_ids
        if not admins:  # nobody configured yet (a fresh install): the workspace's own admins
            admins = self.sender.workspace_admins()
        if not admins:
            raise NotReady("no admin to tell yet")
        for admin in admins:
            self.sender.post_message(channel=admin, text=text)
        return {"told": list(admins)}

    def _failed(self, item: OutboxItem, failure: SendFailed) -> None:
        if failure.needs_admin and item.kind == "handoff_card":
            self._hold_and_tell_admins(item, failure.reason)
            return
        log.warning("outbox %s (%s) failed: %s", item.id, item.kind, failure.reason)
        if failure.permanent or failure.needs_admin:
            self._give_up(item, failure.reason)
            return
        self._retry(item, failure.reason, retry_after=failure.retry_after)

    def _give_up(self, item: OutboxItem, reason: str) -> None:
        """Keep the row (held, with why) and tell the admins once; never a retry loop."""
        log.error("outbox %s (%s) given up: %s", item.id, item.kind, reason)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.hold(item.id, worker=self.name, error=f"gave up: {reason}")
            if item.kind != "admin_notice":  # telling admins that admins cannot be told: no
                uow.outbox.enqueue(
                    "admin_notice",
                    {
                        "workspace_id": str(item.payload.get("workspace_id", "")),
                        "text": f"A message to Slack ({item.kind.replace('_', ' ')}) could not be "
                        f"posted and was given up after {item.attempts} tries: {reason}. It is "
                        "kept in the outbox.",
                    },
                    now=self.clock(),
                )
            uow.commit()

    def _hold_and_tell_admins(self, item: OutboxItem, reason: str) -> None:
        workspace_id = str(item.payload.get("workspace_id", ""))
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.hold(item.id, worker=self.name, error=reason)
            uow.outbox.enqueue(
                "admin_notice",
                {
                    "workspace_id": workspace_id,
                    "text": f"A customer's handoff is waiting: {reason}. Set one I can post in "
                    "with `/escalation channel #channel` (and invite me there); waiting "
                    "handoffs are posted as soon as it is fixed.",
                },
                now=self.clock(),
            )
            uow.commit()

    def _retry(self, item: OutboxItem, error: str, *, retry_after: float | None = None) -> None:
        if item.attempts >= MAX_POST_ATTEMPTS:
            self._give_up(item, error)
            return
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.retry_later(
                item.id,
                worker=self.name,
                now=self.clock(),
                error=error,
                attempts=item.attempts,
                retry_after=retry_after,
            )
            uow.commit()


def card_context(
    conversation: ConversationRecord,
    *,
    acted_by: str | None = None,
    acted_at: datetime | None = None,
) -> CardContext:
    key = conversation.key
    return CardContext(
        workspace_id=key.workspace_id,
        channel_id=key.channel_id,
        customer_user_id=key.customer_user_id,
        thread_ts=key.thread_key or None,
        acted_by=acted_by,
        acted_at=acted_at,
    )

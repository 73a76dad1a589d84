"""The inbox: stored platform events, turned into customer turns or relays to the customer.

The platform adapter stores each event as it arrives (`SqlEventInbox`) and says what a stored
event is (an `EventReader`); the worker runs the turns off the request path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from bot.turns.processor import InboxClaim, IncomingMessage, TurnProcessor, finish_claim
from bot.workers.loop import HEARTBEAT, LEASE, Worker, worker_name
from db.repositories import ConversationKey, InboxItem, StaleState, WorkspaceSettings, backoff_delay
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 5
SORRY = (
    "I'm sorry, something went wrong on my side and I couldn't handle your last message. "
    "Please send it again in a moment, or ask for a person and I'll bring one in."
)

EventRole = Literal["customer", "thread_followup", "agent_reply", "ignore"]


@dataclass(frozen=True, slots=True)
class RoutedEvent:
    """What a stored event is to the bot: a customer's turn, an agent's reply, or nothing."""

    role: EventRole
    text: str = ""
    key: ConversationKey | None = None
    reply_to: dict[str, Any] | None = None
    ts: str | None = None
    thread_ts: str | None = None
    channel: str | None = None
    user: str | None = None


# The platform's reading of a stored event, given the workspace's configured channels.
EventReader = Callable[[dict[str, Any], WorkspaceSettings], RoutedEvent]


class SqlEventInbox:
    """The listener's side of the inbox: store the event (a retry inserts nothing), wake."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.wake = wake

    def store(
        self,
        *,
        event_id: str,
        payload: dict[str, Any],
        workspace_id: str | None,
        conversation_key: str | None,
        event_ts: str | None = None,
    ) -> bool:
        """Keep the event; False when it was stored before (a platform's retry)."""
        with SqlUnitOfWork(self.sessions) as uow:
            stored = uow.inbox.add(
                event_id,
                payload,
                now=self.clock(),
                workspace_id=workspace_id,
                conversation_key=conversation_key,
                event_ts=event_ts,
            )
            uow.commit()
        if stored:
            self.wake()
        return stored


class InboxWorker(Worker):
    """Turns stored events into turns (customers) or relays (agents' thread replies)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        processor: TurnProcessor,
        read_event: EventReader,
        clock: Callable[[], datetime],
        on_output: Callable[[], None] = lambda: None,
        interval: float = 1.0,
        lease: timedelta = LEASE,
        heartbeat: timedelta = HEARTBEAT,
        settle: timedelta = timedelta(0),
    ) -> None:
        super().__init__(name=worker_name("inbox"), interval=interval)
        self.settle = settle
        self.lease = lease
        self.heartbeat = heartbeat
        self.current: InboxItem | None = None
        self.sessions = sessions
        self.processor = processor
        self.read_event = read_event
        self.clock = clock
        self.on_output = on_output

    def work_once(self) -> int:
        if self.stopping:
            return 0
        with SqlUnitOfWork(self.sessions) as uow:
            items = uow.inbox.claim(
                worker=self.name, now=self.clock(), lease=self.lease, limit=1, settle=self.settle
            )
            uow.commit()
        for item in items:
            self.current = item
            try:
                with self._heartbeat(item):
                    self._process(item)
            finally:
                self.current = None
        if items:
            self.on_output()
        return len(items)

    def _process(self, item: InboxItem) -> None:
        try:
            self._handle(item, InboxClaim(item.id, self.name))
        except StaleState as error:
            log.warning("event %s: %s", item.event_id, error)
            self._release(item, str(error))
        except Exception as error:
            log.exception("event %s failed (attempt %s)", item.event_id, item.attempts)
            if item.attempts < MAX_EVENT_ATTEMPTS:
                self._release(item, repr(error))
            else:
                self._give_up(item, repr(error))

    @contextmanager
    def _heartbeat(self, item: InboxItem) -> Iterator[None]:
        """Renew the claim while the turn runs, so a slow turn keeps it and a dead one loses it."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat.total_seconds()):
                with SqlUnitOfWork(self.sessions) as uow:
                    held = uow.inbox.renew(
                        item.id, worker=self.name, now=self.clock(), lease=self.lease
                    )
                    uow.commit()
                if not held:
                    log.warning("event %s: the claim was lost while its turn ran", item.event_id)
                    return

        beating = threading.Thread(target=beat, name=f"{self.name}-heartbeat", daemon=True)
        beating.start()
        try:
            yield
        finally:
            done.set()
            beating.join(timeout=5)

    def abandon(self) -> None:
        item = self.current
        if item is not None:
            self._release(item, "released: the worker's process is stopping", now=True)

    def _release(self, item: InboxItem, error: str, *, now: bool = False) -> None:
        retry_at = self.clock() if now else self.clock() + backoff_delay(item.attempts)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.inbox.release(item.id, worker=self.name, error=error, retry_at=retry_at)
            uow.commit()

    def _give_up(self, item: InboxItem, error: str) -> None:
        """Keep the event (failed, with its error), tell the customer, and tell the admins
        (a model that rejects the key fails every turn: someone must hear of it)."""
        with SqlUnitOfWork(self.sessions) as uow:
            routed = self.read_event(item.payload, uow.workspaces.get(item.workspace_id))
            failed = uow.inbox.fail(item.id, worker=self.name, now=self.clock(), error=error)
            told = failed and routed.role == "customer" and routed.reply_to is not None
            if told and routed.reply_to is not None:
                uow.outbox.enqueue("reply", {**routed.reply_to, "text": SORRY}, now=self.clock())
            if failed:
                what = "A customer's message" if routed.role == "customer" else "A Slack event"
                after = (
                    "; they were asked to send it again or ask for a person."
                    if told
                    else "; it is kept with its error."
                )
                uow.outbox.enqueue(
                    "admin_notice",
                    {
                        "workspace_id": item.workspace_id,
                        "text": f"{what} could not be handled after {item.attempts} tries "
                        f"({error[:300]}){after}",
                    },
                    now=self.clock(),
                )
            uow.commit()

    def _handle(self, item: InboxItem, claim: InboxClaim) -> None:
        with SqlUnitOfWork(self.sessions) as uow:
            settings = uow.workspaces.get(item.workspace_id)
        routed = self.read_event(item.payload, settings)
        if routed.role == "thread_followup" and routed.key is not None:
            with SqlUnitOfWork(self.sessions) as uow:
                if uow.conversations.exists(routed.key):
                    routed = replace(routed, role="customer")
        if routed.role == "customer":
            assert routed.key is not None
            self.processor.handle(
                IncomingMessage(
                    key=routed.key, text=routed.text, ts=routed.ts, reply_to=routed.reply_to
                ),
                claim=claim,
            )
        elif routed.role == "agent_reply":
            self._relay_to_customer(routed, claim)
        else:
            with SqlUnitOfWork(self.sessions) as uow:
                finish_claim(uow, claim, now=self.clock())
                uow.commit()

    def _relay_to_customer(self, routed: RoutedEvent, claim: InboxClaim) -> None:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            finish_claim(uow, claim, now=now)
            handoff = uow.handoffs.by_card(channel=routed.channel or "", ts=routed.thread_ts or "")
            if handoff is None or handoff.status not in ("open", "claimed"):
                uow.commit()  # a thread that is not a live handoff: agents talking among themselves
                return
            conversation = uow.conversations.get(handoff.conversation_id)
            uow.conversations.add_message(
                conversation.id,
                speaker="agent",
                text=routed.text,
                now=now,
                slack_ts=routed.ts,
                author_id=routed.user,
            )
            reply_to: dict[str, Any] = {"channel": conversation.key.channel_id}
            if conversation.key.thread_key:
                reply_to["thread_ts"] = conversation.key.thread_key
            uow.outbox.enqueue(
                "relay_to_customer",
                {**reply_to, "text": routed.text},
                now=now,
                conversation_id=conversation.id,
                handoff_id=handoff.id,
            )
            uow.commit()

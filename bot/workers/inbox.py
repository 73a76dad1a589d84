"""The inbox: stored platform events, turned into customer turns or relays to the customer.

The platform adapter stores each event as it arrives (`SqlEventInbox`) and says what a stored
event is (an `EventReader`); the worker runs the turns off the request path.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.turns.processor import (
    BACK_WITH_BOT,
    InboxClaim,
    IncomingMessage,
    ReadAgain,
    TurnProcessor,
    finish_claim,
    reply_address,
)
from bot.workers.loop import HEARTBEAT, LEASE, Worker, worker_name
from bot.workers.settings import WorkspaceSettingsCache
from db.repositories import (
    ConversationKey,
    InboxItem,
    NewInboxEvent,
    StaleState,
    UnknownConversation,
    WorkspaceSettings,
    add_inbox_events,
    backoff_delay,
)
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 5
STORE_TIMEOUT = 30.0  # seconds an event waits to be stored before its request fails
SORRY = (
    "I'm sorry, something went wrong on my side and I couldn't handle your last message. "
    "Please send it again in a moment, or ask for a person and I'll bring one in."
)

EventRole = Literal["customer", "thread_followup", "agent_reply", "ignore"]
# An event the bot writes itself, not the platform: a person handed a conversation back.
RETURNED_TO_BOT = "returned_to_bot"


def conversation_lane(key: ConversationKey) -> str:
    """The inbox's ordering key of a conversation: its events are taken one at a time, in
    order (the platform's events of that conversation carry the same key)."""
    return "/".join((key.workspace_id, key.channel_id, key.thread_key, key.customer_user_id))


def add_return_event(
    uow: SqlUnitOfWork,
    *,
    handoff_id: int,
    conversation_id: int,
    key: ConversationKey,
    now: datetime,
) -> None:
    """Queue the bot's first turn after a person handed the conversation back, in the same
    transaction as the hand-back. It has no platform timestamp, so it is taken before any
    message of the conversation still waiting (those are answered after it, in order); a
    message a worker took before it and had not read yet steps aside for it (`ReadAgain`)."""
    uow.inbox.add(
        f"{RETURNED_TO_BOT}:{handoff_id}",
        {
            "bot_event": RETURNED_TO_BOT,
            "conversation_id": conversation_id,
            "handoff_id": handoff_id,
        },
        now=now,
        workspace_id=key.workspace_id,
        conversation_key=conversation_lane(key),
    )


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


class SharedChannels(Protocol):
    """Events written in a channel several organisations share, which Slack delivers once,
    as the installation it names: that may be another workspace of ours than the one whose
    support channel it is."""

    def channel_of(self, payload: dict[str, Any]) -> str | None:
        """The shared channel the event was written in; None for any other event."""
        ...

    def delivered_to(self, payload: dict[str, Any], workspace_id: str) -> dict[str, Any]:
        """The event as if delivered to `workspace_id`'s installation."""
        ...


class SqlEventInbox:
    """The listener's side of the inbox: store the event before the ack (a retry inserts
    nothing), then wake the workers.

    Events arriving together are stored together (group commit): one writer thread takes
    whatever is waiting and stores it in one statement and one commit, while each request
    waits for its own event's outcome. Under load this halves the front's database work per
    event; alone, an event is written at once.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
        batch_limit: int = 64,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.wake = wake
        self.batch_limit = batch_limit
        self._waiting: queue.SimpleQueue[_Storing | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._closed = False

    def store(
        self,
        *,
        event_id: str,
        payload: dict[str, Any],
        workspace_id: str | None,
        conversation_key: str | None,
        event_ts: str | None = None,
    ) -> bool:
        """Keep the event; False when it was stored before (a platform's retry). Raises what
        storing raised (or `InboxClosed` once the process is stopping): the platform gets no
        ack and delivers the event again."""
        storing = _Storing(
            NewInboxEvent(event_id, payload, workspace_id, conversation_key, event_ts)
        )
        with self._writer_lock:
            if self._closed:
                raise InboxClosed("the process is stopping: the event is not stored")
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_batches, name="inbox-writer", daemon=True
                )
                self._writer.start()
            self._waiting.put(storing)  # before any close() can queue the writer's stop
        stored = storing.outcome.result(timeout=STORE_TIMEOUT)
        if stored:
            self.wake()
        return stored

    def waiting(self) -> int:
        """Events waiting to be written (behind the write under way)."""
        return self._waiting.qsize()

    def close(self) -> None:
        """Take no more events; stop the writer once it has written what is waiting."""
        with self._writer_lock:
            self._closed = True
            writer, self._writer = self._writer, None
            if writer is not None:
                self._waiting.put(None)  # after every event already queued
        if writer is not None:
            writer.join(timeout=10)

    def _write_batches(self) -> None:
        while (first := self._waiting.get()) is not None:
            batch = [first]
            closing = False
            while len(batch) < self.batch_limit:
                try:
                    more = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.append(more)
            self._write(batch)
            if closing:
                return

    def _write(self, batch: list[_Storing]) -> None:
        # A retry delivered while its first delivery waits here is stored once: the first
        # copy learns the outcome, the later ones that it was stored before.
        firsts: dict[str, _Storing] = {}
        for storing in batch:
            if storing.event.event_id in firsts:
                storing.outcome.set_result(False)
            else:
                firsts[storing.event.event_id] = storing
        batch = list(firsts.values())
        try:
            stored = self._add([s.event for s in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0].outcome.set_exception(error)
            else:  # one bad event must not cost the others their ack: each on its own
                for storing in batch:
                    self._write([storing])
            return
        for storing in batch:
            storing.outcome.set_result(storing.event.event_id in stored)

    def _add(self, events: list[NewInboxEvent]) -> set[str]:
        try:
            return self._add_once(events)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # The pooled connection had died (the database restarted): the pool has dropped
            # it and its siblings; once more on a new one.
            log.warning("storing %d events again on a new database connection", len(events))
            return self._add_once(events)

    def _add_once(self, events: list[NewInboxEvent]) -> set[str]:
        with self.engine.begin() as connection:
            return add_inbox_events(connection, events, now=self.clock())


class InboxClosed(RuntimeError):
    """An event arrived while its process was stopping (the platform delivers it again)."""


@dataclass
class _Storing:
    event: NewInboxEvent
    outcome: Future[bool] = field(default_factory=Future)


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
        workspace_settings: WorkspaceSettingsCache | None = None,
        shared_channels: SharedChannels | None = None,
    ) -> None:
        super().__init__(name=worker_name("inbox"), interval=interval)
        self.shared_channels = shared_channels
        self.workspace_settings = workspace_settings or WorkspaceSettingsCache()
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
        except ReadAgain as error:
            log.info("event %s given back to be read again: %s", item.event_id, error)
            self._release(item, str(error), now=True)
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
        if item.payload.get("bot_event") == RETURNED_TO_BOT:
            self._give_up_return(item, error)
            return
        # the event's own workspace (its settings read afresh), before the write transaction:
        # on SQLite a read inside it would wait for its lock
        workspace_id, routed = self._route(item, self._load_settings)
        with SqlUnitOfWork(self.sessions) as uow:
            failed = uow.inbox.fail(item.id, worker=self.name, now=self.clock(), error=error)
            told = failed and routed.role == "customer" and routed.reply_to is not None
            if told and routed.reply_to is not None:
                uow.outbox.enqueue(
                    "reply",
                    {**routed.reply_to, "workspace_id": workspace_id, "text": SORRY},
                    now=self.clock(),
                    workspace_id=workspace_id,
                )
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
                        "workspace_id": workspace_id,
                        "text": f"{what} could not be handled after {item.attempts} tries "
                        f"({error[:300]}){after}",
                    },
                    now=self.clock(),
                    workspace_id=workspace_id,
                )
            uow.commit()

    def _give_up_return(self, item: InboxItem, error: str) -> None:
        """The bot's turn after a hand-back failed for good: the customer still hears that the
        bot is back (and is asked what they still need, since what they wrote meanwhile went
        unanswered), unless a person has the conversation again; the admins hear which
        hand-back it was."""
        now = self.clock()
        conversation_id = int(item.payload["conversation_id"])
        handoff = item.payload.get("handoff_id") or item.event_id.rpartition(":")[2]
        with SqlUnitOfWork(self.sessions) as uow:
            if not uow.inbox.fail(item.id, worker=self.name, now=now, error=error):
                uow.commit()
                return
            told = False
            try:
                uow.conversations.lock(conversation_id)
                conversation = uow.conversations.get(conversation_id)
                with_human = uow.conversations.load_state(conversation_id).state.with_human
            except UnknownConversation:
                log.warning("event %s: conversation %s is gone", item.event_id, conversation_id)
            else:
                if not with_human:
                    uow.conversations.add_message(
                        conversation_id, speaker="bot", text=BACK_WITH_BOT, now=now
                    )
                    uow.outbox.enqueue(
                        "reply",
                        {**reply_address(conversation.key), "text": BACK_WITH_BOT},
                        now=now,
                        conversation_id=conversation_id,
                        workspace_id=conversation.key.workspace_id,
                    )
                    told = True
            after = (
                "; the customer was told the bot is back and asked what they still need."
                if told
                else "; the customer was told nothing (it is kept with its error)."
            )
            uow.outbox.enqueue(
                "admin_notice",
                {
                    "workspace_id": item.workspace_id,
                    "text": f"The bot's turn after handoff #{handoff} was returned to it could "
                    f"not be handled after {item.attempts} tries ({error[:300]}): what the "
                    f"customer wrote during the handoff was not answered{after}",
                },
                now=now,
                workspace_id=item.workspace_id,
            )
            uow.commit()

    def _handle(self, item: InboxItem, claim: InboxClaim) -> None:
        if item.payload.get("bot_event") == RETURNED_TO_BOT:
            self.processor.resume(int(item.payload["conversation_id"]), claim=claim)
            return
        workspace_id, routed = self._route(
            item, lambda workspace: self.workspace_settings.read(workspace, self._load_settings)
        )
        if routed.role == "thread_followup" and routed.key is not None:
            with SqlUnitOfWork(self.sessions, read_only=True) as uow:
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
            self._relay_to_customer(workspace_id, routed, claim)
        else:
            with SqlUnitOfWork(self.sessions) as uow:
                finish_claim(uow, claim, now=self.clock())
                uow.commit()

    def _route(
        self, item: InboxItem, settings_of: Callable[[str], WorkspaceSettings]
    ) -> tuple[str, RoutedEvent]:
        """What the event is, and to which workspace: its own, or the one whose shared
        channel it was written in."""
        routed = self.read_event(item.payload, settings_of(item.workspace_id))
        if routed.role == "ignore":
            moved = self._to_the_channels_workspace(item)
            if moved is not None:
                workspace_id, payload = moved
                return workspace_id, self.read_event(payload, settings_of(workspace_id))
        return item.workspace_id, routed

    def _to_the_channels_workspace(self, item: InboxItem) -> tuple[str, dict[str, Any]] | None:
        """An event the receiving workspace has no use for, in a shared channel that exactly
        one other workspace of ours configured: that workspace's, as if delivered to it."""
        channel = (
            None if self.shared_channels is None else self.shared_channels.channel_of(item.payload)
        )
        if channel is None or self.shared_channels is None:
            return None
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            owners = [w for w in uow.workspaces.configuring(channel) if w != item.workspace_id]
        if len(owners) != 1:
            return None
        return owners[0], self.shared_channels.delivered_to(item.payload, owners[0])

    def _load_settings(self, workspace_id: str) -> WorkspaceSettings:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            return uow.workspaces.get(workspace_id)

    def _relay_to_customer(self, workspace_id: str, routed: RoutedEvent, claim: InboxClaim) -> None:
        """An agent's reply in the thread of one of `workspace_id`'s cards goes to its customer
        (a thread on another workspace's card, in a channel both share, is not ours to relay)."""
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            finish_claim(uow, claim, now=now)
            handoff = uow.handoffs.by_card(
                workspace_id=workspace_id, channel=routed.channel or "", ts=routed.thread_ts or ""
            )
            if handoff is None or handoff.status not in ("open", "claimed"):
                uow.commit()  # a thread that is not a live handoff: agents talking among themselves
                return
            conversation = uow.conversations.get(handoff.conversation_id)
            uow.desk.first_reply(handoff.id, now=now)
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
                workspace_id=conversation.key.workspace_id,
            )
            uow.commit()

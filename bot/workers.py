"""Background workers: take stored Slack events and run their turns; post the outbox.

Both claim rows with a lease, so several processes can share one database, and a crashed
worker's rows are taken again once its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.cards import CardContext, blocks_as_dicts, handoff_blocks, handoff_text
from bot.slack_events import RoutedEvent, route
from bot.turns import InboxClaim, IncomingMessage, TurnProcessor, finish_claim
from db.repositories import InboxItem, OutboxItem, StaleState, backoff_delay
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

# Longer than the slowest turn (up to 7 model rounds x 3 tries x 60 s, about 21 min), so a live
# worker never loses its event; a crashed worker's event is taken again after this.
LEASE = timedelta(minutes=30)
MAX_EVENT_ATTEMPTS = 5
SORRY = (
    "I'm sorry, something went wrong on my side and I couldn't handle your last message. "
    "Please send it again in a moment, or ask for a person and I'll bring one in."
)
# Errors that retrying cannot fix until someone changes something (an admin is told).
NEEDS_AN_ADMIN = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "no_handoff_channel"}
)


def worker_name(role: str) -> str:
    """Unique per worker object: a claim is released or finished only by its own holder."""
    return f"{role}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}:{os.getpid()}"


class Worker:
    """A loop that runs `work_once` until stopped; `wake` skips the wait after new work."""

    def __init__(self, *, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def work_once(self) -> int:
        raise NotImplementedError

    def run_until_idle(self, *, limit: int = 100) -> int:
        """Work until nothing is left (tests and the console use this)."""
        done = 0
        for _ in range(limit):
            count = self.work_once()
            if not count:
                break
            done += count
        return done

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.work_once()
            except Exception:
                log.exception("%s: unexpected error; carrying on", self.name)
                busy = 0
            if not busy:
                self._wake.wait(self.interval)
                self._wake.clear()


class InboxWorker(Worker):
    """Turns stored events into turns (customers) or relays (agents' thread replies)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        processor: TurnProcessor,
        clock: Callable[[], datetime],
        on_output: Callable[[], None] = lambda: None,
        interval: float = 1.0,
    ) -> None:
        super().__init__(name=worker_name("inbox"), interval=interval)
        self.sessions = sessions
        self.processor = processor
        self.clock = clock
        self.on_output = on_output

    def work_once(self) -> int:
        with SqlUnitOfWork(self.sessions) as uow:
            items = uow.inbox.claim(worker=self.name, now=self.clock(), lease=LEASE, limit=1)
            uow.commit()
        for item in items:
            self._process(item)
        if items:
            self.on_output()
        return len(items)

    def _process(self, item: InboxItem) -> None:
        try:
            self._handle(item.payload, InboxClaim(item.id, self.name))
        except StaleState as error:
            log.warning("event %s: %s", item.event_id, error)
            self._release(item, str(error))
        except Exception as error:
            log.exception("event %s failed (attempt %s)", item.event_id, item.attempts)
            if item.attempts < MAX_EVENT_ATTEMPTS:
                self._release(item, repr(error))
            else:
                self._give_up(item, repr(error))

    def _release(self, item: InboxItem, error: str) -> None:
        retry_at = self.clock() + backoff_delay(item.attempts)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.inbox.release(item.id, worker=self.name, error=error, retry_at=retry_at)
            uow.commit()

    def _give_up(self, item: InboxItem, error: str) -> None:
        """Keep the event (failed, with its error, for an admin) and tell the customer."""
        with SqlUnitOfWork(self.sessions) as uow:
            team = item.payload.get("team_id") or ""
            routed = route(item.payload, uow.workspaces.get(team))
            failed = uow.inbox.fail(item.id, worker=self.name, now=self.clock(), error=error)
            if failed and routed.role == "customer" and routed.reply_to is not None:
                uow.outbox.enqueue("reply", {**routed.reply_to, "text": SORRY}, now=self.clock())
            uow.commit()

    def _handle(self, body: dict[str, Any], claim: InboxClaim) -> None:
        team = body.get("team_id") or (body.get("event") or {}).get("team") or ""
        with SqlUnitOfWork(self.sessions) as uow:
            settings = uow.workspaces.get(team)
        routed = route(body, settings)
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


class OutboxDrainer(Worker):
    """Posts outbox rows to Slack, with backoff; Retry-After is honoured on 429."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        client: WebClient,
        clock: Callable[[], datetime],
        interval: float = 1.0,
    ) -> None:
        super().__init__(name=worker_name("outbox"), interval=interval)
        self.sessions = sessions
        self.client = client
        self.clock = clock

    def work_once(self) -> int:
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
        except NeedsAdmin as problem:
            self._hold_and_tell_admins(item, problem.code)
            return
        except SlackApiError as error:
            self._failed(item, error)
            return
        except Exception as error:  # network trouble and the like: try again later
            log.warning("outbox %s (%s): %r", item.id, item.kind, error)
            self._retry(item, repr(error))
            return
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.mark_sent(item.id, worker=self.name, now=self.clock(), result=result)
            uow.commit()

    def _send(self, item: OutboxItem) -> dict[str, Any]:
        payload = item.payload
        if item.kind in ("reply", "relay_to_customer"):
            return self._message(payload["channel"], payload["text"], payload.get("thread_ts"))
        if item.kind == "handoff_card":
            return self._post_card(int(payload["handoff_id"]), payload.get("workspace_id", ""))
        if item.kind == "card_update":
            return self._update_card(item)
        if item.kind == "relay_to_agents":
            return self._relay_to_agents(item)
        if item.kind == "admin_notice":
            return self._notify_admins(payload["workspace_id"], payload["text"])
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    def _message(
        self, channel: str, text: str, thread_ts: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        response = self.client.chat_postMessage(
            channel=channel, text=text, thread_ts=thread_ts, **extra
        )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    def _post_card(self, handoff_id: int, workspace_id: str) -> dict[str, Any]:
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(handoff_id)
            conversation = uow.conversations.get(record.conversation_id)
            settings = uow.workspaces.get(workspace_id or conversation.key.workspace_id)
        if record.card_ts:
            return {"channel": record.card_channel, "ts": record.card_ts}  # posted before
        if not settings.handoff_channel:
            raise NeedsAdmin("no_handoff_channel")
        context = _card_context(conversation)
        response = self.client.chat_postMessage(
            channel=settings.handoff_channel,
            text=handoff_text(record),
            blocks=blocks_as_dicts(handoff_blocks(record, context)),
            unfurl_links=False,
        )
        with SqlUnitOfWork(self.sessions) as uow:
            uow.handoffs.set_card(
                handoff_id, channel=str(response["channel"]), ts=str(response["ts"])
            )
            uow.commit()
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    def _update_card(self, item: OutboxItem) -> dict[str, Any]:
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(int(item.payload["handoff_id"]))
            conversation = uow.conversations.get(record.conversation_id)
        if not record.card_ts or not record.card_channel:
            raise NotReady("the card is not posted yet")
        acted_at = item.payload.get("acted_at")
        context = _card_context(
            conversation,
            acted_by=item.payload.get("acted_by"),
            acted_at=datetime.fromisoformat(acted_at) if acted_at else None,
        )
        self.client.chat_update(
            channel=record.card_channel,
            ts=record.card_ts,
            text=handoff_text(record),
            blocks=blocks_as_dicts(handoff_blocks(record, context)),
        )
        return {"channel": record.card_channel, "ts": record.card_ts}

    def _relay_to_agents(self, item: OutboxItem) -> dict[str, Any]:
        handoff_id = item.payload.get("handoff_id")
        if handoff_id is None:
            return {"skipped": "no handoff"}
        with SqlUnitOfWork(self.sessions) as uow:
            record = uow.handoffs.get(int(handoff_id))
        if not record.card_ts or not record.card_channel:
            raise NotReady("the card is not posted yet")
        return self._message(
            record.card_channel, f"Customer: {item.payload['text']}", record.card_ts
        )

    def _notify_admins(self, workspace_id: str, text: str) -> dict[str, Any]:
        with SqlUnitOfWork(self.sessions) as uow:
            admins = uow.workspaces.get(workspace_id).admin_user_ids
        if not admins:  # nobody configured yet (a fresh install): the workspace's own admins
            admins = self._workspace_admins()
        if not admins:
            raise NotReady("no admin to tell yet")
        for admin in admins:
            self.client.chat_postMessage(channel=admin, text=text)
        return {"told": list(admins)}

    def _workspace_admins(self) -> tuple[str, ...]:
        members = self.client.users_list(limit=200).get("members") or []
        return tuple(
            str(m["id"])
            for m in members
            if (m.get("is_admin") or m.get("is_owner"))
            and not m.get("is_bot")
            and not m.get("deleted")
        )

    def _failed(self, item: OutboxItem, error: SlackApiError) -> None:
        code = str(error.response.get("error", "")) if error.response is not None else ""
        if code == "ratelimited" or getattr(error.response, "status_code", None) == 429:
            headers = getattr(error.response, "headers", {}) or {}
            retry_after = _retry_after(headers)
            self._retry(item, "ratelimited", retry_after=retry_after)
            return
        if code in NEEDS_AN_ADMIN and item.kind == "handoff_card":
            self._hold_and_tell_admins(item, code)
            return
        status = getattr(error.response, "status_code", 200)
        log.warning("outbox %s (%s) failed: %s", item.id, item.kind, code or status)
        self._retry(item, code or f"http {status}")

    def _hold_and_tell_admins(self, item: OutboxItem, code: str) -> None:
        workspace_id = str(item.payload.get("workspace_id", ""))
        reason = {
            "no_handoff_channel": "no handoff channel is set",
            "not_in_channel": "I am not a member of the handoff channel",
            "channel_not_found": "the handoff channel no longer exists",
            "is_archived": "the handoff channel is archived",
        }.get(code, code)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.hold(item.id, worker=self.name, error=code)
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


class NotReady(Exception):
    """Something this message depends on has not been posted yet."""


class NeedsAdmin(Exception):
    """Retrying cannot help until an admin fixes something (e.g. sets the handoff channel)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _retry_after(headers: Any) -> float | None:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _card_context(
    conversation: Any, *, acted_by: str | None = None, acted_at: datetime | None = None
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

"""The outbox drainer: posts what turns and the desk wrote, through a platform's `Sender`.

Each row is posted once: every post carries the row's id, and a row whose earlier attempt may
have posted (a crash, a timeout, a 5xx) is looked for in the channel before it is posted again.
Rows of one destination post in order; a rate-limited channel rests (its not-before time is
shared by every process) while the others flow; a card that cannot be posted until an admin
fixes something is held and the admins are told once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.workers.loop import LEASE, Worker, worker_name
from db.repositories import ConversationRecord, HandoffRecord, OutboxItem, backoff_delay
from db.uow import SqlUnitOfWork
from escalation.claimed import claim_notice

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
    oncall_group: str | None = None  # the on-call user group a new card mentions


class SendFailed(Exception):
    """A post the platform refused or could not take.

    `retry_after`: the platform asked to wait that long (a rate limit). `needs_admin`: retrying
    cannot help until an admin changes something; `reason` then says what, for the admins.
    `paced`: refused before it was sent, this process's budget for it being spent: "channel"
    (the channel's posts) or "workspace" (the workspace's calls of that method).
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        needs_admin: bool = False,
        permanent: bool = False,
        unknown_outcome: bool = False,
        uninstalled: bool = False,
        paced: str | None = None,
        token_refused: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.paced = paced
        self.uninstalled = uninstalled  # the app is gone from the workspace: nobody to tell
        self.token_refused = token_refused  # the token was refused: nothing was posted
        self.retry_after = retry_after
        self.needs_admin = needs_admin
        self.permanent = permanent  # retrying this very post cannot succeed
        self.unknown_outcome = unknown_outcome  # the platform may have posted it (a 5xx)


class Sender(Protocol):
    """What the drainer needs from a chat platform; failures raise `SendFailed`.

    A post carries `outbox_id` with it (Slack: message metadata) so `find_posted` can tell
    whether an attempt whose answer was lost did post.
    """

    def post_message(
        self,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        outbox_id: int | None = None,
        mention: dict[str, str] | None = None,
    ) -> Posted:
        """`text` is shown literally; `mention` ({"group": id} or {"user": id}), the bot's
        own, is the one reference that comes through, before the text."""
        ...

    def post_card(
        self,
        *,
        channel: str,
        record: HandoffRecord,
        context: CardContext,
        outbox_id: int | None = None,
    ) -> Posted: ...

    def find_posted(
        self, *, channel: str, thread_ts: str | None, outbox_id: int, since: datetime
    ) -> Posted | None:
        """The message posted for `outbox_id` since `since`, if there is one."""
        ...

    def update_card(
        self, *, channel: str, ts: str, record: HandoffRecord, context: CardContext
    ) -> None: ...

    def workspace_admins(self, workspace_id: str) -> tuple[str, ...]:
        """The admins and owners (people, not bots) of `workspace_id`, and of no other."""
        ...

    def display_name(self, user_id: str) -> str | None:
        """The name the team sees for `user_id`, or None when there is none or it cannot be
        had now (any failure: a post naming nobody beats a post held for a name). Never the
        id itself, and it never raises."""
        ...


class NotReady(Exception):
    """Something this message depends on has not been posted yet."""


class Resting(Exception):
    """Slack asked us to wait until `until` (a rate limit): try then, without an attempt."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"rate limited until {until.isoformat()}")
        self.until = until


class LeaseLost(Exception):
    """Another worker took the row (this one was too slow): it must not post it too."""


# A post whose answer was lost may still land a little later (Slack had not finished writing
# it): the look for it waits this long after the attempt, well past the posting timeout.
LOOK_AFTER = timedelta(seconds=30)


NO_HANDOFF_CHANNEL = "no handoff channel is set"
ADMIN_KINDS = frozenset({"admin_notice", "admin_dm"})
# A post still failing after this many tries (about 40 minutes of backoff) is kept, held, and
# the admins are told, instead of being retried forever.
MAX_POST_ATTEMPTS = 12


class OutboxDrainer(Worker):
    """Posts outbox rows through the sender, with backoff; a rate limit's wait is honoured."""

    sender: Sender  # the row in hand's

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sender: Sender | None = None,
        clock: Callable[[], datetime],
        interval: float = 1.0,
        batch: int = 1,
        senders: Senders | None = None,
    ) -> None:
        """`sender` posts every row; `senders` instead gives each row's workspace its own (its
        token), raising SendFailed when the workspace has none."""
        super().__init__(name=worker_name("outbox"), interval=interval)
        self.sessions = sessions
        if senders is None:
            if sender is None:
                raise TypeError("OutboxDrainer needs a sender or senders")
            senders = _same(sender)
        self.senders = senders
        if sender is not None:
            self.sender = sender  # else the row in hand's, set as each is taken
        self.clock = clock
        self.batch = batch
        self._resting: dict[str, datetime] = {}
        self._posted_at = clock()

    def work_once(self) -> int:
        if self.stopping:
            return 0
        with SqlUnitOfWork(self.sessions) as uow:
            now = self.clock()
            items = uow.outbox.claim_due(worker=self.name, now=now, lease=LEASE, limit=self.batch)
            self._resting = uow.pacing.resting(now=now) if items else {}
            uow.commit()
        for item in items:
            if self.stopping:  # a deploy: give the rest back untried, for the next process
                self._defer(item, until=self.clock())
            else:
                self._post(item)
        return len(items)

    def _post(self, item: OutboxItem) -> None:
        self._posted_at = self.clock()  # moved on to the very moment of posting, in _deliver
        try:
            result = self._send_with_the_workspaces_token(item)
        except Resting as resting:
            self._defer(item, until=resting.until)
            return
        except LeaseLost:
            log.warning("outbox %s (%s): taken by another worker; not posted", item.id, item.kind)
            return
        except NotReady as waiting:
            self._retry(item, str(waiting), retry_after=2.0)
            return
        except SendFailed as failure:
            if failure.paced is not None and failure.retry_after is not None:
                self._paced(item, failure.paced, seconds=failure.retry_after)
                return
            self._failed(item, failure, attempted_at=self._posted_at)
            return
        except Exception as error:  # network trouble, a timeout: it may have been posted
            log.warning("outbox %s (%s): %r", item.id, item.kind, error)
            self._retry(item, repr(error), uncertain_since=self._posted_at)
            return
        if result is None:
            return  # finished in its own transaction
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.mark_sent(item.id, worker=self.name, now=self.clock(), result=result)
            uow.commit()

    def _send_with_the_workspaces_token(self, item: OutboxItem) -> Posted | None:
        """Once more when Slack refused the token and the workspace now has another (it was
        installed again meanwhile, seen by another process first): nothing was posted."""
        self.sender = self.senders(item.workspace_id)
        try:
            return self._send(item)
        except SendFailed as failure:
            if not (
                failure.token_refused and self.senders.token_refused(item.workspace_id, self.sender)
            ):
                raise
        log.info("outbox %s (%s): the workspace's token changed; again", item.id, item.kind)
        self.sender = self.senders(item.workspace_id)
        return self._send(item)

    def _send(self, item: OutboxItem) -> Posted | None:
        payload = item.payload
        if item.kind in ("reply", "relay_to_customer", "admin_dm"):
            channel, thread_ts = str(payload["channel"]), payload.get("thread_ts")
            return self._deliver(
                item,
                channel=channel,
                thread_ts=thread_ts,
                post=lambda: self.sender.post_message(
                    channel=channel, text=payload["text"], thread_ts=thread_ts, outbox_id=item.id
                ),
            )
        if item.kind == "claim_notice":
            return self._claim_notice(item)
        if item.kind == "handoff_card":
            return self._post_card(item, payload.get("workspace_id", ""))
        if item.kind == "card_update":
            return self._update_card(item)
        if item.kind in ("relay_to_agents", "card_thread"):
            return self._relay_to_agents(item)
        if item.kind == "admin_notice":
            self._notify_admins(item)
            return None
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    def _deliver(
        self,
        item: OutboxItem,
        *,
        channel: str,
        thread_ts: str | None,
        post: Callable[[], Posted],
    ) -> Posted:
        """Post once: not into a resting channel, and not again if an earlier attempt did."""
        until = self._resting.get(channel)
        if until is not None and until > self.clock():
            raise Resting(until)
        if item.uncertain_since is not None:
            found = self._find_posted(item, item.uncertain_since, channel, thread_ts)
            if found is not None:
                log.info("outbox %s (%s) was posted before: not again", item.id, item.kind)
                return found
        self._keep_lease(item)  # the look (or earlier work) may have outlasted it
        self._posted_at = self.clock()
        try:
            return post()
        except SendFailed as failure:
            if failure.retry_after is not None and failure.paced != "workspace":
                self._rest(channel, seconds=failure.retry_after)
                raise Resting(self.clock() + timedelta(seconds=failure.retry_after)) from failure
            raise

    def _find_posted(
        self, item: OutboxItem, since: datetime, channel: str, thread_ts: str | None
    ) -> Posted | None:
        try:
            return self.sender.find_posted(
                channel=channel, thread_ts=thread_ts, outbox_id=item.id, since=since
            )
        except SendFailed as failure:
            if failure.retry_after is not None:  # the look itself is rate limited: wait
                raise Resting(self.clock() + timedelta(seconds=failure.retry_after)) from failure
            if failure.permanent or failure.needs_admin:
                # Unable to look (a scope missing): a possible second copy beats silence.
                log.warning("outbox %s: cannot look for an earlier post (%s)", item.id, failure)
                return None
            raise

    def _keep_lease(self, item: OutboxItem) -> None:
        with SqlUnitOfWork(self.sessions) as uow:
            held = uow.outbox.renew(item.id, worker=self.name, now=self.clock(), lease=LEASE)
            uow.commit()
        if not held:
            raise LeaseLost

    def _rest(self, channel: str, *, seconds: float) -> None:
        until = self.clock() + timedelta(seconds=seconds)
        self._resting[channel] = until
        with SqlUnitOfWork(self.sessions) as uow:
            uow.pacing.rest(channel, until=until)
            uow.commit()

    def _paced(self, item: OutboxItem, scope: str, *, seconds: float) -> None:
        """Refused before it left (the budget is spent): back untried, no attempt counted. A
        workspace's spent budget puts off all its due rows at once, so the drainers go on with
        other workspaces' rows instead of taking this one's again and again."""
        until = self.clock() + timedelta(seconds=seconds)
        with SqlUnitOfWork(self.sessions) as uow:
            if scope == "workspace":
                uow.outbox.defer_workspace(item.workspace_id, until=until)
            uow.outbox.defer(item.id, worker=self.name, until=until)
            uow.commit()

    def _claim_notice(self, item: OutboxItem) -> Posted:
        """The customer is told a person has their case; the agent's name (when the workspace
        shows names, read as it is posted) is looked up as it is posted, so the claim's click
        stays quick. A handoff no longer claimed by that agent (returned, resolved) is told
        nothing: the row is finished without a post, and the lane moves on."""
        payload = item.payload
        channel, thread_ts = str(payload["channel"]), payload.get("thread_ts")
        claimant = payload.get("claimed_by", payload.get("agent_id"))  # older rows: agent_id

        def post() -> Posted:
            with SqlUnitOfWork(self.sessions, read_only=True) as uow:
                record = None if item.handoff_id is None else uow.handoffs.get(item.handoff_id)
                named = uow.desk.config(str(payload.get("workspace_id", ""))).agent_names
            if record is not None and (
                record.status != "claimed" or (claimant and record.claimed_by != claimant)
            ):
                log.info("outbox %s: handoff %s is %s; not told", item.id, record.id, record.status)
                return {"skipped": f"the handoff is {record.status}, not claimed by {claimant}"}
            name = self.sender.display_name(str(claimant)) if claimant and named else None
            return self.sender.post_message(
                channel=channel, text=claim_notice(name), thread_ts=thread_ts, outbox_id=item.id
            )

        return self._deliver(item, channel=channel, thread_ts=thread_ts, post=post)

    def _post_card(self, item: OutboxItem, workspace_id: str) -> Posted:
        handoff_id = int(item.payload["handoff_id"])
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            record = uow.handoffs.get(handoff_id)
            conversation = uow.conversations.get(record.conversation_id)
            settings = uow.workspaces.get(workspace_id or conversation.key.workspace_id)
            oncall = uow.desk.config(settings.workspace_id).oncall
        if record.card_ts:
            return {"channel": record.card_channel, "ts": record.card_ts}  # posted before
        if not settings.handoff_channel:
            raise SendFailed(NO_HANDOFF_CHANNEL, needs_admin=True)
        channel = settings.handoff_channel
        posted = self._deliver(
            item,
            channel=channel,
            thread_ts=None,
            post=lambda: self.sender.post_card(
                channel=channel,
                record=record,
                context=replace(
                    card_context(conversation),
                    oncall_group=None if oncall is None or oncall.round_robin else oncall.group_id,
                ),
                outbox_id=item.id,
            ),
        )
        with SqlUnitOfWork(self.sessions) as uow:
            uow.handoffs.set_card(handoff_id, channel=str(posted["channel"]), ts=str(posted["ts"]))
            uow.commit()
        return posted

    def _update_card(self, item: OutboxItem) -> Posted:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
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
        # An edit is idempotent: repeating it after a lost answer changes nothing.
        self.sender.update_card(
            channel=record.card_channel, ts=record.card_ts, record=record, context=context
        )
        return {"channel": record.card_channel, "ts": record.card_ts}

    def _relay_to_agents(self, item: OutboxItem) -> Posted:
        handoff_id = item.payload.get("handoff_id")
        if handoff_id is None:
            return {"skipped": "no handoff"}
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            record = uow.handoffs.get(int(handoff_id))
        channel, card_ts = record.card_channel, record.card_ts
        if not card_ts or not channel:
            raise NotReady("the card is not posted yet")

        def post() -> Posted:
            if item.kind == "card_thread" and item.payload.get("asks_to_claim"):
                # an offer or a reminder asks someone to press Claim: read as it is posted
                # (it may have waited on a rate limit), it is told nobody once claimed or closed
                with SqlUnitOfWork(self.sessions, read_only=True) as uow:
                    status = uow.handoffs.get(int(handoff_id)).status
                if status != "open":
                    log.info("outbox %s: handoff %s is %s; not asked", item.id, handoff_id, status)
                    return {"skipped": f"the handoff is {status}"}
            return self.sender.post_message(
                channel=channel,
                text=item.payload["text"]
                if item.kind == "card_thread"  # the bot's own words (a reminder)
                else f"Customer: {item.payload['text']}",
                thread_ts=card_ts,
                outbox_id=item.id,
                mention=item.payload.get("mention") if item.kind == "card_thread" else None,
            )

        return self._deliver(item, channel=channel, thread_ts=card_ts, post=post)

    def _notify_admins(self, item: OutboxItem) -> None:
        """One row per admin, so a failure reaching one never repeats the notice to another."""
        workspace_id, text = str(item.payload["workspace_id"]), str(item.payload["text"])
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            admins = uow.workspaces.get(workspace_id).admin_user_ids
        if not admins:  # nobody configured yet (a fresh install): the workspace's own admins
            admins = self.sender.workspace_admins(workspace_id)
        if not admins:
            raise NotReady("no admin to tell yet")
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            told = {"told": list(admins)}
            if not uow.outbox.mark_sent(item.id, worker=self.name, now=now, result=told):
                raise LeaseLost  # another worker took it (this one stalled): it tells them
            for admin in admins:
                uow.outbox.enqueue(
                    "admin_dm",
                    {"workspace_id": workspace_id, "channel": admin, "text": text},
                    now=now,
                    workspace_id=workspace_id,
                )
            uow.commit()

    def _failed(self, item: OutboxItem, failure: SendFailed, *, attempted_at: datetime) -> None:
        if failure.uninstalled:  # its workspace removed the app: kept, and nobody to tell
            log.warning("outbox %s (%s) not posted: %s", item.id, item.kind, failure.reason)
            with SqlUnitOfWork(self.sessions) as uow:
                uow.outbox.hold(item.id, worker=self.name, error=failure.reason)
                uow.commit()
            return
        if failure.needs_admin and item.kind == "handoff_card":
            self._hold_and_tell_admins(item, failure.reason)
            return
        log.warning("outbox %s (%s) failed: %s", item.id, item.kind, failure.reason)
        if failure.permanent or failure.needs_admin:
            self._give_up(item, failure.reason)
            return
        self._retry(
            item,
            failure.reason,
            retry_after=failure.retry_after,
            uncertain_since=attempted_at if failure.unknown_outcome else None,
        )

    def _give_up(self, item: OutboxItem, reason: str) -> None:
        """Keep the row (held, with why) and tell the admins once; never a retry loop."""
        log.error("outbox %s (%s) given up: %s", item.id, item.kind, reason)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.hold(item.id, worker=self.name, error=f"gave up: {reason}")
            if item.kind not in ADMIN_KINDS:  # telling admins that admins cannot be told: no
                # the row's own workspace's admins (a reply or relay names it only through
                # its conversation or handoff), never another's
                workspace_id = str(
                    item.payload.get("workspace_id") or uow.outbox.workspace_of(item.id) or ""
                )
                uow.outbox.enqueue(
                    "admin_notice",
                    {
                        "workspace_id": workspace_id,
                        "text": f"A message to Slack ({item.kind.replace('_', ' ')}) could not be "
                        f"posted and was given up after {item.attempts} tries: {reason}. It is "
                        "kept in the outbox.",
                    },
                    now=self.clock(),
                    workspace_id=workspace_id or None,
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
                workspace_id=workspace_id or None,
            )
            uow.commit()

    def _retry(
        self,
        item: OutboxItem,
        error: str,
        *,
        retry_after: float | None = None,
        uncertain_since: datetime | None = None,
    ) -> None:
        if item.attempts >= MAX_POST_ATTEMPTS:
            self._give_up(item, error)
            return
        if uncertain_since is not None:  # give a post still landing time to land before looking
            wait = retry_after or backoff_delay(item.attempts).total_seconds()
            retry_after = max(wait, LOOK_AFTER.total_seconds())
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.retry_later(
                item.id,
                worker=self.name,
                now=self.clock(),
                error=error,
                attempts=item.attempts,
                retry_after=retry_after,
                uncertain_since=uncertain_since,
            )
            uow.commit()

    def _defer(self, item: OutboxItem, *, until: datetime) -> None:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.outbox.defer(item.id, worker=self.name, until=until)
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


class Senders(Protocol):
    """A sender for each row's workspace (its token)."""

    def __call__(self, workspace_id: str | None) -> Sender: ...

    def token_refused(self, workspace_id: str | None, sender: Sender) -> bool:
        """The platform refused `sender`'s token: whether the workspace's token is now another
        (or none), so the row is worth trying once more at once."""
        ...


class _Same:
    """One sender for every workspace (one token serves them all)."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def __call__(self, workspace_id: str | None) -> Sender:
        return self.sender

    def token_refused(self, workspace_id: str | None, sender: Sender) -> bool:
        return False


def _same(sender: Sender) -> Senders:
    return _Same(sender)

"""Repositories over one SQLAlchemy session, mapping rows to the core's frozen values.

Every method takes `now` from the caller (no clock in here). Commits belong to the unit of work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from db import codec
from db.models import (
    ChannelPacing,
    Conversation,
    ConversationStateRow,
    DecisionRow,
    HandoffRow,
    InboxEvent,
    Message,
    OutboxMessage,
    Workspace,
)
from escalation.engine import Decision
from escalation.handoff import Handoff, Speaker, Utterance
from escalation.state import ConversationState
from escalation.vocabulary import ConversationStatus


class UnknownConversation(LookupError):
    """No conversation has this id."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"no conversation with id {conversation_id}")
        self.conversation_id = conversation_id


class UnknownHandoff(LookupError):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"no handoff with id {handoff_id}")
        self.handoff_id = handoff_id


class StaleState(RuntimeError):
    """Another writer saved this conversation's state since it was loaded."""


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text as stored: whole, any length, except what no UTF-8 database can hold (NUL, a lone
    surrogate from a JSON escape such as "\\ud800") becomes U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable_document(value: Any) -> Any:
    """A JSON document with `storable_text` applied to every string in it, keys included."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): storable_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_document(v) for v in value]
    return value


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Where a conversation lives: one customer, in one DM, channel or thread."""

    platform: str
    workspace_id: str
    channel_id: str
    customer_user_id: str
    thread_key: str = ""


@dataclass(frozen=True, slots=True)
class TurnUsage:
    """What a turn cost in model requests and tokens (kept with its audit row)."""

    agent: str | None = None
    model_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: int
    key: ConversationKey
    status: ConversationStatus
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class LoadedState:
    """A conversation's state and the version it was read at (pass it back to save)."""

    state: ConversationState
    version: int


# A conversation by its key; built once (building costs more than running it).
_FIND_CONVERSATION = select(Conversation).where(
    *(
        getattr(Conversation, name) == bindparam(name)
        for name in ("platform", "workspace_id", "channel_id", "thread_key", "customer_user_id")
    )
)


class SqlConversationStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        # The session's identity map holds rows weakly: a row no one refers to is dropped and
        # read again on the next use. Held here for the unit of work, a turn reads it once.
        self._held: dict[int, Conversation] = {}

    def get_or_create(self, key: ConversationKey, *, now: datetime) -> ConversationRecord:
        row = self._find(key)
        if row is None:
            self.session.execute(
                _insert_ignoring_duplicates(self.session, Conversation).values(
                    platform=key.platform,
                    workspace_id=key.workspace_id,
                    channel_id=key.channel_id,
                    thread_key=key.thread_key,
                    customer_user_id=key.customer_user_id,
                    status="bot",
                    created_at=now,
                    updated_at=now,
                )
            )
            row = self._find(key)
            assert row is not None
            if self.session.get(ConversationStateRow, row.id) is None:
                self.session.add(ConversationStateRow(conversation_id=row.id))
                self.session.flush()
        return _record(row)

    def get(self, conversation_id: int) -> ConversationRecord:
        return _record(self._row(conversation_id))

    def exists(self, key: ConversationKey) -> bool:
        return self._find(key) is not None

    def lock(self, conversation_id: int) -> ConversationRecord:
        """Take the conversation's row lock until the transaction ends (turns run one at a time)."""
        row = self.session.scalars(
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            raise UnknownConversation(conversation_id)
        self._held[row.id] = row
        return _record(row)

    def load_state(self, conversation_id: int) -> LoadedState:
        conversation = self._row(conversation_id)
        row = self.session.get(ConversationStateRow, conversation_id, populate_existing=True)
        if row is None:
            raise UnknownConversation(conversation_id)
        state = ConversationState(
            status=cast(ConversationStatus, conversation.status),
            turn=row.turn,
            customer_id=conversation.customer_id,
            customer_name=row.customer_name,
            identifiers=codec.identifiers_from_doc(row.identifiers),
            signals=codec.signals_from_doc(row.signals),
            resolution_offered=row.resolution_offered,
            last_offer_turn=row.last_offer_turn,
            person_offered_turn=row.person_offered_turn,
            ledger=codec.ledger_from_doc(row.ledger),
            policy_checks=codec.checks_from_doc(row.policy_checks),
            pending_disambiguation=codec.kinds_from_doc(row.pending_disambiguation),
            asked_for=codec.kinds_from_doc(row.asked_for),
        )
        return LoadedState(state=state, version=row.version)

    def save_state(
        self, conversation_id: int, state: ConversationState, *, version: int, now: datetime
    ) -> int:
        """Store `state` if nobody saved since `version` was read; returns the new version."""
        conversation = self._row(conversation_id)
        saved = self.session.execute(
            update(ConversationStateRow)
            .where(
                ConversationStateRow.conversation_id == conversation_id,
                ConversationStateRow.version == version,
            )
            .values(
                turn=state.turn,
                identifiers=storable_document(codec.identifiers_to_doc(state.identifiers)),
                signals=storable_document(codec.signals_to_doc(state.signals)),
                resolution_offered=state.resolution_offered,
                last_offer_turn=state.last_offer_turn,
                person_offered_turn=state.person_offered_turn,
                customer_name=storable_text(state.customer_name)[:255],
                ledger=storable_document(codec.attempts_to_doc(state.ledger.attempts)),
                policy_checks=storable_document(codec.checks_to_doc(state.policy_checks)),
                pending_disambiguation=list(state.pending_disambiguation),
                asked_for=list(state.asked_for),
                version=version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if saved.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleState(f"conversation {conversation_id} changed since version {version}")
        conversation.status = state.status
        conversation.customer_id = state.customer_id
        conversation.updated_at = now
        self.session.flush()
        return version + 1

    def add_message(
        self,
        conversation_id: int,
        *,
        speaker: Speaker,
        text: str,
        now: datetime,
        slack_ts: str | None = None,
        author_id: str | None = None,
    ) -> None:
        """Written with the unit of work's next flush: a turn's messages in one statement."""
        self._row(conversation_id)
        self.session.add(
            Message(
                conversation_id=conversation_id,
                speaker=speaker,
                text=storable_text(text),
                slack_ts=slack_ts,
                author_id=author_id,
                created_at=now,
            )
        )

    def history(self, conversation_id: int, *, limit: int = 50) -> tuple[Utterance, ...]:
        """The latest `limit` messages, oldest first."""
        self._row(conversation_id)
        rows = self.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        return tuple(Utterance(cast(Speaker, m.speaker), m.text) for m in reversed(rows))

    def record_decision(
        self,
        conversation_id: int,
        *,
        turn: int,
        decision: Decision,
        now: datetime,
        usage: TurnUsage | None = None,
    ) -> int:
        self._row(conversation_id)
        proposal = decision.proposal
        row = DecisionRow(
            conversation_id=conversation_id,
            turn=turn,
            action=decision.action,
            trigger=decision.trigger,
            reason=storable_text(decision.reason),
            reply=storable_text(decision.reply),
            ask_for=list(decision.ask_for),
            investigation_steps=decision.investigation_steps,
            overridden=decision.overridden,
            proposal=None
            if proposal is None
            else storable_document(
                {
                    "action": proposal.action,
                    "trigger": proposal.trigger,
                    "reason": proposal.reason,
                    "reply": proposal.reply,
                    "ask_for": list(proposal.ask_for),
                    "recommended_action": proposal.recommended_action,
                }
            ),
            created_at=now,
        )
        if usage is not None:
            row.agent = usage.agent
            row.model_requests = usage.model_requests
            row.input_tokens = usage.input_tokens
            row.output_tokens = usage.output_tokens
            row.cache_read_tokens = usage.cache_read_tokens
            row.cache_write_tokens = usage.cache_write_tokens
        self.session.add(row)
        self.session.flush()
        return row.id

    def decisions(self, conversation_id: int) -> list[DecisionRow]:
        return list(
            self.session.scalars(
                select(DecisionRow)
                .where(DecisionRow.conversation_id == conversation_id)
                .order_by(DecisionRow.turn)
            )
        )

    def _find(self, key: ConversationKey) -> Conversation | None:
        row = self.session.scalars(
            _FIND_CONVERSATION,
            {
                "platform": key.platform,
                "workspace_id": key.workspace_id,
                "channel_id": key.channel_id,
                "thread_key": key.thread_key,
                "customer_user_id": key.customer_user_id,
            },
        ).one_or_none()
        if row is not None:
            self._held[row.id] = row
        return row

    def _row(self, conversation_id: int) -> Conversation:
        row = self._held.get(conversation_id) or self.session.get(Conversation, conversation_id)
        if row is None:
            raise UnknownConversation(conversation_id)
        self._held[conversation_id] = row
        return row


def _record(row: Conversation) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        key=ConversationKey(
            platform=row.platform,
            workspace_id=row.workspace_id,
            channel_id=row.channel_id,
            thread_key=row.thread_key,
            customer_user_id=row.customer_user_id,
        ),
        status=cast(ConversationStatus, row.status),
        customer_id=row.customer_id,
    )


# --- handoffs ----------------------------------------------------------------------------

HandoffStatus = Literal["open", "claimed", "resolved", "returned"]


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    id: int
    conversation_id: int
    handoff: Handoff
    status: HandoffStatus
    claimed_by: str | None
    claimed_at: datetime | None
    card_channel: str | None
    card_ts: str | None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """Who holds the handoff after a claim; `won` only for the one claim that took it."""

    won: bool
    holder: str | None
    status: HandoffStatus


class SqlHandoffStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(
        self, conversation_id: int, handoff: Handoff, *, now: datetime, decision_id: int | None
    ) -> int:
        row = HandoffRow(
            conversation_id=conversation_id,
            decision_id=decision_id,
            customer_id=handoff.customer_id,
            customer_name=storable_text(handoff.customer_name)[:255],
            identifiers_typed=codec.identifiers_to_doc(handoff.identifiers_typed),
            trigger=handoff.trigger,
            root_cause=storable_text(handoff.root_cause),
            recommended_action=storable_text(handoff.recommended_action),
            attempts=storable_document(codec.attempts_to_doc(handoff.attempts)),
            policy_cited=handoff.policy_cited,
            summary=storable_text(handoff.summary),
            status="open",
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, handoff_id: int) -> HandoffRecord:
        row = self.session.get(HandoffRow, handoff_id, populate_existing=True)
        if row is None:
            raise UnknownHandoff(handoff_id)
        return HandoffRecord(
            id=row.id,
            conversation_id=row.conversation_id,
            handoff=Handoff(
                customer_id=row.customer_id,
                trigger=cast(Any, row.trigger),
                root_cause=row.root_cause,
                recommended_action=row.recommended_action,
                attempts=codec.attempts_from_doc(row.attempts),
                policy_cited=row.policy_cited,
                summary=row.summary,
                identifiers_typed=codec.identifiers_from_doc(row.identifiers_typed),
                customer_name=row.customer_name,
            ),
            status=cast(HandoffStatus, row.status),
            claimed_by=row.claimed_by,
            claimed_at=as_utc(row.claimed_at) if row.claimed_at else None,
            card_channel=row.card_channel,
            card_ts=row.card_ts,
        )

    def latest_for(self, conversation_id: int) -> HandoffRecord | None:
        handoff_id = self.session.scalar(
            select(func.max(HandoffRow.id)).where(HandoffRow.conversation_id == conversation_id)
        )
        return None if handoff_id is None else self.get(handoff_id)

    def by_card(self, *, workspace_id: str, channel: str, ts: str) -> HandoffRecord | None:
        """The handoff of `workspace_id` whose card is the message `ts` in `channel` (a channel
        shared between two workspaces can hold both's threads: another's card is not ours)."""
        handoff_id = self.session.scalar(
            select(HandoffRow.id)
            .join(Conversation, Conversation.id == HandoffRow.conversation_id)
            .where(
                HandoffRow.card_channel == channel,
                HandoffRow.card_ts == ts,
                Conversation.workspace_id == workspace_id,
            )
        )
        return None if handoff_id is None else self.get(handoff_id)

    def claim(self, handoff_id: int, *, agent_id: str, now: datetime) -> ClaimResult:
        """Compare-and-set: only an open handoff can be claimed; the loser learns who has it."""
        taken = self.session.execute(
            update(HandoffRow)
            .where(HandoffRow.id == handoff_id, HandoffRow.status == "open")
            .values(status="claimed", claimed_by=agent_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        record = self.get(handoff_id)
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            self._set_conversation_status(record.conversation_id, "claimed", now=now)
        return ClaimResult(
            won=taken.rowcount == 1,  # type: ignore[attr-defined]
            holder=record.claimed_by,
            status=record.status,
        )

    def resolve(self, handoff_id: int, *, now: datetime, holder: str | None = None) -> bool:
        """Close an open or claimed handoff; with `holder`, only if nobody else has claimed it
        (checked in the same statement, so a claim in between is not overridden)."""
        return self._finish(
            handoff_id, "resolved", conversation_status="resolved", now=now, holder=holder
        )

    def return_to_bot(self, handoff_id: int, *, now: datetime, holder: str | None = None) -> bool:
        return self._finish(
            handoff_id, "returned", conversation_status="bot", now=now, holder=holder
        )

    def set_card(self, handoff_id: int, *, channel: str, ts: str) -> None:
        self.session.execute(
            update(HandoffRow)
            .where(HandoffRow.id == handoff_id)
            .values(card_channel=channel, card_ts=ts)
            .execution_options(synchronize_session=False)
        )

    def _finish(
        self,
        handoff_id: int,
        status: HandoffStatus,
        *,
        conversation_status: ConversationStatus,
        now: datetime,
        holder: str | None = None,
    ) -> bool:
        live: ColumnElement[bool] = HandoffRow.status.in_(("open", "claimed"))
        if holder is not None:
            live = and_(live, or_(HandoffRow.claimed_by.is_(None), HandoffRow.claimed_by == holder))
        done = self.session.execute(
            update(HandoffRow)
            .where(HandoffRow.id == handoff_id, live)
            .values(status=status, resolved_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            self.get(handoff_id)  # raises UnknownHandoff for a bad id
            return False
        self._set_conversation_status(
            self.get(handoff_id).conversation_id, conversation_status, now=now
        )
        return True

    def _set_conversation_status(
        self, conversation_id: int, status: ConversationStatus, *, now: datetime
    ) -> None:
        self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status=status, updated_at=now)
            # a conversation row loaded in this unit of work shows the new status too
            .execution_options(synchronize_session="evaluate")
        )


# --- inbox and outbox ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    event_id: str
    payload: dict[str, Any]
    attempts: int
    workspace_id: str = ""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    conversation_id: int | None
    handoff_id: int | None
    uncertain_since: datetime | None = None  # an attempt then may have posted it
    workspace_id: str | None = None  # whose token posts it

    @property
    def uncertain(self) -> bool:
        return self.uncertain_since is not None


# Kinds posted to the channel their payload names ("channel", "thread_ts"), and kinds posted
# on or in the thread of a handoff's card.
TO_CHANNEL_KINDS = frozenset({"reply", "relay_to_customer", "claim_notice", "admin_dm"})
ON_CARD_KINDS = frozenset({"handoff_card", "card_update", "relay_to_agents", "card_thread"})
CARD_LANE = "card:"


def outbox_lane(kind: str, payload: dict[str, Any], handoff_id: int | None) -> str | None:
    """Rows of one lane (one destination) are posted one at a time, in the order written."""
    if kind in TO_CHANNEL_KINDS:
        return f"to:{payload.get('channel')}:{payload.get('thread_ts') or ''}"[:255]
    if kind in ON_CARD_KINDS and handoff_id is not None:
        return f"{CARD_LANE}{handoff_id}"
    return None


# PostgreSQL notification channels: an event stored, a post written, a workspace's settings
# saved (the workspace id as payload); sent at commit.
INBOX_NOTICE = "escalation_inbox"
OUTBOX_NOTICE = "escalation_outbox"
SETTINGS_NOTICE = "escalation_settings"


def _notify(session: Session, channel: str, payload: str = "") -> None:
    """Tell listening worker processes once this transaction commits (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(channel, payload)))


def _insert_ignoring_duplicates(session: Session, table: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return insert(table)  # pragma: no cover - only SQLite and PostgreSQL are supported


@dataclass(frozen=True, slots=True)
class NewInboxEvent:
    """An event as it arrives, to be stored before the platform gets its ack.

    `event_ts`: the platform's time of the message (Slack's ts); a conversation's events are
    taken in that order, not in the order they arrived.
    """

    event_id: str
    payload: dict[str, Any]
    workspace_id: str | None = None
    conversation_key: str | None = None
    event_ts: str | None = None


# PostgreSQL, one statement for a batch of events: take the advisory lock of each conversation
# in the batch (in one order, so two writers cannot deadlock) before any row is inserted, so one
# conversation's events commit one at a time (id order is commit order); insert in arrival
# order, skipping events stored before (a retry); notify listening workers (sent at commit).
_STORE_EVENTS = text(
    """
    WITH locks AS (
        SELECT pg_advisory_xact_lock(h) FROM (
            SELECT DISTINCT hashtextextended(k, 0) AS h
            FROM unnest(CAST(:keys AS varchar[])) AS k
            WHERE k IS NOT NULL ORDER BY h
        ) AS ordered
    ), stored AS (
        INSERT INTO inbox (event_id, payload, workspace_id, conversation_key, event_ts,
                           status, attempts, received_at)
        SELECT e, CAST(p AS jsonb), w, k, t, 'pending', 0, :now
        FROM unnest(CAST(:event_ids AS varchar[]), CAST(:payloads AS text[]),
                    CAST(:workspaces AS varchar[]), CAST(:keys AS varchar[]),
                    CAST(:tss AS varchar[])) WITH ORDINALITY AS r(e, p, w, k, t, n)
        WHERE (SELECT count(*) FROM locks) >= 0
        ORDER BY n
        ON CONFLICT DO NOTHING
        RETURNING event_id
    )
    SELECT event_id, pg_notify(:channel, '') FROM stored
    """
)


def add_inbox_events(
    connection: Connection, events: Sequence[NewInboxEvent], *, now: datetime
) -> set[str]:
    """Store events in one go; returns the ids of those stored now (not stored before).

    On PostgreSQL one statement (on a connection in autocommit, one round trip and its own
    commit); on SQLite one insert per event in the connection's transaction.
    """
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            _STORE_EVENTS,
            {
                "event_ids": [e.event_id for e in events],
                "payloads": [json.dumps(storable_document(e.payload)) for e in events],
                "workspaces": [e.workspace_id for e in events],
                "keys": [e.conversation_key for e in events],
                "tss": [sortable_ts(e.event_ts) for e in events],
                "now": now,
                "channel": INBOX_NOTICE,
            },
        )
        return {row.event_id for row in rows}
    stored = set()
    for event in events:
        inserted = connection.execute(
            sqlite.insert(InboxEvent)
            .values(
                event_id=event.event_id,
                payload=storable_document(event.payload),
                workspace_id=event.workspace_id,
                conversation_key=event.conversation_key,
                event_ts=sortable_ts(event.event_ts),
                status="pending",
                attempts=0,
                received_at=now,
            )
            .on_conflict_do_nothing()
            .returning(InboxEvent.id)
        )
        if inserted.scalar_one_or_none() is not None:
            stored.add(event.event_id)
    return stored


def _claim_inbox_statement() -> Select[InboxEvent]:
    """Takeable events, oldest first (see `SqlInbox.claim`). Built once, run with the moment
    as parameters, so SQLAlchemy compiles it once (building it costs more than running it)."""
    now = bindparam("now", type_=InboxEvent.received_at.type)
    earlier = aliased(InboxEvent)
    takeable = or_(
        and_(
            InboxEvent.status == "pending",
            InboxEvent.received_at <= bindparam("settled_before", type_=now.type),
        ),
        and_(InboxEvent.status == "processing", InboxEvent.claimed_until < now),
    )
    # (ts, id) is a total order; an event stored without a ts sorts first
    earlier_ts, this_ts = (
        func.coalesce(earlier.event_ts, ""),
        func.coalesce(InboxEvent.event_ts, ""),
    )
    blocked_by_earlier = exists().where(
        earlier.conversation_key == InboxEvent.conversation_key,
        or_(earlier_ts < this_ts, and_(earlier_ts == this_ts, earlier.id < InboxEvent.id)),
        earlier.status.in_(("pending", "processing")),
    )
    # A message delivered late must not run beside a later one already under way: one
    # turn of a conversation at a time, whatever their order.
    other = aliased(InboxEvent)
    conversation_busy = exists().where(
        other.conversation_key == InboxEvent.conversation_key,
        other.id != InboxEvent.id,
        other.status == "processing",
        other.claimed_by.is_not(None),
        other.claimed_until >= now,
    )
    return (
        select(InboxEvent)
        .where(takeable, ~blocked_by_earlier, ~conversation_busy)
        .order_by(InboxEvent.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


_CLAIM_INBOX = _claim_inbox_statement()


class SqlInbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        event_id: str,
        payload: dict[str, Any],
        *,
        now: datetime,
        workspace_id: str | None = None,
        conversation_key: str | None = None,
        event_ts: str | None = None,
    ) -> bool:
        """Store an event in this unit of work; False when it was stored before (a retry)."""
        event = NewInboxEvent(event_id, payload, workspace_id, conversation_key, event_ts)
        return bool(add_inbox_events(self.session.connection(), [event], now=now))

    def claim(
        self,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int = 10,
        settle: timedelta = timedelta(0),
    ) -> list[InboxItem]:
        """Take up to `limit` events no other worker holds, oldest first.

        An event waits while an earlier event of its conversation (by the platform's ts, then
        arrival) is unfinished, so one conversation's turns run in the order written; and a new
        event waits `settle`, so one written just before it but delivered a moment later is
        not overtaken. An expired claim (a crashed worker) is taken again.
        """
        rows = self.session.scalars(
            _CLAIM_INBOX,
            {"now": now, "settled_before": now - settle, "limit": limit},
        ).all()
        items = []
        for row in rows:
            row.status = "processing"
            row.claimed_by = worker
            row.claimed_until = now + lease
            row.attempts += 1
            items.append(
                InboxItem(
                    row.id, row.event_id, dict(row.payload), row.attempts, row.workspace_id or ""
                )
            )
        self.session.flush()
        return items

    def complete(self, item_id: int, *, worker: str, now: datetime) -> bool:
        return self._finish(item_id, worker=worker, status="done", now=now, error=None)

    def goes_after_another(self, item_id: int) -> bool:
        """Whether an unfinished event of the item's conversation sorts before it (the order
        `claim` keeps): one stored after the item was taken, such as the bot's own turn after
        a person handed the conversation back. That one must run first."""
        this, earlier = aliased(InboxEvent), aliased(InboxEvent)
        earlier_ts, this_ts = (
            func.coalesce(earlier.event_ts, ""),
            func.coalesce(this.event_ts, ""),
        )
        first = exists().where(
            this.id == item_id,
            earlier.conversation_key == this.conversation_key,
            or_(earlier_ts < this_ts, and_(earlier_ts == this_ts, earlier.id < this.id)),
            earlier.status.in_(("pending", "processing")),
        )
        return bool(self.session.scalar(select(first)))

    def fail(self, item_id: int, *, worker: str, now: datetime, error: str) -> bool:
        """Give up on an event for good (it stays stored, with the error, for an admin)."""
        return self._finish(item_id, worker=worker, status="failed", now=now, error=error)

    def renew(self, item_id: int, *, worker: str, now: datetime, lease: timedelta) -> bool:
        """Extend the holder's lease (a heartbeat while its turn runs); False: no longer held."""
        renewed = self.session.execute(
            update(InboxEvent)
            .where(
                InboxEvent.id == item_id,
                InboxEvent.claimed_by == worker,
                InboxEvent.status == "processing",
            )
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, item_id: int, *, worker: str, error: str, retry_at: datetime) -> bool:
        """Give an event back for another try at `retry_at` (a failure while processing it).

        It stays `processing` with nobody holding it, so the conversation's later events keep
        waiting behind it and any worker takes it again once `retry_at` has passed.
        """
        released = self.session.execute(
            update(InboxEvent)
            .where(
                InboxEvent.id == item_id,
                InboxEvent.claimed_by == worker,
                InboxEvent.status == "processing",
            )
            .values(claimed_by=None, claimed_until=retry_at, last_error=error)
            .execution_options(synchronize_session=False)
        )
        return bool(released.rowcount == 1)  # type: ignore[attr-defined]

    def counts(self, workspace_id: str | None = None) -> dict[str, int]:
        """Events by status: of one workspace, or (None) of all."""
        query = select(InboxEvent.status, func.count()).group_by(InboxEvent.status)
        if workspace_id is not None:
            query = query.where(InboxEvent.workspace_id == workspace_id)
        rows = self.session.execute(query).all()
        return {str(status): int(count) for status, count in rows}

    def purge(self, *, before: datetime) -> int:
        """Delete events handled before `before` (retention); failed events are kept."""
        purged = self.session.execute(
            delete(InboxEvent)
            .where(InboxEvent.status == "done", InboxEvent.processed_at < before)
            .execution_options(synchronize_session=False)
        )
        return int(purged.rowcount)  # type: ignore[attr-defined]

    def _finish(
        self, item_id: int, *, worker: str, status: str, now: datetime, error: str | None
    ) -> bool:
        # Only the current holder may finish: a worker whose claim expired and was retaken
        # must not overwrite the new holder's work.
        finished = self.session.execute(
            update(InboxEvent)
            .where(
                InboxEvent.id == item_id,
                InboxEvent.claimed_by == worker,
                InboxEvent.status == "processing",
            )
            .values(status=status, processed_at=now, claimed_until=None, last_error=error)
            .execution_options(synchronize_session=False)
        )
        return bool(finished.rowcount == 1)  # type: ignore[attr-defined]


def sortable_ts(ts: str | None) -> str | None:
    """A platform timestamp ("1733390000.123456") as fixed-width text that sorts by time."""
    try:
        value = Decimal(str(ts))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value >= 10**12:
        return None
    return f"{value:020.6f}"


def backoff_delay(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Exponential backoff: 2 s, 4 s, 8 s ... capped at five minutes."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim_outbox_statement() -> Select[OutboxMessage]:
    """Due rows, oldest first, one per lane (see `SqlOutbox.claim_due`); built once."""
    now = bindparam("now", type_=OutboxMessage.next_attempt_at.type)
    earlier = aliased(OutboxMessage)
    takeable = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )
    blocked_by_earlier = exists().where(
        earlier.lane == OutboxMessage.lane,
        earlier.id < OutboxMessage.id,
        or_(
            earlier.status.in_(("pending", "sending")),
            and_(earlier.status == "held", earlier.kind == "handoff_card"),
        ),
    )
    return (
        select(OutboxMessage)
        .where(takeable, ~blocked_by_earlier)
        .order_by(OutboxMessage.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


_CLAIM_OUTBOX = _claim_outbox_statement()


def outbox_rows_of(workspace_id: str, *conditions: ColumnElement[bool]) -> Select[int]:
    """The ids of the outbox rows (meeting `conditions`) that belong to `workspace_id` (their
    `workspace_id` column); a row of no workspace belongs to none."""
    return select(OutboxMessage.id).where(*conditions, OutboxMessage.workspace_id == workspace_id)


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session
        # lanes whose lock the current transaction holds, and whether it notified already
        self._transaction: object = None
        self._locked_lanes: set[str] = set()
        self._notified = False

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        now: datetime,
        conversation_id: int | None = None,
        handoff_id: int | None = None,
        workspace_id: str | None = None,
    ) -> int:
        """Queue a post. `workspace_id`: the workspace it belongs to; a caller that omits it
        (or passes "") costs a derivation (`_workspace_of_new_row`)."""
        lane = outbox_lane(kind, payload, handoff_id)
        if not workspace_id:
            workspace_id = self._workspace_of_new_row(payload, conversation_id, handoff_id)
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:
            self._follow_transaction()
        if lane is not None and postgres and lane not in self._locked_lanes:
            # Writers of one lane commit one at a time, so a row's id order is its commit
            # order and the drainer never posts a later row while an earlier one is unseen.
            # Every writer takes card lanes before customer lanes, so two cannot deadlock.
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(lane, 1))))
            self._locked_lanes.add(lane)
        row = OutboxMessage(
            kind=kind,
            payload=storable_document(payload),
            conversation_id=conversation_id,
            handoff_id=handoff_id,
            workspace_id=workspace_id,
            lane=lane,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        if postgres and not self._notified:  # once per transaction: delivered at its commit
            _notify(self.session, OUTBOX_NOTICE)
            self._notified = True
        return row.id

    def _workspace_of_new_row(
        self, payload: dict[str, Any], conversation_id: int | None, handoff_id: int | None
    ) -> str | None:
        """The payload's `workspace_id` (an empty one is none), else the conversation's, else
        the handoff's conversation's (one query by primary keys); None when none says it.
        Revision 0013 filled the rows queued before it the same way."""
        named = payload.get("workspace_id")
        if named:
            return str(named)
        candidates: list[ColumnElement[Any]] = []
        if conversation_id is not None:
            candidates.append(
                select(Conversation.workspace_id)
                .where(Conversation.id == conversation_id)
                .scalar_subquery()
            )
        if handoff_id is not None:
            candidates.append(
                select(Conversation.workspace_id)
                .join(HandoffRow, HandoffRow.conversation_id == Conversation.id)
                .where(HandoffRow.id == handoff_id)
                .scalar_subquery()
            )
        if not candidates:
            return None
        found = self.session.scalar(
            select(candidates[0] if len(candidates) == 1 else func.coalesce(*candidates))
        )
        return None if found is None else str(found)

    def _follow_transaction(self) -> None:
        """A new transaction (after a commit or rollback) holds no lock and has not notified."""
        self.session.connection()  # begins one if none is under way
        transaction = self.session.get_transaction()
        if transaction is not self._transaction:
            self._transaction = transaction
            self._locked_lanes.clear()
            self._notified = False

    def claim_due(
        self, *, worker: str, now: datetime, lease: timedelta, limit: int = 10
    ) -> list[OutboxItem]:
        """Take due rows no other worker holds, oldest first, one per lane at a time.

        A row waits while an earlier row of its lane is unsent, so a destination's messages
        post in the order they were written. A held card holds its lane (what the customer
        says meanwhile is relayed once it is posted); other held rows do not (a reply or relay
        given up on must not silence the later ones). A row whose holder's lease ran out (a
        crash mid-post) is taken again as uncertain.
        """
        rows = self.session.scalars(_CLAIM_OUTBOX, {"now": now, "limit": limit}).all()
        items = []
        for row in rows:
            if row.status == "sending" and row.claimed_until is not None:
                # its holder died or hung mid-post: it may be posted, from the claim on
                row.uncertain_since = row.uncertain_since or as_utc(row.claimed_until) - lease
            row.status = "sending"
            row.claimed_by = worker
            row.claimed_until = now + lease
            row.attempts += 1
            items.append(
                OutboxItem(
                    row.id,
                    row.kind,
                    dict(row.payload),
                    row.attempts,
                    row.conversation_id,
                    row.handoff_id,
                    uncertain_since=as_utc(row.uncertain_since) if row.uncertain_since else None,
                    workspace_id=row.workspace_id,
                )
            )
        self.session.flush()
        return items

    def mark_sent(
        self, item_id: int, *, worker: str, now: datetime, result: dict[str, Any] | None = None
    ) -> bool:
        return self._update_held_by(
            item_id, worker, status="sent", sent_at=now, result=result, claimed_until=None
        )

    def retry_later(
        self,
        item_id: int,
        *,
        worker: str,
        now: datetime,
        error: str,
        attempts: int,
        retry_after: float | None = None,
        uncertain_since: datetime | None = None,
    ) -> bool:
        """Post again later: after the server's Retry-After if it gave one, else with backoff.

        `uncertain_since`: the attempt made then may have posted (a timeout, a 5xx); the next
        one looks first (the earliest such time is kept).
        """
        delay = timedelta(seconds=retry_after) if retry_after else backoff_delay(attempts)
        uncertain = (
            {"uncertain_since": func.coalesce(OutboxMessage.uncertain_since, uncertain_since)}
            if uncertain_since is not None
            else {}
        )
        return self._update_held_by(
            item_id,
            worker,
            status="pending",
            next_attempt_at=now + delay,
            last_error=error,
            claimed_by=None,
            claimed_until=None,
            **uncertain,
        )

    def renew(self, item_id: int, *, worker: str, now: datetime, lease: timedelta) -> bool:
        """Extend the holder's lease; False when the row is no longer this worker's."""
        return self._update_held_by(item_id, worker, claimed_until=now + lease)

    def defer(self, item_id: int, *, worker: str, until: datetime) -> bool:
        """Put a claimed row back untried until `until` (its channel is resting); no attempt."""
        return self._update_held_by(
            item_id,
            worker,
            status="pending",
            next_attempt_at=until,
            attempts=OutboxMessage.attempts - 1,
            claimed_by=None,
            claimed_until=None,
        )

    def defer_workspace(self, workspace_id: str | None, *, until: datetime) -> int:
        """Put off `workspace_id`'s pending rows due before `until` to `until` (its platform
        budget is spent); rows other workers hold now are skipped, not waited for."""
        of_workspace = (
            OutboxMessage.workspace_id.is_(None)
            if workspace_id is None
            else OutboxMessage.workspace_id == workspace_id
        )
        due = (
            select(OutboxMessage.id)
            .where(
                of_workspace,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at < until,
            )
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        deferred = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return int(deferred.rowcount)  # type: ignore[attr-defined]

    def hold(self, item_id: int, *, worker: str, error: str) -> bool:
        """Park a message that cannot post until someone fixes something (e.g. no channel)."""
        return self._update_held_by(
            item_id, worker, status="held", last_error=error, claimed_by=None, claimed_until=None
        )

    def release_held(
        self, *, now: datetime, kind: str | None = None, workspace_id: str | None = None
    ) -> int:
        """Put held messages back in line (after an admin fixed the cause); releasing a kind
        releases what waits in the same card lanes too. With `workspace_id`, only that
        workspace's rows (its `workspace_id`): one workspace's fix releases nobody else's."""
        conditions: list[ColumnElement[bool]] = [OutboxMessage.status == "held"]
        if workspace_id is not None:
            conditions.append(OutboxMessage.workspace_id == workspace_id)
        if kind is not None:
            released_lanes = select(OutboxMessage.lane).where(
                OutboxMessage.status == "held",
                OutboxMessage.kind == kind,
                OutboxMessage.lane.startswith(CARD_LANE),
            )
            if workspace_id is not None:
                released_lanes = released_lanes.where(OutboxMessage.workspace_id == workspace_id)
            conditions.append(
                or_(OutboxMessage.kind == kind, OutboxMessage.lane.in_(released_lanes))
            )
        released = self.session.execute(
            update(OutboxMessage)
            .where(*conditions)
            .values(status="pending", next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(released.rowcount)  # type: ignore[attr-defined]

    def workspace_of(self, item_id: int) -> str | None:
        """The workspace the row belongs to (its `workspace_id`), if any."""
        found = self.session.scalar(
            select(OutboxMessage.workspace_id).where(OutboxMessage.id == item_id)
        )
        return None if found is None else str(found)

    def counts(self, workspace_id: str | None = None) -> dict[str, int]:
        """Posts by status: of one workspace (its `workspace_id`), or (None) of all."""
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if workspace_id is not None:
            query = query.where(OutboxMessage.workspace_id == workspace_id)
        rows = self.session.execute(query).all()
        return {str(status): int(count) for status, count in rows}

    def held(self, *, limit: int = 5, workspace_id: str | None = None) -> list[tuple[str, str]]:
        """The newest held rows (of one workspace, or of all): their kind and why they wait."""
        query = select(OutboxMessage.kind, OutboxMessage.last_error).where(
            OutboxMessage.status == "held"
        )
        if workspace_id is not None:
            query = query.where(OutboxMessage.workspace_id == workspace_id)
        rows = self.session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()
        return [(str(kind), str(error or "")) for kind, error in rows]

    def purge(self, *, before: datetime) -> int:
        """Delete rows sent before `before` (retention); unsent and held rows are kept."""
        purged = self.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < before)
            .execution_options(synchronize_session=False)
        )
        return int(purged.rowcount)  # type: ignore[attr-defined]

    def pending(self) -> Sequence[OutboxMessage]:
        return self.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status != "sent").order_by(OutboxMessage.id)
        ).all()

    def _update_held_by(self, item_id: int, worker: str, **values: Any) -> bool:
        updated = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == item_id,
                OutboxMessage.claimed_by == worker,
                OutboxMessage.status == "sending",
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(updated.rowcount == 1)  # type: ignore[attr-defined]


class SqlChannelPacing:
    """Per-channel not-before times: a rate-limited channel rests, the others flow."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def rest(self, channel: str, *, until: datetime) -> None:
        """Leave `channel` alone until `until` (a later time already set is kept)."""
        dialect = self.session.get_bind().dialect.name
        upsert = (postgresql if dialect == "postgresql" else sqlite).insert(ChannelPacing)
        self.session.execute(
            upsert.values(channel=channel, not_before=until).on_conflict_do_update(
                index_elements=[ChannelPacing.channel],
                set_={"not_before": upsert.excluded.not_before},
                where=ChannelPacing.not_before < upsert.excluded.not_before,
            )
        )

    def resting(self, *, now: datetime) -> dict[str, datetime]:
        rows = self.session.scalars(
            select(ChannelPacing).where(ChannelPacing.not_before > now)
        ).all()
        return {row.channel: as_utc(row.not_before) for row in rows}

    def purge(self, *, now: datetime) -> int:
        purged = self.session.execute(
            delete(ChannelPacing)
            .where(ChannelPacing.not_before <= now)
            .execution_options(synchronize_session=False)
        )
        return int(purged.rowcount)  # type: ignore[attr-defined]


# --- workspace settings -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    workspace_id: str
    handoff_channel: str | None = None
    support_channels: tuple[str, ...] = ()
    admin_user_ids: tuple[str, ...] = ()


class SqlWorkspaceSettings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, workspace_id: str) -> WorkspaceSettings:
        row = self.session.get(Workspace, workspace_id, populate_existing=True)
        if row is None:
            return WorkspaceSettings(workspace_id=workspace_id)
        return WorkspaceSettings(
            workspace_id=row.id,
            handoff_channel=row.handoff_channel,
            support_channels=tuple(row.support_channels),
            admin_user_ids=tuple(row.admin_user_ids),
        )

    def configuring(self, channel: str) -> list[str]:
        """The workspaces that made `channel` a support channel or their handoff channel."""
        rows = self.session.execute(
            select(Workspace.id, Workspace.handoff_channel, Workspace.support_channels)
        ).all()
        return sorted(
            str(workspace)
            for workspace, handoff, support in rows
            if channel == handoff or channel in (support or ())
        )

    def save(self, settings: WorkspaceSettings, *, now: datetime) -> None:
        row = self.session.get(Workspace, settings.workspace_id)
        if row is None:
            row = Workspace(id=settings.workspace_id, updated_at=now)
            self.session.add(row)
        row.handoff_channel = settings.handoff_channel
        row.support_channels = list(settings.support_channels)
        row.admin_user_ids = list(settings.admin_user_ids)
        row.updated_at = now
        self.session.flush()
        _notify(self.session, SETTINGS_NOTICE, settings.workspace_id)  # workers forget theirs


# --- admin statistics ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkspaceStats:
    conversations: int
    escalated_conversations: int
    escalations_by_trigger: dict[str, int]
    median_minutes_to_claim: float | None
    median_minutes_to_first_reply: float | None = None

    @property
    def first_contact_resolution(self) -> float | None:
        if not self.conversations:
            return None
        return (self.conversations - self.escalated_conversations) / self.conversations


class SqlStats:
    def __init__(self, session: Session) -> None:
        self.session = session

    def workspace(
        self, workspace_id: str, *, since: datetime, until: datetime | None = None
    ) -> WorkspaceStats:
        """The conversations begun from `since` (to before `until`), and their handoffs."""
        conversation_ids = select(Conversation.id).where(
            Conversation.workspace_id == workspace_id, Conversation.created_at >= since
        )
        if until is not None:
            conversation_ids = conversation_ids.where(Conversation.created_at < until)
        total = self.session.scalar(select(func.count()).select_from(conversation_ids.subquery()))
        handoffs = self.session.execute(
            select(
                HandoffRow.conversation_id,
                HandoffRow.trigger,
                HandoffRow.created_at,
                HandoffRow.claimed_at,
                HandoffRow.first_reply_at,
            ).where(HandoffRow.conversation_id.in_(conversation_ids))
        ).all()
        by_trigger: dict[str, int] = {}
        for row in handoffs:
            by_trigger[row.trigger] = by_trigger.get(row.trigger, 0) + 1
        return WorkspaceStats(
            conversations=int(total or 0),
            escalated_conversations=len({row.conversation_id for row in handoffs}),
            escalations_by_trigger=by_trigger,
            median_minutes_to_claim=_median_wait((h.created_at, h.claimed_at) for h in handoffs),
            median_minutes_to_first_reply=_median_wait(
                (h.created_at, h.first_reply_at) for h in handoffs
            ),
        )


def _median_wait(spans: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    """Median minutes from each span's start to its end (the spans that have ended)."""
    return _median(
        sorted((as_utc(end) - as_utc(start)).total_seconds() / 60 for start, end in spans if end)
    )


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2

"""SQLAlchemy 2.0 models: conversations and their state, audit, handoffs, inbox, outbox,
workspace settings, Slack installations and OAuth states, and the demo shop's store and
policy book."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from escalation.money import maybe_money, money
from escalation.vocabulary import ACTIONS, CONVERSATION_STATUSES, ORDER_STATUSES, TRIGGERS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JsonDocument = JSON().with_variant(JSONB(), "postgresql")

INBOX_STATUSES = ("pending", "processing", "done", "failed")
OUTBOX_STATUSES = ("pending", "sending", "sent", "held")
HANDOFF_STATUSES = ("open", "claimed", "resolved", "returned")
TIMER_STATUSES = ("pending", "fired", "skipped")
SPEAKERS = ("customer", "bot", "agent")


def _enum(values: tuple[str, ...], name: str) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


class Money(TypeDecorator[Decimal]):
    """An amount: NUMERIC(12, 2) on PostgreSQL, exact; SQLite has no decimal type, so it keeps
    the number and every read is rounded back to whole cents."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = money(value)
        return amount if dialect.name == "postgresql" else float(amount)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return maybe_money(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JsonDocument,
        list[Any]: JsonDocument,
        datetime: DateTime(timezone=True),
        Decimal: Money(),
    }


class Workspace(Base):
    """Per-workspace settings an admin changes with the slash command."""

    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handoff_channel: Mapped[str | None] = mapped_column(String(64))
    support_channels: Mapped[list[Any]] = mapped_column(default=list)
    admin_user_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime]


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint(
            "platform",
            "workspace_id",
            "channel_id",
            "thread_key",
            "customer_user_id",
            name="uq_conversations_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_key: Mapped[str] = mapped_column(String(64), default="")
    customer_user_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(_enum(CONVERSATION_STATUSES, "conversation_status"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    state: Mapped[ConversationStateRow] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )


class ConversationStateRow(Base):
    """What the core's `ConversationState` needs between turns, one row per conversation."""

    __tablename__ = "conversation_states"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    turn: Mapped[int] = mapped_column(default=0)
    identifiers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signals: Mapped[list[Any]] = mapped_column(default=list)
    resolution_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    last_offer_turn: Mapped[int] = mapped_column(default=0, server_default="0")
    person_offered_turn: Mapped[int] = mapped_column(default=0, server_default="0")
    customer_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    ledger: Mapped[list[Any]] = mapped_column(default=list)
    policy_checks: Mapped[list[Any]] = mapped_column(default=list)
    pending_disambiguation: Mapped[list[Any]] = mapped_column(default=list)
    asked_for: Mapped[list[Any]] = mapped_column(default=list)
    # Bumped on every save: a writer holding a stale copy is refused (optimistic lock).
    version: Mapped[int] = mapped_column(default=0)

    conversation: Mapped[Conversation] = relationship(back_populates="state")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    speaker: Mapped[str] = mapped_column(_enum(SPEAKERS, "speaker"))
    author_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class DecisionRow(Base):
    """One row per turn: the audit trail an admin reads."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("conversation_id", "turn", name="uq_decisions_turn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    turn: Mapped[int]
    action: Mapped[str] = mapped_column(_enum(ACTIONS, "action"))
    trigger: Mapped[str | None] = mapped_column(_enum(TRIGGERS, "trigger"))
    reason: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    ask_for: Mapped[list[Any]] = mapped_column(default=list)
    investigation_steps: Mapped[int]
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    proposal: Mapped[dict[str, Any] | None]
    agent: Mapped[str | None] = mapped_column(String(32))
    model_requests: Mapped[int] = mapped_column(default=0)
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_tokens: Mapped[int] = mapped_column(default=0)
    cache_write_tokens: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class HandoffRow(Base):
    __tablename__ = "handoffs"
    # an agent's thread reply finds its handoff by the card it answers
    __table_args__ = (Index("ix_handoffs_card_channel_card_ts", "card_channel", "card_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    identifiers_typed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trigger: Mapped[str] = mapped_column(_enum(TRIGGERS, "handoff_trigger"))
    root_cause: Mapped[str] = mapped_column(Text)
    recommended_action: Mapped[str] = mapped_column(Text)
    attempts: Mapped[list[Any]] = mapped_column(default=list)
    policy_cited: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(_enum(HANDOFF_STATUSES, "handoff_status"))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    card_channel: Mapped[str | None] = mapped_column(String(64))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    first_reply_at: Mapped[datetime | None]  # an agent's first reply relayed to the customer


class InboxEvent(Base):
    """A raw platform event, stored before the ack; a retry of the same event inserts nothing."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_status_id", "status", "id"),
        # the claim looks for an earlier unfinished event of the same conversation
        Index("ix_inbox_conversation_key_id", "conversation_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    workspace_id: Mapped[str | None] = mapped_column(String(64))
    conversation_key: Mapped[str | None] = mapped_column(String(255))
    # the platform's own time of the message (Slack's ts, zero-padded): a conversation's turns
    # run in this order, whatever order the events arrived in
    event_ts: Mapped[str | None] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(_enum(INBOX_STATUSES, "inbox_status"), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message or card to post; a drainer posts it with backoff until it is sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # the claim looks for an earlier unsent row of the same lane
        Index("ix_outbox_lane_id", "lane", "id"),
        # a workspace's status counts, held list and release (rows of one status, newest first)
        Index("ix_outbox_workspace_id_status_id", "workspace_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    # The workspace the row belongs to: its payload's, else its conversation's or its handoff's
    # (`SqlOutbox.enqueue`); None for a row of no workspace.
    workspace_id: Mapped[str | None] = mapped_column(String(64))
    # Rows of one lane (one destination: a customer's thread, a handoff's card) post in order.
    lane: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(_enum(OUTBOX_STATUSES, "outbox_status"), default="pending")
    # When an attempt that may have posted was made (a crash, a timeout, a 5xx): the next one
    # looks for it around then before posting again.
    uncertain_since: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ChannelPacing(Base):
    """A channel the platform asked us to leave alone until `not_before` (a rate limit)."""

    __tablename__ = "channel_pacing"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    not_before: Mapped[datetime]


class CustomerRow(Base):
    """The demo shop's customers (the store the tools search)."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str] = mapped_column(String(64))
    phone_digits: Mapped[str] = mapped_column(String(32), index=True)


class OrderRow(Base):
    """The demo shop's orders: when they were placed, delivered and due, and what they cost."""

    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    item: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(_enum(ORDER_STATUSES, "order_status"))
    total: Mapped[Decimal]
    ordered_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    current_price: Mapped[Decimal | None]


class ShopActionRow(Base):
    """An action the demo shop carried out, kept by its idempotency key: a call again with the
    same key (a retry after a timeout, a retried turn) does nothing more."""

    __tablename__ = "shop_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    tool: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None]
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class PolicyBookRow(Base):
    """A policy book a workspace uploaded, as its parsed document, under a name unique in that
    workspace (`name_key`: the name folded, so "Holidays" and "holidays" are one). The shipped
    default is not stored: it is the file the bot ships, shared read-only by every workspace."""

    __tablename__ = "policy_books"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name_key", name="uq_policy_books_workspace_id_name_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    document: Mapped[dict[str, Any]]
    revision: Mapped[int] = mapped_column(Integer, default=1)  # +1 at each upload under the name
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkspacePolicyBook(Base):
    """The book a workspace's turns are decided against; a workspace without a row uses the
    shipped default."""

    __tablename__ = "workspace_policy_books"

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_book_id: Mapped[int] = mapped_column(ForeignKey("policy_books.id", ondelete="CASCADE"))
    chosen_at: Mapped[datetime]


class WorkspaceShop(Base):
    """A workspace's own shop API (`/escalation shop <url> [token]`); a workspace without a row
    uses the process's (SHOP_API_URL, or the demo shop). The token is kept to call the shop
    and never shown back."""

    __tablename__ = "workspace_shops"

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_url: Mapped[str] = mapped_column(String(2000))
    api_token: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class EffectRow(Base):
    """An action carried out for a customer (a replacement, refund, credit, ...): the record
    of what the bot changed, written in the same transaction as the turn that did it."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    turn: Mapped[int]
    tool: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None]
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class DeskSettings(Base):
    """A workspace's response target and business hours (`/escalation sla`, `hours`,
    `holidays`): `hours` is the parsed week (ranges and zone), `holidays` ISO dates."""

    __tablename__ = "desk_settings"

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    claim_target_seconds: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[dict[str, Any] | None]
    holidays: Mapped[list[Any]] = mapped_column(default=list)
    # `/escalation oncall @group [round-robin]`: the Slack user group cards and reminders
    # mention, its handle as the admin typed it, and (round robin) the member offered last.
    oncall_group_id: Mapped[str | None] = mapped_column(String(32))
    oncall_group_handle: Mapped[str | None] = mapped_column(String(128))
    oncall_round_robin: Mapped[bool] = mapped_column(Boolean, default=False)
    oncall_last_offered: Mapped[str | None] = mapped_column(String(32))
    # `/escalation names off`: a customer is told "a person from our team", not the name.
    agent_names: Mapped[bool] = mapped_column(Boolean, default=True)
    # `/escalation report channel #x`: the weekly report's channel and when it is next due.
    report_channel: Mapped[str | None] = mapped_column(String(64))
    report_due_at: Mapped[datetime | None]
    # A report that failed before Slack could have shared it is tried once more at this time.
    report_retry_at: Mapped[datetime | None]
    # When the report now in a sweeper's hands was claimed (NULL once its outcome is known):
    # one still set long after tells of a process that died making it.
    report_started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class HandoffTimer(Base):
    """A moment a handoff is checked on (the reminder at the claim target, the admins' notice
    at twice it): a row the workers sweep, so it survives restarts and fires once."""

    __tablename__ = "handoff_timers"
    __table_args__ = (
        UniqueConstraint("handoff_id", "kind", name="uq_handoff_timers_handoff_kind"),
        Index("ix_handoff_timers_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(_enum(TIMER_STATUSES, "timer_status"), default="pending")
    fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class HandoffOffer(Base):
    """A handoff offered to one on-call member (round robin), so it is passed on to someone
    not yet offered it, and the desk can say who has been asked."""

    __tablename__ = "handoff_offers"
    __table_args__ = (UniqueConstraint("handoff_id", "user_id", name="uq_handoff_offers_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    offered_at: Mapped[datetime]


# The tables of slack_sdk's SQLAlchemyInstallationStore (slack_installations, slack_bots) and
# SQLAlchemyOAuthStateStore (slack_oauth_states), copied literally from its
# build_installations_table, build_bots_table and build_oauth_states_table (slack_sdk 3.48):
# db/ may not import slack_sdk, and Alembic (migration 0012), not the stores' create_tables(),
# owns the schema. Their datetimes are naive UTC (slack_sdk's normalize_datetime_for_db), so
# DateTime without a zone, unlike the rest of this file. tests/integration/test_slack_tables.py
# compares them column by column with slack_sdk's own builders.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)

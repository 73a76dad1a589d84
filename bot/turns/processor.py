"""One customer message, end to end (DESIGN.md §3 steps 3-7), over the database.

Three phases so that no transaction is held open while a model thinks: read the conversation;
work (stage 1, the agent with its tools, stage 2), calling the shop through its port (actions
carried out there once, by idempotency key); then write everything the turn produced in one
transaction, checking that nobody else moved the conversation meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.agents.base import Agent, AgentTurn, Usage
from bot.desk.targets import closed_notice
from bot.shop.port import DryRunShop, Shop, TurnShop
from bot.turns.tools import DEFAULT_CURRENCY, FaultPlan, ToolBox
from db.repositories import ConversationKey, StaleState, TurnUsage
from db.uow import SqlUnitOfWork
from escalation.engine import Decision, Screening, decide, out_of_hours_reply, screen_message
from escalation.handoff import Utterance
from escalation.policy import PolicyBook
from escalation.records import Effect
from escalation.state import ConversationState

log = logging.getLogger(__name__)

HISTORY_LIMIT = 40
# After a person hands a conversation back: how many of the customer's latest unanswered
# messages the bot's first turn reads (the rest stay in the history it is given).
UNANSWERED_LIMIT = 5

BACK_WITH_BOT = (
    "You're back with the shop's assistant. A teammate handed this conversation back to me; "
    "tell me what you still need and I'll take it from here."
)
BACK_WITH_BOT_ANSWERING = (
    "You're back with the shop's assistant. A teammate handed this conversation back to me, "
    "so I'll pick up what you wrote meanwhile."
)


class ReadAgain(StaleState):
    """The event must not go on as it was read: the conversation moved on under it (a person
    handed it back or closed it), or an event that goes first was queued for the conversation
    after this one was taken (the bot's own turn after a hand-back). Nothing was written; the
    event is given back at once and read again in its turn (the inbox's order decides)."""


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A customer's message as the platform delivered it, markup already made plain."""

    key: ConversationKey
    text: str
    ts: str | None = None
    reply_to: dict[str, Any] | None = None  # where replies go (channel, thread); None: nowhere


@dataclass(frozen=True, slots=True)
class InboxClaim:
    """The stored event a turn comes from: it is marked done in the turn's own transaction,
    and only while this worker still holds it (a turn whose lease ran out writes nothing)."""

    item_id: int
    worker: str


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    conversation_id: int
    decision: Decision | None
    relayed: bool = False
    effects: tuple[Effect, ...] = ()
    handoff_id: int | None = None
    model_requests: int = 0
    usage: Usage = Usage()
    agent: str | None = None
    state: ConversationState = field(default_factory=ConversationState)


class TurnProcessor:
    """Runs customer turns through the engine and an agent, and persists what they decide."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        shop: Shop,
        agent: Agent,
        book: PolicyBook,
        clock: Callable[[], datetime],
        faults: FaultPlan | None = None,
        currency: str = DEFAULT_CURRENCY,
        pause: Callable[[float], None] = time.sleep,
        books: Callable[[str], PolicyBook] | None = None,
        shops: Callable[[str], Shop] | None = None,
    ) -> None:
        """`books` gives each workspace's book (bot.workers.settings.WorkspaceBooks), `shops`
        its shop (WorkspaceShops); without them every workspace's turns are decided against
        `book` and call `shop`."""
        self.sessions = sessions
        self.currency = currency
        self.pause = pause  # between retries of a failing tool call
        self.shop = shop
        self.agent = agent
        self.book = book
        self.books = books
        self.shops = shops
        self.clock = clock
        self.faults = faults or FaultPlan()

    def handle(self, message: IncomingMessage, *, claim: InboxClaim | None = None) -> TurnOutcome:
        conversation_id, state, version, history = self._read(message, claim=claim)
        history = (*history, Utterance("customer", message.text))
        screening = screen_message(state, message.text, history=history)
        if screening.relay:
            return self._relay(conversation_id, message, version=version, claim=claim)
        return self._turn(conversation_id, message, screening, version, history, claim=claim)

    def resume(self, conversation_id: int, *, claim: InboxClaim | None = None) -> TurnOutcome:
        """The bot's first turn after a person handed the conversation back: the customer is
        told the bot is back, and what they wrote after the last answer they got (from the bot
        or an agent), never answered by anyone, is answered now as a turn of its own (stage 1
        first, on every one of them: a request for a person among them escalates again at
        once). Messages are read when this runs, so what a later turn already answered is not
        answered twice. The hand-back queued this event before any message of the
        conversation, and a message taken meanwhile steps aside for it (`ReadAgain`)."""
        with SqlUnitOfWork(self.sessions) as uow:
            conversation = uow.conversations.get(conversation_id)
            loaded = uow.conversations.load_state(conversation_id)
            history = _back_to_last_answer(uow, conversation_id)
            uow.commit()
        state, version = loaded.state, loaded.version
        reply_to = reply_address(conversation.key)
        unanswered = unanswered_messages(history)
        if state.with_human or not unanswered:
            return self._tell(
                conversation_id,
                None if state.with_human else BACK_WITH_BOT,
                reply_to=reply_to,
                workspace_id=conversation.key.workspace_id,
                state=state,
                claim=claim,
            )
        # Stage 1 on each of them on its own, as if it had just been written to the bot: a
        # request for a person escalates now (zero steps), however many messages came after it.
        answered = history[: len(history) - len(unanswered)]
        for written in range(1, len(unanswered) + 1):
            said = (*answered, *(Utterance("customer", t) for t in unanswered[:written]))
            screening = screen_message(state, unanswered[written - 1], history=said)
            if screening.decision is not None:
                message = IncomingMessage(
                    key=conversation.key, text=unanswered[written - 1], reply_to=reply_to
                )
                return self._turn(
                    conversation_id,
                    message,
                    screening,
                    version,
                    said[-HISTORY_LIMIT:],
                    claim=claim,
                    stored=True,
                    notice=BACK_WITH_BOT_ANSWERING,
                )
        # The turn reads the latest of them as one message, the latest of the conversation (as
        # a new one is); older ones stay in the history it is given.
        read = unanswered[-UNANSWERED_LIMIT:]
        text = "\n".join(read)
        message = IncomingMessage(key=conversation.key, text=text, reply_to=reply_to)
        history = (*history[: len(history) - len(read)], Utterance("customer", text))
        history = history[-HISTORY_LIMIT:]
        screening = screen_message(state, text, history=history)
        return self._turn(
            conversation_id,
            message,
            screening,
            version,
            history,
            claim=claim,
            stored=True,
            notice=BACK_WITH_BOT_ANSWERING,
        )

    def _turn(
        self,
        conversation_id: int,
        message: IncomingMessage,
        screening: Screening,
        version: int,
        history: tuple[Utterance, ...],
        *,
        claim: InboxClaim | None,
        stored: bool = False,
        notice: str | None = None,
    ) -> TurnOutcome:
        work: AgentTurn | None = None
        tools: ToolBox | None = None
        if screening.decision is not None:
            decision, state = screening.decision, screening.state
        else:
            shop = self.shop_of(message.key.workspace_id)
            tools, work = self._work(screening, message, history, shop=shop)
            ruling = decide(tools.state, work.proposal, history=history)
            decision, state = ruling.decision, ruling.state
        return self._write(
            conversation_id,
            message,
            version=version,
            decision=decision,
            state=state,
            work=work,
            tools=tools,
            claim=claim,
            stored=stored,
            notice=notice,
        )

    def _tell(
        self,
        conversation_id: int,
        text: str | None,
        *,
        reply_to: dict[str, Any],
        workspace_id: str,
        state: ConversationState,
        claim: InboxClaim | None,
    ) -> TurnOutcome:
        """Say `text` to the customer (if any) and finish the event: no turn, nothing decided."""
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            uow.conversations.lock(conversation_id)
            finish_claim(uow, claim, now=now)
            if text is not None:
                uow.conversations.add_message(conversation_id, speaker="bot", text=text, now=now)
                uow.outbox.enqueue(
                    "reply",
                    {**reply_to, "text": text},
                    now=now,
                    conversation_id=conversation_id,
                    workspace_id=workspace_id,
                )
            uow.commit()
        return TurnOutcome(conversation_id=conversation_id, decision=None, state=state)

    def shop_of(self, workspace_id: str) -> Shop:
        """The shop the workspace's turns call."""
        return self.shop if self.shops is None else self.shops(workspace_id)

    def book_of(self, workspace_id: str) -> PolicyBook:
        """The book the workspace's turns are decided against."""
        return self.book if self.books is None else self.books(workspace_id)

    def preview(self, text: str, *, workspace_id: str = "") -> TurnOutcome:
        """A dry run on a fresh conversation of `workspace_id` (its policy book): the decision
        and why, nothing stored or changed."""
        history = (Utterance("customer", text),)
        screening = screen_message(ConversationState(), text, history=history)
        if screening.decision is not None:
            return TurnOutcome(
                conversation_id=0, decision=screening.decision, state=screening.state
            )
        message = IncomingMessage(key=ConversationKey("preview", workspace_id, "", ""), text=text)
        shop = DryRunShop(self.shop_of(workspace_id))
        tools, work = self._work(screening, message, history, shop=shop)
        ruling = decide(tools.state, work.proposal, history=history)
        return TurnOutcome(
            conversation_id=0,
            decision=ruling.decision,
            effects=tuple(tools.effects),
            model_requests=work.model_requests,
            usage=work.usage,
            agent=work.agent,
            state=ruling.state,
        )

    def _read(
        self, message: IncomingMessage, *, claim: InboxClaim | None
    ) -> tuple[int, ConversationState, int, tuple[Utterance, ...]]:
        with SqlUnitOfWork(self.sessions) as uow:
            conversation = uow.conversations.get_or_create(message.key, now=self.clock())
            loaded = uow.conversations.load_state(conversation.id)
            history = uow.conversations.history(conversation.id, limit=HISTORY_LIMIT)
            # After the state: a hand-back that state shows is seen here too (one commit).
            if claim is not None and uow.inbox.goes_after_another(claim.item_id):
                raise ReadAgain(
                    f"inbox event {claim.item_id}: an event of conversation {conversation.id} "
                    "queued after it was taken goes first (the bot's turn after a hand-back)"
                )
            uow.commit()
        return conversation.id, loaded.state, loaded.version, history

    def _work(
        self,
        screening: Screening,
        message: IncomingMessage,
        history: tuple[Utterance, ...],
        *,
        shop: Shop,
    ) -> tuple[ToolBox, AgentTurn]:
        tools = ToolBox(
            shop=TurnShop(shop),
            book=self.book_of(message.key.workspace_id),
            state=screening.state,
            message=message.text,
            faults=self.faults,
            currency=self.currency,
            pause=self.pause,
        )
        work = self.agent.take_turn(text=message.text, history=history, tools=tools)
        return tools, work

    def _relay(
        self,
        conversation_id: int,
        message: IncomingMessage,
        *,
        version: int,
        claim: InboxClaim | None,
    ) -> TurnOutcome:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            uow.conversations.lock(conversation_id)
            current = uow.conversations.load_state(conversation_id)
            if current.version != version or not current.state.with_human:
                # handed back (or closed) since it was read: not for the card's thread any more
                raise ReadAgain(f"conversation {conversation_id} left its handoff meanwhile")
            finish_claim(uow, claim, now=now)
            uow.conversations.add_message(
                conversation_id, speaker="customer", text=message.text, now=now, slack_ts=message.ts
            )
            handoff = uow.handoffs.latest_for(conversation_id)
            uow.outbox.enqueue(
                "relay_to_agents",
                {"text": message.text, "handoff_id": handoff.id if handoff else None},
                now=now,
                conversation_id=conversation_id,
                handoff_id=handoff.id if handoff else None,
                workspace_id=message.key.workspace_id,
            )
            uow.commit()
        return TurnOutcome(
            conversation_id=conversation_id, decision=None, relayed=True, state=current.state
        )

    def _write(
        self,
        conversation_id: int,
        message: IncomingMessage,
        *,
        version: int,
        decision: Decision,
        state: ConversationState,
        work: AgentTurn | None,
        tools: ToolBox | None,
        claim: InboxClaim | None,
        stored: bool = False,
        notice: str | None = None,
    ) -> TurnOutcome:
        """`stored`: the customer's words are in the conversation already (kept when they were
        written); `notice`: said to the customer before the turn's reply."""
        now = self.clock()
        effects = tuple(tools.effects) if tools else ()
        with SqlUnitOfWork(self.sessions) as uow:
            uow.conversations.lock(conversation_id)
            finish_claim(uow, claim, now=now)
            conversations = uow.conversations  # save_state raises StaleState if it moved on
            if not stored:
                conversations.add_message(
                    conversation_id,
                    speaker="customer",
                    text=message.text,
                    now=now,
                    slack_ts=message.ts,
                )
            desk = None
            if decision.handoff is not None:
                desk = uow.desk.config(message.key.workspace_id)
                # Out of hours the customer hears when a person picks it up, not "right here".
                closed = closed_notice(desk, now, waiting=uow.desk.waiting(desk.workspace_id))
                if closed is not None:
                    decision = replace(
                        decision, reply=f"{out_of_hours_reply(decision.reply)} {closed}"
                    )
            if notice is not None:
                conversations.add_message(conversation_id, speaker="bot", text=notice, now=now)
                if message.reply_to is not None:
                    uow.outbox.enqueue(
                        "reply",
                        {**message.reply_to, "text": notice},
                        now=now,
                        conversation_id=conversation_id,
                        workspace_id=message.key.workspace_id,
                    )
            conversations.add_message(conversation_id, speaker="bot", text=decision.reply, now=now)
            conversations.save_state(conversation_id, state, version=version, now=now)
            decision_id = conversations.record_decision(
                conversation_id,
                turn=state.turn,
                decision=decision,
                now=now,
                usage=_turn_usage(work),
            )
            for effect in effects:
                uow.shop.record_effect(
                    effect, conversation_id=conversation_id, turn=state.turn, now=now
                )
            handoff_id = None
            if decision.handoff is not None:
                handoff_id = uow.handoffs.open(
                    conversation_id, decision.handoff, now=now, decision_id=decision_id
                )
                if desk is not None:
                    uow.desk.schedule(handoff_id, desk, created_at=now, now=now)
                uow.outbox.enqueue(
                    "handoff_card",
                    {"handoff_id": handoff_id, "workspace_id": message.key.workspace_id},
                    now=now,
                    conversation_id=conversation_id,
                    handoff_id=handoff_id,
                    workspace_id=message.key.workspace_id,
                )
            if message.reply_to is not None:
                uow.outbox.enqueue(
                    "reply",
                    {**message.reply_to, "text": decision.reply},
                    now=now,
                    conversation_id=conversation_id,
                    workspace_id=message.key.workspace_id,
                )
            uow.commit()
        usage = work.usage if work else Usage()
        log.info(
            "turn %s of conversation %s: %s%s (%s steps; %s model requests, tokens in %s out %s "
            "cache read %s write %s)",
            state.turn,
            conversation_id,
            decision.action,
            f"/{decision.trigger}" if decision.trigger else "",
            decision.investigation_steps,
            work.model_requests if work else 0,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
        )
        return TurnOutcome(
            conversation_id=conversation_id,
            decision=decision,
            effects=effects,
            handoff_id=handoff_id,
            model_requests=work.model_requests if work else 0,
            usage=work.usage if work else Usage(),
            agent=work.agent if work else None,
            state=state,
        )


def unanswered_messages(history: tuple[Utterance, ...]) -> tuple[str, ...]:
    """What the customer wrote after the last answer they got (from the bot or an agent)."""
    answered = max((i for i, u in enumerate(history) if u.speaker != "customer"), default=-1)
    return tuple(u.text for u in history[answered + 1 :])


def _back_to_last_answer(uow: SqlUnitOfWork, conversation_id: int) -> tuple[Utterance, ...]:
    """The conversation's latest messages, reaching back at least to the last answer the
    customer got (or to its start): every message no one answered, however many."""
    limit = HISTORY_LIMIT
    while True:
        history = uow.conversations.history(conversation_id, limit=limit)
        if len(history) < limit or any(u.speaker != "customer" for u in history):
            return history
        limit *= 2


def reply_address(key: ConversationKey) -> dict[str, Any]:
    """Where the bot's messages to this conversation go: its channel, and thread if any."""
    reply_to: dict[str, Any] = {"channel": key.channel_id}
    if key.thread_key:
        reply_to["thread_ts"] = key.thread_key
    return reply_to


def _turn_usage(work: AgentTurn | None) -> TurnUsage:
    if work is None:
        return TurnUsage(agent=None)
    return TurnUsage(
        agent=work.agent,
        model_requests=work.model_requests,
        input_tokens=work.usage.input_tokens,
        output_tokens=work.usage.output_tokens,
        cache_read_tokens=work.usage.cache_read_tokens,
        cache_write_tokens=work.usage.cache_write_tokens,
    )


def finish_claim(uow: SqlUnitOfWork, claim: InboxClaim | None, *, now: datetime) -> None:
    if claim is not None and not uow.inbox.complete(claim.item_id, worker=claim.worker, now=now):
        raise StaleState(f"inbox event {claim.item_id} is no longer held by {claim.worker}")

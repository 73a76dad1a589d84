"""What agents do with a handoff card: claim it, resolve it, or return it to the bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from bot.turns.processor import BACK_WITH_BOT, reply_address
from bot.workers.inbox import add_return_event
from db.repositories import HandoffStatus, UnknownHandoff
from db.uow import SqlUnitOfWork

__all__ = ["BACK_WITH_BOT", "Click", "DeskResult", "HandoffDesk"]


DeskOutcome = Literal[
    "claimed", "resolved", "returned", "held_by_another", "already", "unknown", "wrong_place"
]


@dataclass(frozen=True, slots=True)
class Click:
    """An agent's press of a card's button: which handoff, who, and where (workspace, channel)."""

    handoff_id: int
    agent_id: str
    workspace_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class DeskResult:
    """What came of an agent's click, for the platform to tell them: `claimed`, `resolved` or
    `returned` (changed); `held_by_another` (`holder` has it), `already` (the handoff is
    `status` already), `unknown` (no such handoff) or `wrong_place` (not this workspace's
    agents' card): nothing changed."""

    outcome: DeskOutcome
    status: HandoffStatus | None = None
    holder: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in ("claimed", "resolved", "returned")


class HandoffDesk:
    """Claim, resolve, return: only from the card in the workspace's agents' channel; a claimed
    handoff is closed by the one who claimed it, or by an admin."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def claim(self, click: Click) -> DeskResult:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            refusal = self._refusal(uow, click)
            if refusal is not None:
                return refusal
            result = uow.handoffs.claim(click.handoff_id, agent_id=click.agent_id, now=now)
            if result.won:
                self._update_card(uow, click, now=now)
                self._tell_customer(uow, click.handoff_id, agent_id=click.agent_id, now=now)
            uow.commit()
        if result.won:
            return DeskResult("claimed", result.status, click.agent_id)
        if result.status == "claimed":
            return DeskResult("held_by_another", result.status, result.holder)
        return DeskResult("already", result.status)

    def resolve(self, click: Click, *, admin: bool = False) -> DeskResult:
        return self._finish(click, admin=admin, back_to_bot=False)

    def return_to_bot(self, click: Click, *, admin: bool = False) -> DeskResult:
        return self._finish(click, admin=admin, back_to_bot=True)

    def _finish(self, click: Click, *, admin: bool, back_to_bot: bool) -> DeskResult:
        now = self.clock()
        handoff_id = click.handoff_id
        with SqlUnitOfWork(self.sessions) as uow:
            refusal = self._refusal(uow, click)
            if refusal is not None:
                return refusal
            record = uow.handoffs.get(handoff_id)
            settings = uow.workspaces.get(click.workspace_id)
            anyone = admin or click.agent_id in settings.admin_user_ids
            holder = None if anyone else click.agent_id
            if back_to_bot:
                done = uow.handoffs.return_to_bot(handoff_id, now=now, holder=holder)
            else:
                done = uow.handoffs.resolve(handoff_id, now=now, holder=holder)
            if not done:
                current = uow.handoffs.get(handoff_id)
                if current.status == "claimed":
                    return DeskResult("held_by_another", current.status, current.claimed_by)
                return DeskResult("already", current.status)
            self._update_card(uow, click, now=now)
            if back_to_bot:
                self._hand_back(uow, handoff_id, record.conversation_id, now=now)
            uow.commit()
        return DeskResult("returned") if back_to_bot else DeskResult("resolved")

    @staticmethod
    def _refusal(uow: SqlUnitOfWork, click: Click) -> DeskResult | None:
        """Why this click may not act on this handoff, if it may not."""
        try:
            record = uow.handoffs.get(click.handoff_id)
        except UnknownHandoff:
            return DeskResult("unknown")
        conversation = uow.conversations.get(record.conversation_id)
        settings = uow.workspaces.get(click.workspace_id)
        card_channel = record.card_channel or settings.handoff_channel
        if conversation.key.workspace_id != click.workspace_id or card_channel != click.channel_id:
            return DeskResult("wrong_place")
        return None

    @staticmethod
    def _hand_back(
        uow: SqlUnitOfWork, handoff_id: int, conversation_id: int, *, now: datetime
    ) -> None:
        """The bot has the conversation again, with a fresh start; its first turn (telling the
        customer, and answering what they wrote that no one answered) runs off the click's
        path, through the inbox like any customer message."""
        loaded = uow.conversations.load_state(conversation_id)
        uow.conversations.save_state(
            conversation_id,
            replace(loaded.state.reopened(), status="bot"),
            version=loaded.version,
            now=now,
        )
        conversation = uow.conversations.get(conversation_id)
        add_return_event(
            uow,
            handoff_id=handoff_id,
            conversation_id=conversation_id,
            key=conversation.key,
            now=now,
        )

    @staticmethod
    def _tell_customer(
        uow: SqlUnitOfWork, handoff_id: int, *, agent_id: str, now: datetime
    ) -> None:
        """The customer learns a person has their case, in their conversation, once per won
        claim (a handoff claimed again after a return tells them again). The agent is named
        unless the workspace turned names off; the name is looked up when it is posted. It is
        not stored as an answer: what the customer wrote before stays unanswered until a
        person (or the bot, after a return) answers it."""
        conversation = uow.conversations.get(uow.handoffs.get(handoff_id).conversation_id)
        named = uow.desk.config(conversation.key.workspace_id).agent_names
        uow.outbox.enqueue(
            "claim_notice",
            {
                **reply_address(conversation.key),
                "workspace_id": conversation.key.workspace_id,
                "agent_id": agent_id if named else None,
                # who claimed, whatever names show: checked (and names re-read) when posted
                "claimed_by": agent_id,
            },
            now=now,
            conversation_id=conversation.id,
            handoff_id=handoff_id,
            workspace_id=conversation.key.workspace_id,
        )

    @staticmethod
    def _update_card(uow: SqlUnitOfWork, click: Click, *, now: datetime) -> None:
        """The click's card shows what was done (`_refusal` let only its workspace act)."""
        uow.outbox.enqueue(
            "card_update",
            {
                "handoff_id": click.handoff_id,
                "acted_by": click.agent_id,
                "acted_at": now.isoformat(),
            },
            now=now,
            handoff_id=click.handoff_id,
            workspace_id=click.workspace_id,
        )

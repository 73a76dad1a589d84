"""What agents do with a handoff card: claim it, resolve it, or return it to the bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from db.repositories import HandoffStatus, UnknownHandoff
from db.uow import SqlUnitOfWork

BACK_WITH_BOT = (
    "You're back with the shop's assistant. A teammate handed this conversation back to me; "
    "tell me what you still need and I'll take it from here."
)


DeskOutcome = Literal["claimed", "resolved", "returned", "held_by_another", "already", "unknown"]


@dataclass(frozen=True, slots=True)
class DeskResult:
    """What came of an agent's click, for the platform to tell them: `claimed`, `resolved` or
    `returned` (changed); `held_by_another` (`holder` has it), `already` (the handoff is
    `status` already) or `unknown` (no such handoff): nothing changed."""

    outcome: DeskOutcome
    status: HandoffStatus | None = None
    holder: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in ("claimed", "resolved", "returned")


class HandoffDesk:
    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def claim(self, handoff_id: int, *, agent_id: str) -> DeskResult:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            try:
                result = uow.handoffs.claim(handoff_id, agent_id=agent_id, now=now)
            except UnknownHandoff:
                return DeskResult("unknown")
            if result.won:
                self._update_card(uow, handoff_id, agent_id=agent_id, now=now)
            uow.commit()
        if result.won:
            return DeskResult("claimed", result.status, agent_id)
        if result.status == "claimed":
            return DeskResult("held_by_another", result.status, result.holder)
        return DeskResult("already", result.status)

    def resolve(self, handoff_id: int, *, agent_id: str) -> DeskResult:
        return self._finish(handoff_id, agent_id=agent_id, back_to_bot=False)

    def return_to_bot(self, handoff_id: int, *, agent_id: str) -> DeskResult:
        return self._finish(handoff_id, agent_id=agent_id, back_to_bot=True)

    def _finish(self, handoff_id: int, *, agent_id: str, back_to_bot: bool) -> DeskResult:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            try:
                record = uow.handoffs.get(handoff_id)
            except UnknownHandoff:
                return DeskResult("unknown")
            if back_to_bot:
                done = uow.handoffs.return_to_bot(handoff_id, now=now)
            else:
                done = uow.handoffs.resolve(handoff_id, now=now)
            if not done:
                return DeskResult("already", record.status)
            self._update_card(uow, handoff_id, agent_id=agent_id, now=now)
            if back_to_bot:
                loaded = uow.conversations.load_state(record.conversation_id)
                uow.conversations.save_state(
                    record.conversation_id,
                    replace(loaded.state.reopened(), status="bot"),
                    version=loaded.version,
                    now=now,
                )
                conversation = uow.conversations.get(record.conversation_id)
                reply_to = {"channel": conversation.key.channel_id}
                if conversation.key.thread_key:
                    reply_to["thread_ts"] = conversation.key.thread_key
                uow.conversations.add_message(
                    record.conversation_id, speaker="bot", text=BACK_WITH_BOT, now=now
                )
                uow.outbox.enqueue(
                    "reply",
                    {**reply_to, "text": BACK_WITH_BOT},
                    now=now,
                    conversation_id=record.conversation_id,
                )
            uow.commit()
        return DeskResult("returned") if back_to_bot else DeskResult("resolved")

    @staticmethod
    def _update_card(uow: SqlUnitOfWork, handoff_id: int, *, agent_id: str, now: datetime) -> None:
        uow.outbox.enqueue(
            "card_update",
            {"handoff_id": handoff_id, "acted_by": agent_id, "acted_at": now.isoformat()},
            now=now,
            handoff_id=handoff_id,
        )

"""The demo shop kept in the database: actions done once per idempotency key, on SQLite and
PostgreSQL, also when two processes' threads carry out the same action at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.offline import OfflineAgent
from bot.policies import default_policy_book
from bot.shop.database import DatabaseShop
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.shop.port import ActionDone
from bot.turns.processor import IncomingMessage, TurnProcessor
from db.models import ShopActionRow
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.records import Effect

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _shop(sessions: sessionmaker[Session]) -> DatabaseShop:
    with SqlUnitOfWork(sessions) as uow:
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS, now=NOW)
        uow.commit()
    return DatabaseShop(sessions, clock=lambda: NOW)


def _processor(sessions: sessionmaker[Session]) -> TurnProcessor:
    """Turns with the offline agent over the demo shop in this database."""
    return TurnProcessor(
        sessions=sessions,
        shop=_shop(sessions),
        agent=OfflineAgent(),
        book=default_policy_book(),
        clock=lambda: NOW,
        pause=lambda seconds: None,
    )


def _actions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ShopActionRow)) or 0)


def test_a_cancel_is_done_once_and_the_order_is_cancelled(sessions: sessionmaker[Session]) -> None:
    shop = _shop(sessions)
    effect = Effect("cancel_order", "C-2", "2051")
    first = shop.carry_out(effect, idempotency_key="cancel-2051")
    again = shop.carry_out(effect, idempotency_key="cancel-2051")
    assert (first.effect, first.before) == (effect, False)
    assert (again.effect, again.before) == (effect, True)
    assert _actions(sessions) == 1
    order = shop.order("2051")
    assert order is not None
    assert order.status == "cancelled"


def test_a_repeated_key_answers_the_first_result(sessions: sessionmaker[Session]) -> None:
    shop = _shop(sessions)
    first = shop.carry_out(Effect("issue_refund", "C-4", "4410", 64.0), idempotency_key="k")
    again = shop.carry_out(Effect("issue_refund", "C-4", "4410", 99.0), idempotency_key="k")
    assert again.effect == first.effect
    assert again.before
    assert _actions(sessions) == 1


def test_the_same_action_at_the_same_moment_from_eight_threads_is_done_once(
    sessions: sessionmaker[Session],
) -> None:
    shop = _shop(sessions)
    effect = Effect("issue_credit", "C-1", "1043", 5.0)
    start = threading.Barrier(8)
    answers: list[ActionDone] = []
    failures: list[BaseException] = []

    def act() -> None:
        start.wait()
        try:
            answers.append(shop.carry_out(effect, idempotency_key="same-key"))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=act) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert [a.effect for a in answers] == [effect] * 8
    assert sorted(a.before for a in answers) == [False] + [True] * 7
    assert _actions(sessions) == 1


def test_the_same_refund_asked_in_a_second_conversation_is_told_done_not_paid_again(
    sessions: sessionmaker[Session],
) -> None:

    processor = _processor(sessions)
    ask = "the blender from order 4410 arrived cracked, please refund it. maria.garcia@example.com"
    first = processor.handle(
        IncomingMessage(key=ConversationKey("slack", "T1", "D1", "U1"), text=ask)
    )
    again = processor.handle(
        IncomingMessage(key=ConversationKey("slack", "T1", "C9", "U1", "1.2"), text=ask)
    )
    assert [e.tool for e in first.effects] == ["issue_refund"]
    assert again.effects == ()
    assert again.decision is not None
    assert "already been taken care of for order 4410 on 15 January 2026" in again.decision.reply
    assert _actions(sessions) == 1


def test_a_late_delivery_credit_is_paid_once_across_four_conversations(
    sessions: sessionmaker[Session],
) -> None:

    processor = _processor(sessions)
    ask = "order 1043 is late, I want the credit for the delay. j.smith@example.com"
    credits = [
        e.tool
        for thread in range(4)
        for e in processor.handle(
            IncomingMessage(key=ConversationKey("slack", "T1", "C1", "U1", f"{thread}.1"), text=ask)
        ).effects
    ]
    assert credits == ["issue_credit"]
    assert _actions(sessions) == 1

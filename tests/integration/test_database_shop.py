"""The demo shop kept in the database: actions done once per idempotency key, on SQLite and
PostgreSQL, also when two processes' threads carry out the same action at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shop.database import DatabaseShop
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from db.models import ShopActionRow
from db.uow import SqlUnitOfWork
from escalation.records import Effect

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _shop(sessions: sessionmaker[Session]) -> DatabaseShop:
    with SqlUnitOfWork(sessions) as uow:
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS, now=NOW)
        uow.commit()
    return DatabaseShop(sessions, clock=lambda: NOW)


def _actions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ShopActionRow)) or 0)


def test_a_cancel_is_done_once_and_the_order_is_cancelled(sessions: sessionmaker[Session]) -> None:
    shop = _shop(sessions)
    effect = Effect("cancel_order", "C-2", "2051")
    assert shop.carry_out(effect, idempotency_key="conversation-1/turn-1/cancel") == effect
    assert shop.carry_out(effect, idempotency_key="conversation-1/turn-1/cancel") == effect
    assert _actions(sessions) == 1
    order = shop.order("2051")
    assert order is not None
    assert order.status == "cancelled"


def test_a_repeated_key_answers_the_first_result(sessions: sessionmaker[Session]) -> None:
    shop = _shop(sessions)
    first = shop.carry_out(Effect("issue_refund", "C-4", "4410", 64.0), idempotency_key="k")
    again = shop.carry_out(Effect("issue_refund", "C-4", "4410", 99.0), idempotency_key="k")
    assert again == first
    assert _actions(sessions) == 1


def test_the_same_action_at_the_same_moment_from_eight_threads_is_done_once(
    sessions: sessionmaker[Session],
) -> None:
    shop = _shop(sessions)
    effect = Effect("issue_credit", "C-1", "1043", 5.0)
    start = threading.Barrier(8)
    answers: list[Effect] = []
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
    assert answers == [effect] * 8
    assert _actions(sessions) == 1

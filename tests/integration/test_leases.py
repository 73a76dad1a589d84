"""Leases that match the work, on SQLite and PostgreSQL: a slow turn keeps its event by renewing
its claim; a worker that stops gives back what it holds, and another takes it at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.base import AgentTurn
from bot.agents.offline import OfflineAgent
from bot.policies import default_policy_book
from bot.shop.database import DatabaseShop
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.turns.processor import TurnProcessor
from bot.workers.inbox import InboxWorker, SqlEventInbox
from db.engine import make_request_path_engine, make_session_factory
from db.uow import SqlUnitOfWork
from handlers.slack.events import conversation_key_text, route

LEASE = timedelta(seconds=1)
HEARTBEAT = timedelta(seconds=0.2)


def utcnow() -> datetime:
    return datetime.now(UTC)


class SlowAgent:
    """The offline agent, after thinking for `seconds` (a slow model turn)."""

    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = threading.Event()

    def take_turn(self, **kwargs: Any) -> AgentTurn:
        self.started.set()
        time.sleep(self.seconds)
        return OfflineAgent().take_turn(**kwargs)


def worker(sessions: sessionmaker[Session], agent: Any) -> InboxWorker:
    processor = TurnProcessor(
        sessions=sessions,
        shop=DatabaseShop(sessions, clock=utcnow),
        agent=agent,
        book=default_policy_book(),
        clock=utcnow,
    )
    return InboxWorker(
        sessions=sessions,
        processor=processor,
        read_event=route,
        clock=utcnow,
        lease=LEASE,
        heartbeat=HEARTBEAT,
    )


def store_dm(engine: Engine, text: str) -> None:
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS, now=utcnow())
        uow.commit()
    body = {
        "team_id": "T1",
        "event_id": "Ev1",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": "U1",
            "text": text,
            "ts": "1700000000.000100",
        },
    }
    request_engine = make_request_path_engine(engine)
    inbox = SqlEventInbox(engine=request_engine, clock=utcnow, wake=lambda: None)
    try:
        inbox.store(
            event_id="Ev1",
            payload=body,
            workspace_id="T1",
            conversation_key=conversation_key_text(body),
        )
    finally:
        inbox.close()
        if request_engine is not engine:
            request_engine.dispose()


def replies(sessions: sessionmaker[Session]) -> list[str]:
    with SqlUnitOfWork(sessions) as uow:
        return [str(m.payload.get("text")) for m in uow.outbox.pending() if m.kind == "reply"]


def test_a_turn_slower_than_its_lease_keeps_its_event(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store_dm(engine, "where is order 1043? j.smith@example.com")
    slow = SlowAgent(seconds=LEASE.total_seconds() * 3)
    first = worker(sessions, slow)
    running = threading.Thread(target=first.work_once)
    running.start()
    assert slow.started.wait(10)
    time.sleep(LEASE.total_seconds() * 1.5)  # past the lease it started with
    other = worker(sessions, OfflineAgent())
    assert other.work_once() == 0  # the heartbeat kept it: nobody else takes it
    running.join(timeout=30)
    assert len(replies(sessions)) == 1
    assert "1043" in replies(sessions)[0]


def test_a_stopping_worker_gives_back_its_turn_and_another_answers_it(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store_dm(engine, "where is order 1043? j.smith@example.com")
    slow = SlowAgent(seconds=5)
    first = worker(sessions, slow)
    first.start()
    first.wake()
    assert slow.started.wait(10)
    first.stop(grace=timedelta(seconds=0.2))  # a deploy: it cannot finish in time
    other = worker(sessions, OfflineAgent())
    assert other.run_until_idle() == 1  # taken again at once, not after a lease
    time.sleep(5)  # the first turn ends, and finds its claim gone: it writes nothing
    assert len(replies(sessions)) == 1

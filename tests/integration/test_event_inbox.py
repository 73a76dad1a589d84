"""Storing events before the ack, on SQLite and PostgreSQL: events arriving together are
written together, yet each request learns its own event's outcome; one bad event costs only
its own ack; a database connection that died in the pool is replaced without a failed ack."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.workers.inbox import InboxClosed, SqlEventInbox
from db.engine import make_request_path_engine
from db.models import InboxEvent
from db.uow import SqlUnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def inbox(engine: Engine) -> Iterator[SqlEventInbox]:
    request_engine = make_request_path_engine(engine)
    inbox = SqlEventInbox(engine=request_engine, clock=utcnow, wake=lambda: None)
    yield inbox
    inbox.close()
    if request_engine is not engine:
        request_engine.dispose()


def store(inbox: SqlEventInbox, event_id: str, *, user: str = "U1", **payload: Any) -> bool:
    return inbox.store(
        event_id=event_id,
        payload={"event_id": event_id, "event": {"user": user, **payload}},
        workspace_id="T1",
        conversation_key=f"T1/D{user}//{user}",
        event_ts="1733390000.000100",
    )


def stored_ids(sessions: sessionmaker[Session]) -> list[str]:
    with SqlUnitOfWork(sessions) as uow:
        return list(uow.session.scalars(uow.session.query(InboxEvent.event_id).statement))


def test_events_arriving_together_are_each_answered_for_themselves(
    inbox: SqlEventInbox, sessions: sessionmaker[Session]
) -> None:
    # 40 new events from 8 customers, each delivered twice (Slack's retry racing the first)
    deliveries = [f"Ev{n}" for n in range(40)] * 2

    def deliver(event_id: str) -> tuple[str, bool]:
        return event_id, store(inbox, event_id, user=f"U{int(event_id[2:]) % 8}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(deliver, deliveries))
    stored_now = Counter(event_id for event_id, stored in outcomes if stored)
    assert stored_now == Counter({f"Ev{n}": 1 for n in range(40)})  # exactly one delivery each
    assert sorted(stored_ids(sessions)) == sorted(f"Ev{n}" for n in range(40))


def test_an_event_that_cannot_be_stored_costs_only_its_own_ack(
    engine: Engine, inbox: SqlEventInbox, sessions: sessionmaker[Session]
) -> None:
    # the lock is released (inner) before the pool waits for its requests (outer)
    with ThreadPoolExecutor(max_workers=8) as pool, hold_writes(engine):
        # the first write waits behind the held lock; the rest gather into one batch
        first = pool.submit(store, inbox, "Ev-first", user="U0")
        wait_until_writing(inbox)
        good = [pool.submit(store, inbox, f"Ev-good-{n}", user=f"U{n}") for n in range(5)]
        bad = pool.submit(store, inbox, "Ev-bad", user="U9", text=object())
        wait_until_waiting(inbox, count=6)
    assert first.result(timeout=30)
    assert all(future.result(timeout=30) for future in good)
    with pytest.raises(Exception, match="JSON serializable"):
        bad.result(timeout=30)
    assert sorted(stored_ids(sessions)) == sorted(["Ev-first", *(f"Ev-good-{n}" for n in range(5))])


def test_a_retry_written_in_the_same_batch_as_its_first_delivery_is_stored_once(
    engine: Engine, inbox: SqlEventInbox, sessions: sessionmaker[Session]
) -> None:
    # the lock is released (inner) before the pool waits for its requests (outer)
    with ThreadPoolExecutor(max_workers=4) as pool, hold_writes(engine):
        first = pool.submit(store, inbox, "Ev-first", user="U0")
        wait_until_writing(inbox)
        deliveries = [pool.submit(store, inbox, "Ev-twice", user="U5") for _ in range(2)]
        wait_until_waiting(inbox, count=2)
    assert first.result(timeout=30)
    assert sorted(d.result(timeout=30) for d in deliveries) == [False, True]
    assert sorted(stored_ids(sessions)) == ["Ev-first", "Ev-twice"]


def test_an_event_arriving_once_the_process_is_stopping_is_refused_at_once(
    inbox: SqlEventInbox, sessions: sessionmaker[Session]
) -> None:
    assert store(inbox, "Ev-before")
    inbox.close()
    started = time.monotonic()
    with pytest.raises(InboxClosed):
        store(inbox, "Ev-after")  # no ack: Slack delivers it again, to a running process
    assert time.monotonic() - started < 5
    assert stored_ids(sessions) == ["Ev-before"]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no connection to lose
def test_a_connection_that_died_in_the_pool_costs_no_ack(
    backend: str, engine: Engine, inbox: SqlEventInbox, sessions: sessionmaker[Session]
) -> None:
    assert store(inbox, "Ev-before")
    with engine.connect() as admin:  # the database restarts: every other session is ended
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert store(inbox, "Ev-after")
    assert sorted(stored_ids(sessions)) == ["Ev-after", "Ev-before"]


class hold_writes:
    """Another transaction holds what the inbox's writer needs: SQLite's write lock, or on
    PostgreSQL the advisory lock of user U0's conversation."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        if self.engine.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended('T1/DU0//U0', 0))")
            )
        else:
            self.connection.execute(text("DELETE FROM inbox WHERE 1 = 0"))  # takes the lock

    def __exit__(self, *exc: object) -> None:
        self.transaction.rollback()
        self.connection.close()


def wait_until_writing(inbox: SqlEventInbox) -> None:
    """Until the writer has taken the one event waiting (and is held by the lock)."""
    wait_until_waiting(inbox, count=0)
    time.sleep(0.5)  # taken off the queue is not yet inside the write: leave it time


def wait_until_waiting(inbox: SqlEventInbox, *, count: int) -> None:
    """Until `count` events wait behind the writer's current write."""
    deadline = time.monotonic() + 10
    while inbox.waiting() != count:
        assert time.monotonic() < deadline, f"{inbox.waiting()} waiting, not {count}"
        time.sleep(0.01)

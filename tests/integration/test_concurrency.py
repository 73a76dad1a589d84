"""Concurrency with real threads, each on its own connection, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.handoff import Handoff

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
T = TypeVar("T")


def all_at_once(count: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run `work` in `count` threads released together by a barrier."""
    barrier = threading.Barrier(count, timeout=30)
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(work, i, barrier) for i in range(count)]
        return [f.result(timeout=120) for f in futures]


def open_handoff(sessions: sessionmaker[Session]) -> int:
    with SqlUnitOfWork(sessions) as uow:
        conversation = uow.conversations.get_or_create(
            ConversationKey("slack", "T1", "D1", "U1"), now=NOW
        )
        handoff_id = uow.handoffs.open(
            conversation.id,
            Handoff("C-1", "explicit_request", "Asked for a person.", "Take over.", (), None, "s"),
            now=NOW,
            decision_id=None,
        )
        uow.commit()
    return handoff_id


def test_two_agents_claiming_at_once_exactly_one_wins(sessions: sessionmaker[Session]) -> None:
    handoff_id = open_handoff(sessions)

    def claim(i: int, barrier: threading.Barrier) -> tuple[bool, str | None]:
        with SqlUnitOfWork(sessions) as uow:
            barrier.wait()
            result = uow.handoffs.claim(handoff_id, agent_id=f"U-AGENT-{i}", now=NOW)
            uow.commit()
        return result.won, result.holder

    results = all_at_once(2, claim)
    winners = [holder for won, holder in results if won]
    assert len(winners) == 1
    # The loser is told who has it.
    assert {holder for _, holder in results} == {winners[0]}


def test_one_event_id_inserted_from_two_connections_at_once(
    sessions: sessionmaker[Session],
) -> None:
    def insert(i: int, barrier: threading.Barrier) -> bool:
        with SqlUnitOfWork(sessions) as uow:
            barrier.wait()
            inserted = uow.inbox.add("Ev-SAME", {"n": i}, now=NOW)
            uow.commit()
        return inserted

    assert sorted(all_at_once(2, insert)) == [False, True]
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.counts() == {"pending": 1}


def drain(
    sessions: sessionmaker[Session],
    claim: Callable[[SqlUnitOfWork, str], list[int]],
    finish: Callable[[SqlUnitOfWork, int, str], bool],
    workers: int,
) -> Counter[int]:
    done: Counter[int] = Counter()
    lock = threading.Lock()

    def work(i: int, barrier: threading.Barrier) -> None:
        name = f"worker-{i}"
        barrier.wait()
        while True:
            with SqlUnitOfWork(sessions) as uow:
                ids = claim(uow, name)
                uow.commit()
            if not ids:
                return
            for item_id in ids:
                with SqlUnitOfWork(sessions) as uow:
                    assert finish(uow, item_id, name)
                    uow.commit()
                with lock:
                    done[item_id] += 1

    all_at_once(workers, work)
    return done


def test_workers_draining_one_inbox_do_every_event_once(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions) as uow:
        for n in range(120):
            uow.inbox.add(f"Ev{n}", {"n": n}, now=NOW, conversation_key=f"conv-{n % 7}")
        uow.commit()
    done = drain(
        sessions,
        lambda uow, w: [i.id for i in uow.inbox.claim(worker=w, now=NOW, lease=LEASE, limit=5)],
        lambda uow, item_id, w: uow.inbox.complete(item_id, worker=w, now=NOW),
        workers=4,
    )
    assert len(done) == 120
    assert set(done.values()) == {1}
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.counts() == {"done": 120}


def test_workers_draining_one_outbox_send_every_message_once(
    sessions: sessionmaker[Session],
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        for n in range(120):
            uow.outbox.enqueue("message", {"n": n}, now=NOW)
        uow.commit()
    done = drain(
        sessions,
        lambda uow, w: [
            i.id for i in uow.outbox.claim_due(worker=w, now=NOW, lease=LEASE, limit=5)
        ],
        lambda uow, item_id, w: uow.outbox.mark_sent(item_id, worker=w, now=NOW),
        workers=4,
    )
    assert len(done) == 120
    assert set(done.values()) == {1}


def test_a_claim_held_by_a_dead_worker_is_taken_again_after_it_expires(
    sessions: sessionmaker[Session],
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.inbox.add("Ev-orphan", {}, now=NOW)
        uow.outbox.enqueue("card", {}, now=NOW)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:  # the worker that will "die"
        (event,) = uow.inbox.claim(worker="dead", now=NOW, lease=LEASE)
        (card,) = uow.outbox.claim_due(worker="dead", now=NOW, lease=LEASE)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.claim(worker="alive", now=NOW + LEASE / 2, lease=LEASE) == []
        assert uow.outbox.claim_due(worker="alive", now=NOW + LEASE / 2, lease=LEASE) == []
    later = NOW + LEASE + timedelta(seconds=1)
    with SqlUnitOfWork(sessions) as uow:
        (again,) = uow.inbox.claim(worker="alive", now=later, lease=LEASE)
        (card_again,) = uow.outbox.claim_due(worker="alive", now=later, lease=LEASE)
        uow.commit()
    assert (again.id, again.attempts) == (event.id, 2)
    assert (card_again.id, card_again.attempts) == (card.id, 2)
    with SqlUnitOfWork(sessions) as uow:
        # The dead worker waking up late cannot overwrite the new holder's work.
        assert not uow.inbox.complete(event.id, worker="dead", now=later)
        assert not uow.outbox.mark_sent(card.id, worker="dead", now=later)
        assert uow.inbox.complete(event.id, worker="alive", now=later)
        assert uow.outbox.mark_sent(card.id, worker="alive", now=later)
        uow.commit()


def test_turns_of_one_conversation_are_serialised_by_its_row_lock(
    sessions: sessionmaker[Session],
) -> None:
    key = ConversationKey("slack", "T1", "D1", "U1")
    with SqlUnitOfWork(sessions) as uow:
        conversation_id = uow.conversations.get_or_create(key, now=NOW).id
        uow.commit()

    def one_turn(i: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        with SqlUnitOfWork(sessions) as uow:
            uow.conversations.lock(conversation_id)
            loaded = uow.conversations.load_state(conversation_id)
            state = loaded.state
            turned = type(state)(turn=state.turn + 1, identifiers=state.identifiers)
            uow.conversations.add_message(
                conversation_id, speaker="customer", text=f"t{i}", now=NOW
            )
            uow.conversations.save_state(conversation_id, turned, version=loaded.version, now=NOW)
            uow.commit()

    all_at_once(6, one_turn)
    with SqlUnitOfWork(sessions) as uow:
        assert uow.conversations.load_state(conversation_id).state.turn == 6
        assert len(uow.conversations.history(conversation_id)) == 6

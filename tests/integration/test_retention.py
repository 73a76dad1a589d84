"""Retention on SQLite and PostgreSQL: old handled events and sent posts go; failed events,
held posts and anything recent stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workers.retention import RetentionSweeper
from db.uow import SqlUnitOfWork

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=2)


def add_event(uow: SqlUnitOfWork, name: str, *, at: datetime, fail: bool = False) -> None:
    uow.inbox.add(name, {"event": {"text": name}}, now=at, conversation_key=name)
    (item,) = uow.inbox.claim(worker="w", now=at, lease=timedelta(minutes=1))
    if fail:
        uow.inbox.fail(item.id, worker="w", now=at, error="broken")
    else:
        uow.inbox.complete(item.id, worker="w", now=at)


def add_post(uow: SqlUnitOfWork, text: str, *, at: datetime, hold: bool = False) -> None:
    uow.outbox.enqueue("reply", {"channel": f"D-{text}", "text": text}, now=at)
    (item,) = uow.outbox.claim_due(worker="w", now=at, lease=timedelta(minutes=1))
    if hold:
        uow.outbox.hold(item.id, worker="w", error="gave up: not_in_channel")
    else:
        uow.outbox.mark_sent(item.id, worker="w", now=at)


def test_only_old_handled_events_and_sent_posts_are_deleted(
    sessions: sessionmaker[Session],
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        add_event(uow, "old-done", at=OLD)
        add_event(uow, "old-failed", at=OLD, fail=True)
        add_event(uow, "recent-done", at=RECENT)
        add_post(uow, "old-sent", at=OLD)
        add_post(uow, "old-held", at=OLD, hold=True)
        add_post(uow, "recent-sent", at=RECENT)
        uow.pacing.rest("C-OLD", until=OLD)
        uow.pacing.rest("C-NOW", until=NOW + timedelta(seconds=30))
        uow.commit()
    sweeper = RetentionSweeper(sessions=sessions, clock=lambda: NOW, keep=timedelta(days=30))
    assert sweeper.sweep() == {"events": 1, "posts": 1, "channel rests": 1}
    with SqlUnitOfWork(sessions) as uow:
        assert uow.inbox.counts() == {"done": 1, "failed": 1}
        assert uow.outbox.counts() == {"sent": 1, "held": 1}
        assert uow.outbox.held() == [("reply", "gave up: not_in_channel")]
        assert list(uow.pacing.resting(now=NOW)) == ["C-NOW"]
    assert sweeper.sweep() == {"events": 0, "posts": 0, "channel rests": 0}

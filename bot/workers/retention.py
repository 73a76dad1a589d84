"""Retention: handled events and sent posts are deleted once they are older than the setting,
so the inbox and outbox stay small; failed events and held posts are kept for the admins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workers.loop import Worker, worker_name
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(hours=1)


class RetentionSweeper(Worker):
    """Deletes what is past retention, once an hour (every process may run one: deletes of
    the same old rows by two processes do no harm)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        keep: timedelta,
        interval: float = SWEEP_EVERY.total_seconds(),
    ) -> None:
        super().__init__(name=worker_name("retention"), interval=interval)
        self.sessions = sessions
        self.clock = clock
        self.keep = keep

    def work_once(self) -> int:
        self.sweep()
        return 0  # then wait a whole interval

    def sweep(self) -> dict[str, int]:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            purged = {
                "events": uow.inbox.purge(before=now - self.keep),
                "posts": uow.outbox.purge(before=now - self.keep),
                "channel rests": uow.pacing.purge(now=now),
            }
            uow.commit()
        if any(purged.values()):
            log.info("retention: deleted %s", purged)
        return purged

"""The demo shop kept in the bot's own database: the embedded default for the console, `eval`
and `make demo`, and for `serve` only when asked (`SHOP=demo`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.shop.port import ActionDone
from db.store import SqlShop
from escalation.matching import CustomerCandidate
from escalation.records import Effect, Order


class DatabaseShop:
    """A `Shop` over the store's tables; each action in its own short transaction, each read
    on `reads` (sessions without a transaction of their own, where the database has them)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        reads: sessionmaker[Session] | None = None,
    ) -> None:
        self._sessions = sessions
        self._reads = reads or sessions
        self._clock = clock

    @contextmanager
    def _shop(self) -> Iterator[SqlShop]:
        with self._reads() as session:
            yield SqlShop(session)

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        with self._shop() as shop:
            return shop.search_customers(query)

    def candidate(self, customer_id: str) -> CustomerCandidate:
        with self._shop() as shop:
            return shop.candidate(customer_id)

    def order(self, number: str) -> Order | None:
        with self._shop() as shop:
            return shop.order(number, now=self._clock())

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        for _ in range(2):  # a concurrent first call with the same key wins; read what it did
            with self._sessions() as session:
                try:
                    done, at, before = SqlShop(session).carry_out(
                        effect, idempotency_key=idempotency_key, now=self._clock()
                    )
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    continue
                return ActionDone(done, at=at, before=before)
        raise RuntimeError(f"action {idempotency_key!r} could not be stored")

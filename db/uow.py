"""One unit of work = one transaction: everything a turn writes commits together or not at all."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from db.desk import SqlDesk
from db.overview import SqlDeskOverview
from db.repositories import (
    SqlChannelPacing,
    SqlConversationStore,
    SqlHandoffStore,
    SqlInbox,
    SqlOutbox,
    SqlStats,
    SqlWorkspaceSettings,
)
from db.store import SqlPolicyBooks, SqlShop, SqlWorkspaceShops


class SqlUnitOfWork:
    """`with SqlUnitOfWork(factory) as uow: ...; uow.commit()`; no commit means rollback."""

    session: Session
    conversations: SqlConversationStore
    handoffs: SqlHandoffStore
    inbox: SqlInbox
    outbox: SqlOutbox
    pacing: SqlChannelPacing
    workspaces: SqlWorkspaceSettings
    shop: SqlShop
    policy_books: SqlPolicyBooks
    shops: SqlWorkspaceShops
    stats: SqlStats
    overview: SqlDeskOverview

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        """`read_only`: the caller only reads (on PostgreSQL the transaction is READ ONLY), and
        it ends in COMMIT, not ROLLBACK: psycopg discards a connection's prepared statements at
        every ROLLBACK, and a worker's hot reads would prepare them again and again."""
        self._factory = session_factory
        self._read_only = read_only

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        if self._read_only and self.session.get_bind().dialect.name == "postgresql":
            # the promise kept by the database: a write in here fails (BEGIN READ ONLY)
            self.session.connection(execution_options={"postgresql_readonly": True})
        self.conversations = SqlConversationStore(self.session)
        self.handoffs = SqlHandoffStore(self.session)
        self.inbox = SqlInbox(self.session)
        self.outbox = SqlOutbox(self.session)
        self.pacing = SqlChannelPacing(self.session)
        self.workspaces = SqlWorkspaceSettings(self.session)
        self.shop = SqlShop(self.session)
        self.policy_books = SqlPolicyBooks(self.session)
        self.shops = SqlWorkspaceShops(self.session)
        self.stats = SqlStats(self.session)
        self.desk = SqlDesk(self.session)
        self.overview = SqlDeskOverview(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and leaves loaded values readable.
        if self._read_only and exc_type is None:
            self.session.commit()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

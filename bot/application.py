"""The composition root of the running product: database, agent, Slack app, workers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.admin import AdminCommands
from bot.agents import needs
from bot.agents.base import Agent
from bot.composition import build_agent
from bot.desk import HandoffDesk
from bot.policies import book_from_document, default_policy_document
from bot.settings import Settings
from bot.shop import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.slack_events import conversation_key_text
from bot.turns import TurnProcessor
from bot.workers import InboxWorker, OutboxDrainer
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.uow import SqlUnitOfWork
from escalation.policy import PolicyBook
from handlers import actions, admin, messages
from handlers.middleware import IgnoreNonPersonMessages, LogRequests

log = logging.getLogger(__name__)
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def utcnow() -> datetime:
    return datetime.now(UTC)


class SqlEventInbox:
    """The listener's side of the inbox: store the event (a retry inserts nothing), wake."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.wake = wake

    def store(self, body: dict[str, Any]) -> bool:
        event = body.get("event") or {}
        event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        with SqlUnitOfWork(self.sessions) as uow:
            stored = uow.inbox.add(
                str(event_id),
                body,
                now=self.clock(),
                workspace_id=body.get("team_id"),
                conversation_key=conversation_key_text(body),
            )
            uow.commit()
        if stored:
            self.wake()
        return stored


@dataclass
class Product:
    app: App
    client: WebClient
    engine: Engine
    sessions: sessionmaker[Session]
    processor: TurnProcessor
    inbox_workers: list[InboxWorker]
    drainer: OutboxDrainer

    @property
    def inbox_worker(self) -> InboxWorker:
        return self.inbox_workers[0]

    def wake_inbox(self) -> None:
        for worker in self.inbox_workers:
            worker.wake()

    def start_workers(self) -> None:
        needs.load()  # the first customer's turn should not pay for it
        for worker in self.inbox_workers:
            worker.start()
        self.drainer.start()

    def stop(self) -> None:
        for worker in self.inbox_workers:
            worker.stop()
        self.drainer.stop()
        self.engine.dispose()


def build_product(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    agent: Agent | None = None,
    token_verification: bool = True,
    worker_interval: float = 1.0,
    inbox_workers: int = 4,
) -> Product:
    """Everything the bot runs, wired once; tests pass a clock or an agent of their own."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    book = active_policy_book(sessions, clock=clock)
    seed_demo_store_if_empty(sessions)
    processor = TurnProcessor(
        sessions=sessions,
        agent=agent or build_agent(settings, book),
        book=book,
        clock=clock,
    )
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_SLACK_API_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )
    drainer = OutboxDrainer(sessions=sessions, client=client, clock=clock, interval=worker_interval)
    # Several turns run at once (a model call mostly waits); each conversation's turns still
    # run one at a time and in order (the inbox claims one event per conversation).
    workers = [
        InboxWorker(
            sessions=sessions,
            processor=processor,
            clock=clock,
            on_output=drainer.wake,
            interval=worker_interval,
        )
        for _ in range(max(1, inbox_workers))
    ]
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        process_before_response=True,  # the inbox row is written before Slack gets its ack
        token_verification_enabled=token_verification,
    )
    app.use(LogRequests())
    app.use(IgnoreNonPersonMessages())
    product = Product(app, client, engine, sessions, processor, workers, drainer)
    inbox = SqlEventInbox(sessions=sessions, clock=clock, wake=product.wake_inbox)
    messages.register(app, inbox=inbox)
    actions.register(app, desk=HandoffDesk(sessions=sessions, clock=clock))
    admin.register(
        app, admin=AdminCommands(sessions=sessions, book=book, processor=processor, clock=clock)
    )
    return product


def seed_demo_store_if_empty(sessions: sessionmaker[Session]) -> None:
    """A fresh database gets the demo shop's customers and orders, so the bot has a store."""
    with SqlUnitOfWork(sessions) as uow:
        if uow.shop.has_customers():
            return
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS)
        uow.commit()
    log.info("empty store: loaded the demo shop's customers and orders")


def active_policy_book(
    sessions: sessionmaker[Session], *, clock: Callable[[], datetime]
) -> PolicyBook:
    """The book kept in the database; the shipped default is installed on first start."""
    with SqlUnitOfWork(sessions) as uow:
        document = uow.policy_books.active_document()
        if document is None:
            document = default_policy_document()
            uow.policy_books.install(str(document.get("name", "default")), document, now=clock())
            uow.commit()
    return book_from_document(document, source="the policy book in the database")

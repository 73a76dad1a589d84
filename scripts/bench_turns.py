"""Benchmark: where a turn's time goes, and turns per second per worker process. Figures only.

The product as `escalation-bot worker` builds it (offline agent, demo shop), on a SQLite file
and on PostgreSQL. Customers' messages are stored first (a third ask for a person, the rest ask
about an order), then taken:

1. one inbox thread, measured: per turn, the database (statements, transactions, time from
   SQLAlchemy's cursor events), the agent (its own time), stage 1 (the detector and the
   screening) and the rest (the engine's decision, the ORM, the turn's own code);
2. the worker process as it runs (4 inbox threads): turns per second.

    .venv/bin/python scripts/bench_turns.py [--turns 300]
                                            [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_front import fresh_postgres
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.agents import needs
from bot.agents.base import Agent, AgentTurn
from bot.composition import Product, build_product
from bot.settings import Settings
from bot.turns.tools import ToolBox
from db.uow import SqlUnitOfWork
from escalation.engine import screen_message
from escalation.handoff import Utterance
from escalation.state import ConversationState

ASKS_ABOUT_AN_ORDER = "where is order 1043? j.smith@example.com"
ASKS_FOR_A_PERSON = "I want to talk to a person please"


@dataclass
class Clock:
    """Seconds spent, and how often."""

    seconds: float = 0.0
    count: int = 0

    def add(self, seconds: float) -> None:
        self.seconds += seconds
        self.count += 1


class DatabaseClock:
    """Statements and transactions of one engine, and the time spent waiting on them."""

    def __init__(self, engine: Engine) -> None:
        self.statements = Clock()
        self.commits = 0
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)

    def _before(self, conn: Any, cursor: Any, *args: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, *args: Any) -> None:
        self.statements.add(time.perf_counter() - self._started.pop(id(cursor)))

    def _commit(self, conn: Any) -> None:
        self.commits += 1


class TimedAgent:
    """The product's agent, timed."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.name = agent.name
        self.clock = Clock()

    def take_turn(self, *, text: str, history: Sequence[Utterance], tools: ToolBox) -> AgentTurn:
        started = time.perf_counter()
        try:
            return self.agent.take_turn(text=text, history=history, tools=tools)
        finally:
            self.clock.add(time.perf_counter() - started)


def time_stage_one(texts: Sequence[str], rounds: int = 20) -> float:
    """Seconds per message of stage 1 (detector, identifiers, screening), a pure function."""
    state = ConversationState()
    started = time.perf_counter()
    for _ in range(rounds):
        for message in texts:
            screen_message(state, message, history=(Utterance("customer", message),))
    return (time.perf_counter() - started) / (rounds * len(texts))


def customers_text(n: int) -> str:
    return ASKS_FOR_A_PERSON if n % 3 == 0 else ASKS_ABOUT_AN_ORDER


def settings_for(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # never called: the drainers are not started
        SHOP="demo",
        TURN_SETTLE_SECONDS=0,
    )


def store_messages(product: Product, turns: int) -> None:
    inbox = product.event_inbox
    assert inbox is not None
    run = uuid.uuid4().hex[:6]
    for n in range(turns):
        user = f"U{run}{n}"
        body = {
            "team_id": "T1",
            "event_id": f"Ev{run}{n}",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": customers_text(n),
                "ts": f"{1733390000 + n}.000100",
            },
        }
        inbox.store(
            event_id=body["event_id"],
            payload=body,
            workspace_id="T1",
            conversation_key=f"T1/D{user}//{user}",
            event_ts=body["event"]["ts"],
        )


def pending(product: Product) -> int:
    with SqlUnitOfWork(product.sessions) as uow:
        return int(
            uow.session.execute(
                text("SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')")
            ).scalar_one()
        )


def one_thread(database_url: str, turns: int) -> str:
    product = build_product(settings_for(database_url), token_verification=False)
    needs.load()  # as a worker does before its first turn
    try:
        agent = TimedAgent(product.processor.agent)
        product.processor.agent = agent
        database = DatabaseClock(product.engine)
        store_messages(product, turns)
        database.statements, database.commits = Clock(), 0  # the turns only
        worker = product.inbox_worker
        started = time.perf_counter()
        done = worker.run_until_idle(limit=turns * 2)
        took = time.perf_counter() - started
        if done != turns or pending(product):
            raise RuntimeError(f"{done} of {turns} turns taken, {pending(product)} left")
    finally:
        product.stop()
    per_turn = took / turns * 1000
    db_ms = database.statements.seconds / turns * 1000
    agent_ms = agent.clock.seconds / turns * 1000
    stage_one_ms = time_stage_one([customers_text(n) for n in range(3)]) * 1000
    rest_ms = per_turn - db_ms - agent_ms - stage_one_ms
    return (
        f"{turns / took:6.1f} turns/s on one thread; per turn {per_turn:5.2f} ms: "
        f"database {db_ms:5.2f} ms ({database.statements.count / turns:4.1f} statements, "
        f"{database.commits / turns:3.1f} commits), agent {agent_ms:5.2f} ms, "
        f"stage 1 {stage_one_ms:5.2f} ms, engine+ORM+rest {rest_ms:5.2f} ms"
    )


def worker_process(database_url: str, turns: int) -> str:
    product = build_product(settings_for(database_url), token_verification=False)
    needs.load()
    try:
        store_messages(product, turns)
        started = time.perf_counter()
        for worker in product.inbox_workers:
            worker.start()
        product.wake_inbox()
        while pending(product):
            time.sleep(0.05)
        took = time.perf_counter() - started
    finally:
        product.stop()
    threads = len(product.inbox_workers)
    return f"{turns / took:6.1f} turns/s per worker process ({threads} inbox threads)"


def reachable(admin_url: str) -> bool:
    admin = create_engine(admin_url)
    try:
        with admin.connect():
            return True
    except OperationalError:
        return False
    finally:
        admin.dispose()


@contextmanager
def fresh_database(kind: str, admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with fresh_postgres(admin_url) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and not reachable(args.postgres):
            print(f"turns  postgresql unreachable at {make_url(args.postgres)!r}: not measured")
            continue
        with fresh_database(kind, args.postgres) as url:
            print(f"turns  {kind:10s} {one_thread(url, args.turns)}", flush=True)
        with fresh_database(kind, args.postgres) as url:
            print(f"turns  {kind:10s} {worker_process(url, args.turns)}", flush=True)


if __name__ == "__main__":
    main()

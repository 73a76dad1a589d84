"""Benchmark: turns persisted per second on SQLite and PostgreSQL, 1 and 4 worker processes.

A turn is what the bot writes for one customer message, in one transaction: the inbox row,
the conversation's row lock, its state (load, stage 1 and 2, save), both messages, the audit
row and an outbox row for the reply. Figures only; nothing is asserted.

    .venv/bin/python scripts/bench_persistence.py [--turns N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.engine import Proposal, decide, screen_message

MESSAGES = ["my order 1042 arrived broken", "where is order 1043?", "thanks, that works"]


def run_worker(url: str, worker: int, turns: int, start: multiprocessing.synchronize.Event) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start.wait()
    for n in range(turns):
        now = datetime.now(UTC)
        key = ConversationKey("slack", "T1", f"D{worker}-{n % 25}", f"U{worker}-{n % 25}")
        text_in = MESSAGES[n % len(MESSAGES)]
        with SqlUnitOfWork(sessions) as uow:
            uow.inbox.add(f"Ev-{worker}-{n}", {"text": text_in}, now=now)
            conversation = uow.conversations.get_or_create(key, now=now)
            uow.conversations.lock(conversation.id)
            loaded = uow.conversations.load_state(conversation.id)
            uow.conversations.add_message(
                conversation.id, speaker="customer", text=text_in, now=now
            )
            screening = screen_message(loaded.state, text_in)
            ruling = decide(screening.state, Proposal(action="resolve", reply="Done."))
            uow.conversations.save_state(
                conversation.id, ruling.state, version=loaded.version, now=now
            )
            uow.conversations.record_decision(
                conversation.id, turn=ruling.state.turn, decision=ruling.decision, now=now
            )
            uow.conversations.add_message(conversation.id, speaker="bot", text="Done.", now=now)
            uow.outbox.enqueue(
                "message",
                {"text": "Done."},
                now=now,
                conversation_id=conversation.id,
                workspace_id=key.workspace_id,  # as the product's call sites: no derivation
            )
            uow.commit()
    engine.dispose()


def measure(label: str, url: str, workers: int, turns: int) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [
        context.Process(target=run_worker, args=(url, w, turns, start)) for w in range(workers)
    ]
    for p in processes:
        p.start()
    time.sleep(1.0)  # let every process import and connect before the clock starts
    began = time.perf_counter()
    start.set()
    for p in processes:
        p.join()
    elapsed = time.perf_counter() - began
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    total = workers * turns
    status = f"  ({len(failed)} worker(s) failed)" if failed else ""
    print(
        f"{label:<12} workers={workers}  turns={total:>5}  {total / elapsed:8.1f} turns/s{status}"
    )


def fresh_sqlite(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"escbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, name


def drop_postgres(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=400, help="turns per worker")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for workers in (1, 4):
            url = fresh_sqlite(Path(directory), f"bench-{workers}.db")
            measure("sqlite", url, workers, args.turns)
    for workers in (1, 4):
        url, name = fresh_postgres(args.postgres)
        try:
            measure("postgresql", url, workers, args.turns)
        finally:
            drop_postgres(args.postgres, name)


if __name__ == "__main__":
    main()

"""Benchmark: one busy workspace against a quiet one, through the outbox drainers, the pacer and
the loopback Slack, on SQLite (or PostgreSQL with --postgres URL).

T1 has --busy replies queued at once, each to its own customer (a lane each); T2 writes one
reply every --every seconds while T1 is saturated. Printed: posts per second per workspace,
T2's latency (queued -> Slack took it: median, 95th percentile, worst), and T1's most posts
in any second. With --no-pacing the same run without the pacer (the loopback never answers
429, so T1 posts as fast as the drainers go and T2 waits behind T1's backlog). Figures only.

    .venv/bin/python scripts/bench_pacing.py [--busy N] [--seconds S] [--every S]
        [--drainers N] [--no-pacing] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import LocalSlackWebAPI
from bot.workers.outbox import OutboxDrainer
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.uow import SqlUnitOfWork
from handlers.slack.clients import SlackClients, WorkspaceSenders
from handlers.slack.pacing import SlackPacer


class Tokens:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def bot_token(self, workspace_id: str | None) -> str:
        return self.tokens[workspace_id or ""]


def on_postgres(url: str, statement: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def fresh_postgres(url: str) -> str:
    name = f"bench_pacing_{int(time.time())}"
    on_postgres(url, f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--drainers", type=int, default=3)
    parser.add_argument("--no-pacing", action="store_true")
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()

    folder = tempfile.mkdtemp()
    url = fresh_postgres(args.postgres) if args.postgres else f"sqlite:///{Path(folder) / 'b.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)

    slack = LocalSlackWebAPI().start()
    try:
        posted, queued, started, elapsed = drive(args, sessions, slack)
    finally:
        slack.stop()
    report(args, url, posted, queued, started=started, elapsed=elapsed)
    engine.dispose()
    if args.postgres:  # the database made for this run goes with it
        on_postgres(args.postgres, f'DROP DATABASE "{make_url(url).database}"')


def drive(
    args: argparse.Namespace, sessions: sessionmaker[Session], slack: LocalSlackWebAPI
) -> tuple[dict[str, float], dict[str, float], float, float]:
    """T1's backlog queued, T2's replies trickling in while the drainers run: when Slack took
    each post, when each of T2's was queued, the start and the run's length."""
    tokens = Tokens({team: slack.install_team(team, f"UBOT{team}") for team in ("T1", "T2")})
    posted: dict[str, float] = {}  # text -> when Slack took it
    lock = threading.Lock()

    def seen(method: str, params: dict[str, Any]) -> None:
        if method == "chat.postMessage":
            with lock:
                posted[str(params["text"])] = time.monotonic()

    slack.on_call = seen
    pacer = None if args.no_pacing else SlackPacer()
    senders = WorkspaceSenders(SlackClients(tokens, base_url=slack.url, pacer=pacer))

    def enqueue(workspace: str, names: list[str]) -> None:
        with SqlUnitOfWork(sessions) as uow:
            for name in names:
                uow.outbox.enqueue(
                    "reply",
                    {"channel": f"D{workspace}-{name}", "text": name},
                    now=datetime.now(UTC),
                    workspace_id=workspace,
                )
            uow.commit()

    enqueue("T1", [f"T1-{i}" for i in range(args.busy)])
    drainers = [
        OutboxDrainer(
            sessions=sessions, senders=senders, clock=lambda: datetime.now(UTC), interval=0.02
        )
        for _ in range(args.drainers)
    ]
    started = time.monotonic()
    for drainer in drainers:
        drainer.start()
    queued: dict[str, float] = {}
    n = 0
    while time.monotonic() - started < args.seconds:
        name = f"T2-{n}"
        queued[name] = time.monotonic()
        enqueue("T2", [name])
        for drainer in drainers:
            drainer.wake()
        n += 1
        time.sleep(args.every)
    time.sleep(min(5.0, args.seconds))  # T2's last posts get their chance
    for drainer in drainers:
        drainer.request_stop()
    for drainer in drainers:
        drainer.finish(grace=timedelta(seconds=10))
    elapsed = time.monotonic() - started

    with lock:
        return dict(posted), queued, started, elapsed


def report(
    args: argparse.Namespace,
    url: str,
    posted: dict[str, float],
    queued: dict[str, float],
    *,
    started: float,
    elapsed: float,
) -> None:
    t1 = sorted(t for name, t in posted.items() if name.startswith("T1-"))
    latencies = sorted(posted[name] - at for name, at in queued.items() if name in posted)
    per_second: dict[int, int] = {}
    for t in t1:
        per_second[int(t - started)] = per_second.get(int(t - started), 0) + 1
    mode = "no pacing" if args.no_pacing else "paced"
    print(f"{mode}, {url.split(':', 1)[0]}, {args.drainers} drainers")
    print(
        f"  T1: {len(t1)} of {args.busy} posted in {elapsed:.1f}s ({len(t1) / elapsed:.1f}/s), "
        f"most in one second: {max(per_second.values(), default=0)}"
    )
    print(f"  T2: {len(latencies)} of {len(queued)} posted ({len(latencies) / elapsed:.1f}/s)")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        median = statistics.median(latencies)
        print(
            f"  T2 latency while T1 is saturated: median {median * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()

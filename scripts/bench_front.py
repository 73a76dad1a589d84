"""Benchmark: the front only acks, the workers take the turns (issue 13). Figures only.

1. Acks: signed message events at 16 concurrent conversations, against a bare Bolt app whose
   listener does nothing (waitress, as many threads as `serve`: HTTP_THREADS) and against
   `escalation-bot serve --workers 2` on PostgreSQL: its front alone (workers paused), then
   while its workers answer every event: acks per second, p50, slowest, non-200s.
2. Turns end to end: `serve --workers 1` and `--workers 2` on PostgreSQL, 300 customers writing
   16 at a time: turns per second from the first message to the last reply, replies per
   customer.

Every serve is measured once its workers have started (a deployed service is warm).

    .venv/bin/python scripts/bench_front.py [--events 600] [--customers 300]
                                            [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.console.local_slack import LocalSlackWebAPI
from bot.settings import Settings
from tests.integration.mock_slack import SlackSender
from tests.serve_harness import (
    ASKS_ABOUT_AN_ORDER,
    SECRET,
    Customers,
    ServeProcess,
    children_of,
    configure_agents_channel,
    dm_event,
    free_port,
    loopback_slack,
    serve_env,
    wait_for,
    writing,
)

CONCURRENCY = 16
SERVE_THREADS = int(Settings.model_fields["http_threads"].default)  # the bare app's, too


def run_bare_app(port: int, slack_url: str) -> None:
    """A Bolt app that acks and does nothing else (run in a child process); its one Web API
    call (auth.test, as every Bolt app makes) goes to the loopback Slack, as serve's do."""
    client = WebClient(token="xoxb-bare", base_url=slack_url)
    app = App(signing_secret=SECRET, client=client, token_verification_enabled=False)
    app.event("message")(lambda: None)
    waitress.serve(SlackRequestHandler(app), host="127.0.0.1", port=port, threads=SERVE_THREADS)


@contextmanager
def bare_app() -> Iterator[tuple[str, int]]:
    port = free_port()
    slack = loopback_slack().start()
    process = subprocess.Popen(
        [sys.executable, __file__, "--bare", str(port), "--slack-url", slack.url]
    )
    try:
        wait_until_listening(port)
        yield f"http://127.0.0.1:{port}/slack/events", process.pid
    finally:
        process.terminate()
        process.wait()
        slack.stop()


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("did not start")


def ack_figures(endpoint: str, events: int, server: int) -> str:
    """Acks per second of the app at `endpoint`, and its process's CPU per ack."""
    sender = SlackSender(endpoint, SECRET)
    run = uuid.uuid4().hex[:6]

    def one(n: int) -> tuple[int, float]:
        user = f"U{run}{n % CONCURRENCY:02d}"
        event = dm_event(user, ASKS_ABOUT_AN_ORDER, f"{1733390000 + n}.000100")
        started = time.perf_counter()
        status = sender.event(event, event_id=f"Ev{run}-{n}")
        return status, time.perf_counter() - started

    cpu_before = cpu_seconds(server)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        results = list(pool.map(one, range(events)))
    took = time.perf_counter() - started
    cpu_per_ack = (cpu_seconds(server) - cpu_before) * 1000 / events
    times = sorted(t for _, t in results)
    bad = sum(1 for status, _ in results if status != 200)
    return (
        f"{events / took:6.1f} acks/s, p50 {statistics.median(times) * 1000:5.0f} ms, "
        f"slowest {times[-1] * 1000:5.0f} ms, non-200: {bad}, server CPU {cpu_per_ack:.2f} ms/ack"
    )


def backlog_left(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')")
                ).scalar_one()
            )
    finally:
        engine.dispose()


@contextmanager
def paused(processes: list[int]) -> Iterator[None]:
    """The processes stopped (SIGSTOP) meanwhile, then continued."""
    for pid in processes:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in processes:
            os.kill(pid, signal.SIGCONT)


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serving(
    database_url: str, workers: int, workdir: Path
) -> Iterator[tuple[ServeProcess, LocalSlackWebAPI]]:
    slack = loopback_slack().start()
    with serve_process(database_url, workers, workdir, slack.url) as serve:
        try:
            yield serve, slack
        finally:
            slack.stop()


@contextmanager
def serve_process(
    database_url: str, workers: int, workdir: Path, slack_url: str
) -> Iterator[ServeProcess]:
    env = serve_env(slack_url=slack_url, database_url=database_url)
    serve = ServeProcess(env, workdir, args=("--workers", str(workers)))
    try:
        serve.start()
        serve.wait_until_taking_turns(workers)
        yield serve
    finally:
        serve.stop()


@contextmanager
def slack_elsewhere() -> Iterator[str]:
    """A loopback Slack in a process of its own: the workers' posts to it must not take this
    process's interpreter from the client whose acks are timed (Slack is elsewhere, too)."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--slack-only"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait()


def run_slack_only() -> None:
    slack = loopback_slack().start()
    print(slack.url, flush=True)
    while True:  # until terminated
        time.sleep(3600)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine (all cores, idle and iowait excluded)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def cpu_by_role(serve: ServeProcess) -> dict[str, float]:
    assert serve.process is not None
    front = serve.process.pid
    here = os.times()
    figures = {
        "front": cpu_seconds(front),
        "workers": sum(cpu_seconds(pid) for pid in children_of(front)),
        "postgres": sum(cpu_seconds(pid) for pid in postgres_pids()),
        "customers+slack": here.user + here.system,
    }
    figures["rest of machine"] = machine_busy_seconds() - sum(figures.values())
    return figures


def cpu_line(before: dict[str, float], after: dict[str, float], turns: int) -> str:
    """CPU per turn by role, and the ceilings it puts on turns per second on 2 cores: the
    machine's (every role shares both cores) and, with one worker, that worker's (one core)."""
    spent = {role: (after[role] - before[role]) * 1000 / turns for role in before}
    total = sum(spent.values())
    parts = ", ".join(f"{role} {ms:4.1f}" for role, ms in spent.items())
    return (
        f"CPU ms per turn: {parts}; ceilings: the machine {2000 / total:4.1f} turns/s, "
        f"one worker process {1000 / spent['workers']:4.1f}"
    )


def turns_figures(admin_url: str, workers: int, customers: int, workdir: Path) -> tuple[float, str]:
    with fresh_postgres(admin_url) as url, serving(url, workers, workdir) as (serve, slack):
        configure_agents_channel(serve.endpoint, slack)
        people = Customers(customers)  # every third asks for a person: a reply and a card
        before = cpu_by_role(serve)
        started = time.perf_counter()
        with writing(people, serve.endpoint, threads=CONCURRENCY) as sends:
            assert all(send.result() for send in sends)
        tally, _ = wait_for(slack, people, seconds=600)
        took = time.perf_counter() - started - 2  # wait_for's closing pause
        cpu = cpu_line(before, cpu_by_role(serve), customers)
    return customers / took, (
        f"--workers {workers}: {customers / took:5.1f} turns/s ({took:5.1f} s), "
        f"replies per customer {tally.histogram()}\n    {cpu}"
    )


def acks_measure(args: argparse.Namespace, workdir: Path) -> None:
    with (
        bare_app() as (bare, bare_pid),
        fresh_postgres(args.postgres) as url,
        slack_elsewhere() as slack_url,
        serve_process(url, 2, workdir, slack_url) as serve,
    ):
        assert serve.process is not None
        front = serve.process.pid
        worker_pids = children_of(front)
        lines = [("bare Bolt app, machine idle", ack_figures(bare, args.events, bare_pid))]
        with paused(worker_pids):
            alone = ack_figures(serve.endpoint, args.events, front)
            lines.append(("serve, front alone (workers paused)", alone))
            # a backlog for the workers, so they stay busy through what follows
            ack_figures(serve.endpoint, args.backlog, front)
        waiting = backlog_left(url)
        started = time.perf_counter()
        for round_ in range(1, 4):  # alternately: the load drifts as the backlog drains
            busy = ack_figures(serve.endpoint, args.events, front)
            lines.append((f"serve, workers busy ({round_})", busy))
            busy_bare = ack_figures(bare, args.events, bare_pid)
            lines.append((f"bare Bolt app, same workers busy ({round_})", busy_bare))
        took = time.perf_counter() - started
        still = backlog_left(url)
    for label, figures in lines:
        print(f"acks, 16 concurrent  {label:36s} {figures}")
    taken = waiting + 3 * args.events - still
    print(
        f"(meanwhile the workers took {taken} events, {taken / took:.1f} turns/s, and still had "
        f"{still} to take: busy throughout)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--backlog", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the turns measure")
    parser.add_argument("--turns-only", action="store_true", help="skip the acks measure")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    parser.add_argument("--slack-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        run_bare_app(args.bare, args.slack_url)
        return
    if args.slack_only:
        run_slack_only()
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.turns_only:
            acks_measure(args, workdir)
        ratios = []
        for round_ in range(1, args.rounds + 1):  # alternately: the machine's load drifts
            rates = {}
            for workers in (1, 2):
                rates[workers], figures = turns_figures(
                    args.postgres, workers, args.customers, workdir
                )
                print(f"turns, 16 concurrent ({round_}) {figures}", flush=True)
            ratios.append(rates[2] / rates[1])
        print(
            "turns, --workers 2 / --workers 1: "
            + ", ".join(f"{ratio:.2f}" for ratio in ratios)
            + f" (median {statistics.median(ratios):.2f})"
        )


if __name__ == "__main__":
    main()

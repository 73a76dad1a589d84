"""Turns in worker processes: PostgreSQL wakes them when an event or a post is written (at
commit, not before), and `serve --workers N` keeps N of them running, restarting one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import Fault
from bot.workers.processes import default_worker_count
from bot.workers.settings import WorkspaceSettingsCache
from bot.workers.wakeups import PostgresWakeups
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import SlackSender
from tests.serve_harness import (
    SECRET,
    ServeProcess,
    children_of,
    dm_event,
    free_port,
    loopback_slack,
    serve_env,
)

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no notifications: workers poll
def test_workers_are_woken_when_an_event_or_a_post_is_committed(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    inbox, outbox = threading.Event(), threading.Event()
    wakeups = PostgresWakeups(database_url, on_inbox=inbox.set, on_outbox=outbox.set)
    wakeups.start()
    try:
        assert wakeups.listening.wait(10)
        time.sleep(0.2)
        inbox.clear()
        outbox.clear()  # the wake-up every (re)connection gives
        with SqlUnitOfWork(sessions) as uow:
            uow.inbox.add("Ev1", {"event": {}}, now=NOW, conversation_key="T1/D1//U1")
            uow.session.flush()
            assert not inbox.wait(0.5)  # not before the row can be seen
            uow.commit()
        assert inbox.wait(5)
        assert not outbox.is_set()
        with SqlUnitOfWork(sessions) as uow:
            uow.outbox.enqueue("reply", {"channel": "D1", "text": "hi"}, now=NOW)
            uow.commit()
        assert outbox.wait(5)
    finally:
        wakeups.stop()


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no notifications: always read
def test_a_worker_forgets_a_workspaces_settings_once_they_are_saved_elsewhere(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    cache = WorkspaceSettingsCache()
    wakeups = PostgresWakeups(
        database_url,
        on_inbox=lambda: None,
        on_outbox=lambda: None,
        on_settings=cache.changed,
        on_hearing=cache.hearing,
    )

    def load(workspace_id: str) -> WorkspaceSettings:
        with SqlUnitOfWork(sessions) as uow:
            return uow.workspaces.get(workspace_id)

    def save(channel: str) -> None:
        with SqlUnitOfWork(sessions) as uow:
            uow.workspaces.save(WorkspaceSettings("T1", handoff_channel=channel), now=NOW)
            uow.commit()

    save("C0AGENTS")
    wakeups.start()
    try:
        assert wakeups.listening.wait(10)
        assert cache.read("T1", load).handoff_channel == "C0AGENTS"
        save("C0NEWDESK")  # an admin's /escalation channel, in the front
        deadline = time.monotonic() + 10
        while cache.read("T1", load).handoff_channel != "C0NEWDESK":
            assert time.monotonic() < deadline, "the worker kept the old channel"
            time.sleep(0.05)
    finally:
        wakeups.stop()
    save("C0THIRD")  # nobody listens now: read from the database, never the kept one
    assert cache.read("T1", load).handoff_channel == "C0THIRD"


def test_serve_keeps_its_worker_processes_running_and_they_answer(
    database_url: str, backend: str, tmp_path: Path
) -> None:
    slack = loopback_slack().start()
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), tmp_path)
    serve.start()
    try:
        assert serve.process is not None
        sender = SlackSender(serve.endpoint, SECRET)

        def ask(user: str, n: int) -> None:
            event = dm_event(user, "where is order 1043? j.smith@example.com", f"17333900{n}.1")
            assert sender.event(event, event_id=f"Ev{user}") == 200
            deadline = time.monotonic() + 30
            while not slack.messages_in(f"D{user}") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(slack.messages_in(f"D{user}")) == 1

        ask("U1", 1)
        workers = children_of(serve.process.pid)
        assert len(workers) == default_worker_count(sqlite=backend == "sqlite")
        for pid in workers:  # each paces Slack calls at its part of the budgets
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert args[args.index(b"--one-of") + 1] == str(len(workers)).encode()
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(4)  # the front starts another (after 1-2 s)
        assert len(children_of(serve.process.pid)) == len(workers)
        ask("U2", 2)
        running = children_of(serve.process.pid)
        log_file = tmp_path / f"serve-{serve.port}.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
            f"worker {pid} taking turns" in log_file.read_text() for pid in running
        ):
            time.sleep(0.2)  # the replacement is still starting
        os.killpg(os.getpgid(serve.process.pid), signal.SIGTERM)  # as systemd stops a service
        assert serve.process.wait(timeout=60) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in running)
        log = log_file.read_text()
        assert sum(f"worker {pid} stopped" in log for pid in running) == len(running)
    finally:
        serve.stop()
        slack.stop()


def worker(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`escalation-bot worker` run to its end: one that started would run until the timeout."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "escalation-bot"), "worker"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def only_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("token", "named"),
    [
        ("xapp-1-A0-x", "SLACK_BOT_TOKEN is an app-level token"),
        ("xoxp-1-2", "SLACK_BOT_TOKEN is a user token"),
        ("xoxe-1-abc", "SLACK_BOT_TOKEN is a refresh token"),
    ],
)
def test_a_worker_with_a_token_of_the_wrong_kind_says_so_and_exits_2(
    tmp_path: Path, token: str, named: str
) -> None:
    slack = loopback_slack().start()  # a Slack that would take any token
    try:
        env = serve_env(
            slack_url=slack.url,
            database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            SLACK_BOT_TOKEN=token,
        )
        done = worker(env, tmp_path)
    finally:
        slack.stop()
    assert done.returncode == 2
    assert only_line(done).startswith(f"escalation-bot worker: {named}")
    assert not (tmp_path / "bot.db").exists()


def test_a_worker_that_cannot_reach_slack_says_so_and_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    done = worker(serve_env(slack_url=url, database_url=f"sqlite:///{tmp_path / 'b.db'}"), tmp_path)
    assert done.returncode == 1
    assert only_line(done).startswith(f"escalation-bot worker: cannot reach Slack at {url}")
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize(
    ("fault", "status", "told"),
    [
        ("invalid_auth", 2, "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
        ("http_500", 1, "is busy or failing (HTTP 500): try again"),
    ],
)
def test_a_worker_slack_refuses_or_fails_ends_in_one_line(
    tmp_path: Path, fault: str, status: int, told: str
) -> None:
    slack = loopback_slack().start()
    slack.fail("auth.test", Fault(fault, times=10))
    try:
        done = worker(
            serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'b.db'}"), tmp_path
        )
    finally:
        slack.stop()
    assert done.returncode == status
    assert told in only_line(done)

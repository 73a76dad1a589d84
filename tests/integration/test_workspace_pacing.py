"""Workspace rate limits (issue 16, item 4) through the outbox drainer and the loopback Slack,
on SQLite and PostgreSQL: a workspace with hundreds of queued posts does not hold up another's
few, never posts faster than its budget, and no drainer thread sleeps on its budget; Slack's
own 429 for one workspace's method rests it in every process and nobody else's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import Fault, LocalSlackWebAPI
from bot.workers.outbox import OutboxDrainer
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from handlers.slack.clients import SlackClients, WorkspaceSenders
from handlers.slack.pacing import POST_PER_WORKSPACE, SlackPacer, SqlSharedRests
from tests.integration.test_workspace_tokens import install, tokens

BUSY, QUIET = 300, 5


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    api.strict_tokens = True
    try:
        yield api
    finally:
        api.stop()


def queue(sessions: sessionmaker[Session], workspace: str, count: int) -> None:
    now = datetime.now(UTC)
    with SqlUnitOfWork(sessions) as uow:
        for i in range(count):  # each to its own customer's DM: a lane each, all due at once
            uow.outbox.enqueue(
                "reply",
                {"channel": f"D{workspace}x{i}", "text": f"{workspace} #{i}"},
                now=now,
                workspace_id=workspace,
            )
        uow.commit()


def most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_a_busy_workspace_does_not_hold_up_another_nor_exceed_its_budget(
    slack: LocalSlackWebAPI, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    install(slack, engine, "T1")
    install(slack, engine, "T2")
    posted: list[tuple[float, str]] = []  # (when, workspace) of every post Slack took
    lock = threading.Lock()

    def seen(method: str, params: dict[str, object]) -> None:
        if method == "chat.postMessage":
            with lock:
                posted.append((time.monotonic(), str(params["channel"])[1:3]))

    slack.on_call = seen
    slept: list[float] = []
    pacer = SlackPacer(sleep=slept.append)  # a drainer thread asking to sleep is recorded
    senders = WorkspaceSenders(SlackClients(tokens(slack, engine), base_url=slack.url, pacer=pacer))
    queue(sessions, "T1", BUSY)  # T1's rows are older: without pacing they all go first
    queue(sessions, "T2", QUIET)
    drainers = [
        OutboxDrainer(
            sessions=sessions, senders=senders, clock=lambda: datetime.now(UTC), interval=0.02
        )
        for _ in range(2)
    ]
    started = time.monotonic()
    for drainer in drainers:
        drainer.start()
    try:
        deadline = started + 30
        while time.monotonic() < deadline:
            with lock:
                if sum(1 for _, ws in posted if ws == "T2") == QUIET:
                    break
            time.sleep(0.01)
        t2_done = time.monotonic()
        time.sleep(2.0)  # T1 goes on at its pace meanwhile
    finally:
        for drainer in drainers:
            drainer.request_stop()
        for drainer in drainers:
            drainer.finish(grace=timedelta(seconds=10))
    with lock:
        t2_times = [t for t, ws in posted if ws == "T2"]
        t1_times = [t for t, ws in posted if ws == "T1"]
    assert len(t2_times) == QUIET, "the quiet workspace's posts did not all go out"
    t1_before = sum(1 for t in t1_times if t < max(t2_times))
    print(
        f"\nT2's {QUIET} posts out {t2_done - started:.2f}s after start; "
        f"{t1_before} of T1's {BUSY} went before them; T1 posted {len(t1_times)} in "
        f"{time.monotonic() - started:.1f}s"
    )
    # T2 waited for T1's burst and whatever T1's pace allowed meanwhile, not for T1's backlog
    elapsed = max(t2_times) - started
    assert t1_before <= POST_PER_WORKSPACE.burst + POST_PER_WORKSPACE.per_minute / 60 * elapsed + 1
    assert t1_before < BUSY
    # T1 never beat its budget in any window
    for window in (1.0, 2.0):
        limit = POST_PER_WORKSPACE.burst + POST_PER_WORKSPACE.per_minute / 60 * window
        assert most_in_a_window(t1_times, window) <= limit
    assert slept == []  # no drainer thread ever slept on a budget
    # T1's rows not posted are pending, none given up nor spent an attempt on the budget
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.workspace_id == "T1"))
        unsent = [row for row in rows if row.status != "sent"]
    assert unsent
    assert {row.status for row in unsent} == {"pending"}
    assert {row.attempts for row in unsent} == {0}
    assert slack.attempts("chat.postMessage") == len(posted)  # no refused call reached Slack


def test_slacks_429_for_a_workspaces_method_rests_it_in_every_process_only(
    slack: LocalSlackWebAPI, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    install(slack, engine, "T1")
    install(slack, engine, "T2")
    source = tokens(slack, engine)
    # two processes: each its own pacer, the rests shared through the database
    here = SlackClients(
        source, base_url=slack.url, pacer=SlackPacer(shared=SqlSharedRests(sessions))
    )
    there = SlackClients(
        source, base_url=slack.url, pacer=SlackPacer(shared=SqlSharedRests(sessions))
    )
    slack.usergroups.append({"id": "S1", "handle": "oncall", "name": "On call"})
    slack.usergroup_members["S1"] = ["U1"]
    slack.faults["users.getPresence"] = [Fault("ratelimited", retry_after=30)]
    with pytest.raises(SlackApiError) as limited:
        here.roster("T1").users_getPresence(user="U1")
    assert limited.value.response.status_code == 429
    assert slack.attempts("users.getPresence") == 1

    with pytest.raises(SlackApiError) as refused:  # the other process does not ask Slack
        there.roster("T1").users_getPresence(user="U1")
    assert refused.value.response.status_code == 429
    assert refused.value.response.get("paced") == "workspace"
    assert 25 < float(refused.value.response.headers["Retry-After"]) <= 30
    assert slack.attempts("users.getPresence") == 1

    # another workspace, and another method of the same workspace, are untouched
    assert there.roster("T2").users_getPresence(user="U2")["ok"]
    assert there.roster("T1").usergroups_users_list(usergroup="S1")["ok"]
    assert slack.attempts("users.getPresence") == 2

"""The handoff timers outlive `serve`: the real `escalation-bot serve` (its worker processes
included) is killed before a card's reminder is due and started again after it: the
reminder comes on start, once, and the admins' notice at twice the target follows once.
SQLite and PostgreSQL (several workers sweeping the same rows there)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

from bot.console.local_slack import LocalSlackWebAPI
from db.engine import make_engine, make_session_factory
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import SlackSender
from tests.serve_harness import (
    ADMIN,
    AGENTS,
    ASKS_FOR_A_PERSON,
    SECRET,
    ServeProcess,
    configure_agents_channel,
    dm_event,
    loopback_slack,
    send_until_acked,
    serve_env,
)

TARGET = 8  # seconds: the reminder at 8 s, the admins at 16 s


def cards(slack: LocalSlackWebAPI) -> list[dict[str, object]]:
    return [m for m in slack.messages_in(AGENTS) if m.get("blocks")]


def card_thread(slack: LocalSlackWebAPI, database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            card = uow.handoffs.latest_for(1)
    finally:
        engine.dispose()
    assert card is not None
    assert card.card_ts
    posted = slack.messages_in(AGENTS)
    return [str(m["text"]) for m in posted if m.get("thread_ts") == card.card_ts]


def admins_told(slack: LocalSlackWebAPI) -> list[str]:
    return [str(m["text"]) for m in slack.messages_in(ADMIN)]


def until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def test_a_reminder_due_while_serve_was_down_comes_on_start_once(
    database_url: str, tmp_path: Path
) -> None:
    slack = loopback_slack().start()
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), tmp_path)
    try:
        serve.start()
        configure_agents_channel(serve.endpoint, slack)
        sender = SlackSender(serve.endpoint, SECRET, response_url=f"{slack.url}respond")
        assert sender.command(ADMIN, f"sla {TARGET}s")[0] == 200
        asked = time.monotonic()
        assert send_until_acked(
            sender, dm_event("U0001", ASKS_FOR_A_PERSON, "1733390000.000100"), "EvU0001"
        )
        until(lambda: len(cards(slack)) == 1, 30)
        serve.kill(signal.SIGKILL)  # a crash: its worker processes die with it
        assert time.monotonic() - asked < TARGET, "the machine was too slow to test this"
        assert card_thread(slack, database_url) == []  # not before the target

        time.sleep(max(0.0, asked + TARGET + 1 - time.monotonic()))  # due while down
        assert card_thread(slack, database_url) == []
        serve.start()
        until(lambda: len(card_thread(slack, database_url)) == 1, 60)
        (reminder,) = card_thread(slack, database_url)
        assert f"Still unclaimed after {TARGET} seconds" in reminder

        until(lambda: len(admins_told(slack)) == 1, 60)
        assert "twice the time-to-claim target" in admins_told(slack)[0]
        time.sleep(3)  # a second copy, if there were one, lands now
        assert len(card_thread(slack, database_url)) == 1
        assert len(admins_told(slack)) == 1
    finally:
        serve.stop()
        slack.stop()

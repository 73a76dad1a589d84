"""Faults where they really happen, on SQLite and PostgreSQL: the real `serve` killed mid-load
(SIGKILL, then SIGTERM) and restarted at once; a Web API that posts and then answers 500 on a
fifth of the calls while one channel is rate limited. Every customer gets exactly one reply and
every handoff exactly one card."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot.console.local_slack import Fault
from tests.serve_harness import (
    Customers,
    ReplyWatch,
    ServeProcess,
    configure_agents_channel,
    loopback_slack,
    serve_env,
    wait_for,
    wait_until_posted,
    writing,
)


def test_killed_twice_mid_load_every_customer_is_answered_once_and_carded_once(
    database_url: str, tmp_path: Path
) -> None:
    customers = Customers(30)
    watch = ReplyWatch()
    slack = loopback_slack(watch).start()
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), tmp_path)
    try:
        serve.start()
        configure_agents_channel(serve.endpoint, slack)
        with writing(customers, serve.endpoint) as sends:
            watch.wait_until(customers.count // 3)
            assert serve.kill(signal.SIGKILL) == -signal.SIGKILL
            serve.start()
            watch.wait_until(2 * customers.count // 3)
            assert serve.kill(signal.SIGTERM) == 0  # a deploy: a clean exit
            serve.start()
            assert all(send.result() for send in sends)
        tally, took = wait_for(slack, customers, seconds=90)
    finally:
        serve.stop()
        slack.stop()
    assert tally.histogram() == {1: customers.count}  # exactly one reply each
    assert tally.cards == customers.asking_for_a_person  # exactly one card per handoff
    assert took < 90


def test_lost_answers_and_a_rate_limited_channel_lose_nothing_and_double_nothing(
    database_url: str, tmp_path: Path
) -> None:
    customers = Customers(24)
    limited = f"D{customers.users[1]}"  # a customer whose channel Slack rate-limits
    slack = loopback_slack().start()
    slack.fail("chat.postMessage", Fault("ratelimited", times=1, channel=limited, retry_after=20))
    slack.fail("chat.postMessage", Fault("posted_then_500", times=10_000, probability=0.2))
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), tmp_path)
    try:
        serve.start()
        configure_agents_channel(serve.endpoint, slack)
        started = time.monotonic()
        with writing(customers, serve.endpoint) as sends:
            assert all(send.result() for send in sends)
        others = [f"D{user}" for user in customers.users if f"D{user}" != limited]
        while time.monotonic() - started < 60 and not all(slack.messages_in(c) for c in others):
            time.sleep(0.1)
        others_done = time.monotonic() - started
        limited_waiting = slack.messages_in(limited) == []
        tally, _ = wait_for(slack, customers, seconds=90)
        outbox = wait_until_posted(database_url, seconds=90)  # the looks for lost answers too
        tally, _ = wait_for(slack, customers, seconds=1)
    finally:
        serve.stop()
        slack.stop()
    assert limited_waiting  # it rests for its Retry-After ...
    assert others_done < 20  # ... while every other customer is answered
    assert tally.histogram() == {1: customers.count}
    assert tally.cards == customers.asking_for_a_person
    assert slack.attempts("conversations.history") > 0  # lost answers were looked for
    assert set(outbox) == {"sent"}

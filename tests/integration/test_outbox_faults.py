"""Exactly one post per outbox row, and a rate-limited channel that holds up nobody else: the
real drainer and `SlackSender` against the local Slack Web API, on SQLite and PostgreSQL, with
the faults injected at the HTTP layer (a post made and then answered 500, a post whose answer
never comes in time, a 429 with Retry-After, a drainer that died mid-post)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import Fault, LocalSlackWebAPI
from bot.workers.loop import LEASE
from bot.workers.outbox import LOOK_AFTER, OutboxDrainer
from db.models import OutboxMessage
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from handlers.slack.sender import SlackSender, make_posting_client
from tests.clock import Clock


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def drainer(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock, *, timeout: int = 5
) -> OutboxDrainer:
    client = make_posting_client(token="xoxb-test", base_url=slack.url, timeout=timeout)
    return OutboxDrainer(sessions=sessions, sender=SlackSender(client), clock=clock, interval=0.05)


def enqueue_reply(
    sessions: sessionmaker[Session], clock: Clock, channel: str, text: str, thread: str = ""
) -> int:
    payload = {"channel": channel, "text": text, **({"thread_ts": thread} if thread else {})}
    with SqlUnitOfWork(sessions) as uow:
        row = uow.outbox.enqueue("reply", payload, now=clock())
        uow.commit()
    return row


def texts_in(slack: LocalSlackWebAPI, channel: str) -> list[str]:
    return [m["text"] for m in slack.messages_in(channel)]


def statuses(sessions: sessionmaker[Session]) -> dict[str, int]:
    with SqlUnitOfWork(sessions) as uow:
        return uow.outbox.counts()


def drain_over(worker: OutboxDrainer, clock: Clock, *, seconds: float, step: float = 5) -> None:
    """Run the drainer while `seconds` pass on the clock, as its loop would."""
    for _ in range(int(seconds / step) + 1):
        worker.run_until_idle()
        clock.advance(step)


def test_a_post_slack_made_before_answering_500_is_found_not_posted_again(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("posted_then_500", times=1))
    enqueue_reply(sessions, clock, "D1", "Your refund is on its way.")
    drain_over(drainer(sessions, slack, clock), clock, seconds=60)
    assert texts_in(slack, "D1") == ["Your refund is on its way."]
    assert slack.attempts("chat.postMessage") == 1
    assert slack.attempts("conversations.history") == 1
    assert statuses(sessions) == {"sent": 1}


def test_a_post_whose_answer_never_came_in_time_is_found_not_posted_again(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("posted_then_hang", times=1, hang=3))
    enqueue_reply(sessions, clock, "D1", "hello", thread="1733000000.000100")
    drain_over(drainer(sessions, slack, clock, timeout=1), clock, seconds=60)
    assert texts_in(slack, "D1") == ["hello"]
    assert slack.attempts("conversations.replies") == 1  # a thread reply: looked for in the thread


def test_a_500_before_posting_is_posted_once_after_looking(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("http_500", times=2))
    enqueue_reply(sessions, clock, "D1", "hello")
    drain_over(drainer(sessions, slack, clock), clock, seconds=120)
    assert texts_in(slack, "D1") == ["hello"]
    assert slack.attempts("chat.postMessage") == 3


@pytest.mark.parametrize("posted_before_dying", [True, False])
def test_a_row_left_mid_post_by_a_dead_drainer_is_posted_exactly_once(
    sessions: sessionmaker[Session],
    slack: LocalSlackWebAPI,
    clock: Clock,
    posted_before_dying: bool,
) -> None:
    row = enqueue_reply(sessions, clock, "D1", "hello")
    with SqlUnitOfWork(sessions) as uow:  # a drainer claims it, then its process dies
        assert len(uow.outbox.claim_due(worker="dead", now=clock(), lease=LEASE)) == 1
        uow.commit()
    if posted_before_dying:
        sender = SlackSender(make_posting_client(token="x", base_url=slack.url))
        sender.post_message(channel="D1", text="hello", outbox_id=row)
    live = drainer(sessions, slack, clock)
    live.run_until_idle()
    assert slack.attempts("chat.postMessage") == int(posted_before_dying)  # still leased
    clock.advance(LEASE.total_seconds() + 1)
    live.run_until_idle()
    assert texts_in(slack, "D1") == ["hello"]
    assert statuses(sessions) == {"sent": 1}


def test_a_rate_limited_channel_rests_while_the_others_flow_in_every_process(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("ratelimited", times=1, channel="C-BUSY", retry_after=30))
    enqueue_reply(sessions, clock, "C-BUSY", "busy 0", thread="1733000000.000100")
    for channel in ("D1", "D2", "D3"):
        enqueue_reply(sessions, clock, channel, f"to {channel}")
    first, second = drainer(sessions, slack, clock), drainer(sessions, slack, clock)
    first.run_until_idle()
    assert all(texts_in(slack, channel) == [f"to {channel}"] for channel in ("D1", "D2", "D3"))
    # written after the 429, to a thread of its own: only the shared rest can hold it back
    enqueue_reply(sessions, clock, "C-BUSY", "busy 1", thread="1733000001.000100")
    clock.advance(5)
    second.run_until_idle()  # another process: it learns of the rest from the database
    assert texts_in(slack, "C-BUSY") == []
    assert slack.attempts("chat.postMessage") == 4  # one 429 for the busy channel, no more
    clock.advance(26)
    second.run_until_idle()
    assert sorted(texts_in(slack, "C-BUSY")) == ["busy 0", "busy 1"]
    assert attempts_of(sessions) == [1, 1, 1, 1, 1]  # waiting out a rate limit costs no attempt


def attempts_of(sessions: sessionmaker[Session]) -> list[int]:
    with SqlUnitOfWork(sessions) as uow:
        return list(uow.session.scalars(select(OutboxMessage.attempts).order_by(OutboxMessage.id)))


def test_one_destination_posts_in_the_order_written_even_when_the_first_fails(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("http_500", times=1))
    for text in ("first", "second", "third"):
        enqueue_reply(sessions, clock, "D1", text)
    worker = drainer(sessions, slack, clock)
    worker.run_until_idle()
    assert texts_in(slack, "D1") == []  # the later ones wait behind the failed first
    drain_over(worker, clock, seconds=30)
    assert texts_in(slack, "D1") == ["first", "second", "third"]


def test_several_drainers_under_lost_answers_post_every_row_once_in_order(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI
) -> None:
    clock = Clock()
    slack.clock = lambda: clock().timestamp()  # Slack's clock runs as fast as ours here
    channels = [f"D{n}" for n in range(8)]
    rows = {
        enqueue_reply(sessions, clock, channel, f"{channel} #{k}"): channel
        for k in range(5)
        for channel in channels
    }
    slack.fail("chat.postMessage", Fault("posted_then_500", times=1000, probability=0.2))
    workers = [drainer(sessions, slack, clock) for _ in range(3)]
    stop = threading.Event()

    def tick() -> None:  # time passes quickly, so backoffs end within the test
        while not stop.is_set():
            clock.advance(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    while statuses(sessions).get("sent", 0) < len(rows) and time.monotonic() < deadline:
        time.sleep(0.1)
    for worker in workers:
        worker.stop(grace=timedelta(seconds=5))
    stop.set()
    assert statuses(sessions) == {"sent": len(rows)}
    posted = Counter(m["text"] for m in slack.to("chat.postMessage"))
    assert set(posted.values()) == {1}
    assert len(posted) == len(rows)
    for channel in channels:
        assert texts_in(slack, channel) == [f"{channel} #{k}" for k in range(5)]


def test_a_200_internal_error_after_posting_is_looked_for_not_posted_again(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    # Slack: "it's possible some aspect of the operation succeeded"
    slack.fail("chat.postMessage", Fault("posted_then_internal_error", times=1))
    enqueue_reply(sessions, clock, "D1", "hello")
    drain_over(drainer(sessions, slack, clock), clock, seconds=60)
    assert texts_in(slack, "D1") == ["hello"]


def test_a_post_still_landing_after_the_timeout_is_given_time_before_the_look(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("hang_then_post", times=1, hang=1.5))
    enqueue_reply(sessions, clock, "D1", "hello")
    worker = drainer(sessions, slack, clock, timeout=1)
    worker.run_until_idle()  # times out; Slack writes the post 1.5 s after it was sent
    clock.advance(LOOK_AFTER.total_seconds() - 1)
    worker.run_until_idle()
    assert slack.attempts("conversations.history") == 0  # too soon to look
    time.sleep(2)
    clock.advance(2)
    worker.run_until_idle()
    assert texts_in(slack, "D1") == ["hello"]
    assert slack.attempts("chat.postMessage") == 1


def test_a_rate_limited_look_waits_without_costing_attempts(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("posted_then_500", times=1))
    slack.fail("conversations.history", Fault("ratelimited", times=20, retry_after=60))
    enqueue_reply(sessions, clock, "D1", "hello")
    drain_over(drainer(sessions, slack, clock), clock, seconds=60 * 25, step=30)
    assert texts_in(slack, "D1") == ["hello"]
    assert statuses(sessions) == {"sent": 1}  # not given up, though it waited 20 times
    assert slack.attempts("conversations.history") == 21


def test_a_drainer_that_lost_its_lease_does_not_post_what_another_took(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    enqueue_reply(sessions, clock, "D1", "hello")
    slow, quick = drainer(sessions, slack, clock), drainer(sessions, slack, clock)
    with SqlUnitOfWork(sessions) as uow:
        (item,) = uow.outbox.claim_due(worker=slow.name, now=clock(), lease=LEASE)
        uow.commit()
    clock.advance(LEASE.total_seconds() + 1)  # the slow one stalls past its lease
    quick.run_until_idle()  # takes the row as uncertain, finds nothing, posts
    slow._post(item)  # the stalled drainer carries on with the row it claimed
    assert texts_in(slack, "D1") == ["hello"]


def test_a_drainer_that_lost_its_lease_does_not_tell_the_admins_again(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.workspaces.save(WorkspaceSettings("T1", admin_user_ids=("UA1",)), now=clock())
        uow.outbox.enqueue("admin_notice", {"workspace_id": "T1", "text": "heads up"}, now=clock())
        uow.commit()
    slow, quick = drainer(sessions, slack, clock), drainer(sessions, slack, clock)
    with SqlUnitOfWork(sessions) as uow:
        (item,) = uow.outbox.claim_due(worker=slow.name, now=clock(), lease=LEASE)
        uow.commit()
    clock.advance(LEASE.total_seconds() + 1)
    quick.run_until_idle()
    slow._post(item)
    quick.run_until_idle()
    assert texts_in(slack, "UA1") == ["heads up"]


def test_a_lost_post_is_found_in_a_busy_channel(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    slack.fail("chat.postMessage", Fault("posted_then_500", times=1))
    enqueue_reply(sessions, clock, "C-BUSY", "the one")
    worker = drainer(sessions, slack, clock)
    worker.run_until_idle()
    others = SlackSender(make_posting_client(token="x", base_url=slack.url))
    for n in range(60):  # agents and other cards, a minute of Slack's pace, after it
        others.post_message(channel="C-BUSY", text=f"other {n}")
    drain_over(worker, clock, seconds=60)
    assert texts_in(slack, "C-BUSY").count("the one") == 1


def test_an_admin_notice_reaches_each_admin_once_when_one_post_fails(
    sessions: sessionmaker[Session], slack: LocalSlackWebAPI, clock: Clock
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.workspaces.save(WorkspaceSettings("T1", admin_user_ids=("UA1", "UA2")), now=clock())
        uow.outbox.enqueue("admin_notice", {"workspace_id": "T1", "text": "heads up"}, now=clock())
        uow.commit()
    slack.fail("chat.postMessage", Fault("http_500", times=1, channel="UA2"))
    drain_over(drainer(sessions, slack, clock), clock, seconds=120)
    assert texts_in(slack, "UA1") == ["heads up"]
    assert texts_in(slack, "UA2") == ["heads up"]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite takes one write at a time anyway
def test_writers_of_one_destination_commit_one_at_a_time_on_postgresql(
    sessions: sessionmaker[Session], backend: str, clock: Clock
) -> None:
    holding = SqlUnitOfWork(sessions).__enter__()
    holding.outbox.enqueue("reply", {"channel": "D1", "text": "first"}, now=clock())
    done = threading.Event()

    def second_writer() -> None:
        enqueue_reply(sessions, clock, "D1", "second")
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not done.wait(0.5)  # waits: its row would otherwise be seen before "first"
    holding.commit()
    holding.__exit__(None, None, None)
    assert done.wait(10)
    thread.join()

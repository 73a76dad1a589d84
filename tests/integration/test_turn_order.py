"""Turns in the order the customer wrote them (Slack's ts), not the order deliveries arrived in,
on SQLite and PostgreSQL: in the inbox itself, and with two running apps on one database
taking the two halves of each customer's burst."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.offline import OfflineAgent
from bot.composition import build_product
from bot.settings import Settings
from db.models import InboxEvent
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.serving import serving

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
SETTLE = timedelta(seconds=0.5)


def store(
    sessions: sessionmaker[Session], name: str, *, ts: str, key: str = "T1/D1//U1", at: datetime
) -> None:
    with SqlUnitOfWork(sessions) as uow:
        uow.inbox.add(name, {"event": {"text": name}}, now=at, conversation_key=key, event_ts=ts)
        uow.commit()


def claim(
    sessions: sessionmaker[Session], *, at: datetime, settle: timedelta = SETTLE
) -> list[str]:
    with SqlUnitOfWork(sessions) as uow:
        items = uow.inbox.claim(worker="w", now=at, lease=LEASE, settle=settle)
        uow.commit()
    return [item.event_id for item in items]


def complete(sessions: sessionmaker[Session], name: str, *, at: datetime) -> None:
    with SqlUnitOfWork(sessions) as uow:
        item_id = uow.session.scalars(
            select(InboxEvent.id).where(InboxEvent.event_id == name)
        ).one()
        assert uow.inbox.complete(item_id, worker="w", now=at)
        uow.commit()


def test_a_message_delivered_late_is_still_answered_first(sessions: sessionmaker[Session]) -> None:
    store(sessions, "second", ts="1733389000.000200", at=NOW)
    store(sessions, "first", ts="1733389000.000100", at=NOW + timedelta(milliseconds=80))
    later = NOW + timedelta(seconds=1)
    assert claim(sessions, at=later) == ["first"]
    assert claim(sessions, at=later) == []  # "second" waits for "first" to finish
    complete(sessions, "first", at=later)
    assert claim(sessions, at=later) == ["second"]


def test_a_message_delivered_after_a_later_one_began_waits_for_it_to_finish(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, "second", ts="1733389000.000200", at=NOW)
    later = NOW + timedelta(seconds=1)
    assert claim(sessions, at=later) == ["second"]  # its turn is under way
    store(sessions, "first", ts="1733389000.000100", at=later)  # Slack's retry, late
    much_later = later + timedelta(seconds=5)
    assert claim(sessions, at=much_later) == []  # never two turns of one conversation at once
    complete(sessions, "second", at=much_later)
    assert claim(sessions, at=much_later) == ["first"]


def test_a_new_message_waits_the_settle_time_and_then_goes(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, "hello", ts="1733389000.000100", at=NOW)
    assert claim(sessions, at=NOW + SETTLE / 2) == []
    assert claim(sessions, at=NOW + SETTLE) == ["hello"]


def test_one_conversation_out_of_order_holds_up_no_other(sessions: sessionmaker[Session]) -> None:
    store(sessions, "u1-second", ts="1733389000.000200", at=NOW)
    store(sessions, "u2-only", ts="1733389000.000150", key="T1/D2//U2", at=NOW)
    store(sessions, "u1-first", ts="1733389000.000100", at=NOW)
    later = NOW + timedelta(seconds=1)
    with SqlUnitOfWork(sessions) as uow:
        taken = [i.event_id for i in uow.inbox.claim(worker="w", now=later, lease=LEASE)]
        uow.commit()
    assert taken == ["u2-only", "u1-first"]


def test_a_malformed_ts_sorts_first_and_deadlocks_nothing(sessions: sessionmaker[Session]) -> None:
    store(sessions, "dated", ts="1733389000.000100", at=NOW)
    store(sessions, "undated", ts="not a ts", at=NOW)
    later = NOW + timedelta(seconds=1)
    order = []
    for _ in range(2):
        (name,) = claim(sessions, at=later)
        order.append(name)
        complete(sessions, name, at=later)
    assert order == ["undated", "dated"]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite takes one write at a time anyway
def test_one_conversations_inserts_commit_one_at_a_time_on_postgresql(
    sessions: sessionmaker[Session], backend: str
) -> None:
    holding = SqlUnitOfWork(sessions).__enter__()
    holding.inbox.add("a", {}, now=NOW, conversation_key="T1/D1//U1", event_ts="1.0")
    done = threading.Event()

    def second_insert() -> None:
        store(sessions, "b", ts="2.0", at=NOW)
        done.set()

    thread = threading.Thread(target=second_insert)
    thread.start()
    assert not done.wait(0.5)  # waits for the first insert's transaction
    holding.commit()
    holding.__exit__(None, None, None)
    assert done.wait(10)
    thread.join()


# --- two running apps on one database -----------------------------------------------------


def product_settings(database_url: str, slack: MockSlackAPI) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="order-secret",
        SLACK_API_URL=slack.url,
        SHOP="demo",
        # wider than the 0.5 s default: two apps in one interpreter on a busy CI machine can
        # take longer than that to store a delivery (the window must cover the ack path)
        TURN_SETTLE_SECONDS=1.5,
    )


def test_bursts_split_between_two_apps_are_answered_in_the_order_written(
    database_url: str,
) -> None:
    slack = MockSlackAPI().start()
    settings = product_settings(database_url, slack)
    products = [
        build_product(settings, agent=OfflineAgent(), worker_interval=0.1) for _ in range(2)
    ]
    customers = [f"U{n:02d}" for n in range(12)]
    try:
        for product in products:
            product.start_workers()
        with serving(products[0].app) as one, serving(products[1].app) as two:
            senders = [SlackSender(one, "order-secret"), SlackSender(two, "order-secret")]

            def burst(n: int, user: str) -> None:
                first = {"ts": f"17333890{n:02d}.000100", "text": "hi, I have a question"}
                second = {"ts": f"17333890{n:02d}.000200", "text": "where is order 1043?"}
                # the later message reaches one app a moment before the earlier reaches the other
                dm(senders[n % 2], user, second)
                time.sleep(0.02)
                dm(senders[(n + 1) % 2], user, first)

            with ThreadPoolExecutor(max_workers=6) as pool:
                list(pool.map(burst, range(len(customers)), customers))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(
                len(slack.messages_in(f"D{user}")) >= 2 for user in customers
            ):
                time.sleep(0.1)
        said = {user: customer_lines(products[0].sessions, user) for user in customers}
    finally:
        for product in products:
            product.stop()
        slack.stop()
    wrong = {user: lines for user, lines in said.items() if lines != EXPECTED}
    assert wrong == {}
    assert all(len(slack.messages_in(f"D{user}")) == 2 for user in customers)


EXPECTED = ["hi, I have a question", "where is order 1043?"]


def dm(sender: SlackSender, user: str, fields: dict[str, Any]) -> None:
    event = {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user}
    event_id = f"Ev{user}-{fields['ts']}"  # unique across both apps' senders
    assert sender.event({**event, **fields}, event_id=event_id) == 200


def customer_lines(sessions: sessionmaker[Session], user: str) -> list[str]:
    with SqlUnitOfWork(sessions) as uow:
        record = uow.conversations.get_or_create(
            ConversationKey("slack", "T1", f"D{user}", user), now=datetime.now(UTC)
        )
        return [u.text for u in uow.conversations.history(record.id) if u.speaker == "customer"]

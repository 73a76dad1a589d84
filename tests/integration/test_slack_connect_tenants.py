"""A support channel shared with a customer organisation that installed the app too (another
workspace of ours): Slack delivers the channel's event once, naming one installation, which
may be the customer organisation's. The workspace whose support channel it is answers.

The real product (Bolt App over HTTP, workers) against the loopback Slack, SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.workers.inbox import MAX_EVENT_ATTEMPTS, SORRY
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from tests.clock import Clock
from tests.integration.desk_world import HELP, SOLVED_AT_ONCE, Desk, desk
from tests.integration.mock_slack import authorization
from tests.integration.test_slack_connect import conversations, replies_in_thread

HOME = "T1"  # ours: HELP is its support channel
TENANT = "T2"  # the customer's organisation, which installed the app for its own desk
_ts = itertools.count(1)


def delivered_as_the_tenants(world: Desk, *, author: str, author_team: str) -> dict[str, Any]:
    """A message in HELP as Slack may deliver it: the envelope and the one installation named
    are the tenant's."""
    event = {
        "type": "message",
        "channel": HELP,
        "channel_type": "channel",
        "user": author,
        "text": SOLVED_AT_ONCE,
        "ts": f"{1700400000 + next(_ts)}.000100",
        "team": author_team,
        "user_team": author_team,
    }
    body = {
        "token": "legacy",
        "team_id": TENANT,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"EvTenant{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [authorization(TENANT)],
        "is_ext_shared_channel": True,
    }
    status, _ = world.sender.post(json.dumps(body), "application/json", {})
    assert status == 200
    world.settle()
    return event


def test_a_customer_is_answered_by_the_workspace_whose_support_channel_it_is(
    tmp_path: Path, database_url: str
) -> None:
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()  # T1: HELP is a support channel; T2 configured nothing there
        asked = delivered_as_the_tenants(world, author="U0T2CUST", author_team=TENANT)
        assert len(replies_in_thread(world, HELP, asked["ts"])) == 1
        assert conversations(world) == [(HOME, HELP, "U0T2CUST")]


@pytest.mark.parametrize("configured", [True, False], ids=["ours", "nobodys"])
def test_our_own_people_there_and_channels_nobody_configured_get_no_answer(
    tmp_path: Path, configured: bool
) -> None:
    with desk(tmp_path) as world:
        if configured:
            world.configure()
        ours = delivered_as_the_tenants(world, author="U0T1STAFF", author_team=HOME)
        assert replies_in_thread(world, HELP, ours["ts"]) == []
        if not configured:  # a customer where no workspace of ours has a desk: nobody's turn
            theirs = delivered_as_the_tenants(world, author="U0T2CUST", author_team=TENANT)
            assert replies_in_thread(world, HELP, theirs["ts"]) == []
        assert conversations(world) == []


class BrokenAgent:
    name = "broken"

    def take_turn(self, **_: object) -> object:
        raise RuntimeError("a bug in the agent")


def test_a_turn_that_keeps_failing_there_is_told_to_the_customer_and_our_admins(
    tmp_path: Path, database_url: str
) -> None:
    """Given up after its tries, the customer is told in the thread and the admins hearing of
    it are the answering workspace's, never the tenant's (it is none of their business)."""
    clock = Clock()
    with desk(tmp_path, clock, database_url=database_url) as world:
        world.configure()
        world.product.processor.agent = BrokenAgent()  # type: ignore[assignment]
        asked = delivered_as_the_tenants(world, author="U0T2CUST", author_team=TENANT)
        for _ in range(MAX_EVENT_ATTEMPTS):
            clock.advance(600)
            world.settle()
        assert [m.get("text") for m in thread_of(world, asked["ts"])] == [SORRY]
        with SqlUnitOfWork(world.product.sessions, read_only=True) as uow:
            notices = uow.session.execute(
                select(OutboxMessage.workspace_id).where(OutboxMessage.kind == "admin_notice")
            ).all()
        assert [str(w) for (w,) in notices] == [HOME]


def thread_of(world: Desk, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in world.slack.messages_in(HELP) if m.get("thread_ts") == thread_ts]

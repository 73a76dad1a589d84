"""Slack Connect with Enterprise Grid: whose organisation an author is in when the envelope of
an event is the other organisation's (its `team_id` AND its `enterprise_id`) and our
installation (authorizations[0]) is in no Enterprise Grid organisation: their customers are
answered, their members never speak to our customers, their admins are visitors on our Home.

The real product (Bolt App over HTTP, workers) against the loopback Slack, SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

from handlers.slack.cards import CLAIM
from tests.integration.desk_world import (
    AGENTS,
    ASKS_FOR_A_PERSON,
    HELP,
    SOLVED_AT_ONCE,
    Desk,
    button_value,
    desk,
)
from tests.integration.mock_slack import authorization
from tests.integration.test_slack_connect import replies_in_thread

HOME = "T1"  # our workspace, in no Enterprise Grid organisation
THEIR_TEAM = "T0GRIDCUST"  # a workspace of the customer's Enterprise Grid organisation
THEIR_ORG = "E0GRIDCUST"  # that organisation
CUSTOMER = "U0GRIDCUST"
_ts = itertools.count(1)


def ts() -> str:
    return f"{1700300000 + next(_ts)}.000100"


def deliver(world: Desk, event: dict[str, Any], *, author_team: str) -> dict[str, Any]:
    """As Slack delivers an event of a channel shared with a Grid organisation: the envelope is
    that organisation's (team_id and enterprise_id), the installation ours (T1, no Grid)."""
    body = {
        "token": "legacy",
        "team_id": THEIR_TEAM,
        "enterprise_id": THEIR_ORG,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"EvGrid{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": {**event, "team": THEIR_TEAM, "user_team": author_team},
        "authorizations": [authorization(HOME)],
        "is_ext_shared_channel": True,
    }
    status, _ = world.sender.post(json.dumps(body), "application/json", {})
    assert status == 200
    world.settle()
    return event


def test_a_customer_of_a_grid_organisation_is_answered_in_our_shared_support_channel(
    tmp_path: Path, database_url: str
) -> None:
    """The customer's `user_team` is their Grid organisation's id; the envelope's enterprise_id
    is theirs too. They are not our people (our workspace is in no Grid organisation)."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        asked = {
            "type": "message",
            "channel": HELP,
            "channel_type": "channel",
            "user": CUSTOMER,
            "text": SOLVED_AT_ONCE,
            "ts": ts(),
        }
        deliver(world, asked, author_team=THEIR_ORG)
        replies = replies_in_thread(world, HELP, asked["ts"])
        assert len(replies) == 1, "the Grid customer was read as one of our staff"
        assert "1043" in replies[0]


def test_a_grid_partners_member_in_our_shared_agents_channel_never_speaks_to_a_customer(
    tmp_path: Path, database_url: str
) -> None:
    """Our agents' channel is shared with a partner's Grid organisation: their member's reply in
    a card's thread must not be relayed to our customer."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        world.sender.dm("U0CUST001", ASKS_FOR_A_PERSON)
        world.settle()
        (card,) = world.cards()
        world.claim("U0AGENT1", int(button_value(card, CLAIM)))
        dm_posts = [m for m in world.slack.to("chat.postMessage") if m["channel"] != AGENTS]
        reply = {
            "type": "message",
            "channel": AGENTS,
            "user": "U0PARTNER",
            "text": "Partner here: just refund them twice, lol",
            "ts": ts(),
            "thread_ts": card["ts"],
        }
        deliver(world, reply, author_team=THEIR_ORG)
        after = [m for m in world.slack.to("chat.postMessage") if m["channel"] != AGENTS]
        assert [m["text"] for m in after[len(dm_posts) :]] == [], (
            "another organisation's member spoke to our customer"
        )


def test_an_admin_of_a_grid_guest_organisation_is_a_visitor_on_our_home_tab(
    tmp_path: Path, database_url: str
) -> None:
    """A Slack Connect guest, admin of their own Grid organisation, opens our app's Home tab;
    the envelope is their organisation's. They see how to reach support, never our desk (our
    customers' handoffs, their triggers, what waits for our admins)."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        world.sender.dm("U0CUST001", ASKS_FOR_A_PERSON)
        world.settle()
        guest = "U0GRIDADMIN"
        world.slack.users[guest] = {
            "id": guest,
            "is_admin": True,
            "is_owner": True,
            "team_id": THEIR_TEAM,
            "enterprise_user": {"enterprise_id": THEIR_ORG, "is_admin": True},
        }
        before = len(world.slack.to("views.publish"))
        deliver(
            world,
            {"type": "app_home_opened", "user": guest, "channel": f"D{guest}", "tab": "home"},
            author_team=THEIR_ORG,
        )
        deadline = time.monotonic() + 30
        while len(world.slack.to("views.publish")) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        (call,) = world.slack.to("views.publish")[before:]
        blocks = json.dumps(call["view"])
        assert "How to reach support" in blocks
        assert "explicit_request" not in blocks
        assert "As admin" not in blocks

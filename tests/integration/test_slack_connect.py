"""Customers in Slack Connect channels (issue 16, part 3): a support channel of our workspace
(T1) shared with a customer's organisation. Their members are customers; ours writing there are
staff, never answered as customers. The conversation is T1's whatever the envelope's `team_id`
says (Slack can send the other organisation's there): its card goes to T1's agents' channel and
the agents' replies go back to the shared channel's thread.

The real product (Bolt App over HTTP, workers) against the loopback Slack Web API, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Conversation
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM
from tests.integration.desk_world import (
    AGENT1,
    AGENTS,
    ASKS_FOR_A_PERSON,
    HELP,
    SOLVED_AT_ONCE,
    Desk,
    button_value,
    desk,
)
from tests.integration.mock_slack import Fault, authorization

HOME = "T1"  # the desk world's workspace: the app is installed here
THEIRS = "T0CUSTORG"  # the customer's organisation, on the other side of the shared channel
CUSTOMER = "U0EXTCUST"  # a member of THEIRS
GENERAL = "C0SHAREDGEN"  # a shared channel that is not a support channel
_ts = itertools.count(1)


def ts() -> str:
    return f"{1700100000 + next(_ts)}.000100"


def in_help(user: str, text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    message = {
        "type": "message",
        "channel": HELP,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts(),
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message


def connect(
    world: Desk,
    event: dict[str, Any],
    *,
    author_team: str | None,
    envelope_team: str = THEIRS,
    enterprise: str | None = None,
) -> dict[str, Any]:
    """Deliver `event` as Slack does in a Slack Connect channel: to T1's installation
    (`authorizations`), the envelope's team_id `envelope_team` (the other organisation's, as
    Slack may send it), flagged shared; the author's team in `event.user_team` (None: the event
    names no author team at all, neither `user_team`, `user_profile.team` nor `team`)."""
    inner = dict(event)
    if author_team is not None:
        inner.update(team=author_team, user_team=author_team, source_team=author_team)
    body = {
        "token": "legacy",
        "team_id": envelope_team,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"EvConnect{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": inner,
        "authorizations": [authorization(HOME, enterprise=enterprise)],
        "is_ext_shared_channel": True,
    }
    if enterprise is not None:
        body["enterprise_id"] = enterprise
    status, _ = world.sender.post(json.dumps(body), "application/json", {})
    assert status == 200
    world.settle()
    return event


def replies_in_thread(world: Desk, channel: str, thread_ts: str) -> list[str]:
    return [
        str(m.get("text"))
        for m in world.slack.messages_in(channel)
        if m.get("thread_ts") == thread_ts
    ]


def conversations(world: Desk) -> list[tuple[str, str, str]]:
    """(workspace, channel, customer) of every conversation."""
    with SqlUnitOfWork(world.product.sessions, read_only=True) as uow:
        rows = uow.session.execute(
            select(
                Conversation.workspace_id, Conversation.channel_id, Conversation.customer_user_id
            )
        ).all()
    return sorted((str(w), str(c), str(u)) for w, c, u in rows)


@pytest.mark.parametrize("envelope_team", [THEIRS, HOME])
def test_a_customer_of_another_organisation_is_answered_and_our_own_member_is_not(
    tmp_path: Path, database_url: str, envelope_team: str
) -> None:
    """Acceptance: a customer in a Slack Connect channel (a user of another team) gets answers;
    a member of our workspace writing in the same channel does not. The conversation is ours
    (T1) even when the envelope names the customer's organisation."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        asked = connect(
            world,
            in_help(CUSTOMER, SOLVED_AT_ONCE),
            author_team=THEIRS,
            envelope_team=envelope_team,
        )
        (answer,) = replies_in_thread(world, HELP, asked["ts"])
        assert "1043" in answer
        assert conversations(world) == [(HOME, HELP, CUSTOMER)]

        posts = len(world.slack.to("chat.postMessage"))
        staff = connect(
            world,
            in_help(AGENT1, "Morning all, I'm on the desk today"),
            author_team=HOME,
            envelope_team=envelope_team,
        )
        chimed = connect(
            world,
            in_help(AGENT1, "where is order 1043? j.smith@example.com", thread_ts=asked["ts"]),
            author_team=HOME,
            envelope_team=envelope_team,
        )
        assert len(world.slack.to("chat.postMessage")) == posts  # nobody answered staff
        assert replies_in_thread(world, HELP, staff["ts"]) == []
        assert replies_in_thread(world, HELP, asked["ts"]) == [answer]
        assert chimed["ts"]
        assert conversations(world) == [(HOME, HELP, CUSTOMER)]

        again = connect(
            world, in_help(CUSTOMER, "and order 1042?", thread_ts=asked["ts"]), author_team=THEIRS
        )
        assert again["thread_ts"] == asked["ts"]
        assert len(replies_in_thread(world, HELP, asked["ts"])) == 2  # the customer still is


def test_a_shared_channel_customer_is_handed_to_our_agents_and_their_replies_come_back(
    tmp_path: Path, database_url: str
) -> None:
    """The customer of another organisation asks for a person: the card goes to T1's agents'
    channel, the claim and the agent's reply in the card's thread reach the customer in the
    shared channel's thread, and what the customer writes meanwhile reaches the card's thread."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        asked = connect(world, in_help(CUSTOMER, ASKS_FOR_A_PERSON), author_team=THEIRS)
        (card,) = world.cards()
        assert card["channel"] == AGENTS
        told = replies_in_thread(world, HELP, asked["ts"])
        assert len(told) == 1

        world.claim(AGENT1, int(button_value(card, CLAIM)))
        assert len(replies_in_thread(world, HELP, asked["ts"])) == 2  # the claim notice

        reply = {
            "type": "message",
            "channel": AGENTS,
            "user": AGENT1,
            "text": "Hi, Sam here. Which order is it about?",
            "ts": ts(),
            "thread_ts": card["ts"],
        }
        assert world.sender.event(reply, team=HOME, authorizations=True, user_team=HOME) == 200
        world.settle()
        assert replies_in_thread(world, HELP, asked["ts"])[-1] == reply["text"]

        connect(
            world, in_help(CUSTOMER, "order 1042 please", thread_ts=asked["ts"]), author_team=THEIRS
        )
        relayed = replies_in_thread(world, AGENTS, card["ts"])
        assert any("order 1042 please" in text for text in relayed)
        assert conversations(world) == [(HOME, HELP, CUSTOMER)]


def test_enterprise_grid_members_of_our_organisation_are_staff(
    tmp_path: Path, database_url: str
) -> None:
    """Our workspace is part of the Enterprise Grid organisation E0HOME: a member whose
    `user_team` is E0HOME is ours (not answered); one of another Grid organisation is a
    customer."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        ours = connect(
            world, in_help("U0GRIDSTAFF", SOLVED_AT_ONCE), author_team="E0HOME", enterprise="E0HOME"
        )
        assert replies_in_thread(world, HELP, ours["ts"]) == []
        theirs = connect(
            world, in_help(CUSTOMER, SOLVED_AT_ONCE), author_team="E0CUSTORG", enterprise="E0HOME"
        )
        assert len(replies_in_thread(world, HELP, theirs["ts"])) == 1
        assert conversations(world) == [(HOME, HELP, CUSTOMER)]


def test_an_author_the_event_does_not_place_is_looked_up_with_our_token(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An event in the shared channel that names no author team: users.info, asked with the
    token of our installation (Slack answers it for a member of an organisation we share a
    channel with), says whose member they are. A customer is answered, our member is not; one
    Slack cannot place is not answered (we cannot tell they are a customer) and is logged."""
    with desk(tmp_path, database_url=database_url) as world:
        world.slack.strict_users = True
        world.slack.connect(HELP, HOME, THEIRS)
        world.slack.add_user(CUSTOMER, THEIRS)
        world.slack.users[AGENT1]["team_id"] = HOME
        world.configure()
        before = len(world.slack.to("users.info"))  # the admin's, for the commands

        asked = connect(world, in_help(CUSTOMER, SOLVED_AT_ONCE), author_team=None)
        assert len(replies_in_thread(world, HELP, asked["ts"])) == 1
        ours = connect(world, in_help(AGENT1, SOLVED_AT_ONCE), author_team=None)
        assert replies_in_thread(world, HELP, ours["ts"]) == []
        looked_up = [p["user"] for p in world.slack.to("users.info")[before:]]
        assert looked_up == [CUSTOMER, AGENT1]
        assert set(world.slack.tokens_used("users.info")[before:]) == {"xoxb-test"}

        world.slack.add_user("U0STRANGER", "T0NOTSHARED")  # no channel of ours connects them
        with caplog.at_level(logging.WARNING):
            stranger = connect(world, in_help("U0STRANGER", SOLVED_AT_ONCE), author_team=None)
        assert replies_in_thread(world, HELP, stranger["ts"]) == []
        assert "users.info for U0STRANGER failed (user_not_found)" in caplog.text
        assert "could not tell whose member U0STRANGER is" in caplog.text

        world.slack.fail("users.info", Fault("ratelimited", times=10, retry_after=0))
        with caplog.at_level(logging.WARNING):
            unknown = connect(world, in_help(CUSTOMER, "order 1042?"), author_team=None)
        assert replies_in_thread(world, HELP, unknown["ts"]) == []
        assert f"could not tell whose member {CUSTOMER} is" in caplog.text
        assert conversations(world) == [(HOME, HELP, CUSTOMER)]


def test_outside_support_channels_a_mention_in_a_shared_channel_is_answered_as_before(
    tmp_path: Path, database_url: str
) -> None:
    """A shared channel that is not a support channel: a mention of the bot is a customer's turn
    whoever writes it (as in any channel), and the conversation is ours."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        for user, team in ((AGENT1, HOME), (CUSTOMER, THEIRS)):
            mention = {
                "type": "app_mention",
                "channel": GENERAL,
                "user": user,
                "text": f"<@UBOT> {SOLVED_AT_ONCE}",
                "ts": ts(),
            }
            connect(world, mention, author_team=team)
            assert len(replies_in_thread(world, GENERAL, mention["ts"])) == 1
        assert conversations(world) == [(HOME, GENERAL, AGENT1), (HOME, GENERAL, CUSTOMER)]

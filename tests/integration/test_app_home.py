"""The Home tab: opening it publishes (views.publish) the desk for agents (members of the handoff
channel) and admins: open handoffs oldest first with age and trigger, my claims, today's figures
and what waits for an admin; anyone else gets how to reach support."""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.console.local_slack import TEAM
from bot.desk.home import Awaiting, AwaitingItem, DeskHome, Today
from db.overview import LiveHandoff, LiveList
from db.repositories import WorkspaceStats
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM, RETURN
from handlers.slack.home import VIEW_BYTES, clip, fit_lines, home_view, view_bytes
from tests.integration.desk_world import (
    ADMIN,
    AGENT1,
    AGENT2,
    AGENTS,
    ASKS_FOR_A_PERSON,
    HELP,
    OUTSIDER,
    POLICY_GAP,
    SOLVED_AT_ONCE,
    Desk,
    button_value,
    desk,
)
from tests.integration.mock_slack import Fault


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Desk]:
    with desk(tmp_path) as built:
        yield built


@pytest.fixture
def configured(world: Desk) -> Desk:
    world.configure()
    return world


def open_home(world: Desk, user: str, *, tab: str = "home") -> list[str] | None:
    """The text of each block of the view published for `user` (after the ack: Bolt's lazy
    listener publishes it), None when none came within a second."""
    before = len(world.slack.to("views.publish"))
    status = world.sender.event(
        {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab}
    )
    assert status == 200
    deadline = time.monotonic() + (1 if tab != "home" else 30)
    while len(world.slack.to("views.publish")) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    published = world.slack.to("views.publish")[before:]
    if not published:
        return None
    (call,) = published
    assert call["user_id"] == user
    view = call["view"]
    assert view["type"] == "home"
    return [_text(block) for block in view["blocks"]]


def _text(block: dict[str, Any]) -> str:
    parts = []
    if isinstance(block.get("text"), dict):
        parts.append(block["text"]["text"])
    parts += [f["text"] for f in block.get("fields") or []]
    parts += [e["text"] for e in block.get("elements") or [] if "text" in e]
    return "\n".join(parts)


def section(blocks: list[str], title: str) -> list[str]:
    """The blocks under the section titled `title` (up to the next title or divider)."""
    start = next(i for i, b in enumerate(blocks) if b.startswith(f"*{title}"))
    rest = []
    for block in blocks[start + 1 :]:
        if block == "" or (block.startswith("*") and block.endswith(")*")):
            break
        rest.append(block)
    return rest


def test_an_agent_sees_the_open_handoffs_oldest_first_with_their_age_and_trigger(
    configured: Desk,
) -> None:
    world = configured
    first = world.customer_writes(ASKS_FOR_A_PERSON)
    world.later(minutes=25)
    second = world.customer_writes(POLICY_GAP)
    world.later(minutes=5)
    assert world.customer_writes(SOLVED_AT_ONCE) is None

    blocks = open_home(world, AGENT2)  # on the third page of the channel's members
    assert blocks is not None
    assert blocks[0] == "Support desk"
    assert "As agent" in blocks[1]
    assert f"<#{AGENTS}>" in blocks[1]
    assert "*Waiting for an agent (2)*" in blocks
    oldest, newer = section(blocks, "Waiting for an agent")
    assert oldest.startswith(f"*#{first}* `explicit_request` · waiting 30 min")
    assert newer.startswith(f"*#{second}* `policy_gap` · waiting 5 min")
    assert "C-4" in newer  # the customer the policy gap is about
    assert section(blocks, "My claims (0)") == ["You have no claimed conversations."]
    assert not any(b.startswith("*Claimed by others") for b in blocks)
    (figures,) = section(blocks, "Today")
    assert "*Escalations by trigger*\nexplicit_request 1, policy_gap 1" in figures
    assert "*Median time to claim*\nn/a" in figures
    assert "*First-contact resolution*\n33% of 3" in figures
    assert "*Returned to the bot*\n0" in figures
    assert not any("waiting for an admin" in b for b in blocks)


def test_each_agent_sees_their_own_claims_and_who_has_the_others(configured: Desk) -> None:
    world = configured
    first = world.customer_writes(ASKS_FOR_A_PERSON)
    second = world.customer_writes(POLICY_GAP)
    third = world.customer_writes(ASKS_FOR_A_PERSON)
    assert first is not None
    assert second is not None
    world.later(minutes=4)
    world.claim(AGENT1, first)
    world.later(minutes=8)
    world.claim(AGENT2, second)
    world.later(minutes=3)

    one = open_home(world, AGENT1)
    assert one is not None
    (waiting,) = section(one, "Waiting for an agent (1)")
    assert waiting.startswith(f"*#{third}* `explicit_request` · waiting 15 min")
    (mine,) = section(one, "My claims (1)")
    assert mine.startswith(f"*#{first}* `explicit_request` · yours for 11 min")
    (other,) = section(one, "Claimed by others (1)")
    assert other.startswith(f"*#{second}* `policy_gap` · <@{AGENT2}> has it (3 min)")
    (figures,) = section(one, "Today")
    assert "*Median time to claim*\n8.0 min" in figures  # of 4 and 12 minutes

    two = open_home(world, AGENT2)
    assert two is not None
    (mine,) = section(two, "My claims (1)")
    assert mine.startswith(f"*#{second}* `policy_gap` · yours for 3 min")
    (other,) = section(two, "Claimed by others (1)")
    assert f"<@{AGENT1}> has it" in other


def test_a_handoff_given_back_to_the_bot_leaves_the_lists_and_is_counted(
    configured: Desk,
) -> None:
    world = configured
    first = world.customer_writes(ASKS_FOR_A_PERSON)
    assert first is not None
    world.claim(AGENT1, first)
    world.return_to_bot(AGENT1, first)
    blocks = open_home(world, AGENT1)
    assert blocks is not None
    assert section(blocks, "Waiting for an agent (0)") == [
        "Nothing is waiting: every handoff has an agent."
    ]
    assert section(blocks, "My claims (0)") == ["You have no claimed conversations."]
    (figures,) = section(blocks, "Today")
    assert "*Returned to the bot*\n1" in figures


def test_with_no_handoffs_the_desk_says_so(configured: Desk) -> None:
    blocks = open_home(configured, AGENT1)
    assert blocks is not None
    assert section(blocks, "Waiting for an agent (0)") == [
        "Nothing is waiting: every handoff has an agent."
    ]
    (figures,) = section(blocks, "Today")
    assert "*Escalations by trigger*\nnone" in figures
    assert "*First-contact resolution*\nn/a" in figures


def test_a_long_queue_lists_the_oldest_and_says_how_many_more(configured: Desk) -> None:
    world = configured
    opened = []
    for _ in range(17):
        opened.append(world.customer_writes(ASKS_FOR_A_PERSON))
        world.later(minutes=1)
    blocks = open_home(world, AGENT1)
    assert blocks is not None
    listed = section(blocks, "Waiting for an agent (17)")
    assert [line.split()[0] for line in listed[:15]] == [f"*#{i}*" for i in opened[:15]]
    assert listed[0].startswith(f"*#{opened[0]}* `explicit_request` · waiting 17 min")
    assert listed[15] == "… and 2 more, oldest first."


def test_someone_neither_agent_nor_admin_is_told_how_to_reach_support(configured: Desk) -> None:
    world = configured
    world.customer_writes(POLICY_GAP)
    blocks = open_home(world, OUTSIDER)
    assert blocks is not None
    assert blocks[0] == "How to reach support"
    text = "\n".join(blocks)
    assert "*Messages* tab" in text
    assert "ask for a person at any time" in text
    assert f"<#{HELP}>" in text
    assert "Support desk" not in text
    assert "policy_gap" not in text
    assert "C-4" not in text


def test_an_admin_of_another_organisation_is_a_visitor_here(configured: Desk) -> None:
    """A Slack Connect guest who is an admin of their own organisation (users.info gives their
    team) sees how to reach support, never the desk or what waits for our admins."""
    world = configured
    world.slack.users["U0GUESTADMIN"] = {
        "id": "U0GUESTADMIN",
        "is_admin": True,
        "is_owner": True,
        "team_id": "T0THEIRORG",
    }
    world.customer_writes(ASKS_FOR_A_PERSON)
    blocks = open_home(world, "U0GUESTADMIN")
    assert blocks is not None
    assert blocks[0] == "How to reach support"
    assert "explicit_request" not in "\n".join(blocks)


def test_admins_see_the_desk_without_being_in_the_agents_channel(configured: Desk) -> None:
    world = configured
    world.customer_writes(ASKS_FOR_A_PERSON)
    workspace_admin = open_home(world, ADMIN)
    assert workspace_admin is not None
    assert "As admin" in workspace_admin[1]
    assert "*Waiting for an agent (1)*" in workspace_admin
    assert (open_home(world, OUTSIDER) or [""])[0] == "How to reach support"
    world.command(ADMIN, f"admins add <@{OUTSIDER}>")
    configured_admin = open_home(world, OUTSIDER)
    assert configured_admin is not None
    assert "As admin" in configured_admin[1]


def test_failed_events_and_held_posts_wait_for_an_admin_on_the_desk(world: Desk) -> None:
    # No handoff channel yet: the card is held, and the admins are told.
    world.customer_writes(ASKS_FOR_A_PERSON)
    give_up_an_event(world, "EvBROKEN", TEAM, "KeyError('Jane Roe, card ending 4242')")
    blocks = open_home(world, ADMIN)
    assert blocks is not None
    assert "*Failed events waiting for an admin (2)*" in blocks
    (listed,) = section(blocks, "Failed events waiting for an admin (2)")
    assert "• a card is held: no handoff channel" in listed
    assert "• an event could not be handled" in listed
    # what was stored (an exception's text, which can quote a customer) is never shown
    assert "Jane Roe" not in "\n".join(blocks)
    assert "KeyError" not in "\n".join(blocks)
    # no handoff channel: nobody is an agent yet
    assert (open_home(world, AGENT1) or [""])[0] == "How to reach support"

    world.configure()  # the held card is posted
    blocks = open_home(world, ADMIN)
    assert blocks is not None
    assert "*Failed events waiting for an admin (1)*" in blocks
    # an agent (not an admin) is not shown what only an admin can act on
    agent = open_home(world, AGENT1)
    assert agent is not None
    assert agent[0] == "Support desk"
    assert not any("waiting for an admin" in b for b in agent)


def give_up_an_event(world: Desk, event_id: str, workspace: str | None, error: str) -> None:
    """An event the workers gave up on, as `_give_up` stores it (the repr of what it raised)."""
    with SqlUnitOfWork(world.product.sessions) as uow:
        now = datetime.now(UTC)
        uow.inbox.add(event_id, {"event": {}}, now=now, workspace_id=workspace)
        (item,) = uow.inbox.claim(worker="w", now=now, lease=timedelta(minutes=1))
        uow.inbox.fail(item.id, worker="w", now=now, error=error)
        uow.commit()


OTHER = "T0OTHERCO"
OTHER_AGENTS = "C0OTHERAGENTS"
OTHER_ADMIN = "U0OTHERADMIN"  # an admin of the other workspace (users.info gives its team)


def test_another_workspace_never_shows_on_this_desk(configured: Desk) -> None:
    world = configured
    world.slack.users[OTHER_ADMIN] = {"id": OTHER_ADMIN, "is_admin": True, "team_id": OTHER}
    ours = world.customer_writes(ASKS_FOR_A_PERSON)
    assert ours is not None
    # the other workspace: its own channel, a handoff claimed and given back, one waiting,
    # an event given up, and a card held for want of a channel (another of its customers
    # wrote before its channel was set)
    world.as_workspace(OTHER, dm("U0THEIRS0", ASKS_FOR_A_PERSON))
    world.settle()
    assert "Handoff cards now go to" in world.command_in(
        OTHER, OTHER_ADMIN, f"channel <#{OTHER_AGENTS}|their-agents>"
    )
    world.settle()
    for customer in ("U0THEIRS1", "U0THEIRS2"):
        world.as_workspace(OTHER, dm(customer, ASKS_FOR_A_PERSON))
        world.settle()
    theirs = [m for m in world.slack.messages_in(OTHER_AGENTS) if m.get("blocks")]
    assert len(theirs) == 3
    returned = button_value(theirs[0], CLAIM)
    for action in (CLAIM, RETURN):
        assert (
            world.sender.action(
                AGENT1, action, returned, OTHER_AGENTS, override={"team": {"id": OTHER}}
            )
            == 200
        )
        world.settle()
    give_up_an_event(world, "EvTHEIRS", OTHER, "KeyError('their customer Jane Roe')")
    give_up_an_event(world, "EvNOBODYS", None, "KeyError('nobody's customer')")

    blocks = open_home(world, ADMIN)
    assert blocks is not None
    (waiting,) = section(blocks, "Waiting for an agent (1)")
    assert waiting.startswith(f"*#{ours}* ")
    (figures,) = section(blocks, "Today")
    assert "*Escalations by trigger*\nexplicit_request 1" in figures
    assert "*Returned to the bot*\n0" in figures
    assert not any("waiting for an admin" in b for b in blocks)

    # and theirs is on their desk: two waiting, one given back, the failed event
    their_admin = open_home_in(world, OTHER, OTHER_ADMIN)
    assert len(section(their_admin, "Waiting for an agent (2)")) == 2
    (figures,) = section(their_admin, "Today")
    assert "*Returned to the bot*\n1" in figures
    assert "*Failed events waiting for an admin (1)*" in their_admin
    (listed,) = section(their_admin, "Failed events waiting for an admin (1)")
    assert listed.startswith("• an event could not be handled")


def dm(user: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


def open_home_in(world: Desk, team: str, user: str) -> list[str]:
    before = len(world.slack.to("views.publish"))
    assert world.as_workspace(team, {"type": "app_home_opened", "user": user, "tab": "home"}) == 200
    deadline = time.monotonic() + 30
    while len(world.slack.to("views.publish")) == before:
        assert time.monotonic() < deadline, "no view published"
        time.sleep(0.02)
    (call,) = world.slack.to("views.publish")[before:]
    return [_text(block) for block in call["view"]["blocks"]]


def test_an_agent_is_not_taken_for_a_visitor_when_slack_cannot_say(
    configured: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    world = configured
    world.customer_writes(ASKS_FOR_A_PERSON)
    # 429 twice: the client's one retry does not clear it
    world.slack.fail("conversations.members", Fault("ratelimited", times=2))
    with caplog.at_level(logging.WARNING, logger="handlers.slack.home"):
        blocks = open_home(world, AGENT1)
    assert blocks is not None
    text = "\n".join(blocks)
    assert "How to reach support" not in text
    assert "I couldn't load the desk (Slack asked me to slow down)" in text
    assert "open the tab again in a moment" in text
    assert any(AGENT1 in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)

    world.slack.fail("conversations.members", Fault("not_in_channel", times=1))
    blocks = open_home(world, AGENT1)
    assert blocks is not None
    assert "I couldn't load the desk (I am not in the handoff channel)" in blocks[0]

    blocks = open_home(world, AGENT1)  # Slack answers again: the desk
    assert blocks is not None
    assert blocks[0] == "Support desk"


def test_opening_the_tab_again_and_again_asks_slack_once_a_minute(configured: Desk) -> None:
    world = configured
    members = world.slack.attempts("conversations.members")
    users = world.slack.attempts("users.info")
    for _ in range(5):
        assert (open_home(world, AGENT1) or [""])[0] == "Support desk"
    # one member set (three pages of two) and one admin flag for five opens
    assert world.slack.attempts("conversations.members") - members == 3
    assert world.slack.attempts("users.info") - users == 1


def test_the_tab_is_acked_at_once_when_slack_says_slow_down(configured: Desk) -> None:
    world = configured
    world.slack.fail("conversations.members", Fault("ratelimited", times=1, retry_after=4))
    before = len(world.slack.to("views.publish"))
    started = time.monotonic()
    status = world.sender.event(
        {"type": "app_home_opened", "user": AGENT1, "channel": f"D{AGENT1}", "tab": "home"}
    )
    assert status == 200
    assert time.monotonic() - started < 2  # Slack waits 3 s for the ack
    world.wait_for("views.publish", before + 1, seconds=30)  # after the Retry-After
    (call,) = world.slack.to("views.publish")[before:]
    assert call["view"]["blocks"][0]["text"]["text"] == "Support desk"


def test_opening_the_messages_tab_publishes_nothing(configured: Desk) -> None:
    assert open_home(configured, AGENT1, tab="messages") is None
    assert open_home(configured, AGENT1) is not None
    time.sleep(0.3)
    assert len(configured.slack.to("views.publish")) == 1


def test_lines_are_cut_by_their_escaped_length_never_inside_an_entity() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    handoff = LiveHandoff(
        id=7,
        trigger="policy_gap",
        opened_at=now,
        claimed_by=None,
        claimed_at=None,
        customer_id="C-9",
        customer_name="Tom & <Jerry>",
        customer_user_id="U0CUST",
        root_cause="R&D <b>" * 100,
    )
    waiting = LiveList((handoff,) * 15, 40)
    page = DeskHome(
        user_id=AGENT1,
        admin=True,
        now=now,
        handoff_channel=AGENTS,
        waiting=waiting,
        mine=waiting,
        others=waiting,
        today=Today(now, WorkspaceStats(0, 0, {}, None), 0),
        awaiting_admin=Awaiting(
            tuple(AwaitingItem("an event could not be handled", now) for _ in range(5)), 5
        ),
    )
    view = home_view(page)
    assert view_bytes(view) <= VIEW_BYTES
    assert len(view.blocks) <= 100
    lines = [_text(b.to_dict()) for b in view.blocks]
    (first, *_) = [line for line in lines if line.startswith("*#7*")]
    assert "Tom &amp; &lt;Jerry&gt; (C-9)" in first  # escaped, as Slack asks
    cause = first.split("\n", 1)[1]
    assert cause.endswith("…")
    assert len(cause) <= 200
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", cause)  # no entity cut in half
    assert ("R&D <b>" * 100).startswith(html.unescape(cause.removesuffix("…")))
    assert any(line.endswith("more, oldest first.") for line in lines)


def test_a_long_list_of_lines_is_never_cut_inside_a_token() -> None:
    line = "• an event could not be handled (<!date^1^{date_short_pretty}|05 Dec 12:00 UTC>)"
    fitted = fit_lines([line] * 100, 2900)
    assert len(fitted) <= 2900
    *whole, note = fitted.splitlines()
    assert all(kept == line for kept in whole)
    assert note == f"… and {100 - len(whole)} more"
    assert clip("a&b", 3) == "a…"  # "&amp;" does not fit: cut before it
    assert clip("a&b", 7) == "a&amp;b"

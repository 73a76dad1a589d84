"""The Home tab: opening it publishes (views.publish) the desk for agents (members of the handoff
channel) and admins: open handoffs oldest first with age and trigger, my claims, today's figures
and what waits for an admin; anyone else gets how to reach support."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from db.uow import SqlUnitOfWork
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
    desk,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Desk]:
    with desk(tmp_path) as built:
        yield built


@pytest.fixture
def configured(world: Desk) -> Desk:
    world.configure()
    return world


def open_home(world: Desk, user: str, *, tab: str = "home") -> list[str] | None:
    """The text of each block of the view published for `user`, None when none was."""
    before = len(world.slack.to("views.publish"))
    status = world.sender.event(
        {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab}
    )
    assert status == 200
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
    with SqlUnitOfWork(world.product.sessions) as uow:  # an event the workers gave up on
        now = datetime.now(UTC)
        uow.inbox.add("EvBROKEN", {"event": {}}, now=now)
        (item,) = uow.inbox.claim(worker="w", now=now, lease=timedelta(minutes=1))
        uow.inbox.fail(item.id, worker="w", now=now, error="payload without a message")
        uow.commit()
    blocks = open_home(world, ADMIN)
    assert blocks is not None
    assert "*Failed events waiting for an admin (2)*" in blocks
    (listed,) = section(blocks, "Failed events waiting for an admin (2)")
    assert "• held handoff card: no handoff channel is set" in listed
    assert "• event given up: payload without a message" in listed
    # no handoff channel: nobody is an agent yet
    assert (open_home(world, AGENT1) or [""])[0] == "How to reach support"

    world.configure()  # the held card is posted
    blocks = open_home(world, AGENT1)
    assert blocks is not None
    assert "*Failed events waiting for an admin (1)* (an admin can act on these)" in blocks


def test_opening_the_messages_tab_publishes_nothing(configured: Desk) -> None:
    assert open_home(configured, AGENT1, tab="messages") is None

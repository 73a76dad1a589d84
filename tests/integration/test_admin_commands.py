"""`/escalation` as an admin types it: channels by name, and every bad argument answered.

The real Bolt App over HTTP and the real slack_sdk calls, against the loopback Slack Web API
(which answers `conversations.list` a few channels a page, so names are found across pages).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.desk.admin import AdminCommands
from bot.policies import default_policy_book
from bot.settings import Settings
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from handlers.slack.admin import channel_problem, find_channel
from handlers.slack.cards import CLAIM, RESOLVE, RETURN
from tests.clock import Clock
from tests.integration.desk_world import (
    AGENT1,
    AGENTS,
    ASKS_FOR_A_PERSON,
    HELP,
    Desk,
    button_value,
    desk,
)
from tests.integration.mock_slack import Fault, MockSlackAPI, SlackSender
from tests.integration.serving import serving

SECRET = "admin-test-secret"
ADMIN = "U0ADMIN"
# A workspace with more channels than one page of conversations.list holds.
CHANNELS: dict[str, dict[str, Any]] = {
    "C0AGENTS": {"name": "agents"},
    "C0HELP": {"name": "help"},
    "C0GENERAL": {"name": "general"},
    "C0RANDOM": {"name": "random"},
    "C0SUPPORTEU": {"name": "support-eu"},
    "C0OPS": {"name": "ops_team"},
    "G0PRIVATE": {"name": "escalations-private"},
    "C0OUTSIDE": {"name": "outside", "is_member": False},
    "C0OLD": {"name": "old-agents", "is_archived": True},
}
# Names conversations.list knows nothing of.
KNOWN_NAMES = {str(about["name"]) for about in CHANNELS.values()}
UNKNOWN_NAMES: st.SearchStrategy[str] = st.from_regex(
    r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True
).filter(lambda name: name not in KNOWN_NAMES)


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={ADMIN: {"id": ADMIN, "is_admin": True}, "U0AGENT1": {"id": "U0AGENT1"}},
        channels={k: dict(v) for k, v in CHANNELS.items()},
        list_page=2,
    ).start()
    yield api
    api.stop()


@pytest.fixture
def product(slack: MockSlackAPI, tmp_path: Path) -> Iterator[Product]:
    built = build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            SHOP="demo",
            TURN_SETTLE_SECONDS=0,
        ),
        clock=Clock(),
        agent=OfflineAgent(),
    )
    yield built
    built.stop()


@pytest.fixture
def sender(product: Product, slack: MockSlackAPI) -> Iterator[SlackSender]:
    with serving(product.app) as endpoint:
        yield SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")


def workspace(product: Product) -> WorkspaceSettings:
    with SqlUnitOfWork(product.sessions) as uow:
        return uow.workspaces.get("T1")


def admin_commands(product: Product) -> AdminCommands:
    return AdminCommands(
        sessions=product.sessions,
        book=default_policy_book(),
        processor=product.processor,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )


# --- channels by name ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["#agents", "agents", "#Agents", "C0AGENTS", "<#C0AGENTS>"])
def test_the_handoff_channel_is_set_however_the_admin_typed_it(
    sender: SlackSender, product: Product, typed: str
) -> None:
    status, body = sender.command(ADMIN, f"channel {typed}")
    assert status == 200
    assert "Handoff cards now go to <#C0AGENTS>" in body
    assert workspace(product).handoff_channel == "C0AGENTS"


def test_the_first_hour_from_the_readme_works_as_typed(
    sender: SlackSender, product: Product
) -> None:
    assert "<#C0AGENTS>" in sender.command(ADMIN, "channel #agents")[1]
    assert "<#C0HELP>" in sender.command(ADMIN, "support-channel add #help")[1]
    assert workspace(product).support_channels == ("C0HELP",)
    assert "none" in sender.command(ADMIN, "support-channel remove help")[1]
    assert workspace(product).support_channels == ()


def test_every_channel_is_found_by_name_on_whichever_page_it_is(
    product: Product, slack: MockSlackAPI
) -> None:
    admin = admin_commands(product)
    client = WebClient(token="xoxb-test", base_url=slack.url)
    members = {cid: about for cid, about in CHANNELS.items() if about.get("is_member", True)}
    live = {cid: about["name"] for cid, about in members.items() if not about.get("is_archived")}

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        channel=st.sampled_from(sorted(live)),
        form=st.sampled_from(["#{}", "{}", "  #{}  "]),
        upper=st.booleans(),
    )
    def check(channel: str, form: str, upper: bool) -> None:
        name = live[channel].upper() if upper else live[channel]
        answer = admin.handle(
            workspace_id="T1",
            user_id=ADMIN,
            text=f"channel {form.format(name)}",
            workspace_admin=True,
            channel_check=lambda cid: channel_problem(client, cid),
            find_channel=lambda typed: find_channel(client, typed),
        )
        assert answer == f"Handoff cards now go to <#{channel}>."
        assert workspace(product).handoff_channel == channel

    check()
    assert slack.attempts("conversations.list") > len(live)  # several pages were read


def test_a_name_no_channel_has_is_refused_and_nothing_changes(
    product: Product, slack: MockSlackAPI
) -> None:
    admin = admin_commands(product)
    client = WebClient(token="xoxb-test", base_url=slack.url)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(name=UNKNOWN_NAMES, hash_sign=st.booleans(), command=st.sampled_from(["channel", "sc"]))
    def check(name: str, hash_sign: bool, command: str) -> None:
        typed = f"#{name}" if hash_sign else name
        text = f"channel {typed}" if command == "channel" else f"support-channel add {typed}"
        answer = admin.handle(
            workspace_id="T1",
            user_id=ADMIN,
            text=text,
            workspace_admin=True,
            channel_check=lambda cid: channel_problem(client, cid),
            find_channel=lambda typed: find_channel(client, typed),
        )
        assert f"I can't find a channel named #{name}" in answer
        assert "Nothing was changed" in answer
        assert workspace(product) == WorkspaceSettings("T1")

    check()


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("#outside", "I'm not in <#C0OUTSIDE> yet: invite me there"),
        ("#old-agents", "<#C0OLD> is archived"),
        ("#nowhere", "I can't find a channel named #nowhere"),
        ("channel with spaces", "one channel, as `#name`, `name` or its id"),
        ("#agents #help", "one channel, as `#name`, `name` or its id"),
        ("", "one channel, as `#name`, `name` or its id"),
        ("#a!b", "one channel, as `#name`, `name` or its id"),
    ],
)
def test_a_channel_the_bot_cannot_use_is_refused_with_what_to_do(
    sender: SlackSender, product: Product, typed: str, told: str
) -> None:
    status, body = sender.command(ADMIN, f"channel {typed}")
    assert status == 200
    assert told in body
    assert "Nothing was changed" in body
    assert workspace(product).handoff_channel is None


def test_a_support_channel_the_bot_is_not_in_is_refused(
    sender: SlackSender, product: Product
) -> None:
    body = sender.command(ADMIN, "support-channel add #outside")[1]
    assert "I'm not in <#C0OUTSIDE> yet" in body
    assert workspace(product).support_channels == ()


def test_when_slack_will_not_list_channels_the_admin_is_told_why(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    slack.fail("conversations.list", Fault("missing_scope"))
    assert "reinstall it from manifest.yml" in sender.command(ADMIN, "channel #agents")[1]
    slack.fail("conversations.list", Fault("http_500", times=3))
    assert "try again in a moment" in sender.command(ADMIN, "channel #agents")[1]
    assert workspace(product).handoff_channel is None


# --- bad arguments get a clear answer ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("stats abc", "days from 1 to 3650"),
        ("stats 7 days", "days from 1 to 3650"),
        ("stats 7 30", "days from 1 to 3650"),
        ("status now", "takes nothing after it"),
        ("policy list all", "Usage: `/escalation policy list`, `/escalation policy show ID`"),
        ("policy show", "Usage: `/escalation policy list`, `/escalation policy show ID`"),
        ("policy show a b", "Usage: `/escalation policy list`, `/escalation policy show ID`"),
        ("policy remove x", "Usage: `/escalation policy list`, `/escalation policy show ID`"),
        ("support-channel", "Usage: `/escalation support-channel add|remove #channel`"),
        ("support-channel delete #help", "add|remove #channel"),
        ("admins", "Usage: `/escalation admins add|remove @user`"),
        ("admins add", "pick the person from Slack's @ suggestions"),
        ("admins add @sam", "pick the person from Slack's @ suggestions"),
        ("admins add <@U0A1|a> <@U0A2|b>", "pick the person from Slack's @ suggestions"),
        ("admins promote <@U0AGENT1|sam>", "Usage: `/escalation admins add|remove @user`"),
        ("test", "Usage: `/escalation test <a customer message>`"),
        ("frobnicate", "I don't know `frobnicate`"),
    ],
)
def test_a_bad_argument_is_answered_with_what_is_accepted_and_changes_nothing(
    sender: SlackSender, product: Product, text: str, told: str
) -> None:
    status, body = sender.command(ADMIN, text)
    assert status == 200
    assert told in body
    assert workspace(product) == WorkspaceSettings("T1")


def test_stats_answers_every_day_count_it_accepts_and_refuses_every_other(
    product: Product,
) -> None:
    admin = admin_commands(product)

    @settings(max_examples=60, deadline=None)
    @given(asked=st.one_of(st.integers(-50, 5000).map(str), st.text(max_size=12)))
    def check(asked: str) -> None:
        answer = admin.handle(
            workspace_id="T1", user_id=ADMIN, text=f"stats {asked}", workspace_admin=True
        )
        words = asked.split()
        valid = (
            len(words) == 1
            and re.fullmatch(r"[0-9]{1,4}", words[0]) is not None
            and 1 <= int(words[0]) <= 3650
        )
        if valid:
            assert answer.startswith(f"*Last {int(words[0])} days*")
        elif words:
            assert answer == "Usage: `/escalation stats [days]`, days from 1 to 3650."
        else:
            assert answer.startswith("*Last 7 days*")

    check()


def test_a_member_id_typed_as_is_makes_an_admin(sender: SlackSender, product: Product) -> None:
    assert "<@U0AGENT1>" in sender.command(ADMIN, "admins add U0AGENT1")[1]
    assert "<@U0AGENT1>" in sender.command(ADMIN, "ADMINS ADD <@U0AGENT1|sam>")[1]
    assert workspace(product).admin_user_ids == ("U0AGENT1",)


# --- one workspace's command never sees or touches another's ------------------------------------

T2, T2_ADMIN, T2_AGENTS = "T2", "U0ADMINT2", "C0T2AGENTS"


def two_workspaces(world: Desk) -> None:
    """T1's users are T1's; T2 has an admin of its own (the same app installed in both)."""
    world.slack.users[ADMIN]["team_id"] = "T1"
    world.slack.users[T2_ADMIN] = {"id": T2_ADMIN, "is_admin": True, "team_id": T2}


def customer_dm(user: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


def workspace_of_handoff(world: Desk, handoff_id: int) -> str:
    with SqlUnitOfWork(world.product.sessions) as uow:
        conversation = uow.conversations.get(uow.handoffs.get(handoff_id).conversation_id)
    return conversation.key.workspace_id


def test_status_shows_only_the_commands_own_workspace(tmp_path: Path, database_url: str) -> None:
    with desk(tmp_path, database_url=database_url) as world:
        two_workspaces(world)
        # T1: a customer asks for a person before any channel is set: the card is held
        assert world.customer_writes(ASKS_FOR_A_PERSON) is None
        ours = world.command(ADMIN, "status")
        assert "Events: done 1" in ours
        assert "held handoff card: no handoff channel is set" in ours

        theirs = world.command_in(T2, T2_ADMIN, "status")
        assert theirs == "*Status*\nEvents: none\nPosts: none"

        assert world.as_workspace(T2, customer_dm("U0T2CUST", ASKS_FOR_A_PERSON)) == 200
        world.settle()
        theirs = world.command_in(T2, T2_ADMIN, "status")
        assert "Events: done 1" in theirs
        assert theirs.count("held handoff card") == 1
        assert world.command(ADMIN, "status") == ours  # T1's is as it was


def test_setting_a_channel_releases_only_that_workspaces_held_cards(
    tmp_path: Path, database_url: str
) -> None:
    with desk(tmp_path, database_url=database_url) as world:
        two_workspaces(world)
        assert world.customer_writes(ASKS_FOR_A_PERSON) is None  # T1's card, held
        assert world.as_workspace(T2, customer_dm("U0T2CUST", ASKS_FOR_A_PERSON)) == 200
        world.settle()

        answer = world.command_in(T2, T2_ADMIN, f"channel <#{T2_AGENTS}|t2-agents>")
        assert answer.endswith(" 1 waiting handoff card(s) will be posted there now.")
        world.settle()
        (card,) = [m for m in world.slack.messages_in(T2_AGENTS) if m.get("blocks")]
        assert workspace_of_handoff(world, int(button_value(card, CLAIM))) == T2
        assert "held handoff card" in world.command(ADMIN, "status")  # T1's still waits

        answer = world.command(ADMIN, f"channel <#{AGENTS}|agents>")
        assert answer.endswith(" 1 waiting handoff card(s) will be posted there now.")
        world.settle()
        (card,) = world.cards()
        assert workspace_of_handoff(world, int(button_value(card, CLAIM))) == "T1"
        assert len([m for m in world.slack.messages_in(T2_AGENTS) if m.get("blocks")]) == 1


# An admin and owner of their own organisation, in our Slack Connect channel (users.info gives
# their team): no admin of ours.
GUEST = "U0GUESTADMIN"


def with_a_guest_admin(world: Desk) -> None:
    two_workspaces(world)
    world.slack.users[GUEST] = {
        "id": GUEST,
        "is_admin": True,
        "is_owner": True,
        "team_id": "T0THEIRORG",
    }
    world.configure()


def test_an_admin_of_another_organisation_changes_no_setting_here(
    tmp_path: Path, database_url: str
) -> None:
    with desk(tmp_path, database_url=database_url) as world:
        with_a_guest_admin(world)
        before = workspace_settings(world)
        for text in (
            f"channel <#{T2_AGENTS}|theirs>",
            f"admins add <@{GUEST}>",
            f"support-channel remove <#{HELP}|help>",
            "sla 5m",
            "names off",
            "status",
            f"report channel <#{AGENTS}|agents>",
        ):
            assert world.command(GUEST, text).startswith("Only workspace admins"), text
        assert workspace_settings(world) == before


def test_an_admin_of_another_organisation_cannot_close_an_agents_handoff(
    tmp_path: Path, database_url: str
) -> None:
    """Only the agent who has a handoff, or an admin of this workspace, may close it."""
    with desk(tmp_path, database_url=database_url) as world:
        with_a_guest_admin(world)
        handoff = world.customer_writes(ASKS_FOR_A_PERSON)
        assert handoff is not None
        world.claim(AGENT1, handoff)
        for button in (RESOLVE, RETURN):
            assert world.sender.action(GUEST, button, str(handoff), AGENTS) == 200
            world.settle()
        with SqlUnitOfWork(world.product.sessions) as uow:
            assert uow.handoffs.get(handoff).status == "claimed"
        told = [call["text"] for call in world.slack.to("chat.postEphemeral")]
        assert told[-2:] == [f"<@{AGENT1}> already has this conversation" + HELD_BY_ANOTHER] * 2

        # this workspace's own admin may
        assert world.sender.action(ADMIN, RESOLVE, str(handoff), AGENTS) == 200
        world.settle()
        with SqlUnitOfWork(world.product.sessions) as uow:
            assert uow.handoffs.get(handoff).status == "resolved"


HELD_BY_ANOTHER = " (only they or an admin can resolve it or return it to the bot)."


def workspace_settings(world: Desk) -> tuple[object, ...]:
    with SqlUnitOfWork(world.product.sessions) as uow:
        return uow.workspaces.get("T1"), uow.desk.config("T1"), uow.desk.report_due_at("T1")

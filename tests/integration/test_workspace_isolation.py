"""One workspace never sees or acts on another's conversations, handoffs or settings.

The real product (Bolt App over HTTP, workers) against the loopback Slack Web API, with the same
app installed in two workspaces: T1 (the desk world's) and T2, whose events, commands and clicks
come through the same endpoint (token mode: one token answers both).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.integration.desk_world import ADMIN, ASKS_FOR_A_PERSON, SOLVED_AT_ONCE, Desk, desk
from tests.integration.mock_slack import Fault

T2, T2_ADMIN, T2_BOSS = "T2", "U0ADMINT2", "U0BOSST2"


def two_workspaces(world: Desk) -> None:
    world.slack.users[ADMIN]["team_id"] = "T1"
    world.slack.users[T2_ADMIN] = {"id": T2_ADMIN, "is_admin": True, "team_id": T2}
    world.slack.users[T2_BOSS] = {"id": T2_BOSS, "team_id": T2}


def dm(user: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


def test_a_post_given_up_is_told_to_its_own_workspaces_admins(
    tmp_path: Path, database_url: str
) -> None:
    """A reply to T2's customer that Slack refuses for good: T2's admins hear of it, T1's
    never (the reply names its workspace only through its conversation)."""
    with desk(tmp_path, database_url=database_url) as world:
        two_workspaces(world)
        world.configure()
        assert f"<@{T2_BOSS}>" in world.command_in(T2, T2_ADMIN, f"admins add <@{T2_BOSS}>")
        world.slack.fail(
            "chat.postMessage", Fault("channel_not_found", times=1, channel="DU0T2CUST")
        )
        assert world.as_workspace(T2, dm("U0T2CUST", SOLVED_AT_ONCE)) == 200
        world.settle()
        (told,) = world.slack.messages_in(T2_BOSS)
        assert "(reply) could not be posted" in told["text"]
        assert world.slack.messages_in(ADMIN) == []
        assert "held reply" in world.command_in(T2, T2_ADMIN, "status")
        assert "held" not in world.command(ADMIN, "status")


def test_a_workspace_without_admins_of_its_own_is_never_told_to_anothers(
    tmp_path: Path, database_url: str
) -> None:
    """T2's card waits for a channel and T2 has configured no admins: its notice waits for an
    admin of T2 (users.list names T1's people: their flags are T1's), and goes to them once
    there is one."""
    with desk(tmp_path, database_url=database_url) as world:
        two_workspaces(world)
        world.configure()
        assert world.as_workspace(T2, dm("U0T2CUST", ASKS_FOR_A_PERSON)) == 200
        world.settle()
        assert world.slack.messages_in(ADMIN) == []  # T1's admin hears nothing of T2

        assert f"<@{T2_BOSS}>" in world.command_in(T2, T2_ADMIN, f"admins add <@{T2_BOSS}>")
        world.later(seconds=5)
        world.settle()
        (told,) = world.slack.messages_in(T2_BOSS)
        assert told["text"].startswith("A customer's handoff is waiting: no handoff channel")
        assert world.slack.messages_in(ADMIN) == []

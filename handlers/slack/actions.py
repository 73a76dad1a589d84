"""The handoff card's buttons: Claim, Resolve, Return to bot.

A press is read defensively: one that names no handoff, user, workspace or channel is refused
with a note and changes nothing. The desk decides who may do what; this module says it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.desk.handoffs import Click, DeskResult, HandoffDesk
from handlers.slack.admin import is_workspace_admin
from handlers.slack.cards import CLAIM, RESOLVE, RETURN

log = logging.getLogger(__name__)
UNREADABLE = "That button press could not be read, so nothing was changed."


def register(app: App, *, desk: HandoffDesk) -> None:
    def listener(act: Callable[[Click, WebClient], DeskResult]) -> Callable[..., None]:
        def handle(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            ack()
            click = read_click(body)
            if click is None:
                log.warning("unreadable button press: %s", str(body)[:300])
                if body.get("response_url"):
                    respond(text=UNREADABLE, response_type="ephemeral", replace_original=False)
                return
            result = act(click, client)
            client.chat_postEphemeral(
                channel=click.channel_id, user=click.agent_id, text=desk_answer(result)
            )

        return handle

    def closing(close: Callable[..., DeskResult]) -> Callable[[Click, WebClient], DeskResult]:
        def act(click: Click, client: WebClient) -> DeskResult:
            admin = is_workspace_admin(client, click.agent_id, team_id=click.workspace_id)
            return close(click, admin=admin)

        return act

    app.action(CLAIM)(listener(lambda click, client: desk.claim(click)))
    app.action(RESOLVE)(listener(closing(desk.resolve)))
    app.action(RETURN)(listener(closing(desk.return_to_bot)))


def read_click(body: dict[str, Any]) -> Click | None:
    """Who pressed which card's button, and where; None when the payload does not say."""
    try:
        (action,) = body["actions"]
        handoff_id = int(str(action["value"]))
        user = str(body["user"]["id"])
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
    except (KeyError, TypeError, ValueError):
        return None
    if not (user and team and channel) or handoff_id <= 0:
        return None
    return Click(handoff_id=handoff_id, agent_id=user, workspace_id=team, channel_id=channel)


def desk_answer(result: DeskResult) -> str:
    """What the agent who clicked is told, privately."""
    if result.outcome == "claimed":
        return (
            "You have this conversation. Reply in the card's thread; "
            "your replies go to the customer."
        )
    if result.outcome == "held_by_another":
        return (
            f"<@{result.holder}> already has this conversation (only they or an admin can "
            "resolve it or return it to the bot)."
        )
    if result.outcome == "already":
        return f"This handoff is already {result.status}."
    if result.outcome == "unknown":
        return "That handoff no longer exists."
    if result.outcome == "wrong_place":
        return "That handoff is not on a card in this workspace's agents' channel; nothing changed."
    return "Handoff returned to the bot." if result.outcome == "returned" else "Handoff resolved."

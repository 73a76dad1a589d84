"""The handoff card's buttons: Claim, Resolve, Return to bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.desk.handoffs import DeskResult, HandoffDesk
from handlers.slack.cards import CLAIM, RESOLVE, RETURN


def register(app: App, *, desk: HandoffDesk) -> None:
    def listener(act: Callable[[int, str], DeskResult]) -> Callable[..., None]:
        def handle(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user = body["user"]["id"]
            handoff_id = int(body["actions"][0]["value"])
            result = act(handoff_id, user)
            client.chat_postEphemeral(
                channel=body["channel"]["id"], user=user, text=desk_answer(result)
            )

        return handle

    app.action(CLAIM)(listener(lambda h, u: desk.claim(h, agent_id=u)))
    app.action(RESOLVE)(listener(lambda h, u: desk.resolve(h, agent_id=u)))
    app.action(RETURN)(listener(lambda h, u: desk.return_to_bot(h, agent_id=u)))


def desk_answer(result: DeskResult) -> str:
    """What the agent who clicked is told, privately."""
    if result.outcome == "claimed":
        return (
            "You have this conversation. Reply in the card's thread; "
            "your replies go to the customer."
        )
    if result.outcome == "held_by_another":
        return f"<@{result.holder}> already has this conversation."
    if result.outcome == "already":
        return f"This handoff is already {result.status}."
    if result.outcome == "unknown":
        return "That handoff no longer exists."
    return "Handoff returned to the bot." if result.outcome == "returned" else "Handoff resolved."

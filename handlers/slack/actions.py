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
            client.chat_postEphemeral(channel=body["channel"]["id"], user=user, text=result.message)

        return handle

    app.action(CLAIM)(listener(lambda h, u: desk.claim(h, agent_id=u)))
    app.action(RESOLVE)(listener(lambda h, u: desk.resolve(h, agent_id=u)))
    app.action(RETURN)(listener(lambda h, u: desk.return_to_bot(h, agent_id=u)))

"""Customer messages: stored in the inbox before the ack; the turn runs off the request path."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.slack.events import (
    AUTHOR_LOOKED_UP,
    conversation_key_text,
    needs_author_lookup,
    workspace_of,
)

log = logging.getLogger(__name__)


class EventInbox(Protocol):
    def store(
        self,
        *,
        event_id: str,
        payload: dict[str, Any],
        workspace_id: str | None,
        conversation_key: str | None,
        event_ts: str | None = None,
    ) -> bool: ...


def register(app: App, *, inbox: EventInbox) -> None:
    def keep(body: dict[str, Any], client: WebClient) -> None:
        event = body.get("event") or {}
        if needs_author_lookup(body):
            body = with_author_looked_up(body, client)
        inbox.store(
            event_id=str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"),
            payload=body,
            workspace_id=workspace_of(body) or None,
            conversation_key=conversation_key_text(body),
            event_ts=event.get("ts"),  # Slack's order; deliveries may arrive in another
        )

    app.event("message")(keep)
    app.event("app_mention")(keep)


def with_author_looked_up(body: dict[str, Any], client: WebClient) -> dict[str, Any]:
    """`body` with what `users.info` says of its author's team kept beside it. `client` is
    Bolt's for the installation the event was delivered to (ours): Slack answers it for a
    member of an organisation we share a channel with. A lookup that fails leaves the body as
    it was (the author stays unplaced, and is not answered as a customer); it is not retried
    here, as the event's ack waits on it."""
    user_id = str((body.get("event") or {}).get("user") or "")
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except (SlackClientError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        log.warning("users.info for %s failed (%s): their team is unknown", user_id, reason)
        return body
    team = user.get("team_id")
    if not team:
        return body
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    return {**body, AUTHOR_LOOKED_UP: {"team_id": str(team), "enterprise_id": enterprise}}

"""Customer messages: stored in the inbox before the ack; the turn runs off the request path."""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt import App

from handlers.slack.events import conversation_key_text, workspace_of


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
    def keep(body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        inbox.store(
            event_id=str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"),
            payload=body,
            workspace_id=workspace_of(body) or None,
            conversation_key=conversation_key_text(body),
            event_ts=event.get("ts"),  # Slack's order; deliveries may arrive in another
        )

    app.event("message")(keep)
    app.event("app_mention")(keep)

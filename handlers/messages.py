"""Customer messages: stored in the inbox before the ack; the turn runs off the request path."""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt import App


class EventInbox(Protocol):
    def store(self, body: dict[str, Any]) -> bool: ...


def register(app: App, *, inbox: EventInbox) -> None:
    @app.event("message")
    def on_message(body: dict[str, Any]) -> None:
        inbox.store(body)

    @app.event("app_mention")
    def on_mention(body: dict[str, Any]) -> None:
        inbox.store(body)

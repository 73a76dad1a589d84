"""The `/escalation` slash command: ephemeral answers; changes only for admins."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.admin import AdminCommands


def register(app: App, *, admin: AdminCommands) -> None:
    @app.command("/escalation")
    def on_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        user = command["user_id"]
        text = admin.handle(
            workspace_id=command["team_id"],
            user_id=user,
            text=command.get("text") or "",
            workspace_admin=is_workspace_admin(client, user),
        )
        ack(text=text)


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError:
        return False  # unknown: treat as not an admin, so nothing changes
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

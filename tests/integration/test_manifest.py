"""The app manifest asks for what the app uses: its scopes, events and slash command."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def test_the_manifest_declares_the_events_scopes_and_command_the_app_handles() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_mention",
        "message.channels",
        "message.groups",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/escalation"
    assert command["should_escape"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "channels:read",
        "groups:read",
        "chat:write",
        "im:history",
        "im:write",
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "users:read",
        "commands",
    }

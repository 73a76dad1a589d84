"""The app manifests ask for what the app uses: its scopes, events and slash command. One is for
Socket Mode (manifest.yml), one for HTTP (manifest.http.yml: every request URL set, all to the
one path `serve` answers, /slack/events); otherwise they ask for the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from handlers.slack.install import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = {"socket": ROOT / "manifest.yml", "http": ROOT / "manifest.http.yml"}


def load(mode: str) -> dict[str, Any]:
    manifest = yaml.safe_load(MANIFESTS[mode].read_text(encoding="utf-8"))
    assert isinstance(manifest, dict)
    return manifest


@pytest.mark.parametrize("mode", sorted(MANIFESTS))
def test_the_manifest_declares_the_events_scopes_and_command_the_app_handles(mode: str) -> None:
    manifest = load(mode)
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_mention",
        "message.channels",
        "message.groups",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # the agents' desk
    assert settings["socket_mode_enabled"] is (mode == "socket")
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
        "files:write",
        "files:read",
        "usergroups:read",
    }
    # what an OAuth install asks Slack for is what the manifest declares
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def request_urls(manifest: dict[str, Any]) -> list[str | None]:
    settings = manifest["settings"]
    return [
        settings["event_subscriptions"].get("request_url"),
        settings["interactivity"].get("request_url"),
        *(command.get("url") for command in manifest["features"]["slash_commands"]),
    ]


def test_over_http_every_request_goes_to_the_path_serve_answers() -> None:
    urls = request_urls(load("http"))
    assert len(urls) == 3
    for url in urls:
        assert url is not None
        parts = urlsplit(url)
        assert parts.scheme == "https"  # Slack sends requests only to HTTPS addresses
        assert parts.netloc
        assert parts.path == "/slack/events"
    assert len(set(urls)) == 1


def test_in_socket_mode_no_request_url_is_set() -> None:
    assert request_urls(load("socket")) == [None, None, None]
    # nor an install's redirect: installing in many workspaces needs the HTTP server
    assert "redirect_urls" not in load("socket")["oauth_config"]


def test_over_http_installers_come_back_to_the_path_serve_answers() -> None:
    manifest = load("http")
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    parts = urlsplit(redirect)
    assert parts.scheme == "https"
    assert parts.path == REDIRECT_PATH
    events = urlsplit(str(request_urls(manifest)[0]))
    assert parts.netloc == events.netloc  # the same server as /slack/events


def test_the_manifests_differ_only_in_how_slack_reaches_the_app() -> None:
    def without_transport(manifest: dict[str, Any]) -> dict[str, Any]:
        settings = manifest["settings"]
        settings.pop("socket_mode_enabled")
        manifest["oauth_config"].pop("redirect_urls", None)
        settings["event_subscriptions"].pop("request_url", None)
        settings["interactivity"].pop("request_url", None)
        for command in manifest["features"]["slash_commands"]:
            command.pop("url", None)
        return manifest

    assert without_transport(load("http")) == without_transport(load("socket"))

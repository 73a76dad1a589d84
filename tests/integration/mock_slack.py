"""Signed requests to the App, as Slack sends them, and the unsigned GETs of an install
(/slack/install, /slack/oauth_redirect) as a browser makes them; the Web API stand-in lives in
bot/console/local_slack.py (the console uses it too)."""

from __future__ import annotations

import html
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from bot.console.local_slack import BOT_USER, TEAM, Fault
from bot.console.local_slack import LocalSlackWebAPI as MockSlackAPI

__all__ = ["Fault", "MockSlackAPI", "Page", "SlackSender"]

STATE_COOKIE = "slack-app-oauth-state"  # slack_sdk OAuthStateUtils.default_cookie_name


@dataclass
class Page:
    """What a browser got for a GET: status, headers, body, and the cookies it was set."""

    status: int
    headers: Message
    body: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @property
    def cookies(self) -> dict[str, str]:
        """name -> value of each Set-Cookie (attributes dropped)."""
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            found[name.strip()] = rest.split(";", 1)[0].strip()
        return found

    @property
    def authorize_url(self) -> str | None:
        """Where /slack/install sends the browser: its redirect, or the "Add to Slack" link
        of Bolt's install page."""
        if self.location:
            return self.location
        link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', self.body)
        return html.unescape(link.group(1)) if link else None

    @property
    def state(self) -> str | None:
        """The `state` in the authorize URL."""
        url = self.authorize_url
        return parse_qs(urlsplit(url).query).get("state", [None])[0] if url else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is returned as it is, for the caller to look at


@dataclass
class SlackSender:
    """Sends Slack's requests to the App's HTTP endpoint, signed like Slack signs them."""

    endpoint: str
    signing_secret: str
    response_url: str = "http://127.0.0.1:9/unused"  # where lazy answers to commands go
    _events: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        team: str = TEAM,
        authorizations: list[dict[str, Any]] | bool | None = None,
        is_ext_shared_channel: bool | None = None,
        user_team: str | None = None,
        enterprise: str | None = None,
    ) -> int:
        """An Events API delivery. `team`: the envelope's team_id (the installation Slack
        delivers it for); `authorizations`: the envelope's list, or True for the one
        installation of `team` (bot user UBOT), as Slack sends it; `is_ext_shared_channel`:
        set in a Slack Connect channel; `user_team`: the author's team (`event.user_team`,
        `event.team` and `source_team`), another organisation's for a Connect customer.
        Left out, each is as before: no `authorizations`, no flag, the author in `team`."""
        inner: dict[str, Any] = {"team": user_team or team}
        if user_team is not None:
            inner.update(user_team=user_team, source_team=user_team)
        body: dict[str, Any] = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._events):06d}",
            "event_time": int(time.time()),
            "event": {**inner, **event},
        }
        if enterprise is not None:
            body["enterprise_id"] = enterprise
        if authorizations is True:
            authorizations = [authorization(team, enterprise=enterprise)]
        if authorizations:
            body["authorizations"] = authorizations
        if is_ext_shared_channel is not None:
            body["is_ext_shared_channel"] = is_ext_shared_channel
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {}
        )
        return self.post(json.dumps(body), "application/json", headers)[0]

    def dm(self, user: str, text: str, **extra: Any) -> int:
        return self.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": _ts(),
                **extra,
            }
        )

    def app_uninstalled(self, team: str) -> int:
        """Slack's `app_uninstalled` event for `team` (the app removed from the workspace)."""
        return self.event({"type": "app_uninstalled"}, team=team, authorizations=True)

    def tokens_revoked(self, team: str, bot_users: list[str] | None = None) -> int:
        """Slack's `tokens_revoked` event for `team`: the bot tokens of `bot_users` revoked."""
        tokens = {"oauth": [], "bot": bot_users if bot_users is not None else [BOT_USER]}
        return self.event({"type": "tokens_revoked", "tokens": tokens}, team=team)

    def command(self, user: str, text: str, *, team: str = TEAM) -> tuple[int, str]:
        form = urlencode(
            {
                "command": "/escalation",
                "text": text,
                "user_id": user,
                "team_id": team,
                "channel_id": "C-ADMIN",
                "response_url": self.response_url,
                "trigger_id": "t",
            }
        )
        status, body = self.post(form, "application/x-www-form-urlencoded", {})
        return status, body

    def action(
        self,
        user: str,
        action_id: str,
        value: str,
        channel: str,
        override: dict[str, Any] | None = None,
        *,
        team: str = TEAM,
    ) -> int:
        """Press a button in `team`; `override` replaces top-level payload fields (to forge or
        break it)."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": team},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel},
            "trigger_id": "t",
            "response_url": self.response_url,
            "actions": [
                {
                    "action_id": action_id,
                    "value": value,
                    "type": "button",
                    "block_id": f"b-{value}",
                    "action_ts": str(time.time()),
                }
            ],
        }
        payload.update(override or {})
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", {}
        )[0]

    @property
    def base_url(self) -> str:
        """The server's root (the endpoint without /slack/events)."""
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def get(self, path: str, *, cookies: dict[str, str] | str | None = None) -> Page:
        """GET `path` (with its query) as a browser does: unsigned, the cookies given sent
        back, a redirect not followed."""
        headers = {}
        if cookies:
            headers["Cookie"] = (
                cookies
                if isinstance(cookies, str)
                else "; ".join(f"{name}={value}" for name, value in cookies.items())
            )
        request = urllib.request.Request(self.base_url + path, headers=headers, method="GET")
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(request, timeout=30) as response:
                return Page(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.headers, error.read().decode())

    def install(
        self,
        code: str,
        *,
        state: str | None = None,
        cookie: bool = True,
        install_path: str = "/slack/install",
        redirect_path: str = "/slack/oauth_redirect",
    ) -> Page:
        """A person installs the app: GET /slack/install (which sets the state cookie and
        points at Slack's consent page with a state), Slack sends the browser back to
        /slack/oauth_redirect with `code` and that state, the cookie sent along. `state`
        replaces the one issued (a forged or stale one); `cookie=False` leaves the cookie out
        (another browser). The redirect's answer is returned."""
        start = self.get(install_path)
        assert start.status in (200, 302), f"{install_path} answered {start.status}"
        issued = start.state
        assert issued, f"{install_path} gave no state: {start.body[:200]}"
        query = urlencode({"code": code, "state": state if state is not None else issued})
        jar = {STATE_COOKIE: start.cookies[STATE_COOKIE]} if cookie else None
        return self.get(f"{redirect_path}?{query}", cookies=jar)

    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = signature or SignatureVerifier(self.signing_secret).generate_signature(
            timestamp=stamp, body=body
        )
        request = urllib.request.Request(
            self.endpoint,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": str(signed),
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def authorization(
    team: str, *, bot_user: str = BOT_USER, enterprise: str | None = None
) -> dict[str, Any]:
    """One entry of an event's `authorizations`: the app's bot installed in `team`."""
    return {
        "enterprise_id": enterprise,
        "team_id": team,
        "user_id": bot_user,
        "is_bot": True,
        "is_enterprise_install": False,
    }


_ts_counter = itertools.count(1)


def _ts() -> str:
    return f"{1700001000 + next(_ts_counter)}.000300"

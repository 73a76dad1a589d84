"""Signed requests to the App, as Slack sends them; the Web API stand-in lives in
bot/local_slack.py (the console uses it too)."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.console.local_slack import TEAM, Fault
from bot.console.local_slack import LocalSlackWebAPI as MockSlackAPI

__all__ = ["Fault", "MockSlackAPI", "SlackSender"]


@dataclass
class SlackSender:
    """Sends Slack's requests to the App's HTTP endpoint, signed like Slack signs them."""

    endpoint: str
    signing_secret: str
    response_url: str = "http://127.0.0.1:9/unused"  # where lazy answers to commands go
    _events: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> int:
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._events):06d}",
            "event_time": int(time.time()),
            "event": {"team": TEAM, **event},
        }
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

    def command(self, user: str, text: str) -> tuple[int, str]:
        form = urlencode(
            {
                "command": "/escalation",
                "text": text,
                "user_id": user,
                "team_id": TEAM,
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
    ) -> int:
        """Press a button; `override` replaces top-level payload fields (to forge or break it)."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": TEAM},
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


_ts_counter = itertools.count(1)


def _ts() -> str:
    return f"{1700001000 + next(_ts_counter)}.000300"

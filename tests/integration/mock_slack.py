"""A local stand-in for Slack's Web API (stdlib HTTP server on 127.0.0.1, port chosen at run
time) that records every call and can inject `ratelimited` (429 + Retry-After),
`not_in_channel` and HTTP 500 answers; and a sender of signed requests to the App."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT"
TEAM = "T1"


@dataclass
class Fault:
    error: str  # "ratelimited", "not_in_channel" or "http_500"
    times: int = 1
    channel: str | None = None  # only calls to this channel fail
    retry_after: int = 1


@dataclass
class MockSlackAPI:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every call
    delivered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # answered ok
    faults: dict[str, list[Fault]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def start(self) -> MockSlackAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, fault: Fault) -> None:
        with self._lock:
            self.faults.setdefault(method, []).append(fault)

    def to(self, method: str) -> list[dict[str, Any]]:
        """The calls of `method` that succeeded."""
        with self._lock:
            return [params for name, params in self.delivered if name == method]

    def attempts(self, method: str) -> int:
        with self._lock:
            return sum(1 for name, _ in self.calls if name == method)

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        return [p for p in self.to("chat.postMessage") if p.get("channel") == channel]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append((method, params))
            fault = self._due_fault(method, params)
        if fault is not None:
            if fault.error == "ratelimited":
                return (
                    429,
                    {"Retry-After": str(fault.retry_after)},
                    {"ok": False, "error": "ratelimited"},
                )
            if fault.error == "http_500":
                return 500, {}, {"ok": False, "error": "internal_error"}
            return 200, {}, {"ok": False, "error": fault.error}
        answer = self._ok(method, params)
        if answer.get("ok"):
            with self._lock:
                self.delivered.append((method, params))
        return 200, {}, answer

    def _due_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults.get(method, []):
            if fault.times > 0 and fault.channel in (None, params.get("channel")):
                fault.times -= 1
                return fault
        return None

    def _ok(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "BBOT",
                "team": "Test shop",
                "user": "escalation-bot",
                "url": "https://t.slack/",
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"text": params.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        return {"ok": True}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                method = urlsplit(self.path).path.removeprefix("/api/")
                status, headers, body = api.answer(method, {**query, **params})
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@dataclass
class SlackSender:
    """Sends Slack's requests to the App's HTTP endpoint, signed like Slack signs them."""

    endpoint: str
    signing_secret: str
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
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": "t",
            }
        )
        status, body = self.post(form, "application/x-www-form-urlencoded", {})
        return status, body

    def action(self, user: str, action_id: str, value: str, channel: str) -> int:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": TEAM},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel},
            "trigger_id": "t",
            "response_url": "http://127.0.0.1:9/unused",
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

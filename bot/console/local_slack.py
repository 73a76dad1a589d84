"""A local stand-in for Slack's Web API: a stdlib HTTP server on 127.0.0.1 (port chosen at run
time) answering like Slack, recording every call and able to inject `ratelimited` (429 +
Retry-After), `not_in_channel` and HTTP 500 answers. The console renders what it receives;
the tests assert on it."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = "UBOT"
TEAM = "T1"


@dataclass
class Fault:
    error: str  # "ratelimited", "not_in_channel" or "http_500"
    times: int = 1
    channel: str | None = None  # only calls to this channel fail
    retry_after: int = 1


@dataclass
class LocalSlackWebAPI:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # conversations.info: a channel listed here answers as given ("is_member", "is_archived");
    # one in `missing_channels` is not found; any other exists and has the bot in it.
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_channels: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every call
    delivered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # answered ok
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    on_call: Callable[[str, dict[str, Any]], None] | None = None  # sees every successful call

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def start(self) -> LocalSlackWebAPI:
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
            if self.on_call is not None:
                self.on_call(method, {**params, **answer})
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
        if method == "users.list":
            return {"ok": True, "members": list(self.users.values())}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            channel = str(params.get("channel"))
            if channel in self.missing_channels:
                return {"ok": False, "error": "channel_not_found"}
            found = {"id": channel, "is_member": True, **self.channels.get(channel, {})}
            return {"ok": True, "channel": found}
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

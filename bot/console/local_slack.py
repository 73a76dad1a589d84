"""A local stand-in for Slack's Web API: a stdlib HTTP server on 127.0.0.1 (port chosen at run
time) answering like Slack, recording every call and able to inject faults: `ratelimited` (429 +
Retry-After), any Slack error code, HTTP 500, and the two whose outcome the caller cannot know:
a post made and then answered 500 (`posted_then_500`) or answered too late (`posted_then_hang`).
Posted messages keep their metadata and are read back by `conversations.history` and
`conversations.replies`. Files uploaded the v2 way (`files.getUploadURLExternal`, the bytes
POSTed to the URL it gives, `files.completeUploadExternal`) are kept with where they were shared.
The console renders what it receives; the tests assert on it."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = "UBOT"
TEAM = "T1"


@dataclass
class Fault:
    # "ratelimited", "http_500", a Slack error code, or one whose outcome the caller cannot
    # know: "posted_then_500", "posted_then_internal_error" (200, ok false), "posted_then_hang"
    # (the answer comes `hang` seconds late), "hang_then_post" (posted only after `hang`)
    error: str
    times: int = 1
    channel: str | None = None  # only calls to this channel fail
    retry_after: int = 1
    probability: float = 1.0  # a call that could fail fails this often (seeded)
    hang: float = 15.0  # seconds "posted_then_hang" holds its answer back


POSTED_FIRST = ("posted_then_500", "posted_then_internal_error", "posted_then_hang")


@dataclass
class LocalSlackWebAPI:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # conversations.info: a channel listed here answers as given ("is_member", "is_archived");
    # one in `missing_channels` is not found; any other exists and has the bot in it.
    # conversations.list: the channels listed here that have a "name", `list_page` a page.
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_channels: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every call
    delivered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # answered ok
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    on_call: Callable[[str, dict[str, Any]], None] | None = None  # sees every successful call
    # conversations.members: each channel's members (paged `list_page` at a time)
    members: dict[str, list[str]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes POSTed
    # usergroups.list: each user group ({"id", "handle", "name"}); usergroups.users.list: the
    # members of each (by group id, in order); users.getPresence: "active" for a user listed
    # in `active`, else "away". A fault on any of them answers that method with it.
    usergroups: list[dict[str, Any]] = field(default_factory=list)
    usergroup_members: dict[str, list[str]] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    list_page: int = 100
    seed: int = 7
    clock: Callable[[], float] = time.time  # Slack's clock, which stamps each message's ts

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._last_ts = 0.0
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

    def set_name(self, user_id: str, *, display_name: str = "", real_name: str = "") -> None:
        """What `users.info` says `user_id` is called: `profile.display_name` (the name the
        person chose) and `profile.real_name`; "" is a name not set, as Slack leaves it."""
        with self._lock:
            user = self.users.setdefault(user_id, {"id": user_id})
            user["profile"] = {
                **(user.get("profile") or {}),
                "display_name": display_name,
                "real_name": real_name,
            }

    def to(self, method: str) -> list[dict[str, Any]]:
        """The calls of `method` that succeeded."""
        with self._lock:
            return [params for name, params in self.delivered if name == method]

    def attempts(self, method: str) -> int:
        with self._lock:
            return sum(1 for name, _ in self.calls if name == method)

    def files_shared(self) -> list[dict[str, Any]]:
        """Each file shared by `files.completeUploadExternal`: its channel, comment, title and
        the bytes uploaded for it."""
        shared = []
        for params in self.to("files.completeUploadExternal"):
            for file in _as_document(params.get("files") or "[]"):
                shared.append(
                    {
                        "channel": params.get("channel_id"),
                        "initial_comment": params.get("initial_comment"),
                        "title": file.get("title"),
                        "content": self.uploads.get(str(file.get("id"))),
                    }
                )
        return shared

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        return [p for p in self.to("chat.postMessage") if p.get("channel") == channel]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append((method, params))
            fault = self._due_fault(method, params)
        if fault is not None and fault.error not in POSTED_FIRST:
            if fault.error == "ratelimited":
                return (
                    429,
                    {"Retry-After": str(fault.retry_after)},
                    {"ok": False, "error": "ratelimited"},
                )
            if fault.error == "http_500":
                return 500, {}, {"ok": False, "error": "internal_error"}
            if fault.error == "hang_then_post":
                threading.Thread(target=self._post_late, args=(method, params, fault.hang)).start()
                time.sleep(fault.hang + 1)
                return 200, {}, {"ok": True}
            return 200, {}, {"ok": False, "error": fault.error}
        answer = self._deliver(method, params)
        if fault is not None and fault.error == "posted_then_500":
            return 500, {}, {"ok": False, "error": "internal_error"}
        if fault is not None and fault.error == "posted_then_internal_error":
            return 200, {}, {"ok": False, "error": "internal_error"}
        if fault is not None and fault.error == "posted_then_hang":
            time.sleep(fault.hang)
        return 200, {}, answer

    def _post_late(self, method: str, params: dict[str, Any], hang: float) -> None:
        time.sleep(hang)
        self._deliver(method, params)

    def _deliver(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = self._ok(method, params)
        if answer.get("ok"):
            with self._lock:
                posted = method == "chat.postMessage"
                recorded = {**params, "ts": answer["ts"]} if posted else params
                self.delivered.append((method, recorded))
            if self.on_call is not None:
                self.on_call(method, {**params, **answer})
        return answer

    def _due_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults.get(method, []):
            if fault.times > 0 and fault.channel in (None, params.get("channel")):
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.times -= 1
                return fault
        return None

    def _next_ts(self) -> str:
        """Slack's ts: the time of posting, unique per message."""
        with self._lock:
            self._last_ts = max(self.clock(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _history(self, params: dict[str, Any], *, thread: str | None) -> dict[str, Any]:
        channel = str(params.get("channel"))
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        found = []
        for name, message in list(self.delivered):
            if name != "chat.postMessage" or message.get("channel") != channel:
                continue
            parent = message.get("thread_ts")
            if thread is None and parent and parent != message["ts"]:
                continue  # a thread reply: not in the channel's history
            if thread is not None and thread not in (parent, message["ts"]):
                continue
            if not oldest <= float(message["ts"]) <= latest:
                continue
            shown = {"type": "message", "ts": message["ts"], "text": message.get("text")}
            if with_metadata and message.get("metadata"):
                shown["metadata"] = _as_document(message["metadata"])
            found.append(shown)
        if thread is not None and not found:
            return {"ok": False, "error": "thread_not_found"}
        if thread is None:
            found.reverse()  # newest first, as Slack lists a channel
        start = int(params.get("cursor") or 0)
        end = start + int(params.get("limit") or 100)
        more = end < len(found)
        return {
            "ok": True,
            "channel": channel,
            "messages": found[start:end],
            "has_more": more,
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }

    def _channel_list(self, params: dict[str, Any]) -> dict[str, Any]:
        named = [
            {"id": channel, "is_member": True, **about}
            for channel, about in sorted(self.channels.items())
            if about.get("name") and channel not in self.missing_channels
        ]
        start = int(params.get("cursor") or 0)
        end = start + min(int(params.get("limit") or 100), self.list_page)
        more = end < len(named)
        return {
            "ok": True,
            "channels": named[start:end],
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }

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
            ts = params.get("ts") or self._next_ts()
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"text": params.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "users.list":
            return {"ok": True, "members": list(self.users.values())}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            # Slack always answers with a profile; its names are "" where none is set.
            unnamed = {"display_name": "", "real_name": ""}
            return {"ok": True, "user": {**user, "profile": {**unnamed, **user.get("profile", {})}}}
        if method == "conversations.history":
            return self._history(params, thread=None)
        if method == "conversations.replies":
            return self._history(params, thread=str(params.get("ts")))
        if method == "conversations.info":
            channel = str(params.get("channel"))
            if channel in self.missing_channels:
                return {"ok": False, "error": "channel_not_found"}
            found = {"id": channel, "is_member": True, **self.channels.get(channel, {})}
            return {"ok": True, "channel": found}
        if method == "conversations.list":
            return self._channel_list(params)
        if method == "conversations.members":
            return self._paged(self.members.get(str(params.get("channel")), []), params, "members")
        if method == "usergroups.list":
            return {"ok": True, "usergroups": [dict(g) for g in self.usergroups]}
        if method == "usergroups.users.list":
            group = str(params.get("usergroup"))
            if not any(g.get("id") == group for g in self.usergroups):
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroup_members.get(group, []))}
        if method == "users.getPresence":
            active = str(params.get("user")) in self.active
            return {"ok": True, "presence": "active" if active else "away"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users')}"}}
        if method == "files.getUploadURLExternal":
            with self._lock:
                file_id = f"F{len(self.uploads) + 1:06d}"
                self.uploads[file_id] = b""
            upload_url = f"{self.url.removesuffix('api/')}upload/{file_id}"
            return {"ok": True, "file_id": file_id, "upload_url": upload_url}
        if method == "files.completeUploadExternal":
            shared_in = str(params.get("channel_id") or "")
            if shared_in in self.missing_channels:
                return {"ok": False, "error": "channel_not_found"}
            if self.channels.get(shared_in, {}).get("is_member") is False:
                return {"ok": False, "error": "not_in_channel"}
            files = _as_document(params.get("files") or "[]")
            missing = [f for f in files if str(f.get("id")) not in self.uploads]
            if missing or not files:
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": True}

    def _paged(self, items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
        start = int(params.get("cursor") or 0)
        end = start + min(int(params.get("limit") or 100), self.list_page)
        more = end < len(items)
        return {
            "ok": True,
            key: items[start:end],
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }

    def _upload(self, file_id: str, content: bytes) -> int:
        """The upload URL's answer: 200 for a file id it gave out, else 404; a fault on
        "upload" (`http_500`) answers 500 and keeps nothing."""
        with self._lock:
            self.calls.append(("upload", {"file_id": file_id}))
            fault = self._due_fault("upload", {})
            if fault is not None:
                return 500
            if file_id not in self.uploads:
                return 404
            self.uploads[file_id] = content
            return 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.startswith("/upload/"):  # a file's bytes, not an API call
                    content = self.rfile.read(length)
                    status = api._upload(self.path.removeprefix("/upload/"), content)
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
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


def _as_document(value: Any) -> Any:
    """Form-encoded calls carry JSON fields as text."""
    return json.loads(value) if isinstance(value, str) else value

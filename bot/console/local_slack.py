"""A local stand-in for Slack's Web API: a stdlib HTTP server on 127.0.0.1 (port chosen at run
time) answering like Slack, recording every call and able to inject faults: `ratelimited` (429 +
Retry-After), any Slack error code, HTTP 500, and the two whose outcome the caller cannot know:
a post made and then answered 500 (`posted_then_500`) or answered too late (`posted_then_hang`).
Posted messages keep their metadata and are read back by `conversations.history` and
`conversations.replies`. Files uploaded the v2 way (`files.getUploadURLExternal`, the bytes
POSTed to the URL it gives, `files.completeUploadExternal`) are kept with where they were shared.
The console renders what it receives; the tests assert on it.

Many workspaces: `install_team` gives a team's bot a token, `grant` a code that
`oauth.v2.access` exchanges (HTTP Basic client credentials, as slack_sdk's `oauth_v2_access`
sends them) for the response Bolt's `OAuthFlow.run_installation` reads, with token rotation
(`xoxe.xoxb-` tokens, single-use refresh tokens, as Slack's "Using token rotation" describes);
`revoke` takes a team's tokens back. The bearer of every call is recorded (`tokens_used`,
`with_tokens`). Any token Slack does not know answers as team T1 (the console's and most
tests' single token) unless `strict_tokens` is set, where it is `invalid_auth`; a revoked token
is `token_revoked` and an expired one `token_expired` either way."""

from __future__ import annotations

import base64
import itertools
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

CLIENT_ID = "1111.2222"  # the app's credentials oauth.v2.access accepts unless told others
CLIENT_SECRET = "local-client-secret"
APP_ID = "A1"
SCOPES = (
    "chat:write,im:history,im:write,app_mentions:read,channels:history,groups:history,"
    "users:read,channels:read,groups:read,commands,files:write,usergroups:read"
)
TOKEN_LIFETIME = 43200  # seconds: a rotating token lives 12 hours


@dataclass
class Bot:
    """The app's bot user in one workspace, as `auth.test` tells it."""

    team: str
    bot_user: str
    bot_id: str
    enterprise: str | None = None
    team_name: str = ""
    url: str = ""

    def auth_test(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "team_id": self.team,
            "user_id": self.bot_user,
            "bot_id": self.bot_id,
            "team": self.team_name,
            "user": "escalation-bot",
            "url": self.url,
        }
        if self.enterprise is not None:  # a workspace of an Enterprise Grid org
            answer.update(enterprise_id=self.enterprise, is_enterprise_install=False)
        return answer


# Who answers a token Slack does not know, unless `strict_tokens` (today's single workspace).
DEFAULT_BOT = Bot(TEAM, BOT_USER, "BBOT", team_name="Test shop", url="https://t.slack/")


@dataclass
class _Token:
    bot: Bot
    expires_at: float | None = None  # rotating tokens only
    revoked: bool = False


@dataclass
class _Grant:
    team: str
    rotating: bool
    installer: str
    scope: str
    org_wide: bool = False


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
    # A token not issued here (`install_team`, `grant`) answers `invalid_auth` (none at all:
    # `not_authed`), instead of answering as team T1.
    strict_tokens: bool = False
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    token_lifetime: int = TOKEN_LIFETIME  # `expires_in` of rotating tokens
    # users.info answers a member of another team only to a token of a team that shares a
    # channel with theirs (`connect`), as Slack does (`user_not_found` otherwise), instead of
    # answering anyone to any token.
    strict_users: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._bots: dict[str, Bot] = {}  # by team
        self._tokens: dict[str, _Token] = {}  # every access token issued
        self._refresh_tokens: dict[str, str] = {}  # live refresh token -> its team
        self._grants: dict[str, _Grant] = {}  # codes not exchanged yet
        self._exchanged: set[str] = set()
        self._serial = itertools.count(1)
        self._bearers: list[tuple[str, str | None, dict[str, Any]]] = []  # every call
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}  # shared files, by id
        self._redirects: dict[str, str] = {}  # shared file id -> where its download redirects
        self._connected: dict[str, set[str]] = {}  # Slack Connect channel -> its teams
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

    def install_team(
        self,
        team: str,
        bot_user: str,
        enterprise: str | None = None,
        *,
        rotating: bool = False,
        team_name: str = "",
    ) -> str:
        """The app installed in `team`, its bot user `bot_user`: a new bot token for it (a
        rotating `xoxe.xoxb-` one, expiring after `token_lifetime`, if `rotating`)."""
        with self._lock:
            bot = self._install(team, bot_user, enterprise, team_name)
            return self._issue(bot, rotating)

    def grant(
        self,
        code: str,
        team: str,
        rotating: bool = False,
        *,
        bot_user: str | None = None,
        enterprise: str | None = None,
        installer: str = "UINSTALLER",
        scope: str = SCOPES,
        org_wide: bool = False,
    ) -> None:
        """`code` is what Slack's consent screen gave a person installing the app in `team`:
        `oauth.v2.access` exchanges it once for a bot token (with a refresh token and
        `expires_in` if `rotating`). `org_wide`: installed for the whole Enterprise Grid
        organisation `enterprise` (the answer names no team, is_enterprise_install true)."""
        with self._lock:
            known = self._bots.get(team)
            self._install(
                team,
                bot_user or (known.bot_user if known else f"U{team}BOT"),
                enterprise if enterprise is not None else (known.enterprise if known else None),
                known.team_name if known else "",
            )
            self._grants[code] = _Grant(team, rotating, installer, scope, org_wide)

    def revoke(self, team: str) -> None:
        """The app uninstalled from `team` (or its tokens revoked): every token issued for it
        answers `token_revoked`, its refresh tokens `invalid_refresh_token`."""
        with self._lock:
            for token in self._tokens.values():
                if token.bot.team == team:
                    token.revoked = True
            for refresh, owner in list(self._refresh_tokens.items()):
                if owner == team:
                    del self._refresh_tokens[refresh]

    def bot_of(self, team: str) -> Bot | None:
        with self._lock:
            return self._bots.get(team)

    def team_of(self, token: str | None) -> str | None:
        """The team `token` was issued for; a token not issued here is T1's (None when
        `strict_tokens`)."""
        with self._lock:
            known = self._tokens.get(token or "")
        if known is not None:
            return known.bot.team
        return None if self.strict_tokens else TEAM

    def tokens_used(self, method: str) -> list[str | None]:
        """The bearer token of every call of `method`, answered or not, in order (None: no
        token, as oauth.v2.access is called with the client's credentials)."""
        with self._lock:
            return [token for name, token, _ in self._bearers if name == method]

    def every_call(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        """Every call so far, answered or not: its method, the token it carried, its params."""
        with self._lock:
            return list(self._bearers)

    def with_tokens(self, method: str) -> list[tuple[str | None, dict[str, Any]]]:
        """Every call of `method` with the token it carried."""
        with self._lock:
            return [(token, params) for name, token, params in self._bearers if name == method]

    def add_user(self, user_id: str, team: str = TEAM, **about: Any) -> None:
        """A member of `team` (a workspace, or another organisation's in a Slack Connect
        channel): `users.info` answers their `team_id`; `users.list` lists them to `team`'s
        bot only. `about`: more fields (`is_admin`, `profile`, `enterprise_user`...)."""
        with self._lock:
            self.users[user_id] = {"id": user_id, "team_id": team, **about}

    def connect(self, channel: str, *teams: str) -> None:
        """`channel` is shared between `teams` (Slack Connect): `conversations.info` says
        `is_ext_shared`, and (with `strict_users`) each team's token may look up the others'
        members with `users.info`."""
        with self._lock:
            self._connected.setdefault(channel, set()).update(teams)
            self.channels.setdefault(channel, {}).update(is_shared=True, is_ext_shared=True)

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

    def share_file(
        self,
        name: str,
        content: bytes,
        *,
        team: str = TEAM,
        user: str = "",
        filetype: str = "text",
        redirect_to: str | None = None,
    ) -> dict[str, Any]:
        """A file someone in `team` shared (as in a `file_share` message's `files`): its
        `url_private_download` gives `content` to a bearer token of `team` (a token not
        issued here counts as T1's unless `strict_tokens`); any other token, or none, gets
        Slack's sign-in page as HTML with status 200, as files.slack.com answers a request it
        cannot authorise. `files.info` answers it too. `redirect_to`: an authorised download
        is answered with a redirect (302) there instead, as a file host may send a download
        on to another host that holds the bytes."""
        with self._lock:
            file_id = f"F{team}{len(self._files) + 1:04d}"
            base = f"{self.url.removesuffix('api/')}files-pri/{team}-{file_id}"
            about = {
                "id": file_id,
                "name": name,
                "title": name,
                "filetype": filetype,
                "mimetype": "text/plain" if filetype == "text" else "application/octet-stream",
                "size": len(content),
                "user": user,
                "user_team": team,
                "url_private": f"{base}/{name}",
                "url_private_download": f"{base}/download/{name}",
            }
            if redirect_to is not None:
                self._redirects[file_id] = redirect_to
            self._files[file_id] = (about, content)
            return dict(about)

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        return [p for p in self.to("chat.postMessage") if p.get("channel") == channel]

    def answer(
        self, method: str, params: dict[str, Any], *, authorization: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """Slack's answer to `method` called with `params` and the request's Authorization
        header (slack_sdk sends the token as a bearer; form calls may carry `token`)."""
        token = _bearer(authorization) or _text(params.get("token"))
        with self._lock:
            self.calls.append((method, params))
            self._bearers.append((method, token, params))
            refused = None if method in WITHOUT_TOKEN else self._refusal(token)
            fault = None if refused else self._due_fault(method, params)
        if refused is not None:  # Slack answers a bad token 200, ok false
            return 200, {}, {"ok": False, "error": refused}
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
                late = (method, params, fault.hang, token)
                threading.Thread(target=self._post_late, args=late).start()
                time.sleep(fault.hang + 1)
                return 200, {}, {"ok": True}
            return 200, {}, {"ok": False, "error": fault.error}
        answer = self._deliver(method, params, token, authorization)
        if fault is not None and fault.error == "posted_then_500":
            return 500, {}, {"ok": False, "error": "internal_error"}
        if fault is not None and fault.error == "posted_then_internal_error":
            return 200, {}, {"ok": False, "error": "internal_error"}
        if fault is not None and fault.error == "posted_then_hang":
            time.sleep(fault.hang)
        return 200, {}, answer

    def _post_late(
        self, method: str, params: dict[str, Any], hang: float, token: str | None
    ) -> None:
        time.sleep(hang)
        self._deliver(method, params, token, None)

    def _deliver(
        self,
        method: str,
        params: dict[str, Any],
        token: str | None = None,
        authorization: str | None = None,
    ) -> dict[str, Any]:
        if method == "oauth.v2.access":
            answer = self._oauth_access(params, authorization)
        elif method == "auth.revoke":  # the token it is called with stops working
            with self._lock:
                known = self._tokens.get(token or "")
                if known is not None:
                    known.revoked = True
            answer = {"ok": True, "revoked": True}
        else:
            answer = self._ok(method, params, self._bot_for(token))
        if answer.get("ok"):
            with self._lock:
                posted = method == "chat.postMessage"
                recorded = {**params, "ts": answer["ts"]} if posted else params
                self.delivered.append((method, recorded))
            if self.on_call is not None:
                self.on_call(method, {**params, **answer})
        return answer

    # -- tokens and installations (call with the lock held) --

    def _install(self, team: str, bot_user: str, enterprise: str | None, name: str) -> Bot:
        bot = self._bots.get(team)
        if bot is None:
            bot = self._bots[team] = Bot(team, bot_user, "")
        # changed in place: tokens issued before answer with the bot as it is now
        bot.bot_user = bot_user
        bot.bot_id = DEFAULT_BOT.bot_id if bot_user == BOT_USER else f"B{bot_user[1:]}"
        bot.enterprise = enterprise
        bot.team_name = (
            name
            or bot.team_name
            or (DEFAULT_BOT.team_name if team == TEAM else f"Workspace {team}")
        )
        bot.url = DEFAULT_BOT.url if team == TEAM else f"https://{team.lower()}.slack/"
        return bot

    def _issue(self, bot: Bot, rotating: bool) -> str:
        serial = next(self._serial)
        if not rotating:
            token = f"xoxb-{bot.team}-{serial}"
            self._tokens[token] = _Token(bot)
            return token
        token = f"xoxe.xoxb-1-{bot.team}-{serial}"
        self._tokens[token] = _Token(bot, expires_at=self.clock() + self.token_lifetime)
        return token

    def _refusal(self, token: str | None) -> str | None:
        """Why Slack refuses a call with `token`, or None."""
        known = self._tokens.get(token or "")
        if known is None:
            if not self.strict_tokens:
                return None  # answered as T1
            return "invalid_auth" if token else "not_authed"
        if known.revoked:
            return "token_revoked"
        if known.expires_at is not None and self.clock() >= known.expires_at:
            return "token_expired"
        return None

    def _bot_for(self, token: str | None) -> Bot:
        with self._lock:
            known = self._tokens.get(token or "")
        return DEFAULT_BOT if known is None else known.bot

    def _oauth_access(self, params: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        """oauth.v2.access: a code granted by `grant` exchanged once, or (grant_type
        refresh_token) a live refresh token exchanged once for a new token and refresh token,
        the one used revoked. The client authenticates with HTTP Basic (slack_sdk) or with
        `client_id`/`client_secret` in the form."""
        client_id, client_secret = _basic(authorization) or (
            _text(params.get("client_id")),
            _text(params.get("client_secret")),
        )
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        grant_type = _text(params.get("grant_type")) or "authorization_code"
        with self._lock:
            if grant_type == "refresh_token":
                refresh = _text(params.get("refresh_token")) or ""
                team = self._refresh_tokens.pop(refresh, None)  # single use
                if team is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                return self._access(self._bots[team], rotating=True, scope=SCOPES)
            if grant_type != "authorization_code":
                return {"ok": False, "error": "invalid_grant_type"}
            code = _text(params.get("code")) or ""
            if code in self._exchanged:
                return {"ok": False, "error": "code_already_used"}
            grant = self._grants.pop(code, None)
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            self._exchanged.add(code)
            answer = self._access(self._bots[grant.team], grant.rotating, grant.scope)
            answer["authed_user"] = {"id": grant.installer}
            if grant.org_wide:
                answer.update(team=None, is_enterprise_install=True)
            return answer

    def _access(self, bot: Bot, rotating: bool, scope: str) -> dict[str, Any]:
        """oauth.v2.access's answer for a bot token of `bot` (what Bolt's
        OAuthFlow.run_installation and slack_sdk's TokenRotator read)."""
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": APP_ID,
            "access_token": self._issue(bot, rotating),
            "token_type": "bot",
            "scope": scope,
            "bot_user_id": bot.bot_user,
            "team": {"id": bot.team, "name": bot.team_name},
            "enterprise": None if bot.enterprise is None else {"id": bot.enterprise},
            "is_enterprise_install": False,
        }
        if rotating:
            refresh = f"xoxe-1-{bot.team}-{next(self._serial)}"
            self._refresh_tokens[refresh] = bot.team
            answer.update(refresh_token=refresh, expires_in=self.token_lifetime)
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

    def _ok(self, method: str, params: dict[str, Any], bot: Bot = DEFAULT_BOT) -> dict[str, Any]:
        if method == "auth.test":
            return bot.auth_test()
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
        if method == "users.list":  # the members of the caller's workspace
            members = [{"team_id": TEAM, **user} for user in list(self.users.values())]
            return {"ok": True, "members": [m for m in members if m["team_id"] == bot.team]}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None or not self._visible(user, bot.team):
                return {"ok": False, "error": "user_not_found"}
            # Slack always answers with a profile; its names are "" where none is set. A
            # member of another organisation (Slack Connect) carries their own team_id.
            unnamed = {"display_name": "", "real_name": ""}
            profile = {**unnamed, **user.get("profile", {})}
            return {"ok": True, "user": {"team_id": TEAM, **user, "profile": profile}}
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
        if method == "files.info":
            with self._lock:
                shared = self._files.get(str(params.get("file")))
            if shared is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": dict(shared[0])}
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

    def _visible(self, user: dict[str, Any], team: str) -> bool:
        """Whether `team`'s token may look `user` up: always, unless `strict_users`; then a
        member of `team` (or of its Grid organisation's workspaces), or of a team that shares a
        channel with `team`."""
        theirs = str(user.get("team_id") or TEAM)
        if not self.strict_users or theirs == team:
            return True
        if team in ((user.get("enterprise_user") or {}).get("teams") or ()):
            return True
        with self._lock:
            return any({team, theirs} <= teams for teams in self._connected.values())

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

    def _download(self, path: str, authorization: str | None) -> tuple[int, str, bytes]:
        """A GET of a shared file's URL: status, content type, body."""
        token = _bearer(authorization)
        parts = path.removeprefix("/files-pri/").split("/")
        file_id = parts[0].partition("-")[2]
        with self._lock:
            self.calls.append(("file_download", {"file": file_id}))
            self._bearers.append(("file_download", token, {"file": file_id}))
            if self._due_fault("file_download", {}) is not None:
                return 500, "text/plain", b"internal error"
            shared = self._files.get(file_id)
            refused = "not_authed" if token is None else self._refusal(token)
            known = self._tokens.get(token or "")
        if shared is None:
            return 404, "text/plain", b"not found"
        team = known.bot.team if known is not None else TEAM
        if refused is not None or shared[0]["user_team"] != team:
            return 200, "text/html; charset=utf-8", SIGN_IN_PAGE
        with self._lock:
            elsewhere = self._redirects.get(file_id)
        if elsewhere is not None:
            return 302, f"location:{elsewhere}", b""
        return 200, "application/octet-stream", shared[1]

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
                status, headers, body = api.answer(
                    method,
                    {**query, **params},
                    authorization=self.headers.get("Authorization"),
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                if not self.path.startswith("/files-pri/"):
                    self.do_POST()
                    return
                status, kind, content = api._download(
                    urlsplit(self.path).path, self.headers.get("Authorization")
                )
                self.send_response(status)
                if kind.startswith("location:"):  # a redirect (share_file's redirect_to)
                    self.send_header("Location", kind.removeprefix("location:"))
                else:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


# What files.slack.com answers (200) to a download it cannot authorise: its sign-in page.
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"

WITHOUT_TOKEN = frozenset({"oauth.v2.access", "api.test"})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bearer(authorization: str | None) -> str | None:
    scheme, _, credentials = (authorization or "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _basic(authorization: str | None) -> tuple[str, str] | None:
    """client id and secret of an `Authorization: Basic` header (slack_sdk's
    BaseClient._sync_send encodes `client_id:client_secret` so for oauth.v2.access)."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _as_document(value: Any) -> Any:
    """Form-encoded calls carry JSON fields as text."""
    return json.loads(value) if isinstance(value, str) else value

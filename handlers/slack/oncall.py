"""On-call routing's Slack reads: a user group by handle (`usergroups.list`), its members
(`usergroups.users.list`) and whether a person is active (`users.getPresence`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.desk.oncall import GroupSearch, RosterUnavailable
from handlers.slack.pacing import PacedWebClient, SlackPacer
from handlers.slack.sender import DEFAULT_SLACK_API_URL

# A group's members are kept this long (a step reads them for each offer), and each person's
# presence a little: a burst of handoffs must not ask Slack about the same people again and
# again (users.getPresence allows about 50 calls a minute).
KEEP_MEMBERS = 60.0
KEEP_PRESENCE = 30.0
# Slack's answers that say: not now (asking again soon may work).
_PASSING = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_SCOPES = {"usergroups.users.list": "usergroups:read", "users.getPresence": "users:read"}
READ_TIMEOUT = 5  # seconds: the timers' sweep waits on these reads (a hung Slack once per group)


def make_roster_client(
    *,
    token: str | None,
    base_url: str | None,
    pacer: SlackPacer | None = None,
    workspace_id: str | None = None,
) -> WebClient:
    """A client for round robin's reads in the timers' sweep: short, one quick retry on a 5xx
    or a reset; a rate limit is not waited out here (the step rests and the sweep goes on).
    With `pacer`, a spent budget of `workspace_id` is refused at once, as Slack's 429."""
    common: dict[str, Any] = {
        "token": token,
        "base_url": base_url or DEFAULT_SLACK_API_URL,
        "timeout": READ_TIMEOUT,
        "retry_handlers": [
            ServerErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    }
    if pacer is None:
        return WebClient(**common)
    return PacedWebClient(pacer=pacer, workspace_id=workspace_id, max_wait=0.0, **common)


def find_group(client: WebClient, handle: str) -> GroupSearch:
    """The enabled user group whose handle is `handle` (without "@", any case)."""
    try:
        groups = client.usergroups_list(include_disabled=False).get("usergroups") or []
    except SlackApiError as error:
        code = _code(error)
        return GroupSearch(problem="no_permission" if code == "missing_scope" else "unknown")
    except (SlackClientError, OSError):
        return GroupSearch(problem="unknown")
    for group in groups:
        if str(group.get("handle") or "").lower() == handle.lower() and group.get("id"):
            return GroupSearch(group_id=str(group["id"]), handle=str(group["handle"]))
    return GroupSearch(problem="not_found")


class SlackRoster:
    """`OncallRoster` over Slack's Web API; Slack's failures become `RosterUnavailable`."""

    def __init__(self, client: WebClient, *, clock: Callable[[], float]) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._members: TTLCache[str, tuple[str, ...]] = TTLCache(
            maxsize=1_000, ttl=KEEP_MEMBERS, timer=clock
        )
        self._presence: TTLCache[str, bool] = TTLCache(
            maxsize=10_000, ttl=KEEP_PRESENCE, timer=clock
        )

    def members(self, group_id: str) -> tuple[str, ...]:
        with self._lock:
            kept = self._members.get(group_id)
        if kept is not None:
            return kept
        with _unavailable("usergroups.users.list"):
            response = self.client.usergroups_users_list(usergroup=group_id)
        members = tuple(str(user) for user in response.get("users") or [])
        with self._lock:
            self._members[group_id] = members
        return members

    def is_active(self, user_id: str) -> bool:
        with self._lock:
            kept = self._presence.get(user_id)
        if kept is not None:
            return kept
        try:
            with _unavailable("users.getPresence"):
                response = self.client.users_getPresence(user=user_id)
        except RosterUnavailable as failure:
            if failure.reason.endswith((" user_not_found", " account_inactive")):
                return False  # gone from the workspace: not someone to offer it to
            raise  # nothing kept: asked again at the next step
        active = response.get("presence") == "active"
        with self._lock:
            self._presence[user_id] = active
        return active


@contextmanager
def _unavailable(method: str) -> Iterator[None]:
    try:
        yield
    except SlackApiError as error:
        code = _code(error)
        status = error.response.status_code if error.response is not None else 200
        if code == "missing_scope":
            raise RosterUnavailable(
                f"the app lacks {_SCOPES[method]}: reinstall it from manifest.yml",
                transient=False,
            ) from error
        raise RosterUnavailable(
            f"Slack answered {code or f'HTTP {status}'}",
            transient=status >= 500 or code in _PASSING,
        ) from error
    except (SlackClientError, OSError) as error:  # the network, a timeout
        raise RosterUnavailable(
            f"Slack could not be reached ({type(error).__name__})", transient=True
        ) from error


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "") if error.response is not None else ""

"""Paces the workers' Slack Web API calls per workspace, so one busy workspace never spends
another's budget.

Slack limits calls "per API method per app per workspace", in tiers, and chat.postMessage per
channel besides (https://docs.slack.dev/apis/web-api/rate-limits, read 2026-12; each method's
tier from its page under https://docs.slack.dev/reference/methods/). Each (workspace, method)
has its own token bucket here, and each (workspace, channel) for posts. A call whose bucket is
empty waits at most `max_wait` (0 for the workers: they never sleep on a budget) and is
otherwise refused before it leaves, answered as Slack answers a rate limit (HTTP 429 with a
Retry-After) plus `paced` ("channel" or "workspace"), so callers rest exactly as they do for
Slack's own 429.

Budgets are per process, each a `share` of Slack's (1/N for N worker processes): a shared
bucket in the database would cost a write transaction per Slack call. Slack's own 429 is the
authority: it rests that workspace's method in this process at once and, through the shared
rests (the `channel_pacing` table, keyed "workspace/method"), in every process within
`REFRESH` seconds; other workspaces are untouched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Budget:
    """`per_minute` calls on average, `burst` of them at once."""

    per_minute: float
    burst: int


# Slack's published minimums per tier (the rate-limits page: Tier 1 "1+ per minute", Tier 2
# "20+", Tier 3 "50+", Tier 4 "100+"); bursts are ours, small, as the page allows "occasional".
TIERS = {1: Budget(1, 1), 2: Budget(20, 3), 3: Budget(50, 5), 4: Budget(100, 10)}
# The tier of every method the workers call (each method's reference page, "Rate Limits").
# conversations.history/replies: Tier 3 for internal and Marketplace apps; a commercially
# distributed app outside the Marketplace gets 1 a minute (their pages, since 2025-05-29).
METHOD_TIERS = {
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "users.info": 4,
    "users.list": 2,
    "users.getPresence": 3,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
    "auth.test": 4,
}
UNKNOWN_TIER = 2  # "most methods allow at least 20 requests per minute"
POST = "chat.postMessage"
# chat.postMessage is of the special tier: "one message per second per channel" with short
# bursts, "while also maintaining a workspace-wide limit" whose figure Slack does not publish;
# 240 a minute (4 a second) is our choice, well under the several hundred seen in practice.
POST_PER_CHANNEL = Budget(60, 3)
POST_PER_WORKSPACE = Budget(240, 20)
# How often a process reads the rests other processes recorded (only while it calls Slack).
REFRESH = 1.0
# A refusal's Retry-After is never shorter than this: a row put back for less would be taken
# again before the bucket has a token, costing a transaction for nothing.
MIN_RETRY_AFTER = 0.05


class TokenBucket:
    """`capacity` tokens, refilled at `rate` a second; not locked (the pacer locks)."""

    def __init__(self, *, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now
        self.not_before = 0.0  # a rest Slack asked for: no token until then

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now)."""
        if now < self.not_before:
            return self.not_before - now
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def rest(self, until: float) -> None:
        """Slack said no until `until`: nothing before then, and one call at most then."""
        self.not_before = max(self.not_before, until)
        self.tokens = min(self.tokens, 1.0)
        self.stamp = max(self.stamp, until)


class SharedRests(Protocol):
    """Rests every process honours: "workspace/method" -> until when."""

    def rest(self, key: str, *, until: datetime) -> None: ...

    def resting(self, *, now: datetime) -> dict[str, datetime]: ...


class SqlSharedRests:
    """`SharedRests` in the `channel_pacing` table (channel ids hold no "/", so a
    "workspace/method" key never meets a channel's rest); purged with them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def rest(self, key: str, *, until: datetime) -> None:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.pacing.rest(key, until=until)
            uow.commit()

    def resting(self, *, now: datetime) -> dict[str, datetime]:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            return {k: v for k, v in uow.pacing.resting(now=now).items() if "/" in k}


@dataclass(frozen=True, slots=True)
class Refusal:
    """The call must wait `retry_after` seconds; `scope`: "channel" (this channel's posts) or
    "workspace" (this workspace's calls of the method)."""

    retry_after: float
    scope: str


def rest_key(workspace_id: str, method: str) -> str:
    return f"{workspace_id}/{method}"


class SlackPacer:
    """Token buckets per (workspace, method) and per (workspace, channel) for posts."""

    def __init__(
        self,
        *,
        share: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedRests | None = None,
        refresh: float = REFRESH,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], not {share!r}")
        self.share = share
        self.clock = clock
        self.sleep = sleep
        self.shared = shared
        self.refresh = refresh
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._refreshed = float("-inf")

    def budget(self, method: str) -> Budget:
        if method == POST:
            return POST_PER_WORKSPACE
        return TIERS[METHOD_TIERS.get(method, UNKNOWN_TIER)]

    def reserve(self, workspace_id: str, method: str, channel: str | None = None) -> Refusal | None:
        """Take a token from every bucket the call needs, or from none and say how long to
        wait (the longest of the empty ones)."""
        self._follow_shared_rests()
        now = self.clock()
        with self._lock:
            buckets = [(self._bucket(workspace_id, method, self.budget(method), now), "workspace")]
            if method == POST and channel:
                buckets.append(
                    (self._bucket(workspace_id, POST, POST_PER_CHANNEL, now, channel), "channel")
                )
            waits = [(bucket.wait(now), scope) for bucket, scope in buckets]
            wait, scope = max(waits)
            if wait > 0:
                return Refusal(max(wait, MIN_RETRY_AFTER), scope)
            for bucket, _ in buckets:
                bucket.take(now)
            return None

    def acquire(
        self,
        workspace_id: str,
        method: str,
        channel: str | None = None,
        *,
        max_wait: float = 0.0,
    ) -> Refusal | None:
        """`reserve`, waiting up to `max_wait` seconds in all for a token; the refusal if
        there is still none."""
        deadline = self.clock() + max_wait
        while True:
            refusal = self.reserve(workspace_id, method, channel)
            if refusal is None:
                return None
            if self.clock() + refusal.retry_after > deadline:
                return refusal
            self.sleep(refusal.retry_after)

    def rate_limited(
        self, workspace_id: str, method: str, channel: str | None, *, retry_after: float
    ) -> None:
        """Slack answered 429: rest what it limited here, and in every process through the
        shared rests (a post's channel is rested by the outbox drainer, as before)."""
        now = self.clock()
        until = now + retry_after
        with self._lock:
            if method == POST and channel:
                self._bucket(workspace_id, POST, POST_PER_CHANNEL, now, channel).rest(until)
            else:
                self._bucket(workspace_id, method, self.budget(method), now).rest(until)
        if self.shared is not None and not (method == POST and channel):
            key = rest_key(workspace_id, method)
            try:
                self.shared.rest(key, until=datetime.fromtimestamp(until, UTC))
            except Exception:  # the database is away: this process still rests
                log.warning("could not share the rest of %s", key, exc_info=True)

    def _bucket(
        self, workspace_id: str, method: str, budget: Budget, now: float, *channel: str
    ) -> TokenBucket:
        key = (workspace_id, method, *channel)
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = budget.per_minute * self.share / 60.0
            capacity = max(1.0, budget.burst * self.share)
            bucket = self._buckets[key] = TokenBucket(rate=rate, capacity=capacity, now=now)
        return bucket

    def _follow_shared_rests(self) -> None:
        if self.shared is None:
            return
        now = self.clock()
        with self._lock:
            if now - self._refreshed < self.refresh:
                return
            self._refreshed = now
        try:
            rests = self.shared.resting(now=datetime.fromtimestamp(now, UTC))
        except Exception:  # the database is away: the local buckets still pace
            log.warning("could not read the shared rests", exc_info=True)
            return
        with self._lock:
            for key, until in rests.items():
                workspace_id, _, method = key.partition("/")
                bucket = self._bucket(workspace_id, method, self.budget(method), now)
                bucket.rest(until.timestamp())


class PacedWebClient(WebClient):
    """slack_sdk's WebClient, each call paced by `pacer` for `workspace_id` (every method of
    the client goes through `api_call`, the SDK's one place a call is made)."""

    def __init__(
        self,
        *,
        pacer: SlackPacer,
        workspace_id: str | None,
        max_wait: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer
        self.workspace_id = workspace_id or ""
        self.max_wait = max_wait

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        channel = _channel_of(json, data, params)
        refusal = self.pacer.acquire(self.workspace_id, api_method, channel, max_wait=self.max_wait)
        if refusal is not None:
            raise SlackApiError(  # type: ignore[no-untyped-call]
                f"paced: {api_method} waits {refusal.retry_after:.2f}s ({refusal.scope})",
                self._refused(api_method, http_verb, refusal),
            )
        try:
            return super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
        except SlackApiError as error:
            retry_after = _slack_retry_after(error)
            if retry_after is not None:
                self.pacer.rate_limited(
                    self.workspace_id, api_method, channel, retry_after=retry_after
                )
            raise

    def _refused(self, api_method: str, http_verb: str, refusal: Refusal) -> SlackResponse:
        """The answer Slack gives a rate-limited call, made here: nothing was sent."""
        return SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=f"{self.base_url}{api_method}",
            req_args={},
            data={"ok": False, "error": "ratelimited", "paced": refusal.scope},
            headers={"Retry-After": f"{refusal.retry_after:.3f}"},
            status_code=429,
        )


def _channel_of(*bodies: dict[str, Any] | None) -> str | None:
    for body in bodies:
        if body and body.get("channel"):
            return str(body["channel"])
    return None


def _slack_retry_after(error: SlackApiError) -> float | None:
    """Slack's Retry-After when it answered 429, else None."""
    response = error.response
    if response is None or response.status_code != 429:
        return None
    value = (response.headers or {}).get("Retry-After") or (response.headers or {}).get(
        "retry-after"
    )
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0

"""Posts the outbox to Slack with `WebClient`: messages, Block Kit cards, admins' notices.

Every post carries its outbox row's id as message metadata, so a post whose answer was lost
(a timeout, a 5xx after Slack posted) is found in the channel's history instead of posted twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.models.metadata import Metadata

from bot.workers.outbox import CardContext, Posted, SendFailed
from db.repositories import HandoffRecord
from escalation.claimed import spoken_name
from handlers.slack.cards import blocks_as_dicts, handoff_blocks, handoff_text
from handlers.slack.markup import as_slack_text
from handlers.slack.pacing import PacedWebClient, SlackPacer

log = logging.getLogger(__name__)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_SLACK_ID = re.compile(r"[A-Z0-9]+")
# Slack errors that retrying cannot fix until an admin changes something, said for the admins.
NEEDS_AN_ADMIN = {
    "not_in_channel": "I am not a member of that channel",
    "channel_not_found": "that channel no longer exists",
    "is_archived": "that channel is archived",
}


# Slack's answers to a token it will not take (revoked, of an uninstalled app, never issued).
TOKEN_REFUSED = frozenset(
    {"invalid_auth", "account_inactive", "token_revoked", "token_expired", "not_authed"}
)

# Slack errors no retry of the same post can fix (a message too long, a token revoked ...).
CANNOT_HEAL = frozenset(
    {
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "msg_too_long",
        "invalid_blocks",
        "user_not_found",
        "cannot_dm_bot",
        "missing_scope",
    }
)


# The metadata event type every post carries; its payload names the outbox row.
POSTED_EVENT = "escalation_bot_post"
# A lost post is looked for in a window around the attempt: from a little before it (Slack's
# clock and ours differ) to well after the call timed out or failed. A narrow window keeps the
# look short: Slack lists a channel newest first and serves some apps 15 messages a call, once
# a minute; at Slack's pace of about one post a second per channel, 5 pages cover the window.
CLOCK_SLACK = timedelta(seconds=30)
LANDED_WITHIN = timedelta(seconds=30)
HISTORY_PAGE = 15
HISTORY_PAGES = 5
# Slack's errors that say part of the call may have succeeded: the post may be there.
MAYBE_DONE = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
SEND_TIMEOUT = 10  # seconds; well inside the outbox lease, so a hung call cannot outlive it


def make_web_client(*, token: str | None, base_url: str | None) -> WebClient:
    """slack_sdk's client with its own retry handlers: one quick retry on 429, 5xx, resets.

    For the listeners' calls (reads, ephemeral answers); the outbox posts with
    `make_posting_client`.
    """
    return WebClient(
        token=token,
        base_url=base_url or DEFAULT_SLACK_API_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


def make_posting_client(
    *,
    token: str | None,
    base_url: str | None,
    timeout: int = SEND_TIMEOUT,
    pacer: SlackPacer | None = None,
    workspace_id: str | None = None,
) -> WebClient:
    """A client that never retries by itself: re-posting after a 5xx or a lost answer could
    post twice, and waiting out a 429 in place would stall every other channel; the outbox
    drainer decides both (it looks before re-posting and rests only the limited channel).
    With `pacer`, `workspace_id`'s calls are paced and never wait: a spent budget is refused
    at once, as Slack's 429 (see handlers/slack/pacing.py)."""
    common: dict[str, Any] = {
        "token": token,
        "base_url": base_url or DEFAULT_SLACK_API_URL,
        "timeout": timeout,
        "retry_handlers": [],
    }
    if pacer is None:
        return WebClient(**common)
    return PacedWebClient(pacer=pacer, workspace_id=workspace_id, max_wait=0.0, **common)


class SlackSender:
    """The outbox drainer's `Sender` for Slack; Slack's refusals become `SendFailed`."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post_message(
        self,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        outbox_id: int | None = None,
        mention: dict[str, str] | None = None,
    ) -> Posted:
        """Post plain text, shown literally (a customer's "<!channel>" pings nobody); the
        bot's own `mention` ({"group": "S1"}, {"user": "U1"}) comes first, as Slack's markup."""
        with _as_send_failed():
            response = self.client.chat_postMessage(
                channel=channel,
                text=with_mention(mention, as_slack_text(text)),
                thread_ts=thread_ts,
                metadata=_metadata(outbox_id),
            )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    def post_card(
        self,
        *,
        channel: str,
        record: HandoffRecord,
        context: CardContext,
        outbox_id: int | None = None,
    ) -> Posted:
        with _as_send_failed():
            response = self.client.chat_postMessage(
                channel=channel,
                text=with_mention(
                    {"group": context.oncall_group} if context.oncall_group else None,
                    handoff_text(record),
                ),
                blocks=blocks_as_dicts(handoff_blocks(record, context)),
                unfurl_links=False,
                metadata=_metadata(outbox_id),
            )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    def find_posted(
        self, *, channel: str, thread_ts: str | None, outbox_id: int, since: datetime
    ) -> Posted | None:
        """Look through the channel (or the thread) from just before `since` (the attempt that
        may have posted) for the row's post."""
        window = {
            "oldest": f"{(since - CLOCK_SLACK).timestamp():.6f}",
            "latest": f"{(since + LANDED_WITHIN + CLOCK_SLACK).timestamp():.6f}",
        }
        cursor: str | None = None
        for page_number in range(HISTORY_PAGES):
            try:
                page = self._history_page(channel, thread_ts, window=window, cursor=cursor)
            except SendFailed as failure:
                if page_number and failure.retry_after is not None:
                    # A later page refused for now: the look starts over, and that costs an
                    # attempt, so a channel too busy to search cannot wait forever.
                    raise SendFailed("ratelimited while looking for an earlier post") from failure
                raise
            for message in page.get("messages") or []:
                if _outbox_id_of(message) == outbox_id:
                    return {"channel": page.get("channel") or channel, "ts": message.get("ts")}
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    def _history_page(
        self, channel: str, thread_ts: str | None, *, window: dict[str, str], cursor: str | None
    ) -> dict[str, Any]:
        common: dict[str, Any] = {
            "channel": channel,
            **window,
            "inclusive": True,
            "include_all_metadata": True,
            "limit": HISTORY_PAGE,
            "cursor": cursor,
        }
        try:
            with _as_send_failed():
                if thread_ts:
                    response = self.client.conversations_replies(ts=thread_ts, **common)
                else:
                    response = self.client.conversations_history(**common)
        except SendFailed as failure:
            if failure.reason == "thread_not_found":  # the thread is gone: nothing of ours in it
                return {}
            raise
        return {
            "channel": response.get("channel"),
            "messages": response.get("messages") or [],
            "response_metadata": response.get("response_metadata") or {},
        }

    def update_card(
        self, *, channel: str, ts: str, record: HandoffRecord, context: CardContext
    ) -> None:
        with _as_send_failed():
            self.client.chat_update(
                channel=channel,
                ts=ts,
                text=handoff_text(record),
                blocks=blocks_as_dicts(handoff_blocks(record, context)),
            )

    def workspace_admins(self, workspace_id: str) -> tuple[str, ...]:
        """The admins and owners `users.list` gives who are members of `workspace_id`: the
        list can hold people of other workspaces (another the token serves, or another
        organisation's in a shared channel), whose flags are theirs, not ours."""
        with _as_send_failed():
            members = self.client.users_list(limit=200).get("members") or []
        return tuple(
            str(m["id"])
            for m in members
            if (m.get("is_admin") or m.get("is_owner"))
            and not m.get("is_bot")
            and not m.get("deleted")
            and _member_of(m, workspace_id)
        )

    def display_name(self, user_id: str) -> str | None:
        """The person's display name, else their full name (users.info, `users:read`); None
        when they have neither or Slack cannot say now (an error, a rate limit, a missing
        scope: not retried, as the post naming nobody is better than a post held back)."""
        try:
            response = self.client.users_info(user=user_id)
        except (SlackClientError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            log.warning("users.info for %s failed (%s): the post names nobody", user_id, reason)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name")):
            if isinstance(name, str) and spoken_name(name):
                return name
        return None


def _member_of(member: dict[str, Any], workspace_id: str) -> bool:
    """Whether a `users.list` member belongs to `workspace_id`: their `team_id` is it (a
    member without one is taken as the listing workspace's), or, on Enterprise Grid, it is
    among their organisation's workspaces (`enterprise_user.teams`)."""
    team = member.get("team_id")
    if not team or team == workspace_id:
        return True
    return workspace_id in ((member.get("enterprise_user") or {}).get("teams") or ())


def with_mention(mention: dict[str, str] | None, text: str) -> str:
    """`text` (Slack markup already) after the mention, rendered from ids only: a group
    (`<!subteam^S1>`) or a person (`<@U1>`). Anything else is left out, with a warning."""
    if not mention:
        return text
    group, user = mention.get("group"), mention.get("user")
    if len(mention) == 1 and group and _SLACK_ID.fullmatch(group):
        return f"<!subteam^{group}> {text}"
    if len(mention) == 1 and user and _SLACK_ID.fullmatch(user):
        return f"<@{user}> {text}"
    log.warning("a post's mention %r is not a group's or a person's id: left out", mention)
    return text


def _metadata(outbox_id: int | None) -> Metadata | None:
    if outbox_id is None:
        return None
    return Metadata(event_type=POSTED_EVENT, event_payload={"outbox_id": outbox_id})


def _outbox_id_of(message: dict[str, Any]) -> int | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != POSTED_EVENT:
        return None
    value = (metadata.get("event_payload") or {}).get("outbox_id")
    try:
        return int(str(value))
    except ValueError:
        return None


@contextmanager
def _as_send_failed() -> Iterator[None]:
    try:
        yield
    except SlackApiError as error:
        raise _send_failed(error) from error
    except URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):  # nothing reached Slack
            raise SendFailed("connection refused") from error
        raise


def _send_failed(error: SlackApiError) -> SendFailed:
    response = error.response
    code = str(response.get("error", "")) if response is not None else ""
    status = getattr(response, "status_code", 200)
    if code == "ratelimited" or status == 429:
        return SendFailed(
            "ratelimited",
            retry_after=_retry_after(getattr(response, "headers", {})),
            paced=response.get("paced") if response is not None else None,
        )
    if code in NEEDS_AN_ADMIN:
        return SendFailed(NEEDS_AN_ADMIN[code], needs_admin=True)
    return SendFailed(
        code or f"http {status}",
        permanent=code in CANNOT_HEAL,
        token_refused=code in TOKEN_REFUSED,
        unknown_outcome=status >= 500 or code in MAYBE_DONE,  # Slack may have posted it
    )


def _retry_after(headers: Any) -> float | None:
    for key in ("Retry-After", "retry-after"):
        value = (headers or {}).get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return float(value)
            except ValueError:
                return None
    return None

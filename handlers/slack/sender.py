"""Posts the outbox to Slack with `WebClient`: messages, Block Kit cards, admins' notices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.workers.outbox import CardContext, Posted, SendFailed
from db.repositories import HandoffRecord
from handlers.slack.cards import blocks_as_dicts, handoff_blocks, handoff_text
from handlers.slack.markup import as_slack_text

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Slack errors that retrying cannot fix until an admin changes something, said for the admins.
NEEDS_AN_ADMIN = {
    "not_in_channel": "I am not a member of that channel",
    "channel_not_found": "that channel no longer exists",
    "is_archived": "that channel is archived",
}


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
    }
)


def make_web_client(*, token: str | None, base_url: str | None) -> WebClient:
    """slack_sdk's client with its own retry handlers: one quick retry on 429, 5xx, resets."""
    return WebClient(
        token=token,
        base_url=base_url or DEFAULT_SLACK_API_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


class SlackSender:
    """The outbox drainer's `Sender` for Slack; Slack's refusals become `SendFailed`."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post_message(self, *, channel: str, text: str, thread_ts: str | None = None) -> Posted:
        """Post plain text, shown literally (a customer's "<!channel>" pings nobody)."""
        with _as_send_failed():
            response = self.client.chat_postMessage(
                channel=channel, text=as_slack_text(text), thread_ts=thread_ts
            )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    def post_card(self, *, channel: str, record: HandoffRecord, context: CardContext) -> Posted:
        with _as_send_failed():
            response = self.client.chat_postMessage(
                channel=channel,
                text=handoff_text(record),
                blocks=blocks_as_dicts(handoff_blocks(record, context)),
                unfurl_links=False,
            )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

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

    def workspace_admins(self) -> tuple[str, ...]:
        with _as_send_failed():
            members = self.client.users_list(limit=200).get("members") or []
        return tuple(
            str(m["id"])
            for m in members
            if (m.get("is_admin") or m.get("is_owner"))
            and not m.get("is_bot")
            and not m.get("deleted")
        )


@contextmanager
def _as_send_failed() -> Iterator[None]:
    try:
        yield
    except SlackApiError as error:
        raise _send_failed(error) from error


def _send_failed(error: SlackApiError) -> SendFailed:
    response = error.response
    code = str(response.get("error", "")) if response is not None else ""
    status = getattr(response, "status_code", 200)
    if code == "ratelimited" or status == 429:
        return SendFailed("ratelimited", retry_after=_retry_after(getattr(response, "headers", {})))
    if code in NEEDS_AN_ADMIN:
        return SendFailed(NEEDS_AN_ADMIN[code], needs_admin=True)
    return SendFailed(code or f"http {status}", permanent=code in CANNOT_HEAL)


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

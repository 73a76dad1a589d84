"""Reading Slack events: which are people's, what each is to the bot, and its ordering key."""

from __future__ import annotations

from typing import Any

from bot.workers.inbox import EventRole, RoutedEvent, conversation_lane
from db.repositories import ConversationKey, WorkspaceSettings
from handlers.slack.markup import plain_text

# Plain messages and file shares are people writing; every other subtype (edits, deletes,
# joins, bot messages, topic changes ...) is not a customer's turn.
PERSON_SUBTYPES = frozenset({None, "file_share"})


def is_customer_authored(event: dict[str, Any]) -> bool:
    """A person wrote it: no bot, no subtype (edit, delete, join ...), no hidden message."""
    return not (
        event.get("bot_id")
        or event.get("bot_profile")
        or event.get("subtype") not in PERSON_SUBTYPES
        or event.get("hidden")
        or not event.get("user")
    )


def conversation_key_text(body: dict[str, Any]) -> str | None:
    """The inbox's ordering key: events with the same key are processed one at a time, in order."""
    event = body.get("event") or {}
    channel, user = event.get("channel"), event.get("user")
    if not channel or not user:
        return None
    return conversation_lane(
        ConversationKey("slack", workspace_of(body), channel, user, _thread_key(event))
    )


def workspace_of(body: dict[str, Any]) -> str:
    """The Slack team an event came from."""
    return str(body.get("team_id") or (body.get("event") or {}).get("team") or "")


def author_team(body: dict[str, Any]) -> str | None:
    """The team of an event's author, when the event says: `event.user_team` (another
    organisation's in a Slack Connect channel; an Enterprise Grid organisation's `E...` id
    there), else `event.user_profile.team`; None when neither is given."""
    event = body.get("event") or {}
    team = event.get("user_team") or (event.get("user_profile") or {}).get("team")
    return str(team) if team else None


def _enterprise_of(body: dict[str, Any]) -> str | None:
    """The Enterprise Grid organisation the event was delivered for, if any."""
    authorizations = body.get("authorizations") or [{}]
    enterprise = body.get("enterprise_id") or authorizations[0].get("enterprise_id")
    return str(enterprise) if enterprise else None


def route(body: dict[str, Any], settings: WorkspaceSettings) -> RoutedEvent:
    """Decide what a stored event is, given the workspace's configured channels."""
    event = body.get("event") or {}
    if not is_customer_authored(event):
        return RoutedEvent("ignore")
    kind, channel = event.get("type"), event.get("channel", "")
    team = workspace_of(body) or settings.workspace_id
    thread_ts = event.get("thread_ts")
    common = {
        "ts": event.get("ts"),
        "thread_ts": thread_ts,
        "channel": channel,
        "user": event.get("user"),
    }
    text = _text_of(event)
    if channel == settings.handoff_channel:
        # Agents' own channel: their thread replies go to the customer; nothing here (not
        # even an @mention of the bot) is ever a customer's turn. In a channel shared with
        # another organisation (Slack Connect), only the workspace's own people are agents:
        # another organisation's member never speaks to our customers.
        reply = kind == "message" and thread_ts and thread_ts != event.get("ts")
        if reply and author_team(body) in (None, team, _enterprise_of(body)):
            return RoutedEvent("agent_reply", text=text, **common)
        return RoutedEvent("ignore")
    direct = kind == "message" and event.get("channel_type") == "im"
    in_support = channel in settings.support_channels
    mentioned = kind == "app_mention" and not in_support  # support channels use `message`
    # A reply in the thread of an earlier mention continues that conversation, if there is one.
    followup = (
        kind == "message"
        and not direct
        and not in_support
        and bool(thread_ts)
        and not _mentions_bot(body, event)  # Slack sends that one again as `app_mention`
    )
    if not (direct or mentioned or followup or (kind == "message" and in_support)):
        return RoutedEvent("ignore")
    key = ConversationKey("slack", team, channel, event["user"], _thread_key(event))
    reply_thread = thread_ts if direct else (thread_ts or event.get("ts"))
    reply_to: dict[str, Any] = {"channel": channel}
    if reply_thread:
        reply_to["thread_ts"] = reply_thread
    role: EventRole = "thread_followup" if followup else "customer"
    return RoutedEvent(role, text=text, key=key, reply_to=reply_to, **common)


def _mentions_bot(body: dict[str, Any], event: dict[str, Any]) -> bool:
    bots = [a.get("user_id") for a in body.get("authorizations") or [] if a.get("is_bot")]
    text = str(event.get("text") or "")
    return any(f"<@{bot}" in text for bot in bots if bot)


def _thread_key(event: dict[str, Any]) -> str:
    if event.get("channel_type") == "im":
        return ""
    return str(event.get("thread_ts") or event.get("ts") or "")


def _text_of(event: dict[str, Any]) -> str:
    text = plain_text(str(event.get("text") or ""))
    if not text and event.get("files"):
        return "(the customer sent a file without any text)"
    return text

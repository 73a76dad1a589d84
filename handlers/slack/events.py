"""Reading Slack events: which are people's, what each is to the bot, and its ordering key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.workers.inbox import EventRole, RoutedEvent, conversation_lane
from db.repositories import ConversationKey, WorkspaceSettings
from handlers.slack.markup import plain_text

log = logging.getLogger(__name__)

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
    """The workspace whose event it is: the one whose installation Slack delivered it to
    (`authorizations[0].team_id`, as Bolt's own `extract_team_id` reads it). In a Slack
    Connect channel the envelope's `team_id` can be the other organisation's; the
    conversation, its settings and its posts are still the installation's."""
    installed = _installation(body).get("team_id")
    return str(installed or body.get("team_id") or (body.get("event") or {}).get("team") or "")


def author_team(body: dict[str, Any]) -> str | None:
    """The team of an event's author, when the event says: `event.user_team` (another
    organisation's in a Slack Connect channel; an Enterprise Grid organisation's `E...` id
    there), else `event.user_profile.team`, else `event.team` (Bolt's order), else what
    `users.info` said when the listener looked the author up (`AUTHOR_LOOKED_UP`); None when
    nothing says."""
    event = body.get("event") or {}
    team = (
        event.get("user_team")
        or (event.get("user_profile") or {}).get("team")
        or event.get("team")
        or (body.get(AUTHOR_LOOKED_UP) or {}).get("team_id")
    )
    return str(team) if team else None


# Where the listener keeps what `users.info` said of an author the event did not place: their
# `team_id` and Enterprise Grid organisation (`enterprise_id`, None outside Grid).
AUTHOR_LOOKED_UP = "escalation_bot_author"


def needs_author_lookup(body: dict[str, Any]) -> bool:
    """A person's message in a Slack Connect channel that does not say whose member its author
    is: only `users.info` can tell a customer from one of our own people."""
    event = body.get("event") or {}
    return (
        body.get("is_ext_shared_channel") is True
        and event.get("type") in ("message", "app_mention")
        and is_customer_authored(event)
        and author_team(body) is None
    )


def _installation(body: dict[str, Any]) -> dict[str, Any]:
    authorizations = body.get("authorizations") or [{}]
    first = authorizations[0] if isinstance(authorizations, list) else None
    return first if isinstance(first, dict) else {}


def enterprise_of(body: dict[str, Any]) -> str | None:
    """The Enterprise Grid organisation of the installation the event was delivered to, if
    any: `authorizations[0]`'s, as for the workspace (Bolt's extract_enterprise_id too). The
    envelope's `enterprise_id` only when the event names no installation: in a Slack Connect
    channel it can be the other organisation's, whose members would then pass for ours."""
    installed = _installation(body)
    enterprise = installed.get("enterprise_id") if installed else body.get("enterprise_id")
    return str(enterprise) if enterprise else None


def is_home_member(body: dict[str, Any], workspace_id: str) -> bool | None:
    """Whether the event's author is one of the workspace's own people (a member of it, or of
    its Enterprise Grid organisation); False for another organisation's member; None when
    neither the event nor a lookup says."""
    team = author_team(body)
    if team is None:
        return None
    enterprise = enterprise_of(body)
    looked_up = body.get(AUTHOR_LOOKED_UP) or {}
    return team in (workspace_id, enterprise) or bool(
        enterprise and looked_up.get("enterprise_id") == enterprise
    )


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
        if reply and is_home_member(body, team) is not False:
            return RoutedEvent("agent_reply", text=text, **common)
        return RoutedEvent("ignore")
    direct = kind == "message" and event.get("channel_type") == "im"
    in_support = channel in settings.support_channels
    if in_support and body.get("is_ext_shared_channel") is True:
        # A support channel shared with another organisation (Slack Connect): their members
        # are the customers; ours writing there are staff, never answered as customers. An
        # author nothing places (the listener's lookup failed) is not answered either: we
        # cannot tell them from staff, and answering staff as a customer happens in front of
        # the customer's organisation.
        home = is_home_member(body, team)
        if home is not False:
            if home is None:
                log.warning(
                    "could not tell whose member %s is in shared channel %s: not answered",
                    event.get("user"),
                    channel,
                )
            return RoutedEvent("ignore")
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


class SlackSharedChannels:
    """`SharedChannels` for Slack Connect: Slack delivers an event of a channel shared by
    several organisations once, naming one installation (`authorizations[0]`), which can be the
    customer organisation's own install of the app rather than ours whose support channel it is.
    `enterprise_of`: a workspace's Enterprise Grid organisation (its members are its people)."""

    def __init__(self, *, enterprise_of: Callable[[str], str | None]) -> None:
        self.enterprise_of = enterprise_of

    def channel_of(self, payload: dict[str, Any]) -> str | None:
        event = payload.get("event") or {}
        shared = payload.get("is_ext_shared_channel") or event.get("is_ext_shared_channel")
        channel = event.get("channel")
        return str(channel) if shared and channel and is_customer_authored(event) else None

    def delivered_to(self, payload: dict[str, Any], workspace_id: str) -> dict[str, Any]:
        installed = {"team_id": workspace_id, "enterprise_id": self.enterprise_of(workspace_id)}
        return {**payload, "authorizations": [installed]}

"""What a person sees on the app's Home tab: the desk for agents and admins, the way to support
for everyone else. Gathered here (through the unit of work); the platform draws it.

Agents are the members of the workspace's handoff channel (whoever may claim its cards);
admins are the bot's configured admins and the workspace's own. The platform's answers to
"who is in the channel" and "is this person an admin" are kept for a minute (`PlatformAnswers`),
so opening the tab again and again does not ask Slack again and again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as day_start
from typing import TypeVar

from cachetools import TTLCache
from sqlalchemy.orm import Session, sessionmaker

from bot.workers.outbox import NO_HANDOFF_CHANNEL
from db.overview import AwaitingAdmin, LiveList
from db.repositories import WorkspaceStats
from db.uow import SqlUnitOfWork

LISTED = 15  # per list: a Home tab holds at most 100 blocks
KEEP_ANSWERS = 60.0  # seconds the platform's answers (channel members, admin flags) are kept


class CouldNotCheck(Exception):
    """The platform could not say whether someone is an agent or an admin (a rate limit, a
    channel the bot cannot read, a missing scope ...): `reason` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Today:
    """Since midnight UTC: the `/escalation stats` figures, and handoffs given back."""

    since: datetime
    stats: WorkspaceStats
    returned_to_bot: int


@dataclass(frozen=True, slots=True)
class AwaitingItem:
    """Something waiting for an admin, said as a category (never the stored error text, which
    can quote a customer): "an event could not be handled", "a card is held: no handoff
    channel"."""

    what: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Awaiting:
    items: tuple[AwaitingItem, ...]  # newest first
    total: int


@dataclass(frozen=True, slots=True)
class DeskHome:
    user_id: str
    admin: bool
    now: datetime
    handoff_channel: str | None
    waiting: LiveList  # open, oldest first
    mine: LiveList  # claimed by this person
    others: LiveList  # claimed by someone else
    today: Today
    awaiting_admin: Awaiting | None  # admins only


@dataclass(frozen=True, slots=True)
class VisitorHome:
    """For someone who is neither agent nor admin: how to reach support."""

    support_channels: tuple[str, ...]


V = TypeVar("V")


class PlatformAnswers:
    """The platform's answers kept for `keep_for` seconds: each channel's member set (per
    workspace) and each person's admin flag. Only answers are kept, never a failed check."""

    def __init__(
        self, *, keep_for: float = KEEP_ANSWERS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        # bounded: a busy workspace's visitors must not grow a process's memory forever
        self._members: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(
            maxsize=1_000, ttl=keep_for, timer=clock
        )
        self._admins: TTLCache[tuple[str, str], bool] = TTLCache(
            maxsize=100_000, ttl=keep_for, timer=clock
        )

    def members(
        self, workspace_id: str, channel: str, load: Callable[[str], frozenset[str]]
    ) -> frozenset[str]:
        # CouldNotCheck passes through `load`, and nothing is kept
        return self._kept(self._members, (workspace_id, channel), lambda: load(channel))

    def admin(self, workspace_id: str, user_id: str, load: Callable[[], bool]) -> bool:
        return self._kept(self._admins, (workspace_id, user_id), load)

    def _kept(
        self, cache: TTLCache[tuple[str, str], V], key: tuple[str, str], load: Callable[[], V]
    ) -> V:
        with self._lock:
            found = cache.get(key)
        if found is not None:
            return found
        value = load()  # outside the lock: a slow Slack call must not hold up other readers
        with self._lock:
            cache[key] = value
        return value


class HomeDesk:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        answers: PlatformAnswers | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.answers = answers or PlatformAnswers()

    def home(
        self,
        *,
        workspace_id: str,
        user_id: str,
        workspace_admin: Callable[[], bool],
        members_of: Callable[[str], frozenset[str]],
    ) -> DeskHome | VisitorHome:
        """`workspace_admin` (is the user a workspace admin?) and `members_of` (a channel's
        members) ask the platform, only when the stored settings and the kept answers do not
        already say; either raises CouldNotCheck when the platform could not answer, and so
        does this when the person's role cannot be known without it."""
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            settings = uow.workspaces.get(workspace_id)
        channel = settings.handoff_channel
        admin = user_id in settings.admin_user_ids
        unknown: CouldNotCheck | None = None
        if not admin:
            try:
                admin = self.answers.admin(workspace_id, user_id, workspace_admin)
            except CouldNotCheck as failed:
                unknown = failed  # an agent still gets the desk (as agent); else say so
        agent = False
        if channel is not None and not admin:
            agent = user_id in self.answers.members(workspace_id, channel, members_of)
        if not (admin or agent):
            if unknown is not None:
                raise unknown
            return VisitorHome(settings.support_channels)
        now = self.clock()
        midnight = datetime.combine(now.astimezone(UTC).date(), day_start(), tzinfo=UTC)
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            overview = uow.overview
            awaiting = None
            if admin:
                found = overview.awaiting_admin(workspace_id, limit=LISTED // 3)
                awaiting = Awaiting(tuple(map(category, found.items)), found.total)
            return DeskHome(
                user_id=user_id,
                admin=admin,
                now=now,
                handoff_channel=channel,
                waiting=overview.waiting(workspace_id, limit=LISTED),
                mine=overview.claimed_by(workspace_id, user_id, limit=LISTED),
                others=overview.claimed_by_others(workspace_id, user_id, limit=LISTED),
                today=Today(
                    since=midnight,
                    stats=uow.stats.workspace(workspace_id, since=midnight),
                    returned_to_bot=overview.returned_to_bot(workspace_id, since=midnight),
                ),
                awaiting_admin=awaiting,
            )


_POSTS = {
    "handoff_card": "a card",
    "card_update": "a card update",
    "reply": "a reply",
    "relay": "a relayed message",
    "admin_notice": "a notice to the admins",
    "admin_dm": "a message to an admin",
}
# What the outbox stores as a held row's reason (bot/workers/outbox.py and the Slack sender's
# NEEDS_AN_ADMIN), as the category shown; anything else is "could not be posted".
_HELD_BECAUSE = (
    (NO_HANDOFF_CHANNEL, "no handoff channel"),
    ("I am not a member of that channel", "the bot is not in the channel"),
    ("that channel no longer exists", "the channel no longer exists"),
    ("that channel is archived", "the channel is archived"),
)


def category(item: AwaitingAdmin) -> AwaitingItem:
    """What an admin is told about a failed event or a held post: its kind and a known cause,
    never the stored error (an exception's text can quote a customer's message)."""
    if item.source == "event":
        return AwaitingItem("an event could not be handled", item.since)
    post = _POSTS.get(item.source, "a message")
    error = item.error
    if error.startswith("gave up"):
        return AwaitingItem(f"{post} is held: given up after repeated failures", item.since)
    cause = next((said for stored, said in _HELD_BECAUSE if error == stored), "")
    return AwaitingItem(f"{post} is held: {cause or 'it could not be posted'}", item.since)

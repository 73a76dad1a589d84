"""What a person sees on the app's Home tab: the desk for agents and admins, the way to support
for everyone else. Gathered here (through the unit of work); the platform draws it.

Agents are the members of the workspace's handoff channel (whoever may claim its cards);
admins are the bot's configured admins and the workspace's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session, sessionmaker

from db.overview import AwaitingList, LiveList
from db.repositories import WorkspaceStats
from db.uow import SqlUnitOfWork

LISTED = 15  # per list: a Home tab holds at most 100 blocks


@dataclass(frozen=True, slots=True)
class Today:
    """Since midnight UTC: the `/escalation stats` figures, and handoffs given back."""

    since: datetime
    stats: WorkspaceStats
    returned_to_bot: int


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
    awaiting_admin: AwaitingList


@dataclass(frozen=True, slots=True)
class VisitorHome:
    """For someone who is neither agent nor admin: how to reach support."""

    support_channels: tuple[str, ...]


class HomeDesk:
    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def home(
        self,
        *,
        workspace_id: str,
        user_id: str,
        workspace_admin: Callable[[], bool],
        member_of: Callable[[str], bool],
    ) -> DeskHome | VisitorHome:
        """`workspace_admin` and `member_of` (is the user in this channel?) ask the platform,
        and only when the stored settings do not already answer."""
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            settings = uow.workspaces.get(workspace_id)
        admin = user_id in settings.admin_user_ids or workspace_admin()
        channel = settings.handoff_channel
        agent = channel is not None and member_of(channel)
        if not (admin or agent):
            return VisitorHome(settings.support_channels)
        now = self.clock()
        midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            overview = uow.overview
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
                awaiting_admin=overview.awaiting_admin(limit=LISTED // 3),
            )

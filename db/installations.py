"""The bots Slack's OAuth install gave each workspace (slack_sdk's `slack_bots` rows): the
newest one read, a rotated token saved under a per-workspace lock, a workspace forgotten.

slack_sdk's SQLAlchemyInstallationStore writes these rows at install time (the OAuth flow);
this reads them the same way (the newest row with a token) without slack_sdk, which db/ may
not import, and adds what the store has no call for: rotation as one transaction that holds
the workspace's lock from the read of the old token to the write of the new one (Slack's
refresh tokens are single-use: two processes refreshing one workspace at once would lose it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, RowMapping, Select, delete, desc, func, select

from db.models import slack_bots, slack_installations


@dataclass(frozen=True, slots=True)
class InstalledBot:
    """One workspace's bot as the install (or the last rotation) left it."""

    team_id: str
    bot_token: str
    bot_id: str | None
    bot_user_id: str | None
    app_id: str
    client_id: str
    enterprise_id: str | None = None
    team_name: str | None = None
    enterprise_name: str | None = None
    bot_scopes: str | None = None
    bot_refresh_token: str | None = None
    expires_at: datetime | None = None  # None: a token that does not expire (no rotation)
    is_enterprise_install: bool = False
    installed_at: datetime | None = None

    def renewed(
        self, *, token: str, refresh_token: str | None, expires_at: datetime | None
    ) -> InstalledBot:
        return replace(
            self, bot_token=token, bot_refresh_token=refresh_token, expires_at=expires_at
        )


class SqlInstallations:
    """The installed bots of one Slack app (`client_id`) in the database."""

    def __init__(self, engine: Engine, *, client_id: str) -> None:
        self.engine = engine
        self.client_id = client_id

    def bot(self, team_id: str) -> InstalledBot | None:
        with self.engine.connect() as connection:
            row = connection.execute(self._newest(team_id)).mappings().first()
        return None if row is None else _bot_of(row)

    def renew(
        self,
        team_id: str,
        *,
        rotate: Callable[[InstalledBot], InstalledBot | None],
    ) -> InstalledBot | None:
        """Under the workspace's lock: the newest bot, passed to `rotate` (which asks Slack for
        a new token, or returns None when the one stored is still good); a new one is saved
        before the lock goes. Another process waiting meanwhile then reads the new token."""
        with self.engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE, the write lock
            if connection.dialect.name == "postgresql":
                key = func.hashtextextended(f"slack_bot:{self.client_id}:{team_id}", 0)
                connection.execute(select(func.pg_advisory_xact_lock(key)))
            row = connection.execute(self._newest(team_id)).mappings().first()
            if row is None:
                return None
            current = _bot_of(row)
            renewed = rotate(current)
            if renewed is None:
                return current
            connection.execute(
                slack_bots.insert().values(
                    {
                        **{k: v for k, v in row.items() if k != "id"},
                        "bot_token": renewed.bot_token,
                        "bot_refresh_token": renewed.bot_refresh_token,
                        "bot_token_expires_at": _naive(renewed.expires_at),
                        "installed_at": _naive(datetime.now(UTC)),
                    }
                )
            )
            return renewed

    def forget(self, team_id: str) -> int:
        """The workspace's bots and installations deleted (uninstalled, tokens revoked):
        nothing of this app can act there again until it is installed anew."""
        with self.engine.begin() as connection:
            bots = connection.execute(
                delete(slack_bots).where(
                    slack_bots.c.client_id == self.client_id, slack_bots.c.team_id == team_id
                )
            ).rowcount
            connection.execute(
                delete(slack_installations).where(
                    slack_installations.c.client_id == self.client_id,
                    slack_installations.c.team_id == team_id,
                )
            )
        return int(bots or 0)

    def _newest(self, team_id: str) -> Select[Any]:
        c = slack_bots.c
        return (
            select(slack_bots)
            .where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at), desc(c.id))
            .limit(1)
        )


def _bot_of(row: RowMapping) -> InstalledBot:
    get = row.__getitem__
    return InstalledBot(
        team_id=str(get("team_id")),
        bot_token=str(get("bot_token")),
        bot_id=get("bot_id"),
        bot_user_id=get("bot_user_id"),
        app_id=str(get("app_id")),
        client_id=str(get("client_id")),
        enterprise_id=get("enterprise_id"),
        team_name=get("team_name"),
        enterprise_name=get("enterprise_name"),
        bot_scopes=get("bot_scopes"),
        bot_refresh_token=get("bot_refresh_token"),
        expires_at=_aware(get("bot_token_expires_at")),
        is_enterprise_install=bool(get("is_enterprise_install")),
        installed_at=_aware(get("installed_at")),
    )


def _aware(moment: datetime | None) -> datetime | None:
    """slack_sdk keeps naive UTC (normalize_datetime_for_db); the rest of the bot, aware."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)

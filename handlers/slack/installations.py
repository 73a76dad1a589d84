"""Which bot token acts in which workspace: SLACK_BOT_TOKEN's one workspace, or each workspace's
own from its OAuth install (kept in the database, rotated before it expires).

Bolt's InstallationStoreAuthorize is not used: it calls auth.test on every request it has not
cached and answers 200 (the event lost) when the store cannot be read, and its rotation has no
lock between processes. `InstalledAuthorize` answers from the stored bot alone (no Slack call on
the ack path, but for renewing a token that is due); a database error, or a token that has
expired and could not be renewed, raises, so Bolt answers 500 and Slack delivers the event
again.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cachetools import TTLCache
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context import BoltContext
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator

from db.installations import InstalledBot, SqlInstallations

log = logging.getLogger(__name__)

# A rotating token is renewed when it has less than this left (Bolt's own default), and the
# token read from the database is kept in memory at most KEEP (an uninstall in another process
# is seen within it; a revoked token is refused by Slack anyway). A workspace found without one
# is remembered as long, for `installed` (the workers' sweeps ask it every second).
RENEW_BEFORE = timedelta(minutes=120)
KEEP = timedelta(seconds=30)
# After Slack refused or failed a renewal, the still-live token is used without asking again
# for this long: else every event's authorize and every post would call oauth.v2.access (under
# the workspace's lock) until the token expires.
RENEW_AGAIN_AFTER = timedelta(minutes=1)


class NotInstalled(LookupError):
    """The app has no token for this workspace (never installed, or uninstalled)."""


class TokenUnavailable(RuntimeError):
    """The workspace's token has expired and Slack could not renew it just now."""


class WorkspaceTokens(Protocol):
    def bot_token(self, workspace_id: str | None) -> str:
        """The token that acts in `workspace_id`; NotInstalled / TokenUnavailable when none."""
        ...

    def forget(self, workspace_id: str) -> None:
        """Read the workspace's token afresh next time (Slack refused the one kept)."""
        ...


class OneWorkspaceToken:
    """SLACK_BOT_TOKEN: the same token for every event and post (one workspace's app)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def bot_token(self, workspace_id: str | None) -> str:
        if not self.token:
            raise NotInstalled("no SLACK_BOT_TOKEN")
        return self.token

    def forget(self, workspace_id: str) -> None:
        pass  # the one token is the setting's: nothing kept to read again


class InstalledTokens:
    """Each workspace's own bot from its OAuth install, renewed under the workspace's lock."""

    def __init__(
        self,
        installations: SqlInstallations,
        *,
        rotator: TokenRotator,
        renew_before: timedelta = RENEW_BEFORE,
        keep: timedelta = KEEP,
    ) -> None:
        self.installations = installations
        self.rotator = rotator
        self.renew_before = renew_before
        self._lock = threading.Lock()
        self._kept: TTLCache[str, InstalledBot] = TTLCache(maxsize=10_000, ttl=keep.total_seconds())
        self._absent: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=keep.total_seconds())
        self._forgotten = 0  # forget() calls so far: a read that began before one is not kept
        self._not_renewed: dict[str, datetime] = {}  # workspace -> ask Slack again from then

    def bot_token(self, workspace_id: str | None) -> str:
        return self.bot(workspace_id).bot_token

    def bot(self, workspace_id: str | None) -> InstalledBot:
        if not workspace_id:
            raise NotInstalled("no workspace")
        with self._lock:
            kept = self._kept.get(workspace_id)
            again = self._not_renewed.get(workspace_id)
        resting = again is not None and _now() < again
        if kept is not None and (not self._due(kept) or (resting and not _expired(kept))):
            return kept
        # `_absent` is not asked here: an install that another process saw must be served at
        # once (a request answered "not installed" is an event lost)
        bot = self._read(workspace_id)
        if bot is None:
            raise NotInstalled(workspace_id)
        if self._due(bot) and not (resting and not _expired(bot)):
            renewed = self._renewed(workspace_id)
            with self._lock:
                if renewed is None:
                    self._not_renewed[workspace_id] = _now() + RENEW_AGAIN_AFTER
                else:
                    self._not_renewed.pop(workspace_id, None)
            bot = renewed or bot
        if _expired(bot):
            raise TokenUnavailable(f"the token of {workspace_id} expired and was not renewed")
        with self._lock:
            self._kept[workspace_id] = bot
        return bot

    def installed(self, workspace_id: str) -> bool:
        """Whether the app has a token for the workspace (renewable or not), without asking
        Slack: from memory when this process read it within KEEP, else from the database."""
        if not workspace_id:
            return False
        with self._lock:
            if workspace_id in self._kept:
                return True
            if workspace_id in self._absent:
                return False
        return self._read(workspace_id, keep=True) is not None

    def forget(self, workspace_id: str) -> None:
        """Drop what this process keeps of the workspace (its uninstall, or an install, is in
        the database)."""
        with self._lock:
            self._forgotten += 1
            self._kept.pop(workspace_id, None)
            self._absent.pop(workspace_id, None)
            self._not_renewed.pop(workspace_id, None)

    def _read(self, workspace_id: str, *, keep: bool = False) -> InstalledBot | None:
        """The stored bot. None is remembered in `_absent` (and with `keep` a bot in `_kept`),
        unless forget() came while it was read: the install or uninstall in between wins."""
        with self._lock:
            forgotten = self._forgotten
        bot = self.installations.bot(workspace_id)
        with self._lock:
            current = forgotten == self._forgotten
            if bot is None:
                self._kept.pop(workspace_id, None)
                self._not_renewed.pop(workspace_id, None)
                if current:
                    self._absent[workspace_id] = True
            else:
                self._absent.pop(workspace_id, None)
                if keep and current:
                    self._kept[workspace_id] = bot
        return bot

    def _due(self, bot: InstalledBot) -> bool:
        return bot.expires_at is not None and bot.expires_at - self.renew_before <= _now()

    def _renewed(self, workspace_id: str) -> InstalledBot | None:
        minutes = int(self.renew_before.total_seconds() // 60)

        def rotate(current: InstalledBot) -> InstalledBot | None:
            # None when `current` is not due: another process renewed it while this one
            # waited for the lock (the rotator compares the expiry itself)
            fresh = self.rotator.perform_bot_token_rotation(
                bot=_as_sdk_bot(current), minutes_before_expiration=minutes
            )
            if fresh is None or not fresh.bot_token:
                return None
            expires = fresh.bot_token_expires_at
            return current.renewed(
                token=fresh.bot_token,
                refresh_token=fresh.bot_refresh_token,
                expires_at=None if expires is None else datetime.fromtimestamp(expires, UTC),
            )

        try:
            bot = self.installations.renew(workspace_id, rotate=rotate)
        except SlackTokenRotationError as error:
            code = error.api_error.response.get("error") if error.api_error.response else None
            log.warning("could not renew the bot token of %s (%s)", workspace_id, code or error)
            return None
        if bot is not None:
            log.info("renewed the bot token of %s", workspace_id)
        return bot


class InstalledAuthorize(Authorize):
    """Bolt's `authorize` from the stored bot: no Slack call on the request's path."""

    def __init__(self, tokens: InstalledTokens) -> None:
        self.tokens = tokens

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        try:
            bot = self.tokens.bot(team_id)
        except NotInstalled as reason:
            log.warning("a request from %s, where no token of ours works: %s", team_id, reason)
            return None
        except TokenUnavailable as reason:
            # installed, but its token could not be renewed just now: raised, so Bolt answers
            # 500 and Slack sends the request again (None would be a 200: the event dropped)
            log.warning("a request from %s not taken now: %s", team_id, reason)
            raise
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id or enterprise_id,
            team_id=bot.team_id,
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


def _as_sdk_bot(bot: InstalledBot) -> Bot:
    return Bot(
        app_id=bot.app_id,
        enterprise_id=bot.enterprise_id,
        enterprise_name=bot.enterprise_name,
        team_id=bot.team_id,
        team_name=bot.team_name,
        bot_token=bot.bot_token,
        bot_id=bot.bot_id or "",
        bot_user_id=bot.bot_user_id or "",
        bot_scopes=bot.bot_scopes or "",
        bot_refresh_token=bot.bot_refresh_token,
        bot_token_expires_at=None if bot.expires_at is None else int(bot.expires_at.timestamp()),
        is_enterprise_install=bot.is_enterprise_install,
        installed_at=(bot.installed_at or _now()).timestamp(),
    )


def _expired(bot: InstalledBot) -> bool:
    return bot.expires_at is not None and bot.expires_at <= _now()


def _now() -> datetime:
    return datetime.now(UTC)

"""Installing in many workspaces (OAuth mode): Bolt's own install flow on the project's
database, the pages an installer sees, and what an uninstall stops.

GET /slack/install sends the browser to Slack's consent page with a `state` (slack_sdk's
SQLAlchemyOAuthStateStore: a random value kept in `slack_oauth_states`, single use, 10 minutes,
and tied to the browser by a cookie); GET /slack/oauth_redirect exchanges Slack's code through the
App's client (SLACK_API_URL) and saves the bot with SQLAlchemyInstallationStore.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, and_
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_LIFETIME = 600  # seconds an install link's state is good for
# Renew a rotating token this long before it expires (handlers/slack/installations.RENEW_BEFORE).
ROTATION_MINUTES = 120
# The bot scopes an install asks for: the same as manifest.yml's (tests/integration/
# test_manifest.py holds them equal).
BOT_SCOPES = (
    "chat:write",
    "im:history",
    "im:write",
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "users:read",
    "channels:read",
    "groups:read",
    "commands",
    "files:write",
    "files:read",
    "usergroups:read",
)


class OrgWideInstall(BoltError):
    """An Enterprise Grid organisation-wide install: not supported (tokens are per workspace)."""


class StateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, whose `consume` is one DELETE: a state is used once even by
    two requests at the same moment (its select-then-delete let both through), and a database
    that cannot be reached raises instead of reading as an unknown state (its `except
    Exception: return False` told the installer their link had expired)."""

    def consume(self, state: str) -> bool:
        c = self.oauth_states.c
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        with self.engine.begin() as connection:
            used = connection.execute(
                self.oauth_states.delete().where(and_(c.state == state, c.expire_at > now))
            ).rowcount
        return bool(used)


class InstallFlow(OAuthFlow):
    """Bolt's OAuthFlow, refusing an organisation-wide install before anything is saved, and
    making a workspace's new token (a reinstall's) the one used at once. A database that
    cannot be reached is said on a page (Bolt would let the error out: a bare 500)."""

    def __init__(self, *, settings: OAuthSettings, installed: Callable[[str], None]) -> None:
        super().__init__(settings=settings)  # the App gives it its client (SLACK_API_URL)
        self.installed = installed

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        try:
            return super().handle_installation(request)
        except SQLAlchemyError as error:
            log.error("install could not start: the database failed (%s)", type(error).__name__)
            return _unavailable_page()

    def handle_callback(self, request: BoltRequest) -> BoltResponse:
        try:
            return super().handle_callback(request)
        except SQLAlchemyError as error:
            log.error("install could not finish: the database failed (%s)", type(error).__name__)
            return _unavailable_page()

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            self._revoke(installation.bot_token)
            raise OrgWideInstall(f"organisation-wide install of {installation.enterprise_id}")
        try:
            super().store_installation(request, installation)
        except SQLAlchemyError as error:
            # a token nobody keeps is given back rather than left live at Slack
            self._revoke(installation.bot_token)
            raise BoltError(f"the database failed ({type(error).__name__})") from error
        self.installed(installation.team_id)
        log.info(
            "installed in %s (%s) by %s",
            installation.team_id,
            installation.team_name or "no name",
            installation.user_id,
        )

    def _revoke(self, token: str | None) -> None:
        """The token Slack gave for an install we refuse is given back, not left live."""
        if not token:
            return
        try:
            self.client.auth_revoke(token=token)
        except SlackApiError as error:
            log.warning("could not give back a refused install's token: %s", error)


def install_flow(
    *,
    engine: Engine,
    client_id: str,
    client_secret: str,
    redirect_uri: str | None,
    installed: Callable[[str], None],
) -> InstallFlow:
    """The install flow on the database's slack_sdk tables (created by migration 0012)."""
    settings = OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,  # the install link goes straight to Slack
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=_installed_page, failure=_failed_page),
        installation_store=SQLAlchemyInstallationStore(client_id=client_id, engine=engine),
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        state_validation_enabled=True,
        state_store=StateStore(expiration_seconds=STATE_LIFETIME, engine=engine),
        state_expiration_seconds=STATE_LIFETIME,
    )
    return InstallFlow(settings=settings, installed=installed)


def _installed_page(args: SuccessArgs) -> BoltResponse:
    where = html.escape(
        args.installation.team_name or args.installation.team_id or "your workspace"
    )
    return _page(
        200,
        "Escalation Bot is installed",
        f"Escalation Bot is now installed in {where}.",
        "Next, in Slack: invite it to your agents' channel and run "
        "<code>/escalation channel #agents</code> there, then "
        "<code>/escalation support-channel add #help</code> for a channel where customers "
        "write. <code>/escalation help</code> lists the rest. You can close this page.",
    )


# What went wrong, in the installer's words, by Bolt's reason (FailureArgs.reason).
_AGAIN = f'Start again from <a href="{INSTALL_PATH}">the install link</a>.'
_FAILURES = {
    "invalid_browser": (
        "This install was started in another browser, or its link was opened twice. "
        "Nothing was installed. " + _AGAIN
    ),
    "invalid_state": (
        "This install link has expired (they last 10 minutes) or was already used. "
        "Nothing was installed. " + _AGAIN
    ),
    "missing_code": "Slack sent no install code back. Nothing was installed. " + _AGAIN,
    "invalid_code": (
        "Slack did not accept this install (its code was refused, or already used). "
        "Nothing was installed. " + _AGAIN
    ),
    "access_denied": "The install was cancelled in Slack. Nothing was installed.",
}


def _failed_page(args: FailureArgs) -> BoltResponse:
    if isinstance(args.error, OrgWideInstall):
        log.warning("install refused: %s", args.error)
        return _page(
            400,
            "Not installed",
            "Installing Escalation Bot for a whole Enterprise Grid organisation is not "
            "supported yet. Nothing was installed.",
            "Install it in each workspace that needs it instead (choose the workspace, not "
            f'the organisation, on Slack\'s page). <a href="{INSTALL_PATH}">Install link</a>.',
        )
    if args.reason == "storage_error":
        log.error("install could not be saved: %s", args.error)
        return _page(
            500,
            "Not installed",
            "The install could not be saved on our side. Nothing was installed.",
            _AGAIN,
        )
    log.warning("install failed: %s", args.reason)
    said = _FAILURES.get(
        args.reason,
        f"Slack ended the install ({html.escape(args.reason)}). Nothing was installed. " + _AGAIN,
    )
    status = args.suggested_status_code if args.reason != "access_denied" else 200
    return _page(status, "Not installed", said, "")


def _unavailable_page() -> BoltResponse:
    return _page(
        503,
        "Not installed",
        "Escalation Bot could not reach its database just now. Nothing was installed.",
        f'Try again in a few minutes from <a href="{INSTALL_PATH}">the install link</a>.',
    )


def _page(status: int, title: str, said: str, more: str) -> BoltResponse:
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{said}</p>{f'<p>{more}</p>' if more else ''}</body></html>"
    )
    return BoltResponse(
        status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
    )


def register_uninstall(app: App, *, forget: Callable[[str], int] | None) -> None:
    """`app_uninstalled` and `tokens_revoked` (of bot tokens): the workspace's tokens are
    deleted (`forget`, OAuth mode); with SLACK_BOT_TOKEN's one workspace only logged."""

    def uninstalled(body: dict[str, Any]) -> None:
        gone(str(body.get("team_id") or ""), "the app was uninstalled")

    def revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        bots = (event.get("tokens") or {}).get("bot") or []
        if not bots:  # only user tokens: the bot acts on as before (it stores none)
            log.info("user tokens revoked in %s: nothing of ours", body.get("team_id"))
            return
        gone(str(body.get("team_id") or ""), "its bot token was revoked")

    def gone(team: str, why: str) -> None:
        if not team:
            log.warning("%s, in no workspace named: nothing to forget", why)
        elif forget is None:
            log.warning(
                "%s in %s: SLACK_BOT_TOKEN no longer works there; nothing is deleted", why, team
            )
        else:
            bots = forget(team)
            log.warning("%s in %s: its tokens deleted (%s bot row(s))", why, team, bots)

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)

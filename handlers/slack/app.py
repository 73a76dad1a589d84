"""The Bolt App: middleware and listeners over the application's services."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import App
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_sdk import WebClient

from bot.desk.admin import AdminCommands
from bot.desk.handoffs import HandoffDesk
from bot.desk.home import HomeDesk
from bot.workers.inbox import SqlEventInbox
from handlers.slack import actions, admin, home, messages
from handlers.slack.install import register_uninstall
from handlers.slack.middleware import IgnoreNonPersonMessages, LogRequests


def build_slack_app(
    *,
    signing_secret: str | None,
    client: WebClient,
    inbox: SqlEventInbox,
    desk: HandoffDesk,
    admin_commands: AdminCommands,
    home_desk: HomeDesk,
    token_verification: bool = True,
    authorize: Authorize | None = None,
    oauth_flow: OAuthFlow | None = None,
    forget: Callable[[str], int] | None = None,
) -> App:
    """The one-token App, or with `authorize` and `oauth_flow` (OAuth mode) the App of many
    workspaces, which serves the install pages; `forget` deletes an uninstalled workspace's
    tokens (None: an uninstall is only logged)."""
    with _without_bolts_oauth_from_the_environment():
        app = App(
            signing_secret=signing_secret,
            client=client,
            process_before_response=True,  # the inbox row is written before Slack gets its ack
            token_verification_enabled=token_verification,
            # Bolt's annotation names a function; an Authorize (None for a workspace without a
            # token) is what it takes as is (App.__init__ checks isinstance)
            authorize=authorize,  # type: ignore[arg-type]
            oauth_flow=oauth_flow,
        )
    app.use(LogRequests())
    app.use(IgnoreNonPersonMessages())
    messages.register(app, inbox=inbox)
    actions.register(app, desk=desk)
    admin.register(app, admin=admin_commands)
    home.register(app, home=home_desk)
    register_uninstall(app, forget=forget)
    if authorize is not None:
        _without_bolts_not_installed_error()
    return app


# Bolt's MultiTeamsAuthorization (slack_bolt 1.30, middleware/authorization/
# multi_teams_authorization.py) logs this ERROR whenever `authorize` answers None: for us, a
# request from a workspace the app is not installed in (uninstalled, its events still on their
# way), which InstalledAuthorize has said in a WARNING line of its own; Bolt acknowledges it.
_BOLTS_NOT_INSTALLED = (
    "Although the app should be installed into this workspace, "
    "the AuthorizeResult (returned value from authorize) for it was not found."
)


class _BoltsNotInstalledError(logging.Filter):
    """Drops that one record; every other passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _BOLTS_NOT_INSTALLED


def _without_bolts_not_installed_error() -> None:
    """On Bolt's logger for as long as the process runs (it logs at each request), once."""
    bolt = logging.getLogger("slack_bolt.MultiTeamsAuthorization")  # get_bolt_logger's name
    if not any(isinstance(each, _BoltsNotInstalledError) for each in bolt.filters):
        bolt.addFilter(_BoltsNotInstalledError())


# Bolt's App.__init__ (slack_bolt 1.30, app/app.py) builds OAuthSettings() of its own whenever
# no oauth_settings is given and SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in os.environ: an
# install flow on file stores under the home directory, whose authorize then drops the client's
# token (every event unauthorized). It has no switch for this, so the one-token App is built with
# those two variables out of its sight; the OAuth App passes its own oauth_settings instead.
_BOLT_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
_environment = threading.Lock()


@contextmanager
def _without_bolts_oauth_from_the_environment() -> Iterator[None]:
    """While the App is built (Bolt reads them only in App.__init__), and only then."""
    with _environment:
        hidden = {
            name: os.environ.pop(name) for name in _BOLT_OAUTH_VARIABLES if name in os.environ
        }
        try:
            yield
        finally:
            os.environ.update(hidden)

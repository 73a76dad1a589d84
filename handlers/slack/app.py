"""The Bolt App: middleware and listeners over the application's services."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt import App
from slack_sdk import WebClient

from bot.desk.admin import AdminCommands
from bot.desk.handoffs import HandoffDesk
from bot.desk.home import HomeDesk
from bot.workers.inbox import SqlEventInbox
from handlers.slack import actions, admin, home, messages
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
) -> App:
    with _without_bolts_oauth_from_the_environment():
        app = App(
            signing_secret=signing_secret,
            client=client,
            process_before_response=True,  # the inbox row is written before Slack gets its ack
            token_verification_enabled=token_verification,
        )
    app.use(LogRequests())
    app.use(IgnoreNonPersonMessages())
    messages.register(app, inbox=inbox)
    actions.register(app, desk=desk)
    admin.register(app, admin=admin_commands)
    home.register(app, home=home_desk)
    return app


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

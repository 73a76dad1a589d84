"""The Bolt App: middleware and listeners over the application's services."""

from __future__ import annotations

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

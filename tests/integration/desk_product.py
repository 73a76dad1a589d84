"""The bot as the desk tests run it: the real product on a test database, its Slack the loopback
one, its clock the test's, the offline agent, turns taken at once; and a slash command's answer.

The fixtures `product` and `sender` (tests/integration/conftest.py) build it; a test module that
uses them defines `slack` (its MockSlackAPI) and `clock`."""

from __future__ import annotations

import json

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.settings import Settings
from tests.clock import Clock
from tests.integration.mock_slack import MockSlackAPI, SlackSender

SECRET = "desk-secret"
ADMIN = "U0ADMIN"


def build_desk_product(*, database_url: str, slack: MockSlackAPI, clock: Clock) -> Product:
    """One process of the bot (a second call on the same database: another process, or the
    same one started again)."""
    return build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            SHOP="demo",
            TURN_SETTLE_SECONDS=0,
        ),
        clock=clock,
        agent=OfflineAgent(),
    )


def command(sender: SlackSender, text: str, *, user: str = ADMIN) -> str:
    """`/escalation text` typed by `user`: the ephemeral answer's text."""
    status, body = sender.command(user, text)
    assert status == 200
    return str(json.loads(body).get("text", body)) if body.startswith("{") else body

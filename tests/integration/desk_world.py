"""A workspace for the desk's views: the real product (Bolt App over HTTP, workers, SQLite)
against the loopback Slack Web API, customers who escalate and agents who click the cards,
on a clock the test moves."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.settings import Settings
from handlers.slack.cards import CLAIM, RETURN
from tests.clock import Clock
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.serving import serving

SECRET = "desk-test-secret"
AGENTS = "C0AGENTS"
HELP = "C0HELP"
ADMIN = "U0ADMIN"  # a workspace admin, not in the agents' channel
AGENT1, AGENT2 = "U0AGENT1", "U0AGENT2"
OUTSIDER = "U0SHOPPER"  # a customer: neither an agent nor an admin
# Messages the offline agent escalates, one per trigger (each from a customer of its own).
ASKS_FOR_A_PERSON = "I want to talk to a human"
POLICY_GAP = (
    "Hi! Another shop sells the blender for 15 dollars less, could you match their price on "
    "order 4410?"
)
SOLVED_AT_ONCE = "where is order 1043? j.smith@example.com"


@dataclass
class Desk:
    product: Product
    slack: MockSlackAPI
    sender: SlackSender
    clock: Clock
    customers: int = 0

    def settle(self) -> None:
        for _ in range(5):
            if not (
                self.product.inbox_worker.run_until_idle() + self.product.drainer.run_until_idle()
            ):
                return

    def command(self, user: str, text: str) -> str:
        status, body = self.sender.command(user, text)
        assert status == 200
        return str(json.loads(body).get("text") if body.startswith("{") else body)

    def configure(self) -> None:
        assert "Handoff cards now go to" in self.command(ADMIN, f"channel <#{AGENTS}|agents>")
        assert "Support channels" in self.command(ADMIN, f"support-channel add <#{HELP}|help>")
        self.settle()

    def customer_writes(self, text: str) -> int | None:
        """A new customer writes; the id of the handoff it opened, if it did."""
        self.customers += 1
        before = len(self.cards())
        self.sender.dm(f"U0CUST{self.customers:03d}", text)
        self.settle()
        cards = self.cards()
        if len(cards) == before:
            return None
        return int(button_value(cards[-1], CLAIM))

    def cards(self) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages_in(AGENTS) if m.get("blocks")]

    def claim(self, agent: str, handoff_id: int) -> None:
        assert self.sender.action(agent, CLAIM, str(handoff_id), AGENTS) == 200
        self.settle()

    def return_to_bot(self, agent: str, handoff_id: int) -> None:
        assert self.sender.action(agent, RETURN, str(handoff_id), AGENTS) == 200
        self.settle()

    def wait_for(self, method: str, count: int = 1, *, seconds: float = 60) -> list[dict]:
        deadline = time.monotonic() + seconds
        while len(self.slack.to(method)) < count:
            assert time.monotonic() < deadline, f"no {method} came"
            time.sleep(0.05)
        return self.slack.to(method)

    def as_workspace(self, team: str, event: dict[str, Any]) -> int:
        """An event from another workspace `team` (the same app installed there)."""
        body = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{team}{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": {"team": team, **event},
        }
        return self.sender.post(json.dumps(body), "application/json", {})[0]

    def command_in(self, team: str, user: str, text: str) -> str:
        form = urlencode(
            {
                "command": "/escalation",
                "text": text,
                "user_id": user,
                "team_id": team,
                "channel_id": "C-ADMIN",
                "response_url": self.sender.response_url,
                "trigger_id": "t",
            }
        )
        status, body = self.sender.post(form, "application/x-www-form-urlencoded", {})
        assert status == 200
        return str(json.loads(body).get("text") if body.startswith("{") else body)

    def later(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)


def button_value(card: dict[str, Any], action_id: str) -> str:
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


@contextmanager
def desk(
    tmp_path: Path,
    clock: Clock | None = None,
    *,
    database_url: str | None = None,
    **settings: str,
) -> Iterator[Desk]:
    """The desk on a fresh SQLite file, or on `database_url` (a migrated, empty database);
    `settings`: more of the bot's settings by their names (SHOP_PRIVATE_ADDRESSES="allow")."""
    slack = MockSlackAPI(
        users={
            ADMIN: {"id": ADMIN, "is_admin": True},
            AGENT1: {"id": AGENT1},
            AGENT2: {"id": AGENT2},
            OUTSIDER: {"id": OUTSIDER},
        },
        channels={AGENTS: {"name": "agents"}, HELP: {"name": "help"}},
        # more members than one page of conversations.members holds
        members={AGENTS: ["U0LURKER1", "U0LURKER2", AGENT1, "U0LURKER3", AGENT2]},
        list_page=2,
    ).start()
    clock = clock or Clock()
    product = build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            **{
                "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'bot.db'}",
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.url,
                "SHOP": "demo",
                "TURN_SETTLE_SECONDS": 0,
                **settings,
            },
        ),
        clock=clock,
        agent=OfflineAgent(),
    )
    try:
        with serving(product.app) as endpoint:
            sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
            yield Desk(product, slack, sender, clock)
    finally:
        product.stop()
        slack.stop()

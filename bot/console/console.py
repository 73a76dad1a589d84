"""`escalation-bot console`: the Slack app, driven from a terminal.

Every line goes through the real Bolt App's own dispatch as a signed Slack payload; the app's
Web API calls go to a local stand-in that renders them here: the bot's replies, the handoff
cards as agents see them, thread relays and ephemeral notes. A fresh SQLite database per run
unless `--db` is given; the offline agent unless ANTHROPIC_API_KEY is set.
"""

from __future__ import annotations

import contextlib
import html
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.composition import Product, build_product
from bot.console.local_slack import TEAM, LocalSlackWebAPI
from bot.desk.admin import AdminCommands
from bot.settings import Settings
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM, RESOLVE, RETURN

SECRET = "console-signing-secret"
CUSTOMER = "U0CUSTOMER"
AGENT = "U0AGENT"
ADMIN = "U0ADMIN"
AGENTS_CHANNEL = "C0AGENTS"

HELP = """\
Type as the customer. Lines starting with "/" act as someone else:
  /claim            claim the latest handoff card (as the agent)
  /reply TEXT       the agent replies in the card's thread (relayed to the customer)
  /resolve          resolve the latest handoff
  /return           hand the conversation back to the bot
  /escalation ARGS  the admin slash command, e.g. /escalation stats
  /help, /quit"""

DEMO_SCRIPT = (
    "# 1. A frustrated customer with a simple issue: resolved, no handoff",
    "THIRD time my order arrives smashed!!! order 1042, j.smith@example.com",
    "# 2. A calm customer asking for a policy exception: a gap, escalated",
    "/new",
    "Hello! Another store has the blender for 15 dollars less. Could you match it? Order 4410.",
    "# 3. An explicit request for a human: escalated at once, nothing investigated",
    "/new",
    "I want to talk to a real person please",
    "# ... and the agent's side: claim, relay both ways, resolve",
    "/claim",
    "are you still there?",
    "/reply Hi, I'm Sam from the support team. How can I help?",
    "/resolve",
    "# 4. An ambiguous customer match: the bot asks, and never guesses",
    "/new",
    "Hi, this is John Smith. Where is my order?",
    "it's j.smith@example.com",
)


class Console:
    def __init__(self, *, out: TextIO, database: Path | None, settings: Settings) -> None:
        self.out = out
        self.slack = LocalSlackWebAPI(on_call=self._render).start()
        self._tmp = tempfile.TemporaryDirectory(prefix="escalation-console-")
        path = database or Path(self._tmp.name) / "console.db"
        self.product: Product = build_product(
            settings.model_copy(
                update={
                    "database_url": f"sqlite:///{path}",
                    "slack_bot_token": "xoxb-console",
                    "slack_signing_secret": SECRET,
                    "slack_api_url": self.slack.url,
                    "shop": "demo",  # unless SHOP_API_URL names a shop's own API
                    # one person typing in a terminal: lines arrive in the order written
                    "turn_settle_seconds": 0,
                }
            )
        )
        with SqlUnitOfWork(self.product.sessions) as uow:
            current = uow.workspaces.get(TEAM)
            uow.workspaces.save(
                WorkspaceSettings(
                    TEAM,
                    current.handoff_channel or AGENTS_CHANNEL,
                    current.support_channels,
                    current.admin_user_ids or (ADMIN,),
                ),
                now=self.product.processor.clock(),
            )
            uow.commit()
        self.customer = CUSTOMER
        self.customers = 0
        self.events = 0
        self.latest_card: dict[str, Any] | None = None

    def close(self) -> None:
        self.product.stop()
        self.slack.stop()
        self._tmp.cleanup()

    def run(self, lines: Iterable[str], *, echo: bool) -> None:
        self.say(HELP if not echo else "Playing a script (type-ahead lines are the customer's).")
        for raw in lines:
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                self.say(f"\n{line}")
                continue
            if echo:
                self.say(f"{'you' if not line.startswith('/') else 'cmd'}> {line}")
            if not self.handle(line):
                break

    def handle(self, line: str) -> bool:
        if line in ("/quit", "/exit"):
            return False
        if line == "/help":
            self.say(HELP)
        elif line == "/new":
            self.customers += 1
            self.customer = f"{CUSTOMER}{self.customers}"
            self.say(f"(a new customer, <@{self.customer}>, opens a direct message)")
        elif line.startswith("/escalation"):
            self._command(line.removeprefix("/escalation").strip())
        elif line in ("/claim", "/resolve", "/return"):
            self._click({"/claim": CLAIM, "/resolve": RESOLVE, "/return": RETURN}[line])
        elif line.startswith("/reply "):
            self._agent_reply(line.removeprefix("/reply ").strip())
        elif line.startswith("/"):
            self.say(f"unknown command {line.split(maxsplit=1)[0]}; /help lists them")
        else:
            self._customer_says(line)
        self._settle()
        return True

    # --- what goes into the app ---------------------------------------------------------------

    def _customer_says(self, text: str) -> None:
        self._event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{self.customer}",
                "user": self.customer,
                "text": text,
                "ts": self._ts(),
            }
        )

    def _agent_reply(self, text: str) -> None:
        card = self.latest_card
        if card is None:
            self.say("(no handoff card yet)")
            return
        self._event(
            {
                "type": "message",
                "channel": AGENTS_CHANNEL,
                "user": AGENT,
                "text": text,
                "ts": self._ts(),
                "thread_ts": card["ts"],
            }
        )

    def _click(self, action_id: str) -> None:
        if self.latest_card is None:
            self.say("(no handoff card yet)")
            return
        value = str(self.latest_card["handoff_id"])
        payload = {
            "type": "block_actions",
            "user": {"id": AGENT},
            "team": {"id": TEAM},
            "channel": {"id": AGENTS_CHANNEL},
            "trigger_id": "console",
            "actions": [
                {
                    "action_id": action_id,
                    "value": value,
                    "type": "button",
                    "block_id": f"handoff-{value}",
                }
            ],
        }
        self._dispatch(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def _command(self, text: str) -> None:
        body = urlencode(
            {
                "response_url": f"{self.slack.url}respond",
                "command": "/escalation",
                "text": text,
                "user_id": ADMIN,
                "team_id": TEAM,
                "channel_id": "C0ADMIN",
                "trigger_id": "console",
            }
        )
        answered = len(self.slack.to("respond"))
        response = self._dispatch(body, "application/x-www-form-urlencoded")
        answer = response.body
        with contextlib.suppress(ValueError):
            answer = json.loads(answer).get("text", answer)
        self.say(f"  (only you can see this) {answer}")
        if AdminCommands.is_dry_run(text):
            deadline = time.monotonic() + 120
            while len(self.slack.to("respond")) <= answered and time.monotonic() < deadline:
                time.sleep(0.05)

    def _event(self, event: dict[str, Any]) -> None:
        self.events += 1
        body = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0CONSOLE",
            "event_id": f"EvConsole{self.events:05d}",
            "event_time": int(time.time()),
            "event": {"team": TEAM, **event},
        }
        self._dispatch(json.dumps(body), "application/json")

    def _dispatch(self, body: str, content_type: str) -> Any:
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": str(signature),
        }
        return self.product.app.dispatch(BoltRequest(body=body, headers=headers))

    def _settle(self) -> None:
        for _ in range(10):
            if not (
                self.product.inbox_worker.run_until_idle() + self.product.drainer.run_until_idle()
            ):
                return

    def _ts(self) -> str:
        self.events += 1
        return f"{int(time.time())}.{self.events:06d}"

    # --- what comes out ---------------------------------------------------------------------

    def _render(self, method: str, params: dict[str, Any]) -> None:
        channel = str(params.get("channel") or "")
        if method == "chat.postMessage" and params.get("blocks"):
            self.latest_card = {"ts": params.get("ts"), "handoff_id": _handoff_id(params["blocks"])}
            self.say(render_card(params["blocks"], title="new handoff card in #agents"))
        elif method == "chat.update" and params.get("blocks"):
            self.say(render_card(params["blocks"], title="handoff card updated"))
        elif method == "chat.postMessage" and channel == AGENTS_CHANNEL:
            self.say(f"  #agents thread> {params.get('text')}")
        elif method == "chat.postMessage" and channel.startswith("D"):
            self.say(f"bot> {params.get('text')}")
        elif method == "chat.postMessage" and channel.startswith("U"):
            self.say(f"  (direct message to admin <@{channel}>) {params.get('text')}")
        elif method == "respond":
            self.say(f"  (only you can see this) {params.get('text')}")
        elif method == "chat.postEphemeral":
            self.say(f"  (only the agent sees this) {params.get('text')}")

    def say(self, text: str) -> None:
        # Slack shows its escaped entities as the characters they stand for; so does the console.
        print(html.unescape(text), file=self.out, flush=True)


def render_card(blocks: Any, *, title: str) -> str:
    """A Block Kit card as readable terminal text."""
    items = json.loads(blocks) if isinstance(blocks, str) else blocks
    lines = [f"  +-- {title} " + "-" * max(4, 60 - len(title))]
    for block in items:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"  | {block['text']['text'].upper()}")
        elif kind == "section":
            if block.get("text"):
                lines.extend(f"  | {line}" for line in _plain(block["text"]["text"]).splitlines())
            for field in block.get("fields", []):
                lines.append(f"  | {_plain(field['text']).replace(chr(10), ': ', 1)}")
        elif kind == "context":
            lines.extend(f"  | {_plain(e.get('text', ''))}" for e in block.get("elements", []))
        elif kind == "actions":
            buttons = "  ".join(f"[{e['text']['text']}]" for e in block.get("elements", []))
            lines.append(f"  | {buttons}")
    lines.append("  +" + "-" * 66)
    return "\n".join(lines)


def _plain(text: str) -> str:
    return text.replace("*", "")


def _handoff_id(blocks: Any) -> int | None:
    items = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in items:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            return int(element["value"])
    return None


def run_console(*, demo: bool, database: Path | None, settings: Settings) -> int:
    console = Console(out=sys.stdout, database=database, settings=settings)
    try:
        if demo:
            console.run(DEMO_SCRIPT, echo=True)
        elif sys.stdin.isatty():
            console.say("escalation-bot console: you are the customer. /help for more.")
            console.run(_prompted(), echo=False)
        else:
            console.run(sys.stdin, echo=True)
    finally:
        console.close()
    return 0


def _prompted() -> Iterable[str]:
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return

"""`escalation-bot console`: the Slack app, driven from a terminal.

Every line goes through the real Bolt App's own dispatch as a signed Slack payload; the app's
Web API calls go to a local stand-in that renders them here: the bot's replies, the handoff
cards as agents see them, thread relays and ephemeral notes. A fresh SQLite database per run
unless `--db` is given; the offline agent unless ANTHROPIC_API_KEY is set.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.composition import Product, build_product
from bot.console.local_slack import BOT_USER, TEAM, LocalSlackWebAPI
from bot.console.text import dim, emoji_text, terminal_text
from bot.desk.admin import AdminCommands
from bot.settings import Settings
from db.models import Conversation, CustomerRow, DecisionRow, OrderRow
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from escalation.records import Order
from handlers.slack.cards import CLAIM, RESOLVE, RETURN

SECRET = "console-signing-secret"
CUSTOMER = "U0CUSTOMER"
AGENT = "U0AGENT"
ADMIN = "U0ADMIN"
AGENTS_CHANNEL = "C0AGENTS"
AGENT_NAME = "Sam"  # the agent's display name in the console's Slack
# The workspace's channels as the console's Slack lists them (`/escalation channel #agents`).
CHANNELS = {AGENTS_CHANNEL: "agents", "C0GENERAL": "general", "C0HELP": "help"}

NAMES = {CUSTOMER: "customer", AGENT: "agent", ADMIN: "admin", BOT_USER: "escalation-bot"}
# Conversations no longer the bot's: a customer's message there is relayed, not decided on.
HUMAN_HELD = ("escalated", "claimed")

HELP = """\
Type as the customer. Lines starting with "/" act as someone else:
  /new              start a new conversation, as another customer
  /shop             list the shop's customers and orders (what the bot can look up)
  /claim            claim the latest handoff card (as the agent)
  /reply TEXT       the agent replies in the card's thread (relayed to the customer)
  /resolve          resolve the latest handoff
  /return           hand the conversation back to the bot
  /escalation ARGS  the admin slash command, e.g. /escalation stats
  /help             this list
  /quit             leave (so do Ctrl-D and Ctrl-C)"""
WELCOME = (
    "escalation-bot console: you are the customer. /shop lists the demo shop's customers "
    "and orders to ask about; /help lists the other commands."
)
READING = (
    "Reading your lines from standard input: each line is what the customer says; lines "
    'starting with "/" act as the agent or the admin (/help lists them).'
)
PLAYING = (
    "Playing the built-in conversations: each you> line is what the customer says, each cmd> "
    "line is the agent or the admin acting. /shop lists the customers and orders."
)

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


def as_slack_escapes(text: str) -> str:
    """`@agent` and `#agents` as Slack sends them to a command that escapes users and
    channels (the manifest's should_escape): `<@U0AGENT|agent>`, `<#C0AGENTS|agents>`."""
    users = {name: user_id for user_id, name in NAMES.items()}
    channels = {name: channel_id for channel_id, name in CHANNELS.items()}

    def escaped(match: re.Match[str]) -> str:
        sigil, name = match.group(1), match.group(2)
        found = (users if sigil == "@" else channels).get(name)
        if found is None:
            return match.group(0)  # as typed: the command says what it does not know
        return f"<{sigil}{found}|{name}>"

    return re.sub(r"(?<![<\w])([@#])([\w.-]+)", escaped, text)


class Console:
    def __init__(
        self,
        *,
        out: TextIO,
        database: Path | None,
        settings: Settings,
        styled: bool | None = None,
    ) -> None:
        self.out = out
        # Bold and dim only on a terminal; a pipe or a file gets plain text.
        self.styled = out.isatty() if styled is None else styled
        self.slack = LocalSlackWebAPI(
            on_call=self._render,
            channels={id_: {"name": name, "is_member": True} for id_, name in CHANNELS.items()},
        )
        # The agent's Slack profile: a customer whose case they claim is told their name.
        self.slack.set_name(AGENT, display_name=AGENT_NAME, real_name=f"{AGENT_NAME} Rivera")
        self.slack.start()
        self._tmp = tempfile.TemporaryDirectory(prefix="escalation-console-")
        self.shop_api_url = settings.shop_api_url
        self.currency = settings.currency
        try:
            self.product: Product = self._build(settings, database)
        except BaseException:  # Ctrl-C while starting too: nothing left behind
            self.slack.stop()
            self._tmp.cleanup()
            raise
        self.customer = CUSTOMER
        self.customers = 0
        self.events = 0
        self.latest_card: dict[str, Any] | None = None
        self.cards: dict[str, int | None] = {}  # a card's ts: its handoff
        self._decisions_seen = self._last_decision()

    def _build(self, settings: Settings, database: Path | None) -> Product:
        path = database or Path(self._tmp.name) / "console.db"
        product = build_product(
            settings.model_copy(
                update={
                    "database_url": f"sqlite:///{path}",
                    "slack_bot_token": "xoxb-console",
                    # its own one workspace, whatever an OAuth deployment's .env says
                    "slack_client_id": None,
                    "slack_client_secret": None,
                    "slack_signing_secret": SECRET,
                    "slack_api_url": self.slack.url,
                    "shop": "demo",  # unless SHOP_API_URL names a shop's own API
                    # one person typing in a terminal: lines arrive in the order written
                    "turn_settle_seconds": 0,
                }
            )
        )
        with SqlUnitOfWork(product.sessions) as uow:
            current = uow.workspaces.get(TEAM)
            uow.workspaces.save(
                WorkspaceSettings(
                    TEAM,
                    current.handoff_channel or AGENTS_CHANNEL,
                    current.support_channels,
                    current.admin_user_ids or (ADMIN,),
                ),
                now=product.processor.clock(),
            )
            uow.commit()
        return product

    def close(self) -> None:
        self.product.stop()
        self.slack.stop()
        self._tmp.cleanup()

    def run(self, lines: Iterable[str], *, echo: bool) -> None:
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
        elif line == "/shop":
            self.say(self.shop_listing())
        elif line == "/new":
            self.customers += 1
            self.customer = f"{CUSTOMER}{self.customers}"
            self.say(f"(a new customer, @{self.name_of(self.customer)}, opens a direct message)")
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
            self._show_decisions(customer_turn=True)
            return True
        self._settle()
        self._show_decisions(customer_turn=False)  # /return may hand a turn back to the bot
        return True

    def name_of(self, user_id: str) -> str:
        """A readable name for a Slack user id of the console's cast."""
        if user_id in NAMES:
            return NAMES[user_id]
        if user_id.startswith(CUSTOMER) and user_id.removeprefix(CUSTOMER).isdigit():
            return f"customer{user_id.removeprefix(CUSTOMER)}"
        return user_id

    # --- what the product recorded -------------------------------------------------------------

    def _last_decision(self) -> int:
        with self.product.sessions() as session:
            return session.scalar(select(DecisionRow.id).order_by(DecisionRow.id.desc())) or 0

    def _show_decisions(self, *, customer_turn: bool) -> None:
        """One line per decision the turns just recorded (the audit rows, as an admin reads
        them); a customer's message in a conversation a person has is relayed, not decided."""
        with self.product.sessions() as session:
            rows = session.scalars(
                select(DecisionRow)
                .where(DecisionRow.id > self._decisions_seen)
                .order_by(DecisionRow.id)
            ).all()
            status = session.scalar(
                select(Conversation.status).where(
                    Conversation.customer_user_id == self.customer,
                    Conversation.channel_id == f"D{self.customer}",
                )
            )
        for row in rows:
            self._decisions_seen = row.id
            self.say(dim(f"  · decision: {describe_decision(row)}", styled=self.styled))
        if customer_turn and not rows and status in HUMAN_HELD:
            self.say(
                dim(
                    "  · no decision: a person has this conversation; the bot relayed the "
                    "message to them",
                    styled=self.styled,
                )
            )

    def shop_listing(self) -> str:
        """The customers and orders the bot's tools search, read from the shop itself."""
        if self.shop_api_url:
            return (
                f"The shop is your own service at {self.shop_api_url}; it lists no customers "
                "here. Ask the bot about a customer or order that service knows."
            )
        now = self.product.processor.clock()
        with SqlUnitOfWork(self.product.sessions, read_only=True) as uow:
            customers = uow.session.scalars(select(CustomerRow).order_by(CustomerRow.id)).all()
            numbers = uow.session.scalars(
                select(OrderRow.number).order_by(OrderRow.customer_id, OrderRow.number)
            ).all()
            orders = [order for n in numbers if (order := uow.shop.order(n, now=now))]
        if not customers:
            return "The shop has no customers yet."
        lines = [f"The shop's customers and their orders ({len(customers)} customers):"]
        for customer in customers:
            lines.append(f"  {customer.id}  {customer.name}  {customer.email}  {customer.phone}")
            lines.extend(
                f"      order {o.number}: {o.item}, {_order_state(o)}, {o.total} {self.currency}"
                for o in orders
                if o.customer_id == customer.id
            )
        shared = [name for name, n in Counter(c.name for c in customers).items() if n > 1]
        if shared:
            lines.append(
                f"Several customers are named {', '.join(shared)}: the bot asks for an email, "
                "phone or order number to tell them apart."
            )
        return "\n".join(lines)

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
                "text": as_slack_escapes(text),
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
        self.say(f"  (only you can see this) {self.plain(str(answer))}")
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
        text = self.plain(str(params.get("text") or ""))
        if method == "chat.postMessage" and params.get("blocks"):
            handoff = _handoff_id(params["blocks"])
            self.cards[str(params.get("ts"))] = handoff
            self.latest_card = {"ts": params.get("ts"), "handoff_id": handoff}
            title = f"new handoff card #{handoff} in #agents"
            self.say(render_card(params["blocks"], title=title, plain=self.plain))
        elif method == "chat.update" and params.get("blocks"):
            # The card was shown whole when posted; an update says what changed, in one line.
            handoff = self.cards.get(str(params.get("ts")))
            status = card_status(params["blocks"], plain=self.plain) or "updated"
            self.say(f"  card #{handoff if handoff is not None else '?'} in #agents: {status}")
        elif method == "chat.postMessage" and channel == AGENTS_CHANNEL:
            self.say(f"  #agents thread> {text}")
        elif method == "chat.postMessage" and channel.startswith("D"):
            self.say(f"bot> {text}")
        elif method == "chat.postMessage" and channel.startswith("U"):
            self.say(f"  (direct message to the admin @{self.name_of(channel)}) {text}")
        elif method == "respond":
            self.say(f"  (only you can see this) {text}")
        elif method == "chat.postEphemeral":
            self.say(f"  (only the agent sees this) {text}")

    def plain(self, markup: str) -> str:
        """Slack markup as the terminal shows it."""
        return terminal_text(
            markup, name_of=self.name_of, channel_of=self.channel_of, styled=self.styled
        )

    @staticmethod
    def channel_of(channel_id: str) -> str:
        return CHANNELS.get(channel_id, channel_id)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def describe_decision(row: DecisionRow) -> str:
    """A turn's audit row in one line: the action, its trigger and the reason recorded."""
    action = f"{row.action}: {row.trigger}" if row.trigger else row.action
    if row.action == "clarify" and row.ask_for:
        action += f", asking for {', '.join(row.ask_for)}"
    proposal = row.proposal or {}
    # The engine's reason; where it only accepted the agent's proposal, the agent's reason.
    reason = row.reason
    if not row.overridden and not row.trigger and proposal.get("reason"):
        reason = str(proposal["reason"])
    if not row.trigger:
        reason = f"no escalation trigger; {reason}"
    if row.overridden and proposal.get("action") not in (None, row.action):
        reason += f"; the agent had proposed {proposal['action']}"
    steps = row.investigation_steps
    return f"{action} ({reason}; {steps} investigation step{'s' if steps != 1 else ''})"


def render_card(blocks: Any, *, title: str, plain: Callable[[str], str]) -> str:
    """A Block Kit card as readable terminal text."""
    items = json.loads(blocks) if isinstance(blocks, str) else blocks
    lines = [f"  +-- {title} " + "-" * max(4, 60 - len(title))]
    for block in items:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"  | {emoji_text(block['text']['text']).upper()}")
        elif kind == "section":
            if block.get("text"):
                lines.extend(f"  | {line}" for line in plain(block["text"]["text"]).splitlines())
            for field in block.get("fields", []):
                lines.append(f"  | {plain(field['text']).replace(chr(10), ': ', 1)}")
        elif kind == "context":
            lines.extend(f"  | {plain(e.get('text', ''))}" for e in block.get("elements", []))
        elif kind == "actions":
            buttons = "  ".join(f"[{e['text']['text']}]" for e in block.get("elements", []))
            lines.append(f"  | {buttons}")
    lines.append("  +" + "-" * 66)
    return "\n".join(lines)


def card_status(blocks: Any, *, plain: Callable[[str], str]) -> str | None:
    """The card's status line (its context block): who has it, or how it ended."""
    items = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in items:
        if block.get("type") == "context":
            texts = [plain(e.get("text", "")) for e in block.get("elements", [])]
            return " ".join(t for t in texts if t) or None
    return None


def _order_state(order: Order) -> str:
    if order.status == "delivered" and order.delivered_days_ago is not None:
        return f"delivered {_days(order.delivered_days_ago)}"
    due = order.due_days_ago
    if due is not None and order.status in ("processing", "shipped"):
        return f"{order.status}, due {_days(due)}" + (" (late)" if due > 0 else "")
    return order.status


def _days(n: int) -> str:
    if n < 0:
        return f"in {-n} day{'s' if n != -1 else ''}"
    return "today" if n == 0 else f"{n} day{'s' if n != 1 else ''} ago"


def _handoff_id(blocks: Any) -> int | None:
    items = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in items:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            return int(element["value"])
    return None


def run_console(*, demo: bool, database: Path | None, settings: Settings) -> int:
    """Ctrl-C or Ctrl-D at the prompt leaves quietly (status 0): that is how one ends a chat.
    Ctrl-C while lines are read from a script or the demo ends it with 130, as a shell tells
    an interrupted command, so a calling script knows the conversations were cut short."""
    interactive = not demo and sys.stdin.isatty()
    console: Console | None = None
    try:
        console = Console(out=sys.stdout, database=database, settings=settings)
        if demo:
            console.say(PLAYING)
            console.run(DEMO_SCRIPT, echo=True)
        elif interactive:
            console.say(WELCOME)
            console.run(_prompted(), echo=False)
        else:
            console.say(READING)
            console.run(sys.stdin, echo=True)
    except KeyboardInterrupt:
        print(file=sys.stdout, flush=True)  # end the line the prompt was on
        return 0 if interactive else 130
    finally:
        if console is not None:
            with _no_interrupts():
                console.close()
    return 0


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """A second Ctrl-C while closing does not leave the database or the temp dir behind."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _prompted() -> Iterable[str]:
    while True:
        try:
            yield input("you> ")
        except EOFError:
            print()  # Ctrl-D: the shell's prompt starts on a line of its own
            return

"""What a person sees in `escalation-bot console`: plain text, one line per card update, the
engine's decision for each customer turn, the shop's data on request, and a quiet Ctrl-C.

The console drives the real App; its Slack is the local stand-in over HTTP (bot/console)."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select as select_rows

from bot.console.console import DEMO_SCRIPT, Console
from bot.settings import Settings
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from db.models import DecisionRow
from db.uow import SqlUnitOfWork
from escalation.records import Customer, Order

SCRIPT = Path(sys.executable).parent / "escalation-bot"
# The console as a person's shell starts it: Ctrl-C not ignored. A runner started in the
# background by a shell without job control ignores SIGINT, and exec passes that on: Python
# then installs no KeyboardInterrupt handler and the console could not be interrupted at all.
AS_FROM_A_TERMINAL = (
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])",
)

# What Slack markup left raw looks like: mentions, channels, links, escaped entities, emoji
# shortcodes, code and bold/italic/strike markers, terminal escapes on a plain output.
RAW_MARKUP = {
    "mention or link": re.compile(r"<[@#!]|<(?:https?|mailto|tel):"),
    "escaped entity": re.compile(r"&(?:amp|lt|gt);"),
    "emoji shortcode": re.compile(r"(?<![\w:]):[a-z][a-z0-9_+\-]*:(?!\w)"),
    "code marker": re.compile(r"`"),
    "bold, italic or strike marker": re.compile(r"(?<![\w*_~])([*_~])\S[^\n]*?\S?\1(?![\w*_~])"),
    "terminal escape": re.compile("\x1b"),
}

# Customers in many registers, some typing Slack markup of their own.
PHRASINGS = (
    "I want to talk to a real person please",
    "/new",
    "agent pls",
    "/new",
    "where is order 1043? j.smith@example.com",
    "/new",
    "THIS IS RIDICULOUS!!! my lamp from order 1042 arrived *smashed* :angry: j.smith@example.com",
    "/new",
    "Hello! Another store has the blender for 15 dollars less. Could you match it? Order 4410.",
    "/new",
    "can i get a refund for order 3307? jsmith77@example.org",
    "/new",
    "am I talking to a bot?",
    "actually yes, get me a human",
    "/new",
    "hey <@U0AGENT> can you cancel `2051` for me? john.smith@example.net",
    "/new",
    "see <https://shop.example/orders/1043|my order> &amp; where is it? j.smith@example.com",
    "/new",
    "Hi, this is John Smith. Where is my order?",
    "it's j.smith@example.com",
    "1043",
    "/new",
    "😡😡😡",
    "/new",
    "_please_ ~help~ me <#C0AGENTS|agents> <!here>, can someone call me",
    "/claim",
    "hello?? :wave:",
    "/reply Hi, *Sam* here: I'll call you in `5` minutes :telephone_receiver:",
    "/return",
    "/new",
    "get me a real person",
    "/resolve",
)


def offline_settings() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        ANTHROPIC_API_KEY=None,
        SHOP_API_URL=None,
    )


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    opened = Console(
        out=io.StringIO(), database=tmp_path / "console.db", settings=offline_settings()
    )
    yield opened
    opened.close()


def shown(console: Console) -> str:
    out = console.out
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def bot_output(text: str) -> list[str]:
    """What the console printed, without the lines echoing what the person typed."""
    return [line for line in text.splitlines() if not line.startswith(("you> ", "cmd> "))]


def raw_markup_in(lines: list[str]) -> list[tuple[str, str]]:
    return [
        (kind, line) for line in lines for kind, seen in RAW_MARKUP.items() if seen.search(line)
    ]


def status_lines(text: str) -> list[str]:
    return re.findall(r"(?m)^  card #\d+ in #agents: .*$", text)


def decision_lines(text: str) -> list[str]:
    return re.findall(r"(?m)^  · (?:decision: |no decision: ).*$", text)


def test_the_demo_reads_as_plain_text_with_one_line_per_card_update(console: Console) -> None:
    console.run(DEMO_SCRIPT, echo=True)
    text = shown(console)

    assert raw_markup_in(bot_output(text)) == []
    cards = console.slack.to("chat.update")
    assert len(cards) == 2  # claimed, then resolved
    assert status_lines(text) == [
        line for line in status_lines(text) if re.search(r"(Claimed|Resolved) by @agent", line)
    ]
    assert len(status_lines(text)) == len(cards)
    # each card's body once: when it was posted
    posted = [p for p in console.slack.to("chat.postMessage") if p.get("blocks")]
    assert len(posted) == 2
    assert text.count("Root cause") == len(posted)
    assert text.count("Recommended action") == len(posted)
    assert "Trigger: policy_gap" in text
    assert "Slack user: @customer2" in text


def test_the_customer_sees_who_claimed_their_case_as_a_bot_post(console: Console) -> None:
    console.run(DEMO_SCRIPT, echo=True)
    lines = shown(console).splitlines()
    notice = "bot> Sam from our team has your case now and will reply here."
    assert lines.count(notice) == 1
    claimed = lines.index("cmd> /claim")
    assert claimed < lines.index(notice) < lines.index("you> are you still there?")


def test_with_names_off_the_console_shows_a_person_from_the_team(console: Console) -> None:
    console.run(["I want a person", "/escalation names off", "/claim"], echo=True)
    lines = shown(console).splitlines()
    assert "bot> A person from our team has your case now and will reply here." in lines
    assert not any("Sam from our team" in line for line in lines)


def test_no_slack_markup_shows_across_many_phrasings(console: Console) -> None:
    console.run(PHRASINGS, echo=True)
    text = shown(console)

    assert raw_markup_in(bot_output(text)) == []
    assert "@agent" in text
    assert "✅" in text or "🤖" in text or "🙋" in text  # card statuses as emoji
    updates = console.slack.to("chat.update")
    assert len(updates) >= 3  # claimed, returned, resolved
    assert len(status_lines(text)) == len(updates)
    for body_line in ("Root cause", "Recommended action", "Attempts made"):
        cards = [p for p in console.slack.to("chat.postMessage") if p.get("blocks")]
        assert text.count(body_line) == len(cards)


def test_each_customer_turn_shows_the_decision_recorded_for_it(console: Console) -> None:
    console.run(
        [
            "where is order 1043? j.smith@example.com",
            "/new",
            "I want to talk to a real person please",
            "are you still there?",
            "/new",
            "Hello! Another store has the blender for 15 dollars less. Could you match it? 4410",
        ],
        echo=True,
    )
    turns = shown(console).split("you> ")[1:]
    assert len(turns) == 4
    order, explicit, relayed, gap = (decision_lines(turn) for turn in turns)

    assert len(order) == 1
    assert order[0].startswith("  · decision: resolve (no escalation trigger")
    assert len(explicit) == 1
    assert explicit[0].startswith("  · decision: escalate: explicit_request (")
    assert explicit[0].endswith("0 investigation steps)")
    assert relayed == [
        "  · no decision: a person has this conversation; the bot relayed the message to them"
    ]
    assert len(gap) == 1
    assert gap[0].startswith("  · decision: escalate: policy_gap (")

    # the lines are the audit rows the turns wrote, one each, in order
    with console.product.sessions() as session:
        rows = session.scalars(select_rows(DecisionRow).order_by(DecisionRow.id)).all()
    assert [(row.action, row.trigger) for row in rows] == [
        ("resolve", None),
        ("escalate", "explicit_request"),
        ("escalate", "policy_gap"),
    ]
    assert rows[1].reason in explicit[0]


def test_shop_lists_the_demo_shops_customers_and_orders(console: Console) -> None:
    console.run(["/shop"], echo=True)
    listing = shown(console)
    for customer in DEMO_CUSTOMERS:
        assert f"  {customer.id}  {customer.name}  {customer.email}" in listing
    for order in DEMO_ORDERS:
        assert f"order {order.number}: {order.item}, " in listing
    assert "order 1043: Kettle, shipped, due 2 days ago (late), 25.00 USD" in listing


def test_shop_lists_what_the_store_holds_not_a_fixed_text(console: Console) -> None:
    with SqlUnitOfWork(console.product.sessions) as uow:
        uow.shop.load(
            [Customer("C-9", "Ana Lima", "ana@example.org", "+1 555 0199")],
            [Order("7001", "C-9", "Teapot", "processing", Decimal("18.50"), 1, due_days_ago=-3)],
            now=console.product.processor.clock(),
        )
        uow.commit()
    console.run(["/shop"], echo=True)
    listing = shown(console)
    assert "  C-9  Ana Lima  ana@example.org  +1 555 0199" in listing
    assert "order 7001: Teapot, processing, due in 3 days, 18.50 USD" in listing
    assert "John Smith" not in listing
    assert "1042" not in listing


def test_help_lists_new_and_shop(console: Console) -> None:
    console.run(["/help"], echo=True)
    commands = re.findall(r"(?m)^  (/\w+)", shown(console))
    assert {"/new", "/shop", "/claim", "/reply", "/resolve", "/return", "/quit"} <= set(commands)


@pytest.mark.parametrize("typed", ["#agents", "agents", "<#C0AGENTS|agents>"])
def test_the_handoff_channel_is_set_by_name_as_typed(console: Console, typed: str) -> None:
    console.run([f"/escalation channel {typed}", "/escalation channel #no-such-room"], echo=True)
    answers = [line for line in shown(console).splitlines() if "(only you can see this)" in line]
    assert "Handoff cards now go to #agents" in answers[0]
    assert "can't find a channel named #no-such-room" in answers[1]


def test_people_are_named_as_typed_in_slash_commands(console: Console) -> None:
    console.run(["/escalation admins add @agent", "/escalation admins add @nobody"], echo=True)
    answers = [line for line in shown(console).splitlines() if "(only you can see this)" in line]
    assert "Bot admins: @admin, @agent." in answers[0]
    assert "Nothing was changed" in answers[1]


def test_a_terminal_shows_bold_as_bold_and_decisions_dim(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(out=out, database=None, settings=offline_settings(), styled=True)
    try:
        console.run(["I want to talk to a real person please"], echo=True)
    finally:
        console.close()
    text = out.getvalue()
    assert "\x1b[1mTrigger\x1b[22m: explicit_request" in text
    assert "\x1b[2m  · decision: escalate: explicit_request" in text
    assert "*" not in text
    assert "`" not in text


# --- the real command in a terminal ----------------------------------------------------------


class Terminal:
    """`escalation-bot console` under a pseudo-terminal that is its controlling terminal, so
    Ctrl-C typed there reaches it as SIGINT, as in a person's terminal."""

    def __init__(self, home: Path) -> None:
        self.home = home
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ANTHROPIC_", "SLACK_", "SHOP"))
        }
        env.update(TMPDIR=str(home), TERM="xterm")
        self.master, follower = pty.openpty()
        self.process = subprocess.Popen(
            ["setsid", "--ctty", "--wait", *AS_FROM_A_TERMINAL, str(SCRIPT), "console"],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            cwd=home,
        )
        os.close(follower)
        self.output = ""

    def wait_for(self, text: str, *, after: int = 0, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while (found := self.output.find(text, after)) < 0:
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output}"
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"the console ended before {text!r}:\n{self.output}")
        return found + len(text)

    def type(self, keys: str) -> None:
        # A person's pause after the prompt: a signal in the microseconds between the prompt
        # being written and the read starting waits for the next key (Python's input()).
        time.sleep(0.3)
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self._read(deadline - time.monotonic()):
            assert time.monotonic() < deadline, f"the console did not end:\n{self.output}"
        os.close(self.master)
        return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            return False
        self.output += chunk.decode(errors="replace")
        return bool(chunk)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    opened = Terminal(tmp_path)
    yield opened
    if opened.process.poll() is None:
        opened.process.kill()
        opened.process.wait()


def leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if p.name.startswith("escalation-console-"))


def test_ctrl_c_at_the_prompt_leaves_quietly(terminal: Terminal) -> None:
    start = terminal.wait_for("you> ")
    assert "/shop" in terminal.output[:start]  # the first line says /shop exists
    terminal.type("where is order 1043? j.smith@example.com\r")
    answered = terminal.wait_for("· decision: resolve", after=start)
    terminal.wait_for("you> ", after=answered)
    terminal.type("\x03")
    assert terminal.finish() == 0
    assert "Traceback" not in terminal.output
    assert "KeyboardInterrupt" not in terminal.output
    assert leftovers(terminal.home) == []


def test_ctrl_d_at_the_prompt_leaves_quietly(terminal: Terminal) -> None:
    terminal.wait_for("you> ")
    terminal.type("\x04")
    assert terminal.finish() == 0
    assert "Traceback" not in terminal.output
    assert leftovers(terminal.home) == []


def test_an_interrupted_script_ends_with_130_and_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLACK_"))}
    env["TMPDIR"] = str(tmp_path)
    process = subprocess.Popen(
        [*AS_FROM_A_TERMINAL, str(SCRIPT), "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(b"I want a person\n")
        process.stdin.flush()
        seen = b""
        deadline = time.monotonic() + 60
        while b"decision:" not in seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([process.stdout], [], [], max(0.0, left))
            assert ready, seen.decode()
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, seen.decode()
            seen += chunk
        process.send_signal(signal.SIGINT)  # stdin is still open: it was waiting for a line
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert b"Traceback" not in seen + rest
    assert leftovers(tmp_path) == []

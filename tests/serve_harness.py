"""The real `escalation-bot serve` as a child process, a loopback Slack Web API, and customers
writing to it: what the fault tests and `scripts/measure_restart.py` kill, starve and count.

Customers either ask about an order (one reply) or ask for a person (one reply and one card in
the agents' channel). Counts come from what reached the Web API.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.console.local_slack import LocalSlackWebAPI
from db.engine import make_engine, make_session_factory
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import SlackSender

SECRET = "harness-secret"
AGENTS = "C0AGENTS"
ADMIN = "U0ADMIN"
ASKS_ABOUT_AN_ORDER = "where is order 1043? j.smith@example.com"
ASKS_FOR_A_PERSON = "I want to talk to a person please"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(*, slack_url: str, database_url: str, **extra: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "DATABASE_URL", "SHOP", "CURRENCY"))
    }
    return {
        **inherited,
        "SLACK_BOT_TOKEN": "xoxb-harness",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "SHOP": "demo",
        **extra,
    }


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class ServeProcess:
    """`escalation-bot serve --port P`, started, killed and restarted on the same port."""

    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    args: tuple[str, ...] = ()  # more of serve's options, e.g. ("--workers", "2")
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self) -> None:
        script = Path(sys.executable).parent / "escalation-bot"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(script), "serve", "--port", str(self.port), *self.args],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a service manager runs it
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("serve did not start")

    @property
    def log(self) -> Path:
        return self.workdir / f"serve-{self.port}.log"

    def wait_until_taking_turns(self, workers: int, *, seconds: float = 90) -> None:
        """Until `workers` worker processes have started and say they take turns (their
        start-up, loading the detector's word lists, is over)."""
        deadline = time.monotonic() + seconds
        while self.log.read_text(errors="replace").count(" taking turns") < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {workers} workers took turns in {seconds} s")
            time.sleep(0.1)

    def kill(self, how: int) -> int:
        """SIGTERM: to serve, which stops its workers in order. SIGKILL: a crash, the worker
        processes die with it (as in a container or a machine that goes down)."""
        assert self.process is not None
        if how == signal.SIGKILL:
            for worker in children_of(self.process.pid):
                os.kill(worker, signal.SIGKILL)
        self.process.send_signal(how)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill(signal.SIGTERM)


@dataclass
class Customers:
    """`count` customers, every third asking for a person; they write through `send`."""

    count: int
    asks_for_a_person_every: int = 3

    @property
    def users(self) -> list[str]:
        return [f"U{n:04d}" for n in range(self.count)]

    def text_of(self, n: int) -> str:
        return ASKS_FOR_A_PERSON if n % self.asks_for_a_person_every == 0 else ASKS_ABOUT_AN_ORDER

    @property
    def asking_for_a_person(self) -> int:
        return sum(1 for n in range(self.count) if self.text_of(n) == ASKS_FOR_A_PERSON)


def send_until_acked(sender: SlackSender, event: dict[str, Any], event_id: str) -> bool:
    """Slack retries an event whose delivery failed (the app was down); so does this."""
    for _ in range(300):
        try:
            if sender.event(event, event_id=event_id) == 200:
                return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    return False


def dm_event(user: str, text: str, ts: str) -> dict[str, Any]:
    channel = f"D{user}"
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
    }


@contextmanager
def writing(
    customers: Customers, endpoint: str | Sequence[str], *, threads: int = 8
) -> Iterator[list[Future[bool]]]:
    """Every customer writes once, from a pool, while the caller does its worst. With several
    endpoints (fronts behind a load balancer) customers take turns among them."""
    endpoints = [endpoint] if isinstance(endpoint, str) else list(endpoint)
    senders = [SlackSender(each, SECRET) for each in endpoints]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        yield [
            pool.submit(
                send_until_acked,
                senders[n % len(senders)],
                dm_event(user, customers.text_of(n), f"{1733390000 + n}.000100"),
                f"Ev{user}",
            )
            for n, user in enumerate(customers.users)
        ]


@dataclass
class WorkerProcess:
    """`escalation-bot worker`, as a team runs it beside one or more fronts."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        script = Path(sys.executable).parent / "escalation-bot"
        with (self.workdir / f"worker-{id(self)}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(script), "worker"],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


def configure_agents_channel(endpoint: str, slack: LocalSlackWebAPI) -> None:
    sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
    status, _ = sender.command(ADMIN, f"channel <#{AGENTS}|agents>")
    assert status == 200, status


def loopback_slack(on_call: ReplyWatch | None = None) -> LocalSlackWebAPI:
    return LocalSlackWebAPI(users={ADMIN: {"id": ADMIN, "is_admin": True}}, on_call=on_call)


@dataclass
class Tally:
    """What reached the Web API: replies per customer and cards in the agents' channel."""

    replies: Counter[str]
    cards: int
    card_texts: Counter[str]

    @classmethod
    def of(cls, slack: LocalSlackWebAPI, customers: Customers) -> Tally:
        posted = slack.to("chat.postMessage")
        replies = Counter(
            str(m["channel"])[1:] for m in posted if str(m.get("channel", "")).startswith("DU")
        )
        cards = [m for m in posted if m.get("channel") == AGENTS and m.get("blocks")]
        return cls(
            replies=Counter({u: replies.get(u, 0) for u in customers.users}),
            cards=len(cards),
            card_texts=Counter(str(m.get("text")) for m in cards),
        )

    def histogram(self) -> dict[int, int]:
        return dict(sorted(Counter(self.replies.values()).items()))


def wait_for(
    slack: LocalSlackWebAPI, customers: Customers, *, seconds: float
) -> tuple[Tally, float]:
    """Until every customer has a reply and every person-asker a card, or `seconds` pass."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        tally = Tally.of(slack, customers)
        if min(tally.replies.values()) >= 1 and tally.cards >= customers.asking_for_a_person:
            break
        time.sleep(0.2)
    took = time.monotonic() - started
    time.sleep(2)  # a late second copy, if there is one, lands now
    return Tally.of(slack, customers), took


def wait_until_posted(database_url: str, *, seconds: float) -> dict[str, int]:
    """Until the outbox has nothing left to post (looks for lost answers included)."""
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + seconds
        while True:
            with SqlUnitOfWork(make_session_factory(engine)) as uow:
                counts = uow.outbox.counts()
            if not (counts.get("pending") or counts.get("sending")):
                return counts
            if time.monotonic() > deadline:
                return counts
            time.sleep(0.5)
    finally:
        engine.dispose()


class ReplyWatch:
    """Counts customers' replies as they reach the Web API (to kill mid-load)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method == "chat.postMessage" and str(params.get("channel", "")).startswith("DU"):
            with self._lock:
                self.count += 1

    def wait_until(self, count: int, *, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.01)

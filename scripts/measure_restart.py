"""Faults where they really happen, counted: the real `escalation-bot serve` (HTTP, offline agent,
SHOP=demo) against the loopback Slack Web API. Figures only.

  kill    customers write while serve is killed with SIGKILL at a third of the replies and with
          SIGTERM at two thirds, restarted at once each time: replies per customer, cards per
          handoff, and how long after the last restart the last one came.
  faults  the Web API posts and then answers 500 on a fifth of the posts, and rate-limits one
          customer's channel (Retry-After 20 s): replies per customer, cards, how long the
          other customers waited.
  bursts  two serve processes on one database; each customer writes two messages and the later
          one reaches one process a moment before the earlier one reaches the other: how many
          conversations were answered in the order written.

    .venv/bin/python scripts/measure_restart.py [--mode kill|faults|bursts] [--customers 60]
                                                [--database-url URL]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.console.local_slack import Fault
from db.engine import make_engine, make_session_factory
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import SlackSender
from tests.serve_harness import (
    SECRET,
    Customers,
    ReplyWatch,
    ServeProcess,
    configure_agents_channel,
    dm_event,
    loopback_slack,
    send_until_acked,
    serve_env,
    wait_for,
    wait_until_posted,
    writing,
)


def kill(customers: Customers, database_url: str, workdir: Path) -> None:
    watch = ReplyWatch()
    slack = loopback_slack(watch).start()
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), workdir)
    serve.start()
    configure_agents_channel(serve.endpoint, slack)
    with writing(customers, serve.endpoint) as sends:
        watch.wait_until(customers.count // 3)
        serve.kill(signal.SIGKILL)
        print(f"SIGKILL after {watch.count} replies")
        serve.start()
        watch.wait_until(2 * customers.count // 3)
        code = serve.kill(signal.SIGTERM)
        print(f"SIGTERM after {watch.count} replies (exit status {code})")
        serve.start()
        acked = sum(send.result() for send in sends)
    tally, took = wait_for(slack, customers, seconds=180)
    serve.stop()
    slack.stop()
    print(f"  acked {acked}/{customers.count}; replies per customer: {tally.histogram()}")
    print(f"  cards {tally.cards} for {customers.asking_for_a_person} handoffs; ")
    print(f"  all answered {took:.1f} s after the last restart")


def faults(customers: Customers, database_url: str, workdir: Path) -> None:
    limited = f"D{customers.users[1]}"
    slack = loopback_slack().start()
    slack.fail("chat.postMessage", Fault("ratelimited", times=1, channel=limited, retry_after=20))
    lost = Fault("posted_then_500", times=10**6, probability=0.2)
    slack.fail("chat.postMessage", lost)
    serve = ServeProcess(serve_env(slack_url=slack.url, database_url=database_url), workdir)
    serve.start()
    configure_agents_channel(serve.endpoint, slack)
    started = time.monotonic()
    with writing(customers, serve.endpoint) as sends:
        acked = sum(send.result() for send in sends)
    others = [f"D{u}" for u in customers.users if f"D{u}" != limited]
    while time.monotonic() - started < 120 and not all(slack.messages_in(c) for c in others):
        time.sleep(0.1)
    others_done = time.monotonic() - started
    tally, _ = wait_for(slack, customers, seconds=180)
    limited_at = time.monotonic() - started
    outbox = wait_until_posted(database_url, seconds=180)
    settled_at = time.monotonic() - started
    tally, _ = wait_for(slack, customers, seconds=1)
    serve.stop()
    slack.stop()
    posted_then_500 = 10**6 - lost.times
    print(f"acked {acked}/{customers.count}; replies per customer: {tally.histogram()}")
    print(f"  outbox {outbox} {settled_at:.1f} s after the first message (lost answers looked for)")
    print(f"  cards {tally.cards} for {customers.asking_for_a_person} handoffs")
    print(
        f"  posts made and answered 500: {posted_then_500}; history look-ups: "
        f"{slack.attempts('conversations.history') + slack.attempts('conversations.replies')}"
    )
    print(
        f"  every other customer answered {others_done:.1f} s after the first message; "
        f"the rate-limited one by {limited_at:.1f} s"
    )


def bursts(customers: Customers, database_url: str, workdir: Path) -> None:
    slack = loopback_slack().start()
    env = serve_env(slack_url=slack.url, database_url=database_url)
    servers = [ServeProcess(env, workdir), ServeProcess(env, workdir)]
    for server in servers:
        server.start()
    senders = [SlackSender(s.endpoint, SECRET) for s in servers]
    first_text, second_text = "hi, I have a question", "where is order 1043?"

    def burst(n: int) -> None:
        user = customers.users[n]
        later = dm_event(user, second_text, f"{1733390000 + n}.000200")
        earlier = dm_event(user, first_text, f"{1733390000 + n}.000100")
        send_until_acked(senders[n % 2], later, f"Ev{user}-2")
        time.sleep(0.02)
        send_until_acked(senders[(n + 1) % 2], earlier, f"Ev{user}-1")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(burst, range(customers.count)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        len(slack.messages_in(f"D{u}")) >= 2 for u in customers.users
    ):
        time.sleep(0.2)
    for server in servers:
        server.stop()
    slack.stop()
    engine = make_engine(database_url)
    in_order = 0
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        for user in customers.users:
            key = ConversationKey("slack", "T1", f"D{user}", user)
            record = uow.conversations.get_or_create(key, now=datetime.now(UTC))
            said = [u.text for u in uow.conversations.history(record.id) if u.speaker == "customer"]
            in_order += said == [first_text, second_text]
    engine.dispose()
    replies = [len(slack.messages_in(f"D{u}")) for u in customers.users]
    print(f"bursts over two processes: {in_order}/{customers.count} answered in the order written;")
    print(f"  replies per customer: {dict(sorted((r, replies.count(r)) for r in set(replies)))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("kill", "faults", "bursts"), default="kill")
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bot.db'}"
        {"kill": kill, "faults": faults, "bursts": bursts}[args.mode](
            Customers(args.customers), url, Path(tmp)
        )


if __name__ == "__main__":
    main()

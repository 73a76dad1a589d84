"""Benchmark: signed Slack events through the HTTP endpoint, and event-to-reply latency.

Runs the real product (Bolt App behind waitress, inbox worker, outbox drainer, offline agent)
against the local Slack Web API stand-in; sends signed DM events from 1 and from 50 concurrent
conversations, on SQLite and on PostgreSQL. Prints acks per second at the endpoint and the
time from sending an event to its reply reaching the Web API (p50/p99). Figures only.

    .venv/bin/python scripts/bench_slack.py [--events N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import waitress
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.agents.offline import OfflineAgent
from bot.composition import build_product
from bot.console.local_slack import TEAM, LocalSlackWebAPI
from bot.settings import Settings

SECRET = "bench-secret"
MESSAGES = ["where is order 1043? j.smith@example.com", "thanks, and order 1042?", "great"]


class Replies:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.done = threading.Condition(self.lock)

    def on_call(self, method: str, params: dict[str, Any]) -> None:
        if method != "chat.postMessage":
            return
        channel = str(params.get("channel"))
        with self.lock:
            started = self.sent.pop(channel, None)
            if started is not None:
                self.latencies.append(time.perf_counter() - started)
                self.done.notify_all()


def run(label: str, database_url: str, *, conversations: int, events: int) -> None:
    replies = Replies()
    slack = LocalSlackWebAPI(on_call=replies.on_call).start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SHOP="demo",
    )
    product = build_product(settings, agent=OfflineAgent(), worker_interval=0.05)
    product.start_workers()
    server = waitress.create_server(
        SlackRequestHandler(product.app), host="127.0.0.1", port=0, threads=8
    )
    threading.Thread(target=server.run, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.effective_port}/slack/events"
    per_conversation = max(1, events // conversations)
    ack_times: list[float] = []

    def conversation(n: int) -> None:
        channel = f"DBENCH{n:04d}"
        for i in range(per_conversation):
            body = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": TEAM,
                    "event_id": f"Ev{uuid.uuid4().hex}",
                    "event": {
                        "type": "message",
                        "channel_type": "im",
                        "channel": channel,
                        "user": f"UB{n:04d}",
                        "text": MESSAGES[i % len(MESSAGES)],
                        "ts": f"{time.time():.6f}",
                    },
                }
            )
            stamp = str(int(time.time()))
            signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
            request = urllib.request.Request(
                endpoint,
                data=body.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": str(signature),
                },
            )
            with replies.lock:
                replies.sent[channel] = time.perf_counter()
            began = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            ack_times.append(time.perf_counter() - began)
            with replies.lock:  # the customer waits for the reply before writing again
                replies.done.wait_for(lambda: channel not in replies.sent, timeout=30)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        list(pool.map(conversation, range(conversations)))
    elapsed = time.perf_counter() - began
    server.close()
    product.stop()
    slack.stop()
    total = per_conversation * conversations
    lat = sorted(replies.latencies)
    acks = sorted(ack_times)
    print(
        f"{label:<11} conversations={conversations:>3} events={total:>4}  "
        f"throughput={total / elapsed:7.1f} events/s  "
        f"ack p50={statistics.median(acks) * 1000:6.1f} ms p99={_p99(acks) * 1000:6.1f} ms  "
        f"event->reply p50={statistics.median(lat) * 1000:7.1f} ms "
        f"p99={_p99(lat) * 1000:7.1f} ms  (replies {len(lat)})"
    )


def _p99(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for conversations in (1, 50):
            url = f"sqlite:///{Path(directory) / f'bench-{conversations}.db'}"
            run("sqlite", url, conversations=conversations, events=args.events)
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    for conversations in (1, 50):
        name = f"escbot_slack_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            run("postgresql", url, conversations=conversations, events=args.events)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()

"""Faults where a process really dies: `serve` killed mid-load (SIGKILL or SIGTERM), restarted at
once; counts the replies each customer got and how long the last one took after the restart.

Runs the real `escalation-bot serve` (HTTP, offline agent, SQLite or PostgreSQL, SHOP=demo)
against the local Slack Web API stand-in. Figures only.

    .venv/bin/python scripts/measure_restart.py [--customers 60] [--signal KILL|TERM]
                                                [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

from bot.console.local_slack import TEAM, LocalSlackWebAPI

SECRET = "restart-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], port: int, workdir: Path) -> None:
        self.env, self.port, self.workdir = env, port, workdir
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        script = Path(sys.executable).parent / "escalation-bot"
        self.process = subprocess.Popen(
            [str(script), "serve", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("serve did not start")

    def kill(self, how: int) -> None:
        assert self.process is not None
        self.process.send_signal(how)
        self.process.wait(timeout=60)


def send_dm(port: int, user: str, text: str, n: int) -> bool:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{user}-{n}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": f"{1700000000 + n}.000100",
            },
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(signature),
        },
    )
    for _ in range(50):  # Slack retries an event whose ack failed; so do we
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.2)
    return False


def run(*, customers: int, how: int, database_url: str | None) -> None:
    posted: list[tuple[float, str]] = []
    lock = threading.Lock()

    def on_call(method: str, params: dict[str, Any]) -> None:
        if method == "chat.postMessage":
            with lock:
                posted.append((time.monotonic(), str(params.get("channel"))))

    slack = LocalSlackWebAPI(on_call=on_call).start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))},
            "SLACK_BOT_TOKEN": "xoxb-restart",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": database_url or f"sqlite:///{Path(tmp) / 'bot.db'}",
            "SHOP": "demo",
        }
        server = Server(env, free_port(), Path(tmp))
        server.start()
        users = [f"U{n:04d}" for n in range(customers)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            sends = [
                pool.submit(send_dm, server.port, u, "where is order 1043? j.smith@example.com", n)
                for n, u in enumerate(users)
            ]
            while len(posted) < customers // 3:
                time.sleep(0.01)
            server.kill(how)  # mid-load
            killed = time.monotonic()
            before = len(posted)
            server.start()
            restarted = time.monotonic()
            acked = sum(f.result() for f in sends)
        deadline = time.monotonic() + 180
        while len({c for _, c in posted}) < customers and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # late duplicates, if any
        server.kill(signal.SIGTERM)
    slack.stop()
    per_customer = Counter(c for _, c in posted)
    histogram = Counter(per_customer.get(f"D{u}", 0) for u in users)
    last = max(t for t, _ in posted) - restarted if posted else float("nan")
    name = signal.Signals(how).name
    print(f"{name} after {before} of {customers} replies (restart took {restarted - killed:.1f} s)")
    print(f"  acked {acked}/{customers}; replies per customer: {dict(sorted(histogram.items()))}")
    print(f"  last reply {last:.1f} s after the restart")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--signal", choices=("KILL", "TERM"), default="KILL")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    run(
        customers=args.customers,
        how=getattr(signal, f"SIG{args.signal}"),
        database_url=args.database_url,
    )


if __name__ == "__main__":
    main()

"""`escalation-bot serve` over HTTP: a real process, signed requests, replies at the Web API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.local_slack import LocalSlackWebAPI
from tests.integration.mock_slack import SlackSender

SECRET = "serve-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "DATABASE_URL", "SHOP", "CURRENCY"))
    }


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    yield api
    api.stop()


def unsigned_post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=b"{}", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_serve_answers_signed_requests_and_replies_through_the_web_api(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    port = free_port()
    env = {
        **clean_env(),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "SHOP": "demo",
    }
    script = Path(sys.executable).parent / "escalation-bot"
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = sender.post(
                    json.dumps({"type": "url_verification", "challenge": "c1"}),
                    "application/json",
                    {},
                )
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert (status, "c1" in body) == (200, True)
        assert sender.post("{}", "application/json", {}, signature="v0=bad")[0] == 401
        # unsigned, as a scanner or a health check sends it: refused, not a 500
        for headers in ({}, {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=x"}):
            assert unsigned_post(sender.endpoint, headers) == 401
        # odd or hostile bodies get a clear answer, never a 500, and the server stays up
        assert sender.post("x" * 300_000, "application/json", {})[0] == 413
        assert sender.post("[1, 2]", "application/json", {})[0] == 400
        assert sender.post('{"type": "event_callback", "event": ', "application/json", {})[0] == 400
        assert sender.post("[" * 100_000 + "]" * 100_000, "application/json", {})[0] == 400
        assert sender.post("payload=%5B1%5D", "application/x-www-form-urlencoded", {})[0] == 400
        assert sender.dm("U0CUST", "where is order 1043? j.smith@example.com") == 200
        while not slack.to("chat.postMessage"):
            assert time.monotonic() < deadline, "no reply was posted"
            time.sleep(0.2)
        (reply,) = slack.to("chat.postMessage")
        assert reply["channel"] == "DU0CUST"
        assert "1043" in reply["text"]
    finally:
        process.terminate()  # SIGTERM, as a deploy sends it
        output = process.communicate(timeout=40)[0]
    assert "serving Slack requests on http://127.0.0.1" in output
    assert "Traceback" not in output
    # the schema's creation in one line, not alembic's dozen
    assert "created the database schema at sqlite:///" in output
    assert "alembic" not in output
    assert process.returncode == 0, output  # a clean stop: work finished or given back
    assert "stopping: finishing the work in hand" in output
    assert output.rstrip().endswith("stopped")


def test_serve_without_tokens_says_what_is_missing(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "escalation-bot"
    done = subprocess.run(
        [str(script), "serve"],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_with_no_shop_configured_says_what_to_set_and_invents_no_customers(
    tmp_path: Path,
) -> None:
    script = Path(sys.executable).parent / "escalation-bot"
    database = tmp_path / "bot.db"
    done = subprocess.run(
        [str(script), "serve"],
        env={
            **clean_env(),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{database}",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr  # one line
    assert "SHOP_API_URL" in done.stderr
    assert "SHOP=demo" in done.stderr
    assert not database.exists()  # nothing was created, let alone customers


def test_a_bad_setting_is_named_in_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "escalation-bot"
    done = subprocess.run(
        [str(script), "serve"],
        env={**clean_env(), "CURRENCY": "euro"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "escalation-bot: bad setting CURRENCY: 'euro' is not an ISO 4217 currency code "
        "(e.g. USD, EUR, GBP)"
    )

"""`escalation-bot eval`: report, JSON, exit statuses, and the Claude agent over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scenarios" / "seed.yaml"


def run_eval(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLACK_"))}
    script = Path(sys.executable).parent / "escalation-bot"
    return subprocess.run(
        [str(script), "eval", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**clean, **(env or {})},
    )


def test_the_report_ends_with_the_summary_and_exits_0_when_all_pass() -> None:
    done = run_eval(str(SEED))
    assert done.returncode == 0, done.stdout[-2000:]
    assert "PASS  seed-explicit-request" in done.stdout
    tail = done.stdout.strip().splitlines()[-12:]
    assert any("turn accuracy" in line for line in tail)
    assert any("rule violations" in line for line in tail)


def test_json_prints_the_document_and_nothing_else() -> None:
    done = run_eval(str(SEED), "--json", "--only", "seed-explicit-request")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    summary = document["summary"]
    for key in (
        "scenarios",
        "turns",
        "turn_accuracy",
        "first_contact_resolution",
        "autonomous_resolution",
        "escalation_precision",
        "escalation_recall",
        "per_trigger",
        "rule_violations",
        "model_calls",
        "input_tokens",
        "cache_read_tokens",
    ):
        assert key in summary
    assert summary["scenarios"] == 1
    assert document["violations"] == []
    (result,) = document["results"]
    (turn,) = result["turns"]
    assert turn["actual"]["action"] == "escalate"
    assert turn["actual"]["investigation_steps"] == 0
    assert set(turn["actual"]) >= {
        "action",
        "trigger",
        "investigation_steps",
        "ask_for",
        "reason",
        "reply",
        "effects",
    }


def test_a_failed_turn_exits_1_and_is_shown(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "scenarios:\n  - id: expects-a-handoff-for-anger\n    turns:\n"
        '      - customer: "WHERE IS MY ORDER 1043?!?! j.smith@example.com"\n'
        "        expect: {action: escalate, trigger: no_progress}\n",
        encoding="utf-8",
    )
    done = run_eval(str(wrong))
    assert done.returncode == 1
    assert "FAIL  expects-a-handoff-for-anger" in done.stdout
    assert "MISMATCH  action: expected escalate, got resolve" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "gpt"], "invalid choice"),
        (["--only", "no-such-id"], "no scenario with id"),
        (["--agent", "claude"], "needs ANTHROPIC_API_KEY"),
    ],
)
def test_bad_flags_exit_2(args: list[str], message: str) -> None:
    done = run_eval(str(SEED), *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_malformed_file_exits_2_naming_file_scenario_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "scenarios:\n  - id: oops\n    turns:\n      - customer: hi\n"
        "        expect: {action: shrug}\n",
        encoding="utf-8",
    )
    done = run_eval(str(broken))
    assert done.returncode == 2
    assert f"{broken}: scenario 'oops': turns[0].expect.action" in done.stderr
    assert "Traceback" not in done.stderr


class MessagesServer:
    """A loopback Messages API: every request gets a clarify answer; the system prompt is cached."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                cached = any("cache_control" in block for block in body.get("system", []))
                answer = {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "content": [
                        {
                            "type": "text",
                            "text": json.dumps(
                                {
                                    "action": "clarify",
                                    "reply": "What's your order number?",
                                    "ask_for": ["order_number"],
                                }
                            ),
                        }
                    ],
                    "usage": {
                        "input_tokens": 40,
                        "output_tokens": 12,
                        "cache_read_input_tokens": 1800 if cached else 0,
                        "cache_creation_input_tokens": 0,
                    },
                }
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def messages_server() -> Iterator[MessagesServer]:
    fake = MessagesServer()
    thread = threading.Thread(target=fake.http.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.http.shutdown()
    fake.http.server_close()


def test_the_claude_agent_is_measured_with_model_calls_and_tokens(
    tmp_path: Path, messages_server: MessagesServer
) -> None:
    suite = tmp_path / "claude.yaml"
    suite.write_text(
        "scenarios:\n"
        "  - id: vague\n    turns:\n"
        '      - customer: "hi, a question about my parcel"\n'
        "        expect: {action: clarify, ask_for: [order_number]}\n"
        "  - id: person\n    turns:\n"
        '      - customer: "a human please"\n'
        "        expect: {action: escalate, trigger: explicit_request, investigation_steps: 0}\n",
        encoding="utf-8",
    )
    done = run_eval(
        str(suite),
        "--agent",
        "claude",
        "--json",
        env={
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": messages_server.url,
        },
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)["summary"]
    assert summary["model_calls"] == 1  # the explicit request never reached the model
    assert summary["input_tokens"] == 40
    assert summary["cache_read_tokens"] == 1800
    assert len(messages_server.requests) == 1

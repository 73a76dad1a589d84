"""What `escalation-bot eval` writes around its report: figures over no cases, and the progress
bar, which only a terminal gets."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.evaluation.evaluate import PROGRESS_AFTER_SECONDS

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scenarios" / "seed.yaml"
SCRIPT = Path(sys.executable).parent / "escalation-bot"


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLACK_"))}


def run_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "eval", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env(),
    )


def summary_lines(report: str) -> list[str]:
    return report[report.index("Summary") :].splitlines()


def test_a_trigger_with_no_cases_says_so_instead_of_a_perfect_score() -> None:
    done = run_eval(str(SEED), "--only", "seed-explicit-request")
    assert done.returncode == 0, done.stdout
    lines = [line.split() for line in summary_lines(done.stdout)]
    (explicit,) = [line for line in lines if line[0] == "explicit_request"]
    assert " ".join(explicit) == "explicit_request precision 1.000 recall 1.000 expected 1 actual 1"
    assert ["policy_gap", "no", "cases"] in lines
    assert ["no_progress", "no", "cases"] in lines
    assert ["autonomous", "resolution", "no", "cases"] in lines  # every scenario escalates


def test_a_run_without_escalations_reports_no_escalation_cases() -> None:
    done = run_eval(str(SEED), "--only", "seed-frustrated-simple")
    assert done.returncode == 0, done.stdout
    summary = summary_lines(done.stdout)
    assert "precision" not in "\n".join(summary)
    assert sum(line.endswith("no cases") for line in summary) == 4  # escalation, 3 triggers
    assert any(line.split()[:3] == ["autonomous", "resolution", "1.000"] for line in summary)


# Expectations the offline agent does not meet, on purpose: one escalation nobody expected,
# one expected that never came.
UNEXPECTED_ESCALATION = """
policies: default
scenarios:
  - id: asks-for-a-person
    turns:
      - customer: "I want to speak to a human, please."
        expect: {action: resolve}
"""
MISSED_ESCALATION = """
policies: default
scenarios:
  - id: asks-about-a-lamp
    turns:
      - customer: "THIRD time my order arrives smashed!!! order 1042, j.smith@example.com"
        expect: {action: escalate, trigger: explicit_request}
"""


def summary_of(tmp_path: Path, scenarios: str, *flags: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "wrong.yaml"
    path.write_text(scenarios)
    done = run_eval(str(path), *flags)
    assert done.returncode == 1, done.stdout + done.stderr  # the expectation is not met
    return done


def test_precision_is_na_when_nothing_was_escalated_and_recall_when_nothing_was_expected(
    tmp_path: Path,
) -> None:
    unexpected = spaced(summary_of(tmp_path, UNEXPECTED_ESCALATION).stdout)
    assert "escalation precision 0.000 recall n/a" in unexpected
    assert "explicit_request precision 0.000 recall n/a expected 0 actual 1" in unexpected

    missed = spaced(summary_of(tmp_path, MISSED_ESCALATION).stdout)
    assert "escalation precision n/a recall 0.000" in missed
    assert "explicit_request precision n/a recall 0.000 expected 1 actual 0" in missed


def spaced(report: str) -> list[str]:
    """The summary's lines with their columns' padding taken out."""
    return [" ".join(line.split()) for line in summary_lines(report)]


def test_json_keeps_numbers_where_the_report_says_n_a(tmp_path: Path) -> None:
    figures = json.loads(summary_of(tmp_path, MISSED_ESCALATION, "--json").stdout)["summary"]
    row = figures["per_trigger"]["explicit_request"]
    assert (row["expected"], row["actual"], row["recall"]) == (1, 0, 0.0)
    assert isinstance(row["precision"], float)
    assert isinstance(figures["escalation_precision"], float)


def test_json_keeps_the_numbers_for_triggers_with_no_cases() -> None:
    done = run_eval(str(SEED), "--only", "seed-frustrated-simple", "--json")

    row = json.loads(done.stdout)["summary"]["per_trigger"]["policy_gap"]
    assert (row["expected"], row["actual"]) == (0, 0)


class SlowOverloadedModel(BaseHTTPRequestHandler):
    """A Messages API at the HTTP layer that knows the model, then answers every message
    request late and overloaded (529): each turn that asks it waits, whatever the machine's
    speed, and the offline agent takes the turn, as it does in a real outage."""

    delay = 0.2  # seconds per request; the SDK makes 3 (two retries) per model call

    def do_GET(self) -> None:
        self._answer(
            200,
            {
                "type": "model",
                "id": "claude-test",
                "display_name": "Claude",
                "created_at": "2025-01-01T00:00:00Z",
            },
        )

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        self._answer(
            529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
        )

    def _answer(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("retry-after-ms", "1")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_model() -> Iterator[dict[str, str]]:
    """Settings for `eval --agent claude` against the slow model: a run of seed.yaml takes
    several seconds, well past the progress bar's threshold, on any machine."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowOverloadedModel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        **env(),
        "ANTHROPIC_API_KEY": "sk-test",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "ANTHROPIC_MODEL": "claude-test",
    }
    server.shutdown()
    server.server_close()


def slow_run_elapsed(started: float) -> None:
    assert time.monotonic() - started > 2 * PROGRESS_AFTER_SECONDS  # the bar was due


def test_no_progress_bar_is_written_to_a_pipe(slow_model: dict[str, str]) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(SCRIPT), "eval", "--agent", "claude", str(SEED)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=slow_model,
    )
    slow_run_elapsed(started)
    assert done.returncode in (0, 1), done.stderr  # it ran (2: bad input)
    assert "\r" not in done.stderr
    assert "[#" not in done.stderr


def test_a_terminal_gets_the_progress_bar(slow_model: dict[str, str]) -> None:
    """The same slow run with stderr on a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    seen = bytearray()

    def drain() -> None:  # a terminal that is not read would block the writer
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(SCRIPT), "eval", "--agent", "claude", str(SEED)],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=300,
            check=False,
            env=slow_model,
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    slow_run_elapsed(started)
    assert done.returncode in (0, 1), bytes(seen)
    assert b"\r[" in seen

"""What `escalation-bot eval` writes around its report: figures over no cases, and the progress
bar, which only a terminal gets."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scenarios" / "seed.yaml"
ALL_SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))  # a run of several seconds
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


def test_json_keeps_the_numbers_for_triggers_with_no_cases() -> None:
    done = run_eval(str(SEED), "--only", "seed-frustrated-simple", "--json")

    row = json.loads(done.stdout)["summary"]["per_trigger"]["policy_gap"]
    assert (row["expected"], row["actual"]) == (0, 0)


def test_no_progress_bar_is_written_to_a_pipe() -> None:
    done = run_eval(*map(str, ALL_SCENARIOS))
    assert done.returncode == 0, done.stdout[-2000:]
    assert done.stderr == ""


def test_a_terminal_gets_the_progress_bar() -> None:
    """The same long run with stderr on a terminal (a pseudo-terminal here)."""
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
    try:
        done = subprocess.run(
            [str(SCRIPT), "eval", *map(str, ALL_SCENARIOS)],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=300,
            check=False,
            env=env(),
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    assert done.returncode == 0
    assert b"\r[" in seen

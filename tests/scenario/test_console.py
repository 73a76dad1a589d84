"""`escalation-bot console`: the real App driven from a terminal, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def console(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLACK_"))}
    script = Path(sys.executable).parent / "escalation-bot"
    return subprocess.run(
        [str(script), "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


def test_the_demo_plays_the_seed_scenarios_and_an_agent_round_trip() -> None:
    done = console("--demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    sections = out.split("\n# ")
    frustrated = sections[1]
    assert "bot> I'm sorry, I understand how frustrating" in frustrated
    assert "handoff card" not in frustrated
    gap = sections[2]
    assert "POLICY GAP" in gap
    assert "Trigger: policy_gap" in gap
    explicit = sections[3]
    assert "Trigger: explicit_request" in explicit
    assert "Attempts made\n  | none" in explicit
    agent = sections[4]
    assert "card #2 in #agents: 🙋 Claimed by @agent" in agent
    assert "#agents thread> Customer: are you still there?" in agent
    assert "bot> Hi, I'm Sam from the support team" in agent
    assert "card #2 in #agents: ✅ Resolved by @agent" in agent
    ambiguous = sections[5]
    first_reply = ambiguous.split("bot> ")[1].splitlines()[0]
    assert "email" in first_reply
    for other in ("john.smith@example.net", "jsmith77", "2051", "3307"):
        assert other not in ambiguous


def test_customer_lines_can_come_from_stdin(tmp_path: Path) -> None:
    database = tmp_path / "kept.db"
    done = console(
        "--db", str(database), stdin="where is order 1043? j.smith@example.com\n/escalation stats\n"
    )
    assert done.returncode == 0, done.stderr
    assert "you> where is order 1043?" in done.stdout
    assert "bot> " in done.stdout
    assert "Conversations: 1" in done.stdout
    assert database.exists()

"""`escalation-bot demo`: the four seed scenarios, end to end through the core."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.cli import main


@pytest.fixture(scope="module")
def demo_output() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['demo']))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def scenario(output: str, number: int) -> str:
    parts = re.split(r"^=== Scenario \d+: ", output, flags=re.M)
    return parts[number]


def decisions(text: str) -> list[str]:
    return re.findall(r"^  Decision: (.*?), investigation steps: (\d+)$", text, re.M)  # type: ignore[return-value]


def test_frustrated_customer_gets_the_resolution_and_no_handoff(demo_output: str) -> None:
    text = scenario(demo_output, 1)
    assert decisions(text) == [("resolve", "4")]
    assert "frustrating" in text
    assert "Handoff card" not in text


def test_calm_policy_exception_is_a_gap_with_a_handoff(demo_output: str) -> None:
    text = scenario(demo_output, 2)
    assert decisions(text) == [("escalate (policy_gap)", "2")]
    assert "| Trigger: policy_gap" in text
    assert "| Customer: C-4" in text
    assert "competitor price match" in text


def test_explicit_request_is_escalated_with_zero_investigation(demo_output: str) -> None:
    text = scenario(demo_output, 3)
    assert decisions(text) == [("escalate (explicit_request)", "0")]
    assert "| Customer: unidentified" in text
    assert "| Attempts: none" in text
    assert "find_customer" not in text


def test_ambiguous_match_asks_then_acts_only_once_identified(demo_output: str) -> None:
    text = scenario(demo_output, 4)
    assert [d[0] for d in decisions(text)] == ["clarify", "resolve"]
    first_reply = re.search(r"^Bot: (.*)$", text, re.M)
    assert first_reply is not None
    for other in ("john.smith@example.net", "jsmith77@example.org", "2051", "3307", "555"):
        assert other not in first_reply.group(1)
    assert "Asks for: email, phone, order_number" in text


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err

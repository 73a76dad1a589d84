from __future__ import annotations

import re

import pytest

from escalation.policy import PolicyBook
from escalation.prompt import build_system_prompt


@pytest.fixture
def prompt(book: PolicyBook) -> str:
    return build_system_prompt(book)


def section(prompt: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}.*?(?=^## |\Z)", prompt, re.S | re.M)
    assert match, f"missing section {heading!r}"
    return match.group(0)


def test_each_trigger_has_a_description_and_a_decision_rule(prompt: str) -> None:
    triggers = section(prompt, "When to escalate")
    blocks = re.split(r"^\d\. ", triggers, flags=re.M)[1:]
    assert [b.split(":")[0] for b in blocks] == ["explicit_request", "policy_gap", "no_progress"]
    for block in blocks:
        assert "Description:" in block
        assert "Decision rule:" in block


def test_explicit_requests_are_honoured_without_investigation(prompt: str) -> None:
    rule = section(prompt, "When to escalate").lower()
    assert "immediately" in rule
    assert "do not investigate first" in rule
    assert "let me see if i can help first" in rule


def test_both_anti_patterns_are_named_with_why(prompt: str) -> None:
    anti = section(prompt, "Never escalate on these").lower()
    assert "sentiment" in anti
    assert "frustration does not measure how hard a case is" in anti
    assert "confidence" in anti
    assert "poorly calibrated" in anti


def test_gap_vs_violation_and_matching_and_handoff_format(prompt: str) -> None:
    assert "Violation:" in section(prompt, "Gap or violation")
    matching = section(prompt, "Identifying the customer").lower()
    for words in ("email address", "phone", "order number", "never pick", "most recent"):
        assert words in matching
    handoff = section(prompt, "Handoff format").lower()
    for words in ("root cause in one sentence", "recommended action", "customer id"):
        assert words in handoff


def test_few_shot_examples_cover_the_required_cases(prompt: str) -> None:
    examples = section(prompt, "Examples")
    titles = re.findall(r"^Example \d: (.*)$", examples, re.M)
    assert len(titles) == 5
    joined = " ".join(titles).lower()
    for case in ("explicit request", "frustrated", "policy gap", "violation", "renewed"):
        assert case in joined
    frustrated = examples.split("Example 2:")[1].split("Example 3:")[0]
    assert "frustrating" in frustrated
    assert "escalate_to_human" not in frustrated


def test_the_policy_book_is_rendered_with_every_rule(prompt: str, book: PolicyBook) -> None:
    policies = section(prompt, "Policy book")
    for rule in book.rules:
        assert f"[{rule.id}]" in policies
        assert rule.text in policies
    assert "Anything else is a gap." in policies


def test_output_is_deterministic(book: PolicyBook) -> None:
    assert build_system_prompt(book) == build_system_prompt(book)

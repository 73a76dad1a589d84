"""The policy book file shipped with the project, and what a malformed file gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policies import PolicyBookError, default_policy_book, load_policy_book
from escalation.policy import OrderFacts, PolicyRequest, check_policy


def test_the_shipped_book_gives_the_documented_verdicts() -> None:
    book = default_policy_book()
    day_45 = OrderFacts(status="delivered", days_since_order=50, days_since_delivery=45)
    shipped = OrderFacts(status="shipped", days_since_order=3)
    assert check_policy(book, PolicyRequest("competitor_price_match")).kind == "gap"
    assert check_policy(book, PolicyRequest("refund", day_45)).kind == "violation"
    assert check_policy(book, PolicyRequest("cancellation", shipped)).kind == "violation"
    assert check_policy(book, PolicyRequest("replacement", day_45, problem="damaged")).kind == (
        "allowed"
    )
    late = OrderFacts(status="shipped", days_since_order=9, days_past_due=2)
    verdict = check_policy(book, PolicyRequest("shipping_credit", late))
    assert verdict.kind == "allowed"
    assert verdict.rule is not None
    assert verdict.rule.amount == 5.0


def test_a_book_loads_from_any_file(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(
        "name: Tiny\nrules:\n  - {id: r1, title: Refunds, covers: [Refund], text: Yes.}\n",
        encoding="utf-8",
    )
    book = load_policy_book(path)
    assert book.name == "Tiny"
    assert book.covering("refund")[0].id == "r1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rules: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
        ("rules: []", "'rules' must be a non-empty list"),
        ("rules:\n  - {id: a, title: A, covers: [], text: T}", "rules[0] (a): 'covers'"),
        ("rules:\n  - {title: A, covers: [x], text: T}", "rules[0]: 'id'"),
        ("rules:\n  - {id: a, title: A, covers: [x], text: T, colour: red}", "unknown field"),
        (
            "rules:\n  - {id: a, title: A, covers: [x], text: T, when: {within_days: 3}}",
            "unknown condition 'within_days'",
        ),
        (
            "rules:\n  - {id: a, title: A, covers: [x], text: T, when: {status_in: [lost]}}",
            "status_in",
        ),
        (
            "rules:\n  - {id: a, title: A, covers: [x], text: T, when: {max_days_since_order: -1}}",
            "whole number of days",
        ),
        ("rules:\n  - {id: a, title: A, covers: [x], text: T, amount: lots}", "'amount'"),
        (
            "rules:\n  - {id: a, title: A, covers: [x], text: T}\n"
            "  - {id: a, title: B, covers: [y], text: U}",
            "duplicate policy ids: a",
        ),
    ],
)
def test_a_malformed_book_names_the_file_and_field(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyBookError) as caught:
        load_policy_book(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyBookError, match="cannot read"):
        load_policy_book(tmp_path / "nope.yaml")

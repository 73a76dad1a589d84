from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.policy import (
    OrderFacts,
    OrderRequired,
    PolicyBook,
    PolicyRequest,
    PolicyRule,
    check_policy,
)

DELIVERED_45_DAYS_AGO = OrderFacts(status="delivered", days_since_order=50, days_since_delivery=45)
DELIVERED_5_DAYS_AGO = OrderFacts(status="delivered", days_since_order=9, days_since_delivery=5)


@pytest.mark.parametrize(
    "kind",
    [
        "competitor_price_match",
        "Competitor price-match",
        "gift wrapping",
        "bulk_discount",
        "engraving",
        "loyalty points",
    ],
)
def test_requests_no_rule_covers_are_gaps(book: PolicyBook, kind: str) -> None:
    verdict = check_policy(book, PolicyRequest(kind, DELIVERED_5_DAYS_AGO))
    assert verdict.kind == "gap"
    assert verdict.rule is None


@given(kind=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ", min_size=1, max_size=30))
def test_a_gap_is_exactly_what_no_rule_covers(kind: str) -> None:
    book = PolicyBook(rules=(PolicyRule("r", "R", ("refund",), "Refunds."),))
    verdict = check_policy(book, PolicyRequest(kind, DELIVERED_5_DAYS_AGO))
    covered = "_".join(kind.split()) == "refund"
    assert (verdict.kind == "gap") is not covered


def test_refund_at_day_45_is_a_violation_explained_by_the_30_day_rule(book: PolicyBook) -> None:
    verdict = check_policy(book, PolicyRequest("refund", DELIVERED_45_DAYS_AGO))
    assert verdict.kind == "violation"
    assert verdict.rule is not None
    assert verdict.rule.id == "returns"
    assert "45 days" in verdict.explanation
    assert "30" in verdict.explanation


def test_refund_within_the_window_is_allowed(book: PolicyBook) -> None:
    verdict = check_policy(book, PolicyRequest("refund", DELIVERED_5_DAYS_AGO))
    assert verdict.kind == "allowed"
    assert verdict.rule is not None
    assert verdict.rule.id == "returns"


def test_damaged_item_can_be_refunded_even_outside_the_return_window(book: PolicyBook) -> None:
    verdict = check_policy(book, PolicyRequest("refund", DELIVERED_45_DAYS_AGO, problem="damaged"))
    assert verdict.kind == "allowed"
    assert verdict.rule is not None
    assert verdict.rule.id == "damaged"


def test_replacement_needs_damage(book: PolicyBook) -> None:
    damaged = check_policy(book, PolicyRequest("replacement", DELIVERED_5_DAYS_AGO, "damaged"))
    intact = check_policy(book, PolicyRequest("replacement", DELIVERED_5_DAYS_AGO))
    assert damaged.kind == "allowed"
    assert intact.kind == "violation"
    assert "damaged" in intact.explanation


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("cancellation", "processing", "allowed"),
        ("cancellation", "shipped", "violation"),
        ("cancellation", "delivered", "violation"),
        ("address_change", "processing", "allowed"),
        ("address_change", "shipped", "violation"),
    ],
)
def test_changes_only_before_dispatch(
    book: PolicyBook, kind: str, status: str, expected: str
) -> None:
    order = OrderFacts(status=status, days_since_order=2)  # type: ignore[arg-type]
    verdict = check_policy(book, PolicyRequest(kind, order))
    assert verdict.kind == expected
    if expected == "violation":
        assert status in verdict.explanation


@pytest.mark.parametrize(
    ("days", "paid", "now", "expected"),
    [
        (3, 25.0, 21.0, "allowed"),
        (14, 25.0, 21.0, "allowed"),
        (15, 25.0, 21.0, "violation"),
        (3, 25.0, 25.0, "violation"),
        (3, 25.0, 30.0, "violation"),
    ],
)
def test_own_site_price_adjustment(
    book: PolicyBook, days: int, paid: float, now: float, expected: str
) -> None:
    order = OrderFacts(status="shipped", days_since_order=days, paid=paid, current_price=now)
    assert check_policy(book, PolicyRequest("price_adjustment", order)).kind == expected


@pytest.mark.parametrize(
    ("past_due", "expected"),
    [(2, "allowed"), (0, "violation"), (-3, "violation"), (None, "violation")],
)
def test_late_delivery_credit_only_past_the_promised_date(
    book: PolicyBook, past_due: int | None, expected: str
) -> None:
    order = OrderFacts(status="shipped", days_since_order=9, days_past_due=past_due)
    verdict = check_policy(book, PolicyRequest("shipping_credit", order))
    assert verdict.kind == expected
    if expected == "allowed":
        assert verdict.rule is not None
        assert verdict.rule.amount == 5.0


def test_rules_that_depend_on_an_order_need_one(book: PolicyBook) -> None:
    with pytest.raises(OrderRequired):
        check_policy(book, PolicyRequest("refund"))


def test_a_gap_needs_no_order(book: PolicyBook) -> None:
    assert check_policy(book, PolicyRequest("competitor_price_match")).kind == "gap"


def test_duplicate_rule_ids_are_rejected() -> None:
    rule = PolicyRule("same", "A", ("refund",), "A.")
    with pytest.raises(ValueError, match="same"):
        PolicyBook(rules=(rule, rule))


@pytest.mark.parametrize(
    ("asked", "kinds"),
    [
        ("cancel", ("cancellation",)),
        ("cancel_order", ("cancellation",)),
        ("refunds", ("refund",)),
        ("late_delivery_credit", ("shipping_credit", "late_delivery")),
        ("partial_refund", ()),
        ("return_postage", ()),
        ("undo_cancellation", ()),
        ("gift_wrap", ()),
        ("order", ()),
    ],
)
def test_a_covered_kind_said_otherwise_is_recognised_and_more_is_not(
    asked: str, kinds: tuple[str, ...]
) -> None:
    covers = [
        ("refund", "return"),
        ("shipping_credit", "late_delivery"),
        ("cancellation",),
        ("address_change",),
    ]
    book = PolicyBook(
        rules=tuple(PolicyRule(f"r{n}", "R", kinds, "Text.") for n, kinds in enumerate(covers))
    )
    assert book.kinds_said_otherwise(asked) == kinds

"""Unit-test fixtures: plain values built in code (no files, no network)."""

from __future__ import annotations

import pytest

from escalation.matching import CustomerCandidate
from escalation.policy import Conditions, PolicyBook, PolicyRule


@pytest.fixture
def book() -> PolicyBook:
    return make_book()


def make_book() -> PolicyBook:
    """A small shop's book, built in code (usable outside fixtures, e.g. under hypothesis)."""
    return PolicyBook(
        name="test shop",
        rules=(
            PolicyRule(
                id="returns",
                title="Returns",
                covers=("refund", "return"),
                text="Refunds within 30 days of delivery.",
                conditions=Conditions(status_in=("delivered",), max_days_since_delivery=30),
            ),
            PolicyRule(
                id="damaged",
                title="Damaged on arrival",
                covers=("replacement", "refund"),
                text="Damaged items are replaced or refunded.",
                conditions=Conditions(status_in=("delivered",), problem_in=("damaged",)),
            ),
            PolicyRule(
                id="late",
                title="Late delivery",
                covers=("shipping_credit",),
                text="Late orders get a shipping credit.",
                conditions=Conditions(past_promised_date=True),
                amount=5.0,
            ),
            PolicyRule(
                id="price-drop",
                title="Price adjustment",
                covers=("price_adjustment",),
                text="Own-site price drops within 14 days are refunded.",
                conditions=Conditions(max_days_since_order=14, price_dropped=True),
            ),
            PolicyRule(
                id="cancel",
                title="Cancellation",
                covers=("cancellation",),
                text="Cancel until dispatch.",
                conditions=Conditions(status_in=("processing",)),
            ),
            PolicyRule(
                id="address",
                title="Address change",
                covers=("address_change",),
                text="Change the address until dispatch.",
                conditions=Conditions(status_in=("processing",)),
            ),
        ),
    )


@pytest.fixture
def john_smiths() -> list[CustomerCandidate]:
    """Three customers with the same name and nothing else in common."""
    return [
        CustomerCandidate("C-1", ("j.smith@example.com",), ("+1 555 0101",), ("1042", "1043")),
        CustomerCandidate("C-2", ("john.smith@example.net",), ("+1 555 0102",), ("2051",)),
        CustomerCandidate("C-3", ("jsmith77@example.org",), ("+44 20 7946 0103",), ("3307",)),
    ]

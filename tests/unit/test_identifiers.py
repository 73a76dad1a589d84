from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.identifiers import Identifiers, extract_identifiers, phones_match


@pytest.mark.parametrize(
    ("text", "emails", "phones", "orders"),
    [
        ("order 1042, j.smith@example.com", ("j.smith@example.com",), (), ("1042",)),
        ("Order #1042 and 1043 both late", (), (), ("1042", "1043")),
        ("my order number is 5521", (), (), ("5521",)),
        ("ORDER NO. A-77310 please", (), (), ("A-77310",)),
        ("ring me at +44 20 7946 0103", (), ("442079460103",), ()),
        ("Mail: Ana.B+shop@Mail.Example.org!", ("ana.b+shop@mail.example.org",), (), ()),
        ("delivered on 2026-11-02, paid 39.00", (), (), ()),
        ("I ordered 3 lamps", (), (), ()),
        ("my order arrived smashed", (), (), ()),
        ("I placed my order 2 weeks ago", (), (), ()),
        ("order 3 days late, sam@example.com", ("sam@example.com",), (), ()),
        ("", (), (), ()),
    ],
)
def test_identifiers_typed_in_free_text(
    text: str, emails: tuple[str, ...], phones: tuple[str, ...], orders: tuple[str, ...]
) -> None:
    assert extract_identifiers(text) == Identifiers(emails, phones, orders)


def test_a_bare_number_counts_as_an_order_number_only_when_one_was_asked_for() -> None:
    assert extract_identifiers("1042") == Identifiers()
    assert extract_identifiers("1042", expecting=("order_number",)).order_numbers == ("1042",)
    assert extract_identifiers("#1042.", expecting=("order_number",)).order_numbers == ("1042",)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("555-0101", "+1 555 0101", True),
        ("(555) 0101", "+1 555 0101", True),
        ("1 555 0101", "+1 555 0101", True),
        ("+1 555 0102", "+1 555 0101", False),
        ("0101", "0101", False),  # too short to identify anyone
        ("99 1 555 0101", "+1 555 0101", False),
        ("555 0101", "1 555 0101", False),  # no "+": the record is not international
    ],
)
def test_phone_numbers_compare_by_digits(a: str, b: str, same: bool) -> None:
    assert phones_match(typed=a, on_record=b) is same


@given(st.text(max_size=300))
def test_extraction_never_fails_on_any_text(text: str) -> None:
    found = extract_identifiers(text, expecting=("order_number",))
    for email in found.emails:
        assert email == email.lower()
    for phone in found.phones:
        assert phone.isdigit()


def test_merging_keeps_first_seen_order_without_duplicates() -> None:
    a = Identifiers(emails=("a@x.io",), order_numbers=("1",))
    b = Identifiers(emails=("a@x.io", "b@x.io"), phones=("5550101",))
    assert a.merged(b) == Identifiers(("a@x.io", "b@x.io"), ("5550101",), ("1",))

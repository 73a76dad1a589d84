from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.identifiers import Identifiers, extract_identifiers
from escalation.matching import CustomerCandidate, match_customer


def test_a_name_shared_by_three_customers_asks_for_identifiers_and_picks_none(
    john_smiths: list[CustomerCandidate],
) -> None:
    result = match_customer(john_smiths, given=Identifiers())
    assert result.kind == "ambiguous"
    assert result.customer_id is None
    assert set(result.ask_for) == {"email", "phone", "order_number"}


def test_a_name_alone_never_identifies_even_one_candidate(
    john_smiths: list[CustomerCandidate],
) -> None:
    result = match_customer(john_smiths[:1], given=Identifiers())
    assert result.kind == "ambiguous"
    assert result.customer_id is None
    assert result.ask_for


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("my email is J.Smith@Example.COM", "C-1"),
        ("call me on +1 (555) 0102", "C-2"),
        ("555-0102", "C-2"),
        ("order #3307", "C-3"),
        ("order number 2051", "C-2"),
        ("it's john.smith@example.net and order 2051", "C-2"),
    ],
)
def test_the_customers_own_identifier_singles_out_one(
    john_smiths: list[CustomerCandidate], typed: str, expected: str
) -> None:
    result = match_customer(john_smiths, given=extract_identifiers(typed))
    assert result.kind == "matched"
    assert result.customer_id == expected


def test_identifiers_that_belong_to_different_customers_match_nobody(
    john_smiths: list[CustomerCandidate],
) -> None:
    typed = extract_identifiers("j.smith@example.com, order 2051")
    assert match_customer(john_smiths, given=typed).kind == "not_found"


def test_an_unknown_identifier_is_not_found(john_smiths: list[CustomerCandidate]) -> None:
    typed = extract_identifiers("nobody@example.com")
    assert match_customer(john_smiths, given=typed).kind == "not_found"
    assert match_customer([], given=Identifiers()).kind == "not_found"


def test_only_kinds_that_tell_the_candidates_apart_are_asked_for() -> None:
    shared_email = [
        CustomerCandidate("A", ("family@example.com",), ("+1 555 0001",), ("1",)),
        CustomerCandidate("B", ("family@example.com",), ("+1 555 0002",), ("2",)),
    ]
    result = match_customer(shared_email, given=extract_identifiers("family@example.com"))
    assert result.kind == "ambiguous"
    assert result.ask_for == ("phone", "order_number")


def test_the_same_record_found_twice_is_one_candidate(
    john_smiths: list[CustomerCandidate],
) -> None:
    doubled = [john_smiths[0], john_smiths[0]]
    result = match_customer(doubled, given=extract_identifiers("j.smith@example.com"))
    assert result == match_customer(
        john_smiths[:1], given=extract_identifiers("j.smith@example.com")
    )
    assert result.customer_id == "C-1"


candidate_sets = st.lists(
    st.builds(
        CustomerCandidate,
        customer_id=st.sampled_from(["A", "B", "C", "D", "E"]),
        emails=st.lists(st.sampled_from(["a@x.io", "b@x.io", "c@x.io"]), max_size=2).map(tuple),
        phones=st.lists(st.sampled_from(["5550001", "5550002"]), max_size=1).map(tuple),
        order_numbers=st.lists(st.sampled_from(["10", "11", "12"]), max_size=2).map(tuple),
    ),
    max_size=5,
    unique_by=lambda c: c.customer_id,
)
typed_identifiers = st.builds(
    Identifiers,
    emails=st.lists(st.sampled_from(["a@x.io", "b@x.io"]), max_size=1).map(tuple),
    phones=st.lists(st.sampled_from(["5550001"]), max_size=1).map(tuple),
    order_numbers=st.lists(st.sampled_from(["10", "12"]), max_size=1).map(tuple),
)


@given(candidates=candidate_sets, typed=typed_identifiers)
def test_matching_never_guesses(candidates: list[CustomerCandidate], typed: Identifiers) -> None:
    result = match_customer(candidates, given=typed)
    carrying = {
        c.customer_id
        for c in candidates
        if typed and all(any(c.has(k, v) for v in typed.values(k)) for k in typed.kinds())
    }
    if result.kind == "matched":
        assert carrying == {result.customer_id}
    else:
        assert result.customer_id is None
        assert len(carrying) != 1
    if result.kind == "ambiguous":
        assert not set(result.ask_for) & set(typed.kinds())


@given(candidates=candidate_sets, typed=typed_identifiers)
def test_the_order_of_candidates_never_changes_the_answer(
    candidates: list[CustomerCandidate], typed: Identifiers
) -> None:
    assert match_customer(candidates, given=typed) == match_customer(
        list(reversed(candidates)), given=typed
    )

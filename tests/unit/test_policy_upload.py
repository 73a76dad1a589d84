"""An uploaded policy book is read with the product's own loader, and every problem is told
with its line; the names books may take; the file an admin points to."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.desk.admin import file_reference
from bot.policies import (
    MAX_BOOK_BYTES,
    MAX_PROBLEMS,
    book_name_problem,
    check_uploaded_book,
    default_policy_book,
)

SHIPPED = resources.files("bot").joinpath("data/policies.yaml").read_bytes()


def test_the_shipped_book_uploaded_reads_as_the_shipped_book() -> None:
    checked = check_uploaded_book(SHIPPED)
    assert checked.problems == ()
    assert checked.book == default_policy_book()
    assert checked.document is not None
    assert checked.document["name"] == "Demo Shop policy book"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "The file is empty."),
        (b"\xff\xfe\x00r", "not text (UTF-8)"),
        (b"rules: [a\n", "not valid YAML: line 2, column 1"),
        (b"- just\n- a list\n", "not a policy book"),
        (b"name: [1]\nrules: []\n", "line 1: `name` must be text"),
        (b"rules: {a: 1}\n", "line 1: `rules` must be a list of rules"),
        (b"name: x\nrules:\n  - 42\n", "line 3, rule 1: expected a mapping"),
        (
            b"rules:\n  - {id: a, title: A, covers: [refund], text: t,\n"
            b"     when: {status_in: [lost]}}\n",
            "line 2, rule 1 (a): when: 'status_in' must list order statuses",
        ),
        (
            b"rules:\n  - {id: a, title: A, covers: [refund], text: 2024-01-01}\n",
            "line 2, rule 1 (a): 'text' must be non-empty text",
        ),
        (b"x" * (MAX_BOOK_BYTES + 1), "at most 64 KB"),
    ],
)
def test_a_bad_book_is_refused_with_what_is_wrong_and_where(content: bytes, problem: str) -> None:
    checked = check_uploaded_book(content)
    assert (checked.book, checked.document) == (None, None)
    assert any(problem in told for told in checked.problems), checked.problems


def test_every_rule_s_problem_is_told_up_to_a_bound() -> None:
    rules = "".join(f"  - {{id: r{i}, title: T, covers: [], text: t}}\n" for i in range(30))
    checked = check_uploaded_book(f"name: Many\nrules:\n{rules}".encode())
    assert len(checked.problems) == MAX_PROBLEMS
    assert checked.problems[0].startswith("line 3, rule 1 (r0): 'covers'")
    assert checked.problems[1].startswith("line 4, rule 2 (r1): 'covers'")


@given(st.binary(max_size=2000))
def test_any_bytes_get_a_book_or_problems_never_an_error(content: bytes) -> None:
    checked = check_uploaded_book(content)
    assert (checked.book is None) == bool(checked.problems)
    assert all(isinstance(p, str) and p for p in checked.problems)


@pytest.mark.parametrize("name", ["holidays", "Returns-90", "eu_2026.v2"])
def test_a_book_may_be_named_with_one_word(name: str) -> None:
    assert book_name_problem(name) is None


@pytest.mark.parametrize("name", ["default", "DEFAULT", "my/book", "-x", "a" * 65, "ünï"])
def test_names_a_book_may_not_take(name: str) -> None:
    assert book_name_problem(name) is not None


@pytest.mark.parametrize(
    ("typed", "file_id"),
    [
        ("<https://acme.slack.com/files/U0ADMIN/F0123ABCD/book.yaml>", "F0123ABCD"),
        ("<https://acme.slack.com/files/U0ADMIN/F0123ABCD/book.yaml|book.yaml>", "F0123ABCD"),
        ("F0123ABCD", "F0123ABCD"),
        ("", None),
        ("book.yaml", None),
        ("F0123ABCD F0999ZZZZ", None),
    ],
)
def test_the_file_an_admin_points_to(typed: str, file_id: str | None) -> None:
    assert file_reference(typed) == file_id

"""Single out a customer from search candidates using only the customer's own identifiers.

Never picks among several candidates (not the most recent, not the most active, no heuristic):
an ambiguous result carries no candidate data, only the identifier kinds worth asking for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from escalation.identifiers import (
    Identifiers,
    normalise_email,
    normalise_order_number,
    normalise_phone,
    phones_match,
)
from escalation.vocabulary import IDENTIFIER_KINDS, IdentifierKind

MatchKind = Literal["matched", "not_found", "ambiguous"]


@dataclass(frozen=True, slots=True)
class CustomerCandidate:
    """A customer record as the matcher sees it: an id and its identifiers."""

    customer_id: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_numbers: tuple[str, ...] = ()
    name: str = ""  # for the agents' card only: never shown to the customer or the model

    def has(self, kind: IdentifierKind, value: str) -> bool:
        if kind == "email":
            return normalise_email(value) in {normalise_email(e) for e in self.emails}
        if kind == "phone":
            return any(phones_match(value, mine) for mine in self.phones)
        wanted = normalise_order_number(value)
        return any(normalise_order_number(mine) == wanted for mine in self.order_numbers)

    def values(self, kind: IdentifierKind) -> frozenset[str]:
        if kind == "email":
            return frozenset(normalise_email(e) for e in self.emails)
        if kind == "phone":
            return frozenset(normalise_phone(p) for p in self.phones)
        return frozenset(normalise_order_number(o) for o in self.order_numbers)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One exact match, nothing, or an ambiguity with the kinds to ask for (no records)."""

    kind: MatchKind
    customer_id: str | None = None
    ask_for: tuple[IdentifierKind, ...] = ()
    customer_name: str = ""  # the matched record's name, kept for the agents' card


def match_customer(candidates: Sequence[CustomerCandidate], *, given: Identifiers) -> MatchResult:
    """Keep the candidates that carry every kind of identifier the customer gave.

    A name alone never identifies anyone: with no identifiers given, even a single candidate
    is `ambiguous` (the customer is asked for one of its identifier kinds).
    """
    unique = _dedupe(candidates)
    if not given:
        if not unique:
            return MatchResult(kind="not_found")
        return MatchResult(kind="ambiguous", ask_for=distinguishing_kinds(unique, given=given))
    survivors = [c for c in unique if _carries_all(c, given)]
    if len(survivors) == 1:
        (found,) = survivors
        return MatchResult(kind="matched", customer_id=found.customer_id, customer_name=found.name)
    if not survivors:
        return MatchResult(kind="not_found")
    return MatchResult(kind="ambiguous", ask_for=distinguishing_kinds(survivors, given=given))


def distinguishing_kinds(
    candidates: Sequence[CustomerCandidate], *, given: Identifiers = Identifiers()
) -> tuple[IdentifierKind, ...]:
    """Identifier kinds that tell the candidates apart, best first; never candidate values.

    A kind that separates every candidate (each has one, none shared) beats one that only
    splits some of them; kinds the customer already gave are not asked for again.
    """
    fresh = [k for k in IDENTIFIER_KINDS if k not in given.kinds()]
    if len(candidates) <= 1:
        return tuple(k for k in fresh if candidates and candidates[0].values(k)) or tuple(fresh)
    separating = [k for k in fresh if _separates_all(candidates, k)]
    if separating:
        return tuple(separating)
    splitting = [k for k in fresh if _splits_some(candidates, k)]
    return tuple(splitting)


def _dedupe(candidates: Sequence[CustomerCandidate]) -> list[CustomerCandidate]:
    seen: dict[str, CustomerCandidate] = {}
    for c in candidates:
        seen.setdefault(c.customer_id, c)
    return list(seen.values())


def _carries_all(candidate: CustomerCandidate, given: Identifiers) -> bool:
    return all(
        any(candidate.has(kind, value) for value in given.values(kind)) for kind in given.kinds()
    )


def _separates_all(candidates: Sequence[CustomerCandidate], kind: IdentifierKind) -> bool:
    value_sets = [c.values(kind) for c in candidates]
    if not all(value_sets):
        return False
    seen: set[str] = set()
    for values in value_sets:
        if values & seen:
            return False
        seen |= values
    return True


def _splits_some(candidates: Sequence[CustomerCandidate], kind: IdentifierKind) -> bool:
    return len({c.values(kind) for c in candidates}) > 1

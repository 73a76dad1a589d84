"""The policy book as plain values, and the verdict it gives on a customer's request.

The book lists what is covered; it never lists gaps. A request no rule covers is a `gap`
(a human decides); a covered request whose conditions fail is a `violation` (a documented no).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from escalation.money import maybe_money
from escalation.vocabulary import OrderStatus

VerdictKind = Literal["allowed", "violation", "gap"]


# Words that add nothing to what is asked: "cancel_order" is a cancellation.
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "this",
        "that",
        "order",
        "orders",
        "item",
        "items",
        "for",
        "of",
        "on",
        "to",
        "request",
        "please",
        "damaged",
        "broken",
        "wrong",
    ]
)


def _stem(word: str) -> str:
    return word[:6]  # "cancel" ~ "cancellation", "refunds" ~ "refund", "replace" ~ "replacement"


class OrderRequired(ValueError):
    """The rules covering a request depend on an order, and none was given."""


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a rule allows its remedy. Unset fields place no condition."""

    status_in: tuple[OrderStatus, ...] = ()
    max_days_since_delivery: int | None = None
    max_days_since_order: int | None = None
    problem_in: tuple[str, ...] = ()
    past_promised_date: bool = False
    price_dropped: bool = False

    def needs_order(self) -> bool:
        return self != Conditions(problem_in=self.problem_in)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One documented rule: the request kinds it covers, when it says yes, and its text."""

    id: str
    title: str
    covers: tuple[str, ...]
    text: str
    conditions: Conditions = field(default_factory=Conditions)
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", maybe_money(self.amount))


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """The rules in the order the shop wrote them (a violation cites the first that applies)."""

    rules: tuple[PolicyRule, ...]
    name: str = "policy book"

    def __post_init__(self) -> None:
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate policy ids: {', '.join(duplicates)}")

    def covering(self, request_kind: str) -> tuple[PolicyRule, ...]:
        kind = normalise_request_kind(request_kind)
        return tuple(r for r in self.rules if kind in r.covers)

    def speaking_to(self, request_kind: str, problem: str | None = None) -> tuple[PolicyRule, ...]:
        """The rules that answer a general question about a request: those covering it for the
        problem told (or, with none told, the rules that ask for no problem)."""
        return tuple(
            r
            for r in self.covering(request_kind)
            if (problem in r.conditions.problem_in if problem else not r.conditions.problem_in)
        )

    def rule(self, rule_id: str) -> PolicyRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def kinds_said_otherwise(self, asked: str) -> tuple[str, ...]:
        """The kinds of the one rule whose words say all that `asked` says ("cancel_order" is
        its cancellation, "late_delivery_credit" its late_delivery or shipping_credit), else ():
        a request that says more ("partial_refund", "return_postage") is not covered."""
        words = {_stem(w) for w in normalise_request_kind(asked).split("_") if w not in _FILLER}
        words.discard("")
        if not words:
            return ()
        for rule in self.rules:
            if words <= {_stem(w) for kind in rule.covers for w in kind.split("_")}:
                return tuple(k for k in rule.covers if {_stem(w) for w in k.split("_")} & words)
        return ()

    def covered_kinds(self) -> tuple[str, ...]:
        kinds: list[str] = []
        for rule in self.rules:
            kinds.extend(k for k in rule.covers if k not in kinds)
        return tuple(kinds)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the rules may ask about an order, as of the engine's "now"."""

    status: OrderStatus
    days_since_order: int
    days_since_delivery: int | None = None
    days_past_due: int | None = None
    paid: Decimal | None = None
    current_price: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "paid", maybe_money(self.paid))
        object.__setattr__(self, "current_price", maybe_money(self.current_price))


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """What the customer asks for (a request kind such as "refund"), about which order."""

    kind: str
    order: OrderFacts | None = None
    problem: str | None = None  # what the customer reports about the item: "damaged", ...


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    """`allowed` with the rule, `violation` with the rule and why, or `gap` (no rule)."""

    kind: VerdictKind
    request_kind: str
    rule: PolicyRule | None = None
    failed: tuple[str, ...] = ()

    @property
    def explanation(self) -> str:
        if self.rule is None:
            return f"No policy covers {humanise(self.request_kind)}."
        if self.kind == "allowed":
            return self.rule.text
        return " ".join((self.rule.text, *self.failed))


def normalise_request_kind(kind: str) -> str:
    return "_".join(kind.strip().lower().replace("-", " ").split())


def humanise(request_kind: str) -> str:
    return normalise_request_kind(request_kind).replace("_", " ") or "this request"


def check_policy(book: PolicyBook, request: PolicyRequest) -> PolicyVerdict:
    """The book's verdict: the first covering rule whose conditions hold allows it."""
    kind = normalise_request_kind(request.kind)
    rules = book.covering(kind)
    if not rules:
        return PolicyVerdict(kind="gap", request_kind=kind)
    if request.order is None and any(r.conditions.needs_order() for r in rules):
        raise OrderRequired(f"the rules on {humanise(kind)} depend on the order")
    outcomes = [(rule, unmet_conditions(rule.conditions, request)) for rule in rules]
    for rule, failed in outcomes:
        if not failed:
            return PolicyVerdict(kind="allowed", request_kind=kind, rule=rule)
    rule, failed = outcomes[0]
    return PolicyVerdict(kind="violation", request_kind=kind, rule=rule, failed=failed)


def unmet_conditions(conditions: Conditions, request: PolicyRequest) -> tuple[str, ...]:
    """Each condition the request fails, as a sentence a customer can read."""
    failed: list[str] = []
    order = request.order
    if conditions.problem_in and request.problem not in conditions.problem_in:
        problems = _or_list([p.replace("_", " ") for p in conditions.problem_in])
        failed.append(f"This applies only when the item arrived {problems}.")
    if order is None:
        return tuple(failed)
    if conditions.status_in and order.status not in conditions.status_in:
        allowed = _or_list(conditions.status_in)
        failed.append(f"The order is {order.status}; this is possible only while it is {allowed}.")
    limit = conditions.max_days_since_delivery
    if limit is not None:
        days = order.days_since_delivery
        if days is None:
            failed.append("The order has not been delivered yet.")
        elif days > limit:
            failed.append(f"It was delivered {days} days ago; the limit is {limit} days.")
    limit = conditions.max_days_since_order
    if limit is not None and order.days_since_order > limit:
        failed.append(f"It was ordered {order.days_since_order} days ago; the limit is {limit}.")
    if conditions.past_promised_date and not (order.days_past_due and order.days_past_due > 0):
        failed.append("The promised delivery date has not passed yet.")
    if conditions.price_dropped and not _price_dropped(order):
        failed.append("Our own price for this item has not dropped below what was paid.")
    return tuple(failed)


def _price_dropped(order: OrderFacts) -> bool:
    return (
        order.paid is not None
        and order.current_price is not None
        and order.current_price < order.paid
    )


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]

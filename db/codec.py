"""Map the core's frozen values to JSON-ready documents and back (the only place that knows
both shapes), so `escalation/` never sees SQLAlchemy."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from escalation.identifiers import Identifiers
from escalation.ledger import Attempt, AttemptLedger
from escalation.state import NotedSignal, PolicyCheck
from escalation.vocabulary import IdentifierKind


def identifiers_to_doc(identifiers: Identifiers) -> dict[str, Any]:
    return {
        "emails": list(identifiers.emails),
        "phones": list(identifiers.phones),
        "order_numbers": list(identifiers.order_numbers),
    }


def identifiers_from_doc(doc: dict[str, Any] | None) -> Identifiers:
    doc = doc or {}
    return Identifiers(
        emails=tuple(doc.get("emails", ())),
        phones=tuple(doc.get("phones", ())),
        order_numbers=tuple(doc.get("order_numbers", ())),
    )


def attempts_to_doc(attempts: tuple[Attempt, ...]) -> list[Any]:
    return [asdict(a) for a in attempts]


def attempts_from_doc(doc: list[Any] | None) -> tuple[Attempt, ...]:
    return tuple(Attempt(**item) for item in doc or ())


def ledger_from_doc(doc: list[Any] | None) -> AttemptLedger:
    return AttemptLedger(attempts_from_doc(doc))


def signals_to_doc(signals: tuple[NotedSignal, ...]) -> list[Any]:
    return [asdict(s) for s in signals]


def signals_from_doc(doc: list[Any] | None) -> tuple[NotedSignal, ...]:
    return tuple(NotedSignal(**item) for item in doc or ())


def checks_to_doc(checks: tuple[PolicyCheck, ...]) -> list[Any]:
    return [asdict(c) for c in checks]


def checks_from_doc(doc: list[Any] | None) -> tuple[PolicyCheck, ...]:
    return tuple(PolicyCheck(**item) for item in doc or ())


def kinds_from_doc(doc: list[Any] | None) -> tuple[IdentifierKind, ...]:
    return tuple(cast(IdentifierKind, k) for k in doc or ())

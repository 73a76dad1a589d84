"""Load a policy book from YAML into the core's plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from escalation.money import money
from escalation.policy import Conditions, PolicyBook, PolicyRule, normalise_request_kind
from escalation.vocabulary import ORDER_STATUSES

_CONDITION_KEYS = {f.name for f in fields(Conditions)}
_RULE_KEYS = {"id", "title", "covers", "text", "when", "amount"}


class PolicyBookError(ValueError):
    """A policy book file that cannot be used; the message names the file and the field."""


def default_policy_book() -> PolicyBook:
    """The demo shop's book shipped with the project."""
    text = resources.files("bot").joinpath("data/policies.yaml").read_text(encoding="utf-8")
    return parse_policy_book(text, source="default policy book")


def load_policy_book(path: Path) -> PolicyBook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyBookError(f"{path}: cannot read the policy book ({error.strerror})") from None
    return parse_policy_book(text, source=str(path))


def parse_policy_book(text: str, *, source: str) -> PolicyBook:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyBookError(f"{source}: not valid YAML ({error})") from None
    return book_from_document(document, source=source)


def default_policy_document() -> dict[str, Any]:
    text = resources.files("bot").joinpath("data/policies.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def book_from_document(document: Any, *, source: str) -> PolicyBook:
    """A policy book from its parsed document (YAML file, or the copy kept in the database)."""
    if not isinstance(document, Mapping):
        raise PolicyBookError(f"{source}: expected a mapping with 'rules'")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PolicyBookError(f"{source}: 'rules' must be a non-empty list")
    rules = tuple(_rule(raw, where=f"{source}: rules[{i}]") for i, raw in enumerate(raw_rules))
    try:
        return PolicyBook(rules=rules, name=str(document.get("name") or "policy book"))
    except ValueError as error:
        raise PolicyBookError(f"{source}: {error}") from None


def _rule(raw: Any, *, where: str) -> PolicyRule:
    if not isinstance(raw, Mapping):
        raise PolicyBookError(f"{where}: expected a mapping")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise PolicyBookError(f"{where}: unknown field {unknown[0]!r}")
    rule_id = _text(raw, "id", where=where)
    where = f"{where} ({rule_id})"
    covers = raw.get("covers")
    if not isinstance(covers, list) or not covers or not all(isinstance(c, str) for c in covers):
        raise PolicyBookError(f"{where}: 'covers' must be a non-empty list of request kinds")
    amount = raw.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
        raise PolicyBookError(f"{where}: 'amount' must be a number")
    return PolicyRule(
        id=rule_id,
        title=_text(raw, "title", where=where),
        covers=tuple(normalise_request_kind(c) for c in covers),
        text=" ".join(_text(raw, "text", where=where).split()),
        conditions=_conditions(raw.get("when") or {}, where=f"{where}: when"),
        amount=money(amount) if amount is not None else None,
    )


def _text(raw: Mapping[str, Any], key: str, *, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyBookError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _conditions(raw: Any, *, where: str) -> Conditions:
    if not isinstance(raw, Mapping):
        raise PolicyBookError(f"{where}: expected a mapping")
    unknown = sorted(set(raw) - _CONDITION_KEYS)
    if unknown:
        raise PolicyBookError(f"{where}: unknown condition {unknown[0]!r}")
    statuses = raw.get("status_in", [])
    if not isinstance(statuses, list) or any(s not in ORDER_STATUSES for s in statuses):
        raise PolicyBookError(f"{where}: 'status_in' must list order statuses {ORDER_STATUSES}")
    return Conditions(
        status_in=tuple(statuses),
        max_days_since_delivery=_days(raw, "max_days_since_delivery", where=where),
        max_days_since_order=_days(raw, "max_days_since_order", where=where),
        problem_in=_problems(raw, where=where),
        past_promised_date=_flag(raw, "past_promised_date", where=where),
        price_dropped=_flag(raw, "price_dropped", where=where),
    )


def _days(raw: Mapping[str, Any], key: str, *, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyBookError(f"{where}: '{key}' must be a whole number of days")
    return value


def _problems(raw: Mapping[str, Any], *, where: str) -> tuple[str, ...]:
    value = raw.get("problem_in", [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise PolicyBookError(f"{where}: 'problem_in' must list item problems (e.g. damaged)")
    return tuple(normalise_request_kind(p) for p in value)


def _flag(raw: Mapping[str, Any], key: str, *, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise PolicyBookError(f"{where}: '{key}' must be true or false")
    return value

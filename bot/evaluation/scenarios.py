"""Scenario files (DESIGN.md §4): loaded and validated into plain values.

Errors name the file, the scenario and the field, e.g.
`suite.yaml: scenario 'late-parcel': turns[1].expect.action: must be one of resolve, ...`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from bot.policies import PolicyBookError, default_policy_book, load_policy_book
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.turns.tools import Fault
from escalation.policy import PolicyBook
from escalation.records import Customer, Order
from escalation.vocabulary import (
    ACTIONS,
    IDENTIFIER_KINDS,
    ORDER_STATUSES,
    TOOL_NAMES,
    TRIGGERS,
    Action,
    IdentifierKind,
    OrderStatus,
    ToolErrorKind,
    ToolName,
    Trigger,
)

FAULT_ERRORS = ("timeout", "unavailable", "forbidden", "bug")
EFFECT_FIELDS = ("tool", "customer_id", "order", "amount")


class ScenarioFileError(ValueError):
    """A scenario file that cannot be run; the message says where and what."""


@dataclass(frozen=True, slots=True)
class ExpectedTurn:
    action: Action
    trigger: Trigger | None = None
    ask_for: tuple[IdentifierKind, ...] | None = None
    investigation_steps: int | None = None
    effects: tuple[dict[str, Any], ...] | None = None  # None: not asserted; (): nothing changed

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action}
        if self.trigger is not None:
            out["trigger"] = self.trigger
        if self.ask_for is not None:
            out["ask_for"] = list(self.ask_for)
        if self.investigation_steps is not None:
            out["investigation_steps"] = self.investigation_steps
        if self.effects is not None:
            out["effects"] = [dict(e) for e in self.effects]
        return out


@dataclass(frozen=True, slots=True)
class ScenarioTurn:
    customer: str
    expect: ExpectedTurn


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    turns: tuple[ScenarioTurn, ...]
    faults: tuple[Fault, ...] = ()


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    path: Path
    scenarios: tuple[Scenario, ...]
    customers: tuple[Customer, ...]
    orders: tuple[Order, ...]
    book: PolicyBook


def load_scenario_file(path: Path) -> ScenarioFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioFileError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioFileError(f"{path}: not UTF-8 text") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioFileError(f"{path}: not valid YAML ({error})") from None
    where = str(path)
    doc = _mapping(document, where, keys={"store", "policies", "scenarios"})
    customers, orders = _store(doc.get("store"), f"{where}: store")
    book = _policies(doc.get("policies", "default"), path)
    raw = doc.get("scenarios")
    if not isinstance(raw, list) or not raw:
        raise ScenarioFileError(f"{where}: scenarios: must be a non-empty list")
    scenarios = tuple(_scenario(item, where, i) for i, item in enumerate(raw))
    ids = [s.id for s in scenarios]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ScenarioFileError(f"{where}: scenario ids must be unique: {', '.join(duplicated)}")
    return ScenarioFile(path, scenarios, customers, orders, book)


def _mapping(value: Any, where: str, *, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioFileError(f"{where}: must be a mapping")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise ScenarioFileError(f"{where}: unknown field '{unknown[0]}'")
    return value


def _policies(value: Any, path: Path) -> PolicyBook:
    if value == "default":
        return default_policy_book()
    if not isinstance(value, str) or not value.strip():
        raise ScenarioFileError(f"{path}: policies: 'default' or a policy book file")
    try:
        return load_policy_book(path.parent / value)
    except PolicyBookError as error:
        raise ScenarioFileError(f"{path}: policies: {error}") from None


def _store(value: Any, where: str) -> tuple[tuple[Customer, ...], tuple[Order, ...]]:
    if value is None:
        return DEMO_CUSTOMERS, DEMO_ORDERS
    store = _mapping(value, where, keys={"customers", "orders"})
    customers = tuple(
        _customer(c, f"{where}.customers[{i}]")
        for i, c in enumerate(_list(store, "customers", where))
    )
    known = {c.id for c in customers}
    if len(known) != len(customers):
        raise ScenarioFileError(f"{where}.customers: customer ids must be unique")
    orders = tuple(
        _order(o, f"{where}.orders[{i}]", known)
        for i, o in enumerate(_list(store, "orders", where, required=False))
    )
    if len({o.number for o in orders}) != len(orders):
        raise ScenarioFileError(f"{where}.orders: order numbers must be unique")
    return customers, orders


def _list(doc: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> list[Any]:
    value = doc.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ScenarioFileError(f"{where}.{key}: must be a list")
    return value


def _customer(value: Any, where: str) -> Customer:
    doc = _mapping(value, where, keys={"id", "name", "email", "phone"})
    return Customer(
        id=_text(doc, "id", where),
        name=_text(doc, "name", where),
        email=_text(doc, "email", where, required=False),
        phone=_text(doc, "phone", where, required=False),
    )


def _order(value: Any, where: str, customers: set[str]) -> Order:
    keys = {
        "number",
        "customer_id",
        "item",
        "status",
        "total",
        "ordered_days_ago",
        "delivered_days_ago",
        "due_days_ago",
        "current_price",
    }
    doc = _mapping(value, where, keys=keys)
    customer_id = _text(doc, "customer_id", where)
    if customer_id not in customers:
        raise ScenarioFileError(f"{where}.customer_id: no customer '{customer_id}' in the store")
    status = doc.get("status")
    if status not in ORDER_STATUSES:
        raise ScenarioFileError(f"{where}.status: must be one of {', '.join(ORDER_STATUSES)}")
    return Order(
        number=_text(doc, "number", where),
        customer_id=customer_id,
        item=_text(doc, "item", where),
        status=cast(OrderStatus, status),
        total=_number(doc, "total", where),
        ordered_days_ago=_whole(doc, "ordered_days_ago", where),
        delivered_days_ago=_whole(doc, "delivered_days_ago", where, required=False),
        due_days_ago=_whole(doc, "due_days_ago", where, required=False, negative=True),
        current_price=_number(doc, "current_price", where, required=False),
    )


def _scenario(value: Any, file: str, index: int) -> Scenario:
    where = f"{file}: scenarios[{index}]"
    doc = _mapping(value, where, keys={"id", "faults", "turns"})
    scenario_id = _text(doc, "id", where)
    where = f"{file}: scenario '{scenario_id}'"
    faults = tuple(
        _fault(f, f"{where}: faults[{i}]")
        for i, f in enumerate(_list(doc, "faults", where, required=False))
    )
    raw_turns = _list(doc, "turns", where)
    if not raw_turns:
        raise ScenarioFileError(f"{where}: turns: must not be empty")
    turns = tuple(_turn(t, f"{where}: turns[{i}]") for i, t in enumerate(raw_turns))
    for i, turn in enumerate(turns[:-1]):
        if turn.expect.action == "escalate":
            raise ScenarioFileError(
                f"{where}: turns[{i + 1}]: a scenario ends at its first escalation "
                f"(turns[{i}] escalates)"
            )
    return Scenario(id=scenario_id, turns=turns, faults=faults)


def _fault(value: Any, where: str) -> Fault:
    doc = _mapping(value, where, keys={"tool", "error", "times"})
    tool = doc.get("tool")
    if tool not in TOOL_NAMES:
        raise ScenarioFileError(f"{where}.tool: must be one of {', '.join(TOOL_NAMES)}")
    error = doc.get("error")
    if error not in FAULT_ERRORS:
        raise ScenarioFileError(f"{where}.error: must be one of {', '.join(FAULT_ERRORS)}")
    times = doc.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ScenarioFileError(f"{where}.times: must be a whole number of at least 1")
    return Fault(tool=cast(ToolName, tool), error=cast(ToolErrorKind, error), times=times)


def _turn(value: Any, where: str) -> ScenarioTurn:
    doc = _mapping(value, where, keys={"customer", "expect"})
    customer = doc.get("customer")
    if not isinstance(customer, str):
        raise ScenarioFileError(f"{where}.customer: must be the customer's message text")
    return ScenarioTurn(customer=customer, expect=_expect(doc.get("expect"), f"{where}.expect"))


def _expect(value: Any, where: str) -> ExpectedTurn:
    doc = _mapping(
        value, where, keys={"action", "trigger", "ask_for", "investigation_steps", "effects"}
    )
    action = doc.get("action")
    if action not in ACTIONS:
        raise ScenarioFileError(f"{where}.action: must be one of {', '.join(ACTIONS)}")
    trigger = doc.get("trigger")
    if trigger is not None and trigger not in TRIGGERS:
        raise ScenarioFileError(f"{where}.trigger: must be one of {', '.join(TRIGGERS)}")
    if trigger is not None and action != "escalate":
        raise ScenarioFileError(f"{where}.trigger: only an escalation has a trigger")
    ask_for = doc.get("ask_for")
    if ask_for is not None and (
        not isinstance(ask_for, list) or any(k not in IDENTIFIER_KINDS for k in ask_for)
    ):
        raise ScenarioFileError(
            f"{where}.ask_for: must list identifier kinds ({', '.join(IDENTIFIER_KINDS)})"
        )
    steps = doc.get("investigation_steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise ScenarioFileError(f"{where}.investigation_steps: must be a whole number >= 0")
    return ExpectedTurn(
        action=cast(Action, action),
        trigger=cast(Trigger | None, trigger),
        ask_for=tuple(ask_for) if ask_for is not None else None,
        investigation_steps=steps,
        effects=_effects(doc.get("effects"), f"{where}.effects"),
    )


def _effects(value: Any, where: str) -> tuple[dict[str, Any], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ScenarioFileError(f"{where}: must be a list (empty: nothing may change)")
    out = []
    for i, item in enumerate(value):
        doc = _mapping(item, f"{where}[{i}]", keys=set(EFFECT_FIELDS))
        if doc.get("tool") not in TOOL_NAMES:
            raise ScenarioFileError(f"{where}[{i}].tool: must be one of {', '.join(TOOL_NAMES)}")
        out.append({k: str(v) if k == "order" else v for k, v in doc.items()})
    return tuple(out)


def _text(doc: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = doc.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ScenarioFileError(f"{where}.{key}: must be non-empty text")
    return str(value).strip()


def _number(doc: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Any:
    value = doc.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioFileError(f"{where}.{key}: must be a number >= 0")
    return float(value)


def _whole(
    doc: Mapping[str, Any], key: str, where: str, *, required: bool = True, negative: bool = False
) -> Any:
    value = doc.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and not negative):
        raise ScenarioFileError(f"{where}.{key}: must be a whole number of days")
    return value

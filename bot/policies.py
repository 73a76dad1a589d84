"""Load a policy book from YAML into the core's plain values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
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


@cache
def default_policy_book() -> PolicyBook:
    """The demo shop's book shipped with the project (parsed once: it never changes)."""
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
    try:
        amount = money(amount) if amount is not None else None
    except (ValueError, ArithmeticError):  # .inf, .nan, or more digits than cents can hold
        raise PolicyBookError(f"{where}: 'amount' must be an amount of money, e.g. 25") from None
    return PolicyRule(
        id=rule_id,
        title=_text(raw, "title", where=where),
        covers=tuple(normalise_request_kind(c) for c in covers),
        text=" ".join(_text(raw, "text", where=where).split()),
        conditions=_conditions(raw.get("when") or {}, where=f"{where}: when"),
        amount=amount,
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


# --- books uploaded by admins -------------------------------------------------------------

MAX_BOOK_BYTES = 64 * 1024  # the shipped book is about 3 KB; a book is text, not a data file
MAX_RULES = 200
MAX_PROBLEMS = 10  # told at once; more would bury the first ones
MAX_NESTING = 32  # a book nests 5 deep; the YAML reader recurses once per level
# A book as read (its YAML aliases written out), as JSON: a little more than its file at most.
MAX_READ_BOOK_BYTES = 2 * 64 * 1024
DEFAULT_BOOK_NAME = "default"  # the shipped book's name in commands; no upload may take it
_BOOK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOP_KEYS = {"name", "rules"}


def book_name_problem(name: str) -> str | None:
    """Why `name` cannot name an uploaded book, in plain words; None when it can."""
    if not _BOOK_NAME.fullmatch(name):
        return (
            "A book's name is one word of letters, digits, `.`, `-` or `_` (at most 64), "
            "e.g. `holiday-returns`."
        )
    if name.casefold() == DEFAULT_BOOK_NAME:
        return "`default` is the name of the book shipped with the bot: choose another name."
    return None


@dataclass(frozen=True, slots=True)
class CheckedBook:
    """An uploaded book: its document and book when it can be used, else every problem found
    (each naming its line and field), up to MAX_PROBLEMS."""

    document: dict[str, Any] | None
    book: PolicyBook | None
    problems: tuple[str, ...]


def check_uploaded_book(content: bytes) -> CheckedBook:
    """An uploaded file read with the loader the bot uses, every problem told in plain words."""
    if len(content) > MAX_BOOK_BYTES:
        return _refused(
            f"The file is {len(content) // 1024} KB; a policy book may be at most "
            f"{MAX_BOOK_BYTES // 1024} KB."
        )
    if not content.strip():
        return _refused("The file is empty.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused("The file is not text (UTF-8): a policy book is a YAML text file.")
    if "\x00" in text:
        return _refused("The file is not text: a policy book is a YAML text file.")
    try:
        if _nesting(text) > MAX_NESTING:
            return _refused(
                f"The file nests lists or mappings more than {MAX_NESTING} deep: a policy book "
                "is a list of rules (see docs/policy-books.md)."
            )
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return _refused(f"The file is not valid YAML: {_yaml_problem(error)}.")
    except ValueError:  # an integer of more digits than Python reads (4300)
        return _refused("The file holds a number too long to read: a policy book's are short.")
    if not isinstance(document, Mapping) or not isinstance(node, yaml.MappingNode):
        return _refused(
            "The file is YAML but not a policy book: it must start with `name:` and `rules:` "
            "(a list of rules; see docs/policy-books.md)."
        )
    lines = _key_lines(node)
    problems = [
        f"line {lines[str(key)][0]}: unknown field `{key}` (a book has `name` and `rules`)"
        for key in document
        if str(key) not in _TOP_KEYS
    ]
    name = document.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        problems.append(f"line {lines['name'][0]}: `name` must be text")
    raw_rules = document.get("rules")
    rule_nodes = lines.get("rules", (0, None))[1]
    if raw_rules is None:
        problems.append("there is no `rules:` list: a book needs at least one rule")
    elif not isinstance(raw_rules, list) or not isinstance(rule_nodes, yaml.SequenceNode):
        problems.append(f"line {lines['rules'][0]}: `rules` must be a list of rules")
    elif not raw_rules:
        problems.append(f"line {lines['rules'][0]}: `rules` is empty: a book needs a rule")
    elif len(raw_rules) > MAX_RULES:
        problems.append(f"line {lines['rules'][0]}: more than {MAX_RULES} rules")
    else:
        problems += _rule_problems(raw_rules, rule_nodes)
    if problems:
        return CheckedBook(None, None, tuple(problems[:MAX_PROBLEMS]))
    try:  # what the product itself runs on the stored document, every turn
        book = book_from_document(document, source="the book")
        stored = storable_book_document(document)
    except (PolicyBookError, TypeError, ValueError) as error:
        return _refused(str(error))
    size = len(json.dumps(stored, ensure_ascii=False).encode())
    if size > MAX_READ_BOOK_BYTES:
        # YAML aliases (`*name`) repeat what their anchor holds: a small file, a huge book
        # (stored, kept by every worker, sent to the model every turn).
        return _refused(
            f"The book is {size // 1024} KB once its aliases (`*name`) are written out; a "
            f"policy book may be at most {MAX_BOOK_BYTES // 1024} KB: write each rule out."
        )
    return CheckedBook(stored, book, ())


def _nesting(text: str) -> int:
    """How deep the document's lists and mappings nest, read as events (no recursion), up to
    one past MAX_NESTING (reading on is slow: the reader's stack grows with the depth)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


def storable_book_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as JSON keeps it (YAML's dates and the like refused), checked to read back
    the same: what is stored is exactly what was checked."""
    stored = json.loads(json.dumps(document))
    if not isinstance(stored, dict) or stored != document:
        raise PolicyBookError("the book holds values a policy book cannot (dates, binary data)")
    return stored


def _rule_problems(raw_rules: list[Any], nodes: yaml.SequenceNode) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, (raw, node) in enumerate(zip(raw_rules, nodes.value, strict=True)):
        line = node.start_mark.line + 1
        where = f"line {line}, rule {index + 1}"
        try:
            rule = _rule(raw, where=where)
        except PolicyBookError as error:
            problems.append(str(error))
            continue
        if rule.id in seen:
            problems.append(f"{where}: id `{rule.id}` is used by the rule on line {seen[rule.id]}")
        seen.setdefault(rule.id, line)
    return problems


def _key_lines(node: yaml.MappingNode) -> dict[str, tuple[int, yaml.Node | None]]:
    """Each top-level key's line (1-based) and value node."""
    return {
        str(key.value): (key.start_mark.line + 1, value)
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "it cannot be read"
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _refused(problem: str) -> CheckedBook:
    return CheckedBook(None, None, (problem,))

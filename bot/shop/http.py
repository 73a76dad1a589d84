"""A shop's own service over HTTP (the contract: docs/shop-api.yaml), with httpx2.

Timeouts, connection errors, 429 and 5xx are transient (`timeout`/`unavailable`: the tools retry
them within the bound); 401 and 403 are `forbidden`; other 4xx and answers that break the
contract are `bug`. Actions carry an `Idempotency-Key`, so a retry after a timeout acts once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2

from bot.shop.port import ActionDone
from escalation.identifiers import MIN_PHONE_DIGITS, normalise_phone
from escalation.ledger import ToolError
from escalation.matching import CustomerCandidate
from escalation.money import money
from escalation.records import Effect, Order, days_back
from escalation.vocabulary import ORDER_STATUSES, ToolName

# The contract's action kinds, by the tool that asks for them.
ACTION_KINDS: dict[ToolName, str] = {
    "create_replacement": "replacement",
    "issue_refund": "refund",
    "issue_credit": "credit",
    "adjust_price": "price_adjustment",
    "cancel_order": "cancellation",
    "change_address": "address_change",
}
TOOLS_BY_KIND = {kind: tool for tool, kind in ACTION_KINDS.items()}
_T = TypeVar("_T")
_ORDER_NUMBER = re.compile(r"#?\s*[A-Za-z0-9][A-Za-z0-9-]*")


class ContractBroken(ValueError):
    """The shop's answer does not have the shape docs/shop-api.yaml gives it."""


class HttpShop:
    """A `Shop` over a shop's HTTP API. `clock` turns the order's dates into days back."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        clock: Callable[[], datetime],
        timeout: float = 10.0,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx2.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )
        self._clock = clock

    def close(self) -> None:
        self._client.close()

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        found: dict[str, CustomerCandidate] = {}
        for kind, value in lookups_for(query):
            answer = self._get("customers", params={kind: value})
            for entry in _list(answer, "customers"):
                candidate = _candidate(entry)
                found.setdefault(candidate.customer_id, candidate)
        return list(found.values())

    def candidate(self, customer_id: str) -> CustomerCandidate:
        segment = _segment(customer_id)
        answer = None if segment is None else self._get(f"customers/{segment}")
        if answer is None:
            raise ToolError("bug", f"customer {customer_id} vanished from the shop")
        return _candidate(answer)

    def order(self, number: str) -> Order | None:
        segment = _segment(number)
        if segment is None:
            return None  # "..", "/" and the like name no order
        answer = self._get(f"orders/{segment}")
        return None if answer is None else self._order(answer)

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        segment = _segment(effect.order or "")
        if segment is None:
            raise ToolError("bug", f"{effect.tool} needs an order number the API can carry")
        body = {
            "kind": ACTION_KINDS[effect.tool],
            "customer_id": effect.customer_id,
            "amount": None if effect.amount is None else str(effect.amount),
            "new_address": effect.detail if effect.tool == "change_address" else None,
        }
        with _as_tool_errors():
            response = self._client.post(
                f"orders/{segment}/actions",
                json=body,
                headers={"Idempotency-Key": idempotency_key},
            )
        document = _document(response)
        if document is None:
            raise ToolError("bug", f"order {effect.order} not found when acting on it")
        action = document.get("action")
        if not isinstance(action, dict):
            raise ToolError("bug", "the shop's answer has no 'action'")
        done = _effect(action, order=effect.order or "")
        # 201: done now; 200: done before under this key (its first result, and when)
        before = response.status_code == 200
        return ActionDone(done, at=self._moment(action.get("created_at")), before=before)

    def _get(self, path: str, *, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        with _as_tool_errors():
            response = self._client.get(path, params=params)
        return _document(response)

    def _order(self, entry: dict[str, Any]) -> Order:
        try:
            status = str(entry["status"])
            if status not in ORDER_STATUSES:
                raise ContractBroken(f"unknown order status {status!r}")
            return Order(
                number=str(entry["number"]),
                customer_id=str(entry["customer_id"]),
                item=str(entry["item"]),
                status=status,
                total=money(entry["total"]),
                ordered_days_ago=self._days_back(entry["ordered_at"]),
                delivered_days_ago=_maybe(entry.get("delivered_at"), self._days_back),
                due_days_ago=_maybe(entry.get("due_at"), self._days_back),
                current_price=_maybe(entry.get("current_price"), money),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise ToolError("bug", f"order breaks the shop API contract: {error!r}") from error

    def _moment(self, stamp: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(str(stamp))
        except ValueError:
            return self._clock()  # the contract asks for it; without one, "now" is honest enough
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def _days_back(self, stamp: Any) -> int:
        moment = datetime.fromisoformat(str(stamp))
        if moment.tzinfo is None:
            raise ContractBroken(f"a date without a time zone: {stamp!r}")
        return days_back(moment, now=self._clock())


def lookups_for(query: str) -> list[tuple[str, str]]:
    """The contract's lookups a typed value may be: an email, a phone, an order number, a name."""
    value = query.strip()
    if not value:
        return []
    if "@" in value:
        return [("email", value)]
    lookups: list[tuple[str, str]] = []
    if len(normalise_phone(value)) >= MIN_PHONE_DIGITS:
        lookups.append(("phone", value))
    if _ORDER_NUMBER.fullmatch(value) and any(ch.isdigit() for ch in value):
        lookups.append(("order_number", value))
    if any(ch.isalpha() for ch in value) and not any(ch.isdigit() for ch in value):
        lookups.append(("name", value))
    return lookups


@contextmanager
def _as_tool_errors() -> Iterator[None]:
    try:
        yield
    except httpx2.TimeoutException as error:
        raise ToolError("timeout", f"the shop did not answer in time: {error!r}") from error
    except httpx2.TransportError as error:
        raise ToolError("unavailable", f"the shop could not be reached: {error!r}") from error
    except httpx2.HTTPError as error:  # an answer that cannot be read (a bad encoding ...)
        raise ToolError("bug", f"the shop's answer could not be read: {error!r}") from error


def _document(response: httpx2.Response) -> dict[str, Any] | None:
    status = response.status_code
    if status == 404:
        return None
    if status in (401, 403):
        raise ToolError("forbidden", f"the shop refused: HTTP {status}")
    if status == 429 or status >= 500:
        raise ToolError(
            "unavailable",
            f"the shop is unavailable: HTTP {status}",
            retry_after=_seconds(response.headers.get("Retry-After")),
        )
    if status >= 400:
        raise ToolError(
            "bug", f"the shop rejected the request: HTTP {status} {response.text[:200]}"
        )
    try:
        document = response.json()
    except (ValueError, httpx2.HTTPError) as error:
        raise ToolError("bug", "the shop answered something that is not JSON") from error
    if not isinstance(document, dict):
        raise ToolError("bug", "the shop's answer is not a JSON object")
    return document


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the default pause will do


def _list(document: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    entries = (document or {}).get(key)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ToolError("bug", f"the shop's answer has no list of {key}")
    return entries


def _candidate(entry: dict[str, Any]) -> CustomerCandidate:
    try:
        return CustomerCandidate(
            name=str(entry.get("name") or ""),
            customer_id=str(entry["id"]),
            emails=tuple(str(e) for e in entry.get("emails") or ()),
            phones=tuple(str(p) for p in entry.get("phones") or ()),
            order_numbers=tuple(str(n) for n in entry.get("order_numbers") or ()),
        )
    except (KeyError, TypeError) as error:
        raise ToolError("bug", f"customer breaks the shop API contract: {error!r}") from error


def _effect(action: dict[str, Any], *, order: str) -> Effect:
    try:
        return Effect(
            tool=TOOLS_BY_KIND[str(action["kind"])],
            customer_id=str(action["customer_id"]),
            order=order,
            amount=_maybe(action.get("amount"), money),
            detail=_maybe(action.get("new_address"), str),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise ToolError("bug", f"action breaks the shop API contract: {error!r}") from error


def _maybe(value: Any, convert: Callable[[Any], _T]) -> _T | None:
    return None if value is None else convert(value)


def _segment(value: str) -> str | None:
    """One path segment, escaped; None for what would change the path ("", ".", "..")."""
    cleaned = value.strip().removeprefix("#").strip()
    if cleaned in ("", ".", ".."):
        return None
    return quote(cleaned, safe="")

"""The shop as the bot sees it: customers, orders, and actions carried out once.

Adapters: `DatabaseShop` (the demo shop kept in the bot's own database), `HttpShop` (a shop's
own service, contract in docs/shop-api.yaml) and `InMemoryShop` (unit tests). A failing call
raises `escalation.ledger.ToolError` whose kind says whether retrying can help.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from escalation.matching import CustomerCandidate
from escalation.records import Effect, Order


@dataclass(frozen=True, slots=True)
class ActionDone:
    """What the shop did for an action: now, or `before` (an earlier request with the same key,
    at `at`; nothing was done again)."""

    effect: Effect
    at: datetime
    before: bool = False


def action_key(effect: Effect) -> str:
    """The idempotency key of an action: once per order and kind (an address change once per
    address), wherever it is asked, so a retried call, a retried turn or a later conversation
    never does it twice. ASCII and short, whatever the order number or address holds."""
    parts = [effect.tool, effect.order or "", effect.customer_id]
    if effect.tool == "change_address":
        parts.append(" ".join((effect.detail or "").split()).casefold())
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{effect.tool}-{digest[:40]}"


class Shop(Protocol):
    def search_customers(self, query: str) -> list[CustomerCandidate]:
        """Customers whose name, email, phone or order number is `query` (no fuzzing)."""
        ...

    def candidate(self, customer_id: str) -> CustomerCandidate: ...

    def order(self, number: str) -> Order | None: ...

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        """Do the action once: a call again with the same key does nothing more and answers
        what was done the first time (`before`)."""
        ...


class DryRunShop:
    """Reads from a shop and carries nothing out (the admin's dry run)."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        return self._shop.search_customers(query)

    def candidate(self, customer_id: str) -> CustomerCandidate:
        return self._shop.candidate(customer_id)

    def order(self, number: str) -> Order | None:
        return self._shop.order(number)

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        return ActionDone(effect, at=datetime.min)


class TurnShop:
    """One turn's view of a shop: each read is asked once (an agent that looks up the same
    order three times in a turn costs one request); an action forgets the orders read, so
    what follows it sees the shop as the action left it."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop
        self._searches: dict[str, list[CustomerCandidate]] = {}
        self._candidates: dict[str, CustomerCandidate] = {}
        self._orders: dict[str, Order | None] = {}

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        if query not in self._searches:
            self._searches[query] = self._shop.search_customers(query)
        return list(self._searches[query])

    def candidate(self, customer_id: str) -> CustomerCandidate:
        if customer_id not in self._candidates:
            self._candidates[customer_id] = self._shop.candidate(customer_id)
        return self._candidates[customer_id]

    def order(self, number: str) -> Order | None:
        if number not in self._orders:
            self._orders[number] = self._shop.order(number)
        return self._orders[number]

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        try:
            return self._shop.carry_out(effect, idempotency_key=idempotency_key)
        finally:
            self._orders.clear()
            self._searches.clear()
            self._candidates.clear()

"""The shop as the bot sees it: customers, orders, and actions carried out once.

Adapters: `DatabaseShop` (the demo shop kept in the bot's own database), `HttpShop` (a shop's
own service, contract in docs/shop-api.yaml) and `InMemoryShop` (unit tests). A failing call
raises `escalation.ledger.ToolError` whose kind says whether retrying can help.
"""

from __future__ import annotations

from typing import Protocol

from escalation.matching import CustomerCandidate
from escalation.records import Effect, Order


class Shop(Protocol):
    def search_customers(self, query: str) -> list[CustomerCandidate]:
        """Customers whose name, email, phone or order number is `query` (no fuzzing)."""
        ...

    def candidate(self, customer_id: str) -> CustomerCandidate: ...

    def order(self, number: str) -> Order | None: ...

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> Effect:
        """Do the action once: a call again with the same key does nothing more and answers
        what was done the first time."""
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

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> Effect:
        return effect

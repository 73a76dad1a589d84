"""Shop records as plain values: a customer and an order (what the tools read and act on)."""

from __future__ import annotations

from dataclasses import dataclass

from escalation.policy import OrderFacts
from escalation.vocabulary import OrderStatus


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Order:
    """An order; days are counted back from the shop's fixed "now"."""

    number: str
    customer_id: str
    item: str
    status: OrderStatus
    total: float
    ordered_days_ago: int
    delivered_days_ago: int | None = None
    due_days_ago: int | None = None
    current_price: float | None = None

    def facts(self) -> OrderFacts:
        return OrderFacts(
            status=self.status,
            days_since_order=self.ordered_days_ago,
            days_since_delivery=self.delivered_days_ago if self.status == "delivered" else None,
            days_past_due=self._days_late(),
            paid=self.total,
            current_price=self.current_price,
        )

    def _days_late(self) -> int | None:
        if self.due_days_ago is None:
            return None
        if self.status == "delivered" and self.delivered_days_ago is not None:
            return self.due_days_ago - self.delivered_days_ago
        return self.due_days_ago

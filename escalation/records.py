"""Shop records as plain values: a customer and an order (what the tools read and act on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from escalation.policy import OrderFacts
from escalation.vocabulary import OrderStatus, ToolName


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


@dataclass(frozen=True, slots=True)
class Effect:
    """A state-changing action carried out for a customer."""

    tool: ToolName
    customer_id: str
    order: str | None = None
    amount: float | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "customer_id": self.customer_id}
        if self.order is not None:
            out["order"] = self.order
        if self.amount is not None:
            out["amount"] = round(self.amount, 2)
        if self.detail is not None:
            out["detail"] = self.detail
        return out

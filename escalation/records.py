"""Shop records as plain values: a customer and an order (what the tools read and act on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from escalation.money import maybe_money, money
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
    """An order as of "now": the shop's dates are counted back in days by whoever read them
    (the core keeps no clock). Amounts are exact (Decimal cents), however they were given."""

    number: str
    customer_id: str
    item: str
    status: OrderStatus
    total: Decimal
    ordered_days_ago: int
    delivered_days_ago: int | None = None
    due_days_ago: int | None = None
    current_price: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", money(self.total))
        object.__setattr__(self, "current_price", maybe_money(self.current_price))

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


def days_back(moment: datetime, *, now: datetime) -> int:
    """Whole calendar days from `moment` to `now`, in `now`'s time zone (negative: ahead)."""
    return (now.date() - moment.astimezone(now.tzinfo).date()).days


def days_ago(days: int | None, *, now: datetime) -> datetime | None:
    """The moment `days` days before `now` (fixtures and the demo shop count in days)."""
    return None if days is None else now - timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Effect:
    """A state-changing action carried out for a customer."""

    tool: ToolName
    customer_id: str
    order: str | None = None
    amount: Decimal | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", maybe_money(self.amount))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (an amount as a JSON number of cents' precision)."""
        out: dict[str, Any] = {"tool": self.tool, "customer_id": self.customer_id}
        if self.order is not None:
            out["order"] = self.order
        if self.amount is not None:
            out["amount"] = float(self.amount)
        if self.detail is not None:
            out["detail"] = self.detail
        return out

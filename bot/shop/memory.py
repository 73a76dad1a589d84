"""The demo shop's data, and a shop held in memory (unit tests and the console's data)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bot.shop.port import ActionDone
from escalation.identifiers import normalise_email, normalise_order_number, phones_match
from escalation.matching import CustomerCandidate
from escalation.records import Customer, Effect, Order


class InMemoryShop:
    """A `Shop` over customers and orders held in memory; actions are kept by key."""

    def __init__(self, customers: Iterable[Customer], orders: Iterable[Order]) -> None:
        self.customers = {c.id: c for c in customers}
        self.orders = {o.number: o for o in orders}
        self.done: dict[str, ActionDone] = {}

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        """Customers whose name, email, phone or order number matches `query`."""
        q = query.strip()
        found = [
            c
            for c in self.customers.values()
            if c.name.casefold() == q.casefold()
            or normalise_email(c.email) == normalise_email(q)
            or phones_match(typed=q, on_record=c.phone)
            or any(
                o.customer_id == c.id and o.number == normalise_order_number(q)
                for o in self.orders.values()
            )
        ]
        return [self.candidate(c.id) for c in found]

    def candidate(self, customer_id: str) -> CustomerCandidate:
        customer = self.customers[customer_id]
        return CustomerCandidate(
            name=customer.name,
            customer_id=customer.id,
            emails=(customer.email,),
            phones=(customer.phone,),
            order_numbers=tuple(
                o.number for o in self.orders.values() if o.customer_id == customer.id
            ),
        )

    def order(self, number: str) -> Order | None:
        return self.orders.get(normalise_order_number(number))

    def carry_out(self, effect: Effect, *, idempotency_key: str) -> ActionDone:
        if idempotency_key in self.done:
            return replace(self.done[idempotency_key], before=True)
        done = self.done[idempotency_key] = ActionDone(effect, at=datetime.now(UTC))
        if effect.tool == "cancel_order" and effect.order in self.orders:
            self.orders[effect.order] = replace(self.orders[effect.order], status="cancelled")
        return done


DEMO_CUSTOMERS: tuple[Customer, ...] = (
    Customer("C-1", "John Smith", "j.smith@example.com", "+1 555 0101"),
    Customer("C-2", "John Smith", "john.smith@example.net", "+1 555 0102"),
    Customer("C-3", "John Smith", "jsmith77@example.org", "+44 20 7946 0103"),
    Customer("C-4", "Maria Garcia", "maria.garcia@example.com", "+1 555 0144"),
)
DEMO_ORDERS: tuple[Order, ...] = (
    Order(
        "1042",
        "C-1",
        "Desk lamp",
        "delivered",
        Decimal("39.00"),
        6,
        delivered_days_ago=3,
        due_days_ago=4,
    ),
    Order(
        "1043",
        "C-1",
        "Kettle",
        "shipped",
        Decimal("25.00"),
        9,
        due_days_ago=2,
        current_price=Decimal("21.00"),
    ),
    Order("2051", "C-2", "Bookshelf", "processing", Decimal("120.00"), 1, due_days_ago=-5),
    Order(
        "3307",
        "C-3",
        "Headphones",
        "delivered",
        Decimal("89.00"),
        60,
        delivered_days_ago=45,
        due_days_ago=47,
    ),
    Order(
        "4410",
        "C-4",
        "Blender",
        "delivered",
        Decimal("64.00"),
        10,
        delivered_days_ago=7,
        due_days_ago=8,
        current_price=Decimal("64.00"),
    ),
)


def demo_shop() -> InMemoryShop:
    """The embedded default store: three John Smiths, so ambiguity is real."""
    return InMemoryShop(customers=DEMO_CUSTOMERS, orders=DEMO_ORDERS)

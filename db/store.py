"""The demo shop's customers, orders and actions, and the workspaces' policy books, kept in the
database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    CustomerRow,
    EffectRow,
    OrderRow,
    PolicyBookRow,
    ShopActionRow,
    WorkspacePolicyBook,
    WorkspaceShop,
)
from db.repositories import SETTINGS_NOTICE, _notify
from escalation.identifiers import normalise_email, normalise_order_number, normalise_phone
from escalation.matching import CustomerCandidate
from escalation.records import Customer, Effect, Order, days_ago, days_back
from escalation.vocabulary import OrderStatus, ToolName


def _customer_search(*, by_phone: bool) -> Select[CustomerRow]:
    """Customers by exact name (case aside), email, order number and, for a query with seven
    digits or more, phone. Built once (building costs more than running it)."""
    by_order = select(OrderRow.customer_id).where(OrderRow.number == bindparam("order_number"))
    matches = [
        CustomerRow.name.ilike(bindparam("name"), escape="\\"),
        CustomerRow.email == bindparam("email"),
        CustomerRow.id.in_(by_order),
    ]
    if by_phone:
        matches.append(CustomerRow.phone_digits == bindparam("digits"))
    return select(CustomerRow).where(or_(*matches)).order_by(CustomerRow.id)


_SEARCH = _customer_search(by_phone=False)
_SEARCH_WITH_PHONE = _customer_search(by_phone=True)


class SqlShop:
    """Customer search and orders over the `customers` and `orders` tables."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(
        self, customers: Iterable[Customer], orders: Iterable[Order], *, now: datetime
    ) -> None:
        """Replace the store's contents (fixtures and the demo data); orders' days back from
        `now` become their dates, so they age from then on."""
        self.session.execute(delete(ShopActionRow))
        self.session.execute(delete(OrderRow))
        self.session.execute(delete(CustomerRow))
        self.session.add_all(
            CustomerRow(
                id=c.id,
                name=c.name,
                email=normalise_email(c.email),
                phone=c.phone,
                phone_digits=normalise_phone(c.phone),
            )
            for c in customers
        )
        self.session.flush()
        self.session.add_all(
            OrderRow(
                number=o.number,
                customer_id=o.customer_id,
                item=o.item,
                status=o.status,
                total=o.total,
                ordered_at=days_ago(o.ordered_days_ago, now=now),
                delivered_at=days_ago(o.delivered_days_ago, now=now),
                due_at=days_ago(o.due_days_ago, now=now),
                current_price=o.current_price,
            )
            for o in orders
        )
        self.session.flush()

    def has_customers(self) -> bool:
        return self.session.scalar(select(CustomerRow.id).limit(1)) is not None

    def search_customers(self, query: str) -> list[CustomerCandidate]:
        """Customers whose name, email, phone or order number equals `query` (no fuzzing)."""
        q = query.strip()
        digits = normalise_phone(q)
        by_phone = len(digits) >= 7
        rows = self.session.scalars(
            _SEARCH_WITH_PHONE if by_phone else _SEARCH,
            {
                "name": q.replace("%", r"\%").replace("_", r"\_"),
                "email": normalise_email(q),
                "order_number": normalise_order_number(q),
                **({"digits": digits} if by_phone else {}),
            },
        ).all()
        return [self.candidate(row.id) for row in rows]

    def carry_out(
        self, effect: Effect, *, idempotency_key: str, now: datetime
    ) -> tuple[Effect, datetime, bool]:
        """Do the action once per key: change the order where the action does, and keep it.

        Answers the effect, when it was done, and whether it was done before (a key seen
        before: nothing is done again). The caller's transaction must be its own: a concurrent
        first call with the same key fails the unique key, and is retried.
        """
        done = self.session.scalars(
            select(ShopActionRow).where(ShopActionRow.idempotency_key == idempotency_key)
        ).first()
        if done is not None:
            earlier = Effect(
                tool=cast(ToolName, done.tool),
                customer_id=done.customer_id,
                order=done.order_number,
                amount=done.amount,
                detail=done.detail,
            )
            return earlier, done.created_at, True
        self.session.add(
            ShopActionRow(
                idempotency_key=idempotency_key,
                tool=effect.tool,
                customer_id=effect.customer_id,
                order_number=effect.order,
                amount=effect.amount,
                detail=effect.detail,
                created_at=now,
            )
        )
        if effect.tool == "cancel_order" and effect.order is not None:
            self.session.execute(
                update(OrderRow).where(OrderRow.number == effect.order).values(status="cancelled")
            )
        self.session.flush()
        return effect, now, False

    def record_effect(
        self, effect: Effect, *, conversation_id: int, turn: int, now: datetime
    ) -> None:
        """Keep the bot's record of an action it had carried out (the audit, and `eval`)."""
        self.session.add(
            EffectRow(
                conversation_id=conversation_id,
                turn=turn,
                tool=effect.tool,
                customer_id=effect.customer_id,
                order_number=effect.order,
                amount=effect.amount,
                detail=effect.detail,
                created_at=now,
            )
        )
        self.session.flush()

    def effects(self, conversation_id: int) -> list[Effect]:
        rows = self.session.scalars(
            select(EffectRow)
            .where(EffectRow.conversation_id == conversation_id)
            .order_by(EffectRow.id)
        ).all()
        return [
            Effect(
                tool=cast(ToolName, r.tool),
                customer_id=r.customer_id,
                order=r.order_number,
                amount=r.amount,
                detail=r.detail,
            )
            for r in rows
        ]

    def candidate(self, customer_id: str) -> CustomerCandidate:
        row = self.session.get(CustomerRow, customer_id)
        if row is None:
            raise LookupError(f"no customer with id {customer_id}")
        numbers = self.session.scalars(
            select(OrderRow.number).where(OrderRow.customer_id == customer_id)
        ).all()
        return CustomerCandidate(
            name=row.name,
            customer_id=row.id,
            emails=(row.email,),
            phones=(row.phone,),
            order_numbers=tuple(numbers),
        )

    def order(self, number: str, *, now: datetime) -> Order | None:
        """The order as of `now` (its dates counted back in days)."""
        row = self.session.get(OrderRow, normalise_order_number(number))
        if row is None:
            return None
        return Order(
            number=row.number,
            customer_id=row.customer_id,
            item=row.item,
            status=cast(OrderStatus, row.status),
            total=row.total,
            ordered_days_ago=days_back(row.ordered_at, now=now),
            delivered_days_ago=_days_back(row.delivered_at, now=now),
            due_days_ago=_days_back(row.due_at, now=now),
            current_price=row.current_price,
        )


def _days_back(moment: datetime | None, *, now: datetime) -> int | None:
    return None if moment is None else days_back(moment, now=now)


def book_name_key(name: str) -> str:
    """A book's name as it is matched: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class StoredBook:
    """A workspace's book as stored: `revision` grows with each upload under its name."""

    id: int
    workspace_id: str
    name: str
    revision: int


class SqlPolicyBooks:
    """The books workspaces uploaded, each only ever read or changed through its own workspace
    (every method takes it), and which book each workspace uses. A change a workspace's turns
    must see is notified as a change of its settings (SETTINGS_NOTICE)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_workspace(self, workspace_id: str) -> list[StoredBook]:
        rows = self.session.scalars(
            select(PolicyBookRow)
            .where(PolicyBookRow.workspace_id == workspace_id)
            .order_by(PolicyBookRow.name_key)
        )
        return [_stored(row) for row in rows]

    def find(self, workspace_id: str, name: str) -> StoredBook | None:
        row = self._row(workspace_id, name)
        return None if row is None else _stored(row)

    def document(self, workspace_id: str, book_id: int) -> dict[str, Any] | None:
        row = self.session.scalars(
            select(PolicyBookRow).where(
                PolicyBookRow.id == book_id, PolicyBookRow.workspace_id == workspace_id
            )
        ).first()
        return None if row is None else dict(row.document)

    def save(
        self, workspace_id: str, name: str, document: dict[str, Any], *, now: datetime
    ) -> tuple[StoredBook, bool]:
        """Store `document` as the workspace's book `name`; True when it replaced one."""
        row = self._row(workspace_id, name, for_update=True)
        if row is None:
            row = PolicyBookRow(
                workspace_id=workspace_id,
                name=" ".join(name.split()),
                name_key=book_name_key(name),
                document=document,
                revision=1,
                created_at=now,
                updated_at=now,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(row)
                    self.session.flush()
                _notify(self.session, SETTINGS_NOTICE, workspace_id)
                return _stored(row), False
            except IntegrityError:
                # Another upload of this name was inserted since (no row to lock before it;
                # PostgreSQL): that one is replaced, as if it had come first.
                row = self._row(workspace_id, name, for_update=True)
                if row is None:
                    raise
        row.document = document
        row.revision += 1
        row.updated_at = now
        self.session.flush()
        _notify(self.session, SETTINGS_NOTICE, workspace_id)  # it may be the one in use
        return _stored(row), True

    def chosen(self, workspace_id: str) -> StoredBook | None:
        """The workspace's book, None for the shipped default."""
        row = self.session.scalars(
            select(PolicyBookRow)
            .join(WorkspacePolicyBook, WorkspacePolicyBook.policy_book_id == PolicyBookRow.id)
            .where(
                WorkspacePolicyBook.workspace_id == workspace_id,
                PolicyBookRow.workspace_id == workspace_id,
            )
        ).first()
        return None if row is None else _stored(row)

    def choose(self, workspace_id: str, book: StoredBook | None, *, now: datetime) -> None:
        """The workspace uses `book` from now on (None: the shipped default)."""
        if book is not None and book.workspace_id != workspace_id:
            raise ValueError("a workspace can use only its own books")
        row = self.session.get(WorkspacePolicyBook, workspace_id, with_for_update=True)
        if book is None:
            if row is not None:
                self.session.delete(row)
        elif row is None:
            self.session.add(
                WorkspacePolicyBook(
                    workspace_id=workspace_id, policy_book_id=book.id, chosen_at=now
                )
            )
        else:
            row.policy_book_id = book.id
            row.chosen_at = now
        self.session.flush()
        _notify(self.session, SETTINGS_NOTICE, workspace_id)

    def _row(
        self, workspace_id: str, name: str, *, for_update: bool = False
    ) -> PolicyBookRow | None:
        query = select(PolicyBookRow).where(
            PolicyBookRow.workspace_id == workspace_id,
            PolicyBookRow.name_key == book_name_key(name),
        )
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()


def _stored(row: PolicyBookRow) -> StoredBook:
    return StoredBook(
        id=row.id, workspace_id=row.workspace_id, name=row.name, revision=row.revision
    )


@dataclass(frozen=True, slots=True)
class ShopConnection:
    """A workspace's own shop API."""

    api_url: str
    api_token: str | None = None


class SqlWorkspaceShops:
    """Each workspace's own shop connection; a change is notified as a change of the
    workspace's settings (SETTINGS_NOTICE), so workers forget the one they kept."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, workspace_id: str) -> ShopConnection | None:
        row = self.session.get(WorkspaceShop, workspace_id, populate_existing=True)
        return None if row is None else ShopConnection(row.api_url, row.api_token)

    def set(self, workspace_id: str, connection: ShopConnection, *, now: datetime) -> None:
        row = self.session.get(WorkspaceShop, workspace_id, with_for_update=True)
        if row is None:
            row = WorkspaceShop(workspace_id=workspace_id, api_url="", updated_at=now)
            self.session.add(row)
        row.api_url = connection.api_url
        row.api_token = connection.api_token
        row.updated_at = now
        self.session.flush()
        _notify(self.session, SETTINGS_NOTICE, workspace_id)

    def clear(self, workspace_id: str) -> bool:
        """Back to the process's shop; False when the workspace had none of its own."""
        row = self.session.get(WorkspaceShop, workspace_id, with_for_update=True)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        _notify(self.session, SETTINGS_NOTICE, workspace_id)
        return True

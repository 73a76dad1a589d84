"""A shop's API on 127.0.0.1, as docs/shop-api.yaml describes it, serving scenario fixtures.

It stands in for a shop's own service (outside the machine), so the real `HttpShop` client is
tested over real HTTP. Faults are injected per request path: an HTTP status, or a hang longer
than the client's timeout, before or after the action was carried out.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from escalation.identifiers import normalise_email, normalise_order_number, phones_match
from escalation.records import Customer, Order

TOKEN = "shop-token-for-tests"


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ShopFault:
    """The next `times` requests whose path starts with `path` answer `status`, or hang."""

    path: str
    status: int | None = None
    hang: float = 0.0
    after_performing: bool = False  # the action is carried out, then the answer fails
    times: int = 1
    retry_after: str | None = None  # the Retry-After header sent with the failure


class LoopbackShop:
    def __init__(self, customers: Iterable[Customer], orders: Iterable[Order], *, now: datetime):
        self.customers = {c.id: c for c in customers}
        self.orders = {o.number: o for o in orders}
        self.now = now
        self.faults: list[ShopFault] = []
        self.actions: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot-api"

    def __enter__(self) -> LoopbackShop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the contract ---------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, key: str
    ) -> tuple[int, dict[str, Any]]:
        parts = [unquote(p) for p in path.removeprefix("/bot-api/").split("/")]
        if method == "GET" and parts == ["customers"]:
            return 200, {"customers": [self._customer(c) for c in self._find(query)]}
        if method == "GET" and len(parts) == 2 and parts[0] == "customers":
            found = self.customers.get(parts[1])
            return (200, self._customer(found)) if found else (404, {"error": "not_found"})
        if method == "GET" and len(parts) == 2 and parts[0] == "orders":
            order = self.orders.get(normalise_order_number(parts[1]))
            return (200, self._order(order)) if order else (404, {"error": "not_found"})
        if method == "POST" and len(parts) == 3 and parts[0] == "orders" and parts[2] == "actions":
            return self._act(normalise_order_number(parts[1]), body, key)
        return 404, {"error": "no such endpoint"}

    def _find(self, query: dict[str, list[str]]) -> list[Customer]:
        if len(query) != 1:
            return []
        ((field, (value, *_)),) = query.items()
        everyone = list(self.customers.values())
        if field == "email":
            return [c for c in everyone if normalise_email(c.email) == normalise_email(value)]
        if field == "phone":
            return [c for c in everyone if phones_match(typed=value, on_record=c.phone)]
        if field == "name":
            return [c for c in everyone if c.name.casefold() == value.strip().casefold()]
        if field == "order_number":
            order = self.orders.get(normalise_order_number(value))
            return [self.customers[order.customer_id]] if order else []
        return []

    def _customer(self, customer: Customer) -> dict[str, Any]:
        return {
            "id": customer.id,
            "name": customer.name,
            "emails": [customer.email] if customer.email else [],
            "phones": [customer.phone] if customer.phone else [],
            "order_numbers": [
                o.number for o in self.orders.values() if o.customer_id == customer.id
            ],
        }

    def _order(self, order: Order) -> dict[str, Any]:
        return {
            "number": order.number,
            "customer_id": order.customer_id,
            "item": order.item,
            "status": order.status,
            "total": f"{order.total:.2f}",
            "currency": "USD",
            "ordered_at": self._date(order.ordered_days_ago),
            "delivered_at": self._date(order.delivered_days_ago),
            "due_at": self._date(order.due_days_ago),
            "current_price": None if order.current_price is None else f"{order.current_price:.2f}",
        }

    def _date(self, days_ago: int | None) -> str | None:
        return None if days_ago is None else (self.now - timedelta(days=days_ago)).isoformat()

    def _act(self, number: str, body: Any, key: str) -> tuple[int, dict[str, Any]]:
        if not key:
            return 400, {"error": "Idempotency-Key is required"}
        with self._lock:
            if key in self.actions:
                done = self.actions[key]
                same = isinstance(body, dict) and all(done.get(k) == v for k, v in body.items())
                return (200, {"action": done}) if same else (409, {"error": "key reused"})
            order = self.orders.get(number)
            if order is None:
                return 404, {"error": "not_found"}
            if not isinstance(body, dict) or body.get("customer_id") != order.customer_id:
                return 422, {"error": "not this customer's order"}
            action = {**body, "id": f"A-{len(self.actions) + 1}", "created_at": _now()}
            self.actions[key] = action
            if body.get("kind") == "cancellation":
                self.orders[number] = replace(order, status="cancelled")
        return 201, {"action": action}

    # --- HTTP -----------------------------------------------------------------------------

    def _due_fault(self, path: str) -> ShopFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and path.removeprefix("/bot-api").startswith(fault.path):
                    fault.times -= 1
                    return fault
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                shop.requests.append((method, url.path))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"error": "unauthorised"})
                    return
                fault = shop._due_fault(url.path)
                if fault is not None and not fault.after_performing:
                    self._fail(fault)
                    return
                status, document = shop.answer(
                    method,
                    url.path,
                    parse_qs(url.query),
                    json.loads(raw) if raw else None,
                    self.headers.get("Idempotency-Key") or "",
                )
                if fault is not None:
                    self._fail(fault)
                    return
                self._send(status, document)

            def _fail(self, fault: ShopFault) -> None:
                if fault.hang:
                    time.sleep(fault.hang)
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status or 500, {"error": "injected"}, headers)

            def _send(
                self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(document).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a hang): nothing to answer

        return Handler

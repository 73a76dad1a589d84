"""The HTTP shop client against a shop API on 127.0.0.1 (docs/shop-api.yaml): lookups, actions
once per idempotency key, and what each kind of failure becomes for the tools."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
import yaml

from bot.policies import default_policy_book
from bot.shop.http import HttpShop, lookups_for
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.turns.tools import ToolBox
from escalation.ledger import ToolError
from escalation.records import Effect
from escalation.state import ConversationState
from tests.loopback_shop import TOKEN, LoopbackShop, ShopFault

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "shop-api.yaml"


@pytest.fixture
def server() -> Iterator[LoopbackShop]:
    with LoopbackShop(DEMO_CUSTOMERS, DEMO_ORDERS, now=NOW) as running:
        yield running


@pytest.fixture
def shop(server: LoopbackShop) -> Iterator[HttpShop]:
    client = HttpShop(base_url=server.url, token=TOKEN, clock=lambda: NOW, timeout=0.5)
    yield client
    client.close()


def test_lookups_find_the_same_customers_as_the_demo_store(shop: HttpShop) -> None:
    assert [c.customer_id for c in shop.search_customers("J.Smith@Example.com")] == ["C-1"]
    assert [c.customer_id for c in shop.search_customers("+1 555 0144")] == ["C-4"]
    assert [c.customer_id for c in shop.search_customers("#2051")] == ["C-2"]
    assert {c.customer_id for c in shop.search_customers("john smith")} == {"C-1", "C-2", "C-3"}
    assert shop.search_customers("nobody@example.com") == []


def test_an_order_reads_back_with_its_days_counted_from_its_dates(shop: HttpShop) -> None:
    for expected in DEMO_ORDERS:
        assert shop.order(expected.number) == expected
    assert shop.order("9999") is None


def test_an_action_retried_after_a_timeout_is_carried_out_once(
    server: LoopbackShop, shop: HttpShop
) -> None:
    # The shop does the refund, then answers too late: the tools retry, with the same key.
    server.faults.append(ShopFault("/orders/4410/actions", hang=1.5, after_performing=True))
    tools = ToolBox(
        shop=shop,
        book=default_policy_book(),
        state=replace(ConversationState(), customer_id="C-4"),
        message="please refund order 4410",
    )
    answer = tools.call("issue_refund", {"order_number": "4410", "problem": "damaged"})
    assert answer["status"] == "done"
    assert len(server.actions) == 1
    posts = [p for m, p in server.requests if m == "POST"]
    assert len(posts) == 2  # the first timed out, the retry answered what was done
    assert tools.effects == [Effect("issue_refund", "C-4", "4410", 64.0)]


def test_the_same_key_answers_what_was_done_and_does_nothing_more(
    server: LoopbackShop, shop: HttpShop
) -> None:
    effect = Effect("cancel_order", "C-2", "2051")
    first = shop.carry_out(effect, idempotency_key="k-1")
    again = shop.carry_out(effect, idempotency_key="k-1")
    assert (first.effect, first.before) == (effect, False)
    assert (again.effect, again.before, again.at) == (effect, True, first.at)
    assert len(server.actions) == 1
    order = shop.order("2051")
    assert order is not None
    assert order.status == "cancelled"


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (ShopFault("/orders", hang=1.5), "timeout"),
        (ShopFault("/orders", status=503), "unavailable"),
        (ShopFault("/orders", status=500), "unavailable"),
        (ShopFault("/orders", status=429), "unavailable"),
        (ShopFault("/orders", status=403), "forbidden"),
        (ShopFault("/orders", status=401), "forbidden"),
        (ShopFault("/orders", status=400), "bug"),
        (ShopFault("/orders", status=422), "bug"),
    ],
)
def test_each_failure_becomes_the_error_kind_the_retry_rule_reads(
    server: LoopbackShop, shop: HttpShop, fault: ShopFault, kind: str
) -> None:
    server.faults.append(fault)
    with pytest.raises(ToolError) as raised:
        shop.order("1042")
    assert raised.value.kind == kind


def test_a_shop_that_cannot_be_reached_is_unavailable() -> None:
    with LoopbackShop([], [], now=NOW) as gone:
        url = gone.url
    client = HttpShop(base_url=url, token=TOKEN, clock=lambda: NOW, timeout=0.5)
    with pytest.raises(ToolError) as raised:
        client.order("1042")
    assert raised.value.kind == "unavailable"


def test_a_wrong_token_is_forbidden(server: LoopbackShop) -> None:
    client = HttpShop(base_url=server.url, token="wrong", clock=lambda: NOW, timeout=0.5)
    with pytest.raises(ToolError) as raised:
        client.search_customers("j.smith@example.com")
    assert raised.value.kind == "forbidden"


@pytest.mark.parametrize(
    "typed",
    [
        "j.smith@example.com",
        "+44 20 7946 0103",
        "2051",
        "#1042",
        "Maria Garcia",
        "maria",
    ],
)
def test_every_lookup_the_client_makes_is_in_the_contract(typed: str) -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    parameters = {p["name"] for p in contract["paths"]["/customers"]["get"]["parameters"]}
    kinds = {kind for kind, _ in lookups_for(typed)}
    assert kinds, f"{typed!r} is looked up as nothing"
    assert kinds <= parameters


def test_every_path_the_client_calls_is_in_the_contract() -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    source = (Path(__file__).resolve().parents[2] / "bot" / "shop" / "http.py").read_text()
    called = set(re.findall(r'f?"((?:customers|orders)[^"]*)"', source))
    templated = {re.sub(r"\{[^}]*\}", "{}", "/" + path) for path in called}
    documented = {re.sub(r"\{[^}]*\}", "{}", path) for path in contract["paths"]}
    assert templated <= documented


def test_an_address_of_any_script_and_length_reaches_the_shop_once(
    server: LoopbackShop, shop: HttpShop
) -> None:
    address = "Rue de l'Église 7, Montréal H2X 1Y4 — 二階\nside door " + "x" * 300
    tools = ToolBox(
        shop=shop,
        book=default_policy_book(),
        state=replace(ConversationState(), customer_id="C-2"),
        message="please send it to my new address",
    )
    answer = tools.call("change_address", {"order_number": "2051", "new_address": address})
    assert answer["status"] == "done"
    (key,) = server.actions
    assert key.isascii()
    assert len(key) <= 255


@pytest.mark.parametrize("typed", ["..", ".", "/", "#..", " ", "../customers"])
def test_an_order_number_that_would_change_the_path_names_no_order(
    server: LoopbackShop, shop: HttpShop, typed: str
) -> None:
    assert shop.order(typed) is None
    assert all(path.startswith("/bot-api/orders/") for _, path in server.requests)


@pytest.mark.parametrize(
    "broken",
    [
        {"total": "abc"},
        {"total": "1e400000"},
        {"total": [1]},
        {"status": "lost"},
        {"ordered_at": "yesterday"},
        {"ordered_at": "2026-01-01T00:00:00"},  # no time zone
    ],
)
def test_an_order_that_breaks_the_contract_is_a_bug_not_a_crash(broken: dict) -> None:
    good = {
        "number": "1",
        "customer_id": "C-1",
        "item": "Lamp",
        "status": "delivered",
        "total": "39.00",
        "ordered_at": "2026-01-10T12:00:00+00:00",
    }

    assert error_reading_order(lambda: httpx2.Response(200, json={**good, **broken})) == "bug"


def test_an_answer_that_cannot_be_decoded_is_a_bug_not_a_crash() -> None:
    def garbled() -> httpx2.Response:  # decoded as it is read, inside the client's call
        return httpx2.Response(200, content=b"\x00not gzip", headers={"Content-Encoding": "gzip"})

    assert error_reading_order(garbled) == "bug"


def error_reading_order(answer: Callable[[], httpx2.Response]) -> str:
    """The ToolError kind the client raises when the shop answers `answer()` over HTTP."""
    client = HttpShop(
        base_url="http://shop.test/api",
        token=TOKEN,
        clock=lambda: NOW,
        transport=httpx2.MockTransport(lambda request: answer()),
    )
    with pytest.raises(ToolError) as raised:
        client.order("1")
    return raised.value.kind


def test_retries_pause_first_and_honour_what_the_shop_asked(server: LoopbackShop) -> None:
    server.faults.append(ShopFault("/orders/1043", status=503, times=1))
    server.faults.append(ShopFault("/orders/1043", status=429, times=1, retry_after="3"))
    pauses: list[float] = []
    client = HttpShop(base_url=server.url, token=TOKEN, clock=lambda: NOW, timeout=0.5)
    tools = ToolBox(
        shop=client,
        book=default_policy_book(),
        state=replace(ConversationState(), customer_id="C-1"),
        message="where is 1043",
        pause=pauses.append,
    )
    answer = tools.call("get_order", {"order_number": "1043"})
    assert answer["status"] == "ok"  # the third call got through
    assert pauses == [0.5, 3.0]  # the default first; then the 3 s the 429 asked for

"""A shop connection per workspace (issue 16): `/escalation shop <url> [token]` / `shop off`
through the real Bolt App and workers against the loopback Slack Web API and a loopback shop
API, with the same app in T1 and T2. T1's turns call T1's shop, T2's the bot's own (the demo
shop); the token is never shown back; a refused or bad command changes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from db.store import ShopConnection
from db.uow import SqlUnitOfWork
from escalation.records import Customer, Order
from tests.clock import Clock
from tests.integration.desk_world import ADMIN, AGENT1, desk
from tests.integration.test_workspace_isolation import T2, T2_ADMIN, dm, two_workspaces
from tests.loopback_shop import TOKEN, LoopbackShop

ANN = Customer("C-77", "Ann Lee", "ann@t1shop.example", "+1 555 0177")
TEAPOT = Order("7001", "C-77", "Teapot", "shipped", Decimal("30.00"), 3, due_days_ago=-2)
ASKS = "where is order 7001? ann@t1shop.example"
# A public address (not resolved through DNS: the tests run offline)
PUBLIC_SHOP = "https://93.184.216.34/api/"


def test_each_workspace_s_turns_call_its_own_shop(tmp_path: Path, database_url: str) -> None:
    clock = Clock()
    with (
        LoopbackShop([ANN], [TEAPOT], now=clock.now) as shop,
        # the loopback shop is on 127.0.0.1: the operator allows private addresses here
        desk(tmp_path, clock, database_url=database_url, SHOP_PRIVATE_ADDRESSES="allow") as world,
    ):
        two_workspaces(world)
        assert world.command(ADMIN, "shop").startswith("This workspace uses the bot's own shop")
        set_to = world.command(ADMIN, f"shop <{shop.url}> {TOKEN}")
        assert set_to == (
            f"This workspace's shop is now {shop.url} with a token (kept, never shown): its "
            "next turns look customers and orders up there and act there."
        )
        described = world.command(ADMIN, "shop")
        assert shop.url in described
        assert TOKEN not in described + set_to
        assert world.command_in(T2, T2_ADMIN, "shop").startswith(
            "This workspace uses the bot's own shop"
        )

        world.sender.dm("U0T1CUST", ASKS)
        assert world.as_workspace(T2, dm("U0T2CUST", ASKS)) == 200
        world.settle()
        (t1_reply,) = world.slack.messages_in("DU0T1CUST")
        (t2_reply,) = world.slack.messages_in("DU0T2CUST")
        assert "teapot" in t1_reply["text"].lower()
        assert "teapot" not in t2_reply["text"].lower()
        assert shop.requests  # T1's turn asked T1's shop

        asked = len(shop.requests)
        assert world.command(ADMIN, "shop off").startswith(
            "This workspace's own shop is disconnected"
        )
        world.sender.dm("U0T1CUST2", ASKS)
        world.settle()
        (after,) = world.slack.messages_in("DU0T1CUST2")
        assert "teapot" not in after["text"].lower()
        assert len(shop.requests) == asked  # back on the bot's own shop
        with SqlUnitOfWork(world.product.sessions) as uow:
            assert uow.shops.get("T1") is None


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("shop ftp://shop.example.com", "must be an http:// or https:// URL"),
        ("shop shop.example.com", "must be an http:// or https:// URL"),
        ("shop <https://me:secret@shop.example.com/api>", "not inside it"),
        ("shop https://shop.example.com/api?x=1", "without `?` or `#` parts"),
        ("shop https://shop.example.com/api a b", "Usage: `/escalation shop <url> [token]`"),
        ("shop off", "already uses the bot's own shop"),
    ],
)
def test_a_bad_shop_command_is_answered_and_changes_nothing(
    tmp_path: Path, typed: str, told: str
) -> None:
    with desk(tmp_path, Clock()) as world:
        answer = world.command(ADMIN, typed)
        assert told in answer
        assert answer.endswith("Nothing was changed.")
        assert "secret" not in answer
        with SqlUnitOfWork(world.product.sessions) as uow:
            assert uow.shops.get("T1") is None


def test_only_admins_see_or_change_the_shop(tmp_path: Path) -> None:
    with desk(tmp_path, Clock()) as world:
        world.command(ADMIN, f"shop {PUBLIC_SHOP} s3cret-token")
        for typed in ("shop", "shop off", "shop https://evil.example.com/ x"):
            refused = world.command(AGENT1, typed)
            assert refused.startswith("Only workspace admins"), refused
            assert "s3cret" not in refused
        with SqlUnitOfWork(world.product.sessions) as uow:
            connection = uow.shops.get("T1")
        assert connection is not None
        assert (connection.api_url, connection.api_token) == (
            PUBLIC_SHOP,
            "s3cret-token",
        )
        assert "s3cret" not in world.command(ADMIN, "shop")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/",
        "http://localhost/api/",
        "http://10.0.0.5/",
        "http://192.168.1.20/shop/",
        "http://169.254.169.254/latest/",  # a cloud's metadata service
        "http://[::1]/api/",
        "http://[::ffff:127.0.0.1]/api/",
        "http://0.0.0.0/",
    ],
)
def test_a_shop_on_a_private_or_local_address_is_refused(tmp_path: Path, url: str) -> None:
    """A workspace's admins are not the operator: they cannot aim the bot at its own network."""
    with desk(tmp_path, Clock()) as world:
        answer = world.command(ADMIN, f"shop {url} token")
        assert "private or local address" in answer
        assert answer.endswith("Nothing was changed.")
        with SqlUnitOfWork(world.product.sessions) as uow:
            assert uow.shops.get("T1") is None


def test_a_private_shop_kept_from_before_is_never_called_and_the_customer_still_hears(
    tmp_path: Path, database_url: str
) -> None:
    """A shop whose address became private after it was set (its name pointed elsewhere, or
    set while the operator allowed it): each request is refused before it leaves."""
    clock = Clock()
    with (
        LoopbackShop([ANN], [TEAPOT], now=clock.now) as shop,
        desk(tmp_path, clock, database_url=database_url) as world,
    ):
        with SqlUnitOfWork(world.product.sessions) as uow:
            uow.shops.set("T1", ShopConnection(api_url=shop.url, api_token=TOKEN), now=clock.now)
            uow.commit()
        world.sender.dm("U0T1CUST", ASKS)
        world.settle()
        assert shop.requests == []
        (reply,) = world.slack.messages_in("DU0T1CUST")
        assert "teapot" not in reply["text"].lower()

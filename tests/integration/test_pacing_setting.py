"""SLACK_PACING: the product's workers pace their Slack calls per workspace and channel when
many workspaces install the app ("auto" with SLACK_CLIENT_ID, or "on"); with one workspace's
token ("auto") or "off" they post as fast as Slack answers, as before.

A burst of replies to one customer's channel, at one instant of the product's clock: paced,
a channel's burst (3) goes out and the rest wait their turn (not given up, no attempt spent)
while another channel's replies go out too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.settings import Settings
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from tests.integration.mock_slack import MockSlackAPI

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI().start()
    yield api
    api.stop()


def product_with(
    pacing: str, *, database_url: str, slack: MockSlackAPI, share: float = 1.0
) -> Product:
    return build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="pacing-secret",
            SLACK_API_URL=slack.url,
            SHOP="demo",
            SLACK_PACING=pacing,
        ),
        clock=lambda: NOW,
        agent=OfflineAgent(),
        pacing_share=share,
    )


def burst(product: Product, channel: str, count: int) -> None:
    with SqlUnitOfWork(product.sessions) as uow:
        for n in range(count):
            uow.outbox.enqueue(
                "reply", {"channel": channel, "text": f"{channel} {n}"}, now=NOW, workspace_id="T1"
            )
        uow.commit()


def posted_to(slack: MockSlackAPI, channel: str) -> list[str]:
    return [p["text"] for p in slack.to("chat.postMessage") if p["channel"] == channel]


@pytest.mark.parametrize(("pacing", "paced"), [("on", True), ("off", False), ("auto", False)])
def test_a_burst_to_one_channel_is_paced_only_when_asked(
    pacing: str, paced: bool, database_url: str, slack: MockSlackAPI
) -> None:
    product = product_with(pacing, database_url=database_url, slack=slack)
    try:
        burst(product, "D0ONE", 8)
        burst(product, "D0TWO", 2)
        for _ in range(30):
            if not product.drainer.run_until_idle():
                break
        one, two = posted_to(slack, "D0ONE"), posted_to(slack, "D0TWO")
        assert two == ["D0TWO 0", "D0TWO 1"]  # another channel is never held up by the burst
        if paced:
            assert one == ["D0ONE 0", "D0ONE 1", "D0ONE 2"]  # the channel's burst, in order
            with product.sessions() as session:
                waiting = session.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == "pending")
                ).all()
            assert len(waiting) == 5
            assert {row.attempts for row in waiting} == {0}  # waiting costs no attempt
        else:
            assert one == [f"D0ONE {n}" for n in range(8)]
    finally:
        product.stop()


def test_one_of_two_worker_processes_posts_half_a_channels_burst(
    database_url: str, slack: MockSlackAPI
) -> None:
    """serve's N workers each pace at 1/N of the budgets (worker --one-of N): together they
    stay within Slack's, here a channel's burst of 3 shared by two."""
    product = product_with("on", database_url=database_url, slack=slack, share=0.5)
    try:
        burst(product, "D0ONE", 4)
        for _ in range(30):
            if not product.drainer.run_until_idle():
                break
        assert posted_to(slack, "D0ONE") == ["D0ONE 0"]
    finally:
        product.stop()

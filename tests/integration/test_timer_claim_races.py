"""A claim landing while a timer sweep is under way (PostgreSQL, where the claim and the sweep
run at once; SQLite runs one writer at a time): the reminder, the admins' notice and round
robin's next offer are made only if the handoff is still open when the timer is finished, and
a timer whose handoff was claimed is finished as skipped, not left pending."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.composition import Product
from bot.workers.offers import OncallOffers
from db.desk import SqlDesk
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM
from tests.clock import Clock
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.test_oncall import (  # noqa: F401  (fixtures)
    AGENT,
    AGENTS,
    BEN,
    CAL,
    PICKED,
    at,
    clock,
    command,
    escalate,
    in_thread,
    offered,
    offers_in,
    round_robin,
    slack,
)


@pytest.fixture(autouse=True)
def _postgresql_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite runs one writer at a time: a claim cannot land inside a sweep")


def claim_in_flight(built: Product, handoff_id: str) -> threading.Thread:
    """Another process claims the handoff: its update is made, and committed a moment later
    (once the sweep has reached the timer); returns when the update is made."""
    updated = threading.Event()

    def claim() -> None:
        with SqlUnitOfWork(built.sessions) as uow:
            assert uow.handoffs.claim(int(handoff_id), agent_id=AGENT, now=datetime.now()).won
            updated.set()
            time.sleep(1.0)
            uow.commit()

    thread = threading.Thread(target=claim)
    thread.start()
    assert updated.wait(10)
    return thread


def after_the_sweep_reads(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], Any]) -> None:
    """`meanwhile` runs once, right after a sweep has read the due claim timers."""
    read = SqlDesk.due_timers
    ran: list[bool] = []

    def due_timers(self: SqlDesk, **kwargs: Any) -> Any:
        due = read(self, **kwargs)
        if due and not ran and "kinds" not in kwargs:
            ran.append(True)
            meanwhile()
        return due

    monkeypatch.setattr(SqlDesk, "due_timers", due_timers)


def timers(built: Product, handoff_id: str) -> dict[str, str]:
    with SqlUnitOfWork(built.sessions, read_only=True) as uow:
        return uow.desk.timers(int(handoff_id))


def test_a_claim_committed_after_the_sweep_read_the_timers_gets_no_reminder_or_notice(
    sender: SlackSender,
    product: Product,
    slack: MockSlackAPI,  # noqa: F811
    clock: Clock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 10m")
    handoff_id, card_ts = escalate(sender, product, slack)
    after_the_sweep_reads(
        monkeypatch, lambda: sender.action(CAL, CLAIM, handoff_id, AGENTS) == 200 or None
    )
    at(clock, product, clock.now + timedelta(minutes=25))  # both timers due in one sweep
    assert in_thread(slack, card_ts) == [], "a reminder 'still unclaimed' after the claim"
    assert slack.messages_in("U0ADMIN") == []
    assert timers(product, handoff_id) == {"claim_reminder": "skipped", "claim_overdue": "skipped"}


def test_a_claim_in_flight_when_the_timer_is_finished_is_waited_for(
    sender: SlackSender,
    product: Product,
    slack: MockSlackAPI,  # noqa: F811
    clock: Clock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "sla 10m")
    handoff_id, card_ts = escalate(sender, product, slack)
    claims: list[threading.Thread] = []
    after_the_sweep_reads(monkeypatch, lambda: claims.append(claim_in_flight(product, handoff_id)))
    at(clock, product, clock.now + timedelta(minutes=10))
    claims[0].join(10)
    assert in_thread(slack, card_ts) == []
    assert timers(product, handoff_id)["claim_reminder"] == "skipped"


def test_a_claim_in_flight_while_round_robin_asks_slack_stops_the_next_offer(
    sender: SlackSender,
    product: Product,
    slack: MockSlackAPI,  # noqa: F811
    clock: Clock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    round_robin(sender)
    handoff_id, card_ts = escalate(sender, product, slack)
    assert offered(product, handoff_id) == [BEN]
    choose = OncallOffers._choose
    claims: list[threading.Thread] = []

    def choose_while_claimed(self: OncallOffers, *args: Any) -> Any:
        chosen = choose(self, *args)  # Slack's answers: who is in the group, who is active
        if not claims:
            claims.append(claim_in_flight(product, handoff_id))
        return chosen

    monkeypatch.setattr(OncallOffers, "_choose", choose_while_claimed)
    at(clock, product, clock.now + timedelta(minutes=10))  # the next step is due
    assert claims
    claims[0].join(10)
    assert len(offers_in(slack, card_ts)) == 1, "offered on after the claim"
    assert offered(product, handoff_id) == [BEN]
    assert timers(product, handoff_id)["oncall_offer"] == "skipped"

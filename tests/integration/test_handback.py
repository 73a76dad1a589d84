"""Back with the bot: after an agent presses "Return to bot", what the customer wrote during the
handoff that no agent answered is answered by the bot, once, through the customer's usual turn.

The real Bolt App over HTTP (signed requests in), the real workers, the loopback Slack Web API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.settings import Settings
from bot.turns.processor import BACK_WITH_BOT, BACK_WITH_BOT_ANSWERING
from db.uow import SqlUnitOfWork
from handlers.slack.cards import CLAIM, RETURN
from tests.clock import Clock
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.serving import serving

SECRET = "handback-secret"
AGENTS = "C0AGENTS"
CUSTOMER = "U0CUST"
AGENT = "U0AGENT1"
# Ways a customer asks after an order while waiting for a person (the demo shop's order 1042:
# a desk lamp, delivered).
ORDER_QUESTIONS = [
    "where is my order 1042?",
    "hello?? any news on order 1042",
    "can you tell me the status of 1042 please",
    "still waiting... has 1042 shipped yet?",
]


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={"U0ADMIN": {"id": "U0ADMIN", "is_admin": True}, AGENT: {"id": AGENT}},
        channels={AGENTS: {"name": "agents"}},
    ).start()
    yield api
    api.stop()


@pytest.fixture
def product(slack: MockSlackAPI, database_url: str) -> Iterator[Product]:
    """On SQLite and on PostgreSQL (the hand-back writes an inbox event in its transaction)."""
    built = build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            SHOP="demo",
            TURN_SETTLE_SECONDS=0,
        ),
        clock=Clock(),
        agent=OfflineAgent(),
    )
    yield built
    built.stop()


@pytest.fixture
def sender(product: Product, slack: MockSlackAPI) -> Iterator[SlackSender]:
    with serving(product.app) as endpoint:
        yield SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")


def settle(product: Product) -> None:
    for _ in range(5):
        if not (product.inbox_worker.run_until_idle() + product.drainer.run_until_idle()):
            return


def said_to_customer(slack: MockSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages_in(f"D{CUSTOMER}")]


def cards(slack: MockSlackAPI) -> list[dict[str, Any]]:
    return [m for m in slack.messages_in(AGENTS) if m.get("blocks")]


def handoff_of(card: dict[str, Any]) -> str:
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == CLAIM:
                return str(element["value"])
    raise AssertionError("no Claim button")


def hand_over(sender: SlackSender, product: Product, slack: MockSlackAPI, *, claim: bool) -> str:
    """The customer asks for a person; the card is posted (and claimed); returns the handoff."""
    assert "<#C0AGENTS>" in sender.command("U0ADMIN", "channel #agents")[1]
    sender.dm(CUSTOMER, "I want to talk to a person")
    settle(product)
    (card,) = cards(slack)
    handoff = handoff_of(card)
    if claim:
        assert sender.action(AGENT, CLAIM, handoff, AGENTS) == 200
        settle(product)
    return handoff


def agent_says(sender: SlackSender, slack: MockSlackAPI, text: str, ts: str) -> None:
    (card,) = cards(slack)
    sender.event(
        {"type": "message", "channel": AGENTS, "user": AGENT, "text": text, "ts": ts,
         "thread_ts": card["ts"]}
    )  # fmt: skip


@pytest.mark.parametrize("question", ORDER_QUESTIONS)
@pytest.mark.parametrize("claim", [True, False], ids=["claimed", "open"])
def test_a_question_no_agent_answered_is_answered_once_the_bot_is_back(
    sender: SlackSender, product: Product, slack: MockSlackAPI, question: str, claim: bool
) -> None:
    handoff = hand_over(sender, product, slack, claim=claim)
    sender.dm(CUSTOMER, question)
    settle(product)
    before = said_to_customer(slack)
    assert not any("1042" in text for text in before)  # the bot kept quiet: a person had it

    assert sender.action(AGENT, RETURN, handoff, AGENTS) == 200
    settle(product)
    settle(product)  # nothing more comes later
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (answer,) = after[1:]
    assert "1042" in answer
    assert "lamp" in answer.lower() or "delivered" in answer.lower()
    assert len(cards(slack)) == 1  # no new handoff


def test_what_an_agent_answered_is_not_answered_again(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "where is my order 1042?")
    settle(product)
    agent_says(sender, slack, "It was delivered on Monday.", "1800000000.000100")
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    assert said_to_customer(slack)[len(before) :] == [BACK_WITH_BOT]


def test_a_request_for_a_person_left_unanswered_escalates_again_at_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "hello? I still need a real person, order 1042")
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (reply,) = after[1:]
    assert "person" in reply
    assert len(cards(slack)) == 2  # a new handoff card
    with SqlUnitOfWork(product.sessions) as uow:
        conversation_id = uow.handoffs.get(int(handoff)).conversation_id
        last = uow.conversations.decisions(conversation_id)[-1]
    assert (last.action, last.trigger) == ("escalate", "explicit_request")
    assert last.investigation_steps == 0


def test_several_unanswered_messages_are_read_together_and_answered_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "hello?")
    sender.dm(CUSTOMER, "is anyone there")
    sender.dm(CUSTOMER, "it's about order 1042, where is it")
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (answer,) = after[1:]
    assert "1042" in answer


def test_a_message_after_the_return_is_answered_after_the_one_before_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "where is my order 1042?")
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    sender.dm(CUSTOMER, "also where is order 1043? j.smith@example.com")  # before the workers ran
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    assert "1042" in after[1]
    assert "1043" in after[2]
    assert len(after) == 3

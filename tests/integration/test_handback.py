"""Back with the bot: after an agent presses "Return to bot", what the customer wrote during the
handoff that no agent answered is answered by the bot, once, through the customer's usual turn.

The real Bolt App over HTTP (signed requests in), the real workers, the loopback Slack Web API
(and, where what the model reads matters, the fake Messages API at the HTTP layer). Races are
staged through what the product is built from (a second worker, an agent, a clock), never by
replacing the product's methods.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.agents.base import Agent, AgentTurn
from bot.agents.claude import ClaudeAgent
from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.policies import default_policy_book
from bot.settings import Settings
from bot.turns.processor import BACK_WITH_BOT, BACK_WITH_BOT_ANSWERING, TurnProcessor
from bot.turns.tools import ToolBox
from bot.workers.inbox import MAX_EVENT_ATTEMPTS, EventReader, InboxWorker
from db.repositories import WorkspaceSettings
from db.uow import SqlUnitOfWork
from escalation.handoff import Utterance
from handlers.slack.cards import CLAIM, RETURN
from tests.clock import Clock
from tests.integration.desk_world import AGENT1, ASKS_FOR_A_PERSON, desk
from tests.integration.fake_messages_api import FakeMessagesAPI, status, text
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


def make_product(
    slack: MockSlackAPI, database_url: str, clock: Clock, agent: Agent, *, workers: int = 1
) -> Product:
    return build_product(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            SHOP="demo",
            TURN_SETTLE_SECONDS=0,
        ),
        clock=clock,
        agent=agent,
        inbox_workers=workers,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def product(slack: MockSlackAPI, database_url: str, clock: Clock) -> Iterator[Product]:
    """On SQLite and on PostgreSQL (the hand-back writes an inbox event in its transaction)."""
    built = make_product(slack, database_url, clock, OfflineAgent())
    yield built
    built.stop()


@pytest.fixture
def sender(product: Product, slack: MockSlackAPI) -> Iterator[SlackSender]:
    with serving(product.app) as endpoint:
        yield SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")


def settle(product: Product, clock: Clock | None = None) -> None:
    """Run the workers until nothing is left; with `clock`, a moment passes between rounds
    (an event given back "at once" is due again the next moment, as on a real clock)."""
    for _ in range(8):
        if clock is not None:
            clock.advance(0.001)
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


# --- what the bot reads, and who is told what -------------------------------------------------


def conversation_of(product: Product, handoff: str) -> int:
    with SqlUnitOfWork(product.sessions) as uow:
        return uow.handoffs.get(int(handoff)).conversation_id


def said_in_card_threads(slack: MockSlackAPI) -> list[str]:
    """What was posted in the agents' channel besides the cards (relays into their threads)."""
    return [m["text"] for m in slack.messages_in(AGENTS) if not m.get("blocks")]


def card_text(card: dict[str, Any]) -> str:
    blocks = card["blocks"] if isinstance(card["blocks"], list) else json.loads(card["blocks"])
    return "\n".join(str(block.get("text", {}).get("text", "")) for block in blocks)


@pytest.mark.parametrize("later", [1, 6, 9], ids=["1-later", "6-later", "9-later"])
def test_a_request_for_a_person_escalates_however_many_messages_came_after_it(
    sender: SlackSender, product: Product, slack: MockSlackAPI, later: int
) -> None:
    """The agent's turn reads only the latest few; the rule is read on every one of them."""
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "I need a real person please")
    fillers = ["hello?", "where is my order 1042?", "any news", "still waiting", "order 1042??"]
    for n in range(later):
        sender.dm(CUSTOMER, fillers[n % len(fillers)])
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (reply,) = after[1:]
    assert "person" in reply
    assert "lamp" not in reply.lower()  # nothing looked up
    assert "delivered" not in reply.lower()
    _, second = cards(slack)
    assert "explicit_request" in second["text"]
    assert card_text(second).count("Customer: I need a real person please") == 1
    with SqlUnitOfWork(product.sessions) as uow:
        last = uow.conversations.decisions(conversation_of(product, handoff))[-1]
    assert (last.action, last.trigger, last.investigation_steps) == (
        "escalate",
        "explicit_request",
        0,
    )


def test_an_answer_that_needs_an_earlier_message_reads_them_together(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, "it's about order 1042")
    sender.dm(CUSTOMER, "where is it?")
    settle(product)
    before = said_to_customer(slack)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == BACK_WITH_BOT_ANSWERING
    (answer,) = after[1:]
    assert "1042" in answer
    assert "lamp" in answer.lower() or "delivered" in answer.lower()


def test_the_model_reads_the_latest_five_unanswered_as_one_message_and_the_rest_as_history(
    slack: MockSlackAPI, database_url: str, clock: Clock
) -> None:
    api = FakeMessagesAPI()
    agent = ClaudeAgent(
        client=api.client(max_retries=0), book=default_policy_book(), fallback=OfflineAgent()
    )
    built = make_product(slack, database_url, clock, agent)
    try:
        with serving(built.app) as endpoint:
            sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
            handoff = hand_over(sender, built, slack, claim=True)
            written = [f"note {n}: the lamp from order 1042 flickers" for n in range(1, 8)]
            for line in written:
                sender.dm(CUSTOMER, line)
            settle(built)
            before = said_to_customer(slack)
            api.script(text({"action": "resolve", "reply": "Thanks, a new lamp is on its way."}))
            sender.action(AGENT, RETURN, handoff, AGENTS)
            settle(built)
    finally:
        built.stop()
    assert said_to_customer(slack)[len(before) :] == [
        BACK_WITH_BOT_ANSWERING,
        "Thanks, a new lamp is on its way.",
    ]
    (request,) = api.requests
    said = request["messages"][-1]["content"][-1]["text"]
    assert "\n".join(written[-5:]) in said  # the latest five, as one message
    assert "\n".join(written[-6:]) not in said  # the sixth is not part of it...
    assert written[0] in said  # ...but the model still has it
    assert written[1] in said


def test_the_customers_messages_are_kept_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    """The card of a later handoff shows what the customer wrote once (the turn after the
    return reads the stored messages; it does not store them again)."""
    handoff = hand_over(sender, product, slack, claim=True)
    question = "where is my order 1042?"
    sender.dm(CUSTOMER, question)
    settle(product)
    sender.action(AGENT, RETURN, handoff, AGENTS)
    settle(product)
    sender.dm(CUSTOMER, "thanks. now let me talk to a person please")
    settle(product)
    _, second = cards(slack)
    assert card_text(second).count(question) == 1


@pytest.mark.parametrize("written", [True, False], ids=["written", "nothing-written"])
def test_a_return_event_while_a_person_has_the_conversation_says_nothing(
    sender: SlackSender, product: Product, slack: MockSlackAPI, written: bool
) -> None:
    """The bot's turn after a hand-back stays silent if a person has the conversation when it
    runs (the hand-back it was queued for is no longer the conversation's state)."""
    handoff = hand_over(sender, product, slack, claim=True)
    if written:
        sender.dm(CUSTOMER, "where is my order 1042?")
    settle(product)
    before, agents_before = said_to_customer(slack), said_in_card_threads(slack)
    product.processor.resume(conversation_of(product, handoff))
    settle(product)
    assert said_to_customer(slack) == before
    assert said_in_card_threads(slack) == agents_before
    assert len(cards(slack)) == 1
    sender.action(AGENT, RETURN, handoff, AGENTS)  # and the real hand-back still works
    settle(product)
    after = said_to_customer(slack)[len(before) :]
    assert after[0] == (BACK_WITH_BOT_ANSWERING if written else BACK_WITH_BOT)
    assert len(after) == (2 if written else 1)


# --- races between the hand-back and a message being taken -------------------------------------


QUESTION = "where is my order 1042?"
LATER = "also where is order 1043? j.smith@example.com"


def answered_in_order(said: list[str]) -> None:
    """The customer hears: back, the answer to what they wrote during the handoff, then the
    answer to the message written after it, each once."""
    assert len(said) == 3, said
    assert said[0] == BACK_WITH_BOT_ANSWERING
    assert "1042" in said[1]
    assert "1043" not in said[1]
    assert "1043" in said[2]


def test_a_message_taken_before_the_return_and_read_after_it_waits_for_the_return_turn(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """A worker takes the customer's new message; before it reads the conversation, the agent
    presses Return. The message steps aside for the return's turn, then is answered."""
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, QUESTION)
    settle(product)
    before, agents_before = said_to_customer(slack), said_in_card_threads(slack)
    sender.dm(CUSTOMER, LATER)
    pressed: list[int] = []
    route: EventReader = product.inbox_worker.read_event

    def read_while_the_agent_presses_return(
        payload: dict[str, Any], settings: WorkspaceSettings
    ) -> Any:
        if not pressed:
            pressed.append(sender.action(AGENT, RETURN, handoff, AGENTS))
        return route(payload, settings)

    racer = InboxWorker(
        sessions=product.sessions,
        processor=product.processor,
        read_event=read_while_the_agent_presses_return,
        clock=clock,
    )
    assert racer.work_once() == 1  # it took the new message
    assert pressed == [200]
    settle(product, clock)
    answered_in_order(said_to_customer(slack)[len(before) :])
    assert said_in_card_threads(slack) == agents_before  # not relayed to the returned card


class PressingClock:
    """The turn processor's clock: on its `at`-th reading, `then` happens first (an agent acts
    between the moments a turn reads the conversation and writes what it did)."""

    def __init__(self, clock: Clock, *, at: int, then: Callable[[], object]) -> None:
        self.clock, self.at, self.then, self.readings = clock, at, then, 0

    def __call__(self) -> datetime:
        self.readings += 1
        if self.readings == self.at:
            self.then()
        return self.clock()


def test_a_message_read_before_the_return_is_not_relayed_to_the_returned_card(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """The message's turn read the conversation while a person had it; the agent pressed
    Return before it was relayed: it is not posted in the card's thread, and is answered
    after the return's turn."""
    handoff = hand_over(sender, product, slack, claim=True)
    sender.dm(CUSTOMER, QUESTION)
    settle(product)
    before, agents_before = said_to_customer(slack), said_in_card_threads(slack)
    sender.dm(CUSTOMER, LATER)
    pressed: list[int] = []
    # reading 1: the turn reads the conversation; reading 2: it is about to relay
    moment = PressingClock(
        clock, at=2, then=lambda: pressed.append(sender.action(AGENT, RETURN, handoff, AGENTS))
    )
    shared = product.processor
    racer = InboxWorker(
        sessions=product.sessions,
        processor=TurnProcessor(
            sessions=product.sessions,
            shop=shared.shop,
            agent=shared.agent,
            book=shared.book,
            clock=moment,
        ),
        read_event=product.inbox_worker.read_event,
        clock=clock,
    )
    assert racer.work_once() == 1
    assert pressed == [200]
    settle(product, clock)
    assert said_in_card_threads(slack) == agents_before
    answered_in_order(said_to_customer(slack)[len(before) :])


class MeanwhileAgent:
    """The offline agent; during the first turn it works, `meanwhile` runs (another worker
    looking for work while this turn is under way)."""

    name = "offline"

    def __init__(self) -> None:
        self.inner = OfflineAgent()
        self.meanwhile: Callable[[], int] | None = None
        self.taken: list[int] = []
        self._ran = False

    def take_turn(self, *, text: str, history: Sequence[Utterance], tools: ToolBox) -> AgentTurn:
        if self.meanwhile is not None and not self._ran:
            self._ran = True
            self.taken.append(self.meanwhile())
        return self.inner.take_turn(text=text, history=history, tools=tools)


def test_a_second_worker_leaves_a_message_after_the_return_until_the_return_turn_is_done(
    sender: SlackSender, slack: MockSlackAPI, database_url: str, clock: Clock
) -> None:
    """The return's event is in the conversation's lane, ahead of what the customer wrote."""
    agent = MeanwhileAgent()
    built = make_product(slack, database_url, clock, agent, workers=2)
    try:
        with serving(built.app) as endpoint:
            sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
            handoff = hand_over(sender, built, slack, claim=True)
            sender.dm(CUSTOMER, QUESTION)
            settle(built)
            before = said_to_customer(slack)
            sender.action(AGENT, RETURN, handoff, AGENTS)
            sender.dm(CUSTOMER, LATER)
            agent.meanwhile = built.inbox_workers[1].work_once
            settle(built, clock)
            settle(built, clock)
    finally:
        built.stop()
    assert agent.taken == [0]  # the second worker found nothing to take
    answered_in_order(said_to_customer(slack)[len(before) :])


# --- a return turn that keeps failing --------------------------------------------------------


def test_a_return_turn_that_keeps_failing_still_tells_the_customer_the_bot_is_back(
    slack: MockSlackAPI, database_url: str, clock: Clock
) -> None:
    """The model refuses the key every time (a fault of the fake Messages API): the turn is
    given up; the customer hears the bot is back, the admins which hand-back failed."""
    api = FakeMessagesAPI()
    agent = ClaudeAgent(
        client=api.client(max_retries=0), book=default_policy_book(), fallback=OfflineAgent()
    )
    built = make_product(slack, database_url, clock, agent)
    try:
        with serving(built.app) as endpoint:
            sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
            handoff = hand_over(sender, built, slack, claim=True)
            sender.dm(CUSTOMER, QUESTION)
            settle(built)
            before = said_to_customer(slack)
            api.script(*[status(401, "authentication_error")] * MAX_EVENT_ATTEMPTS)
            sender.action(AGENT, RETURN, handoff, AGENTS)
            for _ in range(MAX_EVENT_ATTEMPTS):
                settle(built)
                clock.advance(600)
            settle(built)
            assert len(api.requests) == MAX_EVENT_ATTEMPTS
            assert said_to_customer(slack)[len(before) :] == [BACK_WITH_BOT]
            (notice,) = slack.messages_in("U0ADMIN")
            assert f"handoff #{handoff}" in notice["text"]
            assert "returned" in notice["text"]
            assert f"after {MAX_EVENT_ATTEMPTS} tries" in notice["text"]
            # the bot has the conversation: the customer's next message is answered
            api.script(text({"action": "resolve", "reply": "Order 1042 was delivered."}))
            sender.dm(CUSTOMER, QUESTION)
            settle(built)
            assert said_to_customer(slack)[-1] == "Order 1042 was delivered."
    finally:
        built.stop()


# --- another workspace's thread on our card --------------------------------------------------


def test_a_thread_of_another_workspace_on_our_card_is_not_relayed_to_our_customer(
    tmp_path: Path, database_url: str
) -> None:
    """Two workspaces whose agents' channel is the same (a channel both share): T2's reply in
    the thread of T1's card is T2's agents talking, never a relay to T1's customer."""
    with desk(tmp_path, database_url=database_url) as world:
        world.slack.users["U0ADMINT2"] = {"id": "U0ADMINT2", "is_admin": True, "team_id": "T2"}
        world.configure()
        handoff = world.customer_writes(ASKS_FOR_A_PERSON)
        assert handoff is not None
        (card,) = world.cards()
        assert "now go to" in world.command_in("T2", "U0ADMINT2", f"channel <#{AGENTS}|agents>")
        customer = "DU0CUST001"
        before = [m["text"] for m in world.slack.messages_in(customer)]

        thread = {"type": "message", "channel": AGENTS, "thread_ts": card["ts"]}
        theirs = {**thread, "user": "U0T2AGENT", "text": "T2 here: refund them all"}
        assert world.as_workspace("T2", {**theirs, "ts": f"{time.time():.6f}"}) == 200
        world.settle()
        assert [m["text"] for m in world.slack.messages_in(customer)] == before
        with SqlUnitOfWork(world.product.sessions) as uow:
            conversation_id = uow.handoffs.get(handoff).conversation_id
            said = [u.text for u in uow.conversations.history(conversation_id)]
        assert "T2 here: refund them all" not in said

        # T1's own agent in the same thread is relayed
        ours = {**thread, "user": AGENT1, "text": "On it, one moment.", "ts": f"{time.time():.6f}"}
        assert world.sender.event(ours) == 200
        world.settle()
        assert [m["text"] for m in world.slack.messages_in(customer)][len(before) :] == [
            "On it, one moment."
        ]


def test_a_member_of_another_organisation_in_a_shared_agents_channel_is_not_relayed(
    tmp_path: Path, database_url: str
) -> None:
    """The agents' channel shared with another organisation (Slack Connect): their member's
    reply in a card's thread never reaches our customer; our own agent's does."""
    with desk(tmp_path, database_url=database_url) as world:
        world.configure()
        handoff = world.customer_writes(ASKS_FOR_A_PERSON)
        assert handoff is not None
        (card,) = world.cards()
        customer = "DU0CUST001"
        before = [m["text"] for m in world.slack.messages_in(customer)]
        thread = {"type": "message", "channel": AGENTS, "thread_ts": card["ts"]}

        theirs = {**thread, "user": "U0THEIRS", "text": "Hi, I'm from the partner org"}
        shared = {"is_ext_shared_channel": True}
        assert (
            world.sender.event(
                {**theirs, "ts": f"{time.time():.6f}"}, user_team="T0THEIRORG", **shared
            )
            == 200
        )
        world.settle()
        assert [m["text"] for m in world.slack.messages_in(customer)] == before

        ours = {**thread, "user": AGENT1, "text": "On it, one moment."}
        assert (
            world.sender.event({**ours, "ts": f"{time.time():.6f}"}, user_team="T1", **shared)
            == 200
        )
        world.settle()
        assert [m["text"] for m in world.slack.messages_in(customer)][len(before) :] == [
            "On it, one moment."
        ]

"""Whatever a customer types, a turn ends in a decision the rules allow, never an exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.agents.offline import OfflineAgent
from bot.shop.memory import demo_shop
from bot.turns.tools import ToolBox
from escalation.engine import decide, escalation_refusal, screen_message
from escalation.handoff import Utterance
from escalation.state import ConversationState
from tests.unit.conftest import make_book

WORDS = st.sampled_from(
    [
        "order",
        "1042",
        "refund",
        "broken",
        "human",
        "agent",
        "not",
        "bot",
        "late",
        "cancel",
        "j.smith@example.com",
        "John Smith",
        "please",
        "!!!",
        "price",
        "match",
        "someone",
        "?",
        "ignore your rules",
        "SYSTEM:",
        "pick the most recent",
        "> quoted",
        "\n",
        "🔥",
    ]
)
MESSAGES = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=15).map(" ".join))


@settings(max_examples=300)
@given(first=MESSAGES, second=MESSAGES)
def test_any_two_turns_end_in_a_valid_decision(first: str, second: str) -> None:
    book = make_book()
    shop = demo_shop()
    agent = OfflineAgent()
    state = ConversationState()
    history: list[Utterance] = []
    for text in (first, second):
        if state.with_human:
            break
        history.append(Utterance("customer", text))
        screening = screen_message(state, text, history=history)
        if screening.decision is not None:
            decision, state = screening.decision, screening.state
            assert decision.investigation_steps == 0
        else:
            tools = ToolBox(shop=shop, book=book, state=screening.state, message=text)
            work = agent.take_turn(text=text, history=history, tools=tools)
            ruling = decide(tools.state, work.proposal, history=history)
            decision, state = ruling.decision, ruling.state
            for effect in tools.effects:
                assert state.may_act_on(effect.customer_id)
        assert decision.reply.strip()
        if decision.action == "escalate":
            assert escalation_refusal(state, decision.trigger) is None
            assert decision.handoff is not None
        history.append(Utterance("bot", decision.reply))

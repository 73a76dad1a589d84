"""The Claude agent against a fake Messages API (httpx2 transport): tool use, prompt caching,
retries and fallback, and a misbehaving model that must not break the rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.base import AgentTurn
from bot.agents.claude import (
    DEFAULT_MODEL,
    TOOL_SPECS,
    ClaudeAgent,
    ModelMisconfigured,
    tool_specs,
)
from bot.agents.offline import OfflineAgent
from bot.policies import default_policy_book
from bot.shop.database import DatabaseShop
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS, demo_shop
from bot.turns.processor import IncomingMessage, TurnOutcome, TurnProcessor
from bot.turns.tools import ToolBox
from db.engine import make_engine, make_session_factory
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.engine import decide, promises_handoff, screen_message
from escalation.handoff import Utterance
from escalation.state import ConversationState
from escalation.vocabulary import TOOL_NAMES
from tests.integration.fake_messages_api import (
    FakeMessagesAPI,
    Step,
    cut_off,
    status,
    text,
    timeout,
    tool,
    tools,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
KEY = ConversationKey("slack", "T1", "D1", "U-CUSTOMER")


@pytest.fixture
def sessions(tmp_path: Path, sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "bot.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    with SqlUnitOfWork(factory) as uow:
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS, now=NOW)
        uow.commit()
    yield factory
    engine.dispose()


@pytest.fixture
def api() -> FakeMessagesAPI:
    return FakeMessagesAPI()


@pytest.fixture
def processor(api: FakeMessagesAPI, sessions: sessionmaker[Session]) -> TurnProcessor:
    book = default_policy_book()
    agent = ClaudeAgent(client=api.client(), book=book, fallback=OfflineAgent())
    return TurnProcessor(
        sessions=sessions,
        shop=DatabaseShop(sessions, clock=lambda: NOW),
        agent=agent,
        book=book,
        clock=lambda: NOW,
    )


def say(processor: TurnProcessor, message: str) -> TurnOutcome:
    return processor.handle(IncomingMessage(key=KEY, text=message))


def refused_handoffs(outcome: TurnOutcome) -> list[str]:
    """Why the engine refused each escalate_to_human of the turn (from the attempt ledger)."""
    turn = outcome.state.ledger.in_turn(outcome.state.turn)
    return [a.detail for a in turn if a.step == "escalate_to_human" and a.outcome == "refused"]


def test_the_default_model_is_one_the_sdk_lists() -> None:
    import typing  # noqa: PLC0415

    import anthropic.types  # noqa: PLC0415

    listed = {
        value
        for arg in typing.get_args(anthropic.types.Model)
        for value in (typing.get_args(arg) or (arg,))
        if isinstance(value, str)
    }
    assert DEFAULT_MODEL in listed
    assert "sonnet" in DEFAULT_MODEL


def test_the_tools_offered_are_exactly_the_contracts_ten() -> None:
    assert sorted(t["name"] for t in TOOL_SPECS) == sorted(TOOL_NAMES)


def test_a_tool_use_round_trip_resolves_with_the_effect(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", email="j.smith@example.com"),
        tool("create_replacement", order_number="1042", problem="damaged"),
        text({"action": "resolve", "reply": "I'm sorry! A new lamp is on its way for 1042."}),
    )
    outcome = say(processor, "My lamp (order 1042) arrived smashed. j.smith@example.com")
    decision = outcome.decision
    assert decision is not None
    assert decision.action == "resolve"
    assert [e.as_dict() for e in outcome.effects] == [
        {"tool": "create_replacement", "customer_id": "C-1", "order": "1042"}
    ]
    assert decision.investigation_steps == 2  # two tool calls; model requests apart
    assert outcome.model_requests == 3
    assert api.tool_results(2)[0]["status"] == "matched"
    assert api.tool_results(3)[0]["status"] == "done"
    first = api.requests[0]
    assert first["model"] == DEFAULT_MODEL
    assert sorted(t["name"] for t in first["tools"]) == sorted([*TOOL_NAMES, "finish_turn"])
    assert "My lamp (order 1042) arrived smashed" in str(first["messages"][-1])


def finish(**answer: Any) -> Step:
    """The model ends its turn with the finish_turn tool."""
    return tool("finish_turn", **answer)


def test_a_turn_ends_with_the_structured_final_answer(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", email="j.smith@example.com"),
        finish(action="clarify", reply="Which order do you mean?", ask_for=["order_number"]),
    )
    outcome = say(processor, "where is my order? j.smith@example.com")
    decision = outcome.decision
    assert decision is not None
    assert (decision.action, decision.reply) == ("clarify", "Which order do you mean?")


@pytest.mark.parametrize("stop", ["max_tokens", "refusal"])
def test_a_reply_cut_off_or_refused_never_reaches_the_customer(
    api: FakeMessagesAPI, processor: TurnProcessor, stop: str
) -> None:
    api.script(cut_off('{"action": "resolve", "reply": "Your order 1043 is on it', stop))
    outcome = say(processor, "where is order 1043? j.smith@example.com")
    decision = outcome.decision
    assert decision is not None
    assert "{" not in decision.reply  # no raw JSON
    assert "1043" in decision.reply  # the offline agent answered the question
    assert outcome.agent is not None
    assert outcome.agent.startswith("offline")


def test_a_tool_error_goes_back_marked_as_an_error(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("check_policy", request="cancel"),
        finish(action="clarify", reply="What would you like me to do?"),
    )
    say(processor, "cancel please")
    (result,) = [
        block
        for block in api.requests[1]["messages"][-1]["content"]
        if block.get("type") == "tool_result"
    ]
    assert result["is_error"] is True


@pytest.mark.parametrize(
    ("code", "error_type"),
    [(400, "invalid_request_error"), (401, "authentication_error"), (404, "not_found_error")],
)
def test_a_request_the_api_refuses_for_good_is_no_silent_fallback(
    api: FakeMessagesAPI, processor: TurnProcessor, code: int, error_type: str
) -> None:
    api.script(status(code, error_type))
    with pytest.raises(ModelMisconfigured):
        say(processor, "where is order 1043? j.smith@example.com")


def test_the_system_prompt_is_sent_with_cache_control_and_read_from_cache(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", email="j.smith@example.com"),
        text(
            {"action": "resolve", "reply": "Your kettle has shipped."},
            cache_read_input_tokens=0,
            cache_creation_input_tokens=1500,
        ),
    )
    say(processor, "where is my kettle? j.smith@example.com")
    api.script(text({"action": "resolve", "reply": "You're welcome!"}))
    second = say(processor, "great, thanks")
    for request in api.requests:
        (system,) = request["system"]
        assert system["cache_control"] == {"type": "ephemeral"}
        assert "explicit_request" in system["text"]
    assert api.requests[0]["system"] == api.requests[-1]["system"]
    assert second.usage.cache_read_tokens == 1500
    with SqlUnitOfWork(processor.sessions) as uow:
        rows = uow.conversations.decisions(second.conversation_id)
    assert [(r.agent, r.model_requests, r.cache_read_tokens) for r in rows] == [
        ("claude", 2, 1500),  # the first request wrote the cache, the second read it
        ("claude", 1, 1500),
    ]


def test_each_workspace_s_turns_carry_its_own_book_in_the_cached_prompt(
    api: FakeMessagesAPI, sessions: sessionmaker[Session]
) -> None:
    """One agent, two workspaces with different books: each turn's system prompt and
    check_policy's request kinds are its workspace's book's, and the same bytes on every turn
    of that workspace (so each book's prefix is read from the prompt cache)."""
    from escalation.policy import PolicyBook, PolicyRule  # noqa: PLC0415

    shipped = default_policy_book()
    engraving = PolicyBook(
        rules=(PolicyRule("engraving-free", "Free engraving", ("engraving",), "We engrave."),),
        name="Engraving shop",
    )
    books = {"T1": shipped, "T2": engraving}
    agent = ClaudeAgent(client=api.client(), book=shipped, fallback=OfflineAgent())
    processor = TurnProcessor(
        sessions=sessions,
        shop=DatabaseShop(sessions, clock=lambda: NOW),
        agent=agent,
        book=shipped,
        clock=lambda: NOW,
        books=books.__getitem__,
    )
    for team in ("T2", "T1", "T2"):
        api.script(text({"action": "resolve", "reply": "Happy to help."}))
        key = ConversationKey("slack", team, "D1", "U-CUSTOMER")
        processor.handle(IncomingMessage(key=key, text="can you tell me what you do?"))
    t2, t1, t2_again = api.requests
    assert "engraving-free" in t2["system"][0]["text"]
    assert "returns-30-days" not in t2["system"][0]["text"]
    assert "returns-30-days" in t1["system"][0]["text"]
    assert "engraving-free" not in t1["system"][0]["text"]
    assert (t2["system"], t2["tools"]) == (t2_again["system"], t2_again["tools"])

    def kinds(request: dict[str, Any]) -> list[str]:
        (spec,) = [t for t in request["tools"] if t["name"] == "check_policy"]
        return list(spec["input_schema"]["properties"]["request"]["enum"])

    assert "engraving" in kinds(t2)
    assert "engraving" not in kinds(t1)
    assert "refund" in kinds(t1)


def test_an_explicit_request_never_reaches_the_model(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    outcome = say(processor, "get me a real person please")
    assert outcome.decision is not None
    assert (outcome.decision.action, outcome.decision.trigger) == ("escalate", "explicit_request")
    assert outcome.decision.investigation_steps == 0
    assert api.requests == []


def test_rate_limits_are_retried_by_the_sdk(api: FakeMessagesAPI, processor: TurnProcessor) -> None:
    api.script(
        status(429, "rate_limit_error"),
        status(429, "rate_limit_error"),
        text(
            {"action": "clarify", "reply": "What's your order number?", "ask_for": ["order_number"]}
        ),
    )
    outcome = say(processor, "hi, question about my order")
    assert outcome.decision is not None
    assert outcome.decision.action == "clarify"
    assert outcome.agent == "claude"
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    "failure",
    [
        status(529, "overloaded_error"),
        status(429, "rate_limit_error"),
        timeout(),
        status(408, "timeout_error"),
        status(409, "conflict_error"),
    ],
    ids=["overloaded", "rate-limited", "timeout", "request-timeout", "conflict"],
)
def test_a_model_outage_falls_back_to_the_offline_agent(
    api: FakeMessagesAPI, processor: TurnProcessor, failure: object
) -> None:
    api.script(failure, failure, failure)  # type: ignore[arg-type]
    outcome = say(processor, "where is my order 1043? j.smith@example.com")
    decision = outcome.decision
    assert decision is not None
    assert len(api.requests) == 3  # the first try and the SDK's two retries
    assert outcome.agent == "offline (fallback)"
    assert decision.action == "resolve"
    assert decision.reply
    model_attempts = [a for a in outcome.state.ledger.attempts if a.step == "model"]
    assert len(model_attempts) == 1
    assert model_attempts[0].failed
    assert decision.trigger is None  # an outage is not the customer's need being blocked


# --- a misbehaving model -------------------------------------------------------------------


def test_escalating_because_the_customer_is_angry_is_refused(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="no_progress",
            root_cause="The customer is furious.",
            recommended_action="Calm them down.",
        ),
        text({"action": "escalate", "reply": "I'm transferring you to a human agent now."}),
    )
    outcome = say(processor, "THIS IS RIDICULOUS!!! where is my parcel?!")
    decision = outcome.decision
    assert decision is not None
    assert decision.action != "escalate"
    assert refused_handoffs(outcome) == [
        "no attempt failed past the retry bound or hit missing access"
    ]
    assert not promises_handoff(decision.reply)
    assert outcome.state.status == "bot"
    assert outcome.agent == "offline (after a refused handoff)"  # the need is still answered


def test_low_self_reported_confidence_is_not_a_trigger(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="policy_gap",
            root_cause="My confidence is 3/10.",
            recommended_action="Check it.",
        ),
        text({"action": "escalate", "reply": "A colleague will help."}),
    )
    say_outcome = say(processor, "can I change the delivery address of order 2051?")
    decision = say_outcome.decision
    assert decision is not None
    assert decision.action != "escalate"
    assert refused_handoffs(say_outcome) == ["no policy check in this conversation found a gap"]
    assert "address" in decision.reply  # the customer is asked for the new address


def test_policy_gap_needs_a_gap_verdict_and_no_progress_needs_a_failure(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="no_progress",
            root_cause="Might not manage.",
            recommended_action="Help.",
        ),
        text({"action": "escalate", "reply": "Passing you on."}),
    )
    outcome = say(processor, "my order 1043 is late, j.smith@example.com")
    decision = outcome.decision
    assert decision is not None
    assert decision.action == "resolve"  # the late parcel gets its credit
    assert [e.tool for e in outcome.effects] == ["issue_credit"]
    assert refused_handoffs(outcome) == [
        "no attempt failed past the retry bound or hit missing access"
    ]


def test_a_real_gap_found_by_check_policy_is_escalated(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("check_policy", request="other", other_request="competitor_price_match"),
        tool(
            "escalate_to_human",
            trigger="policy_gap",
            root_cause="The customer asked for a competitor price match.",
            recommended_action="Decide whether to match the price.",
        ),
        text({"action": "escalate", "reply": "A colleague will decide."}),
    )
    outcome = say(processor, "BestShop has the kettle for 18, will you match it? order 1043")
    decision = outcome.decision
    assert decision is not None
    assert (decision.action, decision.trigger) == ("escalate", "policy_gap")
    assert decision.handoff is not None
    assert decision.handoff.recommended_action == "Decide whether to match the price."
    assert outcome.handoff_id is not None


@pytest.mark.parametrize("word", ["cancel", "exchange", "late_delivery_credit"])
def test_a_request_kind_the_book_names_otherwise_cannot_force_a_gap(
    api: FakeMessagesAPI, processor: TurnProcessor, word: str
) -> None:
    api.script(
        tool("check_policy", request=word, order_number="2051"),
        tool(
            "escalate_to_human",
            trigger="policy_gap",
            root_cause=f"No rule covers {word}.",
            recommended_action="Decide.",
        ),
        text({"action": "escalate", "reply": "A colleague will decide."}),
    )
    outcome = say(processor, "please cancel 2051, john.smith@example.net")
    decision = outcome.decision
    assert decision is not None
    assert decision.trigger != "policy_gap"
    assert outcome.handoff_id is None


def test_the_request_kinds_the_model_may_name_are_the_books_own() -> None:
    book = default_policy_book()
    (spec,) = [t for t in tool_specs(book) if t["name"] == "check_policy"]
    kinds = spec["input_schema"]["properties"]["request"]["enum"]
    assert set(book.covered_kinds()) <= set(kinds)
    assert {"other", "order_status"} <= set(kinds)
    assert "cancel" not in kinds


def test_acting_on_a_customer_never_singled_out_is_stopped(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", query="John Smith"),
        tool("issue_refund", order_number="2051"),  # another John Smith's order
        text({"action": "resolve", "reply": "Refunded order 2051, John!"}),
    )
    outcome = say(processor, "John Smith here. Pick the most recent John Smith and refund it.")
    decision = outcome.decision
    assert decision is not None
    assert outcome.effects == ()
    assert api.tool_results(2)[0]["status"] == "ambiguous"
    assert api.tool_results(3)[0]["status"] == "refused"
    assert decision.action == "clarify"
    assert set(decision.ask_for) == {"email", "phone", "order_number"}
    assert "2051" not in decision.reply


def test_a_refund_outside_policy_is_refused_and_declined(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", email="jsmith77@example.org"),
        tool("issue_refund", order_number="3307"),
        text({"action": "resolve", "reply": "Done, your refund is on its way!"}),
    )
    outcome = say(processor, "refund my headphones, order 3307, jsmith77@example.org")
    decision = outcome.decision
    assert decision is not None
    assert outcome.effects == ()
    assert api.tool_results(3)[0]["verdict"] == "violation"
    assert decision.action == "decline"
    assert "30 days" in decision.reply
    assert "on its way" not in decision.reply


def test_proposing_escalate_without_the_tool_is_refused(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(text({"action": "escalate", "trigger": "policy_gap", "reply": "Escalating."}))
    decision = say(processor, "what's the status of order 1043? j.smith@example.com").decision
    assert decision is not None
    assert decision.action != "escalate"


def test_merely_writing_i_will_transfer_you_changes_nothing(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(text("I'll transfer you to a human agent right away."))
    outcome = say(processor, "my kettle is late")
    decision = outcome.decision
    assert decision is not None
    assert decision.action != "escalate"
    assert not promises_handoff(decision.reply)
    assert outcome.handoff_id is None


def test_the_conversation_and_state_reach_the_model_on_later_turns(
    api: FakeMessagesAPI, processor: TurnProcessor
) -> None:
    api.script(
        tool("find_customer", query="John Smith"),
        text(
            {"action": "clarify", "reply": "Which email is on the account?", "ask_for": ["email"]}
        ),
    )
    say(processor, "John Smith here, where is my order?")
    api.script(
        tool("find_customer", email="j.smith@example.com"),
        text({"action": "resolve", "reply": "Your kettle shipped."}),
    )
    outcome = say(processor, "it's j.smith@example.com")
    assert outcome.state.customer_id == "C-1"
    messages = api.requests[2]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "John Smith here" in str(messages[0])
    assert "waiting for the customer to give: email" in str(messages[-1])


# --- the model's recognition of a request for a person, under the guard -------------------


def agent_turn(api: FakeMessagesAPI, message: str) -> tuple[ToolBox, AgentTurn]:
    """One agent turn straight after stage 1's screening, whatever the detector made of it."""
    book = default_policy_book()
    agent = ClaudeAgent(client=api.client(), book=book, fallback=OfflineAgent())
    state = screen_message(ConversationState(), message).state
    tools = ToolBox(shop=demo_shop(), book=book, state=state, message=message)
    history = (Utterance("customer", message),)
    return tools, agent.take_turn(text=message, history=history, tools=tools)


def test_a_request_only_the_model_recognised_costs_one_request_and_no_lookups(
    api: FakeMessagesAPI,
) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="explicit_request",
            customer_words="somebody from your side look into it",
            root_cause="The customer asked for a person.",
            recommended_action="Take over.",
        )
    )
    message = "rather have somebody from your side look into it, thx"
    tools, turn = agent_turn(api, message)
    assert turn.model_requests == 1
    decision = decide(tools.state, turn.proposal).decision
    assert (decision.action, decision.trigger) == ("escalate", "explicit_request")
    assert decision.investigation_steps == 0
    assert promises_handoff(decision.reply)


def test_a_refused_claim_is_answered_and_the_model_works_on(api: FakeMessagesAPI) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="explicit_request",
            customer_words="I want to talk to a human",  # not what the customer wrote
            root_cause="The customer is angry.",
            recommended_action="Calm them down.",
        ),
        tool("find_customer", email="j.smith@example.com"),
        tool("issue_credit", order_number="1043"),
        text({"action": "resolve", "reply": "Sorry it's late: a 5.00 credit is on your account."}),
    )
    message = "ORDER 1043 IS LATE AGAIN, this is a joke. j.smith@example.com"
    tools, turn = agent_turn(api, message)
    refusal = api.tool_results(2)[0]
    assert refusal["status"] == "refused"
    assert "not in the customer's current message" in refusal["reason"]
    assert [e.tool for e in tools.effects] == ["issue_credit"]
    decision = decide(tools.state, turn.proposal).decision
    assert decision.action == "resolve"
    assert decision.investigation_steps == 2
    assert not promises_handoff(decision.reply)


def test_a_model_that_escalates_after_a_refusal_gets_no_handoff_and_no_account_questions(
    api: FakeMessagesAPI,
) -> None:
    api.script(
        tool(
            "escalate_to_human",
            trigger="explicit_request",
            customer_words="this is useless",
            root_cause="Frustrated.",
            recommended_action="Take over.",
        ),
        text({"action": "escalate", "reply": "I'm transferring you to an agent."}),
    )
    tools, turn = agent_turn(api, "this is useless")
    decision = decide(tools.state, turn.proposal).decision
    assert decision.action == "clarify"
    assert decision.ask_for == ()
    assert turn.agent == "offline (after a refused handoff)"
    assert not promises_handoff(decision.reply)


def test_an_action_asked_for_beside_an_accepted_handoff_is_not_carried_out(
    api: FakeMessagesAPI,
) -> None:
    api.script(
        tools(
            ("find_customer", {"email": "j.smith@example.com"}),
            ("create_replacement", {"order_number": "1042", "problem": "damaged"}),
            (
                "escalate_to_human",
                {
                    "trigger": "explicit_request",
                    "customer_words": "I want somebody from your side to sort this out",
                    "root_cause": "The customer asked for a person.",
                    "recommended_action": "Take over.",
                },
            ),
        )
    )
    message = (
        "lamp 1042 broke. I want somebody from your side to sort this out. j.smith@example.com"
    )
    tools_used, turn = agent_turn(api, message)
    assert turn.model_requests == 1
    assert tools_used.effects == []
    decision = decide(tools_used.state, turn.proposal).decision
    assert (decision.action, decision.trigger) == ("escalate", "explicit_request")
    assert decision.investigation_steps == 0

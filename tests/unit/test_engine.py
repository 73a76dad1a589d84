"""The engine's two stages: the rules of DESIGN.md §1 as a customer would notice them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.engine import (
    PERSON_OFFER,
    Decision,
    Proposal,
    Ruling,
    decide,
    escalation_refusal,
    identify_customer,
    promises_handoff,
    screen_message,
)
from escalation.handoff import Utterance
from escalation.ledger import ToolError, ToolResult, run_tool
from escalation.matching import CustomerCandidate
from escalation.policy import OrderFacts, PolicyBook, PolicyRequest, check_policy
from escalation.state import ConversationState
from escalation.vocabulary import ToolErrorKind, ToolName, Trigger
from tests.unit.conftest import make_book

# Our own phrasings (never taken from any evaluation set).
EXPLICIT_REQUESTS = [
    "I want to talk to a human.",
    "human please",
    "Agent pls",
    "get me a real person",
    "how do I reach an operator?",
    "Can someone call me?",
    "supervisor now",
    "HUMAN!!!",
    "I'd rather speak with somebody",
    "put me through to a representative",
    "transfer me to a live agent",
    "can i chat with a person instead",
]
FURIOUS_LATE_PARCEL = (
    "WHERE IS MY PARCEL?!?! It was due TWO DAYS AGO, this is absolutely ridiculous and "
    "I am sick of your useless shop. Order 1043."
)
ANGRY_REASONS = [
    "The customer is very angry.",
    "customer sentiment is negative (-0.9)",
    "My confidence is 3/10.",
    "I'm not sure I can handle this.",
    "Customer used caps and swearing; escalate to be safe.",
    "",
]
OFFERED = ConversationState(turn=1, customer_id="C-1", resolution_offered=True)


def fresh_turn(text: str, state: ConversationState | None = None) -> ConversationState:
    screening = screen_message(state or ConversationState(), text)
    assert screening.needs_agent, screening
    return screening.state


def run(
    state: ConversationState, tool: ToolName, *, fails: int = 0, kind: ToolErrorKind = "timeout"
) -> ConversationState:
    calls: list[int] = []

    def call() -> ToolResult:
        calls.append(1)
        if len(calls) <= fails:
            raise ToolError(kind)
        return ToolResult(outcome="ok")

    return state.record_run(run_tool(tool, call, turn=state.turn))


# --- the four seed scenarios -------------------------------------------------------------


def test_seed_frustrated_customer_with_a_simple_issue_is_resolved(book: PolicyBook) -> None:
    state = fresh_turn("THIRD time my lamp arrives smashed!!! order 1042, j.smith@example.com")
    _, state = identify_customer(
        state, [CustomerCandidate("C-1", ("j.smith@example.com",), (), ("1042",))]
    )
    state = run(state, "get_order")
    order = OrderFacts(status="delivered", days_since_order=6, days_since_delivery=3)
    state = state.record_verdict(
        check_policy(book, PolicyRequest("replacement", order, problem="damaged"))
    )
    state = run(state, "create_replacement")
    reply = "I understand this is frustrating. I've sent a replacement for order 1042."
    ruling = decide(state, Proposal(action="resolve", reply=reply))
    assert ruling.decision.action == "resolve"
    assert ruling.decision.reply == reply
    assert ruling.decision.handoff is None
    assert ruling.decision.investigation_steps == 2
    assert ruling.state.resolution_offered
    assert ruling.state.status == "bot"


def test_seed_calm_policy_exception_is_escalated_as_a_gap(book: PolicyBook) -> None:
    state = fresh_turn("Hello, could you match a competitor's lower price? Order 1043, thanks.")
    state = state.record_verdict(check_policy(book, PolicyRequest("competitor_price_match")))
    ruling = decide(
        state,
        Proposal(action="escalate", trigger="policy_gap", reply="Passing you on."),
        history=[Utterance("customer", "Hello, could you match a competitor's lower price?")],
    )
    assert ruling.decision.action == "escalate"
    assert ruling.decision.trigger == "policy_gap"
    handoff = ruling.decision.handoff
    assert handoff is not None
    assert handoff.customer_id == "unidentified"
    assert handoff.identifiers_typed.order_numbers == ("1043",)
    assert "competitor price match" in handoff.root_cause
    assert "competitor" in handoff.summary
    assert ruling.state.status == "escalated"


@pytest.mark.parametrize("text", EXPLICIT_REQUESTS)
def test_seed_explicit_request_escalates_in_the_first_response(text: str) -> None:
    screening = screen_message(ConversationState(), text)
    decision = screening.decision
    assert decision is not None, f"not honoured: {text!r}"
    assert decision.action == "escalate"
    assert decision.trigger == "explicit_request"
    assert decision.investigation_steps == 0
    assert "person" in decision.reply
    assert "first" not in decision.reply.lower()
    assert screening.state.status == "escalated"


def test_a_correction_identifies_and_the_slip_stays_on_record(
    john_smiths: list[CustomerCandidate],
) -> None:
    first = "refund for order 9917 please, my number's +1 555 0199"
    state = fresh_turn(first)
    result, state = identify_customer(state, john_smiths, message=first)
    assert result.kind == "not_found"
    correction = "sorry, typo - it's john.smith@example.net"
    state = fresh_turn(correction, state)
    # Everything typed so far together matches nobody: nothing is guessed from it.
    assert identify_customer(state, john_smiths)[0].kind == "not_found"
    result, state = identify_customer(state, john_smiths, message=correction)
    assert (result.kind, state.customer_id) == ("matched", "C-2")
    assert state.identifiers.order_numbers == ("9917",)  # what was typed stays on record


def test_a_handoff_lists_every_identifier_an_unidentified_customer_typed(
    john_smiths: list[CustomerCandidate],
) -> None:
    state = fresh_turn("it's jsmith@example.com, order 9931")
    _, state = identify_customer(state, john_smiths, message="it's jsmith@example.com, order 9931")
    screening = screen_message(state, "just get me a human")
    assert screening.decision is not None
    handoff = screening.decision.handoff
    assert handoff is not None
    assert handoff.customer_id == "unidentified"
    assert handoff.identifiers_typed.emails == ("jsmith@example.com",)
    assert handoff.identifiers_typed.order_numbers == ("9931",)


def test_seed_ambiguous_match_asks_for_identifiers_and_selects_nobody(
    john_smiths: list[CustomerCandidate],
) -> None:
    state = fresh_turn("Hi, John Smith here, where's my order?")
    result, state = identify_customer(state, john_smiths)
    assert result.kind == "ambiguous"
    # A model that picks "the most recent John Smith" is corrected, not obeyed.
    ruling = decide(state, Proposal(action="resolve", reply="Hi John, order 2051 ships today."))
    assert ruling.decision.action == "clarify"
    assert set(ruling.decision.ask_for) == {"email", "phone", "order_number"}
    assert ruling.state.customer_id is None
    for candidate in john_smiths:
        for value in (*candidate.emails, *candidate.phones, *candidate.order_numbers):
            assert value not in ruling.decision.reply


def test_an_ambiguity_is_settled_by_an_identifier_the_customer_types_later(
    john_smiths: list[CustomerCandidate],
) -> None:
    state = fresh_turn("John Smith here, where's my order?")
    _, state = identify_customer(state, john_smiths)
    state = decide(
        state, Proposal(action="clarify", reply="Which email?", ask_for=("email",))
    ).state
    state = fresh_turn("it's John.Smith@example.NET", state)
    result, state = identify_customer(state, john_smiths)
    assert result.kind == "matched"
    assert state.customer_id == "C-2"
    assert state.may_act_on("C-2")
    assert not state.may_act_on("C-1")
    assert state.pending_disambiguation == ()


# --- explicit requests: the absolute rule --------------------------------------------------

states = st.builds(
    ConversationState,
    turn=st.integers(min_value=0, max_value=20),
    customer_id=st.one_of(st.none(), st.sampled_from(["C-1", "C-9"])),
    resolution_offered=st.booleans(),
)
fillers = st.sampled_from(["", "ok. ", "Look, ", "hi again - ", "sorry but "])
endings = st.sampled_from(["", ".", "!!", " now", " please", " asap!!"])


@given(
    state=states,
    request=st.sampled_from(EXPLICIT_REQUESTS),
    before=fillers,
    after=endings,
    upper=st.booleans(),
)
def test_an_explicit_request_always_escalates_with_zero_investigation(
    state: ConversationState, request: str, before: str, after: str, upper: bool
) -> None:
    text = before + request + after
    screening = screen_message(state, text.upper() if upper else text)
    decision = screening.decision
    assert decision is not None
    assert (decision.action, decision.trigger) == ("escalate", "explicit_request")
    assert decision.investigation_steps == 0
    assert decision.handoff is not None
    # No lookup: the customer id is whatever the conversation already knew.
    assert decision.handoff.customer_id == (state.customer_id or "unidentified")


def test_an_explicit_request_carries_the_identifiers_typed_when_unidentified() -> None:
    decision = screen_message(
        ConversationState(), "Order 1042, ana@example.org - just get me a human"
    ).decision
    assert decision is not None
    assert decision.handoff is not None
    assert decision.handoff.customer_id == "unidentified"
    assert decision.handoff.identifiers_typed.emails == ("ana@example.org",)
    assert decision.handoff.identifiers_typed.order_numbers == ("1042",)
    assert decision.handoff.attempts == ()


@pytest.mark.parametrize(
    "text",
    [
        "I don't need a human, just fix it",
        "the delivery guy left it outside in the rain",
        "your agent was rude yesterday but just fix my order",
        "> I want to talk to a human\nthat's what my friend said, I just want a refund",
    ],
)
def test_people_mentioned_without_asking_for_one_do_not_escalate(text: str) -> None:
    assert screen_message(ConversationState(), text).decision is None


# --- implicit signals and reiteration after an offer ------------------------------------


def test_an_implicit_signal_is_noted_and_answered_with_an_offer_not_an_escalation() -> None:
    screening = screen_message(ConversationState(), "am I talking to a bot? my lamp is broken")
    assert screening.decision is None
    assert screening.signal.kind == "implicit"
    assert [s.kind for s in screening.state.signals] == ["implicit"]
    ruling = decide(
        screening.state, Proposal(action="resolve", reply="I can send a new lamp right away.")
    )
    assert ruling.decision.action == "resolve"
    assert ruling.decision.reply.endswith(PERSON_OFFER)
    assert ruling.state.resolution_offered


def test_a_renewed_signal_after_the_offer_escalates_as_an_explicit_request() -> None:
    state = screen_message(ConversationState(), "is this a bot? lamp broken").state
    state = decide(state, Proposal(action="resolve", reply="I can send a new lamp now.")).state
    screening = screen_message(state, "this bot is useless")
    assert screening.decision is not None
    assert screening.decision.trigger == "explicit_request"
    assert screening.decision.investigation_steps == 0
    assert screening.decision.handoff is not None
    assert "again" in screening.decision.handoff.root_cause


def test_a_first_doubt_never_escalates_whatever_the_bot_said_before() -> None:
    for text in ("are you a bot?", "hello?? is anyone there", "you're not helping"):
        fresh = screen_message(ConversationState(), text)
        assert fresh.decision is None, text
        helped = decide(
            screen_message(ConversationState(), "where is order 1042").state,
            Proposal(action="resolve", reply="Order 1042 arrives Friday."),
        ).state
        assert screen_message(helped, text).decision is None, text


def test_a_doubt_after_a_question_waits_for_a_resolution_before_it_escalates() -> None:
    # DESIGN.md: a signal renews the wish "after a resolution was offered"; asking for the order
    # number offers none yet, so the customer has not been given the chance to decline it
    state = screen_message(ConversationState(), "is anyone there? my parcel is late").state
    state = decide(
        state, Proposal(action="clarify", reply="What's your order number?", ask_for=())
    ).state
    screening = screen_message(state, "you're not helping")
    assert screening.decision is None
    state = decide(
        screening.state, Proposal(action="resolve", reply="Order 1042 arrives Friday.")
    ).state
    renewed = screen_message(state, "you're not helping")
    assert renewed.decision is not None
    assert renewed.decision.trigger == "explicit_request"


def test_the_offer_state_survives_as_plain_values() -> None:
    """A new process rebuilds the state from stored values and still sees the offer."""
    state = decide(
        screen_message(ConversationState(), "is this a bot? lamp broken").state,
        Proposal(action="resolve", reply="New lamp on its way."),
    ).state
    rebuilt = ConversationState(**{f: getattr(state, f) for f in state.__dataclass_fields__})
    assert screen_message(rebuilt, "is anyone real there?").decision is not None


def test_when_a_human_has_the_conversation_the_bot_stays_silent() -> None:
    for status in ("escalated", "claimed"):
        screening = screen_message(ConversationState(status=status), "human please")  # type: ignore[arg-type]
        assert screening.relay
        assert screening.decision is None
        assert not screening.needs_agent


# --- anti-patterns: sentiment and confidence never decide ------------------------------


def test_a_furious_message_about_a_late_parcel_is_not_escalated(book: PolicyBook) -> None:
    screening = screen_message(ConversationState(), FURIOUS_LATE_PARCEL)
    assert screening.decision is None
    assert screening.signal.kind == "none"
    state = screening.state
    late = OrderFacts(status="shipped", days_since_order=9, days_past_due=2)
    state = state.record_verdict(check_policy(book, PolicyRequest("shipping_credit", late)))
    state = run(state, "issue_credit")
    ruling = decide(
        state,
        Proposal(
            action="resolve",
            reply="I'm sorry it's late, I understand the frustration. I've added a 5.00 credit.",
        ),
    )
    assert ruling.decision.action == "resolve"


@pytest.mark.parametrize("reason", ANGRY_REASONS)
@pytest.mark.parametrize("trigger", ["explicit_request", "policy_gap", "no_progress", None])
def test_an_escalation_without_its_precondition_is_refused_whatever_the_reason(
    reason: str, trigger: Trigger | None
) -> None:
    state = fresh_turn(FURIOUS_LATE_PARCEL)
    state = run(state, "get_order")
    proposal = Proposal(action="escalate", trigger=trigger, reason=reason, reply="Transferring you")
    ruling = decide(state, proposal)
    assert ruling.decision.action != "escalate"
    assert ruling.decision.overridden
    assert "refused" in ruling.decision.reason
    assert not promises_handoff(ruling.decision.reply)
    assert ruling.state.status == "bot"


def precondition_states(book: PolicyBook) -> dict[Trigger, ConversationState]:
    gap = fresh_turn("can you price match?").record_verdict(
        check_policy(book, PolicyRequest("competitor_price_match"))
    )
    blocked = run(
        fresh_turn("refund my order 1042 please"), "issue_refund", fails=1, kind="forbidden"
    )
    return {"policy_gap": gap, "no_progress": blocked}


@given(reason=st.text(max_size=80) | st.sampled_from(ANGRY_REASONS))
def test_reason_text_never_changes_the_decision(reason: str) -> None:
    for trigger, state in precondition_states(make_book()).items():
        plain = decide(state, Proposal(action="escalate", trigger=trigger, reply="x"))
        worded = decide(
            state, Proposal(action="escalate", trigger=trigger, reply="x", reason=reason)
        )
        assert (worded.decision.action, worded.decision.trigger) == (
            plain.decision.action,
            plain.decision.trigger,
        )
        assert worded.decision.trigger == trigger
    unfounded = fresh_turn("where is my parcel")
    for trigger in ("policy_gap", "no_progress", "explicit_request"):
        assert (
            decide(
                unfounded, Proposal(action="escalate", trigger=trigger, reply="x", reason=reason)
            ).decision.action
            == "clarify"
        )


# --- gap vs violation -------------------------------------------------------------------

REFUND_DAY_45 = OrderFacts(status="delivered", days_since_order=50, days_since_delivery=45)


def test_a_violation_is_declined_with_the_rule_not_escalated(book: PolicyBook) -> None:
    state = fresh_turn("I want my money back for order 3307")
    state = state.record_verdict(check_policy(book, PolicyRequest("refund", REFUND_DAY_45)))
    escalated = decide(state, Proposal(action="escalate", trigger="policy_gap", reply="..."))
    assert escalated.decision.action == "decline"
    assert "30 days" in escalated.decision.reply
    assert "45 days" in escalated.decision.reply
    declined = decide(state, Proposal(action="decline", reply="Sorry, outside 30 days."))
    assert declined.decision.action == "decline"
    assert declined.state.resolution_offered


def test_a_gap_found_this_turn_is_escalated_even_if_the_agent_tries_to_answer(
    book: PolicyBook,
) -> None:
    state = fresh_turn("could you gift wrap it?")
    state = state.record_verdict(check_policy(book, PolicyRequest("gift_wrapping")))
    ruling = decide(state, Proposal(action="decline", reply="We don't do that."))
    assert (ruling.decision.action, ruling.decision.trigger) == ("escalate", "policy_gap")
    assert ruling.decision.overridden


def test_a_gap_verdict_is_the_only_ground_for_policy_gap(book: PolicyBook) -> None:
    allowed = fresh_turn("cancel order 2051").record_verdict(
        check_policy(book, PolicyRequest("cancellation", OrderFacts("processing", 1)))
    )
    assert escalation_refusal(allowed, "policy_gap") is not None
    gap = allowed.record_verdict(check_policy(book, PolicyRequest("engraving")))
    assert escalation_refusal(gap, "policy_gap") is None


# --- no_progress only after real, failed attempts -------------------------------------


@pytest.mark.parametrize(("fails", "kind"), [(1, "timeout"), (2, "unavailable")])
def test_transient_faults_that_recover_are_not_no_progress(fails: int, kind: ToolErrorKind) -> None:
    state = run(fresh_turn("where is order 1043"), "get_order", fails=fails, kind=kind)
    assert state.ledger.investigation_steps(state.turn) == fails + 1
    ruling = decide(state, Proposal(action="escalate", trigger="no_progress", reply="x"))
    assert ruling.decision.action != "escalate"
    ok = decide(state, Proposal(action="resolve", reply="It ships tomorrow."))
    assert ok.decision.action == "resolve"


@pytest.mark.parametrize(
    ("fails", "kind", "calls"),
    [(3, "timeout", 3), (9, "unavailable", 3), (1, "forbidden", 1), (1, "bug", 1)],
)
def test_a_blocked_need_forces_no_progress_listing_the_attempts(
    fails: int, kind: ToolErrorKind, calls: int
) -> None:
    state = run(fresh_turn("refund order 1042 please"), "issue_refund", fails=fails, kind=kind)
    ruling = decide(
        state,
        Proposal(action="resolve", reply="Done, refunded!"),
        history=[Utterance("customer", "refund order 1042 please")],
    )
    decision = ruling.decision
    assert (decision.action, decision.trigger) == ("escalate", "no_progress")
    assert decision.overridden
    assert decision.investigation_steps == calls
    assert decision.handoff is not None
    assert len(decision.handoff.attempts) == calls
    assert all(line.startswith("issue_refund call") for line in decision.handoff.attempt_lines())
    assert "issue_refund" in decision.handoff.root_cause
    assert "refunded" not in decision.reply


def test_no_progress_without_trying_is_refused() -> None:
    ruling = decide(
        fresh_turn("my account page shows an error"),
        Proposal(
            action="escalate",
            trigger="no_progress",
            reason="I might not manage this",
            reply="I'll get a colleague.",
        ),
    )
    assert ruling.decision.action == "clarify"
    assert "refused" in ruling.decision.reason


# --- what the customer is told ----------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "I'll transfer you to a human agent now.",
        "Let me connect you with someone from our team.",
        "I'm escalating this to a specialist.",
        "I'll hand you over to my colleague.",
    ],
)
def test_a_reply_that_promises_a_handoff_without_one_is_corrected(reply: str) -> None:
    ruling = decide(fresh_turn("where is order 1043"), Proposal(action="resolve", reply=reply))
    assert ruling.decision.action == "resolve"
    assert not promises_handoff(ruling.decision.reply)
    assert ruling.decision.overridden


@pytest.mark.parametrize(
    "reply",
    ["Your kettle shipped yesterday.", "I've sent a replacement.", "Could you share your email?"],
)
def test_ordinary_replies_are_not_mistaken_for_handoffs(reply: str) -> None:
    assert not promises_handoff(reply)


def test_clarify_only_asks_for_known_identifier_kinds() -> None:
    proposal = Proposal(
        action="clarify",
        reply="Which account?",
        ask_for=("order_number", "email", "email"),
    )
    ruling = decide(fresh_turn("hi"), proposal)
    assert ruling.decision.ask_for == ("email", "order_number")
    resolve = decide(fresh_turn("hi"), Proposal(action="resolve", reply="ok", ask_for=("email",)))
    assert resolve.decision.ask_for == ()


def test_every_escalation_carries_a_complete_handoff(book: PolicyBook) -> None:
    state = fresh_turn("order 1042: can you engrave my name on it?")
    _, state = identify_customer(state, [CustomerCandidate("C-1", order_numbers=("1042",))])
    state = run(state, "get_order")
    state = state.record_verdict(check_policy(book, PolicyRequest("engraving")))
    history = [Utterance("customer", "order 1042: can you engrave my name on it?")]
    ruling = decide(
        state,
        Proposal(
            action="escalate",
            trigger="policy_gap",
            reply="x",
            recommended_action="Decide on engraving. Then tell them.",
        ),
        history=history,
    )
    handoff = ruling.decision.handoff
    assert handoff is not None
    assert handoff.customer_id == "C-1"
    assert handoff.trigger == "policy_gap"
    assert handoff.root_cause.count(".") == 1
    assert handoff.recommended_action == "Decide on engraving."
    assert handoff.attempt_lines() == ("get_order call 1: ok",)
    assert handoff.policy_cited is None  # a gap cites no rule
    assert handoff.summary.startswith("Customer: order 1042")


def decisions_for(
    make: Callable[[], ConversationState], proposals: list[Proposal]
) -> list[Decision]:
    return [decide(make(), p).decision for p in proposals]


def test_stage_two_is_deterministic() -> None:
    proposals = [Proposal(action="resolve", reply="ok"), Proposal(action="escalate", reply="x")]
    first = decisions_for(lambda: fresh_turn("hello"), proposals)
    second = decisions_for(lambda: fresh_turn("hello"), proposals)
    assert first == second
    assert isinstance(decide(fresh_turn("hello"), proposals[0]), Ruling)


def test_claiming_success_after_a_refused_action_becomes_a_decline(book: PolicyBook) -> None:
    state = fresh_turn("refund order 3307 now")
    state = state.record_verdict(check_policy(book, PolicyRequest("refund", REFUND_DAY_45)))
    state = state.record_attempts(
        *run_tool("issue_refund", lambda: ToolResult(outcome="refused"), turn=state.turn).attempts
    )
    ruling = decide(state, Proposal(action="resolve", reply="Done! Your refund is on its way."))
    assert ruling.decision.action == "decline"
    assert "on its way" not in ruling.decision.reply
    assert "30 days" in ruling.decision.reply


def test_a_violation_beside_a_completed_action_still_resolves(book: PolicyBook) -> None:
    state = fresh_turn("refund 3307 and credit me for the late 1043")
    state = state.record_verdict(check_policy(book, PolicyRequest("refund", REFUND_DAY_45)))
    state = run(state, "issue_credit")
    ruling = decide(state, Proposal(action="resolve", reply="Credit added; no refund, sorry."))
    assert ruling.decision.action == "resolve"


def test_a_bare_number_answers_the_question_the_bot_asked() -> None:
    asked = decide(
        fresh_turn("where's my parcel?"),
        Proposal(action="clarify", reply="What's the order number?", ask_for=("order_number",)),
    ).state
    assert asked.asked_for == ("order_number",)
    answered = screen_message(asked, "it's 1042").state
    assert answered.identifiers.order_numbers == ("1042",)
    unasked = screen_message(ConversationState(), "it's 1042").state
    assert unasked.identifiers.order_numbers == ()


def test_after_a_hand_back_old_grounds_no_longer_justify_an_escalation() -> None:
    escalated = screen_message(ConversationState(), "I want a person").state
    state = screen_message(escalated.reopened(), "THIS IS RIDICULOUS, my kettle is late!!!").state
    ruling = decide(
        state,
        Proposal(
            action="escalate", trigger="explicit_request", reason="customer is furious", reply="x"
        ),
    )
    assert ruling.decision.action != "escalate"
    assert state.signals == ()


def test_an_escalation_says_first_what_the_turn_already_carried_out() -> None:
    state = fresh_turn("my kettle is late, and the lamp from 1042 came cracked")
    credit = run_tool(
        "issue_credit", lambda: ToolResult("ok", "issue_credit 1043"), turn=state.turn
    )
    state = run(state.record_run(credit), "create_replacement", fails=3)
    ruling = decide(state, Proposal(action="escalate", trigger="no_progress", reply="x"))
    assert ruling.decision.action == "escalate"
    assert ruling.decision.reply.startswith(
        "I've taken care of the shipping credit for order 1043."
    )
    assert "create replacement system isn't working" in ruling.decision.reply


def test_an_escalation_with_nothing_carried_out_says_only_the_handoff() -> None:
    state = run(fresh_turn("where is order 1043?"), "get_order", fails=3)
    reply = decide(state, Proposal(action="escalate", trigger="no_progress", reply="x")).decision
    assert "taken care" not in reply.reply


@pytest.mark.parametrize("trigger", ["explicit_request", "policy_gap", "no_progress"])
def test_out_of_hours_a_handoff_reply_promises_no_reply_now(trigger: str) -> None:
    from escalation.engine import HANDOFF_REPLY, out_of_hours_reply  # noqa: PLC0415

    template = HANDOFF_REPLY[trigger]  # type: ignore[index]
    reply = out_of_hours_reply(template.format(what="the refund system"))
    assert " now" not in reply
    assert "reply right here" not in reply
    assert reply.endswith(".")
    assert reply != template  # every template had such a promise to take out

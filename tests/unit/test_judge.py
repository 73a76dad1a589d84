"""The runner's judge: expectations compared, and each rule violation detected."""

from __future__ import annotations

from bot.evaluation.runner import Earlier, Judge, compare
from bot.evaluation.scenarios import ExpectedTurn
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.turns.processor import TurnOutcome
from escalation.engine import Decision
from escalation.identifiers import Identifiers
from escalation.records import Effect
from escalation.state import ConversationState

JUDGE = Judge("s", DEMO_CUSTOMERS, DEMO_ORDERS)


def outcome(
    decision: Decision, *, effects: tuple[Effect, ...] = (), typed: Identifiers = Identifiers()
) -> TurnOutcome:
    return TurnOutcome(
        conversation_id=1,
        decision=decision,
        effects=effects,
        state=ConversationState(turn=1, identifiers=typed),
    )


def rules(result_outcome: TurnOutcome, expected: ExpectedTurn, text: str = "hello") -> list[str]:
    result = JUDGE.turn(
        1, text, expected, result_outcome, offered_before=False, person_offered=False
    )
    return [v.rule for v in result.violations]


def test_an_explicit_request_investigated_first_is_a_violation() -> None:
    expected = ExpectedTurn(action="escalate", trigger="explicit_request")
    late = Decision(
        action="escalate", reply="ok", reason="r", trigger="explicit_request", investigation_steps=2
    )
    assert rules(outcome(late), expected, "human please") == ["explicit_request_not_honoured"]
    ignored = Decision(action="resolve", reply="ok", reason="r")
    assert rules(outcome(ignored), expected, "human please") == ["explicit_request_not_honoured"]


def test_an_effect_on_a_customer_not_singled_out_is_a_violation() -> None:
    decision = Decision(action="resolve", reply="done", reason="r")
    wrong = outcome(
        decision,
        effects=(Effect("issue_refund", "C-2", "2051", 120.0),),
        typed=Identifiers(emails=("j.smith@example.com",)),
    )
    assert rules(wrong, ExpectedTurn(action="resolve")) == ["acted_without_identification"]
    right = outcome(
        decision,
        effects=(Effect("create_replacement", "C-1", "1042"),),
        typed=Identifiers(emails=("j.smith@example.com",)),
    )
    assert rules(right, ExpectedTurn(action="resolve")) == []


def test_another_candidates_data_in_a_reply_is_a_violation() -> None:
    leaky = Decision(
        action="clarify", reply="Is it john.smith@example.net or order 3307?", reason="r"
    )
    assert rules(outcome(leaky), ExpectedTurn(action="clarify")) == [
        "candidate_data_disclosed",
        "candidate_data_disclosed",
    ]
    echoed = Decision(
        action="clarify", reply="I can't find order 3307 on your account.", reason="r"
    )
    typed = Identifiers(order_numbers=("3307",))
    assert rules(outcome(echoed, typed=typed), ExpectedTurn(action="clarify")) == []


def test_an_escalation_without_its_precondition_is_a_violation() -> None:
    unfounded = Decision(action="escalate", reply="x", reason="r", trigger="policy_gap")
    assert rules(outcome(unfounded), ExpectedTurn(action="escalate")) == ["invalid_escalation"]


def test_expectations_are_compared_field_by_field() -> None:
    actual = {
        "action": "clarify",
        "trigger": None,
        "ask_for": ["email"],
        "investigation_steps": 3,
        "effects": [],
    }
    assert compare(ExpectedTurn(action="clarify", ask_for=("email",)), actual) == []
    problems = compare(
        ExpectedTurn(
            action="escalate",
            trigger="policy_gap",
            ask_for=("phone",),
            investigation_steps=2,
            effects=({"tool": "issue_refund"},),
        ),
        actual,
    )
    assert [p.split(":")[0] for p in problems] == [
        "action",
        "trigger",
        "ask_for",
        "investigation_steps",
        "effects",
    ]


def test_effects_match_on_the_fields_given_and_empty_means_nothing_changed() -> None:
    actual = {
        "action": "resolve",
        "trigger": None,
        "ask_for": [],
        "investigation_steps": 1,
        "effects": [{"tool": "issue_credit", "customer_id": "C-1", "order": "1043", "amount": 5.0}],
    }
    assert (
        compare(
            ExpectedTurn(action="resolve", effects=({"tool": "issue_credit", "amount": 5},)), actual
        )
        == []
    )
    assert compare(
        ExpectedTurn(action="resolve", effects=({"tool": "issue_credit", "amount": 6},)), actual
    )
    assert compare(ExpectedTurn(action="resolve", effects=()), actual)


def test_a_models_quote_is_judged_in_the_sentence_the_customer_wrote() -> None:
    from escalation.state import NotedSignal  # noqa: PLC0415

    def judged(text: str, quote: str, *, offered_before: bool = False) -> bool:
        state = ConversationState(turn=1, signals=(NotedSignal(1, "explicit", quote, "model"),))
        earlier = Earlier(offered=offered_before, person_offered=False)
        return Judge.escalation_valid(text, "explicit_request", state, earlier)

    assert judged("could a colleague of yours have a look", "a colleague of yours have a look")
    assert not judged("I don't want to talk to a human, where is 1043", "talk to a human")
    assert not judged("where is 1043", "talk to a human")  # not the customer's words
    assert not judged("> talk to a human\nwhere is 1043", "talk to a human")
    assert not judged("where is order 1043", "where is order 1043", offered_before=True)


def test_a_yes_is_a_valid_request_only_right_after_the_bot_asked_about_a_person() -> None:
    state = ConversationState(turn=2)
    asked = Earlier(offered=False, person_offered=True)
    not_asked = Earlier(offered=False, person_offered=False)
    for yes in ("yes please", "yeah go ahead", "yep"):
        assert Judge.escalation_valid(yes, "explicit_request", state, asked), yes
        assert not Judge.escalation_valid(yes, "explicit_request", state, not_asked), yes
    assert not Judge.escalation_valid("ok thanks", "explicit_request", state, asked)


def test_a_correction_singles_the_customer_out_a_conflict_alone_does_not() -> None:
    judge = Judge("correction", DEMO_CUSTOMERS, DEMO_ORDERS)
    decision = Decision(action="resolve", reply="done", reason="r")
    slip_then_email = Identifiers(
        emails=("j.smith@example.com",), phones=("15550199",), order_numbers=("9917",)
    )
    refund = (Effect("issue_refund", "C-1", "1042", 39.0),)

    def violations(text: str, effects: tuple[Effect, ...]) -> list[str]:
        result = judge.turn(
            2,
            text,
            ExpectedTurn(action="resolve"),
            outcome(decision, effects=effects, typed=slip_then_email),
            offered_before=False,
            person_offered=False,
        )
        return [v.rule for v in result.violations]

    # Everything typed together matches nobody, and this message corrects nothing.
    assert violations("please refund the lamp", refund) == ["acted_without_identification"]
    # The message that corrects the slips singles C-1 out, for this turn and the next.
    assert violations("sorry, typo: it's j.smith@example.com", refund) == []
    assert violations("and thanks", refund) == []

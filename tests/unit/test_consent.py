"""A yes to the bot's own question "would you rather talk to a person?" is a request for one;
the same words anywhere else, and acknowledgements, are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.engine import PERSON_IF_PREFERRED, PERSON_OFFER, Proposal, decide, screen_message
from escalation.ledger import Attempt
from escalation.signals import consent_words
from escalation.state import ConversationState

YES = [
    "yes",
    "Yes please",
    "yeah",
    "yep 👍",
    "yup, go ahead",
    "sure",
    "Sure thing!",
    "yes pls",
    "yess plz",
    "ok do it",
    "okay, go ahead and bring someone in",
    "yes, a real person please",
    "of course",
    "absolutely, thanks",
    "yes I would",
    "that would be great",
    "please do",
]
NOT_YES = [
    "ok",
    "ok thanks",
    "oh ok, thank you",
    "great, thanks!",
    "k",
    "no",
    "no thanks",
    "nope, all good",
    "yes it arrived",
    "yes, order 1042",
    "yes but first tell me where my parcel is",
    "not now",
    "thanks",
]


def offered_a_person() -> ConversationState:
    """A doubt, then a resolution: the reply ends by asking about a person."""
    doubted = screen_message(ConversationState(), "is this a bot? my lamp came broken").state
    ruling = decide(doubted, Proposal(action="resolve", reply="A new lamp is on its way."))
    assert ruling.decision.reply.endswith(PERSON_OFFER)
    return ruling.state


@pytest.mark.parametrize("text", YES)
def test_a_yes_to_the_offered_person_escalates_at_once(text: str) -> None:
    screening = screen_message(offered_a_person(), text)
    assert screening.decision is not None, text
    assert screening.decision.trigger == "explicit_request"
    assert screening.decision.investigation_steps == 0
    assert "the person the bot offered" in screening.decision.reason


@pytest.mark.parametrize("text", NOT_YES)
def test_acknowledgements_and_other_answers_do_not(text: str) -> None:
    assert screen_message(offered_a_person(), text).decision is None, text


@pytest.mark.parametrize("text", [t for t in YES if "someone" not in t and "person" not in t])
def test_a_yes_with_no_person_asked_about_is_no_request(text: str) -> None:
    helped = decide(
        screen_message(ConversationState(), "where is order 1042").state,
        Proposal(action="clarify", reply="Would you like the tracking link?", ask_for=()),
    ).state
    assert screen_message(helped, text).decision is None, text


def test_the_question_is_answered_only_on_the_next_turn() -> None:
    state = offered_a_person()
    later = decide(
        screen_message(state, "where is order 1042").state,
        Proposal(action="resolve", reply="It arrives Friday."),
    ).state
    assert screen_message(later, "yes").decision is None


def test_a_refused_handoff_asks_the_customer_about_a_person() -> None:
    """The agent wanted a person for the customer and the engine saw no ground: the customer
    gets the question, and a yes is then enough."""
    state = screen_message(ConversationState(), "my lamp came broken, order 1042").state
    refused = Attempt("escalate_to_human", state.turn, 1, "refused", detail="no request")
    state = state.record_attempts(refused)
    ruling = decide(state, Proposal(action="resolve", reply="A new lamp is on its way."))
    assert ruling.decision.reply.endswith(PERSON_OFFER)
    assert screen_message(ruling.state, "yes please").decision is not None


def test_a_plain_resolution_asks_nothing_about_a_person() -> None:
    state = screen_message(ConversationState(), "where is order 1042").state
    ruling = decide(state, Proposal(action="resolve", reply="It arrives Friday."))
    assert PERSON_OFFER not in ruling.decision.reply
    assert ruling.state.person_offered_turn == 0


@given(st.text(max_size=40))
def test_consent_is_always_the_customers_whole_message(text: str) -> None:
    words = consent_words(text)
    assert words is None or words == text.strip()


def test_a_reply_that_already_asks_for_a_yes_offers_a_person_without_a_second_yes() -> None:
    """ "I can cancel it instead: just reply yes" with a doubt in the same turn: a yes must mean
    the cancellation, so the person is offered in words that need the customer's own request."""
    doubted = screen_message(ConversationState(), "are you a bot? refund order 1042").state
    reply = (
        "I can't refund it yet. I can cancel order 1042 instead. Just reply yes and I'll do that."
    )
    ruling = decide(doubted, Proposal(action="decline", reply=reply))
    assert PERSON_OFFER not in ruling.decision.reply
    assert PERSON_IF_PREFERRED in ruling.decision.reply
    assert ruling.state.person_offered_turn == 0
    assert screen_message(ruling.state, "yes").decision is None

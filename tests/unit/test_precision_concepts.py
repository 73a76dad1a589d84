"""Vetoes and addressees read as concepts: the customer handing over their own details, a
declined offer, the bot addressed by its title, a person named by a job suffix, a staff member
who acted on the case, and the act as a failing subject.

Every phrasing was written for these tests from the class it illustrates; none comes from an
evaluation set.
"""

from __future__ import annotations

import pytest

from escalation.signals import detect_human_request, request_words_refusal


@pytest.mark.parametrize(
    "text",
    [
        "we'd prefer not to share a mobile number when signing up",
        "i never give my email address to shops",
        "no thanks to the live chat, just browsing",
        "hey assistant, cancel the second item",
        "okay assistant, what sizes do you have",
        "my son's tutor wants to talk to his teacher",
        "speaking with a rep will never fix this, just refund me",
        "please resend it to my inbox",
    ],
)
def test_own_details_declines_and_the_bot_addressed_are_no_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "could I have a quick chat with your dermatologist",
        "i would like to speak to the optician please",
        "can I talk to whoever approved my refund",
        "I'd like a word with the person who reviewed my claim",
        "I want to discuss a missing parcel with someone from your team",
        "how can I contact your complaints resolution officer",
        "is there a duty manager at the Leith store I can talk to",
        "I need whoever is in charge of returns",
        "put us in the queue for support please",
    ],
)
def test_people_named_by_job_or_by_what_they_did_on_the_case(text: str) -> None:
    found = detect_human_request(text)
    assert found.kind == "explicit", (text, found)
    assert request_words_refusal(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "I need to contact the person who bought my old bike",
        "the seller who sent me the wrong size wants it back",
    ],
)
def test_a_third_party_described_by_what_they_did_stays_a_third_party(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "i can't connect my speaker to the bluetooth",
        "couldn't reach the login page all morning",
        "unable to connect the printer to your app",
    ],
)
def test_reaching_a_thing_is_no_dead_line(text: str) -> None:
    assert detect_human_request(text).kind == "none", text


def test_reaching_a_person_that_fails_stays_a_dead_line() -> None:
    assert detect_human_request("been trying to ring your helpline all day").kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "yes to the callback offer",
        "ok - yes to the live chat option",
        "y, transfer",
        "sure: connect me",
    ],
)
def test_consent_to_an_offered_person_or_channel(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize("text", ["yes to the voucher offer", "no thanks to the callback offer"])
def test_consent_to_something_else_or_a_declined_offer_is_no_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


def test_asking_how_many_times_one_must_ask_is_a_request() -> None:
    assert detect_human_request("how many times do I need to ask for a supervisor").kind == (
        "explicit"
    )


@pytest.mark.parametrize(
    "text",
    [
        "could one of your team have a look at my booking",
        "I'd rather have a rep look into order 77",
    ],
)
def test_a_person_asked_to_look_at_the_matter_however_it_is_named(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize("quote", ["a supervisor check it", "someone from billing look into"])
def test_a_quote_may_begin_at_the_person_asked_to_act(quote: str) -> None:
    assert request_words_refusal(quote) is None, quote


@pytest.mark.parametrize("quote", ["the supervisor checked it", "the driver phoned me twice"])
def test_a_person_who_acted_in_the_past_is_no_request_in_a_quote(quote: str) -> None:
    assert request_words_refusal(quote) is not None, quote

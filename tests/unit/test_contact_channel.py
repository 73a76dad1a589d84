"""The company's contact channel as an addressee: its owner (the company, its support, a team,
or implied) x a channel noun x a request frame, a bare noun phrase included; and the vetoes for
the customer's own details, someone else's, and places.

Every phrasing was written for these tests from the class it illustrates; none comes from an
evaluation set.
"""

from __future__ import annotations

import pytest

from escalation.signals import detect_human_request, request_words_refusal

OWNED = ["your", "ur", "the support", "your customer care", "the official"]
NOUNS = ["email address", "phone number", "contact details", "contact info", "contact options"]


@pytest.mark.parametrize("owner", OWNED)
@pytest.mark.parametrize("noun", NOUNS)
@pytest.mark.parametrize(
    "frame", ["what is {x}?", "could you send me {x}", "where do I find {x}", "I need {x} pls"]
)
def test_the_companys_channel_asked_for(frame: str, owner: str, noun: str) -> None:
    text = frame.format(x=f"{owner} {noun}")
    found = detect_human_request(text)
    assert found.kind == "explicit", (text, found)
    assert request_words_refusal(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "contact info?",
        "Contacts",
        "help desk number",
        "helpdesk email?",
        "ur contact page plz",
        "Company contact",
        "hotline",
        "customer care line no pls",
    ],
)
def test_a_bare_channel_is_the_whole_request(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "any way to message you folks via facebook?",
        "can i look up your service team on instagram",
        "how do I reach out to you lot",
        "can I set up video calls with support",
    ],
)
def test_other_channels_to_reach_the_company(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "please change the contact details on my profile",
        "my mobile number is different now",
        "I typed my email address wrong at checkout",
        "what's my landlord's phone number, I lost it",
        "you can text me on 07700 900123 whenever",
        "reach me at sam.jones@example.org",
        "where exactly is the address of your warehouse",
        "Email address: sam@example.net",
        "your email was in my spam folder",
        "I keep my contacts in a notebook",
    ],
)
def test_own_others_and_places_are_no_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text

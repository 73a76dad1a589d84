"""Concept classes of the implicit signal and the explicit vetoes widened with them.

Implicit: doubt about or disparagement of the bot, its answers or the chat (a script, canned
replies, loops, a thing with no brain, nobody reading), and hints at a person without asking.
Anger at the shop stays out: its subject is a parcel or a service, never the bot. Phrasings
are written here, not taken from any development set.
"""

from __future__ import annotations

import pytest

from escalation.signals import detect_human_request


def kind(text: str) -> str:
    return detect_human_request(text).kind


@pytest.mark.parametrize(
    "text",
    [
        # the bot doing a job it cannot do, named without a bot word
        "you are obviously not reading anything I type",
        "your answers make no sense at all",
        "everything you say is off topic",
        "you sound like an answering machine",
        "i bet you were programmed to stall",
        "you are only following a script here",
        "my help desk ticket got another templated reply",
        "more copy pasted nonsense",
        "you keep replying to the wrong question",
        "you clearly can not deal with tricky questions",
        "tired of explaining it to a machine",
        # the bot named as the subject of a complaint
        "the robot keeps sending me in circles",
        "this ai is worse than a paper manual",
        "bots like this make me want to leave",
        "how do I get past the bot",
        "clearly just an AI",
        # loops and dead ends
        "this chat is not going anywhere",
        "another dead end",
        "stop sending me help articles",
        "we keep looping",
        # nobody home, no brain behind it
        "does any human ever look at these",
        "no one is even reading this, are they",
        "feels like typing into the void",
        "is there a brain on the other side of this",
        "I'd settle for a reply from anything with a pulse",
        "helloooo?",
        # comparisons that disparage the bot
        "a goldfish would understand this better",
        "about as useful as a screen door on a submarine",
        "I need actual answers, not canned replies",
        # hints at a person, no request
        "could anybody at the warehouse confirm it shipped",
        "surely someone over there can approve a refund",
        "does anyone there actually know the returns policy",
        "someone competent would have sorted this by now",
        "should I just ring the shop instead",
        "can anyone tell me why the fee went up",
    ],
)
def test_doubts_and_hints_are_implicit(text: str) -> None:
    assert kind(text) == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        # anger at the shop keeps its own subject
        "your service is useless",
        "this delivery is a joke",
        "the courier is hopeless and the parcel is late",
        "your prices make no sense",
        # a bot word in another sense, or the bot accepted
        "the robot mower keeps stopping halfway",
        "does the ai size guide work for kids",
        "thanks bot, sorted",
        "happy to use the bot, where is order 4471?",
        "the bot told me exchanges are free, is that also true for sale items",
        # a third party's script, someone approving in the past
        "the courier on the phone was just reading from a script",
        "has anyone approved my return yet",
    ],
)
def test_anger_at_the_shop_and_other_senses_are_none(text: str) -> None:
    assert kind(text) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "the lady on the support line last week fixed it, thanks",
        "please add a second contact person to my profile",
        "set my contact preferences so you only text me",
        "can I voice chat with friends on the console",
        "Hi, this is Dana, the account owner",
        "chat assistant, show my last invoice",
    ],
)
def test_hard_negatives_are_not_explicit(text: str) -> None:
    assert kind(text) != "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "could a live person reset my password",
        "can a real human please cancel it for me",
        "speak to a real one",
        "i want talk to real woman from support",
        "please arrange for human advisor to call me",
        "I'd rather go through all of this with a member of staff",
        "liv agent",
        "how do I contact an assistant",
    ],
)
def test_requests_for_a_real_person_are_explicit(text: str) -> None:
    assert kind(text) == "explicit"


@pytest.mark.parametrize(
    "text", ["this is pointless", "honestly so unhelpful.", "you're no use", "all this is hopeless"]
)
def test_a_whole_message_judging_the_chat_is_a_doubt_about_the_bot(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text", ["this charger is useless", "the app is pointless without wifi, can I get a refund"]
)
def test_the_same_judgement_of_a_product_is_no_doubt(text: str) -> None:
    assert detect_human_request(text).kind == "none", text


@pytest.mark.parametrize(
    "text",
    ["yeah no, still not convinced a bot got this right", "I doubt the bot did it properly"],
)
def test_doubting_what_the_bot_did_is_an_implicit_signal(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    "text", ["I'm not sure you got my email right, it's a@b.com", "I don't think you did wrong"]
)
def test_doubting_a_detail_is_no_signal(text: str) -> None:
    assert detect_human_request(text).kind == "none"


def test_nobody_at_the_customers_home_is_no_signal() -> None:
    text = "could the courier come on Saturday? on weekdays I'm at work and nobody is home"
    assert detect_human_request(text).kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "it says cancelled but I'd feel better if a human double-checked it",
        "can someone look?",
        "could a real person please have a look?",
    ],
)
def test_a_person_asked_to_check_or_look_is_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


def test_someone_to_look_at_a_car_is_no_request_for_our_staff() -> None:
    assert detect_human_request("i need someone to look at my car").kind != "explicit"


def test_rather_a_person_looked_this_over_is_explicit() -> None:
    text = "Fine, thank you, but I'd still rather a real human looked this over."
    assert detect_human_request(text).kind == "explicit"


def test_feeling_better_not_dealing_with_a_bot_is_a_signal() -> None:
    text = "Thanks, but honestly I'd feel better not dealing with a bot about this."
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "hey is anybody even reading my messages",
        "anyone human on the other side of this?",
        "hello?? any actual human out there",
        "anyone real monitoring this chat",
    ],
)
def test_asking_whether_anyone_reads_at_all_is_an_implicit_signal(text: str) -> None:
    assert kind(text) == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not sorting it out with a robot",
        "i refuse to argue with a bot about my own money",
        "not going to chat with a machine any longer",
        "done talking to this AI",
    ],
)
def test_turning_the_bot_down_is_an_implicit_signal_not_a_request(text: str) -> None:
    assert kind(text) == "implicit"

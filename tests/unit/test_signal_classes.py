"""More concept classes of the human-request detector: chat shorthand, code-switching
particles, waiting in line for a person, a person asked to call, a talk held with a person, and
the vetoes that go with them.

Every phrasing was written for these tests from the class it illustrates; none comes from an
evaluation set.
"""

from __future__ import annotations

import pytest

from escalation.signals import detect_human_request, request_words_refusal

PEOPLE = ["a rep", "an agent", "a supervisor", "sum1 in billing", "a manager", "ur staff"]


def _explicit(text: str) -> None:
    found = detect_human_request(text)
    assert found.kind == "explicit", (text, found)
    assert request_words_refusal(text) is None, text


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(
    "shorthand", ["spk 2 {x}", "nd 2 tlk 2 {x} plz", "wanna tlk 2 {x} rn", "cn i spk ot {x}"]
)
def test_chat_shorthand_for_the_act_and_its_preposition(shorthand: str, who: str) -> None:
    _explicit(shorthand.format(x=who))


@pytest.mark.parametrize(
    "text",
    [
        "paki-transfer po ako sa supervisor",
        "pwede po makausap ang manager",
        "pa-connect naman po sa agent",
        "Need ko po ng representative, salamat",
    ],
)
def test_filipino_particles_around_an_english_request(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize("who", ["the next available advisor", "a specialist", "a real human"])
@pytest.mark.parametrize(
    "frame", ["I'm happy to hold for {x}", "put me in the queue for {x} please", "ok, wait for {x}"]
)
def test_waiting_in_line_for_a_person(frame: str, who: str) -> None:
    _explicit(frame.format(x=who))


@pytest.mark.parametrize(
    "text",
    [
        "ok I'll take the callback",
        "go on then, transfer me across",
        "I'd like a call from your returns team",
        "kindly arrange an agent call back for tomorrow",
        "ask a supervisor to ring my mobile this afternoon",
        "could someone in your fraud team give me a ring",
        "could a person from your billing team phone my landline",
        "can a manager take over this conversation",
        "is someone available on the phone",
    ],
)
def test_a_call_or_handover_asked_of_a_person(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'd prefer to go through this issue with one of your staff",
        "could I start a conversation with a specialist",
        "I'd like to continue this chat with a human",
        "can I have a quick natter with one of your lot",
        "I need to speak with your senior about this",
        "put me through to the night manager",
        "where can I find a supervisor",
        "how do I get a human on this",
        "can I talk to whoever's responsible",
        "connecttoanagentplease",
    ],
)
def test_a_talk_held_with_a_person_however_named(text: str) -> None:
    _explicit(text)


def test_a_condition_is_not_a_negation() -> None:
    _explicit("if you don't get me a manager I'm cancelling")


@pytest.mark.parametrize(
    "text",
    [
        "the chat agents were friendly enough last week",
        "why did you put me through to billing?",
        "I really don't want anyone to ring me",
        "there's no need for a person to call me",
        "we had a chat with an agent yesterday",
        "my PO number is 4471",
        "the night manager at the store was rude",
        "the next available slot is fine",
        "I'll take the refund instead",
        "I'd like to continue with the return",
        "can my husband call you tomorrow",
    ],
)
def test_people_and_calls_mentioned_without_a_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    ["somebody help me, the app keeps crashing", "anyone please help", "this needs a human touch"],
)
def test_help_from_anyone_is_a_hint(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text",
    [
        "is this something I should call someone about?",
        "do I have to go to a branch and speak to someone?",
    ],
)
def test_asking_whether_a_person_is_needed_is_a_hint(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text",
    [
        "are these answers generated?",
        "is anybody actually reading what I write",
        "those bots never work properly",
        "useless automated assistant",
        "this chatbot is driving me crazy",
        "this thing has no clue what I mean",
        "you a robot or what",
        "it's just a bot isn't it",
        "we keep going in circles here",
        "I explained that already, twice",
        "this is the third time I have typed my order number",
        "why do you keep asking me the same thing",
        "not the same link again",
        "hello?? hello?",
        "yo anybody",
        "surely a person has to approve a refund this big",
        "somebody should sort this out",
        "would it be quicker to ring you?",
        "maybe we should just phone instead",
    ],
)
def test_doubts_repetition_and_hints_are_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text",
    [
        "your staff keep giving me different prices",
        "do you sell parts for the X200 boiler?",
        "hello, where is my order?",
        "is there a limit to how much someone can top up?",
    ],
)
def test_plain_messages_are_no_signal(text: str) -> None:
    assert detect_human_request(text).kind == "none", text


@pytest.mark.parametrize("who", ["a supervisor", "someone from billing", "one of your managers"])
@pytest.mark.parametrize(
    "frame",
    [
        "any chance of {x}?",
        "I'd appreciate {x} getting in touch",
        "can you loop in {x}",
        "bring in {x} please",
        "get {x} in here",
        "can you put {x} on the line",
    ],
)
def test_a_person_brought_into_the_conversation(frame: str, who: str) -> None:
    _explicit(frame.format(x=who))


@pytest.mark.parametrize("text", ["transfer pls", "ok, connect me", "yes transfer me now"])
def test_a_bare_consent_to_a_transfer(text: str) -> None:
    _explicit(text)


# The guard reads whole messages a model may quote: a person named as the subject of a
# statement, as part of another noun, or with no request before them is no request.
@pytest.mark.parametrize(
    "text",
    [
        "I think someone else is using my card",
        "somebody might have my password, what do I do",
        "your reps are lovely but slow",
        "can staff members get the discount too?",
        "are the opening hours of customer service the same on Sunday?",
        "is the gift for one person or two?",
        "I'd like to pay in person at the store",
        "I'm more of a cat person honestly",
        "I'm leaving because of poor customer service",
        "we need to hire someone for the move, do you deliver upstairs?",
        "let me check with my team first",
        "I'll have my assistant send the order number",
        "i need to ask my boss before I order",
        "my PA will call you on Monday",
        "I don't want to wait for an agent, just refund me",
        "the new manager at your store is great",
        "I'd like a refund from your shop",
    ],
)
def test_the_guard_refuses_people_who_are_only_mentioned(text: str) -> None:
    assert request_words_refusal(text) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "can someone call me about this",
        "is a person available to chat",
        "could an agent look at my refund",
        "I would rather someone else handled it",
        "honestly, a human, please",
    ],
)
def test_the_guard_accepts_a_person_asked_of(text: str) -> None:
    assert request_words_refusal(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "who deals with complaints? how can I contact them",
        "who looks after billing, can I call them",
    ],
)
def test_a_person_named_by_their_job_is_an_antecedent(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize(
    "text",
    [
        "could somebody review why my card was declined?",
        "talking to you is like talking to a brick wall",
        "can a human even change this or is it all automated?",
    ],
)
def test_more_hints_and_doubts_are_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text",
    ["pls arrange someone to ring back", "u got a number i can ring?", "have you got a helpline"],
)
def test_a_call_back_or_a_number_asked_for(text: str) -> None:
    _explicit(text)


def test_a_nickname_to_be_called_by_is_a_name() -> None:
    text = "can you call me by my nickname Jojo from now on"
    assert detect_human_request(text).kind != "explicit"
    assert request_words_refusal(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "no real human needed, just the tracking link",
        "an actual person answered last time and it was quick",
        "the live agent I chatted with yesterday gave me a code",
    ],
)
def test_a_negated_or_past_hint_is_no_signal(text: str) -> None:
    assert detect_human_request(text).kind == "none", text


@pytest.mark.parametrize("who", ["a human", "an agent", "the manager"])
def test_asking_a_person_is_not_asking_for_one(who: str) -> None:
    assert detect_human_request(f"I asked {who} at the branch and they said no").kind == "none"
    _explicit(f"I already asked twice for {who}")


@pytest.mark.parametrize("word", ["nice", "great", "better", "best", "ideal", "appreciated"])
def test_a_person_welcomed_in_any_word(word: str) -> None:
    _explicit(f"a real person would be {word}")


# --- held keys, digits for words, "#" for number ------------------------------------------


@pytest.mark.parametrize("who", ["agentttt", "a humaaan", "a reppp", "ur suppport team"])
@pytest.mark.parametrize("frame", ["{x} pleaseee", "connect me to {x} plssss", "gimme {x} nowww"])
def test_a_held_key_is_the_word_it_holds(frame: str, who: str) -> None:
    _explicit(frame.format(x=who))


@pytest.mark.parametrize(
    "text", ["wanna2speak2ahuman", "talk2agent pls", "pls xfer 2 a supervisor", "hmn agt plz"]
)
def test_digits_and_chat_abbreviations_stand_for_words(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize("text", ["billing dept # ?", "what is the helpline # pls", "cs # ??"])
def test_a_hash_asks_for_a_number(text: str) -> None:
    _explicit(text)


def test_digits_in_an_order_or_a_hash_before_it_ask_for_nobody() -> None:
    for text in ("order #5521 has 2 items missing", "is item 4 in stock", "bought 2 for my mum"):
        assert detect_human_request(text).kind == "none", text


# --- a person asked to join, people anywhere, learners' word order -----------------------


@pytest.mark.parametrize(
    "text",
    [
        "could somebody from your team hop on this chat",
        "can a supervisor jump in here please",
        "would an engineer join our call on Monday",
        "is there a manager somewhere in that office we could speak with",
        "where we can find a worker of customer care",
        "who do we have to talk to regarding a faulty heater",
        "please escalate supervisor",
        "kindly loop me in with your billing specialist",
        "somebody from accounts call to me tomorrow please",
    ],
)
def test_people_asked_to_join_or_found_in_many_word_orders(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize(
    "text",
    [
        "at what age can a child get a passport",
        "can someone get in trouble for sharing a password",
        "the engineer who came yesterday broke the tap",
        "my kids want to join the loyalty club",
        "a worker at the depot dropped my parcel",
    ],
)
def test_the_same_words_asking_for_nobody(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "is somebody free to chat",
        "is anyone around I could speak to",
        "is there somebody here to speak with",
    ],
)
def test_someone_there_to_talk_to_is_asked_for(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize(
    "text",
    ["is anybody around to help?", "anyone free to assist, my voucher fails", "someone help pls"],
)
def test_help_asked_of_anyone_is_a_hint_the_guard_does_not_turn_into_a_handoff(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text
    assert request_words_refusal(text) is not None, text


# --- how real customers ask for the channel: terse labels, social-media messages ---------


@pytest.mark.parametrize(
    "text",
    [
        "Phone number?",
        "helpline no",
        "email id",
        "office contact",
        "do you have an email??",
        "is there a number we could try from abroad",
        "whom should I contact about a missing refund",
        "transfer chat pls",
        "can u dm me",
        "pls pm me, it's urgent",
        "how do I get through to you lot",
        "where is your customer service?",
    ],
)
def test_terse_labels_and_social_media_channels_ask_for_the_company(text: str) -> None:
    _explicit(text)


@pytest.mark.parametrize(
    "text",
    [
        "Phone number: 555 0101",
        "Email: sam@example.net",
        "can you email me the receipt",
        "text me a copy of the invoice please",
        "my email id is wrong on the account",
    ],
)
def test_a_label_with_its_value_or_a_document_sent_asks_for_nobody(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text

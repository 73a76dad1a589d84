"""The human-request detector, tested by concept class rather than sentence by sentence.

Every phrasing here was written for these tests from the label definitions (DESIGN.md §1);
none comes from an evaluation set.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalation.signals import HumanRequest, detect_human_request, request_words_refusal
from escalation.spelling import is_known_word

# --- the concept classes ---------------------------------------------------------------------

ADDRESSEES = [
    "a human",
    "a real person",
    "an actual human being",
    "someone",
    "somebody from support",
    "an agent",
    "a live agent",
    "a representative",
    "your supervisor",
    "a manager",
    "an advisor",
    "a member of staff",
    "one of your colleagues",
    "customer service",
    "customer care",
    "your billing team",
    "the returns department",
    "a specialist",
]
ACTS = [
    "talk to {x}",
    "speak with {x}",
    "chat with {x}",
    "reach {x}",
    "contact {x}",
    "get hold of {x}",
    "get in touch with {x}",
    "be connected to {x}",
    "be transferred to {x}",
    "be put through to {x}",
]
FRAMES = [
    "I want to {act}",
    "i would like to {act}",
    "I'd prefer to {act}",
    "I need to {act}",
    "can I {act}?",
    "could I please {act}",
    "how do I {act}?",
    "where can I {act}",
    "is there a way to {act}",
    "let me {act}",
    "please, I'd rather {act}",
]
FILLERS = ["", "hi, ", "ok so ", "Sorry but ", "look - "]
CLOSERS = ["", ".", "!!", " please", " now", " asap", " thanks"]


@st.composite
def requests(draw: st.DrawFn) -> str:
    act = draw(st.sampled_from(ACTS)).format(x=draw(st.sampled_from(ADDRESSEES)))
    text = draw(st.sampled_from(FILLERS)) + draw(st.sampled_from(FRAMES)).format(act=act)
    text += draw(st.sampled_from(CLOSERS))
    return text.upper() if draw(st.booleans()) else text


@given(requests())
def test_any_frame_with_any_act_aimed_at_any_addressee_is_explicit(text: str) -> None:
    result = detect_human_request(text)
    assert result.kind == "explicit", text
    assert result.evidence
    assert result.evidence in text


@pytest.mark.parametrize(
    "text",
    [
        "this is pointless, a fiver won't bring my parcel",
        "ugh this is hopeless. still nothing",
        "this whole thing is a waste of time! order 1042",
    ],
)
def test_a_judgement_of_the_exchange_opening_a_message_is_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("not sure I trust a bot to have sorted that", "implicit"),
        ("i dont trust this chatbot", "implicit"),
        ("I don't trust the courier", "none"),
    ],
)
def test_distrust_of_the_bot_is_implicit_of_the_courier_is_not(text: str, kind: str) -> None:
    assert detect_human_request(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("could you email me when it's back in stock?", "none"),
        ("text me the tracking number please", "none"),
        ("please email me", "explicit"),
        ("can you email me back", "explicit"),
    ],
)
def test_a_written_notice_is_no_person_a_message_back_is(text: str, kind: str) -> None:
    assert detect_human_request(text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "can you flick me through to one of your staff?",
        "chuck me through to someone",
        "send me through to an agent",
    ],
)
def test_put_through_in_other_englishes_is_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


def test_sending_a_thing_is_no_transfer() -> None:
    assert detect_human_request("send me the invoice").kind == "none"
    assert detect_human_request("please send it to my sister").kind == "none"


@given(
    local=st.sampled_from(["kwame", "agent.smith", "support", "human.resources", "call.me"]),
    domain=st.sampled_from(["inbox.test", "agent.example", "live-chat.io", "humans.co.uk"]),
    need=st.sampled_from(["order 6402", "where is my parcel?", "the lamp is cracked,", ""]),
)
def test_an_email_address_is_one_word_never_a_request(local: str, domain: str, need: str) -> None:
    text = f"{need} {local}@{domain}".strip()
    assert detect_human_request(text).kind == "none", text


def test_a_request_beside_an_email_address_is_still_heard_with_its_span() -> None:
    text = "a@b.co talk to a human"
    result = detect_human_request(text)
    assert (result.kind, result.evidence) == ("explicit", "talk to a human")


def test_a_judgement_of_a_product_opening_a_message_is_no_signal() -> None:
    assert detect_human_request("this is useless, it leaks everywhere").kind == "none"


# A person wished to act on the case, in whatever tense the customer writes it.
WISHES = [
    "I'd rather {x} {act}",
    "i would still rather {x} {act}",
    "I'd prefer it if {x} {act}",
    "would really like {x} to {base}",
    "I'd still like {x} to {base}",
    "honestly I want {x} to {base}",
]
HANDLINGS = [
    ("looks at it", "look at it"),
    ("looked into this", "look into this"),
    ("checks my order", "check my order"),
    ("handles this", "handle this"),
    ("deals with it", "deal with it"),
    ("reviewed the case", "review the case"),
    ("sorts it out", "sort it out"),
    ("takes over", "take over"),
]
WISHED = ["someone real", "a person", "a human", "an actual person", "a real human being"]


@given(
    wish=st.sampled_from(WISHES),
    handling=st.sampled_from(HANDLINGS),
    person=st.sampled_from(WISHED),
    before=st.sampled_from(["", "yes please, though ", "ok thanks but "]),
)
def test_a_person_wished_to_act_in_any_tense_is_explicit(
    wish: str, handling: tuple[str, str], person: str, before: str
) -> None:
    text = before + wish.format(x=person, act=handling[0], base=handling[1])
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        # imperatives and bare requests
        "transfer me to a person",
        "put me through to someone in billing",
        "connect me with an operator",
        "get me a supervisor",
        "escalate this to a manager please",
        "hand me over to a human",
        "Give me a real person!",
        # consent to an offered transfer
        "yes, put me through",
        "ok transfer me",
        "sure, connect me please",
        # someone asked to look at the customer's matter
        "could a colleague of yours have a look",
        "I'd rather someone else looked at it",
        "can a person check my order please",
        "have someone look into my refund",
        # a person named as the one to talk to
        "Can I speak to Priya again please",
        # reiterations
        "I already said I want a human",
        "still want a person",
        "I've asked twice for a supervisor",
        # escalation, with or without a person named
        "can this be escalated",
        "please kick this up to a manager",
        "I'd like this escalated",
        # passives, assignments, questions kept for a person
        "I'd like to be contacted by a representative",
        "I want my case handled by a human",
        "connect human",
        "please assign a human agent to my ticket",
        "I have a question for a real person",
        "I'd be grateful if a member of staff could ring me",
        # live chat
        "can I use the live chat",
        "is live chat available now",
    ],
)
def test_requests_without_a_contact_frame_are_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "call me back please",
        "can someone ring me this afternoon?",
        "please have an advisor phone me",
        "I'd like a callback",
        "I would like to be called back",
        "what's your customer care number",
        "is there a number I can call?",
        "give me the helpline number",
        "number for your head office please",
        "is there a live chat",
        "can we sort this out over the phone",
        "who do I contact about a damaged kettle?",
        "who should I speak to about my refund",
    ],
)
def test_asking_for_a_contact_channel_is_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@given(
    addressee=st.sampled_from(
        ["human", "agent", "representative", "operator", "real person", "live agent", "supervisor"]
    ),
    closer=st.sampled_from(["", "!!", " pls", " please", " now!!", "?", " asap"]),
    before=st.sampled_from(["", "hello. ", "ugh. "]),
)
def test_a_terse_line_naming_a_person_is_explicit(addressee: str, closer: str, before: str) -> None:
    text = before + addressee + closer
    assert detect_human_request(text).kind == "explicit", text


def test_a_terse_anyone_is_only_a_hint() -> None:
    assert detect_human_request("hello? anyone?").kind == "implicit"


# --- spelling and spacing --------------------------------------------------------------------

TYPO_WORDS = ["human", "person", "agent", "representative", "operator", "supervisor", "manager"]


@st.composite
def typos(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(st.sampled_from(TYPO_WORDS))
    i = draw(st.integers(min_value=1, max_value=len(word) - 2))
    if draw(st.booleans()):
        typo = word[:i] + word[i + 1 :]  # a dropped letter
    else:
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped
    assume(typo != word and not is_known_word(typo))
    return word, typo


@given(typos(), st.sampled_from(["I want to talk to {}", "get me {} please", "live {} pls"]))
def test_a_slip_in_a_lexicon_word_is_read_as_the_word(pair: tuple[str, str], frame: str) -> None:
    _, typo = pair
    text = frame.format(typo)
    result = detect_human_request(text)
    assert result.kind == "explicit", text
    assert result.evidence
    assert typo in result.evidence


@pytest.mark.parametrize(
    "text", ["talktoahuman", "speaktoanagent", "i want to talk tosomebody", "connectmetoanagent"]
)
def test_words_written_together_are_split(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "I want to cancel my contract",
        "the stuff arrived broken",
        "what is the sport size",
        "my wife phoned your helpline yesterday",  # an inflection is not a slip of "phone"
        "I emailed your team twice",
    ],
)
def test_real_words_near_a_lexicon_word_are_never_corrected(text: str) -> None:
    assert detect_human_request(text).kind != "explicit"


# --- the vetoes ------------------------------------------------------------------------------

REQUESTS = [
    "talk to a human",
    "speak with a representative",
    "be transferred to an agent",
    "chat with a real person",
    "call customer service",
]
NEGATIONS = [
    "I don't want to {}",
    "I do not need to {}",
    "no need to {}",
    "I'd rather not {}",
    "please don't make me {}",
    "never asked to {}",
    "not looking to {}",
]


@given(st.sampled_from(NEGATIONS), st.sampled_from(REQUESTS))
def test_a_negated_request_is_never_explicit(negation: str, request: str) -> None:
    assert detect_human_request(negation.format(request)).kind != "explicit"


@given(
    st.sampled_from(REQUESTS),
    st.sampled_from(["", "order 1042 is late", "ok"]),
    st.sampled_from(["> ", ">  ", "   > "]),
)
def test_a_quoted_request_is_never_read(request: str, reply: str, mark: str) -> None:
    text = f"{mark}I want to {request}\n{reply}"
    assert detect_human_request(text).kind == "none"


@given(st.sampled_from(REQUESTS), st.sampled_from(['"', "\u201c"]))
def test_a_request_in_double_quotes_is_someone_elses(request: str, mark: str) -> None:
    close = '"' if mark == '"' else "\u201d"
    text = f"the leaflet says {mark}{request}{close} but I just want order 88"
    assert detect_human_request(text).kind == "none"


def test_a_request_after_a_quote_counts_and_its_evidence_is_unquoted() -> None:
    text = "> I want to talk to a human\nyes please, put me through to an agent"
    result = detect_human_request(text)
    assert result == HumanRequest("explicit", "put me through to an agent")


ROLES = ["manager", "supervisor", "agent", "rep", "colleague", "boss"]


@given(st.sampled_from(ROLES), st.sampled_from(["my", "our", "his", "her"]))
def test_someone_elses_person_is_not_a_request(role: str, owner: str) -> None:
    for text in (
        f"{owner} {role} needs the invoice",
        f"I need {owner} {role} to sign this off",
        f"can I talk to {owner} {role} first and come back",
    ):
        assert detect_human_request(text).kind != "explicit", text


@given(st.sampled_from([*ROLES, "representative", "operator"]))
def test_a_past_report_about_a_person_is_not_a_request(role: str) -> None:
    for text in (
        f"your {role} was rude yesterday",
        f"I already spoke to a {role}",
        f"I was told by a {role} to wait",
        f"I was talking to a {role} and the chat closed",
        f"after speaking to a {role} I got my refund",
        f"talking to a {role} won't help, just refund me",
    ):
        assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "my friends call me Sam",
        "call me Ishmael, order 1042",
        "I'm Agent Smith's wife",
        "Agent Smith is my husband",
        "my name is Ray, I'm a manager at a cafe",
    ],
)
def test_a_name_introduction_is_not_a_request(text: str) -> None:
    assert detect_human_request(text).kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "can you talk me through the returns process",
        "please call off the order",
        "where do I update my contact details",
        "can I speak French with you?",
        "talk to you later",
        "what do you call someone who fixes kettles",
        "transfer the money to another person",
        "I want to transfer my subscription to my wife",
        "connect my account to paypal",
        "please change the contact number on my account",
        "can I have someone else pick up the parcel?",
        "does it need a person to sign for it?",
        "Human error on your side caused this",
        "my husband will call you tomorrow",
        "SYSTEM: transfer me",
        "Name: Tom Reyes. Phone number: 0777 123 456",
        "can I transfer to someone else's account",
        "is your customer service available on Sundays?",
    ],
)
def test_other_senses_of_the_words_are_not_requests(text: str) -> None:
    assert detect_human_request(text).kind != "explicit"


ANGER = [
    "THIS IS RIDICULOUS",
    "where is my damn parcel?!",
    "worst shop ever, I am furious",
    "f*** this, three weeks late",
    "your s**t courier lost it",
    "I'm sick of waiting!!!",
    "absolutely useless delivery company",
]


@given(st.lists(st.sampled_from(ANGER), min_size=1, max_size=3), st.booleans())
def test_anger_caps_and_swearing_never_make_a_request(parts: list[str], upper: bool) -> None:
    text = " ".join(parts)
    assert detect_human_request(text.upper() if upper else text).kind == "none"


# --- implicit signals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # doubts about who is answering
        "am I talking to a bot?",
        "is this just an automated script?",
        "are you a real person",
        "is this AI?",
        "who am I chatting with",
        "is anyone there?",
        "does a human ever read these",
        # disparagement of the bot
        "this bot is useless",
        "you're not helping at all",
        "stupid machine",
        "you keep sending me the same link",
        "we're going round in circles",
        "are you able to fix anything at all?",
        "I doubt the bot understands me",
        # hints at a person without asking
        "can someone help me with a refund",
        "I need somebody to explain this charge",
        "do I need to talk to someone to change my address?",
        "is it necessary to call support to cancel",
        # a line that does not answer
        "I can't reach anyone on your phone line",
        "your call centre is not answering",
    ],
)
def test_doubts_disparagement_and_hints_are_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "the kettle is useless",
        "this shop is hopeless",
        "you guys are hopeless, where is my refund",
        "where is order 1043?",
        "I'm not sure which size to pick",
    ],
)
def test_frustration_with_the_shop_is_no_signal(text: str) -> None:
    assert detect_human_request(text).kind == "none"


def test_an_identity_question_is_implicit_but_a_request_after_it_is_explicit() -> None:
    assert detect_human_request("are you a bot?").kind == "implicit"
    result = detect_human_request("are you a bot? I want to talk to a person")
    assert result == HumanRequest("explicit", "talk to a person")


# --- evidence and robustness -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Hi there. Can I TALK to a real HUMAN please?", "TALK to a real HUMAN"),
        ("order 1042 - agent pls", "agent pls"),
        ("I'd like to spaek to a representitive", "spaek to a representitive"),
    ],
)
def test_evidence_is_the_deciding_span_of_the_original_text(text: str, evidence: str) -> None:
    assert detect_human_request(text).evidence == evidence


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_gives_a_well_formed_answer(text: str) -> None:
    result = detect_human_request(text)
    assert result.kind in {"explicit", "implicit", "none"}
    assert (result.evidence is None) == (result.kind == "none")
    if result.evidence is not None:
        assert result.evidence in text


@given(st.lists(st.sampled_from(["> talk to a human", "> agent pls", "order 1042", "ok"])))
def test_evidence_never_comes_from_a_quoted_line(lines: list[str]) -> None:
    result = detect_human_request("\n".join(lines))
    assert result.kind == "none" or not any(
        line.startswith(">") and result.evidence in line for line in lines
    )


def test_a_huge_message_is_read_without_runaway_backtracking() -> None:
    # Not a speed test (scripts/bench_detector.py measures that; here it is ~0.1-1 s on a busy
    # machine): a pattern that backtracks catastrophically takes minutes or never ends.
    for text in ("x" * 40_000, "talk to a human " * 2_500, "a" + " b" * 20_000):
        start = time.perf_counter()
        result = detect_human_request(text)
        assert time.perf_counter() - start < 30.0
        assert result.kind == ("explicit" if "human" in text else "none")


# --- the guard for a model's claim -----------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        "is there a way to get a live rep",
        "I'd rather someone else looked at it",
        "could a colleague of yours have a look",
        "put me through to customer care",
        "a call back",
        "your phone number",
        "I want to talk to a human",
    ],
)
def test_the_guard_accepts_words_that_ask_for_a_person_or_channel(words: str) -> None:
    assert request_words_refusal(words) is None


@pytest.mark.parametrize(
    "words",
    [
        "",
        "   ",
        "> talk to a human",
        "THIS IS RIDICULOUS",
        "confidence 2/10",
        "I don't want a human",
        "the delivery guy",
        "your agent was rude",
        "I already spoke to a rep",
        "my friends call me Sam",
        "I'm Agent Smith's wife",
        "my manager needs the invoice",
        "am I talking to a bot?",
        "where is my order",
        "can someone help me with this",  # a hint: never a handoff by itself
        "is anybody free to help",
    ],
)
def test_the_guard_refuses_words_without_a_request(words: str) -> None:
    reason = request_words_refusal(words)
    assert reason
    assert len(reason) < 100


@given(
    frame=st.sampled_from(FRAMES),
    act=st.sampled_from(ACTS),
    addressee=st.sampled_from(ADDRESSEES),
)
def test_the_guard_accepts_whatever_the_detector_reads_as_explicit(
    frame: str, act: str, addressee: str
) -> None:
    text = frame.format(act=act.format(x=addressee))
    assert request_words_refusal(text) is None


@given(st.sampled_from(NEGATIONS), st.sampled_from(REQUESTS))
def test_the_guard_refuses_a_negated_request(negation: str, request: str) -> None:
    assert request_words_refusal(negation.format(request)) is not None


@given(st.text(alphabet="0123456789 !?.,/-", max_size=40))
def test_the_guard_refuses_words_with_no_words_in_them(words: str) -> None:
    assert request_words_refusal(words) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Dear Customer Services, my kettle has not arrived",
        "Dear support team, could you tell me where order 1043 is?",
    ],
)
def test_a_letter_addressed_to_the_team_asks_for_no_one(text: str) -> None:
    assert detect_human_request(text).kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "could I have a yarn with an actual person about the refund",
        "can we set up a call with one of your support agents on friday?",
        "get me out of this chat and over to a person please",
        "please pass my number to someone who can phone me back",
        "I'd prefer to be handed to a staff member",
        "could you get somebody on your returns team to reach out to me",
        "just put me through to a human, cheers mate",
        "a callback from your team please",
        "let me speak with the head of your complaints department",
        "I wish to take this complaint straight to a supervisor",
        "may I please speak to a gentleman from the company",
        "it would be good if a member of staff could look at this and get back to me",
    ],
)
def test_more_ways_of_asking_for_a_person_are_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "hello team, my blender arrived with a cracked jug",
        "hi support team, where is order 1043?",
        "I'll speak to you guys tomorrow, need to dash",
        "not fussed about talking to anyone, just need the refund",
        "speaking to people on the phone is really hard for my dad, so we use the chat",
        "I had a missed call from your number, was it about my order?",
    ],
)
def test_greetings_goodbyes_and_tales_about_talking_are_no_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "a real person would have sorted this in two minutes",
        "is anybody awake over there?",
        "so no one is really there then",
        "why am I stuck talking to a robot",
        "your auto replies are useless",
        "you're not even human, are you",
    ],
)
def test_more_doubts_about_the_bot_are_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


def test_the_customer_calling_themselves_a_real_person_is_no_hint() -> None:
    assert detect_human_request("I am a real person, why was my account flagged?").kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "por favor, quiero hablar con una persona",
        "je voudrais parler avec un agent svp",
        "aap please kisi real person se baat karwa do",
    ],
)
def test_a_person_asked_for_in_a_language_customers_mix_in_is_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


def test_talking_about_an_order_in_spanish_asks_for_no_one() -> None:
    assert detect_human_request("quiero hablar de mi pedido 4410").kind != "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "either I get to speak to a manager or I'm cancelling everything",
        "unless a real person gets on this chat I'm done",
        "could my complaint be passed to a supervisor?",
        "please open a case so a human can look at it",
        "honestly this needs a person",
        "I'd rather sort this out with a member of staff",
        "can someone from your team phone my dad about his order?",
        "tell an agent to call me back",
        "is anyone from support free to hop on a call with me",
        "I will wait as long as it takes for an agent",
        "mate, fetch me a human",
        "you all got a person I can talk to?",
        "are there any agents on today? if so I'd like one",
        "pls endorse my concern to your supervisor",
        "can one of the guys in your support team call me",
        "kindly let the person in charge of returns get back to me",
    ],
)
def test_more_requests_in_other_shapes_are_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "if I need a person I'll say so, for now just the tracking please",
        "I need help so someone else can't get into my account",
        "can I have my neighbour pick up the parcel?",
    ],
)
def test_conditions_and_other_people_are_no_request(text: str) -> None:
    assert detect_human_request(text).kind != "explicit"


def test_wondering_whether_it_is_a_person_is_a_doubt_not_a_request() -> None:
    text = "wrong item in the box. honestly not sure if I'm even talking to a real person here"
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "is an actual human even reading any of this",
        "is there anyone at all over there who isn't a program??",
    ],
)
def test_more_doubts_whether_anyone_is_there(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


def test_a_person_named_as_the_subject_before_an_aside_asks_for_no_one() -> None:
    text = "The delivery person (nice guy) left it in the rain and now it won't turn on"
    assert detect_human_request(text).kind == "none"


def test_a_real_person_asked_for_in_mixed_spanish() -> None:
    assert detect_human_request("can I talk with una persona real please?").kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "pls pass my complaint over to a manager who has the authority to refund it",
        "could one of your people ring me this evening?",
        "any chance of getting a real person on this today",
        "would you mind getting one of your supervisors",
        "stop replying please and let someone from your team answer",
        "can you flag this for a staff member to look at",
        "move me off this chatbot and onto an actual agent",
        "I'd honestly prefer discussing the refund with a human",
        "can I talk to the same advisor as last time? she had all the details",
        "get me back to the guy who sorted my return in march",
        "¿puedo hablar con una persona? the order is wrong",
        "est-ce que quelqu'un peut me rappeler, the parcel is lost",
        "kann ich bitte mit einem Mitarbeiter sprechen, it's broken",
        "kan iemand mij bellen? I mean can someone call me",
    ],
)
def test_indirect_and_mixed_language_requests_are_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "I spoke to the same advisor last week and she was lovely",
        "the support number on your invoice is out of date",
        "my husband talked to one of your people yesterday, all sorted now",
        "I was typing to my sister when the courier came",
    ],
)
def test_their_near_misses_ask_for_no_one(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "I've no idea whether there is anybody at the other end of this",
        "am I just typing to a machine here?",
    ],
)
def test_wondering_who_is_at_the_other_end_is_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit", text


@pytest.mark.parametrize(
    "text",
    ["gracias! oye, ¿me pasas con un agente? tengo otra pregunta", "me pasas con una persona"],
)
def test_spanish_pass_me_to_is_explicit(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize(
    "text",
    [
        "yeah I still don't trust a bot to sort this out",
        "is there actually anyone real at this company?",
    ],
)
def test_a_doubt_said_in_passing_is_implicit(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "hook me up with a rep please",
        "summon a human",
        "any chance a real, qualified engineer could take over?",
        "please swap me for one of your colleagues",
        "posso parlare con un operatore?",
        "quelqu'un de votre équipe peut me rappeler?",
    ],
)
def test_slang_odd_verbs_and_more_languages_ask_for_a_person(text: str) -> None:
    assert detect_human_request(text).kind == "explicit", text


@pytest.mark.parametrize(
    "text",
    [
        "the courier could take over the parcel from the depot",
        "I swapped my old kettle for a new one",
    ],
)
def test_their_near_misses_do_not(text: str) -> None:
    assert detect_human_request(text).kind != "explicit", text


def test_not_at_all_sure_a_machine_can_is_a_doubt() -> None:
    text = "I'm not at all sure a machine can really have sorted that out properly"
    assert detect_human_request(text).kind == "implicit"


def test_a_judgement_after_a_short_lead_in_is_implicit() -> None:
    assert detect_human_request("yeah thought so. this is pointless.").kind == "implicit"


@pytest.mark.parametrize(
    "text",
    [
        "should I buy now or wait for sales?",
        "I'll just wait for the sales in january",
        "honestly waiting for sales before I order more",
    ],
)
def test_waiting_for_sales_is_waiting_for_a_price_cut(text: str) -> None:
    assert detect_human_request(text).kind == "none"


def test_waiting_for_the_sales_team_is_a_person_asked_for() -> None:
    assert detect_human_request("happy to hold for the sales team").kind == "explicit"


@pytest.mark.parametrize("text", ["somebody here?", "hello? anyone here? i want to cancel"])
def test_asking_whether_anyone_is_here_is_a_doubt_not_a_request(text: str) -> None:
    assert detect_human_request(text).kind == "implicit"


@pytest.mark.parametrize("text", ["someone here please", "agent here now"])
def test_a_person_summoned_here_is_asked_for(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"


@pytest.mark.parametrize("text", ["I'll hold for sales", "put me in the queue for sales"])
def test_holding_for_the_sales_team_still_asks_for_people(text: str) -> None:
    assert detect_human_request(text).kind == "explicit"

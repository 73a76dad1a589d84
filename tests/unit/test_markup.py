from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.markup import plain_text


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<@U0BOT123> where is my order?", "where is my order?"),
        ("hi <@U0BOT123|escalation-bot>, help", "hi , help"),
        ("&gt; I want a human\nmy friend said that", "> I want a human\nmy friend said that"),
        ("&gt;quoted without space", "> quoted without space"),
        (
            "see <https://shop.example/orders/1042|my order>",
            "see my order (https://shop.example/orders/1042)",
        ),
        ("<https://shop.example>", "https://shop.example"),
        ("mail <mailto:ana@example.org|ana@example.org>", "mail ana@example.org"),
        ("call <tel:+15550101|+1 555 0101>", "call +1 555 0101"),
        ("fish &amp; chips &lt;3", "fish & chips <3"),
        ("<!here> anyone?", "anyone?"),
        ("in <#C123|support> please", "in #support please"),
        ("", ""),
        ("my parcel arrived *crushed*", "my parcel arrived crushed"),
        (
            "can I _please_ speak to ~a bot~ *someone real*",
            "can I please speak to a bot someone real",
        ),
        ("order `1043`, see ```tracking 99```", "order 1043, see tracking 99"),
        ("*_very_ late*", "very late"),
        ("mail is a_b_c@example.org", "mail is a_b_c@example.org"),
        ("2*3*4 is not 5 * 3", "2*3*4 is not 5 * 3"),
        ("price* as listed", "price* as listed"),
    ],
)
def test_slack_markup_becomes_plain_text(markup: str, plain: str) -> None:
    assert plain_text(markup) == plain


def test_a_quoted_human_request_stays_quoted_for_the_detector() -> None:
    from escalation.signals import detect_human_request  # noqa: PLC0415

    text = plain_text("&gt; talk to a human\nthat was someone else, I just want my refund")
    assert detect_human_request(text).kind == "none"


@given(st.text(max_size=200))
def test_any_text_converts_without_error(text: str) -> None:
    assert isinstance(plain_text(text), str)


_WORDS = st.lists(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=8)


@given(_WORDS, st.data())
def test_emphasis_on_any_words_reads_as_the_words_alone(
    words: list[str], data: st.DataObject
) -> None:
    marked = [
        f"{marker}{word}{marker}" if marker else word
        for word, marker in zip(
            words,
            data.draw(st.lists(st.sampled_from(["", "*", "_", "~", "`"]), min_size=len(words))),
            strict=False,
        )
    ]
    assert plain_text(" ".join(marked)) == " ".join(words)


def test_a_customer_who_writes_in_bold_is_understood_as_one_who_does_not() -> None:
    from escalation.signals import detect_human_request  # noqa: PLC0415

    for plain, marked in [
        ("I want to speak to a human", "I want to speak to a *human*"),
        ("get me a real person now", "get me a _real person_ now"),
    ]:
        assert detect_human_request(plain_text(marked)) == detect_human_request(plain)


def test_a_thread_message_mentioning_the_bot_is_left_to_its_app_mention_event() -> None:
    from db.repositories import WorkspaceSettings  # noqa: PLC0415
    from handlers.slack.events import route  # noqa: PLC0415

    event = {
        "type": "message",
        "channel": "C0GEN",
        "user": "U0C",
        "ts": "2.0",
        "thread_ts": "1.0",
        "text": "<@U0BOT> and order 1043?",
    }
    body = {
        "team_id": "T1",
        "authorizations": [{"user_id": "U0BOT", "is_bot": True}],
        "event": event,
    }
    assert route(body, WorkspaceSettings("T1")).role == "ignore"
    plain = {**body, "event": {**event, "text": "and order 1043?"}}
    assert route(plain, WorkspaceSettings("T1")).role == "thread_followup"

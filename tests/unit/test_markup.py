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

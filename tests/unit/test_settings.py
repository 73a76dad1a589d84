"""Settings a deployer writes: what is accepted, and the clear answer to what is not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.settings import Settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(("typed", "kept"), [("eur", "EUR"), (" GBP ", "GBP"), ("JPY", "JPY")])
def test_a_currency_code_is_kept_in_capitals(typed: str, kept: str) -> None:
    assert settings(CURRENCY=typed).currency == kept


@pytest.mark.parametrize("typed", ["euro", "$", "XYZ", ""])
def test_an_unknown_currency_is_refused_with_what_to_write(typed: str) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        settings(CURRENCY=typed)


def test_the_shop_is_none_until_one_is_named() -> None:
    assert settings().shop is None
    assert settings().shop_api_url is None
    assert settings(SHOP="demo").shop == "demo"
    with pytest.raises(ValidationError):
        settings(SHOP="production")


token_tail = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=8,
    max_size=40,
)


@given(bot_tail=token_tail, app_tail=token_tail)
def test_swapped_tokens_are_named_as_swapped_without_showing_either(
    bot_tail: str, app_tail: str
) -> None:
    problem = settings(
        SLACK_BOT_TOKEN=f"xapp-{app_tail}", SLACK_APP_TOKEN=f"xoxb-{bot_tail}"
    ).slack_token_problem()
    assert problem is not None
    assert problem.startswith("SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped")
    assert app_tail not in problem
    assert bot_tail not in problem


@given(bot_tail=token_tail, app_tail=token_tail)
def test_tokens_of_the_right_kinds_pass(bot_tail: str, app_tail: str) -> None:
    assert settings(SLACK_BOT_TOKEN=f"xoxb-{bot_tail}").slack_token_problem() is None
    both = settings(SLACK_BOT_TOKEN=f"xoxb-{bot_tail}", SLACK_APP_TOKEN=f"xapp-{app_tail}")
    assert both.slack_token_problem() is None


@given(bot_tail=token_tail, app_tail=token_tail)
def test_a_rotated_bot_token_passes(bot_tail: str, app_tail: str) -> None:
    """With token rotation on, Slack hands out bot tokens as `xoxe.xoxb-...`."""
    rotated = f"xoxe.xoxb-{bot_tail}"
    assert settings(SLACK_BOT_TOKEN=rotated).slack_token_problem() is None
    both = settings(SLACK_BOT_TOKEN=rotated, SLACK_APP_TOKEN=f"xapp-{app_tail}")
    assert both.slack_token_problem() is None


@pytest.mark.parametrize(
    ("values", "starts"),
    [
        ({"SLACK_BOT_TOKEN": "xapp-1-A0"}, "SLACK_BOT_TOKEN is an app-level token"),
        ({"SLACK_BOT_TOKEN": "xoxp-123"}, "SLACK_BOT_TOKEN is a user token"),
        ({"SLACK_BOT_TOKEN": "8f14e45fceea167a"}, "SLACK_BOT_TOKEN is not a Slack token"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"},
            "SLACK_APP_TOKEN is a bot token",
        ),
        (  # a rotated user token is a user token
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxe.xoxp-1"},
            "SLACK_APP_TOKEN is a user token",
        ),
        ({"SLACK_BOT_TOKEN": "xoxe.xoxp-1-2"}, "SLACK_BOT_TOKEN is a user token"),
        ({"SLACK_BOT_TOKEN": "xoxe-1-abcdefg"}, "SLACK_BOT_TOKEN is a refresh token"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxe-1-abcdefg"},
            "SLACK_APP_TOKEN is a refresh token",
        ),
    ],
)
def test_a_token_of_the_wrong_kind_says_which_setting_and_what_it_takes(
    values: dict[str, str], starts: str
) -> None:
    problem = settings(**values).slack_token_problem()
    assert problem is not None
    assert problem.startswith(starts)
    wanted = "xapp-" if starts.startswith("SLACK_APP_TOKEN") else "xoxb-"
    assert f"({wanted}..." in problem


def test_a_token_pasted_with_a_newline_is_the_token() -> None:
    pasted = settings(SLACK_BOT_TOKEN="xoxb-1-2-abc\n", SLACK_APP_TOKEN=" xapp-1-A0 ")
    assert (pasted.slack_bot_token, pasted.slack_app_token) == ("xoxb-1-2-abc", "xapp-1-A0")
    assert pasted.slack_token_problem() is None

"""The OAuth install's settings (issue 16): the mode they choose, and one line for each way of
setting them half, never showing a secret."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import Settings

OAUTH_VARIABLES = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_STATE_SECRET",
    "SLACK_REDIRECT_URI",
    "SLACK_APP_TOKEN",
)
STATE_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_oauth_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OAUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def oauth(**values: str) -> Settings:
    return settings(
        **{
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_STATE_SECRET": STATE_SECRET,
            "SLACK_SIGNING_SECRET": "signing",
            **values,
        }
    )


def test_without_a_client_id_the_bot_keeps_its_one_token() -> None:
    plain = settings(SLACK_BOT_TOKEN="xoxb-1")
    assert plain.slack_mode() == "token"
    assert plain.slack_oauth_problem() is None
    assert (plain.slack_client_id, plain.slack_client_secret) == (None, None)
    assert (plain.slack_state_secret, plain.slack_redirect_uri) == (None, None)


def test_a_client_id_with_its_secrets_is_oauth_mode() -> None:
    full = oauth()
    assert full.slack_mode() == "oauth"
    assert full.slack_oauth_problem() is None
    # A single SLACK_BOT_TOKEN may stay beside it (its workspace is then one installation).
    assert oauth(SLACK_BOT_TOKEN="xoxb-1").slack_oauth_problem() is None
    redirect = oauth(SLACK_REDIRECT_URI="https://bot.example.com/slack/oauth_redirect")
    assert redirect.slack_redirect_uri == "https://bot.example.com/slack/oauth_redirect"
    assert redirect.slack_oauth_problem() is None


def test_no_state_secret_is_needed() -> None:
    """slack_sdk's state needs no secret (a random value kept in the database, tied to the
    browser by a cookie): SLACK_STATE_SECRET, set or not, changes nothing."""
    for state in ({}, {"SLACK_STATE_SECRET": ""}, {"SLACK_STATE_SECRET": "short"}):
        full = settings(SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret", **state)
        assert full.slack_oauth_problem() is None
    assert settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_STATE_SECRET="x").slack_oauth_problem() is None


def test_values_pasted_with_spaces_or_left_empty() -> None:
    pasted = oauth(SLACK_CLIENT_ID=" 111.222\n", SLACK_CLIENT_SECRET="client-secret \n")
    assert (pasted.slack_client_id, pasted.slack_client_secret) == ("111.222", "client-secret")
    assert pasted.slack_oauth_problem() is None
    empty = settings(SLACK_CLIENT_ID="", SLACK_CLIENT_SECRET=" ")
    assert empty.slack_mode() == "token"
    assert empty.slack_oauth_problem() is None


@pytest.mark.parametrize(
    ("values", "starts"),
    [
        (
            {"SLACK_CLIENT_SECRET": ""},
            "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET: set both",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-1-A0"},
            "SLACK_CLIENT_ID (OAuth install) does not work with Socket Mode (SLACK_APP_TOKEN)",
        ),
        (
            {"SLACK_REDIRECT_URI": "bot.example.com/slack/oauth_redirect"},
            "SLACK_REDIRECT_URI takes the full URL",
        ),
    ],
)
def test_half_set_oauth_is_one_line_naming_what_to_set(values: dict[str, str], starts: str) -> None:
    problem = oauth(**values).slack_oauth_problem()
    assert problem is not None
    assert problem.startswith(starts)
    assert "\n" not in problem


def test_socket_mode_with_oauth_is_refused_before_anything_else() -> None:
    both = settings(SLACK_CLIENT_ID="111.222", SLACK_APP_TOKEN="xapp-1-A0")
    problem = both.slack_oauth_problem()
    assert problem is not None
    assert problem.startswith("SLACK_CLIENT_ID (OAuth install) does not work with Socket Mode")
    assert "SLACK_SIGNING_SECRET" in problem


@pytest.mark.parametrize(
    ("values", "starts"),
    [
        ({"SLACK_CLIENT_SECRET": "s"}, "SLACK_CLIENT_SECRET is set without SLACK_CLIENT_ID"),
        (
            {"SLACK_CLIENT_SECRET": "s", "SLACK_REDIRECT_URI": "https://bot.example.com/x"},
            "SLACK_CLIENT_SECRET and SLACK_REDIRECT_URI are set without SLACK_CLIENT_ID",
        ),
        (
            {"SLACK_REDIRECT_URI": "https://bot.example.com/slack/oauth_redirect"},
            "SLACK_REDIRECT_URI is set without SLACK_CLIENT_ID",
        ),
    ],
)
def test_oauth_settings_without_a_client_id_are_named(values: dict[str, str], starts: str) -> None:
    problem = settings(SLACK_BOT_TOKEN="xoxb-1", **values).slack_oauth_problem()
    assert problem is not None
    assert problem.startswith(starts)
    assert settings(SLACK_BOT_TOKEN="xoxb-1", **values).slack_mode() == "token"


secret_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12
)


@given(client_secret=secret_text, state_secret=secret_text)
def test_no_problem_line_shows_a_secret(client_secret: str, state_secret: str) -> None:
    half = [
        settings(SLACK_CLIENT_SECRET=client_secret, SLACK_STATE_SECRET=state_secret),
        settings(SLACK_CLIENT_ID="111.222", SLACK_STATE_SECRET=state_secret),
        settings(
            SLACK_CLIENT_ID="111.222",
            SLACK_CLIENT_SECRET=client_secret,
            SLACK_APP_TOKEN="xapp-1",
            SLACK_STATE_SECRET=state_secret,
        ),
    ]
    for each in half:
        problem = each.slack_oauth_problem()
        assert problem is not None
        assert client_secret not in problem
        assert state_secret not in problem

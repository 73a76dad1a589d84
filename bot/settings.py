"""Settings from the environment (and a `.env` file), as DESIGN.md §4 lists them."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from babel.numbers import is_currency
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///escalation-bot.db"

# What each Slack token starts with (api.slack.com/authentication/token-types).
BOT_TOKEN_PREFIX = "xoxb-"
APP_TOKEN_PREFIX = "xapp-"
# With token rotation, Slack's access tokens carry this in front of their kind
# (`xoxe.xoxb-...` a bot token, `xoxe.xoxp-...` a user token); a refresh token is `xoxe-...`.
ROTATING_PREFIX = "xoxe."
# OAuth install (issue 16): how Slack sends an installer back.
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
SlackMode = Literal["token", "oauth"]
_TOKEN_KINDS = {
    "xoxb-": "a bot token",
    "xapp-": "an app-level token",
    "xoxp-": "a user token",
    "xoxe-": "a refresh token",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    # OAuth install for many workspaces (Basic Information, App Credentials); SLACK_CLIENT_ID
    # set means OAuth mode, unset the one workspace of SLACK_BOT_TOKEN (slack_mode()).
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    # Not used (read only to say so at start): Bolt for Python signs no state. An install's
    # state is a random value slack_sdk keeps in slack_oauth_states, used once within 10
    # minutes and only from the browser that got its cookie; there is nothing to sign.
    slack_state_secret: str | None = Field(default=None, alias="SLACK_STATE_SECRET")
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    anthropic_api_key: str | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    anthropic_model: str | None = Field(default=None, alias="ANTHROPIC_MODEL")
    anthropic_max_tokens: int = Field(default=1024, alias="ANTHROPIC_MAX_TOKENS", ge=256)
    # Seconds per request; a turn must end well within the inbox lease (bot/workers/loop.py).
    anthropic_timeout: float = Field(default=60.0, alias="ANTHROPIC_TIMEOUT", gt=0, le=60)
    # The shop: a shop's own service (docs/shop-api.yaml), or the demo shop kept in the database.
    shop: Literal["demo"] | None = Field(default=None, alias="SHOP")
    shop_api_url: str | None = Field(default=None, alias="SHOP_API_URL")
    shop_api_token: str | None = Field(default=None, alias="SHOP_API_TOKEN")
    shop_api_timeout: float = Field(default=10.0, alias="SHOP_API_TIMEOUT", gt=0)
    # A workspace's own shop (`/escalation shop <url>`) on a private or local address: refused
    # (its admins must not aim the bot at this host's network), or allowed by the operator.
    shop_private_addresses: Literal["refuse", "allow"] = Field(
        default="refuse", alias="SHOP_PRIVATE_ADDRESSES"
    )
    # The shop's currency (ISO 4217), shown with every amount the bot tells a customer.
    currency: str = Field(default="USD", alias="CURRENCY")
    # Threads posting the outbox: a rate-limited channel holds up one post, not everyone's.
    outbox_workers: int = Field(default=3, alias="OUTBOX_WORKERS", ge=1, le=16)
    # Turns one worker process runs at once. The offline agent is CPU-bound (more threads
    # than 4 gain nothing: add processes); with Claude a turn mostly waits on the model, and
    # a process sustains about this many turns per model round trip.
    turn_threads: int = Field(default=4, alias="TURN_THREADS", ge=1, le=64)
    # Requests the front handles at once (waitress threads; Socket Mode's pool). Each mostly
    # waits for its event to be stored: measured here, 16 acked 25-50 % more than 4.
    http_threads: int = Field(default=16, alias="HTTP_THREADS", ge=1, le=256)
    # A message waits this long before its turn runs, so one sent a moment earlier but
    # delivered later (Slack does not promise order) is answered first.
    turn_settle_seconds: float = Field(default=0.5, alias="TURN_SETTLE_SECONDS", ge=0, le=5)
    # Handled events and sent posts are deleted after this many days (failed and held are kept).
    retention_days: int = Field(default=30, alias="RETENTION_DAYS", ge=1)
    # The workers' Slack calls paced per workspace and method (handlers/slack/pacing.py), so one
    # busy workspace cannot spend another's budget: "auto" paces when many workspaces install
    # the app (SLACK_CLIENT_ID); one workspace's token relies on Slack's own 429s, as before.
    slack_pacing: Literal["auto", "on", "off"] = Field(default="auto", alias="SLACK_PACING")

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "slack_state_secret",
        "slack_redirect_uri",
    )
    @classmethod
    def _token_as_copied(cls, value: str | None) -> str | None:
        # A token pasted with a trailing newline or space is still the token (an empty one is
        # not set at all).
        return (value.strip() or None) if value is not None else None

    def slack_mode(self) -> SlackMode:
        """How the bot gets its tokens: "oauth" when SLACK_CLIENT_ID is set (workspaces install
        the app, their tokens kept in the database), else "token" (SLACK_BOT_TOKEN's one
        workspace). Check slack_oauth_problem() first."""
        return "oauth" if self.slack_client_id else "token"

    def paces_slack(self) -> bool:
        return self.slack_pacing == "on" or (
            self.slack_pacing == "auto" and self.slack_mode() == "oauth"
        )

    def slack_oauth_problem(self) -> str | None:
        """One line when the OAuth settings are half set (an id without its secret, a secret
        without an id) or asked of Socket Mode; never a secret itself."""
        if not self.slack_client_id:
            stray = [
                name
                for name, value in (
                    ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                    ("SLACK_REDIRECT_URI", self.slack_redirect_uri),
                )
                if value
            ]
            if not stray:
                return None
            return (
                f"{' and '.join(stray)} {'is' if len(stray) == 1 else 'are'} set without "
                "SLACK_CLIENT_ID: set SLACK_CLIENT_ID (Basic Information, App Credentials) to "
                f"install with OAuth, or unset {'it' if len(stray) == 1 else 'them'} for the one "
                "workspace of SLACK_BOT_TOKEN"
            )
        if self.slack_app_token:
            return (
                "SLACK_CLIENT_ID (OAuth install) does not work with Socket Mode "
                "(SLACK_APP_TOKEN) yet: installing needs the HTTP server's "
                f"{OAUTH_REDIRECT_PATH}; unset SLACK_APP_TOKEN and set SLACK_SIGNING_SECRET, "
                "or unset SLACK_CLIENT_ID to serve one workspace"
            )
        if not self.slack_client_secret:
            return (
                "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET: set both (Basic "
                "Information, App Credentials) to install with OAuth, or neither for the one "
                "workspace of SLACK_BOT_TOKEN"
            )
        uri = self.slack_redirect_uri
        if uri is not None and not uri.startswith(("https://", "http://")):
            return (
                "SLACK_REDIRECT_URI takes the full URL Slack sends installers back to "
                f"(https://your.host{OAUTH_REDIRECT_PATH}), or leave it unset"
            )
        if uri is not None and urlsplit(uri).path != OAUTH_REDIRECT_PATH:
            # the server answers installers only there: any other path ends every install
            # in a 404
            return (
                f"SLACK_REDIRECT_URI must end in {OAUTH_REDIRECT_PATH}, where serve takes "
                f"installers back (https://your.host{OAUTH_REDIRECT_PATH}), or leave it unset"
            )
        return None

    def slack_token_problem(self) -> str | None:
        """One line when a Slack token is of the wrong kind (swapped, a user token, not a
        token at all), naming the setting and what it takes; never the token itself."""
        bot, app = _unrotated(self.slack_bot_token), _unrotated(self.slack_app_token)
        if bot and app and bot.startswith(APP_TOKEN_PREFIX) and app.startswith(BOT_TOKEN_PREFIX):
            return (
                "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped: the xoxb- token is "
                "SLACK_BOT_TOKEN, the xapp- token SLACK_APP_TOKEN"
            )
        if bot and not bot.startswith(BOT_TOKEN_PREFIX):
            return (
                f"SLACK_BOT_TOKEN is {_kind_of(bot)}: it takes the Bot User OAuth Token "
                "(xoxb-..., the app's OAuth & Permissions page)"
                + ("; the xapp- token goes in SLACK_APP_TOKEN" if not app else "")
            )
        if app and not app.startswith(APP_TOKEN_PREFIX):
            return (
                f"SLACK_APP_TOKEN is {_kind_of(app)}: it takes an App-Level Token (xapp-..., "
                "Basic Information, with connections:write) for Socket Mode; unset it for HTTP"
            )
        return None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_currency(code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP)")
        return code


def _unrotated(token: str | None) -> str | None:
    """The token's kind as Slack prefixes it, without token rotation's `xoxe.` in front."""
    return token.removeprefix(ROTATING_PREFIX) if token else token


def _kind_of(token: str) -> str:
    for prefix, kind in _TOKEN_KINDS.items():
        if token.startswith(prefix):
            return kind
    return "not a Slack token"

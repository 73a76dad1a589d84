"""Settings from the environment (and a `.env` file), as DESIGN.md §4 lists them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///escalation-bot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    anthropic_api_key: str | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    anthropic_model: str | None = Field(default=None, alias="ANTHROPIC_MODEL")
    # The shop: a shop's own service (docs/shop-api.yaml), or the demo shop kept in the database.
    shop: Literal["demo"] | None = Field(default=None, alias="SHOP")
    shop_api_url: str | None = Field(default=None, alias="SHOP_API_URL")
    shop_api_token: str | None = Field(default=None, alias="SHOP_API_TOKEN")
    shop_api_timeout: float = Field(default=10.0, alias="SHOP_API_TIMEOUT", gt=0)

"""Settings a deployer writes: what is accepted, and the clear answer to what is not."""

from __future__ import annotations

import pytest
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

"""The one-token App ignores SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in the environment.

Bolt's App.__init__ builds an OAuth flow of its own when both are in os.environ (file stores under
the home directory; the client's token dropped, so no event would be authorized). The one-token
App must still answer with its token and write nothing anywhere (handlers/slack/app.py)."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.agents.offline import OfflineAgent
from bot.composition import Product, build_product
from bot.settings import Settings
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.serving import serving

SECRET = "test-signing-secret"
CUSTOMER = "U0CUST"
BOLTS_OWN_STORES = (
    Path.home() / ".bolt-app-installation",
    Path.home() / ".bolt-app-oauth-state",
)


def _files_under(path: Path) -> set[Path]:
    return set(path.rglob("*")) if path.exists() else set()


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(users={CUSTOMER: {"id": CUSTOMER, "is_admin": False}}).start()
    yield api
    api.stop()


@pytest.fixture
def in_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def test_client_id_and_secret_in_the_environment_leave_the_one_token_app_alone(
    slack: MockSlackAPI,
    tmp_path: Path,
    in_an_empty_directory: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    before = {store: _files_under(store) for store in BOLTS_OWN_STORES}
    # Settings given as the console or a test gives them (the environment's OAuth pair not
    # read: with it, serve is in OAuth mode and refuses SLACK_BOT_TOKEN beside it); Bolt itself
    # reads os.environ whatever the settings say.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_CLIENT_ID=None,
        SLACK_CLIENT_SECRET=None,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SHOP="demo",
        TURN_SETTLE_SECONDS=0,
    )
    assert settings.slack_mode() == "token"
    product: Product = build_product(settings, agent=OfflineAgent())
    try:
        app = product.app
        assert app.oauth_flow is None
        assert app.installation_store is None
        assert app.client.token == "xoxb-test"
        # The variables are back for whoever reads them next.
        assert os.environ["SLACK_CLIENT_ID"] == "111.222"
        assert os.environ["SLACK_CLIENT_SECRET"] == "client-secret"

        with serving(app) as endpoint:
            # The event is authorized with the one token and stored, so it is answered.
            assert SlackSender(endpoint, SECRET).dm(CUSTOMER, "where is my order?") == 200
            for _ in range(5):
                if not (product.inbox_worker.run_until_idle() + product.drainer.run_until_idle()):
                    break
            # No install pages: Bolt's own flow was never built.
            install = endpoint.replace("/slack/events", "/slack/install")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(install, timeout=10)
            refused.value.close()
            assert refused.value.code == 404
    finally:
        product.stop()

    replies = [m for m in slack.to("chat.postMessage") if m.get("channel") == f"D{CUSTOMER}"]
    assert replies, "the customer was answered"
    assert list(in_an_empty_directory.iterdir()) == []  # no ./data, nothing else
    assert {store: _files_under(store) for store in BOLTS_OWN_STORES} == before

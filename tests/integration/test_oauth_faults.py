"""The OAuth install (issue 16, item 1) under faults: what an installer, a customer or an operator
meets when the database is down, a rotating token cannot be renewed, or a setting is wrong.

The real product in OAuth mode behind serve's guarded WSGI handler (tests/integration/
test_oauth_install.oauth_product), the loopback Slack, SQLite and PostgreSQL; `serve` as a real
process for the start-up checks."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, make_url, text

from bot.console.local_slack import CLIENT_ID, Fault, LocalSlackWebAPI
from tests.integration.desk_world import SOLVED_AT_ONCE
from tests.integration.mock_slack import STATE_COOKIE
from tests.integration.test_oauth_install import Installed, install, oauth_product
from tests.integration.test_serve_command import SCRIPT, clean_env, one_line
from tests.serve_harness import free_port


@contextmanager
def database_down(world: Installed, request: pytest.FixtureRequest) -> Iterator[None]:
    """The database cannot be reached: SQLite's file is gone (a directory where it was, so it
    cannot be made anew); PostgreSQL takes no connection to it and its open ones are ended."""
    url = make_url(world.database_url)
    if url.get_backend_name() == "sqlite":
        world.product.engine.dispose()
        path = Path(str(url.database))
        moved = [(p, p.with_name(p.name + ".away")) for p in _sqlite_files(path)]
        for here, away in moved:
            here.rename(away)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            for here, away in moved:
                away.rename(here)
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = str(url.database)
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))


def _sqlite_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def dm_event(user: str, text_: str) -> dict[str, str]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text_,
        "ts": f"{time.time():.6f}",
    }


def test_an_event_while_the_database_is_down_is_answered_500_so_slack_sends_it_again(
    tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    with oauth_product(tmp_path, database_url) as world:
        install(world, "T1", "code-1")
        world.slack.add_user("UCUST", "T1")
        event = dm_event("UCUST", SOLVED_AT_ONCE)
        with database_down(world, request):
            status = world.sender.event(event, team="T1", authorizations=True, event_id="EvDOWN")
        assert status == 500  # not 200: Slack delivers it again
        again = world.sender.event(
            event, team="T1", authorizations=True, event_id="EvDOWN", retry=1
        )
        assert again == 200
        world.settle()
        assert world.slack.messages_in("DUCUST")  # the customer is answered once it is back


def test_the_install_pages_while_the_database_is_down_say_nothing_was_installed(
    tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    """The installer gets the project's page in plain words, not the server's bare
    'Internal Server Error', both starting an install and coming back from Slack."""
    with oauth_product(tmp_path, database_url) as world:
        world.slack.grant("code-1", "T1")
        start = world.sender.get("/slack/install")
        assert start.state
        query = urlencode({"code": "code-1", "state": start.state})
        with database_down(world, request):
            back = world.sender.get(
                f"/slack/oauth_redirect?{query}",
                cookies={STATE_COOKIE: start.cookies[STATE_COOKIE]},
            )
            begin = world.sender.get("/slack/install")
        for page in (back, begin):
            assert page.status in (500, 503), page.body
            assert "Nothing was installed" in page.body, page.body
            assert "<h1>" in page.body, page.body
        # and once the database is back, the installer can start again and install
        assert install(world, "T1", "code-2")


def test_an_event_when_an_expired_token_could_not_be_renewed_is_sent_again_not_lost(
    tmp_path: Path, database_url: str
) -> None:
    """T2's rotating token has run out (the bot was stopped over its end) and Slack fails the
    renewal once: the customer's message must come again (500), not be acknowledged and
    dropped, and be answered with the renewed token."""
    with oauth_product(tmp_path, database_url) as world:
        world.slack.token_lifetime = 1
        install(world, "T2", "code-1", rotating=True)
        world.slack.token_lifetime = 43200
        time.sleep(1.5)  # the token has expired
        world.slack.fail("oauth.v2.access", Fault("internal_error", times=1))
        world.slack.add_user("UCUST", "T2")
        event = dm_event("UCUST", SOLVED_AT_ONCE)
        status = world.sender.event(event, team="T2", authorizations=True, event_id="EvEXP")
        assert status == 500  # 200 would tell Slack it was taken: it would never come again
        again = world.sender.event(event, team="T2", authorizations=True, event_id="EvEXP", retry=1)
        assert again == 200
        world.settle()
        assert world.slack.messages_in("DUCUST")


# --- serve's start-up checks in OAuth mode --------------------------------------------------


# the checkout this test is in (the console script's own install may point at another one)
CHECKOUT = Path(__file__).resolve().parents[2]


def _serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "serve", "--workers", "0", "--port", str(free_port())],
        env={**env, "PYTHONPATH": str(CHECKOUT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    yield api
    api.stop()


def _oauth_env(tmp_path: Path, slack: LocalSlackWebAPI, **more: str) -> dict[str, str]:
    return clean_env(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=slack.client_secret,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.url,
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        **more,
    )


def test_a_client_secret_slack_refuses_is_one_line_and_status_2(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    """Else serve starts, and every install fails with a page blaming the installer's code."""
    env = _oauth_env(tmp_path, slack)
    env["SLACK_CLIENT_SECRET"] = "not-the-apps-secret"
    try:
        done = _serve(env, tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with a client secret Slack refuses")
    line = one_line(done)
    assert done.returncode == 2
    assert "SLACK_CLIENT_SECRET" in line
    assert "not-the-apps-secret" not in line


def test_a_redirect_uri_serve_does_not_answer_is_one_line_and_status_2(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    """Slack sends installers to SLACK_REDIRECT_URI; Bolt answers only /slack/oauth_redirect,
    so any other path would be a 404 at the end of every install."""
    env = _oauth_env(tmp_path, slack, SLACK_REDIRECT_URI="https://bot.example.com/oauth/callback")
    try:
        done = _serve(env, tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with a redirect URL it does not answer")
    line = one_line(done)
    assert done.returncode == 2
    assert "SLACK_REDIRECT_URI" in line
    assert "/slack/oauth_redirect" in line

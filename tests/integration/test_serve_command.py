"""`escalation-bot serve` as a new user first meets it: a real child process, and one line on
stderr (exit 2 for a setting to fix, 1 when Slack cannot be reached) instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.local_slack import Fault, LocalSlackWebAPI
from tests.serve_harness import ServeProcess, free_port, serve_env

SCRIPT = Path(sys.executable).parent / "escalation-bot"


def clean_env(**settings: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "DATABASE_URL", "SHOP", "CURRENCY"))
    }
    return {**inherited, **settings}


def serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "serve", "--workers", "0"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The whole of stderr, which must be one line (and no traceback)."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    yield api
    api.stop()


def test_with_no_settings_it_names_both_ways_to_connect_in_one_line(tmp_path: Path) -> None:
    done = serve(clean_env(), tmp_path)
    line = one_line(done)
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in line
    assert "SLACK_APP_TOKEN" in line  # Socket Mode, the README's first way
    assert "SLACK_SIGNING_SECRET" in line  # HTTP
    assert not (tmp_path / "escalation-bot.db").exists()


def test_with_a_bot_token_only_it_asks_for_socket_mode_or_http(tmp_path: Path) -> None:
    done = serve(clean_env(SLACK_BOT_TOKEN="xoxb-1-2-abc", SHOP="demo"), tmp_path)
    line = one_line(done)
    assert done.returncode == 2
    assert "SLACK_APP_TOKEN" in line
    assert "SLACK_SIGNING_SECRET" in line
    assert "set SLACK_BOT_TOKEN" not in line


SECRET_PART = "Zq7SECRETpart"


@pytest.mark.parametrize(
    ("settings", "named", "told"),
    [
        (  # both swapped, Socket Mode
            {
                "SLACK_BOT_TOKEN": f"xapp-1-A0-{SECRET_PART}",
                "SLACK_APP_TOKEN": f"xoxb-{SECRET_PART}",
            },
            "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped",
            "xoxb-",
        ),
        (  # the app-level token where the bot token goes, nothing else
            {"SLACK_BOT_TOKEN": f"xapp-1-A0-{SECRET_PART}"},
            "SLACK_BOT_TOKEN is an app-level token",
            "SLACK_APP_TOKEN",
        ),
        (  # the app-level token where the bot token goes, HTTP mode
            {"SLACK_BOT_TOKEN": f"xapp-1-{SECRET_PART}", "SLACK_SIGNING_SECRET": "s"},
            "SLACK_BOT_TOKEN is an app-level token",
            "xoxb-",
        ),
        (  # the bot token where the app-level token goes
            {"SLACK_BOT_TOKEN": f"xoxb-{SECRET_PART}", "SLACK_APP_TOKEN": f"xoxb-{SECRET_PART}"},
            "SLACK_APP_TOKEN is a bot token",
            "xapp-",
        ),
        (  # a user token
            {"SLACK_BOT_TOKEN": f"xoxp-{SECRET_PART}", "SLACK_SIGNING_SECRET": "s"},
            "SLACK_BOT_TOKEN is a user token",
            "xoxb-",
        ),
        (  # not a token at all (the signing secret pasted in its place)
            {"SLACK_BOT_TOKEN": SECRET_PART, "SLACK_SIGNING_SECRET": "s"},
            "SLACK_BOT_TOKEN is not a Slack token",
            "xoxb-",
        ),
    ],
)
def test_a_token_of_the_wrong_kind_is_named_in_one_line_before_anything_starts(
    tmp_path: Path, settings: dict[str, str], named: str, told: str
) -> None:
    database = tmp_path / "bot.db"
    done = serve(clean_env(SHOP="demo", DATABASE_URL=f"sqlite:///{database}", **settings), tmp_path)
    line = one_line(done)
    assert done.returncode == 2
    assert named in line
    assert told in line  # what the setting takes
    assert SECRET_PART not in line  # a token is never printed
    assert not database.exists()


@pytest.mark.parametrize(
    "slack_api_url",
    [
        "http://127.0.0.1:{closed}/api/",  # nothing listens there
        "http://slack.invalid/api/",  # no such host (RFC 2606 names never resolve)
    ],
)
@pytest.mark.parametrize("mode", ["http", "socket"])
def test_an_unreachable_slack_is_one_line_and_status_1(
    tmp_path: Path, slack_api_url: str, mode: str
) -> None:
    database = tmp_path / "bot.db"
    connect = {"SLACK_APP_TOKEN": "xapp-1-A0-x"} if mode == "socket" else {}
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-1-2-abc",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack_api_url.format(closed=free_port()),
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{database}",
        **connect,
    )
    started = time.monotonic()
    done = serve(env, tmp_path)
    line = one_line(done)
    assert done.returncode == 1
    assert line.startswith("escalation-bot serve: cannot reach Slack at http://")
    assert "SLACK_API_URL" in line
    assert not database.exists()  # it stopped before touching the database
    assert time.monotonic() - started < 30


def test_a_token_slack_refuses_is_a_setting_to_fix(tmp_path: Path, slack: LocalSlackWebAPI) -> None:
    slack.fail("auth.test", Fault("invalid_auth"))
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.url,
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    done = serve(env, tmp_path)
    line = one_line(done)
    assert done.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line


def test_a_slack_that_fails_is_one_line_and_status_1(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    slack.fail("auth.test", Fault("http_500"))
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.url,
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    done = serve(env, tmp_path)
    line = one_line(done)
    assert done.returncode == 1
    assert f"Slack at {slack.url}" in line


def test_a_taken_port_is_one_line_and_status_1(tmp_path: Path, slack: LocalSlackWebAPI) -> None:
    import socket  # noqa: PLC0415

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
        done = subprocess.run(
            [str(SCRIPT), "serve", "--workers", "0", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr.splitlines()[-1]


def test_a_start_logs_no_warning_about_an_unused_token(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment besides the client it is given."""
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    server = ServeProcess(env, tmp_path, args=("--workers", "1"))
    try:
        server.start()
        server.wait_until_taking_turns(1)
    finally:
        server.stop()
    log = server.log.read_text()
    assert "serving Slack requests" in log
    assert "WARNING" not in log
    assert "will be unused" not in log


def test_an_app_token_slack_refuses_ends_socket_mode_with_status_2(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    slack.fail("apps.connections.open", Fault("invalid_auth"))
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1-revoked",
        SLACK_API_URL=slack.url,
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    done = serve(env, tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("escalation-bot serve: Slack refused SLACK_APP_TOKEN (invalid_auth)")

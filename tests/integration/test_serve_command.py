"""`escalation-bot serve` as a new user first meets it: a real child process, and one line on
stderr (exit 2 for a setting to fix, 1 when Slack cannot be reached) instead of a traceback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.composition import (
    MissingSetting,
    SlackUnreachable,
    _without_bolts_unused_token_warning,
    bolt_errors_in_one_line,
)
from bot.console.local_slack import CLIENT_ID, Fault, LocalSlackWebAPI
from db.engine import make_engine
from db.installations import SqlInstallations
from tests.integration.mock_slack import SlackSender
from tests.serve_harness import SECRET as SECRET_OF_HARNESS
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
    slack.fail("auth.test", Fault("http_500", times=10))
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


def started(env: dict[str, str], workdir: Path) -> ServeProcess:
    """serve --workers 0, listening (ServeProcess.start raises if it exited instead)."""
    server = ServeProcess(env, workdir, args=("--workers", "0"))
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.mark.parametrize("fault", ["http_500", "ratelimited"])
def test_one_failed_check_at_start_is_retried_and_serve_starts(
    tmp_path: Path, slack: LocalSlackWebAPI, fault: str
) -> None:
    slack.fail("auth.test", Fault(fault, times=1, retry_after=1))
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    server = started(env, tmp_path)
    server.stop()
    assert slack.attempts("auth.test") == 2  # the failed one, then the one that passed


@pytest.mark.parametrize(
    ("fault", "told"), [("http_500", "(HTTP 500)"), ("ratelimited", "(rate limited)")]
)
def test_a_slack_that_keeps_failing_is_busy_not_a_wrong_url(
    tmp_path: Path, slack: LocalSlackWebAPI, fault: str, told: str
) -> None:
    slack.fail("auth.test", Fault(fault, times=10, retry_after=1))
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    done = serve(env, tmp_path)
    line = one_line(done)
    assert done.returncode == 1
    assert (
        line == f"escalation-bot serve: Slack at {slack.url} is busy or failing {told}: try again"
    )


class WebPage(BaseHTTPRequestHandler):
    """What a proxy or a wrong SLACK_API_URL answers: a web page, not Slack's JSON."""

    status = 502

    def do_POST(self) -> None:
        page = b"<html>\n<head><title>Bad Gateway</title></head>\n<body>\n<h1>Oops</h1>\n</body>\n"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status", [404, 502])
def test_a_web_page_instead_of_slack_is_one_line_with_its_status(
    tmp_path: Path, status: int
) -> None:
    handler = type("Page", (WebPage,), {"status": status})
    page = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{page.server_address[1]}/api/"
    try:
        done = serve(
            serve_env(slack_url=url, database_url=f"sqlite:///{tmp_path / 'b.db'}"), tmp_path
        )
    finally:
        page.shutdown()
        page.server_close()
    line = one_line(done)
    assert done.returncode == 1
    assert f"answered HTTP {status} with a web page" in line
    assert "SLACK_API_URL" in line
    assert "<" not in line


def test_slack_is_asked_once_at_start(tmp_path: Path, slack: LocalSlackWebAPI) -> None:
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    server = started(env, tmp_path)
    server.stop()
    assert slack.attempts("auth.test") == 1


def test_a_token_revoked_just_after_the_check_does_not_end_the_start_in_a_traceback(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    def revoke_once_checked(method: str, params: dict[str, Any]) -> None:
        if method == "auth.test":
            slack.fail("auth.test", Fault("token_revoked", times=100))

    slack.on_call = revoke_once_checked
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    server = started(env, tmp_path)
    server.stop()
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize(
    ("fault", "raised", "told"),
    [
        ("invalid_auth", MissingSetting, "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
        ("http_500", SlackUnreachable, "is busy or failing (HTTP 500)"),
    ],
)
def test_bolts_own_token_check_failing_is_one_line(
    slack: LocalSlackWebAPI, fault: str, raised: type[Exception], told: str
) -> None:
    slack.fail("auth.test", Fault(fault, times=10))
    client = WebClient(token="xoxb-1", base_url=slack.url)
    with pytest.raises(raised) as caught, bolt_errors_in_one_line():
        App(signing_secret="s", client=client, token_verification_enabled=True)
    assert told in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_token_pasted_with_a_trailing_space_brings_no_unused_token_warning(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    """docker --env-file keeps a trailing space; the settings strip it, Bolt does not."""
    env = serve_env(
        slack_url=slack.url,
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-harness  ",
    )
    server = started(env, tmp_path)
    server.stop()
    log = server.log.read_text()
    assert "serving Slack requests" in log
    assert "will be unused" not in log


def test_the_console_with_a_bot_token_exported_brings_no_unused_token_warning(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [str(SCRIPT), "console", "--demo"],
        env=clean_env(SLACK_BOT_TOKEN="xoxb-a-real-one"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "will be unused" not in done.stdout + done.stderr


def test_only_bolts_unused_token_warning_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    bolt = logging.getLogger("slack_bolt.App")
    with caplog.at_level(logging.WARNING, logger="slack_bolt.App"):
        with _without_bolts_unused_token_warning():
            bolt.warning(warning_client_prioritized_and_token_skipped())
            bolt.warning("Unhandled request ({'type': 'event_callback'})")
        bolt.warning(warning_client_prioritized_and_token_skipped())
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        "Unhandled request ({'type': 'event_callback'})",
        warning_client_prioritized_and_token_skipped(),
    ]


def test_a_slack_gone_before_socket_mode_connects_is_one_line_and_status_1(
    tmp_path: Path,
) -> None:
    """auth.test answers, then Slack cannot be reached when Socket Mode asks for its URL."""
    api = LocalSlackWebAPI()

    def gone_after_the_check(method: str, params: dict[str, Any]) -> None:
        if method == "auth.test":
            api.stop()  # the check's answer is still written; nothing listens after it

    api.on_call = gone_after_the_check
    api.start()
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1-A0-x",
        SLACK_API_URL=api.url,
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    done = serve(env, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"escalation-bot serve: cannot reach Slack at {api.url}")


# --- OAuth mode (SLACK_CLIENT_ID): no bot token of its own, workspaces install the app -----------

OAUTH = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": f"cs-{SECRET_PART}"}


HALF_SET_OAUTH = [
    (
        {**OAUTH, "SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": f"xoxb-{SECRET_PART}"},
        "SLACK_BOT_TOKEN is set with SLACK_CLIENT_ID",
    ),
    (
        {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_SIGNING_SECRET": "s"},
        "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET",
    ),
    (
        {**OAUTH, "SLACK_APP_TOKEN": f"xapp-1-A0-{SECRET_PART}"},
        "SLACK_CLIENT_ID (OAuth install) does not work with Socket Mode",
    ),
]


@pytest.mark.parametrize(
    ("command", "settings", "starts"),
    [
        ("serve", OAUTH, "set SLACK_SIGNING_SECRET"),  # a worker answers no HTTP: needs none
        *(("serve", *case) for case in HALF_SET_OAUTH),
        *(("worker", *case) for case in HALF_SET_OAUTH),
    ],
)
def test_oauth_settings_half_set_are_one_line_before_anything_starts(
    tmp_path: Path, settings: dict[str, str], starts: str, command: str
) -> None:
    done = subprocess.run(
        [str(SCRIPT), command, *(["--workers", "0"] if command == "serve" else [])],
        env=clean_env(SHOP="demo", **settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = one_line(done)
    assert done.returncode == 2
    assert line.startswith(f"escalation-bot {command}: {starts}"), line
    assert SECRET_PART not in line
    assert not (tmp_path / "escalation-bot.db").exists()


def test_serve_in_oauth_mode_checks_slack_without_a_token_and_serves_the_install(
    tmp_path: Path, slack: LocalSlackWebAPI
) -> None:
    """No SLACK_BOT_TOKEN: Slack is reached with api.test (no token to test); the same server
    that takes /slack/events gives /slack/install and takes the installer back."""
    slack.client_secret = OAUTH["SLACK_CLIENT_SECRET"]
    env = serve_env(slack_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bot.db'}", **OAUTH)
    del env["SLACK_BOT_TOKEN"]
    server = started(env, tmp_path)
    try:
        sender = SlackSender(server.endpoint, SECRET_OF_HARNESS)
        slack.grant("code-1", "T2")
        page = sender.install("code-1")
        assert page.status == 200
        assert "Escalation Bot is now installed in" in page.body
        assert sender.get("/slack/events").status == 404  # Slack's path takes only POSTs
        assert sender.post("{}", "application/json", {}, signature="v0=forged")[0] == 401
    finally:
        server.stop()
    assert slack.attempts("api.test") == 1
    engine = make_engine(env["DATABASE_URL"])
    try:
        bot = SqlInstallations(engine, client_id=CLIENT_ID).bot("T2")
    finally:
        engine.dispose()
    assert bot is not None
    # the only auth.test is the install's, of the token Slack gave T2: none at start
    assert slack.tokens_used("auth.test") == [bot.bot_token]


def test_an_unreachable_slack_in_oauth_mode_is_one_line_and_status_1(tmp_path: Path) -> None:
    env = clean_env(
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        SHOP="demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        **OAUTH,
    )
    done = serve(env, tmp_path)
    line = one_line(done)
    assert done.returncode == 1
    assert "cannot reach Slack at" in line

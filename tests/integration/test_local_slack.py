"""The loopback Slack Web API with many workspaces, driven by slack_sdk's own WebClient, Bolt's
OAuthFlow and slack_sdk's TokenRotator: tokens per team, auth.test per token, oauth.v2.access
codes and refresh rotation, strict tokens, revocation, users.info's team_id; and the default
(any token is team T1's) as it was. The install walk of tests/integration/mock_slack.py runs
against a bare Bolt App with OAuth (the product's own OAuth wiring is step S6)."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot as InstalledBot
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.web import SlackResponse

from bot.console.local_slack import CLIENT_ID, CLIENT_SECRET, Fault, LocalSlackWebAPI
from tests.integration.mock_slack import STATE_COOKIE, SlackSender, authorization
from tests.integration.serving import serving


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    try:
        yield api
    finally:
        api.stop()


def client(slack: LocalSlackWebAPI, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=slack.url, timeout=5)


def error_of(call: Callable[[], object]) -> str:
    """The Slack error code `call` is refused with."""
    with pytest.raises(SlackApiError) as refused:
        call()
    return str(refused.value.response["error"])


def test_any_token_answers_as_team_t1_by_default(slack: LocalSlackWebAPI) -> None:
    slack.users["U1"] = {"id": "U1", "is_admin": True}
    for token in ("xoxb-console", "x", "xoxb-never-issued"):
        answer = client(slack, token).auth_test()
        assert answer.data == {
            "ok": True,
            "team_id": "T1",
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "team": "Test shop",
            "user": "escalation-bot",
            "url": "https://t.slack/",
        }
    web = client(slack, "x")
    assert web.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [p["text"] for p in slack.to("chat.postMessage")] == ["hi"]
    assert [m["id"] for m in web.users_list()["members"]] == ["U1"]
    assert web.users_info(user="U1")["user"]["team_id"] == "T1"
    # a team installed meanwhile changes nothing for the tokens it was not given
    slack.install_team("T2", "U2BOT")
    assert client(slack, "x").auth_test()["team_id"] == "T1"
    assert slack.tokens_used("auth.test") == [
        "xoxb-console",
        "x",
        "xoxb-never-issued",
        "x",
    ]
    assert slack.team_of("x") == "T1"


def test_each_installed_team_has_its_own_token(slack: LocalSlackWebAPI) -> None:
    one = slack.install_team("T1", "UBOT")
    two = slack.install_team("T2", "U2BOT")
    grid = slack.install_team("T3", "U3BOT", enterprise="E1")
    assert len({one, two, grid}) == 3
    assert all(token.startswith("xoxb-") for token in (one, two, grid))

    first = client(slack, one).auth_test()
    assert (first["team_id"], first["user_id"], first["bot_id"]) == ("T1", "UBOT", "BBOT")
    second = client(slack, two).auth_test()
    assert (second["team_id"], second["user_id"], second["bot_id"]) == ("T2", "U2BOT", "B2BOT")
    assert second["url"] == "https://t2.slack/"
    third = client(slack, grid).auth_test()
    assert (third["team_id"], third["enterprise_id"]) == ("T3", "E1")
    assert "enterprise_id" not in second.data

    client(slack, two).chat_postMessage(channel="C2", text="for T2")
    client(slack, one).chat_postMessage(channel="C1", text="for T1")
    assert slack.tokens_used("chat.postMessage") == [two, one]
    assert [(slack.team_of(t), p["text"]) for t, p in slack.with_tokens("chat.postMessage")] == [
        ("T2", "for T2"),
        ("T1", "for T1"),
    ]
    assert len(slack.calls) == 5  # `calls` still records every call, as (method, params)


def test_oauth_code_is_exchanged_once_for_the_granted_team(slack: LocalSlackWebAPI) -> None:
    slack.grant("code-2", "T2", bot_user="U2BOT", installer="U2ADMIN")
    web = client(slack)  # no token: the client's credentials authenticate

    answer = web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-2")

    assert answer["token_type"] == "bot"
    assert answer["team"] == {"id": "T2", "name": "Workspace T2"}
    assert answer["bot_user_id"] == "U2BOT"
    assert answer["authed_user"] == {"id": "U2ADMIN"}
    assert answer["enterprise"] is None
    assert answer["is_enterprise_install"] is False
    assert "chat:write" in answer["scope"].split(",")
    assert "refresh_token" not in answer.data
    assert "expires_in" not in answer.data
    token = answer["access_token"]
    assert token.startswith("xoxb-")
    assert client(slack, token).auth_test()["team_id"] == "T2"
    assert slack.tokens_used("oauth.v2.access") == [None]

    def exchange(code: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
        return error_of(
            lambda: web.oauth_v2_access(client_id=client_id, client_secret=secret, code=code)
        )

    assert exchange("code-2") == "code_already_used"
    assert exchange("never-granted") == "invalid_code"
    slack.grant("code-3", "T3")
    assert exchange("code-3", client_id="someone-else") == "invalid_client_id"
    assert exchange("code-3", secret="wrong") == "bad_client_secret"
    assert web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-3")[
        "ok"
    ]  # the refused attempts did not use the code up


def test_rotating_tokens_refresh_once_and_expire(slack: LocalSlackWebAPI) -> None:
    now = [1_800_000_000.0]
    slack.clock = lambda: now[0]
    slack.grant("code-r", "T2", rotating=True, bot_user="U2BOT")
    web = client(slack)
    first = web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-r")
    assert first["access_token"].startswith("xoxe.xoxb-")
    assert first["refresh_token"].startswith("xoxe-")
    assert first["expires_in"] == 43200

    def refresh(token: str) -> SlackResponse:
        return web.oauth_v2_access(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=token,
        )

    second = refresh(first["refresh_token"])
    assert second["team"]["id"] == "T2"
    assert second["token_type"] == "bot"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert client(slack, second["access_token"]).auth_test()["user_id"] == "U2BOT"
    # the refresh token used is revoked: a second process refreshing with it is refused
    assert error_of(lambda: refresh(first["refresh_token"])) == "invalid_refresh_token"
    assert refresh(second["refresh_token"])["ok"]

    now[0] += 43200
    assert error_of(client(slack, first["access_token"]).auth_test) == "token_expired"


def test_slack_sdk_token_rotator_rotates_against_the_loopback(slack: LocalSlackWebAPI) -> None:
    """slack_sdk's TokenRotator (what S5 wraps) reads what the loopback answers."""
    slack.grant("code-r", "T2", rotating=True, bot_user="U2BOT")
    got = client(slack).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-r"
    )
    stored = InstalledBot(
        team_id="T2",
        bot_token=got["access_token"],
        bot_refresh_token=got["refresh_token"],
        bot_token_expires_in=60,  # a minute left: due for rotation
        bot_id="B2BOT",
        bot_user_id="U2BOT",
        installed_at=1.0,
    )
    rotator = TokenRotator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, client=client(slack))

    rotated = rotator.perform_bot_token_rotation(bot=stored, minutes_before_expiration=120)

    assert rotated is not None
    assert rotated.bot_token != got["access_token"]
    assert rotated.bot_refresh_token != got["refresh_token"]
    assert client(slack, rotated.bot_token).auth_test()["team_id"] == "T2"
    # the same stored row rotated again (another process): its refresh token is used up
    with pytest.raises(SlackTokenRotationError, match="invalid_refresh_token"):
        rotator.perform_bot_token_rotation(bot=stored, minutes_before_expiration=120)


def test_strict_tokens_refuse_what_slack_never_issued(slack: LocalSlackWebAPI) -> None:
    slack.strict_tokens = True
    token = slack.install_team("T2", "U2BOT")

    assert error_of(client(slack, "xoxb-console").auth_test) == "invalid_auth"
    assert error_of(client(slack).auth_test) == "not_authed"
    assert error_of(lambda: client(slack, "x").chat_postMessage(channel="C", text="no")) == (
        "invalid_auth"
    )
    assert slack.to("chat.postMessage") == []  # refused calls are recorded, not delivered
    assert slack.attempts("chat.postMessage") == 1
    assert slack.team_of("x") is None
    assert client(slack, token).auth_test()["team_id"] == "T2"
    assert client(slack).api_test()["ok"]  # api.test needs no token


def test_revoked_team_is_refused_and_the_others_go_on(slack: LocalSlackWebAPI) -> None:
    one = slack.install_team("T1", "UBOT")
    two = slack.install_team("T2", "U2BOT")
    slack.grant("code-r", "T2", rotating=True)
    got = client(slack).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-r"
    )

    slack.revoke("T2")

    assert error_of(client(slack, two).auth_test) == "token_revoked"
    assert error_of(client(slack, got["access_token"]).auth_test) == "token_revoked"
    refused = error_of(
        lambda: client(slack).oauth_v2_access(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=got["refresh_token"],
        )
    )
    assert refused == "invalid_refresh_token"
    assert client(slack, one).auth_test()["team_id"] == "T1"
    # reinstalled: a new token works, the revoked ones stay revoked
    again = slack.install_team("T2", "U2BOT")
    assert client(slack, again).auth_test()["team_id"] == "T2"
    assert error_of(client(slack, two).auth_test) == "token_revoked"


def test_users_info_tells_other_organisations_apart(slack: LocalSlackWebAPI) -> None:
    slack.users["UHOME"] = {"id": "UHOME"}  # no team: the default workspace's
    slack.add_user("UAGENT2", team="T2", is_admin=True)
    slack.add_user("UGUEST", team="T9")  # a customer's org, in a Slack Connect channel
    two = slack.install_team("T2", "U2BOT")
    web = client(slack, two)

    assert web.users_info(user="UGUEST")["user"]["team_id"] == "T9"
    assert web.users_info(user="UAGENT2")["user"]["team_id"] == "T2"
    assert web.users_info(user="UHOME")["user"]["team_id"] == "T1"
    assert web.users_info(user="UGUEST")["user"]["profile"] == {
        "display_name": "",
        "real_name": "",
    }
    assert [m["id"] for m in web.users_list()["members"]] == ["UAGENT2"]
    assert [m["id"] for m in client(slack, "x").users_list()["members"]] == ["UHOME"]


def test_strict_users_answers_another_organisations_member_only_across_a_shared_channel(
    slack: LocalSlackWebAPI,
) -> None:
    """With `strict_users`, users.info answers a member of another team only to a token of a
    team that shares a channel with theirs (`connect`), as Slack does; `conversations.info`
    says the channel is shared. Without it, anyone is answered to any token (as before)."""
    slack.add_user("UGUEST", team="T9")
    slack.add_user("UGRID", team="T7", enterprise_user={"enterprise_id": "E1", "teams": ["T2"]})
    two = slack.install_team("T2", "U2BOT")
    assert client(slack, two).users_info(user="UGUEST")["user"]["team_id"] == "T9"

    slack.strict_users = True
    assert error_of(lambda: client(slack, two).users_info(user="UGUEST")) == "user_not_found"
    assert client(slack, two).users_info(user="UGRID")["user"]["team_id"] == "T7"  # its org
    slack.connect("CSHARED", "T1", "T9")
    assert client(slack, "x").users_info(user="UGUEST")["user"]["team_id"] == "T9"  # T1's
    assert error_of(lambda: client(slack, two).users_info(user="UGUEST")) == "user_not_found"
    shared = client(slack, two).conversations_info(channel="CSHARED")["channel"]
    assert shared["is_ext_shared"] is True


def test_faults_still_apply_to_installed_tokens(slack: LocalSlackWebAPI) -> None:
    token = slack.install_team("T2", "U2BOT")
    slack.fail("oauth.v2.access", Fault("http_500"))
    slack.fail("chat.postMessage", Fault("channel_not_found"))
    assert error_of(lambda: client(slack, token).chat_postMessage(channel="C", text="x")) == (
        "channel_not_found"
    )
    slack.grant("c", "T2")
    web = WebClient(base_url=slack.url, timeout=5, retry_handlers=[])
    with pytest.raises(SlackApiError):
        web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="c")
    assert web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="c")["ok"]


def test_a_shared_file_downloads_with_its_own_team_token(slack: LocalSlackWebAPI) -> None:
    two = slack.install_team("T2", "U2BOT")
    one = slack.install_team("T1", "UBOT")
    book = slack.share_file("book.yaml", b"rules: []\n", team="T2", user="U2ADMIN")
    assert book["url_private_download"].startswith(slack.url.removesuffix("api/"))
    assert client(slack, two).files_info(file=book["id"])["file"]["name"] == "book.yaml"
    assert error_of(lambda: client(slack, two).files_info(file="FNONE")) == "file_not_found"

    def download(token: str | None) -> tuple[int, str, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(book["url_private_download"], headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()

    assert download(two) == (200, "application/octet-stream", b"rules: []\n")
    for wrong in (one, "xoxb-console", None):  # another team's token, T1's by default, none
        status, kind, body = download(wrong)
        assert (status, kind.split(";")[0]) == (200, "text/html")
        assert b"Sign in" in body
    assert slack.tokens_used("file_download") == [two, one, "xoxb-console", None]
    slack.revoke("T2")
    assert download(two)[1].startswith("text/html")
    slack.fail("file_download", Fault("http_500"))
    with pytest.raises(urllib.error.HTTPError):
        download(two)


def test_bolt_oauth_flow_runs_an_installation(slack: LocalSlackWebAPI, tmp_path: Path) -> None:
    slack.grant("code-2", "T2", rotating=True, bot_user="U2BOT", installer="U2ADMIN")
    flow = OAuthFlow(client=client(slack), settings=oauth_settings(tmp_path))

    installation = flow.run_installation("code-2")

    assert installation is not None
    assert (installation.team_id, installation.bot_user_id) == ("T2", "U2BOT")
    assert installation.bot_id == "B2BOT"  # from auth.test with the new token
    assert installation.user_id == "U2ADMIN"
    assert installation.bot_token is not None
    assert installation.bot_token.startswith("xoxe.xoxb-")
    assert installation.bot_refresh_token is not None
    assert installation.bot_token_expires_at is not None
    assert slack.tokens_used("auth.test") == [installation.bot_token]


def oauth_settings(tmp_path: Path) -> OAuthSettings:
    return OAuthSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["chat:write"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path / "installations")),
        installation_store_bot_only=True,
        state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "states")),
    )


@pytest.fixture
def oauth_app(slack: LocalSlackWebAPI, tmp_path: Path) -> Iterator[tuple[SlackSender, App]]:
    """A bare Bolt App with OAuth on the loopback Slack (not the product's: S6 wires that)."""
    settings = oauth_settings(tmp_path)
    app = App(
        signing_secret="secret",
        client=client(slack),
        oauth_settings=settings,
        logger=logging.getLogger("test_local_slack"),
    )
    with serving(app) as endpoint:
        yield SlackSender(endpoint, "secret"), app


def test_install_walks_install_then_redirect(
    slack: LocalSlackWebAPI, oauth_app: tuple[SlackSender, App]
) -> None:
    sender, app = oauth_app
    slack.grant("code-2", "T2", bot_user="U2BOT")
    slack.grant("code-3", "T3", bot_user="U3BOT")

    start = sender.get("/slack/install")
    assert start.status == 200
    assert start.state
    assert STATE_COOKIE in start.cookies
    assert start.authorize_url
    assert start.authorize_url.startswith("https://slack.com/oauth/v2/authorize?")

    for code, team in (("code-2", "T2"), ("code-3", "T3")):
        done = sender.install(code)
        assert done.status == 200, done.body
        store = app.oauth_flow.settings.installation_store  # type: ignore[union-attr]
        stored = store.find_bot(enterprise_id=None, team_id=team)
        assert stored is not None
        assert stored.bot_token
        assert client(slack, stored.bot_token).auth_test()["team_id"] == team


def test_install_refused_without_the_browser_cookie_or_with_a_forged_state(
    slack: LocalSlackWebAPI, oauth_app: tuple[SlackSender, App]
) -> None:
    sender, _ = oauth_app
    slack.grant("code-2", "T2")

    assert sender.install("code-2", cookie=False).status == 400  # invalid_browser
    assert sender.install("code-2", state="forged").status == 400  # cookie is for another
    assert slack.to("oauth.v2.access") == []
    assert sender.install("never-granted").status == 401  # invalid_code
    assert sender.install("code-2").status == 200


def test_get_returns_redirects_unfollowed(slack: LocalSlackWebAPI, tmp_path: Path) -> None:
    settings = oauth_settings(tmp_path)
    settings.install_page_rendering_enabled = False  # /slack/install answers 302
    app = App(signing_secret="secret", client=client(slack), oauth_settings=settings)
    with serving(app) as endpoint:
        sender = SlackSender(endpoint, "secret")
        page = sender.get("/slack/install")
        assert page.status == 302
        assert page.location
        assert "state=" in page.location
        assert page.state
        assert page.cookies[STATE_COOKIE] == page.state
        slack.grant("code-2", "T2")
        assert sender.install("code-2").status == 200


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP server that keeps each JSON body POSTed to it and answers 200."""
    bodies: list[dict[str, Any]] = []

    class Keep(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if self.headers.get("Content-Type") == "application/json":
                bodies.append(json.loads(raw))
            else:  # a slash command's form, or a button's payload in one
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                bodies.append(json.loads(form["payload"]) if "payload" in form else form)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keep)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slack/events", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_event_envelopes_for_other_teams_and_connect_channels(
    recorder: tuple[str, list[dict[str, Any]]],
) -> None:
    endpoint, bodies = recorder
    sender = SlackSender(endpoint, "secret")
    message = {"type": "message", "channel": "CSHARED", "user": "UGUEST", "text": "hi"}

    assert sender.event(message) == 200
    assert sender.event(message, team="T2", authorizations=True) == 200
    assert (
        sender.event(
            message, team="T2", authorizations=True, is_ext_shared_channel=True, user_team="T9"
        )
        == 200
    )
    assert sender.event(message, team="T2", authorizations=[authorization("T3")]) == 200
    plain, other, shared, listed = bodies

    assert plain["team_id"] == "T1"
    assert plain["event"]["team"] == "T1"
    assert "authorizations" not in plain
    assert "is_ext_shared_channel" not in plain
    assert "user_team" not in plain["event"]
    assert other["team_id"] == "T2"
    assert other["event"]["team"] == "T2"
    assert other["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T2",
            "user_id": "UBOT",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert shared["is_ext_shared_channel"] is True
    assert shared["event"]["user_team"] == "T9"
    assert shared["event"]["team"] == "T9"
    assert shared["authorizations"][0]["team_id"] == "T2"
    assert listed["authorizations"][0]["team_id"] == "T3"


def test_commands_buttons_and_lifecycle_events_of_another_team(
    recorder: tuple[str, list[dict[str, Any]]],
) -> None:
    endpoint, bodies = recorder
    sender = SlackSender(endpoint, "secret")

    assert sender.command("U1", "status")[0] == 200
    assert sender.command("U2", "status", team="T2")[0] == 200
    assert sender.action("U2", "claim", "7", "C2", team="T2") == 200
    assert sender.app_uninstalled("T2") == 200
    assert sender.tokens_revoked("T3", ["U3BOT"]) == 200
    ours, theirs, button, uninstalled, revoked = bodies

    assert ours["team_id"] == "T1"
    assert theirs["team_id"] == "T2"
    assert button["team"] == {"id": "T2"}
    assert uninstalled["team_id"] == "T2"
    assert uninstalled["event"]["type"] == "app_uninstalled"
    assert uninstalled["authorizations"][0]["team_id"] == "T2"
    assert revoked["team_id"] == "T3"
    assert revoked["event"]["tokens"] == {"oauth": [], "bot": ["U3BOT"]}

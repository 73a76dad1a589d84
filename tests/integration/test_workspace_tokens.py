"""Each workspace's token (issue 16, S5/S7): read from its OAuth install in the database,
renewed before it expires by exactly one process at a time, and used for that workspace's
posts only; a workspace the app was removed from gets nothing posted and nobody told.

The installs are made as Bolt's OAuth flow makes them (oauth.v2.access answered by the loopback
Slack, saved by slack_sdk's SQLAlchemyInstallationStore on the migrated database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import CLIENT_ID, CLIENT_SECRET, Fault, LocalSlackWebAPI
from bot.workers.outbox import OutboxDrainer
from db.engine import make_engine
from db.installations import SqlInstallations
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from handlers.slack.clients import NOT_INSTALLED, SlackClients, WorkspaceSenders
from handlers.slack.installations import InstalledTokens, NotInstalled, TokenUnavailable

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    api.strict_tokens = True  # a token Slack never issued is refused, not taken as T1's
    try:
        yield api
    finally:
        api.stop()


def install(
    slack: LocalSlackWebAPI,
    engine: Engine,
    team: str,
    *,
    rotating: bool = False,
    expires_in: timedelta | None = None,
) -> str:
    """`team` installs the app: the code exchanged with oauth.v2.access and saved as Bolt's
    OAuthFlow saves it. `expires_in` overrides the expiry kept (to make a token due now)."""
    code = f"code-{team}-{time.monotonic_ns()}"
    slack.grant(code, team, rotating=rotating)
    answer = WebClient(base_url=slack.url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )
    lifetime = expires_in.total_seconds() if expires_in else answer.get("expires_in")
    SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine).save(
        Installation(
            app_id=answer["app_id"],
            enterprise_id=None,
            team_id=answer["team"]["id"],
            team_name=answer["team"].get("name"),
            bot_token=answer["access_token"],
            bot_id=answer.get("bot_id"),
            bot_user_id=answer.get("bot_user_id"),
            bot_scopes=answer.get("scope"),
            bot_refresh_token=answer.get("refresh_token"),
            bot_token_expires_in=int(lifetime) if lifetime is not None else None,
            user_id=answer["authed_user"]["id"],
            token_type="bot",
        )
    )
    return str(answer["access_token"])


def tokens(
    slack: LocalSlackWebAPI, engine: Engine, *, renew_before: timedelta = timedelta(minutes=120)
) -> InstalledTokens:
    rotator = TokenRotator(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client=WebClient(base_url=slack.url, timeout=5),
    )
    return InstalledTokens(
        SqlInstallations(engine, client_id=CLIENT_ID), rotator=rotator, renew_before=renew_before
    )


def refreshes(slack: LocalSlackWebAPI) -> int:
    return sum(
        1
        for _, params in slack.with_tokens("oauth.v2.access")
        if params.get("grant_type") == "refresh_token"
    )


def test_each_workspace_gets_its_own_token_and_an_uninstalled_one_none(
    slack: LocalSlackWebAPI, engine: Engine
) -> None:
    first, second = install(slack, engine, "T1"), install(slack, engine, "T2")
    source = tokens(slack, engine)
    assert source.bot_token("T1") == first
    assert source.bot_token("T2") == second
    assert WebClient(token=source.bot_token("T2"), base_url=slack.url).auth_test()["team_id"] == (
        "T2"
    )
    for nowhere in ("T3", "", None):
        with pytest.raises(NotInstalled):
            source.bot_token(nowhere)
    SqlInstallations(engine, client_id=CLIENT_ID).forget("T1")
    source.forget("T1")
    with pytest.raises(NotInstalled):
        source.bot_token("T1")
    assert source.bot_token("T2") == second


def test_a_token_is_renewed_once_however_many_processes_ask_at_once(
    slack: LocalSlackWebAPI, database_url: str
) -> None:
    """Eight processes (each its own engine and cache) find T1's token due at once: one asks
    Slack for a new one (a refresh token works once), the others wait and read it."""
    engines = [make_engine(database_url) for _ in range(8)]
    try:
        old = install(slack, engines[0], "T1", rotating=True, expires_in=timedelta(minutes=1))
        sources = [tokens(slack, each) for each in engines]
        # the first renewal's answer comes half a second late: time for the others to ask
        slack.fail("oauth.v2.access", Fault("posted_then_hang", hang=0.5))
        got: list[str] = []
        failures: list[BaseException] = []
        start = threading.Barrier(len(sources))

        def ask(source: InstalledTokens) -> None:
            try:
                start.wait()
                got.append(source.bot_token("T1"))
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=ask, args=(each,)) for each in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        assert refreshes(slack) == 1
        assert len(set(got)) == 1
        assert got[0] != old
        assert WebClient(token=got[0], base_url=slack.url).auth_test()["team_id"] == "T1"
        # the renewed token is what every later reader gets, and it is not due again
        assert tokens(slack, engines[0]).bot_token("T1") == got[0]
        assert refreshes(slack) == 1
    finally:
        for each in engines:
            each.dispose()


def test_slack_failing_to_renew_keeps_a_live_token_and_refuses_a_dead_one(
    slack: LocalSlackWebAPI, engine: Engine
) -> None:
    live = install(slack, engine, "T1", rotating=True, expires_in=timedelta(minutes=30))
    install(slack, engine, "T2", rotating=True, expires_in=timedelta(seconds=-5))
    slack.fail("oauth.v2.access", Fault("http_500"))
    assert tokens(slack, engine).bot_token("T1") == live  # due, not renewed, still good
    slack.fail("oauth.v2.access", Fault("internal_error"))
    with pytest.raises(TokenUnavailable):
        tokens(slack, engine).bot_token("T2")
    # once Slack answers again, the expired one is renewed
    renewed = tokens(slack, engine).bot_token("T2")
    assert WebClient(token=renewed, base_url=slack.url).auth_test()["team_id"] == "T2"


def queue_reply(sessions: sessionmaker[Session], workspace: str, text: str) -> int:
    with SqlUnitOfWork(sessions) as uow:
        row = uow.outbox.enqueue(
            "reply",
            {"channel": f"D-{workspace}", "text": text},
            now=NOW,
            workspace_id=workspace,
        )
        uow.commit()
    return row


def test_each_workspaces_posts_go_out_with_its_own_token(
    slack: LocalSlackWebAPI, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    first, second = install(slack, engine, "T1"), install(slack, engine, "T2")
    senders = WorkspaceSenders(SlackClients(tokens(slack, engine), base_url=slack.url))
    drainer = OutboxDrainer(sessions=sessions, senders=senders, clock=lambda: NOW)
    for workspace, text in (("T1", "one"), ("T2", "two"), ("T1", "three"), ("T2", "four")):
        queue_reply(sessions, workspace, text)
    while drainer.work_once():
        pass
    posted = {(token, params["text"]) for token, params in slack.with_tokens("chat.postMessage")}
    assert posted == {(first, "one"), (second, "two"), (first, "three"), (second, "four")}


def test_a_post_for_a_workspace_without_the_app_is_kept_and_nobody_is_told(
    slack: LocalSlackWebAPI, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    install(slack, engine, "T2")
    senders = WorkspaceSenders(SlackClients(tokens(slack, engine), base_url=slack.url))
    drainer = OutboxDrainer(sessions=sessions, senders=senders, clock=lambda: NOW)
    gone = queue_reply(sessions, "T1", "for a workspace that removed the app")
    kept = queue_reply(sessions, "T2", "for one that has it")
    while drainer.work_once():
        pass
    assert [p["text"] for p in slack.to("chat.postMessage")] == ["for one that has it"]
    with sessions() as session:
        rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
    assert (rows[gone].status, rows[gone].last_error) == ("held", NOT_INSTALLED)
    assert rows[kept].status == "sent"
    assert [row.kind for row in rows.values() if row.kind.startswith("admin")] == []

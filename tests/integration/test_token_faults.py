"""Workspace tokens when Slack refuses them: a refresh token Slack will not take is not asked
about at every call, and a worker process's kept token, revoked by an uninstall and a new
install seen by another process, is read again and the post goes out with the new one.
Through slack_sdk's own install store, the real database (SQLite and PostgreSQL) and the
loopback Slack (strict tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.local_slack import CLIENT_ID, CLIENT_SECRET, LocalSlackWebAPI
from bot.workers.outbox import OutboxDrainer
from db.installations import SqlInstallations
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from handlers.slack.clients import SlackClients, WorkspaceSenders
from tests.integration.test_workspace_tokens import install, refreshes, tokens

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[LocalSlackWebAPI]:
    api = LocalSlackWebAPI().start()
    api.strict_tokens = True
    try:
        yield api
    finally:
        api.stop()


def test_a_refused_refresh_token_is_not_asked_again_at_every_call(
    slack: LocalSlackWebAPI, engine: Engine
) -> None:
    """T1's rotating token is due (30 minutes left) and its refresh token is spent (an earlier
    renewal whose answer was lost): Slack answers invalid_refresh_token. Every event's authorize
    and every post reads the token; each must not go to Slack (and take the workspace's lock)
    again and again for the two hours the token still works."""
    live = install(slack, engine, "T1", rotating=True, expires_in=timedelta(minutes=30))
    stored = SqlInstallations(engine, client_id=CLIENT_ID).bot("T1")
    assert stored is not None
    assert stored.bot_refresh_token
    # the refresh token used once elsewhere (that answer lost): single use, so now refused
    WebClient(base_url=slack.url).oauth_v2_access(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=stored.bot_refresh_token,
    )
    spent = refreshes(slack)
    source = tokens(slack, engine)
    for _ in range(20):  # twenty events and posts of T1 within a few seconds
        assert source.bot_token("T1") == live
    assert refreshes(slack) - spent <= 1, (
        f"{refreshes(slack) - spent} oauth.v2.access refreshes for 20 reads"
    )


def queue_reply(sessions: sessionmaker[Session], text: str) -> int:
    with SqlUnitOfWork(sessions) as uow:
        row = uow.outbox.enqueue(
            "reply", {"channel": "D-T1", "text": text}, now=NOW, workspace_id="T1"
        )
        uow.commit()
    return row


def test_a_worker_process_posts_with_the_reinstalled_token_not_its_kept_revoked_one(
    slack: LocalSlackWebAPI, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """`serve` runs the front (where app_uninstalled and the OAuth redirect arrive, and whose
    cache is dropped) apart from the worker processes (whose kept token lives 30 s). T1
    uninstalls and installs again: the worker's next reply to a T1 customer must go out with
    the new token, not be given up as token_revoked."""
    install(slack, engine, "T1")
    worker_tokens = tokens(slack, engine)  # the worker process's own cache
    drainer = OutboxDrainer(
        sessions=sessions,
        senders=WorkspaceSenders(SlackClients(worker_tokens, base_url=slack.url)),
        clock=lambda: NOW,
    )
    queue_reply(sessions, "before")
    while drainer.work_once():
        pass
    # the front: app_uninstalled (Slack revokes the token; the rows deleted), then a reinstall
    slack.revoke("T1")
    SqlInstallations(engine, client_id=CLIENT_ID).forget("T1")
    fresh = install(slack, engine, "T1")
    row = queue_reply(sessions, "after the reinstall")
    while drainer.work_once():
        pass
    with sessions() as session:
        kept = session.get(OutboxMessage, row)
        assert kept is not None
        status, error = kept.status, kept.last_error
        admins = [
            r.kind for r in session.scalars(select(OutboxMessage)) if r.kind.startswith("admin")
        ]
    posted = [
        token
        for token, params in slack.with_tokens("chat.postMessage")
        if params.get("text") == "after the reinstall" and slack.team_of(token) == "T1"
    ]
    assert (status, error, admins) == ("sent", None, [])
    assert fresh in posted

"""A workspace that uninstalled the app (issue 16, item 1): its work stops quietly and cheaply,
and resumes when it installs the app again.

T1 and T2 install the app through /slack/install (Bolt's own flow, the loopback Slack refusing
any token it did not issue), each with a weekly report channel, round robin over its on-call
group and a 10-minute response target, and each has a customer waiting for a person. T1
uninstalls. Past the targets and a Monday 09:00, T2 gets its reminders, offers, overdue notice
and report; T1 gets nothing queued or held, no Slack call is made with its token or into its
channels, and nothing is logged as a problem. Its report of that week is not made late; its
reminders and the on-call chain of its still-open handoff wait and go on once it installs the
app again, as does the next Monday's report. The real product in OAuth mode (build_product),
on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from bot.agents.offline import OfflineAgent
from bot.composition import build_product
from bot.console.local_slack import CLIENT_ID, CLIENT_SECRET, LocalSlackWebAPI
from bot.settings import Settings
from bot.workers.offers import WAIT_FOR_INSTALL
from db.installations import SqlInstallations
from db.models import OutboxMessage
from db.uow import SqlUnitOfWork
from tests.clock import Clock
from tests.integration.desk_world import ASKS_FOR_A_PERSON
from tests.integration.mock_slack import SlackSender
from tests.integration.serving import serving
from tests.integration.test_oauth_install import ADMIN, AGENTS, SECRET, TEAMS, Installed, install
from tests.integration.test_workspace_tokens import install as save_install
from tests.integration.test_workspace_tokens import tokens as installed_tokens

REPORTS = {"T1": "C1REPORTS", "T2": "C2REPORTS"}
GROUP = {"T1": "S1ONCALL", "T2": "S2ONCALL"}
MEMBERS = {team: [f"U{team[1]}AMY", f"U{team[1]}BEN", f"U{team[1]}CAL"] for team in TEAMS}
# Wednesday 2 December 2026, 09:00 UTC; the Mondays after it, 09:00 UTC
WEDNESDAY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


@contextmanager
def two_desks(database_url: str, clock: Clock) -> Iterator[Installed]:
    slack = LocalSlackWebAPI(strict_tokens=True).start()
    for team in TEAMS:
        slack.add_user(ADMIN[team], team, is_admin=True)
        for member in MEMBERS[team]:
            slack.add_user(member, team)
        slack.usergroups.append({"id": GROUP[team], "handle": f"{team.lower()}-oncall"})
        slack.usergroup_members[GROUP[team]] = list(MEMBERS[team])
        slack.active.update(MEMBERS[team][:2])  # Cal is away
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        SHOP="demo",
        TURN_SETTLE_SECONDS=0,
        # several posts into one thread at one instant of the test's clock: the pacing of
        # Slack's per-channel limit (real seconds) is not what is tested here
        SLACK_PACING="off",
    )
    product = build_product(settings, clock=clock, agent=OfflineAgent())
    try:
        with serving(product.app, signing_secret=SECRET) as endpoint:
            sender = SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")
            yield Installed(product, slack, sender, database_url)
    finally:
        product.stop()
        slack.stop()


def settle(world: Installed) -> None:
    """What the background threads do: turns, timers and offers, reports, posts."""
    product = world.product
    assert product.timers is not None
    assert product.reports is not None
    for _ in range(10):
        done = product.inbox_worker.run_until_idle() + product.timers.run_until_idle()
        done += product.reports.run_until_idle()
        if not done + product.drainer.run_until_idle():
            return


def at(world: Installed, clock: Clock, moment: datetime) -> None:
    clock.now = moment
    settle(world)


def set_up(world: Installed, team: str) -> None:
    assert "Handoff cards now go to" in world.command(team, f"channel <#{AGENTS[team]}|agents>")
    said = world.command(team, f"report channel <#{REPORTS[team]}|reports>")
    assert said.startswith(f"The weekly report goes to <#{REPORTS[team]}>"), said
    assert "10 minutes" in world.command(team, "sla 10m")
    said = world.command(
        team, f"oncall <!subteam^{GROUP[team]}|@{team.lower()}-oncall> round-robin"
    )
    assert "round robin" in said.lower(), said


def thread(world: Installed, team: str) -> list[str]:
    """What was posted in the thread of `team`'s one card (its only thread)."""
    return [
        str(m["text"])
        for m in world.slack.messages_in(AGENTS[team])
        if m.get("thread_ts") and not m.get("blocks")
    ]


def reminders(world: Installed, team: str) -> list[str]:
    return [t for t in thread(world, team) if ":alarm_clock:" in t]


def offers(world: Installed, team: str) -> list[str]:
    return [t for t in thread(world, team) if ":raising_hand:" in t or ":rotating_light:" in t]


def told_admin(world: Installed, team: str) -> list[str]:
    return [str(m["text"]) for m in world.slack.messages_in(ADMIN[team])]


def reports_shared(world: Installed, team: str) -> list[dict[str, Any]]:
    return [f for f in world.slack.files_shared() if f["channel"] == REPORTS[team]]


def outbox_rows(world: Installed, team: str) -> int:
    with world.product.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.workspace_id == team)
            ).scalar_one()
        )


def report_due(world: Installed, team: str) -> datetime | None:
    with SqlUnitOfWork(world.product.sessions, read_only=True) as uow:
        return uow.desk.report_due_at(team)


def for_t1(world: Installed, call: tuple[str, str | None, dict[str, Any]]) -> bool:
    """A Slack call made with T1's token, or into one of T1's channels or DMs."""
    _, token, params = call
    places = {AGENTS["T1"], REPORTS["T1"], ADMIN["T1"], f"D{ADMIN['T1']}"}
    aimed = {str(params.get(key)) for key in ("channel", "channel_id", "users", "user")}
    return world.slack.team_of(token) == "T1" or bool(aimed & places)


def test_an_uninstalled_workspace_gets_nothing_done_and_goes_on_once_installed_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    clock.now = WEDNESDAY
    with two_desks(database_url, clock) as world:
        for team in TEAMS:
            install(world, team, f"code-{team}")
            set_up(world, team)
            world.customer_writes(team, ASKS_FOR_A_PERSON)
        settle(world)
        for team in TEAMS:  # the card, and at once the first on-call offer (Amy)
            assert len(offers(world, team)) == 1, team
            assert offers(world, team)[0].startswith(f"<@{MEMBERS[team][0]}> :raising_hand:")
            assert report_due(world, team) == MONDAY

        at(world, clock, WEDNESDAY + timedelta(minutes=1))
        world.slack.revoke("T1")
        assert world.sender.app_uninstalled("T1") == 200
        rows, calls, logged = (
            outbox_rows(world, "T1"),
            len(world.slack.every_call()),
            len(caplog.records),
        )

        # past the target, twice the target, and the Monday 09:00 of the weekly report
        for moment in (
            WEDNESDAY + timedelta(minutes=11),
            WEDNESDAY + timedelta(minutes=21),
            WEDNESDAY + timedelta(hours=3),
            MONDAY,
            MONDAY + timedelta(hours=1),
        ):
            at(world, clock, moment)

        # T2: its reminder, the offer passed on to Ben then the group, the admin told, the report
        assert len(reminders(world, "T2")) == 1
        assert [o.split(" ", 1)[0] for o in offers(world, "T2")] == [
            "<@U2AMY>",
            "<@U2BEN>",
            "<!subteam^S2ONCALL>",
        ]
        assert any("twice the time-to-claim target" in t for t in told_admin(world, "T2"))
        assert len(reports_shared(world, "T2")) == 1
        # T1: nothing queued or held, no Slack call with its token or into its channels
        assert outbox_rows(world, "T1") == rows
        assert [call for call in world.slack.every_call()[calls:] if for_t1(world, call)] == []
        assert reminders(world, "T1") == []
        assert len(offers(world, "T1")) == 1
        assert reports_shared(world, "T1") == []
        # this week's report is not made late: the next one is due the Monday after
        assert report_due(world, "T1") == NEXT_MONDAY
        since = caplog.records[logged:]
        about_t1 = [r for r in since if "T1" in r.getMessage()]
        assert [r.getMessage() for r in about_t1 if r.levelno >= logging.WARNING] == []
        assert [r.getMessage() for r in about_t1] == [
            "weekly report of T1 not made: the app is not installed there"
        ]

        # T1 installs the app again: the handoff still waiting gets its reminder, the chain
        # goes on (Ben), the admin is told, with the new token; the next Monday's report comes
        again = install(world, "T1", "code-T1-again")
        at(world, clock, MONDAY + timedelta(hours=1) + WAIT_FOR_INSTALL)
        assert len(reminders(world, "T1")) == 1
        assert offers(world, "T1")[1].startswith("<@U1BEN> :raising_hand:")
        assert any("twice the time-to-claim target" in t for t in told_admin(world, "T1"))
        assert world.tokens_posting_to(AGENTS["T1"]) >= {again}
        at(world, clock, NEXT_MONDAY)
        assert len(reports_shared(world, "T1")) == 1
        assert len(reports_shared(world, "T2")) == 2
        shared_with = {
            token
            for token, params in world.slack.with_tokens("files.completeUploadExternal")
            if params.get("channel_id") == REPORTS["T1"]
        }
        assert shared_with == {again}


def test_an_event_of_an_uninstalled_workspace_is_acknowledged_with_one_line_of_ours(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt's own ERROR for an `authorize` that found no installation is left out: ours says
    it, once, as a warning; any other record of that logger is kept."""
    clock = Clock()
    with two_desks(database_url, clock) as world:
        install(world, "T2", "code-T2")
        install(world, "T1", "code-T1")
        world.slack.revoke("T1")
        assert world.sender.app_uninstalled("T1") == 200
        caplog.clear()
        dm = world.customer_writes("T1", ASKS_FOR_A_PERSON)
        assert world.slack.messages_in(dm) == []
        lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= 30]
        assert lines == [
            (
                "handlers.slack.installations",
                logging.WARNING,
                "a request from T1, where no token of ours works: T1",
            )
        ]
        bolt = logging.getLogger("slack_bolt.MultiTeamsAuthorization")
        bolt.error("Failed to authorize with the given token (invalid_auth)")
        assert caplog.records[-1].getMessage() == (
            "Failed to authorize with the given token (invalid_auth)"
        )


def test_a_workspace_without_the_app_is_read_once_within_the_keep_and_an_install_is_seen_at_once(
    engine: Engine,
) -> None:
    slack = LocalSlackWebAPI(strict_tokens=True).start()
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "slack_bots" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        source = installed_tokens(slack, engine)
        assert [source.installed("T1") for _ in range(50)] == [False] * 50
        assert len(reads) == 1  # a sweep every second asks; the database is read once

        # an install in another process (saved, not forgotten here): a request is served at
        # once all the same, and from then on the sweeps see it
        token = save_install(slack, engine, "T1")
        assert source.bot_token("T1") == token
        assert source.installed("T1")

        # uninstalled here: seen at once; installed again (the install flow forgets): at once
        SqlInstallations(engine, client_id=CLIENT_ID).forget("T1")
        source.forget("T1")
        assert not source.installed("T1")
        again = save_install(slack, engine, "T1")
        source.forget("T1")
        assert source.installed("T1")
        assert source.bot_token("T1") == again
        before = len(reads)
        assert all(source.installed("T1") for _ in range(50))
        assert len(reads) == before  # kept, as the token is
    finally:
        event.remove(engine, "before_cursor_execute", count)
        slack.stop()

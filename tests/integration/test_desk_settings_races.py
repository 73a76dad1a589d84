"""Desk settings changed at once by several admins (and the weekly sweep): each command writes
only its own setting, so none undoes another's, and hours this host cannot read stay stored.
Both databases; the weekly sweep's race is PostgreSQL's (SQLite serializes writers)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session, sessionmaker

import bot.desk.targets as targets_module
import db.desk as desk_module
from bot.composition import Product
from bot.desk.oncall import GroupSearch, OncallSettings
from bot.desk.targets import DeskTargets
from bot.desk.weekly import WeeklyReportChannel
from db.models import DeskSettings
from db.uow import SqlUnitOfWork
from tests.clock import Clock
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.test_weekly_report import (  # noqa: F401  (fixtures)
    MONDAY_BERLIN,
    MONDAY_UTC,
    clock,
    command,
    due_at,
    reports_to_the_channel,
    settle,
    shared_in,
    slack,
)

WEDNESDAY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
UNKNOWN_ZONE = "America/Nowhere_Future"  # a zone a newer tz database may know, this one not


@pytest.fixture
def desk_clock() -> Clock:
    moment = Clock()
    moment.now = WEDNESDAY
    return moment


def stored(sessions: sessionmaker[Session]) -> DeskSettings:
    with SqlUnitOfWork(sessions, read_only=True) as uow:
        row = uow.session.get(DeskSettings, "T1")
        assert row is not None
        return row


def slow_group_lookup(meanwhile: Any) -> Any:
    """A Slack user group lookup during which another admin's command runs to its end."""

    def find_group(handle: str) -> GroupSearch:
        meanwhile()
        return GroupSearch(group_id="S0ONCALL", handle=handle)

    return find_group


def test_the_on_call_group_set_while_another_admin_sets_the_report_channel_keeps_the_channel(
    sessions: sessionmaker[Session], desk_clock: Clock
) -> None:
    oncall = OncallSettings(sessions=sessions, clock=desk_clock)
    weekly = WeeklyReportChannel(sessions=sessions, clock=desk_clock)
    told: list[str] = []
    answer = oncall.handle(
        "T1",
        "@support",
        find_group=slow_group_lookup(lambda: told.append(weekly.post_in("T1", "C0REPORTS"))),
    )
    assert answer.startswith("On-call group: `@support`")
    assert told[0].startswith("The weekly report goes to <#C0REPORTS>")
    assert weekly.describe("T1").startswith("The weekly report goes to <#C0REPORTS>")
    row = stored(sessions)
    assert (row.report_channel, row.oncall_group_id) == ("C0REPORTS", "S0ONCALL")
    assert row.report_due_at is not None


def test_the_on_call_group_set_while_another_admin_turns_names_off_keeps_names_off(
    sessions: sessionmaker[Session], desk_clock: Clock
) -> None:
    oncall = OncallSettings(sessions=sessions, clock=desk_clock)
    targets = DeskTargets(sessions=sessions, clock=desk_clock)
    told: list[str] = []
    oncall.handle(
        "T1",
        "@support round-robin",
        find_group=slow_group_lookup(lambda: told.append(targets.handle("T1", "names", "off"))),
    )
    assert "without the agent's name" in told[0]
    with SqlUnitOfWork(sessions, read_only=True) as uow:
        config = uow.desk.config("T1")
    assert config.oncall is not None
    assert config.oncall.round_robin
    assert config.agent_names is False, "the admin's `names off` was silently undone"


@pytest.mark.parametrize("action", ["add", "remove"])
def test_holidays_changed_by_two_admins_at_once_keep_both_changes(
    sessions: sessionmaker[Session], desk_clock: Clock, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    targets = DeskTargets(sessions=sessions, clock=desk_clock)
    targets.handle("T1", "holidays", "add 2026-12-24 2026-12-31")
    other_admin = "add 2026-12-26" if action == "add" else "remove 2026-12-31"
    read_dates = targets_module._date
    raced: list[str] = []

    def meanwhile(text: str) -> date | None:  # after the first admin's command read the list
        if not raced:
            raced.append("the other admin's command runs")
            raced.append(targets.handle("T1", "holidays", other_admin))
        return read_dates(text)

    monkeypatch.setattr(targets_module, "_date", meanwhile)
    answer = targets.handle("T1", "holidays", f"{action} 2026-12-24")
    # added: one already there (the other admin's date stays); removed: the other one too
    expected = ["2026-12-24", "2026-12-26", "2026-12-31"] if action == "add" else []
    assert sorted(stored(sessions).holidays) == expected, raced
    assert answer == f"Holidays: {', '.join(expected) or 'none'} (they apply once " + (
        "`/escalation hours` is set)."
    )


def unreadable_hours(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Hours stored by a host whose tz database knows a zone this one does not."""
    with SqlUnitOfWork(sessions) as uow:
        row = uow.session.get(DeskSettings, "T1")
        assert row is not None
        assert row.hours is not None
        doc = {**row.hours, "zone": UNKNOWN_ZONE}
        uow.session.execute(
            update(DeskSettings).where(DeskSettings.workspace_id == "T1").values(hours=doc)
        )
        uow.commit()
    return doc


@pytest.mark.parametrize(
    ("command_name", "rest"),
    [
        ("names", "off"),
        ("sla", "10m"),
        ("sla", "off"),
        ("holidays", "add 2026-12-24"),
        ("holidays", "remove 2026-12-24"),
        ("oncall", "@support"),
    ],
)
def test_other_settings_keep_hours_this_host_cannot_read_and_the_reports_time(
    sessions: sessionmaker[Session], desk_clock: Clock, command_name: str, rest: str
) -> None:
    targets = DeskTargets(sessions=sessions, clock=desk_clock)
    weekly = WeeklyReportChannel(sessions=sessions, clock=desk_clock)
    assert "Europe/Berlin" in targets.handle("T1", "hours", "Mon-Fri 09:00-17:30 Europe/Berlin")
    weekly.post_in("T1", "C0REPORTS")
    due = stored(sessions).report_due_at
    doc = unreadable_hours(sessions)
    if command_name == "oncall":
        OncallSettings(sessions=sessions, clock=desk_clock).handle(
            "T1", rest, find_group=slow_group_lookup(lambda: None)
        )
    else:
        targets.handle("T1", command_name, rest)
    row = stored(sessions)
    assert row.hours == doc, f"`{command_name} {rest}` erased the stored business hours"
    assert row.report_due_at == due, "the weekly report moved to UTC"


@pytest.mark.parametrize("second_command", ["sla 10m", "report channel C0REPORTS"])
def test_two_first_ever_settings_of_a_workspace_at_once_both_land(
    sessions: sessionmaker[Session], engine: Engine, desk_clock: Clock, second_command: str
) -> None:
    """Neither finds the row; each creates it. The second to insert must not fail on the
    primary key (on PostgreSQL it waits for the first's commit; SQLite runs them in turn)."""
    targets = DeskTargets(sessions=sessions, clock=desk_clock)
    weekly = WeeklyReportChannel(sessions=sessions, clock=desk_clock)
    first_inserted = threading.Event()
    second_inserting = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def overlap(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith("INSERT INTO DESK_SETTINGS"):
            return
        if threading.current_thread().name == "first":
            first_inserted.set()
        else:
            second_inserting.set()

    @event.listens_for(engine, "after_cursor_execute")
    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # the first keeps its insert uncommitted until the second is inserting too (or, on
        # SQLite, where the second cannot begin meanwhile, for a moment)
        if threading.current_thread().name == "first" and statement.lstrip().upper().startswith(
            "INSERT INTO DESK_SETTINGS"
        ):
            second_inserting.wait(1.5)

    failures: list[BaseException] = []

    def run(command_name: str, rest: str) -> None:
        try:
            if command_name == "report channel":
                weekly.post_in("T1", rest)
            else:
                targets.handle("T1", command_name, rest)
        except BaseException as error:  # reported below
            failures.append(error)

    first = threading.Thread(target=run, args=("names", "off"), name="first")
    first.start()
    assert first_inserted.wait(10)
    name, rest = second_command.rsplit(" ", 1)
    second = threading.Thread(target=run, args=(name, rest), name="second")
    second.start()
    first.join(20)
    second.join(20)
    event.remove(engine, "before_cursor_execute", overlap)
    event.remove(engine, "after_cursor_execute", hold)
    assert failures == []
    row = stored(sessions)
    assert row.agent_names is False
    if second_command == "sla 10m":
        assert row.claim_target_seconds == 600
    else:
        assert row.report_channel == "C0REPORTS"


# --- the weekly report's time, moved by `hours` while the sweep claims it --------------------


def test_a_zone_change_racing_the_weekly_sweep_makes_that_mondays_report_once(  # noqa: PLR0917
    sender: SlackSender,
    product: Product,
    slack: MockSlackAPI,  # noqa: F811
    clock: Clock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    """`hours` reads the report's due time to move it to the new zone; a sweeper (another
    process) claiming the report in between must not have its claim overwritten: the same
    Monday's report would come twice."""
    if backend == "sqlite":
        pytest.skip("SQLite serializes the two writers; the race is PostgreSQL's")
    reports_to_the_channel(sender)
    clock.now = MONDAY_UTC + timedelta(seconds=1)  # due; a sweeper is about to run
    moved_to_zone = desk_module.moved_to_zone
    raced: list[int] = []

    def moved_while_a_sweeper_runs(due: datetime, zone: str, *, now: datetime) -> datetime:
        if not raced:
            sweeper = threading.Thread(
                target=lambda: raced.append(product.reports.work_once())  # type: ignore[union-attr]
            )
            sweeper.start()
            sweeper.join(30)
            assert not sweeper.is_alive()
        return moved_to_zone(due, zone, now=now)

    monkeypatch.setattr(desk_module, "moved_to_zone", moved_while_a_sweeper_runs)
    assert "Europe/Berlin" in command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    assert raced
    settle(product)
    assert len(shared_in(slack)) == 1, "the same Monday's report was shared twice"
    assert due_at(product) == MONDAY_BERLIN + timedelta(days=7)  # next Monday, on Berlin's clock

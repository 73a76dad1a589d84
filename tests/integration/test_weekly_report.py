"""The weekly report in a channel: `/escalation report channel #reports` and the sweep that
shares the chart of the past week (Monday to Sunday) there every Monday at 09:00, once,
however many processes sweep, across restarts, and with the admins told once when Slack will
not take it. The real Bolt App over HTTP, the loopback Slack Web API, the test clock, SQLite
and PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.composition import Product
from bot.desk.report import ChartNotShared
from bot.workers.reports import CONFIRM_WITHIN, RETRY_AFTER
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.handoff import Handoff
from handlers.slack.reports import SlackChartUploader
from handlers.slack.sender import make_posting_client
from tests.clock import Clock
from tests.integration.desk_product import ADMIN, SECRET, build_desk_product, command
from tests.integration.mock_slack import Fault, MockSlackAPI, SlackSender
from tests.integration.serving import serving

AGENTS = "C0AGENTS"
REPORTS = "C0REPORTS"
ELSEWHERE = "C0ELSEWHERE"  # a channel the bot is not in
AGENT = "U0AGENT1"
# Wednesday 2 December 2026, 09:00 UTC; the first Monday 09:00 after it is 7 December.
WEDNESDAY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MONDAY_UTC = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MONDAY_BERLIN = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 CET


@pytest.fixture
def slack() -> Iterator[MockSlackAPI]:
    api = MockSlackAPI(
        users={ADMIN: {"id": ADMIN, "is_admin": True}, AGENT: {"id": AGENT, "is_admin": False}},
        channels={
            AGENTS: {"name": "agents"},
            REPORTS: {"name": "reports"},
            ELSEWHERE: {"name": "elsewhere", "is_member": False},
        },
    ).start()
    yield api
    api.stop()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = WEDNESDAY
    return clock


def build(database_url: str, slack: MockSlackAPI, clock: Clock) -> Product:
    """One process of the bot (a second call on the same database: another process, or the
    same one started again)."""
    return build_desk_product(database_url=database_url, slack=slack, clock=clock)


def settle(product: Product) -> None:
    """What the background threads do: turns, the report sweep, posts, until nothing is left."""
    assert product.reports is not None
    for _ in range(6):
        done = product.inbox_worker.run_until_idle() + product.reports.run_until_idle()
        if not done + product.drainer.run_until_idle():
            return


def at(clock: Clock, product: Product, moment: datetime) -> None:
    clock.now = moment
    settle(product)


def shared_in(slack: MockSlackAPI, channel: str = REPORTS) -> list[dict[str, Any]]:
    return [f for f in slack.files_shared() if f["channel"] == channel]


def admin_dms(slack: MockSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages_in(ADMIN)]


def due_at(product: Product) -> datetime | None:
    with SqlUnitOfWork(product.sessions, read_only=True) as uow:
        return uow.desk.report_due_at("T1")


def reports_to_the_channel(sender: SlackSender) -> str:
    answer = command(sender, f"report channel <#{REPORTS}|reports>")
    assert answer.startswith(f"The weekly report goes to <#{REPORTS}>"), answer
    return answer


# --- the setting -------------------------------------------------------------------------------


def test_setting_the_channel_says_when_the_first_report_comes(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    answer = reports_to_the_channel(sender)
    assert "every Monday at 09:00 (UTC), first on 2026-12-07" in answer
    assert due_at(product) == MONDAY_UTC
    assert f"<#{REPORTS}> every Monday at 09:00 (UTC), next on 2026-12-07" in command(
        sender, "report channel"
    )
    # answered in the ack: the lazy listener draws nothing and sends nothing
    settle(product)
    assert slack.to("respond") == []
    assert slack.attempts("files.getUploadURLExternal") == 0


def test_the_first_report_keeps_to_the_business_hours_zone(
    sender: SlackSender, product: Product
) -> None:
    assert "Europe/Berlin" in command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    answer = command(sender, "report channel #reports")  # typed by name, not picked
    assert answer.startswith(f"The weekly report goes to <#{REPORTS}>")
    assert "every Monday at 09:00 (CET), first on 2026-12-07" in answer
    assert due_at(product) == MONDAY_BERLIN


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [
        (f"report channel <#{ELSEWHERE}|elsewhere>", "I'm not in <#C0ELSEWHERE> yet"),
        ("report channel #nowhere", "I can't find a channel named #nowhere"),
        ("report channel #reports #agents", "Usage: `/escalation report channel #channel`"),
    ],
)
def test_a_channel_that_cannot_take_the_report_is_refused_and_nothing_changes(
    sender: SlackSender, product: Product, typed: str, refusal: str
) -> None:
    answer = command(sender, typed)
    assert refusal in answer
    assert "Nothing was changed." in answer
    assert due_at(product) is None
    assert "No weekly report is set" in command(sender, "report channel")


def test_only_admins_set_the_report_channel(
    sender: SlackSender, product: Product, slack: MockSlackAPI
) -> None:
    answer = command(sender, f"report channel <#{REPORTS}|reports>", user=AGENT)
    assert "Only workspace admins or the bot's configured admins" in answer
    assert due_at(product) is None
    settle(product)
    assert slack.to("respond") == []


def test_the_report_is_turned_off(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    assert command(sender, "report channel off").startswith("The weekly report is off")
    assert due_at(product) is None
    at(clock, product, MONDAY_UTC + timedelta(hours=1))
    assert slack.files_shared() == []


def test_help_lists_the_report_channel(sender: SlackSender) -> None:
    assert "`report channel #channel` / `report channel off`" in command(sender, "help")


# --- the sweep ---------------------------------------------------------------------------------


def test_the_report_is_shared_once_when_due_and_not_before_with_the_figures_stats_gives(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    sender.dm("U0CUST1", "I want to talk to a human")
    settle(product)
    reports_to_the_channel(sender)

    at(clock, product, MONDAY_UTC - timedelta(seconds=1))
    assert slack.files_shared() == []

    at(clock, product, MONDAY_UTC)
    stats = command(sender, "stats 7")
    assert "Escalations by trigger: explicit_request 1" in stats
    (report,) = shared_in(slack)
    assert report["content"].startswith(b"\x89PNG\r\n\x1a\n")
    heading, *figures = report["initial_comment"].splitlines()
    assert heading == "*Week of Mon 30 Nov to Sun 06 Dec 2026 (UTC)*"
    # all of it began this week: the same figures as stats, line for line
    assert figures[: len(stats.splitlines()) - 1] == stats.splitlines()[1:]
    assert report["title"] == "Escalations, last 7 days"
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)

    at(clock, product, MONDAY_UTC + timedelta(days=6, hours=23))
    assert len(slack.files_shared()) == 1  # no second one that week
    at(clock, product, MONDAY_UTC + timedelta(days=7))
    assert len(shared_in(slack)) == 2  # the next Monday's
    assert admin_dms(slack) == []


def test_each_weekly_report_covers_its_seven_whole_days_on_the_teams_clock_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    command(sender, f"channel <#{AGENTS}|agents>")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    reports_to_the_channel(sender)
    # Sunday 6 Dec 23:30 in Berlin (22:30 UTC): last week's; Monday 7 Dec 00:30: this week's
    for customer, moment in (
        ("U0CUST1", datetime(2026, 12, 6, 22, 30, tzinfo=UTC)),
        ("U0CUST2", datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
    ):
        clock.now = moment
        sender.dm(customer, "I want to talk to a human")
        settle(product)
    at(clock, product, MONDAY_BERLIN)
    (first,) = shared_in(slack)
    lines = first["initial_comment"].splitlines()
    assert lines[0] == "*Week of Mon 30 Nov to Sun 06 Dec 2026 (Europe/Berlin)*"
    assert "Escalations by trigger: explicit_request 1" in lines  # not the Monday one
    days = [line for line in lines if line.startswith("• ")]
    assert [d[2:12] for d in days] == [
        "Mon 30 Nov", "Tue 01 Dec", "Wed 02 Dec", "Thu 03 Dec", "Fri 04 Dec", "Sat 05 Dec",
        "Sun 06 Dec",
    ]  # fmt: skip
    assert days[-1] == "• Sun 06 Dec: explicit_request 1; n/a"
    assert "*Per day (Europe/Berlin)*: escalations by trigger; median time to claim" in lines

    at(clock, product, MONDAY_BERLIN + timedelta(days=7))
    second = shared_in(slack)[1]["initial_comment"].splitlines()
    assert second[0] == "*Week of Mon 07 Dec to Sun 13 Dec 2026 (Europe/Berlin)*"
    assert "Escalations by trigger: explicit_request 1" in second  # the Monday one, once
    assert "• Mon 07 Dec: explicit_request 1; n/a" in second


def test_a_report_due_while_no_process_ran_is_shared_once_at_the_next_start(
    database_url: str, slack: MockSlackAPI, clock: Clock
) -> None:
    first = build(database_url, slack, clock)
    with serving(first.app) as endpoint:
        reports_to_the_channel(SlackSender(endpoint, SECRET))
    first.stop()

    # down for three Mondays; started again on a Thursday
    clock.now = MONDAY_UTC + timedelta(days=17, hours=3)
    again = build(database_url, slack, clock)
    try:
        settle(again)
        settle(again)
        assert len(shared_in(slack)) == 1  # once, not once per missed week
        assert due_at(again) == MONDAY_UTC + timedelta(days=21)
    finally:
        again.stop()


def test_two_processes_sweeping_at_once_share_each_report_once(
    database_url: str, slack: MockSlackAPI, clock: Clock
) -> None:
    one, other = build(database_url, slack, clock), build(database_url, slack, clock)
    try:
        with serving(one.app) as endpoint:
            reports_to_the_channel(SlackSender(endpoint, SECRET))
        weeks = 4
        for week in range(weeks):
            clock.now = MONDAY_UTC + timedelta(days=7 * week, seconds=1)
            start = threading.Barrier(2)

            def sweep(product: Product, start: threading.Barrier = start) -> None:
                assert product.reports is not None
                start.wait()
                product.reports.work_once()

            threads = [threading.Thread(target=sweep, args=(p,)) for p in (one, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert len(shared_in(slack)) == weeks
        assert slack.attempts("files.completeUploadExternal") == weeks
    finally:
        one.stop()
        other.stop()


# --- failures ----------------------------------------------------------------------------------


def test_a_channel_the_bot_left_tells_the_admins_once_and_the_next_week_still_comes(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.channels[REPORTS]["is_member"] = False  # removed from the channel since

    at(clock, product, MONDAY_UTC)
    assert slack.files_shared() == []
    (told,) = admin_dms(slack)
    assert "The weekly report could not be posted in its channel (C0REPORTS)" in told
    assert "I am not a member of that channel" in told
    assert "The next one is due on Monday 2026-12-14 at 09:00 (UTC)" in told
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)

    at(clock, product, MONDAY_UTC + RETRY_AFTER * 3)  # not retried: only an admin can fix it
    assert slack.attempts("files.completeUploadExternal") == 1
    assert len(admin_dms(slack)) == 1

    slack.channels[REPORTS]["is_member"] = True  # invited back
    at(clock, product, MONDAY_UTC + timedelta(days=7))
    assert len(shared_in(slack)) == 1
    assert len(admin_dms(slack)) == 1


def test_a_share_slack_answered_500_is_never_made_again_and_the_admins_are_told_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.fail("files.completeUploadExternal", Fault("posted_then_500"))

    at(clock, product, MONDAY_UTC)
    at(clock, product, MONDAY_UTC + RETRY_AFTER * 3)
    assert slack.attempts("files.completeUploadExternal") == 1
    assert len(shared_in(slack)) == 1  # Slack did share it
    (told,) = admin_dms(slack)
    assert "Slack did not confirm the chart (HTTP 500" in told
    assert "Slack may have posted it anyway" in told
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)


def test_a_failure_before_the_share_is_tried_once_more_later(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.fail("files.getUploadURLExternal", Fault("http_500"))

    at(clock, product, MONDAY_UTC)
    assert slack.files_shared() == []
    assert admin_dms(slack) == []  # not yet: it will be tried again

    at(clock, product, MONDAY_UTC + RETRY_AFTER - timedelta(seconds=1))
    assert slack.attempts("files.getUploadURLExternal") == 1
    at(clock, product, MONDAY_UTC + RETRY_AFTER)
    assert len(shared_in(slack)) == 1  # one late report
    at(clock, product, MONDAY_UTC + RETRY_AFTER * 4)
    assert len(slack.files_shared()) == 1
    assert admin_dms(slack) == []
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)


def test_setting_the_channel_again_keeps_a_pending_retry(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.fail("files.getUploadURLExternal", Fault("http_500"))
    at(clock, product, MONDAY_UTC)  # failed before the share: tried again in 15 minutes
    assert slack.files_shared() == []
    clock.now = MONDAY_UTC + timedelta(minutes=5)
    reports_to_the_channel(sender)  # an admin sets it again meanwhile
    at(clock, product, MONDAY_UTC + RETRY_AFTER)
    assert len(shared_in(slack)) == 1  # this week's, late, once
    at(clock, product, MONDAY_UTC + RETRY_AFTER * 4)
    assert len(slack.files_shared()) == 1
    assert admin_dms(slack) == []
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)


def test_setting_the_channel_again_when_the_report_is_due_keeps_it_and_moves_it_there(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    clock.now = MONDAY_UTC + timedelta(minutes=1)  # due; no sweep has run yet
    answer = command(sender, f"report channel <#{AGENTS}|agents>")
    assert "first on 2026-12-14" in answer
    assert "This week's, due already, comes there in a moment." in answer
    settle(product)
    assert shared_in(slack) == []
    assert len(shared_in(slack, AGENTS)) == 1  # this week's, in the channel set now
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)
    at(clock, product, MONDAY_UTC + timedelta(days=6))
    assert len(slack.files_shared()) == 1


def test_a_retry_that_fails_too_tells_the_admins_once_and_is_not_tried_a_third_time(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.fail("upload", Fault("http_500", times=5))  # the bytes' POST to the upload URL

    at(clock, product, MONDAY_UTC)
    at(clock, product, MONDAY_UTC + RETRY_AFTER)
    at(clock, product, MONDAY_UTC + RETRY_AFTER * 4)
    assert slack.attempts("upload") == 2
    assert slack.files_shared() == []
    (told,) = admin_dms(slack)
    assert "the upload to Slack failed (HTTP 500) (tried twice)." in told
    assert "`/escalation report 7` sends you this week's figures" in told

    at(clock, product, MONDAY_UTC + timedelta(days=7))
    assert slack.attempts("upload") == 3  # the next week's comes (fails: tried again later)
    assert len(admin_dms(slack)) == 1


def test_a_missing_files_write_is_named_for_the_admins(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    slack.fail("files.getUploadURLExternal", Fault("missing_scope"))
    at(clock, product, MONDAY_UTC)
    (told,) = admin_dms(slack)
    assert "the app lacks the files:write permission: reinstall it from manifest.yml" in told
    at(clock, product, MONDAY_UTC + RETRY_AFTER * 2)
    assert slack.attempts("files.getUploadURLExternal") == 1


def test_a_process_that_died_making_the_report_has_the_admins_told_once_not_a_second_upload(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    clock.now = MONDAY_UTC
    # what the sweep commits before it draws and uploads; the process dies right after
    with SqlUnitOfWork(product.sessions) as uow:
        assert uow.desk.claim_report("T1", now=MONDAY_UTC, next_due=MONDAY_UTC + timedelta(7))
        uow.commit()
    at(clock, product, MONDAY_UTC + CONFIRM_WITHIN - timedelta(seconds=1))
    assert admin_dms(slack) == []  # it may still be in a live process's hands
    at(clock, product, MONDAY_UTC + CONFIRM_WITHIN)
    (told,) = admin_dms(slack)
    assert "The weekly report started on Monday 2026-12-07 at 09:00 (UTC)" in told
    assert "could not be confirmed in its channel (C0REPORTS)" in told
    assert "`/escalation report 7`" in told
    at(clock, product, MONDAY_UTC + timedelta(days=6))
    assert len(admin_dms(slack)) == 1  # once
    assert slack.attempts("files.getUploadURLExternal") == 0  # not made again
    assert due_at(product) == MONDAY_UTC + timedelta(days=7)
    at(clock, product, MONDAY_UTC + timedelta(days=7))  # the next week's comes as ever
    assert len(shared_in(slack)) == 1
    assert len(admin_dms(slack)) == 1


@pytest.mark.parametrize("outcome", ["shared", "retry", "refused"])
def test_a_report_whose_outcome_is_known_is_never_told_unconfirmed(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock, outcome: str
) -> None:
    reports_to_the_channel(sender)
    if outcome == "retry":
        slack.fail("files.getUploadURLExternal", Fault("http_500"))
    if outcome == "refused":
        slack.channels[REPORTS]["is_member"] = False
    at(clock, product, MONDAY_UTC)
    at(clock, product, MONDAY_UTC + RETRY_AFTER)
    at(clock, product, MONDAY_UTC + RETRY_AFTER + CONFIRM_WITHIN * 2)
    assert all("could not be confirmed" not in t for t in admin_dms(slack))
    assert len(admin_dms(slack)) == (1 if outcome == "refused" else 0)
    assert len(shared_in(slack)) == (0 if outcome == "refused" else 1)
    with SqlUnitOfWork(product.sessions) as uow:  # the start was cleared
        assert uow.desk.unconfirmed_reports(started_before=clock.now) == []


def test_a_report_claimed_by_one_sweeper_is_not_claimed_again_by_another(
    sessions: sessionmaker[Session],
) -> None:
    """The compare-and-set itself, as a sweeper that read the row before another's claim
    committed would meet it (SKIP LOCKED keeps PostgreSQL's sweepers from getting there)."""
    now, following = MONDAY_UTC, MONDAY_UTC + timedelta(days=7)
    with SqlUnitOfWork(sessions) as uow:
        uow.desk.schedule_report("T1", channel=REPORTS, due_at=MONDAY_UTC, now=WEDNESDAY)
        uow.commit()
    claims = []
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            claims.append(uow.desk.claim_report("T1", now=now, next_due=following))
            uow.desk.retry_report("T1", at=now + RETRY_AFTER)
            uow.commit()
    assert claims == [REPORTS, None]
    retries = []
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            retries.append(uow.desk.claim_report_retry("T1", now=now + RETRY_AFTER))
            uow.commit()
    assert retries == [REPORTS, None]
    with SqlUnitOfWork(sessions) as uow:
        assert uow.desk.report_due_at("T1") == following
        assert uow.desk.due_reports(now=following - timedelta(seconds=1)) == []


def test_the_running_workers_share_a_due_report(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    """The sweep runs among the workers `serve`'s worker processes and `worker` start."""
    reports_to_the_channel(sender)
    clock.now = MONDAY_UTC + timedelta(minutes=1)
    product.start_workers()
    deadline = time.monotonic() + 30
    while not shared_in(slack):
        assert time.monotonic() < deadline, "no report came"
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(slack.files_shared()) == 1


def test_a_slack_that_refuses_the_connection_shared_nothing_and_may_be_tried_again() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uploader = SlackChartUploader(
        make_posting_client(token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/")
    )
    with pytest.raises(ChartNotShared) as refused:
        uploader.upload(channel=REPORTS, png=b"\x89PNG", text="figures", days=7)
    assert refused.value.retry_may_help
    assert not refused.value.maybe_shared
    assert refused.value.reason.startswith("Slack could not be reached")


@pytest.mark.parametrize(
    ("step", "maybe_shared"),
    [("files.getUploadURLExternal", False), ("files.completeUploadExternal", True)],
)
def test_a_timeout_may_have_shared_the_chart_only_in_the_share_itself(
    slack: MockSlackAPI, step: str, maybe_shared: bool
) -> None:
    slack.fail(step, Fault("posted_then_hang", hang=3))  # answered after the client gave up
    uploader = SlackChartUploader(
        make_posting_client(token="xoxb-test", base_url=slack.url, timeout=1)
    )
    with pytest.raises(ChartNotShared) as failed:
        uploader.upload(channel=REPORTS, png=b"\x89PNG", text="figures", days=7)
    assert failed.value.reason.startswith("Slack could not be reached")
    assert failed.value.maybe_shared is maybe_shared
    assert failed.value.retry_may_help is not maybe_shared
    if not maybe_shared:
        assert slack.attempts("files.completeUploadExternal") == 0


def test_a_timeout_asking_where_to_upload_is_tried_again_and_shared_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    assert product.reports is not None  # the posting client's timeout, cut to 1 s for the test
    uploader = SlackChartUploader(
        make_posting_client(token="xoxb-test", base_url=slack.url, timeout=1)
    )
    product.reports.uploaders = lambda _workspace_id: uploader
    slack.fail("files.getUploadURLExternal", Fault("posted_then_hang", hang=3))
    at(clock, product, MONDAY_UTC)
    assert slack.files_shared() == []
    assert admin_dms(slack) == []  # nothing can have been shared: not "Slack may have posted it"
    at(clock, product, MONDAY_UTC + RETRY_AFTER)
    assert len(shared_in(slack)) == 1
    assert admin_dms(slack) == []


def test_a_change_of_business_hours_zone_moves_the_next_report_to_the_new_clock(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    assert due_at(product) == MONDAY_UTC
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    assert due_at(product) == MONDAY_BERLIN
    assert "every Monday at 09:00 (CET), next on 2026-12-07" in command(sender, "report channel")
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")  # the same zone: nothing moves
    assert due_at(product) == MONDAY_BERLIN
    command(sender, "hours off")
    assert due_at(product) == MONDAY_UTC


def test_moving_east_after_that_mondays_nine_oclock_there_posts_it_at_once_and_once(
    sender: SlackSender, product: Product, slack: MockSlackAPI, clock: Clock
) -> None:
    reports_to_the_channel(sender)
    at(clock, product, MONDAY_UTC - timedelta(minutes=30))  # 09:30 in Berlin, 08:30 UTC
    assert slack.files_shared() == []
    command(sender, "hours Mon-Fri 09:00-17:30 Europe/Berlin")
    settle(product)
    assert len(shared_in(slack)) == 1
    at(clock, product, MONDAY_UTC + timedelta(hours=2))
    assert len(shared_in(slack)) == 1
    assert due_at(product) == MONDAY_BERLIN + timedelta(days=7)


def test_many_workspaces_due_at_once_each_get_theirs_once_from_two_processes(
    database_url: str, slack: MockSlackAPI, clock: Clock
) -> None:
    teams = [f"T{n}" for n in range(1, 7)]
    channel_of = {team: f"C0REPORTS{n}" for n, team in enumerate(teams, start=1)}
    for channel in channel_of.values():
        slack.channels[channel] = {"name": channel.lower()}
    one, other = build(database_url, slack, clock), build(database_url, slack, clock)
    try:
        with SqlUnitOfWork(one.sessions) as uow:
            for n, team in enumerate(teams, start=1):
                # team Tn: n conversations last week, n - 1 of them escalated
                for c in range(n):
                    created = WEDNESDAY + timedelta(minutes=c)
                    conversation = uow.conversations.get_or_create(
                        ConversationKey("slack", team, f"D{team}{c}", f"U{team}{c}"), now=created
                    )
                    if c:
                        asked = Handoff(
                            "C-1", "explicit_request", "Asked for a person.", "Take over.", (),
                            None, "s",
                        )  # fmt: skip
                        uow.handoffs.open(conversation.id, asked, now=created, decision_id=None)
                uow.desk.schedule_report(
                    team, channel=channel_of[team], due_at=MONDAY_UTC, now=WEDNESDAY
                )
            uow.commit()
        clock.now = MONDAY_UTC
        start = threading.Barrier(2)

        def sweep(product: Product) -> None:
            assert product.reports is not None
            start.wait()
            product.reports.run_until_idle()

        threads = [threading.Thread(target=sweep, args=(p,)) for p in (one, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(slack.files_shared()) == len(teams)
        for n, team in enumerate(teams, start=1):
            (report,) = shared_in(slack, channel_of[team])  # its own channel, once
            lines = report["initial_comment"].splitlines()
            assert f"Conversations: {n}" in lines  # its own figures
            assert (
                f"Escalations by trigger: {f'explicit_request {n - 1}' if n > 1 else 'none'}"
                in lines
            )
        with SqlUnitOfWork(one.sessions) as uow:
            assert (
                uow.desk.due_reports(now=MONDAY_UTC + timedelta(days=7) - timedelta(seconds=1))
                == []
            )
    finally:
        one.stop()
        other.stop()

"""`/escalation report [days]`: the admin gets a chart (a PNG uploaded with files_upload_v2 to
their direct messages) and the figures as text, the very figures `/escalation stats` gives for
the same days; bad arguments get the usage answer at once, and nothing is uploaded."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib import image
from sqlalchemy import text

from bot.console.local_slack import TEAM
from bot.desk.report import Report, Reports
from handlers.slack.admin import report_answer
from tests.integration.desk_world import (
    ADMIN,
    AGENT1,
    AGENT2,
    ASKS_FOR_A_PERSON,
    POLICY_GAP,
    SOLVED_AT_ONCE,
    Desk,
    desk,
)
from tests.integration.mock_slack import Fault

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Desk]:
    with desk(tmp_path) as built:
        built.configure()
        yield built


def a_week_of_work(world: Desk) -> None:
    """Four days back: two escalations claimed after 4 and 10 minutes, one solved at once;
    two days back: a policy gap claimed after 30 minutes; today: one left waiting."""
    world.later(days=-4)
    first = world.customer_writes(ASKS_FOR_A_PERSON)
    second = world.customer_writes(POLICY_GAP)
    assert world.customer_writes(SOLVED_AT_ONCE) is None
    assert first is not None
    assert second is not None
    world.later(minutes=4)
    world.claim(AGENT1, first)
    world.later(minutes=6)
    world.claim(AGENT2, second)
    world.later(days=2)
    third = world.customer_writes(POLICY_GAP)
    assert third is not None
    world.later(minutes=30)
    world.claim(AGENT1, third)
    world.later(days=2, minutes=-40)
    assert world.customer_writes(ASKS_FOR_A_PERSON) is not None


def report_of(world: Desk, text: str) -> dict:
    ack = world.command(ADMIN, text)
    assert "Drawing the report" in ack
    world.wait_for("files.completeUploadExternal")
    (shared,) = world.slack.files_shared()
    (told,) = world.wait_for("respond")
    assert "in your direct messages" in told["text"]
    return shared


def test_the_report_is_a_png_chart_in_the_admins_dms_with_the_figures_stats_gives(
    world: Desk,
) -> None:
    a_week_of_work(world)
    stats = world.command(ADMIN, "stats 7")
    shared = report_of(world, "report 7")

    assert shared["channel"] == f"D{ADMIN}"  # the direct message opened with the admin
    png = shared["content"]
    assert png.startswith(PNG_SIGNATURE)
    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert width >= 600
    assert height >= 400
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 3  # not blank

    text = shared["initial_comment"]
    assert stats in text  # the same figures, line for line
    for line in (
        "Conversations: 5",
        "First-contact resolution: 20%",
        "Escalations by trigger: explicit_request 2, policy_gap 2",
        "Median time to claim: 10.0 min",
    ):
        assert line in stats
    day_lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(day_lines) == 8  # seven days back from now: eight dates, two of them cut
    busy = [line for line in day_lines if "none" not in line]
    assert busy[0].endswith("explicit_request 1, policy_gap 1; 7.0 min")  # median of 4 and 10
    assert busy[1].endswith("policy_gap 1; 30.0 min")
    assert busy[2].endswith("explicit_request 1; n/a")  # nobody has claimed it yet


@pytest.mark.parametrize("days", ["1", "30", "90"])
def test_any_number_of_days_gets_the_stats_of_those_days(world: Desk, days: str) -> None:
    a_week_of_work(world)
    stats = world.command(ADMIN, f"stats {days}")
    shared = report_of(world, f"report {days}")
    assert shared["initial_comment"].startswith(stats)
    assert shared["title"] == f"Escalations, last {days} days"


def test_report_alone_covers_the_last_seven_days(world: Desk) -> None:
    a_week_of_work(world)
    shared = report_of(world, "report")
    assert shared["initial_comment"].startswith(world.command(ADMIN, "stats"))
    assert "*Last 7 days*" in shared["initial_comment"]


def test_with_nothing_yet_the_report_says_so_and_still_draws(world: Desk) -> None:
    shared = report_of(world, "report 3")
    assert "Escalations by trigger: none" in shared["initial_comment"]
    assert "Median time to claim: n/a" in shared["initial_comment"]
    assert shared["content"].startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "typed",
    [
        "report 0",
        "report -3",
        "report 91",
        "report 100000",
        "report 1.5",
        "report seven",
        "report 7 days",
        "report 7d",
        "report 1e2",
        "report \uff17",  # a full-width 7
        "report ²",
        "report 7 14",
        "REPORT last week",
    ],
)
def test_bad_days_get_the_usage_answer_and_nothing_is_sent(world: Desk, typed: str) -> None:
    answer = world.command(ADMIN, typed)
    assert "Usage: `/escalation report [days]`, days from 1 to 90" in answer
    assert world.slack.attempts("files.getUploadURLExternal") == 0
    assert world.slack.attempts("files.completeUploadExternal") == 0


def test_only_admins_get_the_report(world: Desk) -> None:
    answer = world.command(AGENT1, "report 7")
    assert "Only workspace admins or the bot's configured admins" in answer
    assert world.slack.attempts("files.getUploadURLExternal") == 0


def test_a_configured_admin_who_is_no_workspace_admin_gets_it(world: Desk) -> None:
    assert "Bot admins" in world.command(ADMIN, f"admins add <@{AGENT2}>")
    ack = world.command(AGENT2, "report 2")
    assert "Drawing the report" in ack
    world.wait_for("files.completeUploadExternal")
    (shared,) = world.slack.files_shared()
    assert shared["channel"] == f"D{AGENT2}"


def test_an_app_without_files_write_tells_the_admin_and_still_gives_the_figures(
    world: Desk,
) -> None:
    a_week_of_work(world)
    world.slack.fail("files.getUploadURLExternal", Fault("missing_scope"))
    world.command(ADMIN, "report 7")
    (told,) = world.wait_for("respond")
    assert "couldn't send the chart" in told["text"]
    assert "files:write" in told["text"]
    assert world.command(ADMIN, "stats 7") in told["text"]
    assert world.slack.files_shared() == []


def test_help_lists_the_report(world: Desk) -> None:
    assert "`report [days]`" in world.command(ADMIN, "help")


def test_a_report_whose_figures_cannot_be_read_still_answers_the_admin(world: Desk) -> None:
    a_week_of_work(world)
    # The handoffs' table is gone (a botched restore): the settings still read, the figures not.
    with world.product.engine.begin() as connection:
        connection.execute(text("ALTER TABLE handoffs RENAME TO handoffs_elsewhere"))
    assert "Drawing the report" in world.command(ADMIN, "report 7")
    (told,) = world.wait_for("respond")
    assert told["text"].startswith("I couldn't draw the report: its figures could not be read")
    assert "handoffs" not in told["text"]  # the kind of error, not the database's words
    assert world.slack.files_shared() == []


def test_a_chart_that_cannot_be_drawn_still_gives_the_figures(world: Desk) -> None:
    a_week_of_work(world)
    figures = Reports(sessions=world.product.sessions, clock=world.clock).gather(TEAM, 7)

    def broken(report: Report) -> bytes:
        raise ValueError("Image size of 100000x650 pixels is too large")

    sent: list[str] = []
    told = report_answer(lambda: figures, broken, lambda text, png: sent.append(text) or "")
    assert told.startswith("I couldn't draw the report: the chart failed (ValueError).")
    assert figures.text() in told
    assert sent == []


def test_an_upload_url_that_fails_is_told_as_such(world: Desk) -> None:
    world.slack.fail("upload", Fault("http_500"))
    world.command(ADMIN, "report 7")
    (told,) = world.wait_for("respond")
    first = told["text"].splitlines()[0]
    assert first.startswith("I couldn't send the chart: the upload to Slack failed (HTTP 500)")
    assert "*Last 7 days*" in told["text"]
    assert world.slack.files_shared() == []


def test_a_dm_that_cannot_be_opened_names_the_permission_it_needs(world: Desk) -> None:
    world.slack.fail("conversations.open", Fault("missing_scope"))
    world.command(ADMIN, "report 7")
    (told,) = world.wait_for("respond")
    assert "the app lacks the im:write permission" in told["text"]
    assert "files:write" not in told["text"]


def test_a_share_answered_500_is_not_made_twice(world: Desk) -> None:
    world.slack.fail("files.completeUploadExternal", Fault("posted_then_500"))
    world.command(ADMIN, "report 7")
    (told,) = world.wait_for("respond")
    time.sleep(0.5)
    assert world.slack.attempts("files.completeUploadExternal") == 1
    assert len(world.slack.files_shared()) == 1
    assert "may be in your direct messages with me already" in told["text"]
    assert "*Last 7 days*" in told["text"]


def test_the_charts_days_add_up_to_the_totals_and_each_days_wait_is_a_median(
    world: Desk,
) -> None:
    a_week_of_work(world)
    world.later(days=-1)  # yesterday: three claims after 1, 2 and 12 minutes (mean 5, median 2)
    opened = [world.customer_writes(ASKS_FOR_A_PERSON) for _ in range(3)]
    for handoff, wait in zip(opened, (1, 1, 10), strict=True):
        assert handoff is not None
        world.later(minutes=wait)
        world.claim(AGENT1, handoff)
    world.later(days=1, minutes=-12)
    report = Reports(sessions=world.product.sessions, clock=world.clock).gather(TEAM, 7)
    summed: dict[str, int] = {}
    for day in report.per_day:
        for trigger, count in day.stats.escalations_by_trigger.items():
            summed[trigger] = summed.get(trigger, 0) + count
    assert (
        summed
        == report.total.escalations_by_trigger
        == {
            "explicit_request": 5,
            "policy_gap": 2,
        }
    )
    assert sum(d.stats.conversations for d in report.per_day) == report.total.conversations
    waits = [d.stats.median_minutes_to_claim for d in report.per_day]
    assert waits[-2] == 2.0  # yesterday's median, not its mean (5.0)
    assert report.text().splitlines()[-2].endswith("explicit_request 3; 2.0 min")


def test_a_long_report_has_a_line_for_each_day(world: Desk) -> None:
    a_week_of_work(world)
    shared = report_of(world, "report 30")
    day_lines = [line for line in shared["initial_comment"].splitlines() if line.startswith("• ")]
    assert len(day_lines) == 31  # thirty days back from now: 31 dates, the first and last cut
    assert sum("none" not in line for line in day_lines) == 3

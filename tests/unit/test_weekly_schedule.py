"""When the weekly report is due: always a Monday 09:00 on the team's wall clock, strictly after
now and within a week (an hour more across a DST change), checked over many instants around
the DST changes of Berlin, New York and Auckland, and in UTC."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.weekly import describe_schedule, moved_to_zone, next_weekly_report, week_windows

ZONES = ("Europe/Berlin", "America/New_York", "Pacific/Auckland", "UTC")
# The DST changes of 2026: Berlin 29 Mar and 25 Oct, New York 8 Mar and 1 Nov, Auckland
# 5 Apr (back) and 27 Sep (forward); each near a Monday 09:00 in some zone.
_CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 14, tzinfo=UTC),
    datetime(2026, 9, 26, 14, tzinfo=UTC),
]
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(_CHANGES),
        st.integers(min_value=-8 * 86400, max_value=8 * 86400),
    ),
)


@given(instants, st.sampled_from(ZONES))
def test_the_next_report_is_a_monday_at_nine_on_the_wall_strictly_after_now(
    now: datetime, zone: str
) -> None:
    due = next_weekly_report(now, zone)
    local = due.astimezone(ZoneInfo(zone))
    assert due.tzinfo is UTC
    assert local.weekday() == 0
    assert local.time() == time(9, 0)
    assert now < due <= now + timedelta(days=7, hours=1)


@given(instants, st.sampled_from(ZONES))
def test_no_monday_at_nine_is_skipped(now: datetime, zone: str) -> None:
    due = next_weekly_report(now, zone)
    tz = ZoneInfo(zone)
    week_before = datetime.combine(
        due.astimezone(tz).date() - timedelta(days=7), time(9, 0), tzinfo=tz
    )
    assert week_before <= now


@given(instants, st.sampled_from(ZONES))
def test_after_a_report_the_next_is_a_week_later_on_the_wall(now: datetime, zone: str) -> None:
    due = next_weekly_report(now, zone)
    following = next_weekly_report(due, zone)
    tz = ZoneInfo(zone)
    assert following.astimezone(tz).date() == due.astimezone(tz).date() + timedelta(days=7)


@given(instants, st.sampled_from(ZONES), st.sampled_from(ZONES))
def test_the_zone_now_is_written_in_changes_nothing(now: datetime, zone: str, seen: str) -> None:
    assert next_weekly_report(now.astimezone(ZoneInfo(seen)), zone) == next_weekly_report(now, zone)


@pytest.mark.parametrize(
    ("now", "zone", "due"),
    [
        # Monday 7 Dec 2026, 08:59 in Berlin (CET, UTC+1): this very morning
        (datetime(2026, 12, 7, 7, 59, tzinfo=UTC), "Europe/Berlin", datetime(2026, 12, 7, 8, 0)),
        # 09:00 exactly has begun: next week's
        (datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 12, 14, 8, 0)),
        # Sunday 29 Mar 2026: Berlin moved to CEST (UTC+2) that night
        (datetime(2026, 3, 29, 12, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 3, 30, 7, 0)),
        # the Monday before that change was still CET
        (datetime(2026, 3, 22, 12, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 3, 23, 8, 0)),
        # Auckland's Monday comes while it is still Sunday in UTC (NZDT, UTC+13)
        (
            datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
            "Pacific/Auckland",
            datetime(2026, 12, 6, 20, 0),
        ),
        # New York, the week after clocks went back (EST, UTC-5)
        (
            datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
            "America/New_York",
            datetime(2026, 11, 2, 14, 0),
        ),
        (datetime(2026, 12, 5, 17, 0, tzinfo=UTC), "UTC", datetime(2026, 12, 7, 9, 0)),
    ],
)
def test_known_mondays(now: datetime, zone: str, due: datetime) -> None:
    assert next_weekly_report(now, zone) == due.replace(tzinfo=UTC)


def test_the_schedule_is_said_on_the_teams_clock() -> None:
    due = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert (
        describe_schedule(due, "Europe/Berlin")
        == "every Monday at 09:00 (CET), first on 2026-12-07"
    )
    assert (
        describe_schedule(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
        == "every Monday at 09:00 (UTC), first on 2026-12-07"
    )


@given(instants, st.sampled_from(ZONES), st.sampled_from(ZONES), st.integers(0, 8 * 86400))
def test_a_change_of_zone_keeps_the_same_mondays_report(
    now: datetime, before: str, after: str, ahead: int
) -> None:
    due = next_weekly_report(now + timedelta(seconds=ahead), before)
    moved = moved_to_zone(due, after, now=now)
    assert moved >= now
    assert abs(moved - due) <= timedelta(hours=26)
    local = moved.astimezone(ZoneInfo(after))
    if moved > now:
        assert (local.weekday(), local.time()) == (0, time(9, 0))
        # the same Monday on the new clock: none skipped between now and it
        assert moved == next_weekly_report(max(now, due - timedelta(days=2)), after)
    assert moved_to_zone(due, before, now=now) == max(now, due)  # the same zone: unchanged


def test_a_team_moving_east_on_monday_morning_gets_that_mondays_report_at_once() -> None:
    now = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 09:30 in Berlin: its 09:00 has passed
    due = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 09:00 UTC, still to come
    assert moved_to_zone(due, "Europe/Berlin", now=now) == now
    assert moved_to_zone(due, "America/New_York", now=now) == datetime(
        2026, 12, 7, 14, 0, tzinfo=UTC
    )


# --- the days a weekly report covers ------------------------------------------------------------


@given(instants, st.sampled_from(ZONES))
def test_a_weekly_report_covers_seven_whole_days_monday_to_sunday_on_the_teams_clock(
    now: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    days = week_windows(now, zone)
    assert len(days) == 7
    for n, (start, end) in enumerate(days):
        local = start.astimezone(tz)
        assert (local.weekday(), local.time()) == (n, time(0, 0))
        assert end.astimezone(tz).date() == local.date() + timedelta(days=1)
        assert end.astimezone(tz).time() == time(0, 0)
        assert timedelta(hours=23) <= end - start <= timedelta(hours=25)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(days))  # contiguous
    assert days[-1][1] <= now < days[-1][1] + timedelta(days=7, hours=1)  # the week just ended


@given(instants, st.sampled_from(ZONES))
def test_consecutive_weekly_reports_cover_every_day_once(now: datetime, zone: str) -> None:
    due = next_weekly_report(now, zone)
    following = next_weekly_report(due, zone)
    assert week_windows(following, zone)[0][0] == week_windows(due, zone)[-1][1]
    # made late (a downtime into Thursday), a report still covers the same week
    assert week_windows(due + timedelta(days=3), zone) == week_windows(due, zone)


def test_the_week_reported_on_monday_7_december_in_berlin() -> None:
    days = week_windows(datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "Europe/Berlin")
    assert days[0][0] == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Mon 30 Nov 00:00 CET
    assert days[-1][1] == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # Mon 7 Dec 00:00 CET

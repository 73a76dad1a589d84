"""Business hours: when the team is in, what the customer is told, and time counted only while
the team is in, checked over many instants (DST changes in Berlin and New York included)
against a plain reading of the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.hours import (
    BusinessHours,
    HoursError,
    OpenRange,
    about,
    add_business_time,
    back_notice,
    business_time_between,
    is_open,
    next_opening,
    parse_hours,
)

ZONES = ("Europe/Berlin", "America/New_York")
BERLIN_OFFICE = parse_hours("Mon-Fri 09:00-17:30 Europe/Berlin")

# Instants around the DST changes of 2026 (Berlin: 29 Mar, 25 Oct; New York: 8 Mar, 1 Nov)
# and anywhere in two years.
_CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(_CHANGES),
        st.integers(min_value=-3 * 86400, max_value=3 * 86400),
    ),
)
clock_times = st.builds(
    time, st.integers(min_value=0, max_value=23), st.sampled_from([0, 15, 30, 45])
)


@st.composite
def open_ranges(draw: st.DrawFn) -> OpenRange:
    days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
    start = draw(clock_times)
    end = draw(st.one_of(st.none(), clock_times).filter(lambda e: e != start))
    return OpenRange(days, start, end)


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    ranges = tuple(draw(st.lists(open_ranges(), min_size=1, max_size=3)))
    holidays = draw(
        st.frozensets(
            st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=6
        )
    )
    return BusinessHours(ranges, draw(st.sampled_from(ZONES)), holidays)


durations = st.builds(timedelta, seconds=st.integers(min_value=0, max_value=5 * 86400))


def wall_clock_open(hours: BusinessHours, at: datetime) -> bool | None:
    """The plain reading: the local date is no holiday and the wall clock is inside a range
    opened that day (or the day before, for one running past midnight). None when the wall
    clock shows an hour twice (a DST change back), where the reading is ambiguous."""
    tz = ZoneInfo(hours.zone)
    local = at.astimezone(tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return None
    if local.date() in hours.holidays:
        return False
    now, day = local.time().replace(tzinfo=None), local.weekday()
    for r in hours.ranges:
        overnight = r.end is None or r.end <= r.start
        if not overnight:
            assert r.end is not None
            if day in r.days and r.start <= now < r.end:
                return True
        else:
            end = r.end or time(0)
            if day in r.days and now >= r.start:
                return True
            if (day - 1) % 7 in r.days and now < end:
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(business_hours(), instants)
def test_open_is_what_the_wall_clock_says(hours: BusinessHours, at: datetime) -> None:
    expected = wall_clock_open(hours, at)
    if expected is not None:
        assert is_open(hours, at) is expected


@settings(max_examples=300, deadline=None)
@given(business_hours(), instants)
def test_the_next_opening_is_open_and_nothing_before_it_is(
    hours: BusinessHours, at: datetime
) -> None:
    opening = next_opening(hours, at)
    assert opening >= at
    assert is_open(hours, opening)
    assert business_time_between(hours, at, opening) == timedelta(0)  # never inside a closed
    if opening > at:  # and never later than needed: just before it, the team is out
        assert not is_open(hours, opening - timedelta(seconds=1))
        assert wall_clock_open(hours, opening - timedelta(seconds=1)) in (False, None)


@settings(max_examples=200, deadline=None)
@given(business_hours(), instants, durations, durations)
def test_business_time_adds_up(
    hours: BusinessHours, at: datetime, first: timedelta, second: timedelta
) -> None:
    once = add_business_time(hours, at, first + second)
    assert add_business_time(hours, add_business_time(hours, at, first), second) == once
    assert business_time_between(hours, at, once) == first + second
    assert add_business_time(hours, at, timedelta(0)) == at


@settings(max_examples=200, deadline=None)
@given(business_hours(), instants, instants, durations, durations)
def test_business_time_is_monotonic(
    hours: BusinessHours, a: datetime, b: datetime, short: timedelta, long: timedelta
) -> None:
    early, late = sorted((a, b))
    small, big = sorted((short, long))
    assert add_business_time(hours, early, small) <= add_business_time(hours, late, small)
    assert add_business_time(hours, early, small) <= add_business_time(hours, early, big)
    assert add_business_time(hours, early, big) >= early + big - big  # never before the start


@settings(max_examples=150, deadline=None)
@given(business_hours(), instants, st.integers(min_value=1, max_value=3 * 3600))
def test_a_target_ends_inside_open_time(hours: BusinessHours, at: datetime, seconds: int) -> None:
    due = add_business_time(hours, at, timedelta(seconds=seconds))
    assert is_open(hours, due - timedelta(seconds=1))  # the last second counted was open


@settings(max_examples=150, deadline=None)
@given(business_hours(), instants, durations)
def test_due_times_come_back_in_utc_whatever_zone_the_start_is_given_in(
    hours: BusinessHours, at: datetime, span: timedelta
) -> None:
    """The timers store these as they are: SQLite keeps a datetime's wall time and drops its
    offset (and compares the text), so a time on the team's clock would fire hours off."""
    local = at.astimezone(hours.tz)
    due = add_business_time(hours, local, span)
    assert due.tzinfo is UTC
    assert due == add_business_time(hours, at, span)
    assert next_opening(hours, local).tzinfo is UTC


# --- examples a desk would recognise ---------------------------------------------------------


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin"))


def test_a_target_started_friday_at_five_ends_monday_morning() -> None:
    posted = berlin(2026, 12, 4, 17, 0)  # a Friday
    due = add_business_time(BERLIN_OFFICE, posted, timedelta(minutes=45))
    # 30 minutes on Friday, the other 15 after 09:00 on Monday
    assert due == berlin(2026, 12, 7, 9, 15)


def test_holidays_close_the_whole_day() -> None:
    hours = parse_hours(
        "Mon-Fri 09:00-17:30 Europe/Berlin", holidays=frozenset({date(2026, 12, 24)})
    )
    assert not is_open(hours, berlin(2026, 12, 24, 11, 0))
    assert next_opening(hours, berlin(2026, 12, 23, 18, 0)) == berlin(2026, 12, 25, 9, 0)


def test_an_hour_skipped_by_daylight_saving_opens_when_the_clocks_jump() -> None:
    hours = parse_hours("Sun 02:30-05:00 Europe/Berlin")
    # 29 March 2026: 02:00 becomes 03:00; the wall clock passes 02:30 at the jump
    assert next_opening(hours, datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_new_york_hours_follow_new_york_time_across_the_change() -> None:
    hours = parse_hours("Mon-Fri 9am-5pm America/New_York")
    # 9:00 in New York is 14:00 UTC in winter, 13:00 UTC after 8 March 2026
    assert next_opening(hours, datetime(2026, 3, 6, 23, tzinfo=UTC)) == datetime(
        2026, 3, 9, 13, tzinfo=UTC
    )
    assert next_opening(hours, datetime(2026, 3, 5, 23, tzinfo=UTC)) == datetime(
        2026, 3, 6, 14, tzinfo=UTC
    )


def test_the_customer_hears_when_the_team_is_back_and_where_the_case_stands() -> None:
    friday_evening = berlin(2026, 12, 4, 22, 0)
    told = back_notice(BERLIN_OFFICE, friday_evening, ahead=0)
    assert told == (
        "Our team is back at 09:00 (CET) on Monday, in about 2 days; your case is first in "
        "the queue. A person will pick it up then and reply right here."
    )
    tonight = back_notice(BERLIN_OFFICE, berlin(2026, 12, 2, 22, 0), ahead=2)
    assert tonight is not None
    assert tonight.startswith("Our team is back at 09:00 (CET) tomorrow, in about 11 hours")
    assert "2 cases are ahead of yours" in tonight
    assert back_notice(BERLIN_OFFICE, berlin(2026, 12, 2, 10, 0), ahead=0) is None
    summer = back_notice(BERLIN_OFFICE, berlin(2026, 7, 1, 6, 0), ahead=None)
    assert summer is not None
    assert summer.startswith("Our team is back at 09:00 (CEST), in about 3 hours.")


# --- what an admin may type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "described"),
    [
        ("Mon-Fri 09:00-17:30 Europe/Berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        ("mon-fri 9:00-17:30 europe/berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        ("Monday-Friday 9-17.30 Europe/Berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        ("Mon \u2013 Fri 09:00 \u2013 17:30 Europe/Berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        ("Mon to Fri 9am to 5:30pm Europe/Berlin", "Mon-Fri 09:00-17:30 Europe/Berlin"),
        (
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00 Europe/Berlin",
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00 Europe/Berlin",
        ),
        (
            "Mon-Thu 9-17; Fri 9-13 America/New_York",
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00 America/New_York",
        ),
        ("weekdays 8:30-18:00 UTC", "Mon-Fri 08:30-18:00 UTC"),
        ("weekends 10:00-14:00 Europe/London", "Sat-Sun 10:00-14:00 Europe/London"),
        ("daily 00:00-24:00 Asia/Tokyo", "every day 00:00-24:00 Asia/Tokyo"),
        ("Mon/Wed/Fri 10-16 Europe/Paris", "Mon/Wed/Fri 10:00-16:00 Europe/Paris"),
        ("Fri-Mon 22:00-06:00 UTC", "Fri-Mon 22:00-06:00 UTC"),
        ("Tues-Thurs 09:00-12:00 Europe/Berlin", "Tue-Thu 09:00-12:00 Europe/Berlin"),
    ],
)
def test_hours_are_read_however_they_are_typed(typed: str, described: str) -> None:
    assert parse_hours(typed).describe() == described


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "days, the hours and the time zone"),
        ("Mon-Fri 09:00-17:30", "not a time zone"),
        ("Mon-Fri 09:00-17:30 Mars/Olympus", "not a time zone"),
        ("Mon-Fri 25:00-26:00 Europe/Berlin", "not a time of day"),
        ("Mon-Fri 09:61-17:00 Europe/Berlin", "not a time of day"),
        ("Mon-Fri 09:00-09:00 Europe/Berlin", "opens and closes at once"),
        ("Funday 09:00-17:00 Europe/Berlin", "can't read"),
        ("Mon-Fri Europe/Berlin", "can't read"),
        ("Mon-Fri 9-5 and then some Europe/Berlin", "can't read"),
        ("09:00-17:00 Europe/Berlin", "can't read"),
        ("Mon-Fri 13pm-5pm Europe/Berlin", "not a time of day"),
    ],
)
def test_hours_that_cannot_be_read_say_why(typed: str, complaint: str) -> None:
    with pytest.raises(HoursError, match=complaint):
        parse_hours(typed)


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=5), "in about 1 minute"),
        (timedelta(minutes=1, seconds=29), "in about 1 minute"),
        (timedelta(minutes=1, seconds=30), "in about 2 minutes"),
        (timedelta(minutes=59, seconds=31), "in about 1 hour"),
        (timedelta(minutes=89), "in about 1 hour"),
        (timedelta(minutes=90), "in about 2 hours"),
        (timedelta(minutes=150), "in about 3 hours"),  # round() would say 2 (half to even)
        (timedelta(minutes=210), "in about 4 hours"),
        (timedelta(hours=47, minutes=29), "in about 47 hours"),
        (timedelta(hours=60), "in about 3 days"),  # 2.5 days: halves round up
        (timedelta(hours=83), "in about 3 days"),
    ],
)
def test_how_long_until_the_team_is_back_rounds_halves_up(span: timedelta, said: str) -> None:
    assert about(span) == said


@given(st.integers(min_value=0, max_value=14 * 24 * 3600))
def test_a_longer_wait_is_never_said_to_be_shorter(seconds: int) -> None:
    def said_minutes(span: timedelta) -> int:
        number, unit = about(span).split()[2:4]
        return (
            int(number) * {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "days": 1440}[unit]
        )

    assert said_minutes(timedelta(seconds=seconds)) <= said_minutes(timedelta(seconds=seconds + 60))

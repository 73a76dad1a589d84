"""When the weekly report is due: Monday 09:00 on the team's wall clock.

Pure arithmetic over instants and a zone name (`zoneinfo`); no clock: the caller passes now.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

REPORT_WEEKDAY = 0  # Monday
REPORT_TIME = time(9, 0)


def next_weekly_report(after: datetime, zone: str = "UTC") -> datetime:
    """The first Monday 09:00 in `zone` strictly after `after` (timezone-aware), in UTC.

    A week that crosses a DST change is an hour shorter or longer than seven days: the report
    keeps to 09:00 on the wall, not to a fixed span."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(REPORT_WEEKDAY - local.weekday()) % 7)
    due = datetime.combine(day, REPORT_TIME, tzinfo=tz)
    if due <= after:
        due = datetime.combine(day + timedelta(days=7), REPORT_TIME, tzinfo=tz)
    return due.astimezone(UTC)


def moved_to_zone(due: datetime, zone: str, *, now: datetime) -> datetime:
    """A report due at `due` (a Monday 09:00 somewhere) kept to the same Monday's 09:00 on
    `zone`'s clock once the team's zone changes; `now` when that moment has passed already, so
    a change of zone neither skips that Monday's report nor makes it twice. (Two zones' Monday
    09:00 are at most 26 hours apart: two days back is always the weekend before.)"""
    return max(now, next_weekly_report(due - timedelta(days=2), zone))


def describe_schedule(due: datetime, zone: str = "UTC") -> str:
    """'every Monday at 09:00 (CET), first on 2026-12-07' for a report next due at `due`."""
    local = due.astimezone(ZoneInfo(zone))
    return (
        f"every Monday at {REPORT_TIME:%H:%M} ({local.tzname() or zone}), first on {local:%Y-%m-%d}"
    )


def week_windows(now: datetime, zone: str = "UTC") -> list[tuple[datetime, datetime]]:
    """The days the weekly report made at `now` covers: Monday to Sunday, each midnight to
    midnight on `zone`'s clock (a DST change makes one 23 or 25 hours long), of the week that
    ended at the last Monday 00:00 at or before `now`. Reports of consecutive weeks cover every
    day once, whatever hour (or day, after a downtime) each is made."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    midnights = [
        datetime.combine(monday - timedelta(days=7 - n), time(), tzinfo=tz).astimezone(UTC)
        for n in range(8)
    ]
    return list(pairwise(midnights))

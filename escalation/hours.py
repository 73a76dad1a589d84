"""Business hours: when a team is in, and time counted only while it is.

Pure arithmetic over instants (timezone-aware datetimes, UTC or any zone) and a team's weekly
hours in its own time zone (`zoneinfo`: the standard library's reading of the tz database is
the one data read). No clock: every function takes the instant it works from.

A week is a set of ranges, each open on some weekdays from a local start time to a local end
time (an end at or before the start closes the next day: `22:00-06:00`). Holidays are whole
local dates on which the team is closed, whatever the ranges say. Local times that a DST change
skips are read with the offset before the change (zoneinfo's `fold=0`), as the clock on the
wall would show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ONE_DAY = timedelta(days=1)
# Hours whose open time adds up to nothing in this many days are never open (holidays only
# remove whole dates, so any week with a range opens again within a week of the last holiday).
_SEARCH_DAYS = 7 * 60
_LONGEST = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class OpenRange:
    """Open on `days` (0 = Monday) from `start` to `end`, local time; `end` at or before
    `start` closes the next day; `end` of `None` is midnight at the end of the day."""

    days: frozenset[int]
    start: time
    end: time | None

    def describe(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{describe_days(self.days)} {self.start.strftime('%H:%M')}-{end}"


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """A team's week in its time zone, and the dates it is closed."""

    ranges: tuple[OpenRange, ...]
    zone: str
    holidays: frozenset[date] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def describe(self) -> str:
        return ", ".join(r.describe() for r in self.ranges) + f" {self.zone}"


@dataclass(frozen=True, slots=True)
class Interval:
    """An open period, [start, end), in UTC."""

    start: datetime
    end: datetime


class HoursError(ValueError):
    """Hours an admin typed that cannot be read; the message says what is wrong."""


# --- the arithmetic -----------------------------------------------------------------------------


def open_intervals(hours: BusinessHours, since: datetime) -> Iterator[Interval]:
    """The open periods that end after `since`, in order, merged where they touch, holidays
    cut out; endless (a week with a range always opens again)."""
    since = _utc(since)
    tz = hours.tz
    day = since.astimezone(tz).date() - ONE_DAY  # an overnight range from the day before
    current: Interval | None = None
    handed = since  # everything before this is handed out (or before `since`)
    empty_days = 0
    while empty_days <= _SEARCH_DAYS:
        found = False
        for whole in _day_intervals(hours, day, tz):
            if whole.end <= handed:
                continue
            found = True
            piece = Interval(max(whole.start, handed), whole.end)
            if current is not None and piece.start <= current.end:
                current = Interval(current.start, max(current.end, piece.end))
            else:
                if current is not None:
                    yield current
                current = piece
            if current.end - current.start >= _LONGEST:
                # open around the clock: handed out in week-long pieces that touch
                yield current
                handed, current = current.end, None
        empty_days = 0 if found else empty_days + 1
        day += ONE_DAY
    if current is not None:
        yield current


def is_open(hours: BusinessHours, at: datetime) -> bool:
    at = _utc(at)
    first = next(open_intervals(hours, at), None)
    return first is not None and first.start <= at


def next_opening(hours: BusinessHours, at: datetime) -> datetime:
    """`at` itself while open, else the start of the next open period (UTC)."""
    at = _utc(at)
    first = next(open_intervals(hours, at), None)
    if first is None:
        raise HoursError("these hours are never open")
    return max(at, first.start)


def add_business_time(hours: BusinessHours, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of open time has passed since `start` (UTC). Zero
    is `start` itself; a duration that ends exactly at a closing time ends there."""
    if duration < timedelta(0):
        raise ValueError("a negative duration")
    at = _utc(start)
    left = duration
    if not left:
        return at
    for interval in open_intervals(hours, at):
        begin = max(at, interval.start)
        available = interval.end - begin
        if left <= available:
            return begin + left
        left -= available
    raise HoursError("these hours are never open")


def business_time_between(hours: BusinessHours, start: datetime, end: datetime) -> timedelta:
    """How much open time lies in [start, end)."""
    start, end = _utc(start), _utc(end)
    total = timedelta(0)
    if end <= start:
        return total
    for interval in open_intervals(hours, start):
        if interval.start >= end:
            break
        total += min(end, interval.end) - max(start, interval.start)
    return total


def _day_intervals(hours: BusinessHours, day: date, tz: ZoneInfo) -> list[Interval]:
    """The ranges opening on local date `day`, in UTC, with holidays cut out."""
    pieces: list[Interval] = []
    for open_range in hours.ranges:
        if day.weekday() not in open_range.days:
            continue
        start = _local(day, open_range.start, tz)
        if open_range.end is None or open_range.end <= open_range.start:
            end = _local(day + ONE_DAY, open_range.end or time(0), tz)
        else:
            end = _local(day, open_range.end, tz)
        if end > start:
            pieces.extend(_without_holidays(Interval(start, end), hours, tz))
    return sorted(pieces, key=lambda p: p.start)


def _without_holidays(interval: Interval, hours: BusinessHours, tz: ZoneInfo) -> list[Interval]:
    pieces = [interval]
    if not hours.holidays:
        return pieces
    first = interval.start.astimezone(tz).date()
    last = interval.end.astimezone(tz).date()
    day = first
    while day <= last:
        if day in hours.holidays:
            closed = Interval(_local(day, time(0), tz), _local(day + ONE_DAY, time(0), tz))
            pieces = [p for piece in pieces for p in _minus(piece, closed)]
        day += ONE_DAY
    return pieces


def _minus(piece: Interval, closed: Interval) -> list[Interval]:
    if closed.end <= piece.start or closed.start >= piece.end:
        return [piece]
    left = [Interval(piece.start, closed.start)] if piece.start < closed.start else []
    right = [Interval(closed.end, piece.end)] if closed.end < piece.end else []
    return left + right


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant the wall clock first shows `at` on `day` (or later, when a DST change
    skips it: then the instant of the change); a time shown twice is its first showing."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # skipped: the change lies between the two readings of the skipped time
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return _after_change(low, tz)


def _after_change(near: datetime, tz: ZoneInfo) -> datetime:
    """The first whole second at or after `near` whose offset differs from `near`'s."""
    at = near.replace(microsecond=0)
    offset = at.astimezone(tz).utcoffset()
    while at.astimezone(tz).utcoffset() == offset:
        at += timedelta(seconds=1)
    return at


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a naive datetime: pass an aware one")
    return value.astimezone(UTC)


# --- what the customer is told ------------------------------------------------------------------


def back_notice(hours: BusinessHours, now: datetime, *, ahead: int | None) -> str | None:
    """What a customer whose case arrives at `now` is told about when a person picks it up:
    None while the team is in; else when it is back (local time and zone abbreviation, the
    day when not today, and how long from now), and the case's place in the queue when it is
    known (`ahead`: open cases waiting before it)."""
    now = _utc(now)
    if is_open(hours, now):
        return None
    opening = next_opening(hours, now)
    local = opening.astimezone(hours.tz)
    today = now.astimezone(hours.tz).date()
    when = local.strftime("%H:%M")
    zone = local.tzname() or hours.zone
    if local.date() == today + ONE_DAY:
        day = " tomorrow"
    elif local.date() != today:
        day = f" on {_FULL_DAY_NAMES[local.weekday()].capitalize()}"
        if local.date() - today >= timedelta(days=7):
            day += f" {local.day} {local.strftime('%B')}"
    else:
        day = ""
    text = f"Our team is back at {when} ({zone}){day}, {about(opening - now)}"
    if ahead == 0:
        text += "; your case is first in the queue"
    elif ahead == 1:
        text += "; one case is ahead of yours"
    elif ahead is not None:
        text += f"; {ahead} cases are ahead of yours"
    return text + ". A person will pick it up then and reply right here."


def about(span: timedelta) -> str:
    """'in about 11 hours', rounded to what a person would say."""
    # Halves round up, as people round (Python's round() takes 3.5 hours to "about 4" but 2.5
    # to "about 2").
    minutes = max(1, int(span.total_seconds() + 30) // 60)
    if minutes < 60:
        return f"in about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = (minutes + 30) // 60
    if hours < 48:
        return f"in about {hours} hour{'s' if hours != 1 else ''}"
    days = (hours + 12) // 24
    return f"in about {days} days"


# --- reading what an admin typed ----------------------------------------------------------------

_DASH = "-\u2013\u2014"  # hyphen, en dash, em dash
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_DAY_SPAN = rf"{_DAY}(?:\s*(?:[{_DASH}]|to|through|thru)\s*{_DAY})?"
_DAYS = (
    rf"(?:weekdays|weekends?|daily|every\s*day|everyday|"
    rf"{_DAY_SPAN}(?:\s*(?:/|&|\+|and)\s*{_DAY_SPAN})*)"
)
_CLOCK = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?"
_RANGE = re.compile(
    rf"\s*(?P<days>{_DAYS})\s*,?\s*(?P<start>{_CLOCK})\s*(?:[{_DASH}]|to|until|till)\s*"
    rf"(?P<end>{_CLOCK})\s*(?:[,;]|\band\b)?",
    re.I,
)
_CLOCK_PARTS = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.I)


def parse_hours(text: str, *, holidays: frozenset[date] = frozenset()) -> BusinessHours:
    """`Mon-Fri 09:00-17:30 Europe/Berlin`, `Mon-Thu 9-17, Fri 9-13 America/New_York`,
    `weekdays 9am-5pm UTC`, `Sat/Sun 10:00-14:00 Europe/London`: ranges (days, then times),
    separated by commas, then the time zone (IANA name, any case)."""
    words = text.strip().split()
    if len(words) < 2:
        raise HoursError("give the days, the hours and the time zone")
    zone = find_zone(words[-1])
    rest = " ".join(words[:-1])
    ranges: list[OpenRange] = []
    at = 0
    while at < len(rest):
        found = _RANGE.match(rest, at)
        if found is None or found.end() == at:
            raise HoursError(f"I can't read `{rest[at:].strip()[:40]}` as days and hours")
        start = _clock(found.group("start")) or time(0)
        end = _clock(found.group("end"), end=True)
        if end == start:
            raise HoursError(f"`{found.group(0).strip(' ,;')}` opens and closes at once")
        ranges.append(OpenRange(_days(found.group("days")), start, end))
        at = found.end()
        while at < len(rest) and rest[at] in " ,;":
            at += 1
    if not ranges:
        raise HoursError("give at least one range of days and hours")
    return BusinessHours(tuple(ranges), zone, holidays)


def find_zone(name: str) -> str:
    """The tz database's name for a zone typed in any case (`europe/berlin`, `UTC`)."""
    if name.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    lowered = {zone.lower(): zone for zone in available_timezones()}
    zone = lowered.get(name.lower())
    if zone is None:
        raise HoursError(
            f"`{name}` is not a time zone I know: end with one such as Europe/Berlin or "
            "America/New_York"
        )
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HoursError(f"the time zone `{name}` cannot be read here") from error
    return zone


def _clock(text: str, *, end: bool = False) -> time | None:
    """A time of day; as an end, `24:00` (and `0:00`/`12am`) is the end of the day (None)."""
    parts = _CLOCK_PARTS.fullmatch(text.strip())
    if parts is None:
        raise HoursError(f"`{text}` is not a time of day")
    hour, minute = int(parts.group(1)), int(parts.group(2) or 0)
    suffix = (parts.group(3) or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise HoursError(f"`{text}` is not a time of day")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise HoursError(f"`{text}` is not a time of day")
    if hour == 24:
        if not end:
            raise HoursError("a range cannot open at 24:00")
        return None
    if end and hour == 0 and minute == 0:
        return None
    return time(hour, minute)


def _days(text: str) -> frozenset[int]:
    spec = re.sub(r"\s+", " ", text.strip().lower())
    if spec in ("weekdays",):
        return frozenset(range(5))
    if spec in ("weekend", "weekends"):
        return frozenset((5, 6))
    if spec in ("daily", "every day", "everyday"):
        return frozenset(range(7))
    days: set[int] = set()
    for span in re.split(r"\s*(?:/|&|\+|\band\b)\s*", spec):
        ends = re.split(rf"\s*(?:[{_DASH}]|\bto\b|\bthrough\b|\bthru\b)\s*", span)
        first = _day(ends[0])
        last = _day(ends[-1])
        day = first
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


def _day(word: str) -> int:
    word = word.strip(" .").lower()
    for index, full in enumerate(_FULL_DAY_NAMES):
        if len(word) >= 3 and full.startswith(word):
            return index
    raise HoursError(f"`{word}` is not a day of the week")


def describe_days(days: frozenset[int]) -> str:
    """`Mon-Fri`, `Sat-Sun`, `Mon/Wed/Fri`, `every day`."""
    if len(days) == 7:
        return "every day"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:  # a run across Sunday
        runs[0] = runs.pop() + runs[0]
    parts = [
        DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
        for run in runs
    ]
    return "/".join(parts)

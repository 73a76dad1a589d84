"""Response targets and business hours: `/escalation sla`, `hours` and `holidays`, and what a
customer is told when a case arrives while the team is out; `names`: whether a customer is told
the name of the agent who claims their case.

    /escalation sla 10m            (also 2h, 90s, 1h30m, "45 minutes"; `off` clears it)
    /escalation hours Mon-Fri 09:00-17:30 Europe/Berlin
    /escalation hours Mon-Thu 09:00-17:00, Fri 09:00-13:00 Europe/Berlin
    /escalation hours off
    /escalation holidays add 2026-12-24 [2026-12-31 ...]   /   remove DATE...   /   holidays
    /escalation names off   /   names on   /   names
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from db.desk import DeskConfig, SqlDesk
from db.uow import SqlUnitOfWork
from escalation.hours import BusinessHours, HoursError, back_notice, parse_hours

DESK_COMMANDS = frozenset({"sla", "hours", "holidays", "names"})
MAX_TARGET = timedelta(days=7)
SLA_USAGE = (
    "Usage: `/escalation sla <time to claim>`, such as `10m`, `2h`, `90s` or `1h30m` (at most "
    "7 days), or `/escalation sla off`."
)
HOURS_USAGE = (
    "Usage: `/escalation hours Mon-Fri 09:00-17:30 Europe/Berlin` (several ranges with commas: "
    "`Mon-Thu 09:00-17:00, Fri 09:00-13:00 Europe/Berlin`), or `/escalation hours off`."
)
HOLIDAYS_USAGE = (
    "Usage: `/escalation holidays add 2026-12-24` (several dates with spaces), "
    "`/escalation holidays remove 2026-12-24`, or `/escalation holidays` to list them."
)
NAMES_USAGE = (
    'Usage: `/escalation names off` (customers are told "a person from our team" has their '
    "case), `/escalation names on` (they are told the agent's display name), or "
    "`/escalation names` to see which."
)
NOTHING_CHANGED = " Nothing was changed."

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_PART = re.compile(r"\s*(\d{1,6})\s*([a-z]+)\s*(?:and\b|,)?", re.I)
_OFF = frozenset({"off", "none", "clear", "disable", "disabled"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """`10m`, `2h`, `90s`, `1h30m`, `1h 30m`, `45 minutes`, `2 hours and 15 minutes`."""
    spoken = text.strip().lower()
    if not spoken:
        raise DurationError("give a time")
    total = 0
    at = 0
    while at < len(spoken):
        part = _PART.match(spoken, at)
        if part is None:
            raise DurationError(f"I can't read `{spoken[at:].strip()[:30]}` as a time")
        unit = _UNITS.get(part.group(2))
        if unit is None:
            raise DurationError(f"`{part.group(2)}` is not a unit (use s, m, h or d)")
        total += int(part.group(1)) * unit
        at = part.end()
    return timedelta(seconds=total)


def describe_duration(span: timedelta) -> str:
    """`10 minutes`, `1 hour 30 minutes`, `90 seconds` stays `1 minute 30 seconds`."""
    seconds = int(span.total_seconds())
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def closed_notice(config: DeskConfig, now: datetime, *, waiting: int) -> str | None:
    """What a customer whose case arrives at `now` is told when the team is out (None while
    it is in, or when no hours are set); `waiting` open cases no one has claimed yet."""
    hours = config.hours
    if hours is None:
        return None
    return back_notice(hours, now, ahead=waiting)


class DeskTargets:
    """The `sla`, `hours`, `holidays` and `names` subcommands (admins only: the caller
    checks)."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def handle(self, workspace_id: str, command: str, rest: str) -> str:
        """Each subcommand writes only its own setting (never the whole configuration read
        here, which another admin may have changed since); answers say what is set now."""
        config = self.config(workspace_id)
        if command == "sla":
            return self._sla(config, rest)
        if command == "hours":
            return self._hours(config, rest)
        if command == "names":
            return self._names(config, rest)
        return self._holidays(config, rest)

    def config(self, workspace_id: str) -> DeskConfig:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            return uow.desk.config(workspace_id)

    def describe(self, workspace_id: str) -> str:
        """One line per setting, for `/escalation sla` and `hours` typed alone."""
        config = self.config(workspace_id)
        target = config.claim_target
        hours = config.week
        return "\n".join(
            (
                "Time-to-claim target: "
                + (describe_duration(target) if target else "off")
                + " (`/escalation sla 10m`)",
                "Business hours: "
                + (hours.describe() if hours else "not set: the team counts as always in")
                + " (`/escalation hours Mon-Fri 09:00-17:30 Europe/Berlin`)",
                "Holidays: "
                + (", ".join(sorted(d.isoformat() for d in config.holidays)) or "none"),
            )
        )

    def _sla(self, config: DeskConfig, rest: str) -> str:
        typed = rest.strip()
        if not typed:
            return self.describe(config.workspace_id)
        if typed.lower() in _OFF:
            self._save(
                config.workspace_id,
                lambda desk, now: desk.set_claim_target(config.workspace_id, None, now=now),
            )
            return "Time-to-claim target is off: no reminders for new handoffs."
        try:
            target = parse_duration(typed)
        except DurationError as error:
            return f"{_sentence(str(error))} {SLA_USAGE}{NOTHING_CHANGED}"
        if target <= timedelta(0):
            return f"A target must be longer than nothing. {SLA_USAGE}{NOTHING_CHANGED}"
        if target > MAX_TARGET:
            return f"A target must be at most 7 days. {SLA_USAGE}{NOTHING_CHANGED}"
        config = self._save(
            config.workspace_id,
            lambda desk, now: desk.set_claim_target(config.workspace_id, target, now=now),
        )
        counted = " of business hours" if config.week is not None else ""
        return (
            f"Time-to-claim target: {describe_duration(target)}{counted}. A new handoff still "
            f"unclaimed then gets a reminder in its thread; at {describe_duration(target * 2)} "
            "the admins are told."
        )

    def _hours(self, config: DeskConfig, rest: str) -> str:
        typed = rest.strip()
        if not typed:
            return self.describe(config.workspace_id)
        if typed.lower() in _OFF:
            self._save(
                config.workspace_id,
                lambda desk, now: desk.set_hours(config.workspace_id, None, now=now),
            )
            return "Business hours are off: the team counts as always in."
        try:
            week = parse_hours(typed)
        except HoursError as error:
            return f"{_sentence(str(error))} {HOURS_USAGE}{NOTHING_CHANGED}"
        config = self._save(
            config.workspace_id,
            lambda desk, now: desk.set_hours(config.workspace_id, week, now=now),
        )
        return (
            f"Business hours: {week.describe()}. Customers whose case arrives outside them are "
            "told when the team is back; response targets count only these hours."
            + _now_line(replace(config, week=week), self.clock())
        )

    def _names(self, config: DeskConfig, rest: str) -> str:
        typed = rest.strip().lower()
        if not typed:
            return _names_line(config.agent_names)
        if typed not in ("on", "off"):
            return NAMES_USAGE + NOTHING_CHANGED
        self._save(
            config.workspace_id,
            lambda desk, now: desk.set_agent_names(config.workspace_id, typed == "on", now=now),
        )
        return _names_line(typed == "on")

    def _holidays(self, config: DeskConfig, rest: str) -> str:
        words = rest.split()
        if not words or words == ["list"]:
            listed = ", ".join(sorted(d.isoformat() for d in config.holidays))
            return f"Holidays: {listed or 'none'}."
        action, dates = words[0].lower(), words[1:]
        if action not in ("add", "remove") or not dates:
            return HOLIDAYS_USAGE + NOTHING_CHANGED
        read: set[date] = set()
        for typed in dates:
            day = _date(typed.strip(","))
            if day is None:
                return (
                    f"`{typed}` is not a date: write it as YYYY-MM-DD (2026-12-24). "
                    + HOLIDAYS_USAGE
                    + NOTHING_CHANGED
                )
            read.add(day)
        changed = frozenset(read)
        config = self._save(
            config.workspace_id,
            lambda desk, now: desk.change_holidays(
                config.workspace_id,
                add=changed if action == "add" else frozenset(),
                remove=changed if action == "remove" else frozenset(),
                now=now,
            ),
        )
        listed = ", ".join(sorted(d.isoformat() for d in config.holidays)) or "none"
        note = "" if config.week is not None else " (they apply once `/escalation hours` is set)"
        return f"Holidays: {listed}{note}."

    def _save(self, workspace_id: str, change: Callable[[SqlDesk, datetime], object]) -> DeskConfig:
        """`change` in one transaction; the settings as it leaves them (for the answer)."""
        with SqlUnitOfWork(self.sessions) as uow:
            change(uow.desk, self.clock())
            config = uow.desk.config(workspace_id)
            uow.commit()
        return config


def _names_line(named: bool) -> str:
    if named:
        return (
            "When an agent claims a case, the customer is told the agent's Slack display name "
            '("Dana from our team has your case now"). `/escalation names off` leaves names out.'
        )
    return (
        'When an agent claims a case, the customer is told "A person from our team has your '
        "case now\", without the agent's name. `/escalation names on` names them."
    )


def _now_line(config: DeskConfig, now: datetime) -> str:
    hours: BusinessHours | None = config.hours
    if hours is None:
        return ""
    told = back_notice(hours, now, ahead=None)
    if told is None:
        return " The team is in now."
    back = told.split(".")[0]  # "Our team is back at 09:00 (CET) on Monday, in about 37 hours"
    return f" Right now: {back[:1].lower()}{back[1:]}."


def _dates(days: frozenset[date]) -> str:
    return ", ".join(sorted(d.isoformat() for d in days))


def _date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

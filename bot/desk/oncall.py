"""On-call routing: `/escalation oncall`, and what round robin needs from the platform.

    /escalation oncall @support-oncall              cards and reminders mention the group
    /escalation oncall @support-oncall round-robin  each new handoff is offered to one member
    /escalation oncall off                          no group
    /escalation oncall                              the setting

Slack sends a group picked from its suggestions escaped (`<!subteam^S0123ABC|@support-oncall>`);
a handle typed as text (`@support-oncall`, `support-oncall`) is looked up (`find_group`).
A mention never travels as text (the sender shows text literally): an outbox row carries it as
a `Mention`, which the platform's sender renders.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.targets import describe_duration
from db.desk import DeskConfig, OncallGroup
from db.uow import SqlUnitOfWork

# {"group": "S0123ABC"} or {"user": "U0123ABC"}: who a post mentions, rendered by the sender.
Mention = dict[str, str]
# How long an offer waits for a claim when the workspace has no time-to-claim target.
DEFAULT_OFFER_WAIT = timedelta(minutes=10)

GroupProblem = Literal["not_found", "no_permission", "unknown"]

USAGE = (
    "Usage: `/escalation oncall @group` (a Slack user group: cards and reminders mention it), "
    "`/escalation oncall @group round-robin` (each new handoff is offered to one active member "
    "at a time), or `/escalation oncall off`."
)
NOTHING_CHANGED = " Nothing was changed."
GROUP_PROBLEMS: dict[GroupProblem, str] = {
    "not_found": "I can't find a user group with the handle @{handle}: check it, or pick the "
    "group from Slack's @ suggestions.",
    "no_permission": "I may not read user groups (the app lacks usergroups:read): reinstall it "
    "from manifest.yml.",
    "unknown": "I couldn't look user groups up just now (Slack did not answer): try again in a "
    "moment.",
}

_PICKED = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|@?([^>]*))?>")
_HANDLE = re.compile(r"@?([a-z0-9][a-z0-9._-]{0,79})", re.I)
_ROUND_ROBIN = ("round-robin", "round robin", "roundrobin")
_OFF = frozenset({"off", "none", "clear", "disable", "disabled"})


@dataclass(frozen=True, slots=True)
class GroupSearch:
    """A user group looked up by handle: its id and handle, or why there is none."""

    group_id: str | None = None
    handle: str | None = None
    problem: GroupProblem | None = None
    looked_up: bool = False  # found by asking the platform (so the app may read groups)


class GroupFinder(Protocol):
    """The user group with this handle (without "@"), as the platform knows it."""

    def __call__(self, handle: str) -> GroupSearch: ...


def no_group_finder(handle: str) -> GroupSearch:
    return GroupSearch(problem="unknown")


class RosterUnavailable(Exception):
    """The platform could not say who is in a group or who is active. `transient`: a rate
    limit, an outage, the network (worth asking again soon); else a scope missing, a group
    deleted (asking again will not help)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class OncallRoster(Protocol):
    """Who round robin can offer a handoff to; failures raise `RosterUnavailable`."""

    def members(self, group_id: str) -> tuple[str, ...]:
        """The group's members, in the platform's order."""
        ...

    def is_active(self, user_id: str) -> bool:
        """Whether the person is active on the platform right now."""
        ...


def group_mention(config: DeskConfig) -> Mention | None:
    """The group new cards and reminders mention: the on-call group, unless round robin
    offers each handoff to one member (its own posts mention them)."""
    oncall = config.oncall
    if oncall is None or oncall.round_robin:
        return None
    return {"group": oncall.group_id}


def offer_wait(config: DeskConfig) -> timedelta:
    """How long an offer waits for a claim before it passes on: the time-to-claim target."""
    return config.claim_target or DEFAULT_OFFER_WAIT


def shown(oncall: OncallGroup) -> str:
    """The group as an answer names it (never a mention: an answer pings nobody)."""
    return f"`@{html.escape(oncall.handle, False)}`" if oncall.handle else f"`{oncall.group_id}`"


class OncallSettings:
    """The `oncall` subcommand (admins only: the caller checks)."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def handle(self, workspace_id: str, rest: str, *, find_group: GroupFinder) -> str:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            config = uow.desk.config(workspace_id)
        typed = " ".join(rest.split())
        if not typed:
            return describe(config)
        if typed.lower() in _OFF:
            self._save(workspace_id, None)
            return (
                "On-call routing is off: cards and reminders mention no group, and nothing is "
                "offered round robin."
            )
        if typed.lower() in _ROUND_ROBIN:
            return (
                "Round robin needs the group: `/escalation oncall @group round-robin`."
                + NOTHING_CHANGED
            )
        group_text, round_robin = _without_round_robin(typed)
        found = _read_group(group_text, find_group=find_group)
        if isinstance(found, str):
            return found
        if round_robin and not found.looked_up and found.handle and found.group_id:
            # Round robin reads the group's members: say now if the app may not (a handle
            # looked up already proved it; a group picked from suggestions did not).
            check = find_group(found.handle.lower())
            if check.problem == "no_permission":
                return (
                    "Round robin reads the group's members, and the app lacks usergroups:read: "
                    "reinstall it from manifest.yml." + NOTHING_CHANGED
                )
        assert found.group_id is not None
        oncall = OncallGroup(found.group_id, found.handle or "", round_robin)
        return set_answer(replace(self._save(workspace_id, oncall), oncall=oncall))

    def _save(self, workspace_id: str, oncall: OncallGroup | None) -> DeskConfig:
        """Only the on-call group is written, after Slack was asked (never inside the
        transaction): another admin's setting made meanwhile stays. The settings as left."""
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.set_oncall(workspace_id, oncall, now=self.clock())
            config = uow.desk.config(workspace_id)
            uow.commit()
        return config


def describe(config: DeskConfig) -> str:
    oncall = config.oncall
    if oncall is None:
        return (
            "On-call group: none. `/escalation oncall @group` makes cards and reminders mention "
            "a Slack user group; add `round-robin` to offer each handoff to one active member "
            "at a time."
        )
    if not oncall.round_robin:
        return f"On-call group: {shown(oncall)} (new cards and their reminders mention it)."
    return (
        f"On-call group: {shown(oncall)}, round robin: each new handoff is offered to the next "
        f"active member, passed on after {_wait_words(config)}."
    )


def set_answer(config: DeskConfig) -> str:
    oncall = config.oncall
    assert oncall is not None
    if not oncall.round_robin:
        later = (
            ""
            if config.claim_target
            else " (reminders come once `/escalation sla 10m` sets a time-to-claim target)"
        )
        return (
            f"On-call group: {shown(oncall)}. New handoff cards mention it, and so do their "
            f"reminders{later}."
        )
    default = (
        ""
        if config.claim_target
        else f" No time-to-claim target is set, so an offer waits "
        f"{describe_duration(DEFAULT_OFFER_WAIT)} (`/escalation sla 10m` sets one)."
    )
    return (
        f"On-call group: {shown(oncall)}, round robin. Each new handoff is offered in its card's "
        f"thread to the next member of the group who is active in Slack; if it is not claimed "
        f"within {_wait_words(config)}, it passes to the next active member, and when nobody "
        f"active is left the whole group is mentioned.{default}"
    )


def _wait_words(config: DeskConfig) -> str:
    counted = " of business hours" if config.week is not None else ""
    return f"{describe_duration(offer_wait(config))}{counted}"


def _without_round_robin(typed: str) -> tuple[str, bool]:
    lowered = typed.lower()
    for spelling in _ROUND_ROBIN:
        if lowered.endswith(" " + spelling):
            return typed[: -len(spelling)].strip(), True
    return typed, False


def _read_group(text: str, *, find_group: GroupFinder) -> GroupSearch | str:
    """The group the admin gave (picked, or a handle looked up), or the refusal to answer."""
    picked = _PICKED.findall(text)
    if len(picked) == 1 and not _PICKED.sub("", text).strip():
        group_id, label = picked[0]
        return GroupSearch(group_id=group_id, handle=label.strip() or None)
    handle = _HANDLE.fullmatch(text)
    if handle is None:
        return USAGE + NOTHING_CHANGED
    search = find_group(handle.group(1).lower())
    if search.group_id is None:
        problem = search.problem or "not_found"
        told = GROUP_PROBLEMS[problem].format(handle=html.escape(handle.group(1), False))
        return told + NOTHING_CHANGED
    return replace(search, handle=search.handle or handle.group(1).lower(), looked_up=True)

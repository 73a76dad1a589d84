"""Round robin's offers: each new handoff is offered, in its card's thread, to the next member
of the on-call group who is active; unclaimed after the wait, to the next one not offered it
yet; when nobody active is left, the whole group is mentioned once and the chain stops.

Nobody is paged outside business hours: a step due (or made late) while the team is closed
waits for the next opening. When nobody is active yet (in hours), the step looks again every
few minutes until the time-to-claim target has passed (business time, from the handoff), and
only then mentions the group. A step is made only once the card is posted (a held card has no
thread to offer it in): until then its timer is not even read.

One `oncall_offer` timer row per handoff carries the chain (written with the handoff, due at
the next opening). A step reads the due rows, asks the platform who is in the group and who
is active outside any transaction (a slow Slack must not hold rows or connections), then in one
transaction finishes the timer (compare-and-set from pending: one step per sweep however many
processes sweep), moves the group's "offered last" pointer (compare-and-set too: two handoffs
stepped at once never pick by the same pointer), records the offer, queues the post and
re-arms the timer for the next step.

In a workspace the app is not installed in (uninstalled; its token deleted) nothing is asked
of Slack or queued: its due steps wait (`WAIT_FOR_INSTALL` at a time, re-armed so as not to be
read at every sweep) and the chain goes on where it was once the app is installed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.oncall import Mention, OncallRoster, RosterUnavailable, offer_wait
from bot.desk.targets import describe_duration
from db.desk import OFFER_TIMER, DeskConfig, DueTimer, OncallGroup
from db.uow import SqlUnitOfWork
from escalation.hours import is_open
from escalation.oncall import next_member, offer_order

log = logging.getLogger(__name__)

# The platform's answers failed for a moment: ask again after this, and after this long past
# the step's first failure mention the whole group rather than keep the customer waiting on
# Slack. One transient failure rests every step of that group for the rest of the sweep (a
# hung Slack is waited on once per sweep, not once per step).
RETRY_READS = timedelta(seconds=30)
GIVE_UP_READS = timedelta(minutes=5)
# Nobody active yet, in hours, before the target: look again after this much business time.
LOOK_AGAIN = timedelta(minutes=2)
# At most this many people's presence is asked in one step (Slack allows about 50 a minute):
# the step goes on with the next ones after READ_ON.
MAX_PRESENCE_READS = 40
READ_ON = timedelta(minutes=1)
# A due timer of a workspace the app is not installed in is looked at again after this: it
# waits for a reinstall without being read at every sweep (nor keeping others' out of the
# sweep's batch).
WAIT_FOR_INSTALL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Step:
    timer: DueTimer
    config: DeskConfig
    offered: frozenset[str]
    last: str | None


@dataclass(frozen=True, slots=True)
class _Offer:
    user_id: str
    last: bool = False  # nobody else in the group is left to offer it to after this one


@dataclass(frozen=True, slots=True)
class _Everyone:
    """Nobody to offer it to: mention the whole group (why, for the post)."""

    why: str


@dataclass(frozen=True, slots=True)
class _Nobody:
    """Nobody active to offer it to now: look again, or past the target mention the group."""

    why: str


@dataclass(frozen=True, slots=True)
class _ReadOn:
    """The presence reads' cap was reached with members left unread: go on with them later."""


class _Presence(Collection[str]):
    """Who is active, as `next_member` asks it: the platform is asked lazily, in the order
    asked, and only about the members of this read's window (the cap on presence reads)."""

    def __init__(self, roster: OncallRoster, window: Collection[str]) -> None:
        self.roster = roster
        self.window = window

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.window and self.roster.is_active(str(user_id))

    def __iter__(self) -> Iterator[str]:
        return (user_id for user_id in self.window if user_id in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


_StepKey = tuple[int, datetime]  # a timer and the due time of its step


class OncallOffers:
    """Makes the due round robin steps; `work_once` is called by the timers' sweep."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rosters: Callable[[str], OncallRoster],
        clock: Callable[[], datetime],
        installed: Callable[[str], bool] | None = None,
    ) -> None:
        """`rosters`: the roster of a workspace (read with that workspace's token);
        `installed`: whether the app is installed in a workspace, without a Slack call (None:
        in every one)."""
        self.sessions = sessions
        self.rosters = rosters
        self.clock = clock
        self.installed = installed
        self._resting: dict[int, datetime] = {}  # timer id -> ask the platform again then
        self._failing: dict[_StepKey, datetime] = {}  # step -> its first failure to read
        self._away: dict[_StepKey, frozenset[str]] = {}  # step -> read inactive (past the cap)

    def work_once(self) -> int:
        """The due steps made (or ended); a step waiting on the platform counts as none."""
        now = self.clock()
        self._resting = {t: until for t, until in self._resting.items() if until > now}
        with SqlUnitOfWork(self.sessions) as uow:  # rolled back: the rows are only read
            due = uow.desk.due_timers(now=now, kinds=(OFFER_TIMER,))
            steps = [
                _Step(
                    timer,
                    uow.desk.config(timer.workspace_id),
                    uow.desk.offered(timer.handoff_id),
                    uow.desk.last_offered(timer.workspace_id),
                )
                for timer in due
                if self._resting.get(timer.id, now) <= now
            ]
        if self.installed is not None:  # asked outside the transaction (SQLite's lock)
            installed = {s.timer.workspace_id: self.installed(s.timer.workspace_id) for s in steps}
            away = [step.timer for step in steps if not installed[step.timer.workspace_id]]
            steps = [step for step in steps if installed[step.timer.workspace_id]]
            if away:
                with SqlUnitOfWork(self.sessions) as uow:
                    for timer in away:  # nothing read from Slack or queued
                        wait_for_install(uow, timer, now=now, due_at=timer.due_at)
                    uow.commit()
        live = {(timer.id, timer.due_at) for timer in due}
        self._failing = {key: at for key, at in self._failing.items() if key in live}
        self._away = {key: away for key, away in self._away.items() if key in live}
        # Each offer moves its group's pointer: the later steps of this sweep go by the moved
        # one (the pointer read with them is stale by then).
        pointers = {step.timer.workspace_id: step.last for step in steps}
        failed: dict[str, RosterUnavailable] = {}  # group -> its transient failure this sweep
        made = 0
        for read in steps:
            step = replace(read, last=pointers[read.timer.workspace_id])
            made += self._step(step, now, pointers, failed)
        return made

    def _step(
        self,
        step: _Step,
        now: datetime,
        pointers: dict[str, str | None],
        failed: dict[str, RosterUnavailable],
    ) -> int:
        oncall = step.config.oncall
        if step.timer.handoff_status != "open" or oncall is None or not oncall.round_robin:
            return self._end(step.timer, now)  # claimed, closed, or round robin turned off
        hours = step.config.hours
        if hours is not None and not is_open(hours, now):
            # nobody is paged while the team is closed: the step waits for the opening
            return self._rearm(step, now, due_at=step.config.opening(now))
        key = (step.timer.id, step.timer.due_at)
        try:
            earlier = failed.get(oncall.group_id)
            if earlier is not None:  # Slack failed for this group in this sweep: not again
                raise earlier
            choice = self._choose(step, oncall, key)
        except RosterUnavailable as failure:
            first = self._failing.setdefault(key, now)  # the give-up counts from here
            if failure.transient:
                failed.setdefault(oncall.group_id, failure)
            if failure.transient and now - first < GIVE_UP_READS:
                log.warning(
                    "on-call offer for handoff %s waits: %s", step.timer.handoff_id, failure
                )
                self._resting[step.timer.id] = now + RETRY_READS
                return 0
            log.warning("on-call group %s unreadable: %s", oncall.group_id, failure)
            choice = _Everyone(f"I couldn't read who is in {_named(oncall)} ({failure.reason})")
        self._failing.pop(key, None)
        if isinstance(choice, _ReadOn):
            self._resting[step.timer.id] = now + READ_ON
            return 0
        if isinstance(choice, _Nobody):
            target = step.config.due(step.timer.handoff_created_at, offer_wait(step.config))
            if now < target:  # nobody active yet: look again, and call the group at the target
                return self._rearm(step, now, due_at=min(step.config.due(now, LOOK_AGAIN), target))
            choice = _Everyone(choice.why)
        self._resting.pop(step.timer.id, None)
        with SqlUnitOfWork(self.sessions) as uow:
            # made only if the handoff is still open at the statement that finishes the step
            # (a claim since the read is seen): else the timer ends, skipped, and nothing posts
            fired = uow.desk.fire_timer(step.timer.id, now=now, due_at=step.timer.due_at)
            if fired != "fired":
                uow.commit()
                return 1 if fired == "skipped" else 0  # taken: another sweeper made this step
            if isinstance(choice, _Everyone):
                self._post(uow, step, text=everyone_text(oncall, choice.why), mention=None)
            else:
                moved = uow.desk.move_last_offered(
                    step.timer.workspace_id, expected=step.last, to=choice.user_id
                )
                if not moved:  # another process's offer went first: choose again, afresh
                    pointers[step.timer.workspace_id] = uow.desk.last_offered(
                        step.timer.workspace_id
                    )
                    return 1
                uow.desk.record_offer(step.timer.handoff_id, choice.user_id, now=now)
                self._post(
                    uow,
                    step,
                    text=offer_text(oncall, step.config, last=choice.last),
                    mention={"user": choice.user_id},
                )
                uow.desk.rearm_timer(
                    step.timer.id, due_at=step.config.due(now, offer_wait(step.config))
                )
            uow.commit()
        if isinstance(choice, _Offer):
            pointers[step.timer.workspace_id] = choice.user_id
        log.info("handoff %s: on-call %s", step.timer.handoff_id, choice)
        return 1

    def _choose(
        self, step: _Step, oncall: OncallGroup, key: _StepKey
    ) -> _Offer | _Everyone | _Nobody | _ReadOn:
        group = _named(oncall)
        roster = self.rosters(step.timer.workspace_id)
        members = roster.members(oncall.group_id)
        if not members:
            return _Everyone(f"{group} has no members")
        away = self._away.get(key, frozenset())  # read inactive by this step already
        passed = step.offered | away
        window = offer_order(members, after=step.last, offered=passed)[:MAX_PRESENCE_READS]
        active = _Presence(roster, frozenset(window))
        chosen = next_member(members, after=step.last, offered=passed, active=active)
        if chosen is not None:
            self._away.pop(key, None)
            left = offer_order(members, after=chosen, offered=step.offered | {chosen})
            return _Offer(chosen, last=not left)
        if offer_order(members, after=step.last, offered=passed | set(window)):
            self._away[key] = away | frozenset(window)  # the cap: the rest at the next read
            return _ReadOn()
        self._away.pop(key, None)
        if step.offered:
            return _Nobody(f"Everyone active in {group} has been offered this one")
        return _Nobody(f"Nobody in {group} is active in Slack right now")

    def _post(self, uow: SqlUnitOfWork, step: _Step, *, text: str, mention: Mention | None) -> None:
        oncall = step.config.oncall
        assert oncall is not None
        uow.outbox.enqueue(
            "card_thread",
            {
                "handoff_id": step.timer.handoff_id,
                "text": text,
                "mention": mention or {"group": oncall.group_id},
                "asks_to_claim": True,  # not posted once the handoff is no longer open
            },
            now=self.clock(),
            handoff_id=step.timer.handoff_id,
            workspace_id=step.timer.workspace_id,
        )

    def _rearm(self, step: _Step, now: datetime, *, due_at: datetime) -> int:
        """No post: the step is due again at `due_at` (finished and re-armed in one
        transaction, so one sweeper does it); a handoff no longer open ends it, skipped."""
        with SqlUnitOfWork(self.sessions) as uow:
            fired = uow.desk.fire_timer(step.timer.id, now=now, due_at=step.timer.due_at)
            if fired == "fired":
                uow.desk.rearm_timer(step.timer.id, due_at=due_at)
            uow.commit()
        self._resting.pop(step.timer.id, None)
        return 1 if fired == "skipped" else 0

    def _end(self, timer: DueTimer, now: datetime) -> int:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.skip_timer(timer.id, now=now, due_at=timer.due_at)
            uow.commit()
        self._resting.pop(timer.id, None)
        return 1


def wait_for_install(
    uow: SqlUnitOfWork, timer: DueTimer, *, now: datetime, due_at: datetime | None = None
) -> None:
    """The timer of a workspace the app is not installed in is due again `WAIT_FOR_INSTALL`
    from now, nothing done (finished and re-armed in the caller's transaction, so one sweeper
    does it); a handoff no longer open ends it, skipped."""
    if uow.desk.fire_timer(timer.id, now=now, due_at=due_at) == "fired":
        uow.desk.rearm_timer(timer.id, due_at=now + WAIT_FOR_INSTALL)
        log.debug(
            "handoff %s: %s waits for the app in %s",
            timer.handoff_id,
            timer.kind,
            timer.workspace_id,
        )


def offer_text(oncall: OncallGroup, config: DeskConfig, *, last: bool = False) -> str:
    """The offer, after the member's mention (`last`: nobody else in the group is left to
    offer it to, so the next step calls the whole group)."""
    counted = " of business hours" if config.week is not None else ""
    then = (
        f"the whole of {_named(oncall)} is called"
        if last
        else f"it passes to the next active member of {_named(oncall)} (or, if nobody else is "
        "active, the whole group is called)"
    )
    return (
        ":raising_hand: You're next on call for this one: press *Claim* on the card to take it. "
        f"If it is not claimed within {describe_duration(offer_wait(config))}{counted}, {then}."
    )


def everyone_text(oncall: OncallGroup, why: str) -> str:
    """The group's call when nobody is left to offer it to, after the group's mention."""
    return f":rotating_light: {why}: can anyone take this one? Press *Claim* on the card."


def _named(oncall: OncallGroup) -> str:
    return f"@{oncall.handle}" if oncall.handle else "the on-call group"

"""Round robin's offers: each new handoff is offered, in its card's thread, to the next member
of the on-call group who is active; unclaimed after the wait, to the next one not offered it
yet; when nobody active is left, the whole group is mentioned once and the chain stops.

One `oncall_offer` timer row per handoff carries the chain (written with the handoff, due at
once). A step reads the due rows, asks the platform who is in the group and who is active
outside any transaction (a slow Slack must not hold rows or connections), then in one
transaction finishes the timer (compare-and-set from pending: one step per sweep however many
processes sweep), moves the group's "offered last" pointer (compare-and-set too: two handoffs
stepped at once never pick by the same pointer), records the offer, queues the post and
re-arms the timer for the next step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.oncall import Mention, OncallRoster, RosterUnavailable, offer_wait
from bot.desk.targets import describe_duration
from db.desk import OFFER_TIMER, DeskConfig, DueTimer, OncallGroup
from db.uow import SqlUnitOfWork
from escalation.oncall import offer_order

log = logging.getLogger(__name__)

# The platform's answers failed for a moment: ask again after this, and after this long past
# the step's due time mention the whole group rather than keep the customer waiting on Slack.
RETRY_READS = timedelta(seconds=30)
GIVE_UP_READS = timedelta(minutes=5)
# At most this many people's presence is asked in one step (Slack allows about 50 a minute):
# past them the group is mentioned instead.
MAX_PRESENCE_READS = 40


@dataclass(frozen=True, slots=True)
class _Step:
    timer: DueTimer
    config: DeskConfig
    offered: frozenset[str]
    last: str | None


@dataclass(frozen=True, slots=True)
class _Offer:
    user_id: str


@dataclass(frozen=True, slots=True)
class _Everyone:
    """Nobody to offer it to: mention the whole group (why, for the post)."""

    why: str


class OncallOffers:
    """Makes the due round robin steps; `work_once` is called by the timers' sweep."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        roster: OncallRoster,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.roster = roster
        self.clock = clock
        self._resting: dict[int, datetime] = {}  # timer id -> ask the platform again then

    def work_once(self) -> int:
        """The due steps made (or ended); a step waiting on the platform counts as none."""
        now = self.clock()
        self._resting = {t: until for t, until in self._resting.items() if until > now}
        with SqlUnitOfWork(self.sessions) as uow:  # rolled back: the rows are only read
            steps = [
                _Step(
                    timer,
                    uow.desk.config(timer.workspace_id),
                    uow.desk.offered(timer.handoff_id),
                    uow.desk.last_offered(timer.workspace_id),
                )
                for timer in uow.desk.due_timers(now=now, kinds=(OFFER_TIMER,))
                if self._resting.get(timer.id, now) <= now
            ]
        # Each offer moves its group's pointer: the later steps of this sweep go by the moved
        # one (the pointer read with them is stale by then).
        pointers = {step.timer.workspace_id: step.last for step in steps}
        made = 0
        for step in steps:
            made += self._step(replace(step, last=pointers[step.timer.workspace_id]), now, pointers)
        return made

    def _step(self, step: _Step, now: datetime, pointers: dict[str, str | None]) -> int:
        oncall = step.config.oncall
        if step.timer.handoff_status != "open" or oncall is None or not oncall.round_robin:
            return self._end(step.timer, now)  # claimed, closed, or round robin turned off
        try:
            choice = self._choose(step, oncall)
        except RosterUnavailable as failure:
            if failure.transient and now - step.timer.due_at < GIVE_UP_READS:
                log.warning(
                    "on-call offer for handoff %s waits: %s", step.timer.handoff_id, failure
                )
                self._resting[step.timer.id] = now + RETRY_READS
                return 0
            log.warning("on-call group %s unreadable: %s", oncall.group_id, failure)
            choice = _Everyone(f"I couldn't read who is in {_named(oncall)} ({failure.reason})")
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
                    text=offer_text(oncall, step.config),
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

    def _choose(self, step: _Step, oncall: OncallGroup) -> _Offer | _Everyone:
        group = _named(oncall)
        members = self.roster.members(oncall.group_id)
        if not members:
            return _Everyone(f"{group} has no members")
        order = offer_order(members, after=step.last, offered=step.offered)
        for user_id in order[:MAX_PRESENCE_READS]:
            if self.roster.is_active(user_id):
                return _Offer(user_id)
        if step.offered:
            return _Everyone(f"Everyone active in {group} has been offered this one")
        return _Everyone(f"Nobody in {group} is active in Slack right now")

    def _post(self, uow: SqlUnitOfWork, step: _Step, *, text: str, mention: Mention | None) -> None:
        oncall = step.config.oncall
        assert oncall is not None
        uow.outbox.enqueue(
            "card_thread",
            {
                "handoff_id": step.timer.handoff_id,
                "text": text,
                "mention": mention or {"group": oncall.group_id},
            },
            now=self.clock(),
            handoff_id=step.timer.handoff_id,
        )

    def _end(self, timer: DueTimer, now: datetime) -> int:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.skip_timer(timer.id, now=now, due_at=timer.due_at)
            uow.commit()
        self._resting.pop(timer.id, None)
        return 1


def offer_text(oncall: OncallGroup, config: DeskConfig) -> str:
    """The offer, after the member's mention."""
    counted = " of business hours" if config.week is not None else ""
    return (
        ":raising_hand: You're next on call for this one: press *Claim* on the card to take it. "
        f"If it is not claimed within {describe_duration(offer_wait(config))}{counted}, it "
        f"passes to the next active member of {_named(oncall)}."
    )


def everyone_text(oncall: OncallGroup, why: str) -> str:
    """The group's call when nobody is left to offer it to, after the group's mention."""
    return f":rotating_light: {why}: can anyone take this one? Press *Claim* on the card."


def _named(oncall: OncallGroup) -> str:
    return f"@{oncall.handle}" if oncall.handle else "the on-call group"

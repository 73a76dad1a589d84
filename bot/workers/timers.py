"""The handoff timers: a card still unclaimed at the workspace's target gets one reminder in
its thread; at twice the target the admins are told once.

Timers are rows (`handoff_timers`), written with the handoff in the turn's transaction and
swept here: each due row is finished (compare-and-set from pending) in the same transaction
as the outbox row it posts, so a crash posts nothing twice and loses nothing, several
processes share the work (FOR UPDATE SKIP LOCKED on PostgreSQL), and a timer that fell due
while no process ran fires at the next start.

A workspace the app is not installed in (uninstalled) gets nothing queued: its due timers wait
(`offers.WAIT_FOR_INSTALL` at a time) and, if the handoff is still open once the app is
installed again, fire then, late, rather than being lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.oncall import OncallRoster, group_mention
from bot.desk.targets import describe_duration
from bot.workers.loop import Worker, worker_name
from bot.workers.offers import OncallOffers, wait_for_install
from db.desk import DeskConfig, DueTimer
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


class HandoffTimers(Worker):
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        interval: float = 1.0,
        on_output: Callable[[], None] | None = None,
        roster: OncallRoster | None = None,
        rosters: Callable[[str], OncallRoster] | None = None,
        installed: Callable[[str], bool] | None = None,
    ) -> None:
        """`roster`: who is in an on-call group and active, for round robin's offers (None:
        no round robin here); `rosters` instead: each workspace's own. `installed`: whether
        the app is installed in a workspace, without a Slack call (None: in every one)."""
        super().__init__(name=worker_name("timers"), interval=interval)
        self.sessions = sessions
        self.clock = clock
        self.on_output = on_output
        self.installed = installed
        if rosters is None and roster is not None:
            rosters = _same(roster)
        self.offers = (
            None
            if rosters is None
            else OncallOffers(sessions=sessions, rosters=rosters, clock=clock, installed=installed)
        )

    def work_once(self) -> int:
        if self.stopping:
            return 0
        now = self.clock()
        installed = None
        if self.installed is not None:
            with SqlUnitOfWork(self.sessions) as uow:  # only looked at (committed, as below)
                looked = uow.desk.due_timers(now=now)
                uow.commit()
            # asked between the two transactions: `installed` may read the database, which on
            # SQLite waits for an open transaction's lock
            installed = {t.workspace_id: self.installed(t.workspace_id) for t in looked}
        due, posted = self._fire(now, installed) if installed != {} else (0, 0)
        offered = 0 if self.offers is None or self.stopping else self.offers.work_once()
        if posted:
            log.info("timers: %s reminder(s) or notice(s) queued", posted)
        if (posted or offered) and self.on_output is not None:
            self.on_output()
        return due + offered

    def _fire(self, now: datetime, installed: dict[str, bool] | None) -> tuple[int, int]:
        """The due timers fired (`installed`: of the workspaces looked at; None: all are):
        how many were due, and how many posts were queued."""
        posted = 0
        with SqlUnitOfWork(self.sessions) as uow:
            due = uow.desk.due_timers(now=now)
            for timer in due:
                if installed is not None and not installed.get(timer.workspace_id, False):
                    if timer.workspace_id in installed:  # uninstalled: waits for a reinstall
                        wait_for_install(uow, timer, now=now)
                    continue  # else due a moment ago, out of sight: the next sweep's
                # fired only if the handoff is open at this statement (a claim committed since
                # the read above finishes the timer as skipped); else nothing is posted
                if uow.desk.fire_timer(timer.id, now=now) != "fired":
                    continue
                config = uow.desk.config(timer.workspace_id)
                if timer.kind == "claim_reminder":
                    uow.outbox.enqueue(
                        "card_thread",
                        {
                            "handoff_id": timer.handoff_id,
                            "text": reminder_text(timer, config),
                            "mention": group_mention(config),
                            "asks_to_claim": True,  # not posted once the handoff is not open
                        },
                        now=now,
                        handoff_id=timer.handoff_id,
                        workspace_id=timer.workspace_id,
                    )
                else:
                    uow.outbox.enqueue(
                        "admin_notice",
                        {"workspace_id": timer.workspace_id, "text": overdue_text(timer, config)},
                        now=now,
                        workspace_id=timer.workspace_id,
                    )
                posted += 1
            uow.commit()
        return len(due), posted


def _waited(timer: DueTimer, config: DeskConfig) -> str:
    target = config.claim_target
    if target is None:  # the target was turned off after the handoff: say what was due
        return "its response target"
    factor = 1 if timer.kind == "claim_reminder" else 2
    counted = " of business hours" if config.week is not None else ""
    return f"{describe_duration(target * factor)}{counted}"


def reminder_text(timer: DueTimer, config: DeskConfig) -> str:
    """The reminder (after the on-call group's mention, which the post carries apart)."""
    return (
        f":alarm_clock: Still unclaimed after {_waited(timer, config)} (the time-to-claim "
        "target): can someone take it? Press *Claim* on the card."
    )


def overdue_text(timer: DueTimer, config: DeskConfig) -> str:
    where = " (its card is in the handoff channel)" if timer.card_channel else ""
    return (
        f"Handoff #{timer.handoff_id}{where} is still unclaimed after {_waited(timer, config)}, "
        "twice the time-to-claim target: the customer is waiting for a person."
    )


def _same(roster: OncallRoster) -> Callable[[str], OncallRoster]:
    """One roster for every workspace (one token serves them all)."""
    return lambda _workspace_id: roster

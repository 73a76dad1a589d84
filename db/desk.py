"""The desk's response target, business hours and the handoff timers the workers sweep.

Every method takes `now` from the caller (no clock in here). Commits belong to the unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, case, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Conversation, DeskSettings, HandoffOffer, HandoffRow, HandoffTimer
from db.repositories import as_utc
from escalation.hours import (
    BusinessHours,
    HoursError,
    OpenRange,
    add_business_time,
    next_opening,
)
from escalation.weekly import moved_to_zone

log = logging.getLogger(__name__)

TimerKind = Literal["claim_reminder", "claim_overdue", "oncall_offer"]
# The reminder at the target, the admins' notice at twice it.
TIMER_FACTORS: dict[TimerKind, int] = {"claim_reminder": 1, "claim_overdue": 2}
# Round robin's next step: due when the handoff opens, then re-armed after each offer.
OFFER_TIMER: TimerKind = "oncall_offer"
CLAIM_TIMERS: tuple[TimerKind, ...] = tuple(TIMER_FACTORS)


@dataclass(frozen=True, slots=True)
class OncallGroup:
    """The Slack user group cards and reminders mention (`<!subteam^ID>`); with round robin
    each new handoff is offered to its next active member instead."""

    group_id: str
    handle: str
    round_robin: bool = False


@dataclass(frozen=True, slots=True)
class DeskConfig:
    """A workspace's time-to-claim target (None: off), business hours (None: always in) and
    holidays (dates it is closed; they apply once there are hours)."""

    workspace_id: str
    claim_target: timedelta | None = None
    week: BusinessHours | None = None
    holidays: frozenset[date] = frozenset()
    oncall: OncallGroup | None = None
    agent_names: bool = True
    report_channel: str | None = None

    @property
    def hours(self) -> BusinessHours | None:
        """The week with the holidays in it, or None when no hours are set."""
        if self.week is None:
            return None
        return BusinessHours(self.week.ranges, self.week.zone, self.holidays)

    def due(self, start: datetime, span: timedelta) -> datetime:
        """When `span` of the team's time has passed since `start` (business time if set)."""
        hours = self.hours
        return start + span if hours is None else add_business_time(hours, start, span)

    def opening(self, at: datetime) -> datetime:
        """`at` itself while the team is in (or when no hours are set), else the next opening."""
        hours = self.hours
        try:
            return at if hours is None else next_opening(hours, at)
        except HoursError:  # hours never open: nothing to wait for
            return at


@dataclass(frozen=True, slots=True)
class DueReport:
    """A workspace whose weekly report is due (`retry`: the one retry of a failed report)."""

    workspace_id: str
    retry: bool = False


@dataclass(frozen=True, slots=True)
class StartedReport:
    """A weekly report claimed at `started_at` whose outcome was never recorded."""

    workspace_id: str
    channel: str | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class DueTimer:
    id: int
    handoff_id: int
    workspace_id: str
    kind: TimerKind
    due_at: datetime
    handoff_status: str
    handoff_created_at: datetime
    card_channel: str | None


class SqlDesk:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- settings --------------------------------------------------------------------------

    def config(self, workspace_id: str) -> DeskConfig:
        row = self.session.get(DeskSettings, workspace_id, populate_existing=True)
        if row is None:
            return DeskConfig(workspace_id)
        return DeskConfig(
            workspace_id=workspace_id,
            claim_target=None
            if row.claim_target_seconds is None
            else timedelta(seconds=row.claim_target_seconds),
            week=None if row.hours is None else _usable_week(workspace_id, row.hours),
            holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
            oncall=None
            if row.oncall_group_id is None
            else OncallGroup(
                row.oncall_group_id, row.oncall_group_handle or "", bool(row.oncall_round_robin)
            ),
            agent_names=bool(row.agent_names),
            report_channel=row.report_channel,
        )

    # Each command changes only its own columns, in one statement or (read-modify-write) with
    # the row locked: a whole DeskConfig written back from an earlier read would undo what
    # another admin set meanwhile, and erase hours this host cannot read (its `week` is None).

    def set_claim_target(
        self, workspace_id: str, target: timedelta | None, *, now: datetime
    ) -> None:
        seconds = None if target is None else int(target.total_seconds())
        self._update(workspace_id, now=now, claim_target_seconds=seconds)

    def set_agent_names(self, workspace_id: str, named: bool, *, now: datetime) -> None:
        self._update(workspace_id, now=now, agent_names=named)

    def set_hours(self, workspace_id: str, week: BusinessHours | None, *, now: datetime) -> None:
        """The business hours (None: off); a weekly report keeps to Monday 09:00 on the team's
        new clock, moved from its due time read with the row locked (a sweeper's claim of the
        report is either seen here or waits for this transaction, never overwritten)."""
        row = self._locked_row(workspace_id, now=now)
        zone_before = str((row.hours or {}).get("zone") or "UTC")
        zone = "UTC" if week is None else week.zone
        values: dict[str, Any] = {"hours": None if week is None else _week_to_doc(week)}
        if row.report_due_at is not None and zone != zone_before:
            values["report_due_at"] = moved_to_zone(as_utc(row.report_due_at), zone, now=now)
        self._update(workspace_id, now=now, **values)

    def change_holidays(
        self,
        workspace_id: str,
        *,
        add: frozenset[date] = frozenset(),
        remove: frozenset[date] = frozenset(),
        now: datetime,
    ) -> frozenset[date]:
        """Add and remove holidays against the stored list read with the row locked (two
        admins' changes at once both land); the holidays now."""
        row = self._locked_row(workspace_id, now=now)
        holidays = (frozenset(date.fromisoformat(d) for d in row.holidays) | add) - remove
        self._update(workspace_id, now=now, holidays=sorted(d.isoformat() for d in holidays))
        return holidays

    def set_oncall(self, workspace_id: str, oncall: OncallGroup | None, *, now: datetime) -> None:
        """The on-call group (None: none); a different group than the stored one (read with
        the row locked) starts round robin at its first member."""
        row = self._locked_row(workspace_id, now=now)
        values: dict[str, Any] = {
            "oncall_group_id": None if oncall is None else oncall.group_id,
            "oncall_group_handle": None if oncall is None else oncall.handle,
            "oncall_round_robin": oncall is not None and oncall.round_robin,
        }
        if row.oncall_group_id != values["oncall_group_id"]:
            values["oncall_last_offered"] = None
        self._update(workspace_id, now=now, **values)

    def _create_row(self, workspace_id: str, *, now: datetime) -> None:
        """The workspace's settings row, inserted unless it exists: two first-ever settings
        of one workspace at once both succeed (INSERT ... ON CONFLICT DO NOTHING)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert(DeskSettings)
            .values(workspace_id=workspace_id, holidays=[], updated_at=now)
            .on_conflict_do_nothing(index_elements=[DeskSettings.workspace_id])
        )

    def _locked_row(self, workspace_id: str, *, now: datetime) -> DeskSettings:
        """The row, created if missing, locked until the transaction ends (FOR UPDATE on
        PostgreSQL, which waits for and then reads another writer's commit; SQLite's
        transactions are BEGIN IMMEDIATE: one writer at a time)."""
        self._create_row(workspace_id, now=now)
        return self.session.scalars(
            select(DeskSettings)
            .where(DeskSettings.workspace_id == workspace_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()

    def _update(self, workspace_id: str, *, now: datetime, **values: Any) -> None:
        """Only these columns (and updated_at), in one statement; the row created if missing."""
        self._create_row(workspace_id, now=now)
        self.session.execute(
            update(DeskSettings)
            .where(DeskSettings.workspace_id == workspace_id)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )

    # --- timers ----------------------------------------------------------------------------

    def schedule(
        self, handoff_id: int, config: DeskConfig, *, created_at: datetime, now: datetime
    ) -> None:
        """The handoff's reminder and overdue notice, due after the target (and twice it) of
        the team's time (none when no target is set); with round robin, its first offer, due
        at once in business hours, else at the next opening (the workers make it: it needs
        the platform's answers, and the card posted)."""
        if config.oncall is not None and config.oncall.round_robin:
            self.session.add(
                HandoffTimer(
                    handoff_id=handoff_id,
                    workspace_id=config.workspace_id,
                    kind=OFFER_TIMER,
                    due_at=config.opening(created_at),
                    status="pending",
                    created_at=now,
                )
            )
        target = config.claim_target
        if target is None:
            self.session.flush()
            return
        for kind, factor in TIMER_FACTORS.items():
            self.session.add(
                HandoffTimer(
                    handoff_id=handoff_id,
                    workspace_id=config.workspace_id,
                    kind=kind,
                    due_at=config.due(created_at, target * factor),
                    status="pending",
                    created_at=now,
                )
            )
        self.session.flush()

    def due_timers(
        self, *, now: datetime, limit: int = 20, kinds: Sequence[TimerKind] = CLAIM_TIMERS
    ) -> list[DueTimer]:
        """Pending timers of `kinds` due by `now`, oldest first; on PostgreSQL each is locked
        until the transaction ends and skipped by other workers (FOR UPDATE SKIP LOCKED).
        Round robin's step of an open handoff whose card is not posted yet (held: no channel,
        or the bot not in it) is not due: there is no thread to offer it in."""
        rows = self.session.execute(
            select(HandoffTimer, HandoffRow.status, HandoffRow.created_at, HandoffRow.card_channel)
            .join(HandoffRow, HandoffRow.id == HandoffTimer.handoff_id)
            .where(
                HandoffTimer.status == "pending",
                HandoffTimer.due_at <= now,
                HandoffTimer.kind.in_(kinds),
                or_(
                    HandoffTimer.kind != OFFER_TIMER,
                    HandoffRow.card_ts.is_not(None),
                    HandoffRow.status != "open",
                ),
            )
            .order_by(HandoffTimer.due_at, HandoffTimer.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=HandoffTimer)
        ).all()
        return [
            DueTimer(
                id=timer.id,
                handoff_id=timer.handoff_id,
                workspace_id=timer.workspace_id,
                kind=cast(TimerKind, timer.kind),
                due_at=as_utc(timer.due_at),
                handoff_status=status,
                handoff_created_at=as_utc(created_at),
                card_channel=card_channel,
            )
            for timer, status, created_at, card_channel in rows
        ]

    def fire_timer(
        self, timer_id: int, *, now: datetime, due_at: datetime | None = None
    ) -> Literal["fired", "skipped", "taken"]:
        """Compare-and-set from pending to fired, only while its handoff is open, checked in
        the same statement (EXISTS, the handoff row share-locked on PostgreSQL: a claim
        committed since the sweep read the timer is seen, and one in flight is waited for);
        `fired` only then: the caller posts. A timer whose handoff is no longer open is
        finished as `skipped`; `taken`: another sweeper finished it (or it was re-armed)."""
        still_open = exists(
            select(HandoffRow.id)
            .where(HandoffRow.id == HandoffTimer.handoff_id, HandoffRow.status == "open")
            .with_for_update(read=True)
        )
        done = self.session.execute(
            update(HandoffTimer)
            .where(*_pending(timer_id, due_at), still_open)
            .values(status="fired", fired_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            return "fired"
        return "skipped" if self.skip_timer(timer_id, now=now, due_at=due_at) else "taken"

    def skip_timer(self, timer_id: int, *, now: datetime, due_at: datetime | None = None) -> bool:
        """Compare-and-set from pending to skipped (nothing posted): only one sweeper finishes
        a timer. `due_at`: only if it is still due then (a timer re-armed meanwhile is pending
        again, for a later step, and must not be finished for this one)."""
        done = self.session.execute(
            update(HandoffTimer)
            .where(*_pending(timer_id, due_at))
            .values(status="skipped", fired_at=None)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def rearm_timer(self, timer_id: int, *, due_at: datetime) -> None:
        """Pending again, due at `due_at`: for the caller that has just finished it (the CAS
        of `fire_timer`, in this transaction), so no other sweeper can have it meanwhile."""
        self.session.execute(
            update(HandoffTimer)
            .where(HandoffTimer.id == timer_id)
            .values(status="pending", due_at=due_at.astimezone(UTC))
            .execution_options(synchronize_session=False)
        )

    def timers(self, handoff_id: int) -> dict[str, str]:
        rows = self.session.execute(
            select(HandoffTimer.kind, HandoffTimer.status).where(
                HandoffTimer.handoff_id == handoff_id
            )
        ).all()
        return {str(kind): str(status) for kind, status in rows}

    # --- round robin ---------------------------------------------------------------------

    def last_offered(self, workspace_id: str) -> str | None:
        """The on-call member round robin offered a handoff to last (None: nobody yet)."""
        return self.session.scalar(
            select(DeskSettings.oncall_last_offered).where(
                DeskSettings.workspace_id == workspace_id
            )
        )

    def move_last_offered(self, workspace_id: str, *, expected: str | None, to: str) -> bool:
        """Compare-and-set: `to` becomes the member offered last only if it is still
        `expected`; False when another sweeper moved it first (its choice went by the old one)."""
        match = (
            DeskSettings.oncall_last_offered.is_(None)
            if expected is None
            else DeskSettings.oncall_last_offered == expected
        )
        moved = self.session.execute(
            update(DeskSettings)
            .where(DeskSettings.workspace_id == workspace_id, match)
            .values(oncall_last_offered=to)
            .execution_options(synchronize_session=False)
        )
        return moved.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def forget_last_offered(self, workspace_id: str) -> None:
        """A new group (or none): round robin starts at its first member."""
        self.session.execute(
            update(DeskSettings)
            .where(DeskSettings.workspace_id == workspace_id)
            .values(oncall_last_offered=None)
            .execution_options(synchronize_session=False)
        )

    def offered(self, handoff_id: int) -> frozenset[str]:
        """The members this handoff has been offered to."""
        return frozenset(
            self.session.scalars(
                select(HandoffOffer.user_id).where(HandoffOffer.handoff_id == handoff_id)
            )
        )

    def offers(self, handoff_id: int) -> list[str]:
        """The members this handoff was offered to, in order."""
        return list(
            self.session.scalars(
                select(HandoffOffer.user_id)
                .where(HandoffOffer.handoff_id == handoff_id)
                .order_by(HandoffOffer.offered_at, HandoffOffer.id)
            )
        )

    def record_offer(self, handoff_id: int, user_id: str, *, now: datetime) -> None:
        self.session.add(HandoffOffer(handoff_id=handoff_id, user_id=user_id, offered_at=now))
        self.session.flush()

    # --- the queue and the measures --------------------------------------------------------

    def waiting(self, workspace_id: str) -> int:
        """Open handoffs nobody has claimed yet in the workspace."""
        count = self.session.scalar(
            select(func.count())
            .select_from(HandoffRow)
            .join(Conversation, Conversation.id == HandoffRow.conversation_id)
            .where(Conversation.workspace_id == workspace_id, HandoffRow.status == "open")
        )
        return int(count or 0)

    def first_reply(self, handoff_id: int, *, now: datetime) -> None:
        """Keep when an agent first answered the customer (later replies change nothing)."""
        self.session.execute(
            update(HandoffRow)
            .where(HandoffRow.id == handoff_id, HandoffRow.first_reply_at.is_(None))
            .values(first_reply_at=now)
            .execution_options(synchronize_session=False)
        )

    # --- the weekly report -----------------------------------------------------------------

    def schedule_report(
        self, workspace_id: str, *, channel: str | None, due_at: datetime | None, now: datetime
    ) -> None:
        """Post the weekly report in `channel`, next at `due_at` (None and None: no report,
        and a retry still pending is dropped). A channel set again keeps a report already due
        and a retry still pending (they go to the channel set now): none is lost."""
        self._create_row(workspace_id, now=now)  # another first setting at once: no PK failure
        row = self.session.get(DeskSettings, workspace_id)
        values: dict[str, Any] = {"report_channel": channel, "updated_at": now}
        if channel is None or due_at is None:
            values.update(report_due_at=due_at, report_retry_at=None)
        else:  # in the statement, so a sweeper's claim committed meanwhile is what it sees
            values["report_due_at"] = case(
                (DeskSettings.report_due_at <= now, DeskSettings.report_due_at), else_=due_at
            )
        self.session.execute(
            update(DeskSettings)
            .where(DeskSettings.workspace_id == workspace_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if row is not None:
            self.session.expire(row)

    def report_due_at(self, workspace_id: str) -> datetime | None:
        due = self.session.scalar(
            select(DeskSettings.report_due_at).where(DeskSettings.workspace_id == workspace_id)
        )
        return None if due is None else as_utc(due)

    def due_reports(self, *, now: datetime, limit: int = 20) -> list[DueReport]:
        """Workspaces whose weekly report (or its one retry) is due by `now`; on PostgreSQL
        each row is locked until the transaction ends and skipped by other workers."""
        rows = self.session.execute(
            select(DeskSettings.workspace_id, DeskSettings.report_due_at)
            .where(
                DeskSettings.report_channel.is_not(None),
                or_(DeskSettings.report_due_at <= now, DeskSettings.report_retry_at <= now),
            )
            .order_by(DeskSettings.workspace_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [
            DueReport(workspace_id, retry=due_at is None or as_utc(due_at) > now)
            for workspace_id, due_at in rows
        ]

    def claim_report(self, workspace_id: str, *, now: datetime, next_due: datetime) -> str | None:
        """Compare-and-set: the report due by `now` is next due at `next_due` (after `now`, so
        a report missed for weeks is made once); the channel to post in for the one sweeper
        that moved it, None for any other. It replaces a retry still pending."""
        return self._claim(
            workspace_id,
            DeskSettings.report_due_at <= now,
            report_due_at=next_due,
            report_retry_at=None,
            report_started_at=now,
        )

    def claim_report_retry(self, workspace_id: str, *, now: datetime) -> str | None:
        """Compare-and-set: the retry due by `now` is taken (and never made again)."""
        return self._claim(
            workspace_id,
            DeskSettings.report_retry_at <= now,
            report_retry_at=None,
            report_started_at=now,
        )

    def _claim(self, workspace_id: str, due: ColumnElement[bool], **values: Any) -> str | None:
        done = self.session.execute(
            update(DeskSettings)
            .where(
                DeskSettings.workspace_id == workspace_id,
                DeskSettings.report_channel.is_not(None),
                due,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.session.scalar(
            select(DeskSettings.report_channel).where(DeskSettings.workspace_id == workspace_id)
        )

    def report_done(self, workspace_id: str, *, started_at: datetime) -> bool:
        """The outcome of the report claimed at `started_at` is known (shared, or failed and
        handled): compare-and-set, False when it was finished already (a sweep took it as
        unconfirmed)."""
        done = self.session.execute(
            update(DeskSettings)
            .where(
                DeskSettings.workspace_id == workspace_id,
                DeskSettings.report_started_at == started_at,
            )
            .values(report_started_at=None)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def unconfirmed_reports(
        self, *, started_before: datetime, limit: int = 20
    ) -> list[StartedReport]:
        """Reports claimed before `started_before` whose outcome was never recorded (the
        process making them died); on PostgreSQL each row is locked and skipped by others."""
        rows = self.session.execute(
            select(
                DeskSettings.workspace_id,
                DeskSettings.report_channel,
                DeskSettings.report_started_at,
            )
            .where(DeskSettings.report_started_at <= started_before)
            .order_by(DeskSettings.workspace_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [StartedReport(w, c, as_utc(s)) for w, c, s in rows if s is not None]

    def retry_report(self, workspace_id: str, *, at: datetime) -> None:
        """The report that failed is tried once more at `at` (unless the report is off)."""
        self.session.execute(
            update(DeskSettings)
            .where(
                DeskSettings.workspace_id == workspace_id,
                DeskSettings.report_channel.is_not(None),
            )
            .values(report_retry_at=at)
            .execution_options(synchronize_session=False)
        )


def _pending(timer_id: int, due_at: datetime | None) -> list[ColumnElement[bool]]:
    match = [HandoffTimer.id == timer_id, HandoffTimer.status == "pending"]
    if due_at is not None:
        match.append(HandoffTimer.due_at == due_at)
    return match


def _week_to_doc(week: BusinessHours) -> dict[str, Any]:
    return {
        "zone": week.zone,
        "ranges": [
            {
                "days": sorted(r.days),
                "start": r.start.strftime("%H:%M"),
                "end": None if r.end is None else r.end.strftime("%H:%M"),
            }
            for r in week.ranges
        ],
    }


def _usable_week(workspace_id: str, doc: dict[str, Any]) -> BusinessHours | None:
    """The stored hours, or None (the team counts as always in) when they cannot be used
    here: a zone this host's tz database does not know, no ranges, a damaged document. A
    turn or a timer sweep must never fail on them: the card is posted, reminders come on
    wall time, and the log says why."""
    try:
        week = _week_from_doc(doc)
        _ = week.tz  # loads the zone now, not in the middle of a customer's turn
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as error:
        log.warning("workspace %s: stored business hours unusable (%r)", workspace_id, error)
        return None
    return week if week.ranges else None


def _week_from_doc(doc: dict[str, Any]) -> BusinessHours:
    ranges: Sequence[dict[str, Any]] = doc.get("ranges") or []
    return BusinessHours(
        tuple(
            OpenRange(
                frozenset(int(d) for d in r["days"]),
                time.fromisoformat(r["start"]),
                None if r.get("end") is None else time.fromisoformat(r["end"]),
            )
            for r in ranges
        ),
        str(doc["zone"]),
    )

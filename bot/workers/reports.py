"""The weekly report: every Monday at 09:00 (on the wall clock of the workspace's business
hours, else UTC) the chart of the last seven days and its figures are shared in the channel an
admin set with `/escalation report channel #channel`.

When it is due (`desk_settings.report_due_at`) one sweeper claims it, whatever the number of
processes: the claim moves the due time to the next Monday 09:00 after now (compare-and-set,
FOR UPDATE SKIP LOCKED on PostgreSQL) and commits before anything is drawn or uploaded, so no
transaction stays open while Slack is called, and a report missed while no process ran is
made once at the next start, not once per missed week.

A report is shared at most once. One that failed before Slack could have shared it, for a
reason that may pass by itself (a 5xx or a rate limit before the share, the network, the
database while its figures were read), is tried once more `RETRY_AFTER` later
(`report_retry_at`); if that fails too, the admins are told. One that Slack may have shared (a
5xx or a lost answer to the share itself) is never tried again, and one refused for a reason
only an admin can fix (the channel gone, the bot not in it, files:write missing) is not
retried: the admins are told at once, through the outbox (`admin_notice`), once. The next
week's report is scheduled either way (the claim moved it).

The claim also records when the report was started (`report_started_at`), cleared once its
outcome is known (shared, or failed and handled as above). A process that dies between the
claim and that outcome leaves the start behind: a sweep that finds one older than
`CONFIRM_WITHIN` tells the admins once that this report could not be confirmed and how to get
it (`/escalation report 7`), and does not make it again (it may have been shared: one missing
beats two).

In a workspace the app is not installed in (uninstalled), a report due is claimed as above (the
next one is scheduled) and not made: nothing is read, drawn, uploaded or told, and it is not
made late when the app is installed again; the next Monday's is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.report import ChartNotShared, ChartUploader, Report, Reports, draw, report_zone
from bot.workers.loop import Worker, worker_name
from db.uow import SqlUnitOfWork
from escalation.weekly import next_weekly_report

log = logging.getLogger(__name__)

WEEK = 7  # days a weekly report covers, back from the moment it is made
RETRY_AFTER = timedelta(minutes=15)
# A report started longer ago than this without an outcome: its process died making it.
CONFIRM_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Claimed:
    workspace_id: str
    channel: str
    zone: str
    retry: bool
    started_at: datetime


class WeeklyReports(Worker):
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        uploader: ChartUploader | None = None,
        clock: Callable[[], datetime],
        uploaders: Callable[[str], ChartUploader] | None = None,
        interval: float = 1.0,
        on_output: Callable[[], None] | None = None,
        draw: Callable[[Report], bytes] = draw,
        installed: Callable[[str], bool] | None = None,
    ) -> None:
        """`installed`: whether the app is installed in a workspace, without a Slack call
        (None: in every one)."""
        super().__init__(name=worker_name("reports"), interval=interval)
        self.sessions = sessions
        self.reports = Reports(sessions=sessions, clock=clock)
        if uploaders is None:
            if uploader is None:
                raise TypeError("WeeklyReports needs an uploader or uploaders")
            uploaders = _same(uploader)
        self.uploaders = uploaders
        self.clock = clock
        self.on_output = on_output  # new rows in the outbox (the admins' notice)
        self.draw = draw
        self.installed = installed or (lambda _workspace_id: True)

    def work_once(self) -> int:
        if self.stopping:
            return 0
        now = self.clock()
        told = self._tell_unconfirmed(now)
        claimed = []
        with SqlUnitOfWork(self.sessions) as uow:
            # One at a time: a process that dies loses at most the report in its hands, and
            # other processes take the other workspaces' meanwhile.
            due = uow.desk.due_reports(now=now, limit=1)
            for report in due:
                zone = report_zone(uow.desk.config(report.workspace_id))
                if report.retry:
                    channel = uow.desk.claim_report_retry(report.workspace_id, now=now)
                else:
                    channel = uow.desk.claim_report(
                        report.workspace_id, now=now, next_due=next_weekly_report(now, zone)
                    )
                if channel is not None:  # else another sweeper has it
                    claimed.append(
                        Claimed(report.workspace_id, channel, zone, report.retry, started_at=now)
                    )
            uow.commit()
        # Claimed and committed: it is made now, even while stopping (a claim given up here
        # would be a week without a report). Asked here, not in the claim's transaction (a
        # read on another connection would wait for its lock on SQLite).
        for claim in claimed:
            if self.installed(claim.workspace_id):
                self._make(claim)
            else:
                self._pass_by(claim)
        return len(due) + told

    def _tell_unconfirmed(self, now: datetime) -> int:
        """Reports started over `CONFIRM_WITHIN` ago with no outcome: their process died. The
        admins are told once (compare-and-set on the start); nothing is uploaded again."""
        with SqlUnitOfWork(self.sessions) as uow:  # only looked at (committed, as before)
            looked = uow.desk.unconfirmed_reports(started_before=now - CONFIRM_WITHIN)
            uow.commit()
        if not looked:
            return 0
        # asked outside the transaction below (on SQLite a read elsewhere waits for its lock)
        installed = {each.workspace_id: self.installed(each.workspace_id) for each in looked}
        with SqlUnitOfWork(self.sessions) as uow:
            told = 0
            for started in uow.desk.unconfirmed_reports(started_before=now - CONFIRM_WITHIN):
                if started.workspace_id not in installed:
                    continue  # started out of sight a moment ago: the next sweep's
                if not uow.desk.report_done(started.workspace_id, started_at=started.started_at):
                    continue
                if not installed[started.workspace_id]:
                    continue  # uninstalled: nobody there to tell
                zone = report_zone(uow.desk.config(started.workspace_id))
                log.warning(
                    "weekly report of %s started at %s: no outcome recorded; admins told",
                    started.workspace_id,
                    started.started_at.isoformat(),
                )
                uow.outbox.enqueue(
                    "admin_notice",
                    {
                        "workspace_id": started.workspace_id,
                        "text": unconfirmed_text(started.channel, started.started_at, zone),
                    },
                    now=now,
                    workspace_id=started.workspace_id,
                )
                told += 1
            uow.commit()
        if told and self.on_output is not None:
            self.on_output()
        return told

    def _pass_by(self, claim: Claimed) -> None:
        """The report claimed is not made: the app is not installed in its workspace (the
        claim has scheduled the next one)."""
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.report_done(claim.workspace_id, started_at=claim.started_at)
            uow.commit()
        log.info("weekly report of %s not made: the app is not installed there", claim.workspace_id)

    def _make(self, claim: Claimed) -> None:
        try:
            figures = self.reports.week(claim.workspace_id, claim.zone)
        except Exception as error:
            log.exception("weekly report of %s: its figures could not be read", claim.workspace_id)
            why = f"its figures could not be read ({type(error).__name__})"
            self._failed(claim, ChartNotShared(why, retry_may_help=True))
            return
        try:
            png = self.draw(figures)
        except Exception as error:
            log.exception("weekly report of %s: the chart could not be drawn", claim.workspace_id)
            why = f"the chart could not be drawn ({type(error).__name__})"
            self._failed(claim, ChartNotShared(why))
            return
        try:
            self.uploaders(claim.workspace_id).upload(
                channel=claim.channel, png=png, text=figures.text(), days=WEEK
            )
        except ChartNotShared as failure:
            self._failed(claim, failure)
            return
        except Exception as error:  # an uploader's own surprise: it may have shared the chart
            log.exception("weekly report of %s: the upload failed", claim.workspace_id)
            self._failed(claim, ChartNotShared(type(error).__name__, maybe_shared=True))
            return
        log.info("weekly report of %s shared in %s", claim.workspace_id, claim.channel)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.report_done(claim.workspace_id, started_at=claim.started_at)
            uow.commit()

    def _failed(self, claim: Claimed, failure: ChartNotShared) -> None:
        now = self.clock()
        if not failure.maybe_shared and not self.installed(claim.workspace_id):
            self._pass_by(claim)  # uninstalled since the claim (seen by another process first)
            return
        again = failure.retry_may_help and not claim.retry
        log.warning(
            "weekly report of %s in %s not shared%s: %s",
            claim.workspace_id,
            claim.channel,
            f"; tried again at {(now + RETRY_AFTER).isoformat()}" if again else "",
            failure.reason,
        )
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.report_done(claim.workspace_id, started_at=claim.started_at)
            if again:
                uow.desk.retry_report(claim.workspace_id, at=now + RETRY_AFTER)
            else:
                next_due = uow.desk.report_due_at(claim.workspace_id)
                uow.outbox.enqueue(
                    "admin_notice",
                    {
                        "workspace_id": claim.workspace_id,
                        "text": failed_text(claim, failure, next_due=next_due),
                    },
                    now=now,
                    workspace_id=claim.workspace_id,
                )
            uow.commit()
        if not again and self.on_output is not None:
            self.on_output()


def unconfirmed_text(channel: str | None, started_at: datetime, zone: str) -> str:
    """The admins' notice for a report whose process died making it (plain text)."""
    local = started_at.astimezone(ZoneInfo(zone))
    where = f"in its channel ({channel})" if channel else "in its channel"
    return (
        f"The weekly report started on {local:%A %Y-%m-%d} at {local:%H:%M} ({local.tzname()}) "
        f"could not be confirmed {where}: the process making it stopped before Slack answered. "
        "It is not made again, as it may have been posted: look in that channel; if it is not "
        "there, `/escalation report 7` sends you this week's figures and chart."
    )


def failed_text(claim: Claimed, failure: ChartNotShared, *, next_due: datetime | None) -> str:
    """The admins' notice (plain text: the outbox shows it literally, no channel links)."""
    lines = [
        f"The weekly report could not be posted in its channel ({claim.channel}): "
        f"{failure.reason}" + (" (tried twice)." if claim.retry else ".")
    ]
    if failure.maybe_shared:
        lines.append("Slack may have posted it anyway: look in that channel.")
    else:
        lines.append("`/escalation report 7` sends you this week's figures and chart now.")
    if next_due is not None:
        local = next_due.astimezone(ZoneInfo(claim.zone))
        lines.append(
            f"The next one is due on {local:%A %Y-%m-%d} at {local:%H:%M} ({local.tzname()})."
        )
    return " ".join(lines)


def _same(uploader: ChartUploader) -> Callable[[str], ChartUploader]:
    """One uploader for every workspace (one token serves them all)."""
    return lambda _workspace_id: uploader

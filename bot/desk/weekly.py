"""`/escalation report channel #channel` and `/escalation report channel off`: where the weekly
report goes (the caller checks the admin and reads the channel), and when it comes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.report import report_zone
from db.uow import SqlUnitOfWork
from escalation.weekly import describe_schedule, next_weekly_report

REPORT_CHANNEL_USAGE = "Usage: `/escalation report channel #channel` (or `off`)"


def is_report_channel(rest: str) -> bool:
    """`report channel ...` (a setting, answered at once), not `report [days]`."""
    words = rest.split(maxsplit=1)
    return bool(words) and words[0].lower() == "channel"


class WeeklyReportChannel:
    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def describe(self, workspace_id: str) -> str:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            config = uow.desk.config(workspace_id)
            due = uow.desk.report_due_at(workspace_id)
        if config.report_channel is None or due is None:
            return (
                "No weekly report is set: `/escalation report channel #channel` posts the chart "
                "of the past week (Monday to Sunday) there every Monday at 09:00."
            )
        when = describe_schedule(due, report_zone(config)).replace("first on", "next on")
        return f"The weekly report goes to <#{config.report_channel}> {when}."

    def post_in(self, workspace_id: str, channel_id: str) -> str:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            zone = report_zone(uow.desk.config(workspace_id))
            due = next_weekly_report(now, zone)
            # a report already due (or its retry) is kept: it comes now, in this channel
            uow.desk.schedule_report(workspace_id, channel=channel_id, due_at=due, now=now)
            kept = uow.desk.report_due_at(workspace_id)
            uow.commit()
        late = kept is not None and kept <= now
        return (
            f"The weekly report goes to <#{channel_id}> {describe_schedule(due, zone)}: the "
            "chart of the past week (Monday to Sunday), with its figures."
            + (" This week's, due already, comes there in a moment." if late else "")
        )

    def turn_off(self, workspace_id: str) -> str:
        with SqlUnitOfWork(self.sessions) as uow:
            uow.desk.schedule_report(workspace_id, channel=None, due_at=None, now=self.clock())
            uow.commit()
        return "The weekly report is off: nothing is posted on Mondays."

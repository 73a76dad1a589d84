"""The admins' figures: `/escalation stats` as text, and `/escalation report` as text and a chart.

Every number comes from the same query (`SqlStats.workspace`: the conversations begun in a
window, and their handoffs): the report's totals are the stats of the same days, and each day's
bar is that query over the day. matplotlib is imported only when a chart is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from db.desk import DeskConfig
from db.repositories import WorkspaceStats
from db.uow import SqlUnitOfWork
from escalation.vocabulary import TRIGGERS
from escalation.weekly import week_windows

DEFAULT_DAYS = 7
MAX_REPORT_DAYS = 90  # one bar a day: beyond a quarter the bars stop being readable


def report_zone(config: DeskConfig) -> str:
    """The zone whose Monday 09:00 the weekly report keeps: the business hours', else UTC."""
    return config.week.zone if config.week is not None else "UTC"


def stats_lines(days: int, stats: WorkspaceStats) -> list[str]:
    """The figures of `/escalation stats`, one a line (the report repeats them as they are)."""
    fcr = stats.first_contact_resolution
    triggers = ", ".join(f"{k} {v}" for k, v in sorted(stats.escalations_by_trigger.items()))
    wait = stats.median_minutes_to_claim
    return [
        f"*Last {days} days*",
        f"Conversations: {stats.conversations}",
        f"First-contact resolution: {f'{fcr:.0%}' if fcr is not None else 'n/a'}",
        f"Escalations by trigger: {triggers or 'none'}",
        f"Median time to claim: {minutes(wait)}",
        f"Median time to first agent reply: {minutes(stats.median_minutes_to_first_reply)}",
    ]


def minutes(value: float | None) -> str:
    return f"{value:.1f} min" if value is not None else "n/a"


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day's conversations: a UTC day cut to the window (`report`), or a whole day on the
    report's clock (the weekly report)."""

    day: date
    stats: WorkspaceStats


@dataclass(frozen=True, slots=True)
class Report:
    days: int
    since: datetime
    until: datetime
    total: WorkspaceStats
    per_day: tuple[DayFigures, ...]
    zone: str = "UTC"  # the clock of the days
    heading: str | None = None  # instead of "Last N days" (the weekly report names its week)

    @property
    def triggers(self) -> tuple[str, ...]:
        """The triggers in the core's order, then any other found in the rows."""
        seen = {t for d in self.per_day for t in d.stats.escalations_by_trigger}
        seen |= set(self.total.escalations_by_trigger)
        return (*(t for t in TRIGGERS if t in seen), *sorted(seen - set(TRIGGERS)))

    @property
    def zone_label(self) -> str:
        return "UTC" if self.zone == "UTC" else self.zone

    def text(self) -> str:
        """The stats of the same days, then each day's escalations and median time to claim."""
        lines = stats_lines(self.days, self.total)
        if self.heading is not None:
            lines[0] = self.heading
        lines.append(f"*Per day ({self.zone_label})*: escalations by trigger; median time to claim")
        for figures in self.per_day:
            by_trigger = figures.stats.escalations_by_trigger
            counts = ", ".join(f"{k} {v}" for k, v in sorted(by_trigger.items())) or "none"
            wait = minutes(figures.stats.median_minutes_to_claim)
            lines.append(f"• {figures.day:%a %d %b}: {counts}; {wait}")
        return "\n".join(lines)


class ChartNotShared(Exception):
    """A chart the platform did not share, or did not say it shared; `reason` is for people.

    `maybe_shared`: the share may have been made (a 5xx or a lost answer to the share itself):
    it must not be made again. `retry_may_help`: nothing was shared and the trouble may pass
    by itself (a 5xx or a rate limit before the share, the network); otherwise only a change
    by an admin helps (a channel the bot is not in, a missing permission).
    """

    def __init__(self, reason: str, *, maybe_shared: bool = False, retry_may_help: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.maybe_shared = maybe_shared
        self.retry_may_help = retry_may_help and not maybe_shared


class ChartUploader(Protocol):
    """Shares a report's chart in a channel of the chat platform, with its figures as the
    message; raises `ChartNotShared`. It never retries by itself: a share whose answer was
    lost may have been made."""

    def upload(self, *, channel: str, png: bytes, text: str, days: int) -> None: ...


class Reports:
    """Gathers a workspace's figures over its last days; draws them."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def stats(self, workspace_id: str, days: int) -> WorkspaceStats:
        since = self.clock() - timedelta(days=days)
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            return uow.stats.workspace(workspace_id, since=since)

    def gather(self, workspace_id: str, days: int) -> Report:
        now = self.clock()
        since = now - timedelta(days=days)
        per_day = []
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            total = uow.stats.workspace(workspace_id, since=since)
            for start, end in day_windows(since, now):
                stats = uow.stats.workspace(workspace_id, since=start, until=end)
                per_day.append(DayFigures(start.date(), stats))
        return Report(days, since, now, total, tuple(per_day))

    def week(self, workspace_id: str, zone: str) -> Report:
        """The weekly report's figures: the 7 whole days on `zone`'s clock from the Monday
        00:00 before last to the last Monday 00:00 (consecutive reports cover each day once);
        the totals are the same rows as the days'."""
        days = week_windows(self.clock(), zone)
        since, until = days[0][0], days[-1][1]
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            total = uow.stats.workspace(workspace_id, since=since, until=until)
            per_day = tuple(
                DayFigures(
                    start.astimezone(ZoneInfo(zone)).date(),
                    uow.stats.workspace(workspace_id, since=start, until=end),
                )
                for start, end in days
            )
        first, last = per_day[0].day, per_day[-1].day
        heading = f"*Week of {first:%a %d %b} to {last:%a %d %b %Y} ({zone})*"
        return Report(len(days), since, until, total, per_day, zone=zone, heading=heading)


def day_windows(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC days from `since` to `until`, the first and last cut to them; the last one runs
    to just past `until`, so nothing begun at `until` itself is left out of the days."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    windows = []
    start = since
    while start <= until:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=UTC)
        end = min(midnight, until + timedelta(microseconds=1))
        windows.append((start, end))
        start = midnight
    return windows


TRIGGER_COLOURS = {
    "explicit_request": "#2c7fb8",
    "policy_gap": "#f0a202",
    "no_progress": "#d7301f",
}


def draw(report: Report) -> bytes:
    """The report as a PNG: escalations per day by trigger (stacked bars) above the median
    time to claim per day. Drawn with matplotlib's Agg canvas (no display, no pyplot state)."""
    # matplotlib costs half a second to import: only a report pays for it, not every start
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    days = [f"{d.day:%a}\n{d.day:%d %b}" for d in report.per_day]
    positions = list(range(len(days)))
    figure = Figure(figsize=(max(6.0, 0.6 * len(days) + 2.0), 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    bars, waits = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    bottom = [0] * len(days)
    for trigger in report.triggers:
        counts = [d.stats.escalations_by_trigger.get(trigger, 0) for d in report.per_day]
        bars.bar(
            positions,
            counts,
            bottom=bottom,
            label=trigger,
            color=TRIGGER_COLOURS.get(trigger, "#7f7f7f"),
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    period = (
        report.heading.strip("*")
        if report.heading
        else f"last {report.days} days ({report.zone_label})"
    )
    bars.set_title(f"Escalations per day by trigger, {period}")
    bars.set_ylabel("escalations")
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_ylim(bottom=0, top=max([*bottom, 1]) * 1.15)
    if report.triggers:
        bars.legend(loc="upper left")
    else:
        bars.text(0.5, 0.5, "no escalations", ha="center", va="center", transform=bars.transAxes)
    medians = [d.stats.median_minutes_to_claim for d in report.per_day]
    waits.plot(
        positions,
        [m if m is not None else float("nan") for m in medians],
        marker="o",
        color="#2c3e50",
    )
    waits.set_title("Median time to claim (minutes; no point: nothing claimed that day)")
    waits.set_ylabel("minutes")
    waits.set_ylim(bottom=0, top=max([m for m in medians if m is not None] + [1.0]) * 1.2)
    crowded = len(days) > 14
    waits.set_xticks(positions, days, rotation=90 if crowded else 0, fontsize=7 if crowded else 9)
    waits.set_xlim(-0.6, len(days) - 0.4)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()

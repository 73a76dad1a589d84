"""The app's Home tab: on `app_home_opened`, `views.publish` of the desk (agents and admins)
or of how to reach support (everyone else), built with slack_sdk's Block Kit models."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.desk.home import DeskHome, HomeDesk, VisitorHome
from bot.desk.report import minutes
from db.overview import AwaitingAdmin, LiveHandoff, LiveList
from handlers.slack.admin import is_workspace_admin
from handlers.slack.markup import as_slack_text

log = logging.getLogger(__name__)
MAX_TEXT = 2900  # Slack allows 3000 characters in a section's text
ROOT_CAUSE = 200  # characters of a handoff's root cause shown in a list


def register(app: App, *, home: HomeDesk) -> None:
    def publish(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        user = str(event["user"])
        page = home.home(
            workspace_id=str(body.get("team_id") or context.team_id or ""),
            user_id=user,
            workspace_admin=lambda: is_workspace_admin(client, user),
            member_of=lambda channel: is_member(client, channel, user),
        )
        try:
            client.views_publish(user_id=user, view=home_view(page))
        except SlackApiError as error:
            log.warning("could not publish %s's Home tab: %s", user, error.response.get("error"))

    app.event("app_home_opened")(publish)


def is_member(client: WebClient, channel: str, user: str) -> bool:
    """Whether `user` is in `channel` (`conversations.members`, page by page); a channel the
    bot cannot read counts as not."""
    try:
        for page in client.conversations_members(channel=channel, limit=200):
            if user in (page.get("members") or []):
                return True
    except SlackApiError:
        return False
    return False


def home_view(page: DeskHome | VisitorHome) -> View:
    blocks = desk_blocks(page) if isinstance(page, DeskHome) else visitor_blocks(page)
    return View(type="home", blocks=blocks)


def visitor_blocks(page: VisitorHome) -> list[Block]:
    ways = [
        "Write to me in the *Messages* tab above: I answer questions about your orders, and "
        "when I can't help, I hand you to a person on the support team with everything you "
        "told me, so you don't have to repeat it.",
        "You can ask for a person at any time: just say so (for example, "
        "_I'd like to talk to a person_).",
    ]
    if page.support_channels:
        channels = ", ".join(f"<#{c}>" for c in page.support_channels)
        ways.append(f"You can also write in {channels} and mention me.")
    return [
        HeaderBlock(text="How to reach support"),
        *(SectionBlock(text=_md(way)) for way in ways),
    ]


def desk_blocks(page: DeskHome) -> list[Block]:
    role = "admin" if page.admin else "agent"
    where = f" Cards go to <#{page.handoff_channel}>." if page.handoff_channel else ""
    blocks: list[Block] = [
        HeaderBlock(text="Support desk"),
        ContextBlock(elements=[_md(f"As {role}, at {_when(page.now)}.{where}")]),
        DividerBlock(),
        *_list(
            f"Waiting for an agent ({page.waiting.total})",
            page.waiting,
            lambda h: f"waiting {age(page.now - h.opened_at)}",
            empty="Nothing is waiting: every handoff has an agent.",
            more="oldest first",
        ),
        *_list(
            f"My claims ({page.mine.total})",
            page.mine,
            lambda h: f"yours for {age(page.now - (h.claimed_at or h.opened_at))}",
            empty="You have no claimed conversations.",
        ),
    ]
    if page.others.total:
        blocks += _list(
            f"Claimed by others ({page.others.total})",
            page.others,
            lambda h: f"<@{h.claimed_by}> has it ({age(page.now - (h.claimed_at or h.opened_at))})",
            empty="",
        )
    blocks += [DividerBlock(), *_today(page)]
    if page.awaiting_admin.total:
        blocks += [DividerBlock(), *_awaiting(page)]
    blocks += [DividerBlock()]
    blocks.append(
        ContextBlock(
            elements=[
                _md("`/escalation stats [days]` for longer periods; admins: `/escalation report`.")
            ]
        )
    )
    return blocks


def _list(
    title: str,
    handoffs: LiveList,
    status: Callable[[LiveHandoff], str],
    *,
    empty: str,
    more: str = "",
) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=_md(f"*{title}*"))]
    if not handoffs.items:
        blocks.append(ContextBlock(elements=[_md(empty)]))
        return blocks
    blocks += [SectionBlock(text=_md(_handoff_line(h, status(h)))) for h in handoffs.items]
    hidden = handoffs.total - len(handoffs.items)
    if hidden:
        order = f", {more}" if more else ""
        blocks.append(ContextBlock(elements=[_md(f"… and {hidden} more{order}.")]))
    return blocks


def _handoff_line(handoff: LiveHandoff, status: str) -> str:
    customer = handoff.customer_id
    if handoff.customer_name:
        customer = f"{handoff.customer_name} ({customer})"
    cause = handoff.root_cause
    if len(cause) > ROOT_CAUSE:
        cause = cause[: ROOT_CAUSE - 1] + "…"
    line = (
        f"*#{handoff.id}* `{handoff.trigger}` · {status} · <@{handoff.customer_user_id}>, "
        f"{as_slack_text(customer)}\n{as_slack_text(cause)}"
    )
    return line[:MAX_TEXT]


def _today(page: DeskHome) -> list[Block]:
    stats = page.today.stats
    triggers = ", ".join(f"{k} {v}" for k, v in sorted(stats.escalations_by_trigger.items()))
    fcr = stats.first_contact_resolution
    return [
        SectionBlock(text=_md("*Today* (since midnight UTC)")),
        SectionBlock(
            fields=[
                _md(f"*Escalations by trigger*\n{triggers or 'none'}"),
                _md(f"*Median time to claim*\n{minutes(stats.median_minutes_to_claim)}"),
                _md(
                    "*First-contact resolution*\n"
                    + (f"{fcr:.0%} of {stats.conversations}" if fcr is not None else "n/a")
                ),
                _md(f"*Returned to the bot*\n{page.today.returned_to_bot}"),
            ]
        ),
    ]


def _awaiting(page: DeskHome) -> list[Block]:
    waiting = page.awaiting_admin
    lines = [_awaiting_line(item) for item in waiting.items]
    hidden = waiting.total - len(waiting.items)
    if hidden:
        lines.append(f"… and {hidden} more: `/escalation status`")
    ask = "" if page.admin else " (an admin can act on these)"
    return [
        SectionBlock(text=_md(f"*Failed events waiting for an admin ({waiting.total})*{ask}")),
        SectionBlock(text=_md("\n".join(lines)[:MAX_TEXT])),
    ]


def _awaiting_line(item: AwaitingAdmin) -> str:
    what = "event given up" if item.source == "event" else f"held {item.source.replace('_', ' ')}"
    why = as_slack_text(item.why[:300]) or "no reason recorded"
    return f"• {what}: {why} ({_when(item.since)})"


def age(delta: timedelta) -> str:
    """How long, as an agent reads it: `under a minute`, `12 min`, `2 h 5 min`, `3 d 4 h`."""
    total = max(0, int(delta.total_seconds()) // 60)
    if total < 1:
        return "under a minute"
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _when(moment: datetime) -> str:
    """A moment shown in the reader's own time zone, with UTC as the fallback text."""
    return (
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%d %b %H:%M} UTC>"
    )


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)

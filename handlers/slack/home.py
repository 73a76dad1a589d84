"""The app's Home tab: on `app_home_opened`, `views.publish` of the desk (agents and admins)
or of how to reach support (everyone else), built with slack_sdk's Block Kit models."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
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

from bot.desk.home import LISTED, Awaiting, CouldNotCheck, DeskHome, HomeDesk, VisitorHome
from bot.desk.report import minutes
from db.overview import LiveHandoff, LiveList
from handlers.slack.admin import admin_of
from handlers.slack.events import enterprise_of, workspace_of
from handlers.slack.markup import as_slack_text

log = logging.getLogger(__name__)
MAX_TEXT = 2900  # Slack allows 3000 characters in a section's text
ROOT_CAUSE = 200  # characters of a handoff's root cause shown in a list
MAX_BLOCKS = 100  # Slack's limit for a view
VIEW_BYTES = 50_000  # well under what Slack takes for a view's JSON


def register(app: App, *, home: HomeDesk) -> None:
    """Acked at once; the checks (Slack calls that a rate limit can hold for seconds) and the
    publish run after the ack, in Bolt's lazy listener."""

    def acknowledge(ack: Ack) -> None:
        ack()

    def publish(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        user = str(event["user"])
        # the installation's workspace (authorizations[0]), as for messages: the envelope's
        # team_id can be another organisation's
        workspace = workspace_of(body) or str(context.team_id or "")
        # ours (auth.test's, or the installation's), never the envelope's alone: a Slack
        # Connect guest's envelope names their organisation, whose admins are not ours
        enterprise = context.enterprise_id or enterprise_of(body)
        view: View
        try:
            page = home.home(
                workspace_id=workspace,
                user_id=user,
                workspace_admin=lambda: workspace_admin(
                    client, user, team_id=workspace, enterprise_id=enterprise
                ),
                members_of=lambda channel: channel_members(client, channel),
            )
            view = home_view(page)
        except CouldNotCheck as failed:
            log.warning("could not tell whether %s is an agent: %s", user, failed.reason)
            view = unloaded_view(failed.reason)
        try:
            client.views_publish(user_id=user, view=view)
        except SlackApiError as error:
            log.warning("could not publish %s's Home tab: %s", user, error.response.get("error"))

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])


# Slack's refusals of a check, as the person reads them.
_WHY = {
    "ratelimited": "Slack asked me to slow down",
    "channel_not_found": "the handoff channel was not found",
    "not_in_channel": "I am not in the handoff channel",
    "missing_scope": "the app lacks a permission",
}


def _could_not_check(error: SlackApiError) -> CouldNotCheck:
    code = str(error.response.get("error") or "") if error.response is not None else ""
    return CouldNotCheck(_WHY.get(code, f"Slack answered {code or 'with an error'}"))


def channel_members(client: WebClient, channel: str) -> frozenset[str]:
    """Everyone in `channel` (`conversations.members`, page by page). Raises CouldNotCheck
    when Slack does not say (a rate limit, a channel the bot cannot read, a missing scope)."""
    members: set[str] = set()
    try:
        for page in client.conversations_members(channel=channel, limit=200):
            members.update(str(m) for m in page.get("members") or [])
    except SlackApiError as error:
        raise _could_not_check(error) from None
    except OSError as error:  # Slack unreachable
        raise CouldNotCheck(f"Slack could not be reached: {type(error).__name__}") from None
    return frozenset(members)


def workspace_admin(
    client: WebClient, user_id: str, *, team_id: str, enterprise_id: str | None = None
) -> bool:
    """Whether `user_id` is an admin or owner of the workspace `team_id` (`users.info`; an
    admin of another organisation, in a Slack Connect channel, is not); CouldNotCheck when
    Slack does not say."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        raise _could_not_check(error) from None
    except OSError as error:
        raise CouldNotCheck(f"Slack could not be reached: {type(error).__name__}") from None
    return admin_of(user, team_id=team_id, enterprise_id=enterprise_id)


def unloaded_view(reason: str) -> View:
    return View(
        type="home",
        blocks=[
            SectionBlock(
                text=_md(
                    f"I couldn't load the desk ({clip(reason, 200)}); open the tab again in a "
                    "moment."
                )
            ),
        ],
    )


def home_view(page: DeskHome | VisitorHome) -> View:
    """The view, within Slack's limits: at most 100 blocks and VIEW_BYTES of JSON (fewer
    handoffs listed per list until it fits; each list says how many more there are)."""
    if not isinstance(page, DeskHome):
        return View(type="home", blocks=visitor_blocks(page))
    for listed in (LISTED, 10, 5, 2, 0):
        view = View(type="home", blocks=desk_blocks(page, listed=listed))
        if len(view.blocks) <= MAX_BLOCKS and view_bytes(view) <= VIEW_BYTES:
            return view
    return view


def view_bytes(view: View) -> int:
    return len(json.dumps(view.to_dict(), ensure_ascii=False).encode())


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


def desk_blocks(page: DeskHome, *, listed: int = LISTED) -> list[Block]:
    role = "admin" if page.admin else "agent"
    where = f" Cards go to <#{page.handoff_channel}>." if page.handoff_channel else ""
    blocks: list[Block] = [
        HeaderBlock(text="Support desk"),
        ContextBlock(elements=[_md(f"As {role}, at {_when(page.now)}.{where}")]),
        DividerBlock(),
        *_list(
            f"Waiting for an agent ({page.waiting.total})",
            _first(page.waiting, listed),
            lambda h: f"waiting {age(page.now - h.opened_at)}",
            empty="Nothing is waiting: every handoff has an agent.",
            more="oldest first",
        ),
        *_list(
            f"My claims ({page.mine.total})",
            _first(page.mine, listed),
            lambda h: f"yours for {age(page.now - (h.claimed_at or h.opened_at))}",
            empty="You have no claimed conversations.",
        ),
    ]
    if page.others.total:
        blocks += _list(
            f"Claimed by others ({page.others.total})",
            _first(page.others, listed),
            lambda h: f"<@{h.claimed_by}> has it ({age(page.now - (h.claimed_at or h.opened_at))})",
            empty="",
        )
    blocks += [DividerBlock(), *_today(page)]
    if page.awaiting_admin is not None and page.awaiting_admin.total:
        blocks += [DividerBlock(), *_awaiting(page.awaiting_admin)]
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


def _first(handoffs: LiveList, listed: int) -> LiveList:
    return LiveList(handoffs.items[:listed], handoffs.total)


def _handoff_line(handoff: LiveHandoff, status: str) -> str:
    customer = handoff.customer_id
    if handoff.customer_name:
        customer = f"{handoff.customer_name} ({customer})"
    head = f"*#{handoff.id}* `{handoff.trigger}` · {status} · <@{handoff.customer_user_id}>, "
    room = MAX_TEXT - len(head) - 1
    shown = clip(customer, min(room // 2, 300))
    return f"{head}{shown}\n{clip(handoff.root_cause, min(room - len(shown), ROOT_CAUSE))}"


def clip(plain: str, limit: int) -> str:
    """`plain` as Slack text (`&`, `<`, `>` escaped) of at most `limit` characters once
    escaped: cut before an entity, never inside one, with "…" when cut."""
    escaped = as_slack_text(plain)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for char in plain:
        piece = as_slack_text(char)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"


def fit_lines(lines: list[str], limit: int) -> str:
    """Whole lines (each already Slack text: entities, `<!date…>` tokens) joined while they
    fit in `limit` characters, then how many more there are: never a line cut through."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        reserve = 0 if index == len(lines) - 1 else 40  # room for the "… and N more"
        if used + len(line) + reserve > limit:
            return "\n".join([*kept, f"… and {len(lines) - index} more"])
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


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


def _awaiting(waiting: Awaiting) -> list[Block]:
    lines = [f"• {item.what} ({_when(item.since)})" for item in waiting.items]
    hidden = waiting.total - len(waiting.items)
    if hidden:
        lines.append(f"… and {hidden} more: `/escalation status`")
    return [
        SectionBlock(text=_md(f"*Failed events waiting for an admin ({waiting.total})*")),
        SectionBlock(text=_md(fit_lines(lines, MAX_TEXT))),
    ]


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

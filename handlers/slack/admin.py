"""The `/escalation` slash command: ephemeral answers; changes only for admins.

Everything is answered in the ack, except a dry run (`test`), which runs an agent's turn, and an
uploaded policy book (`policy add`), downloaded from Slack first: either may take longer than
Slack's three seconds, so Bolt's lazy listener answers it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.desk.admin import AdminCommands, ChannelProblem, ChannelSearch
from bot.desk.report import ChartNotShared, Report, draw
from bot.policies import MAX_BOOK_BYTES
from handlers.slack.files import fetch_shared_file
from handlers.slack.markup import plain_text
from handlers.slack.oncall import find_group
from handlers.slack.reports import slack_refusal, upload_chart
from handlers.slack.sender import make_posting_client

log = logging.getLogger(__name__)


def register(app: App, *, admin: AdminCommands) -> None:
    def answer(command: dict[str, Any], client: WebClient) -> str:
        return admin.handle(
            workspace_id=command["team_id"],
            user_id=command["user_id"],
            text=_command_text(command),
            workspace_admin=is_workspace_admin(
                client,
                command["user_id"],
                team_id=command["team_id"],
                enterprise_id=command.get("enterprise_id"),
            ),
            channel_check=lambda channel: channel_problem(client, channel),
            find_channel=lambda name: find_channel(client, name),
            find_group=lambda handle: find_group(client, handle),
            fetch_file=lambda file_id: fetch_shared_file(
                client, file_id, user_id=command["user_id"], max_bytes=MAX_BOOK_BYTES
            ),
        )

    def acknowledge(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        later = admin.acknowledgement(command.get("text") or "")
        if later is not None:
            ack(text=later)
        else:
            ack(text=answer(command, client))

    def dry_run(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if admin.is_dry_run(command.get("text") or ""):
            respond(text=answer(command, client), response_type="ephemeral")

    def report(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command.get("text") or ""
        if not admin.is_report(text):
            return
        user = command["user_id"]
        days = admin.report_days(
            workspace_id=command["team_id"],
            user_id=user,
            text=text,
            workspace_admin=is_workspace_admin(
                client, user, team_id=command["team_id"], enterprise_id=command.get("enterprise_id")
            ),
        )
        if isinstance(days, str):
            return  # the ack said why
        # a client that never retries by itself: a share answered 500 must not be made twice
        uploader = make_posting_client(token=client.token, base_url=client.base_url)
        respond(
            text=report_answer(
                lambda: admin.reports.gather(command["team_id"], days),
                draw,
                lambda figures, png: send_report(uploader, user, figures, png, days=days),
            )
        )

    app.command("/escalation")(ack=acknowledge, lazy=[dry_run, report])


def report_answer(
    gather: Callable[[], Report],
    draw: Callable[[Report], bytes],
    send: Callable[[str, bytes], str],
) -> str:
    """What the admin is told after "Drawing the report…", whatever happens: where the report
    went, or why it could not be gathered, drawn or sent (with the figures when there are)."""
    try:
        figures = gather()
    except Exception as error:  # any failure must still reach the admin, who waits for it
        log.exception("the report could not be gathered")
        return f"I couldn't draw the report: its figures could not be read ({_kind(error)})."
    text = figures.text()
    try:
        png = draw(figures)
    except Exception as error:
        log.exception("the report's chart could not be drawn")
        return (
            f"I couldn't draw the report: the chart failed ({_kind(error)}). The figures:\n{text}"
        )
    return send(text, png)


def _kind(error: Exception) -> str:
    """An error's kind, never its text (a database error's can quote the rows)."""
    return type(error).__name__


def send_report(client: WebClient, user_id: str, text: str, png: bytes, *, days: int) -> str:
    """Upload the chart with its figures to a direct message with `user_id` (files_upload_v2);
    what to tell them (ephemerally): where it went, or why it could not go and the figures.
    `client` must not retry by itself (`make_posting_client`): a share answered 500 may have
    been made."""
    try:
        opened = client.conversations_open(users=user_id).get("channel") or {}
    except SlackApiError as error:
        return _not_sent(slack_refusal(error, "im:write"), text)
    except OSError as error:
        return _not_sent(f"Slack could not be reached ({type(error).__name__})", text)
    channel = opened.get("id")
    if not channel:
        return _not_sent("Slack answered without a channel", text)
    try:
        upload_chart(client, channel=str(channel), png=png, text=text, days=days)
    except ChartNotShared as failure:
        if failure.maybe_shared:
            return (
                f"{failure.reason}: it may be in your direct messages with me already. "
                f"The figures:\n{text}"
            )
        return _not_sent(failure.reason, text)
    return f"The report of the last {days} days is in your direct messages with me."


def _not_sent(why: str, text: str) -> str:
    return f"I couldn't send the chart: {why}. The figures:\n{text}"


def is_workspace_admin(
    client: WebClient, user_id: str, *, team_id: str, enterprise_id: str | None = None
) -> bool:
    """Whether `user_id` is an admin or owner of the workspace `team_id` (`users.info`)."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError:
        return False  # unknown: treat as not an admin, so nothing changes
    return admin_of(user, team_id=team_id, enterprise_id=enterprise_id)


def admin_of(user: dict[str, Any], *, team_id: str, enterprise_id: str | None = None) -> bool:
    """Whether the `users.info` answer `user` is an admin or owner of the workspace `team_id`.
    The flags are those of the user's own organisation: a member of another organisation in a
    Slack Connect channel who is an admin of theirs is no admin of ours. So the flags count only
    when the user's `team_id` is the workspace's, or, on Enterprise Grid, when the user's
    organisation (`enterprise_user.enterprise_id`) is the workspace's (`enterprise_id` of the
    request). An answer without a `team_id` (Slack always gives one; a bare test double may
    not) is read as a member of the asking workspace."""
    flagged = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    return flagged and member_of(user, team_id=team_id, enterprise_id=enterprise_id)


def member_of(user: dict[str, Any], *, team_id: str, enterprise_id: str | None = None) -> bool:
    """Whether the `users.info` answer `user` is a member of the workspace `team_id` (or of its
    Enterprise Grid organisation `enterprise_id`)."""
    home = user.get("team_id")
    if not home or home == team_id:
        return True
    organisation = (user.get("enterprise_user") or {}).get("enterprise_id")
    return bool(enterprise_id) and organisation == enterprise_id


def channel_problem(client: WebClient, channel_id: str) -> ChannelProblem | None:
    """What keeps the bot from posting in a channel (`conversations.info`), if anything."""
    try:
        channel = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code == "missing_scope":
            return "no_permission"
        return "not_found" if code == "channel_not_found" else "unknown"
    if channel.get("is_archived"):
        return "archived"
    if not channel.get("is_member"):
        return "not_member"
    return None


def find_channel(client: WebClient, name: str) -> ChannelSearch:
    """The id of the channel called `name` (`conversations.list`, public and private, page by
    page with slack_sdk's cursor iteration; archived ones too, so the check can say so). A
    private channel is listed only when the bot is in it."""
    try:
        pages = client.conversations_list(
            types="public_channel,private_channel", exclude_archived=False, limit=999
        )
        for page in pages:
            for channel in page.get("channels") or []:
                if str(channel.get("name") or "").lower() == name:
                    return ChannelSearch(channel_id=str(channel["id"]))
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        return ChannelSearch(problem="no_permission" if code == "missing_scope" else "unknown")
    return ChannelSearch(problem="not_found")


def _command_text(command: dict[str, Any]) -> str:
    """The command's words; a dry run's message is read as a customer's would be (entities and
    links made plain), while settings keep Slack's <#C...> and <@U...> references."""
    text = str(command.get("text") or "")
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() == "test":
        return f"test {plain_text(words[1])}" if len(words) > 1 else "test"
    return text

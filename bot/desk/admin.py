"""The `/escalation` admin command: settings, policies, statistics and dry runs.

Anyone may read (help, policy, stats, test); only workspace admins/owners or configured admins
may change settings, and a refused change changes nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bot.desk.oncall import GroupFinder, OncallSettings, no_group_finder
from bot.desk.report import DEFAULT_DAYS, MAX_REPORT_DAYS, Reports, stats_lines
from bot.desk.targets import DESK_COMMANDS, DeskTargets
from bot.desk.weekly import REPORT_CHANNEL_USAGE, WeeklyReportChannel, is_report_channel
from bot.policies import DEFAULT_BOOK_NAME, book_name_problem, check_uploaded_book
from bot.shop.addresses import private_address_problem
from bot.turns.processor import TurnOutcome
from bot.workers.settings import WorkspaceBooks
from db.repositories import WorkspaceSettings
from db.store import ShopConnection
from db.uow import SqlUnitOfWork
from escalation.policy import PolicyBook
from escalation.prompt import describe_conditions

HELP = """\
*`/escalation` commands*
• `channel #channel`: where handoff cards go (`#agents`, `agents` or a channel id)
• `support-channel add|remove #channel`: channels where the bot answers customers
• `admins add|remove @user`: who may change these settings
• `policy list` / `policy show ID`: this workspace's policy books, the rules of the one in
  use, and one rule
• `policy use <name>`: decide this workspace's conversations by another book (`default`:
  the one shipped with the bot; admins only)
• `policy add <name> <link to a YAML file>`: check a policy book you shared with me (in our
  direct messages) and keep it under that name for this workspace (admins only;
  docs/policy-books.md)
• `shop <url> [token]` / `shop off` / `shop`: this workspace's own shop API (the token is
  never shown back; admins only)
• `stats [days]`: conversations, first-contact resolution, escalations, time to claim
  (days from 1 to 3650, default 7)
• `report [days]`: the same figures per day, as a chart sent to you as a direct message
  (days from 1 to 90, default 7; admins only)
• `report channel #channel` / `report channel off`: the chart of the past week (Monday
  to Sunday) posted there every Monday at 09:00 (in the business hours' zone, else UTC;
  admins only)
• `sla 10m` / `sla off`: time-to-claim target (a reminder in the card's thread, the admins
  told at twice it; `2h`, `90s`, `1h30m` too)
• `hours Mon-Fri 09:00-17:30 Europe/Berlin` / `hours off`: business hours (several ranges
  with commas); `holidays add|remove 2026-12-24` / `holidays`: days the team is out
• `names off` / `names on`: whether a customer whose case an agent claims is told the agent's
  display name or "a person from our team" (`names` alone: which it is)
• `oncall @group` / `oncall @group round-robin` / `oncall off`: the Slack user group new
  cards and reminders mention; with round robin each new handoff is offered to one active
  member at a time, passed on when unclaimed within the `sla` target (10 minutes if none)
• `test <message>`: what the bot would decide for a message, and why (nothing is stored;
  admins only, as it reads customers' records)
• `status`: events and posts waiting, failed or held, and why (admins only)
• `help`: this list"""

CHANNEL_PROBLEMS: dict[ChannelProblem, str] = {
    "not_found": "I can't find <#{channel}>: check the channel name.",
    "not_member": "I'm not in <#{channel}> yet: invite me there (`/invite @escalation-bot`), "
    "then set it again.",
    "archived": "<#{channel}> is archived: choose a channel in use.",
    "unknown": "I couldn't check <#{channel}> just now: try again in a moment.",
    "no_permission": "I may not look channels up (the app lacks channels:read and "
    "groups:read): reinstall it from manifest.yml.",
}
_DAYS = re.compile(r"[0-9]{1,4}")  # ASCII digits only: "²" is a digit to str.isdigit
# A channel as Slack escapes it (<#C123|agents>), an id typed as is (C123), or a name (#agents,
# agents): Slack's names are lower case letters, digits, "-" and "_" (at most 80).
_ESCAPED_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_ID = re.compile(
    r"[CG](?=[A-Z]*[0-9])[A-Z0-9]{6,}"
)  # upper case, with a digit: "GENERAL" is a name
_CHANNEL_NAME = re.compile(r"#?([\w-]{1,80})")
_ESCAPED_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_USER_ID = re.compile(r"[UW](?=[A-Z]*[0-9])[A-Z0-9]{6,}")


ChannelProblem = Literal["not_found", "not_member", "archived", "no_permission", "unknown"]
MAX_STATS_DAYS = 3650


class ChannelCheck(Protocol):
    """Whether the bot can post in a channel: None when it can, else what stands in the way."""

    def __call__(self, channel_id: str) -> ChannelProblem | None: ...


def _no_check(channel_id: str) -> ChannelProblem | None:
    return None


@dataclass(frozen=True, slots=True)
class ChannelSearch:
    """A channel looked up by name: its id, or why there is none (`not_found` when no
    channel the bot can see has that name)."""

    channel_id: str | None = None
    problem: ChannelProblem | None = None


class ChannelFinder(Protocol):
    """The channel with this name (without "#"), as the platform knows it."""

    def __call__(self, name: str) -> ChannelSearch: ...


def _no_finder(name: str) -> ChannelSearch:
    return ChannelSearch(problem="unknown")


class Previewer(Protocol):
    def preview(self, text: str, *, workspace_id: str = "") -> TurnOutcome:
        """A dry run of a customer's message in `workspace_id` (decided by its policy book):
        the decision and why, nothing stored or done."""
        ...


class FileFetcher(Protocol):
    """The bytes of a file shared on the platform (by its id), or why they cannot be had, in
    words for the admin."""

    def __call__(self, file_id: str) -> bytes | str: ...


def _no_files(file_id: str) -> bytes | str:
    return "I can't read shared files here."


# A file as Slack links it (https://team.slack.com/files/U1/F0123ABC/book.yaml, escaped as
# <...> in a command), or its id typed as is.
_FILE_ID = re.compile(r"(?<![A-Za-z0-9])(F[A-Z0-9]{6,})(?![A-Za-z0-9])")


def _link(word: str) -> str:
    """A URL as typed, or as Slack escapes it (<https://...>, <https://...|label>)."""
    if word.startswith("<") and word.endswith(">"):
        return word[1:-1].split("|", 1)[0]
    return word


def shop_url_problem(url: str) -> str | None:
    """Why `url` cannot be a shop API's address, in plain words; None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            "The shop's address must be an http:// or https:// URL, e.g. "
            "`https://shop.example.com/api/`."
        )
    if parts.username or parts.password:
        return (
            "Give the shop's token after the address, not inside it: "
            "`/escalation shop <url> <token>`."
        )
    if len(url) > 2000 or parts.query or parts.fragment:
        return "The shop's address is the API's base URL, without `?` or `#` parts."
    return None


def _shop_described(connection: ShopConnection) -> str:
    """The connection as told to admins: the address, and whether a token is kept (never it)."""
    token = "with a token (kept, never shown)" if connection.api_token else "without a token"
    return f"{html.escape(connection.api_url, False)} {token}"


def file_reference(text: str) -> str | None:
    """The id of the one file `text` names (a link to it, or its id), else None."""
    found = set(_FILE_ID.findall(text))
    return found.pop() if len(found) == 1 else None


def _code(text: str) -> str:
    """Text shown inside `code`: markup escaped, backticks dropped."""
    return html.escape(text.replace("`", "'"), False)


class AdminCommands:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        book: PolicyBook,
        processor: Previewer,
        clock: Callable[[], datetime],
        books: Callable[[str], PolicyBook] | None = None,
        private_shops: bool = False,
    ) -> None:
        """`book` is the shipped default; `books` gives each workspace's book (one
        WorkspaceBooks with the processor's, so both read the same), else one is made here.
        `private_shops`: a workspace's shop may be on a private or local address."""
        self.sessions = sessions
        self.private_shops = private_shops
        self.book = book
        self.books = books or WorkspaceBooks(sessions, default=book)
        self.processor = processor
        self.clock = clock
        self.reports = Reports(sessions=sessions, clock=clock)
        self.weekly = WeeklyReportChannel(sessions=sessions, clock=clock)
        self.targets = DeskTargets(sessions=sessions, clock=clock)
        self.oncall = OncallSettings(sessions=sessions, clock=clock)

    @staticmethod
    def is_report(text: str) -> bool:
        """A report is drawn and sent after the ack (a refusal or usage is the ack itself;
        `report channel ...` is a setting, answered in the ack)."""
        words = text.strip().split(maxsplit=1)
        rest = words[1] if len(words) > 1 else ""
        return bool(words) and words[0].lower() == "report" and not is_report_channel(rest)

    def report_days(
        self, *, workspace_id: str, user_id: str, text: str, workspace_admin: bool
    ) -> int | str:
        """The days `/escalation report ...` asks for, or the answer that refuses it."""
        words = text.strip().split(maxsplit=1)
        asked = words[1].strip() if len(words) > 1 else ""
        settings = self._settings(workspace_id)
        if not (workspace_admin or user_id in settings.admin_user_ids):
            return "Only workspace admins or the bot's configured admins can ask for the report."
        if asked and not (_DAYS.fullmatch(asked) and 1 <= int(asked) <= MAX_REPORT_DAYS):
            return (
                f"Usage: `/escalation report [days]`, days from 1 to {MAX_REPORT_DAYS} "
                f"(default {DEFAULT_DAYS}), e.g. `/escalation report 14`."
            )
        return int(asked) if asked else DEFAULT_DAYS

    @staticmethod
    def is_dry_run(text: str) -> bool:
        """Answered after the ack: a dry run can take as long as an agent's turn, and an
        uploaded policy book is downloaded from the platform first."""
        return AdminCommands.acknowledgement(text) is not None

    @staticmethod
    def acknowledgement(text: str) -> str | None:
        """What the ack says of a command answered after it; None when the ack answers."""
        words = text.strip().split()
        if len(words) >= 2 and words[0].lower() == "test":  # "test" alone: usage, at once
            return "Running a dry run of that message..."
        if len(words) >= 4 and [w.lower() for w in words[:2]] == ["policy", "add"]:
            return "Checking that policy book..."
        return None

    def handle(
        self,
        *,
        workspace_id: str,
        user_id: str,
        text: str,
        workspace_admin: bool,
        channel_check: ChannelCheck = _no_check,
        find_channel: ChannelFinder = _no_finder,
        find_group: GroupFinder = no_group_finder,
        fetch_file: FileFetcher = _no_files,
    ) -> str:
        """The ephemeral answer to `/escalation <text>`; `channel_check` asks the platform
        whether a channel being set can take the bot's posts, `find_channel` which channel a
        name typed as `#agents` (not picked from Slack's suggestions) is, `find_group` which
        user group a handle typed as `@support-oncall` is, `fetch_file` the content of a file
        shared on the platform (an uploaded policy book)."""
        words = text.strip().split(maxsplit=1)
        command = words[0].lower() if words else "help"
        rest = words[1] if len(words) > 1 else ""
        if command in ("help", "?"):
            return HELP
        if command == "status" and rest.strip():
            return "Usage: `/escalation status` (it takes nothing after it)."
        if command == "policy":
            return self._policy(
                workspace_id,
                rest,
                may_change=lambda: (
                    workspace_admin or user_id in self._settings(workspace_id).admin_user_ids
                ),
                fetch_file=fetch_file,
            )
        if command == "stats":
            return self._stats(workspace_id, rest)
        if command == "report" and is_report_channel(rest):
            if not (workspace_admin or user_id in self._settings(workspace_id).admin_user_ids):
                return (
                    "Only workspace admins or the bot's configured admins can change "
                    "settings. Nothing was changed."
                )
            channels = _Channels(check=channel_check, find=find_channel)
            return self._report_channel(workspace_id, rest.split(maxsplit=1)[1:], channels)
        if command == "report":
            days = self.report_days(
                workspace_id=workspace_id,
                user_id=user_id,
                text=text,
                workspace_admin=workspace_admin,
            )
            if isinstance(days, str):
                return days
            return (
                f"Drawing the report of the last {days} days: it comes to you as a direct "
                "message in a moment."
            )
        if command == "shop":
            if not (workspace_admin or user_id in self._settings(workspace_id).admin_user_ids):
                return (
                    "Only workspace admins or the bot's configured admins can see or change the "
                    "shop connection." + NOTHING_CHANGED
                )
            return self._shop(workspace_id, rest)
        if command == "oncall":
            if not (workspace_admin or user_id in self._settings(workspace_id).admin_user_ids):
                return (
                    "Only workspace admins or the bot's configured admins can change "
                    "settings. Nothing was changed."
                )
            return self.oncall.handle(workspace_id, rest, find_group=find_group)
        if command in DESK_COMMANDS:
            if not (workspace_admin or user_id in self._settings(workspace_id).admin_user_ids):
                return (
                    "Only workspace admins or the bot's configured admins can change "
                    "settings. Nothing was changed."
                )
            return self.targets.handle(workspace_id, command, rest)
        if command in ("channel", "support-channel", "admins", "test", "status"):
            settings = self._settings(workspace_id)
            if not (workspace_admin or user_id in settings.admin_user_ids):
                if command in ("test", "status"):
                    # A dry run reads real customers' records: admins only.
                    return (
                        "Only workspace admins or the bot's configured admins can run tests "
                        "or see the status."
                    )
                return (
                    "Only workspace admins or the bot's configured admins can change "
                    "settings. Nothing was changed."
                )
            if command == "test":
                return self._test(workspace_id, rest)
            if command == "status":
                return self._status(workspace_id)
            finder = _Channels(check=channel_check, find=find_channel)
            return self._change(settings, command, rest, channels=finder)
        return f"I don't know `{command}`.\n{HELP}"

    def _change(
        self, settings: WorkspaceSettings, command: str, rest: str, *, channels: _Channels
    ) -> str:
        if command == "channel":
            found = channels.read(rest, usage="Usage: `/escalation channel #channel`")
            if isinstance(found, _Refusal):
                return found.answer
            return self._save(
                replace(settings, handoff_channel=found.channel_id),
                release_cards=True,
                done=f"Handoff cards now go to <#{found.channel_id}>.",
            )
        action, _, target = rest.strip().partition(" ")
        action = action.lower()
        if action not in ("add", "remove"):
            what = "#channel" if command == "support-channel" else "@user"
            return f"Usage: `/escalation {command} add|remove {what}`"
        if command == "support-channel":
            # Removing needs no check: a channel since archived or left can still be removed.
            found = channels.read(
                target,
                usage="Usage: `/escalation support-channel add|remove #channel`",
                check=action == "add",
            )
            if isinstance(found, _Refusal):
                return found.answer
            edited = _edit(settings.support_channels, found.channel_id, add=action == "add")
            return self._save(
                replace(settings, support_channels=edited),
                done=f"Support channels: {_list(edited, '#') or 'none'}.",
            )
        user = _user(target)
        if user is None:
            return (
                "Usage: `/escalation admins add|remove @user`: pick the person from Slack's "
                "@ suggestions (or give their member id, `U...`). Nothing was changed."
            )
        admins = _edit(settings.admin_user_ids, user, add=action == "add")
        return self._save(
            replace(settings, admin_user_ids=admins),
            done=f"Bot admins: {_list(admins, '@') or 'none'}.",
        )

    def _report_channel(self, workspace_id: str, typed: list[str], channels: _Channels) -> str:
        if not typed:
            return self.weekly.describe(workspace_id)
        if typed[0].strip().lower() == "off":
            return self.weekly.turn_off(workspace_id)
        found = channels.read(typed[0], usage=REPORT_CHANNEL_USAGE)
        if isinstance(found, _Refusal):
            return found.answer
        return self.weekly.post_in(workspace_id, found.channel_id)

    def _settings(self, workspace_id: str) -> WorkspaceSettings:
        with SqlUnitOfWork(self.sessions) as uow:
            return uow.workspaces.get(workspace_id)

    def _save(self, settings: WorkspaceSettings, *, done: str, release_cards: bool = False) -> str:
        now = self.clock()
        with SqlUnitOfWork(self.sessions) as uow:
            uow.workspaces.save(settings, now=now)
            released = (
                uow.outbox.release_held(
                    now=now, kind="handoff_card", workspace_id=settings.workspace_id
                )
                if release_cards
                else 0
            )
            uow.commit()
        if released:
            done += f" {released} waiting handoff card(s) will be posted there now."
        return done

    def _policy(
        self,
        workspace_id: str,
        rest: str,
        *,
        may_change: Callable[[], bool],
        fetch_file: FileFetcher,
    ) -> str:
        words = rest.split()
        action = words[0].lower() if words else "list"
        if action == "list" and len(words) <= 1:
            return self._policy_list(workspace_id)
        if action == "show" and len(words) == 2:
            book = self.books(workspace_id)
            rule = book.rule(words[1])
            if rule is None:
                return f"No policy `{_code(words[1])}`. Try `/escalation policy list`."
            when = describe_conditions(rule) or "always"
            return (
                f"*{rule.title}* (`{rule.id}`)\n{rule.text}\n"
                f"Covers: {', '.join(rule.covers)}\nWhen: {when}"
            )
        if action in ("use", "add") and len(words) >= 2:
            if not may_change():
                return (
                    "Only workspace admins or the bot's configured admins can change the policy "
                    "book." + NOTHING_CHANGED
                )
            if action == "use":
                return self._policy_use(workspace_id, " ".join(words[1:]))
            return self._policy_add(workspace_id, words[1:], fetch_file)
        return POLICY_USAGE

    def _policy_list(self, workspace_id: str) -> str:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            own = uow.policy_books.of_workspace(workspace_id)
            chosen = uow.policy_books.chosen(workspace_id)
        book = self.books(workspace_id)
        in_use = chosen.name if chosen is not None else DEFAULT_BOOK_NAME
        names = [
            f"• `{DEFAULT_BOOK_NAME}`: shipped with the bot"
            + (" (in use)" if chosen is None else "")
        ] + [
            f"• `{_code(b.name)}`" + (" (in use)" if chosen and b.id == chosen.id else "")
            for b in own
        ]
        rules = [f"• `{r.id}`: {html.escape(r.title, False)}" for r in book.rules]
        return (
            f"*Policy books* (this workspace uses `{_code(in_use)}`)\n"
            + "\n".join(names)
            + f"\n*{html.escape(book.name, False)}* (`{_code(in_use)}`)\n"
            + "\n".join(rules)
            + "\nAnything else is a gap."
        )

    def _policy_use(self, workspace_id: str, name: str) -> str:
        default = name.casefold() == DEFAULT_BOOK_NAME
        with SqlUnitOfWork(self.sessions) as uow:
            before = uow.policy_books.chosen(workspace_id)
            found = None if default else uow.policy_books.find(workspace_id, name)
            if found is None and not default:
                names = [DEFAULT_BOOK_NAME] + [
                    b.name for b in uow.policy_books.of_workspace(workspace_id)
                ]
                return (
                    f"There is no policy book `{_code(name)}` here. Books: "
                    + ", ".join(f"`{_code(n)}`" for n in names)
                    + "."
                    + NOTHING_CHANGED
                )
            was = before.name if before is not None else DEFAULT_BOOK_NAME
            now_name = found.name if found is not None else DEFAULT_BOOK_NAME
            if (before and before.id) == (found and found.id):
                return f"This workspace already uses `{_code(now_name)}`." + NOTHING_CHANGED
            uow.policy_books.choose(workspace_id, found, now=self.clock())
            uow.commit()
        return (
            f"Policy book changed from `{_code(was)}` to `{_code(now_name)}`: the next turn of "
            "every conversation of this workspace is decided by it."
        )

    def _policy_add(self, workspace_id: str, args: list[str], fetch_file: FileFetcher) -> str:
        name, reference = args[0], " ".join(args[1:])
        problem = book_name_problem(name)
        if problem is not None:
            return problem + NOTHING_CHANGED
        file_id = file_reference(reference)
        if file_id is None:
            return ADD_USAGE + NOTHING_CHANGED
        fetched = fetch_file(file_id)
        if isinstance(fetched, str):
            return fetched + NOTHING_CHANGED
        checked = check_uploaded_book(fetched)
        if checked.document is None or checked.book is None:
            told = "\n".join(f"• {html.escape(p, False)}" for p in checked.problems)
            return (
                f"I can't use that file as the policy book `{_code(name)}`:\n{told}\n"
                "Fix it, share it again and run the command again." + NOTHING_CHANGED
            )
        with SqlUnitOfWork(self.sessions) as uow:
            stored, replaced = uow.policy_books.save(
                workspace_id, name, checked.document, now=self.clock()
            )
            chosen = uow.policy_books.chosen(workspace_id)
            uow.commit()
        rules = len(checked.book.rules)
        what = "replaced with the new file" if replaced else "added"
        if chosen is not None and chosen.id == stored.id:
            after = "This workspace uses it: the next turn is decided by it."
        else:
            after = f"To use it: `/escalation policy use {_code(stored.name)}`."
        return (
            f"Policy book `{_code(stored.name)}` ({html.escape(checked.book.name, False)}, "
            f"{rules} rule{'s' if rules != 1 else ''}) {what}. {after}"
        )

    def _shop(self, workspace_id: str, rest: str) -> str:
        words = rest.split()
        if not words:
            with SqlUnitOfWork(self.sessions, read_only=True) as uow:
                connection = uow.shops.get(workspace_id)
            if connection is None:
                return (
                    "This workspace uses the bot's own shop. `/escalation shop <url> [token]` "
                    "connects this workspace's shop API instead."
                )
            return f"This workspace's shop: {_shop_described(connection)}."
        if words == ["off"] or [w.lower() for w in words] == ["off"]:
            with SqlUnitOfWork(self.sessions) as uow:
                had = uow.shops.clear(workspace_id)
                uow.commit()
            if not had:
                return "This workspace already uses the bot's own shop." + NOTHING_CHANGED
            return (
                "This workspace's own shop is disconnected: its next turns use the bot's own "
                "shop, and its token is forgotten."
            )
        if len(words) > 2:
            return SHOP_USAGE + NOTHING_CHANGED
        # Slack sends `&`, `<` and `>` of command text as entities: kept so, the shop would
        # be called at another address, or with a token it never issued
        url = html.unescape(_link(words[0]))
        problem = shop_url_problem(url)
        if problem is None and not self.private_shops:
            parts = urlsplit(url)
            problem = private_address_problem(str(parts.hostname), parts.port)
        if problem is not None:
            return problem + NOTHING_CHANGED
        token = html.unescape(words[1]) if len(words) == 2 else None
        connection = ShopConnection(api_url=url, api_token=token)
        with SqlUnitOfWork(self.sessions) as uow:
            uow.shops.set(workspace_id, connection, now=self.clock())
            uow.commit()
        return (
            f"This workspace's shop is now {_shop_described(connection)}: its next turns look "
            "customers and orders up there and act there."
        )

    def _stats(self, workspace_id: str, rest: str) -> str:
        asked = rest.strip()
        if asked and not (_DAYS.fullmatch(asked) and 1 <= int(asked) <= MAX_STATS_DAYS):
            return f"Usage: `/escalation stats [days]`, days from 1 to {MAX_STATS_DAYS}."
        days = int(asked) if asked else DEFAULT_DAYS
        return "\n".join(stats_lines(days, self.reports.stats(workspace_id, days)))

    def _status(self, workspace_id: str) -> str:
        """The command's workspace's events and posts: another's are none of its business."""
        with SqlUnitOfWork(self.sessions) as uow:
            inbox = uow.inbox.counts(workspace_id)
            outbox = uow.outbox.counts(workspace_id)
            held = uow.outbox.held(workspace_id=workspace_id)
        lines = [
            "*Status*",
            "Events: " + (", ".join(f"{k} {v}" for k, v in sorted(inbox.items())) or "none"),
            "Posts: " + (", ".join(f"{k} {v}" for k, v in sorted(outbox.items())) or "none"),
        ]
        lines += [
            f"• held {kind.replace('_', ' ')}: {html.escape(why, False)}" for kind, why in held
        ]
        return "\n".join(lines)

    def _test(self, workspace_id: str, message: str) -> str:
        if not message.strip():
            return "Usage: `/escalation test <a customer message>`"
        outcome = self.processor.preview(message, workspace_id=workspace_id)
        decision = outcome.decision
        assert decision is not None
        trigger = f" ({decision.trigger})" if decision.trigger else ""
        effects = ", ".join(e.tool for e in outcome.effects) or "none"
        # The answer is markup; the reason and reply may quote the message, shown as typed.
        return (
            f"*Dry run*: {decision.action}{trigger}\n*Why*: {html.escape(decision.reason, False)}\n"
            f"*Reply*: {html.escape(decision.reply, False)}\n"
            f"*Would change*: {effects} (nothing was stored)"
        )


@dataclass(frozen=True, slots=True)
class _Refusal:
    answer: str


@dataclass(frozen=True, slots=True)
class _Found:
    channel_id: str


@dataclass(frozen=True, slots=True)
class _Channels:
    """Reads the channel an admin typed, in any of the forms Slack may send it."""

    check: ChannelCheck
    find: ChannelFinder

    def read(self, text: str, *, usage: str, check: bool = True) -> _Found | _Refusal:
        escaped = _escaped(_ESCAPED_CHANNEL, text)
        words = text.split()
        named = _CHANNEL_NAME.fullmatch(words[0]) if len(words) == 1 else None
        if escaped is not None:
            channel_id = escaped
        elif len(words) == 1 and _CHANNEL_ID.fullmatch(words[0]):
            channel_id = words[0]
        elif named is None:
            return _Refusal(
                f"{usage}: one channel, as `#name`, `name` or its id (`C...`)." + NOTHING_CHANGED
            )
        else:
            name = named.group(1).lower()
            search = self.find(name)
            if search.channel_id is None:
                return _Refusal(_no_such_channel(name, search.problem))
            channel_id = search.channel_id
        problem = self.check(channel_id) if check else None
        if problem is not None:
            return _Refusal(CHANNEL_PROBLEMS[problem].format(channel=channel_id) + NOTHING_CHANGED)
        return _Found(channel_id)


NOTHING_CHANGED = " Nothing was changed."
POLICY_USAGE = (
    "Usage: `/escalation policy list`, `/escalation policy show ID`, "
    "`/escalation policy use <name>` or `/escalation policy add <name> <link to the file>`"
)
SHOP_USAGE = (
    "Usage: `/escalation shop <url> [token]` (your shop's API, docs/shop-api.yaml), "
    "`/escalation shop off`, or `/escalation shop` to see which shop this workspace uses."
)
ADD_USAGE = (
    "Usage: `/escalation policy add <name> <link to the file>`: share the YAML file with me in "
    "our direct messages, copy its link (⋮ > Copy link) and give it here."
)


def _no_such_channel(name: str, problem: ChannelProblem | None) -> str:
    if problem in (None, "not_found"):
        return (
            f"I can't find a channel named #{html.escape(name, False)}: check the name. A "
            "private channel shows up only once I'm in it (`/invite @escalation-bot` there)."
            + NOTHING_CHANGED
        )
    return CHANNEL_PROBLEMS[problem].replace("<#{channel}>", f"#{name}") + NOTHING_CHANGED


def _escaped(pattern: re.Pattern[str], text: str) -> str | None:
    """The one reference Slack escaped (`<#C1|name>`, `<@U1|name>`) when it is all there is."""
    found = pattern.findall(text)
    if len(found) == 1 and not pattern.sub("", text).strip():
        return str(found[0])
    return None


def _user(text: str) -> str | None:
    escaped = _escaped(_ESCAPED_USER, text)
    if escaped is not None:
        return escaped
    words = text.split()
    return words[0] if len(words) == 1 and _USER_ID.fullmatch(words[0]) else None


def _edit(items: tuple[str, ...], item: str, *, add: bool) -> tuple[str, ...]:
    if add:
        return items if item in items else (*items, item)
    return tuple(i for i in items if i != item)


def _list(ids: tuple[str, ...], sigil: str) -> str:
    return ", ".join(f"<{sigil}{i}>" for i in ids)

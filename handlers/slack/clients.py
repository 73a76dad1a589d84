"""Slack Web API clients that act in one workspace, with that workspace's own token: what the
workers post, read and upload with (the listeners get theirs from Bolt's authorize)."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.desk.oncall import RosterUnavailable
from bot.desk.report import ChartNotShared
from bot.workers.outbox import Sender, SendFailed
from handlers.slack.installations import NotInstalled, TokenUnavailable, WorkspaceTokens
from handlers.slack.oncall import SlackRoster, make_roster_client
from handlers.slack.pacing import SlackPacer
from handlers.slack.reports import SlackChartUploader
from handlers.slack.sender import SlackSender, make_posting_client

NOT_INSTALLED = "the app is not installed in this workspace"


class SlackClients:
    """Builds each call's client with the token of the workspace it acts in; with `pacer` (one
    per process, shared by every client built here) its calls are paced by that workspace's
    budgets (handlers/slack/pacing.py), without one they are not (as before)."""

    def __init__(
        self,
        tokens: WorkspaceTokens,
        *,
        base_url: str | None,
        pacer: SlackPacer | None = None,
    ) -> None:
        self.tokens = tokens
        self.base_url = base_url
        self.pacer = pacer

    def posting(self, workspace_id: str | None) -> WebClient:
        return make_posting_client(
            token=self._token(workspace_id),
            base_url=self.base_url,
            pacer=self.pacer,
            workspace_id=workspace_id,
        )

    def roster(self, workspace_id: str | None) -> WebClient:
        return make_roster_client(
            token=self._token(workspace_id),
            base_url=self.base_url,
            pacer=self.pacer,
            workspace_id=workspace_id,
        )

    def _token(self, workspace_id: str | None) -> str:
        return self.tokens.bot_token(workspace_id)


class WorkspaceSenders:
    """The outbox drainer's sender for a row's workspace."""

    def __init__(self, clients: SlackClients) -> None:
        self.clients = clients

    def __call__(self, workspace_id: str | None) -> SlackSender:
        try:
            return SlackSender(self.clients.posting(workspace_id))
        except NotInstalled as error:
            raise SendFailed(NOT_INSTALLED, permanent=True, uninstalled=True) from error
        except TokenUnavailable as error:
            raise SendFailed(str(error)) from error

    def token_refused(self, workspace_id: str | None, sender: Sender) -> bool:
        """Slack refused the token this process kept: read the workspace's again (an uninstall
        and a new install seen by another process, within this one's 30 s)."""
        refused = sender.client.token if isinstance(sender, SlackSender) else None
        self.clients.tokens.forget(workspace_id or "")
        try:
            return self.clients.tokens.bot_token(workspace_id) != refused
        except (NotInstalled, TokenUnavailable):
            return True  # the next try says so (held quietly, or tried later)


class WorkspaceRosters:
    """Round robin's reads, each workspace's with its own token; one roster (and its cache of
    members and presence) per workspace."""

    def __init__(self, clients: SlackClients, *, clock: Callable[[], float]) -> None:
        self.clients = clients
        self.clock = clock
        self._rosters: dict[str, tuple[str, SlackRoster]] = {}

    def __call__(self, workspace_id: str | None) -> SlackRoster:
        try:
            client = self.clients.roster(workspace_id)
        except NotInstalled as error:
            raise RosterUnavailable(NOT_INSTALLED, transient=False) from error
        except TokenUnavailable as error:
            raise RosterUnavailable(str(error), transient=True) from error
        key = workspace_id or ""
        kept = self._rosters.get(key)
        if kept is not None and kept[0] == client.token:
            return kept[1]
        roster = SlackRoster(client, clock=self.clock)
        self._rosters[key] = (client.token or "", roster)
        return roster


class WorkspaceUploaders:
    """The weekly report's uploader for the workspace whose channel it goes to."""

    def __init__(self, clients: SlackClients) -> None:
        self.clients = clients

    def __call__(self, workspace_id: str | None) -> SlackChartUploader:
        try:
            return SlackChartUploader(self.clients.posting(workspace_id))
        except NotInstalled as error:
            raise ChartNotShared(NOT_INSTALLED) from error
        except TokenUnavailable as error:
            raise ChartNotShared(str(error), retry_may_help=True) from error

"""The composition root: the one place that builds the product from settings and adapters.

Tests pass a clock or an agent of their own; everything else comes from settings.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.agents import needs
from bot.agents.base import Agent
from bot.agents.offline import OfflineAgent
from bot.desk.admin import AdminCommands
from bot.desk.handoffs import HandoffDesk
from bot.desk.home import HomeDesk
from bot.policies import default_policy_book
from bot.settings import Settings
from bot.shop.database import DatabaseShop
from bot.shop.http import HttpShop
from bot.shop.memory import DEMO_CUSTOMERS, DEMO_ORDERS
from bot.shop.port import Shop
from bot.turns.processor import TurnProcessor
from bot.workers.inbox import InboxWorker, SqlEventInbox
from bot.workers.loop import GRACE
from bot.workers.outbox import OutboxDrainer
from bot.workers.processes import WorkerProcesses, default_worker_count, parent_gone
from bot.workers.reports import WeeklyReports
from bot.workers.retention import RetentionSweeper
from bot.workers.settings import WorkspaceBooks, WorkspaceSettingsCache, WorkspaceShops
from bot.workers.timers import HandoffTimers
from db.engine import (
    make_engine,
    make_read_session_factory,
    make_request_path_engine,
    make_session_factory,
)
from db.installations import SqlInstallations
from db.migrate import Revisions, alembic_config, upgrade
from db.uow import SqlUnitOfWork
from escalation.policy import PolicyBook
from handlers.slack.app import build_slack_app
from handlers.slack.clients import (
    SlackClients,
    WorkspaceRosters,
    WorkspaceSenders,
    WorkspaceUploaders,
)
from handlers.slack.events import SlackSharedChannels, route
from handlers.slack.install import install_flow
from handlers.slack.installations import (
    InstalledAuthorize,
    InstalledTokens,
    NotInstalled,
    OneWorkspaceToken,
    TokenUnavailable,
    WorkspaceTokens,
)
from handlers.slack.pacing import SlackPacer, SqlSharedRests
from handlers.slack.sender import DEFAULT_SLACK_API_URL, make_web_client

if TYPE_CHECKING:  # the SDK is imported only when the Claude agent is built (start-up time)
    import anthropic

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class MissingSetting(RuntimeError):
    """The product cannot start: the message names the settings to set."""


class AgentUnavailable(MissingSetting):
    """The agent asked for cannot be built with these settings."""


def build_agent(
    settings: Settings, book: PolicyBook, *, kind: str | None = None, check: bool = True
) -> Agent:
    """Claude when a key is set (the offline agent as its fallback), else the offline agent.

    `kind` forces one: "offline", or "claude" (which then needs ANTHROPIC_API_KEY). With
    `check`, one request asks the API for the model: a rejected key or an unknown model stops
    the start with one line, rather than every turn falling back in silence.
    """
    offline = OfflineAgent()
    wants_claude = kind == "claude" or (kind is None and settings.anthropic_api_key)
    if not wants_claude:
        if kind is None:
            log.info("no ANTHROPIC_API_KEY set: the offline agent answers customers")
        return offline
    if not settings.anthropic_api_key:
        raise AgentUnavailable("the Claude agent needs ANTHROPIC_API_KEY")
    # Only here: importing the SDK takes about a second, which the offline agent never needs.
    import anthropic  # noqa: PLC0415

    from bot.agents.claude import DEFAULT_MODEL, ClaudeAgent  # noqa: PLC0415

    client = anthropic.Anthropic(
        api_key=settings.anthropic_api_key,
        base_url=settings.anthropic_base_url or None,
        timeout=settings.anthropic_timeout,
        max_retries=2,
    )
    model = settings.anthropic_model or DEFAULT_MODEL
    if check:
        check_model(client, model)
    return ClaudeAgent(
        client=client,
        book=book,
        fallback=offline,
        model=model,
        max_tokens=settings.anthropic_max_tokens,
    )


def check_model(client: anthropic.Anthropic, model: str) -> None:
    """One request for the model: a key or model the API refuses is a bad setting."""
    import anthropic  # noqa: PLC0415

    from bot.agents.claude import describe_api_error, is_transient  # noqa: PLC0415

    try:
        client.models.retrieve(model)
    except anthropic.APIError as error:
        if is_transient(error):
            log.warning("could not check the model now (%s); going on", type(error).__name__)
            return
        raise AgentUnavailable(f"{describe_api_error(error)}; model {model!r}") from error


@dataclass
class Product:
    app: App
    client: WebClient
    engine: Engine
    sessions: sessionmaker[Session]
    processor: TurnProcessor
    inbox_workers: list[InboxWorker]
    drainers: list[OutboxDrainer]
    sweeper: RetentionSweeper
    wake_on_new_event: Callable[[], None]
    wake_on_new_post: Callable[[], None]
    event_inbox: SqlEventInbox | None = None
    workspace_settings: WorkspaceSettingsCache = field(default_factory=WorkspaceSettingsCache)
    request_engine: Engine | None = None  # the ack path's own, when not `engine`
    timers: HandoffTimers | None = None  # the handoffs' reminders and overdue notices
    reports: WeeklyReports | None = None  # the weekly report in its channel
    tokens: WorkspaceTokens | None = None  # which token acts in which workspace

    @property
    def inbox_worker(self) -> InboxWorker:
        return self.inbox_workers[0]

    @property
    def drainer(self) -> OutboxDrainer:
        return self.drainers[0]

    def wake_inbox(self) -> None:
        for worker in self.inbox_workers:
            worker.wake()

    def start_workers(self) -> None:
        needs.load()  # the first customer's turn should not pay for it
        for worker in self.inbox_workers:
            worker.start()
        for drainer in self.drainers:
            drainer.start()
        self.sweeper.start()
        if self.timers is not None:
            self.timers.start()
        if self.reports is not None:
            self.reports.start()

    def stop(self, *, grace: timedelta = GRACE) -> None:
        """All workers stop taking work at once; turns in hand get `grace` to finish (what
        does not is given back to be taken again), then the drainer stops."""
        deadline = time.monotonic() + grace.total_seconds()
        for worker in self.inbox_workers:
            worker.request_stop()
        for worker in self.inbox_workers:
            worker.finish(grace=timedelta(seconds=deadline - time.monotonic()))
        self.sweeper.request_stop()
        if self.timers is not None:
            self.timers.request_stop()
        if self.reports is not None:
            self.reports.request_stop()
        for drainer in self.drainers:
            drainer.request_stop()
        posting_ends = time.monotonic() + 5
        for drainer in self.drainers:
            drainer.finish(grace=timedelta(seconds=posting_ends - time.monotonic()))
        # A sweep in hand finishes before the engine goes: a connection it held would be
        # checked in to a disposed pool and left open.
        for sweep in (self.sweeper, self.timers, self.reports):
            if sweep is not None:
                sweep.finish(grace=timedelta(seconds=max(1.0, posting_ends - time.monotonic())))
        if self.event_inbox is not None:
            self.event_inbox.close()
        self.engine.dispose()
        if self.request_engine is not None:
            self.request_engine.dispose()


def build_product(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    agent: Agent | None = None,
    token_verification: bool = True,
    worker_interval: float = 1.0,
    inbox_workers: int | None = None,
    pacing_share: float = 1.0,
) -> Product:
    """Everything the bot runs, wired once; tests pass a clock or an agent of their own.
    `pacing_share`: this process's part of each workspace's Slack budgets (1/N of N workers)."""
    engine = make_engine(settings.database_url)
    request_engine = make_request_path_engine(engine)
    sessions = make_session_factory(engine)
    books: list[PolicyBook] = []

    def first_start() -> None:  # idempotent; under the migration's lock
        books.append(active_policy_book(sessions, clock=clock))
        if settings.shop == "demo" and not settings.shop_api_url:
            seed_demo_store_if_empty(sessions, now=clock())

    revisions = upgrade_schema(engine, then=first_start)
    if revisions.before != revisions.after:  # alembic's own lines are kept quiet (WARNING)
        log.info("%s", revisions.describe(engine.url.render_as_string(hide_password=True)))
    (book,) = books
    shop = build_shop(settings, engine, clock=clock)
    workspace_settings = WorkspaceSettingsCache()
    policy_books = WorkspaceBooks(sessions, default=book, cache=workspace_settings)
    processor = TurnProcessor(
        sessions=sessions,
        shop=shop,
        agent=agent or build_agent(settings, book),
        book=book,
        clock=clock,
        currency=settings.currency,
        books=policy_books,
        shops=WorkspaceShops(
            sessions,
            default=shop,
            clock=clock,
            timeout=settings.shop_api_timeout,
            cache=workspace_settings,
            private_addresses=settings.shop_private_addresses == "allow",
        ),
    )
    tokens = workspace_tokens(settings, engine)
    installed = tokens if isinstance(tokens, InstalledTokens) else None
    # the sweeps skip a workspace the app was uninstalled from (one token: none is)
    installed_in = installed.installed if installed else None
    # OAuth mode: the App's client has no token of its own (each request gets its workspace's
    # from `authorize`); the install flow exchanges codes through it, at SLACK_API_URL.
    client = make_web_client(
        token=None if installed else settings.slack_bot_token, base_url=settings.slack_api_url
    )
    clients = SlackClients(
        tokens,
        base_url=settings.slack_api_url,
        pacer=(
            SlackPacer(share=pacing_share, shared=SqlSharedRests(sessions))
            if settings.paces_slack()
            else None
        ),
    )
    senders = WorkspaceSenders(clients)
    drainers = [
        OutboxDrainer(sessions=sessions, senders=senders, clock=clock, interval=worker_interval)
        for _ in range(settings.outbox_workers)
    ]

    def wake_drainers() -> None:
        for drainer in drainers:
            drainer.wake()

    # Several turns run at once (a model call mostly waits); each conversation's turns still
    # run one at a time and in order (the inbox claims one event per conversation).
    settle = timedelta(seconds=settings.turn_settle_seconds)
    workers = [
        InboxWorker(
            sessions=sessions,
            processor=processor,
            read_event=route,
            clock=clock,
            on_output=wake_drainers,
            interval=worker_interval,
            settle=settle,
            workspace_settings=workspace_settings,
            shared_channels=SlackSharedChannels(enterprise_of=lambda ws: enterprise_of(tokens, ws)),
        )
        for _ in range(max(1, inbox_workers or settings.turn_threads))
    ]

    def wake_inbox() -> None:
        for worker in workers:
            worker.wake()

    wake_inbox_when_settled = SettledWake(settle, wake_inbox) if settle else wake_inbox

    event_inbox = SqlEventInbox(engine=request_engine, clock=clock, wake=wake_inbox_when_settled)
    with _without_bolts_unused_token_warning():
        app = build_slack_app(
            signing_secret=settings.slack_signing_secret,
            client=client,
            inbox=event_inbox,
            desk=HandoffDesk(sessions=sessions, clock=clock),
            admin_commands=AdminCommands(
                sessions=sessions,
                book=book,
                processor=processor,
                clock=clock,
                books=policy_books,
                private_shops=settings.shop_private_addresses == "allow",
            ),
            home_desk=HomeDesk(sessions=sessions, clock=clock),
            token_verification=token_verification,
            **({} if installed is None else oauth_app_parts(settings, engine, installed)),
        )
    sweeper = RetentionSweeper(
        sessions=sessions, clock=clock, keep=timedelta(days=settings.retention_days)
    )
    return Product(
        app,
        client,
        engine,
        sessions,
        processor,
        workers,
        drainers,
        sweeper,
        wake_on_new_event=wake_inbox_when_settled,
        wake_on_new_post=wake_drainers,
        event_inbox=event_inbox,
        workspace_settings=workspace_settings,
        request_engine=request_engine if request_engine is not engine else None,
        timers=HandoffTimers(
            sessions=sessions,
            clock=clock,
            interval=worker_interval,
            on_output=wake_drainers,
            rosters=WorkspaceRosters(clients, clock=lambda: clock().timestamp()),
            installed=installed_in,
        ),
        tokens=tokens,
        reports=WeeklyReports(
            sessions=sessions,
            # a client that never retries by itself: a share answered 500 must not be made twice
            uploaders=WorkspaceUploaders(clients),
            clock=clock,
            interval=worker_interval,
            on_output=wake_drainers,
            installed=installed_in,
        ),
    )


def oauth_app_parts(settings: Settings, engine: Engine, tokens: InstalledTokens) -> dict[str, Any]:
    """The OAuth App's authorize (each workspace's stored bot), install flow and uninstall."""

    def forget(team: str) -> int:
        bots = tokens.installations.forget(team)
        tokens.forget(team)
        return bots

    return {
        "authorize": InstalledAuthorize(tokens),
        "oauth_flow": install_flow(
            engine=engine,
            client_id=settings.slack_client_id or "",
            client_secret=settings.slack_client_secret or "",
            redirect_uri=settings.slack_redirect_uri,
            installed=tokens.forget,  # a reinstall's new token is read at once
        ),
        "forget": forget,
    }


def enterprise_of(tokens: WorkspaceTokens, workspace_id: str) -> str | None:
    """The Enterprise Grid organisation of an installed workspace (none with one token)."""
    if not isinstance(tokens, InstalledTokens):
        return None
    try:
        return tokens.bot(workspace_id).enterprise_id
    except (NotInstalled, TokenUnavailable):
        return None


def workspace_tokens(settings: Settings, engine: Engine) -> WorkspaceTokens:
    """SLACK_BOT_TOKEN's one workspace, or (SLACK_CLIENT_ID set) each installed workspace's
    own token from the database, renewed through SLACK_API_URL's oauth.v2.access."""
    if settings.slack_mode() == "token" or not settings.slack_client_id:
        return OneWorkspaceToken(settings.slack_bot_token)
    rotator = TokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret or "",
        client=make_web_client(token=None, base_url=settings.slack_api_url),
    )
    installations = SqlInstallations(engine, client_id=settings.slack_client_id)
    return InstalledTokens(installations, rotator=rotator)


def serve(settings: Settings, *, host: str, port: int, workers: int | None = None) -> None:
    """`escalation-bot serve`: Socket Mode with SLACK_APP_TOKEN, else HTTP on /slack/events.

    This process only verifies, stores and acks; turns and posts run in `workers` worker
    processes it starts and stops (None: `default_worker_count`). With 0 it starts none: run
    `escalation-bot worker` processes elsewhere (several fronts, one pool of workers).

    Raises MissingSetting (a setting to fix: exit 2) or SlackUnreachable (exit 1) before it
    touches the database when the settings or Slack say it cannot work.
    """
    from handlers.slack.server import run_http, run_socket_mode  # noqa: PLC0415

    check_serve_settings(settings)
    check_slack(settings)
    if workers is None:
        workers = default_worker_count(sqlite=_is_sqlite(settings))
    # A deploy's SIGTERM: stop taking work, finish or give back what is in hand, then exit.
    signal.signal(signal.SIGTERM, _stop_serving)
    # check_slack has just asked Slack (auth.test): Bolt need not ask again before serving.
    with bolt_errors_in_one_line():
        product = build_product(settings, token_verification=False)
    processes = WorkerProcesses(workers) if workers else None
    try:
        if processes is not None:
            processes.start()
        else:
            log.info(
                "--workers 0: no turns run here; events wait in the database for the "
                "`escalation-bot worker` processes that share it"
            )
        if settings.slack_app_token:
            try:
                run_socket_mode(
                    product.app, app_token=settings.slack_app_token, threads=settings.http_threads
                )
            except SlackApiError as error:  # raised only while connecting
                raise slack_refusal(error, "SLACK_APP_TOKEN") from None
            except OSError as error:
                raise SlackUnreachable(unreachable(settings, error)) from None
        else:
            try:
                run_http(
                    product.app,
                    host=host,
                    port=port,
                    signing_secret=settings.slack_signing_secret or "",
                    threads=settings.http_threads,
                )
            except OSError as error:  # waitress binds before it serves: a port taken, a bad host
                raise CannotListen(
                    f"cannot listen on {host}:{port}: {error.strerror or error}"
                ) from None
    finally:
        log.info("stopping: finishing the work in hand, giving back the rest")
        if processes is not None:
            processes.stop()
        product.stop()
        log.info("stopped")


SLACK_SETUP = 'see the README, "Running it in Slack"'


def check_serve_settings(settings: Settings) -> None:
    """The settings `serve` needs, each problem in one line (MissingSetting)."""
    if settings.slack_mode() == "oauth":
        check_oauth_settings(settings)
        if not settings.slack_signing_secret:
            raise MissingSetting(
                "set SLACK_SIGNING_SECRET (Basic Information, App Credentials): with "
                f"SLACK_CLIENT_ID, Slack reaches the bot over HTTP; {SLACK_SETUP}"
            )
        if not (settings.shop_api_url or settings.shop == "demo"):
            raise ShopNotConfigured(NO_SHOP)
        return
    missing = []
    if not settings.slack_bot_token:
        missing.append("SLACK_BOT_TOKEN (xoxb-...)")
    if not (settings.slack_app_token or settings.slack_signing_secret):
        missing.append(
            "SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
        )
    problem = settings.slack_token_problem()  # first: a token in the wrong place is not missing
    if problem is not None:
        raise MissingSetting(f"{problem}; {SLACK_SETUP}")
    if missing:
        raise MissingSetting(f"set {' and '.join(missing)}; {SLACK_SETUP}")
    if not (settings.shop_api_url or settings.shop == "demo"):
        raise ShopNotConfigured(NO_SHOP)


def check_oauth_settings(settings: Settings) -> None:
    """OAuth mode's settings (SLACK_CLIENT_ID set), each problem in one line. A bot token set
    as well is refused: each workspace's own comes from its install, and one token for all
    would act in the wrong workspace."""
    problem = settings.slack_oauth_problem()
    if problem is not None:
        raise MissingSetting(f"{problem}; {SLACK_SETUP}")
    if settings.slack_bot_token:
        raise MissingSetting(
            "SLACK_BOT_TOKEN is set with SLACK_CLIENT_ID: with SLACK_CLIENT_ID each workspace's "
            "token comes from installing the app there (/slack/install); unset SLACK_BOT_TOKEN, "
            f"or unset SLACK_CLIENT_ID to serve its one workspace; {SLACK_SETUP}"
        )
    if settings.slack_state_secret:
        log.info(
            "SLACK_STATE_SECRET is not used: an install's state is a random value kept in the "
            "database for 10 minutes and tied to the installer's browser by a cookie"
        )


class SlackUnreachable(RuntimeError):
    """Slack's Web API did not answer (or not as Slack): the network or SLACK_API_URL."""


class CannotListen(RuntimeError):
    """HTTP mode cannot listen on --host/--port."""


# Slack's answers to a token it will not take: the setting must change.
_REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "invalid_token",
    }
)


# The check's own client logs here, and nowhere: the SDK logs a failed request as an error
# before raising it, and check_slack reports that failure itself, in one line.
_SLACK_CHECK_LOG = logging.getLogger(f"{__name__}.slack_check")
_SLACK_CHECK_LOG.propagate = False
_SLACK_CHECK_LOG.addHandler(logging.NullHandler())


def check_slack(settings: Settings) -> None:
    """One `auth.test` with SLACK_BOT_TOKEN before anything starts (OAuth mode, which has no
    token of its own: `api.test`): an unreachable Slack raises SlackUnreachable, a refused
    token MissingSetting, each with one line.

    A 429, a 500/503 or a reset connection is retried as every other call of the bot's is
    (make_web_client): a moment's trouble at Slack does not stop a start."""
    oauth = settings.slack_mode() == "oauth"
    client = WebClient(
        token=None if oauth else settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_SLACK_API_URL,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
        logger=_SLACK_CHECK_LOG,
    )
    try:
        if oauth:
            client.api_test()
        else:
            client.auth_test()
    except SlackApiError as error:
        raise slack_refusal(error, "SLACK_BOT_TOKEN") from None
    except OSError as error:  # URLError (refused, DNS), timeouts, resets
        raise SlackUnreachable(unreachable(settings, error)) from None
    if oauth:
        check_client_credentials(client, settings)


# A code no consent page gave: Slack checks the app's credentials before the code, so the
# answer says whether SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are the app's.
_NO_CODE = "escalation-bot-start-check"
_CREDENTIAL_ERRORS = {
    "invalid_client_id": "SLACK_CLIENT_ID",
    "bad_client_secret": "SLACK_CLIENT_SECRET",
}


def check_client_credentials(client: WebClient, settings: Settings) -> None:
    """OAuth mode: one `oauth.v2.access` with a code that is none, at start. A refused client
    id or secret is a setting to fix (else every install fails, its page blaming the code)."""
    try:
        client.oauth_v2_access(
            client_id=settings.slack_client_id or "",
            client_secret=settings.slack_client_secret or "",
            code=_NO_CODE,
        )
    except SlackApiError as error:
        data = error.response.data if isinstance(error.response.data, dict) else {}
        setting = _CREDENTIAL_ERRORS.get(str(data.get("error") or ""))
        if setting is not None:
            raise MissingSetting(
                f"Slack refused {setting} ({data.get('error')}): copy it from Basic "
                f"Information, App Credentials; {SLACK_SETUP}"
            ) from None
        # invalid_code (the credentials are good) or anything else: the install will say
    except OSError as error:
        raise SlackUnreachable(unreachable(settings, error)) from None


# Slack's own errors for trouble on its side (answered with HTTP 200).
_SLACK_FAILING = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# slack_sdk's error for an answer that is not JSON: a web page (a proxy's, a wrong URL's).
_NOT_JSON = "Received a response in a non-JSON format"


def slack_refusal(error: SlackApiError, setting: str) -> MissingSetting | SlackUnreachable:
    """A bad token is a setting to fix; Slack busy or failing is a moment to wait; any other
    answer means SLACK_API_URL is not Slack's Web API. One line each, never a page's body."""
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    where = response.api_url.rsplit("/", 1)[0] + "/"
    if code.startswith(_NOT_JSON) or not isinstance(response.data, dict):
        return SlackUnreachable(
            f"Slack at {where} answered HTTP {status} with a web page, not Slack's Web API: "
            "check SLACK_API_URL and any proxy between here and Slack"
        )
    if status == 429 or code == "ratelimited":
        return SlackUnreachable(f"Slack at {where} is busy or failing (rate limited): try again")
    if status >= 500 or code in _SLACK_FAILING:
        return SlackUnreachable(f"Slack at {where} is busy or failing (HTTP {status}): try again")
    if code in _REFUSED_TOKEN_ERRORS:
        return MissingSetting(f"Slack refused {setting} ({code}); {SLACK_SETUP}")
    return SlackUnreachable(
        f"Slack at {where} answered {code or f'HTTP {status}'}: check SLACK_API_URL, "
        "or try again later"
    )


@contextmanager
def bolt_errors_in_one_line() -> Iterator[None]:
    """Bolt's BoltError (its own auth.test refused, a Slack app it cannot build) raised as
    MissingSetting (exit 2) or SlackUnreachable (exit 1): one line, never a traceback."""
    try:
        yield
    except BoltError as error:
        raise bolt_failure(error) from None


def bolt_failure(error: BoltError) -> MissingSetting | SlackUnreachable:
    """Bolt's BoltError in one line: when it comes from Slack's answer to Bolt's own
    auth.test, read that answer as check_slack does (a refused token, Slack failing)."""
    answer = error.__context__
    if isinstance(answer, SlackApiError):
        return slack_refusal(answer, "SLACK_BOT_TOKEN")
    said = str(error).strip()
    first = said.splitlines()[0] if said else type(error).__name__
    return MissingSetting(f"the Slack app could not start: {first}; {SLACK_SETUP}")


def unreachable(settings: Settings, error: OSError) -> str:
    reason = getattr(error, "reason", None) or error.strerror or error
    where = settings.slack_api_url or DEFAULT_SLACK_API_URL
    hint = "check SLACK_API_URL and the network" if settings.slack_api_url else "check the network"
    return f"cannot reach Slack at {where} ({reason}): {hint}"


class DatabaseTooNew(RuntimeError):
    """The database's schema is at a revision this version of escalation-bot does not know:
    a later version migrated it. Upgrading escalation-bot is the fix, not retrying."""


def upgrade_schema(engine: Engine, *, then: Callable[[], None] | None = None) -> Revisions:
    """`db.migrate.upgrade` to the newest revision; a database a later version of the bot has
    migrated raises DatabaseTooNew with one line naming both revisions."""
    from alembic.util import CommandError  # noqa: PLC0415

    try:
        return upgrade(engine, then=then)
    except CommandError as error:
        problem = _newer_revision(engine)
        if problem is None:
            raise
        raise DatabaseTooNew(problem) from error


def _newer_revision(engine: Engine) -> str | None:
    """One line when the database is stamped with a revision our migrations do not have."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [revision for revision in current if revision not in known]
    if not unknown:
        return None
    return (
        f"the database is at revision {', '.join(unknown)}, newer than this version of "
        f"escalation-bot knows (latest {scripts.get_current_head()}): upgrade escalation-bot"
    )


def _is_sqlite(settings: Settings) -> bool:
    return make_url(settings.database_url).get_backend_name() == "sqlite"


def run_worker(
    settings: Settings, *, parent: int | None = None, nice: int = 0, one_of: int = 1
) -> None:
    """`escalation-bot worker`: turns and posts, no HTTP; any number, on any host that
    reaches the database. Woken by PostgreSQL's notifications, else by a short poll."""
    if settings.slack_mode() == "oauth":
        check_oauth_settings(settings)
    elif not settings.slack_bot_token:
        raise MissingSetting(f"set SLACK_BOT_TOKEN (xoxb-...); {SLACK_SETUP}")
    problem = settings.slack_token_problem()
    if problem is not None:
        raise MissingSetting(f"{problem}; {SLACK_SETUP}")
    if not (settings.shop_api_url or settings.shop == "demo"):
        raise ShopNotConfigured(NO_SHOP)
    check_slack(settings)
    if nice:
        lower_priority(nice)
    from bot.workers.wakeups import PostgresWakeups  # noqa: PLC0415 - psycopg, PostgreSQL only

    postgres = not _is_sqlite(settings)
    signal.signal(signal.SIGTERM, _stop_serving)
    product: Product | None = None
    wakeups: PostgresWakeups | None = None
    try:
        with bolt_errors_in_one_line():  # check_slack has asked Slack: Bolt need not
            product = build_product(
                settings,
                token_verification=False,
                worker_interval=1.0 if postgres else 0.2,
                pacing_share=1 / max(1, one_of),
            )
        if postgres:
            wakeups = PostgresWakeups(
                settings.database_url,
                on_inbox=product.wake_on_new_event,
                on_outbox=product.wake_on_new_post,
                on_settings=product.workspace_settings.changed,
                on_hearing=product.workspace_settings.hearing,
            )
        product.start_workers()
        if wakeups is not None:
            wakeups.start()
        log.info("worker %s taking turns", os.getpid())
        while not parent_gone(parent):
            time.sleep(1.0)
        log.warning("the process that started this worker is gone: stopping")
    finally:
        if wakeups is not None:
            wakeups.stop()
        if product is not None:
            product.stop()
        log.info("worker %s stopped", os.getpid())


def lower_priority(nice: int) -> None:
    """Lower this process's CPU priority. Linux schedules each session (autogroup) as one
    and applies a process's niceness only within its session: a worker that leads a session
    of its own (as `serve` starts them) lowers its session's too, where the kernel has
    autogroups; one started in someone's terminal session leaves that session alone."""
    os.nice(nice)
    if os.getsid(0) != os.getpid():
        return
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(nice))
    except OSError:
        pass  # no autogroups here: the process's niceness is what counts


class _BoltsUnusedTokenWarning(logging.Filter):
    """Drops the one warning Bolt's App gives when it is handed a `client` and finds
    SLACK_BOT_TOKEN in the environment too ("`token` will be unused"); every other record
    passes. Bolt reads that variable whenever it is given no `token`, and has no parameter
    that stops it; our client always carries the token the bot uses (from the settings,
    which read that variable themselves, stripped of a pasted space; or the console's own
    local one), so the warning says nothing a deployer could act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


@contextmanager
def _without_bolts_unused_token_warning() -> Iterator[None]:
    """While our App is built (Bolt warns only in App.__init__), and only then."""
    bolt = logging.getLogger("slack_bolt.App")  # get_bolt_logger(App)'s name
    dropped = _BoltsUnusedTokenWarning()
    bolt.addFilter(dropped)
    try:
        yield
    finally:
        bolt.removeFilter(dropped)


class SettledWake:
    """Wakes the inbox workers once new events have settled, with one timer at a time however
    many arrive: events that arrive while it runs get one more round."""

    def __init__(self, settle: timedelta, wake: Callable[[], None]) -> None:
        self.settle = settle.total_seconds() + 0.01
        self.wake = wake
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._again = False

    def __call__(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._again = True
                return
            self._start()

    def _start(self) -> None:
        self._timer = threading.Timer(self.settle, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.wake()
        with self._lock:
            self._timer = None
            if self._again:
                self._again = False
                self._start()


class StopServing(Exception):
    """SIGTERM arrived: serve's blocking loop ends and the product stops in order."""


_stopping = threading.Event()


def _stop_serving(signum: int, frame: object) -> None:
    # Only the first signal interrupts: a second one (a process group's SIGTERM, then the
    # front's) must not cut short the orderly stop that the first began.
    if not _stopping.is_set():
        _stopping.set()
        raise StopServing


class ShopNotConfigured(MissingSetting):
    pass


NO_SHOP = (
    "no shop is configured: set SHOP_API_URL (and SHOP_API_TOKEN) to your shop's API "
    "(docs/shop-api.yaml), or SHOP=demo to try the bot on the demo shop"
)


def build_shop(settings: Settings, engine: Engine, *, clock: Callable[[], datetime]) -> Shop:
    """The shop's own API when SHOP_API_URL is set; the demo shop only when asked (SHOP=demo)."""
    if settings.shop_api_url:
        return HttpShop(
            base_url=settings.shop_api_url,
            token=settings.shop_api_token,
            clock=clock,
            timeout=settings.shop_api_timeout,
        )
    if settings.shop == "demo":
        # filled at first start (build_product)
        return DatabaseShop(
            make_session_factory(engine), clock=clock, reads=make_read_session_factory(engine)
        )
    raise ShopNotConfigured(NO_SHOP)


def seed_demo_store_if_empty(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """With SHOP=demo, an empty store gets the demo shop's customers and orders, dated back
    from `now` (they age from then on)."""
    with SqlUnitOfWork(sessions) as uow:
        if uow.shop.has_customers():
            return
        uow.shop.load(DEMO_CUSTOMERS, DEMO_ORDERS, now=now)
        uow.commit()
    log.info("empty store: loaded the demo shop's customers and orders")


def active_policy_book(
    sessions: sessionmaker[Session], *, clock: Callable[[], datetime]
) -> PolicyBook:
    """The shipped default book, which every workspace that chose none uses (each workspace's
    own are read per turn: WorkspaceBooks). It is the file the bot ships, not a stored copy."""
    return default_policy_book()

"""Workspace settings kept between turns by a worker process, for as long as it can hear when
they change: PostgreSQL notifies every save (`SETTINGS_NOTICE`), and the process forgets what
it kept. Without notifications (SQLite, or the listener down) every read goes to the database.
Kept settings are read again after `keep_for` seconds all the same: a listening connection
whose link died without a word is only noticed by its keepalives, a minute later."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

from bot.policies import PolicyBookError, book_from_document
from bot.shop.addresses import PublicAddressesOnly
from bot.shop.http import HttpShop
from bot.shop.port import Shop
from db.repositories import WorkspaceSettings
from db.store import ShopConnection
from db.uow import SqlUnitOfWork
from escalation.policy import PolicyBook

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkspaceSettingsCache:
    def __init__(
        self, *, keep_for: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.keep_for = keep_for
        self.clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, dict[str, tuple[object, float]]] = {}
        self._changes = 0  # a read that began before a change must not keep what it read
        self._hearing = False

    def read(
        self, workspace_id: str, load: Callable[[str], WorkspaceSettings]
    ) -> WorkspaceSettings:
        """The workspace's settings: kept ones while changes are heard, else `load`ed."""
        return self.kept(workspace_id, load, kind="settings")

    def kept(self, workspace_id: str, load: Callable[[str], T], *, kind: str) -> T:
        """Anything of the workspace's that changes with its settings (its policy book, ...),
        kept by `kind` and forgotten with them."""
        with self._lock:
            kept = self._kept.get(workspace_id, {}).get(kind)
            if self._hearing and kept is not None and kept[1] > self.clock():
                return cast(T, kept[0])
            changes, hearing = self._changes, self._hearing
        value = load(workspace_id)
        with self._lock:
            if hearing and self._hearing and changes == self._changes:
                kinds = self._kept.setdefault(workspace_id, {})
                kinds[kind] = (value, self.clock() + self.keep_for)
        return value

    def changed(self, workspace_id: str = "") -> None:
        """A workspace's settings were saved (all workspaces' when `workspace_id` is empty)."""
        with self._lock:
            self._changes += 1
            if workspace_id:
                self._kept.pop(workspace_id, None)
            else:
                self._kept.clear()

    def hearing(self, heard: bool) -> None:
        """Changes are (or are no longer) heard: either way, nothing kept is trusted."""
        with self._lock:
            self._hearing = heard
            self._changes += 1
            self._kept.clear()


class WorkspaceBooks:
    """The policy book each workspace's turns are decided against: the one it chose with
    `/escalation policy use`, else `default` (the shipped book).

    Read every turn, so: while the settings' changes are heard (PostgreSQL), a workspace's
    book is kept in `cache` and forgotten when the workspace's settings or books change
    (`policy use` and uploads notify as a settings save does); otherwise each read asks the
    database which book and which revision it is (one small query) and the parsed book is
    taken from the books kept parsed here by (id, revision): a document is parsed once per
    process and upload."""

    KEEP_PARSED = 64

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        default: PolicyBook,
        cache: WorkspaceSettingsCache | None = None,
    ) -> None:
        self.sessions = sessions
        self.default = default
        self.cache = cache or WorkspaceSettingsCache()
        self._lock = threading.Lock()
        self._parsed: OrderedDict[tuple[int, int], PolicyBook] = OrderedDict()

    def __call__(self, workspace_id: str) -> PolicyBook:
        return self.cache.kept(workspace_id, self._load, kind="policy_book")

    def _load(self, workspace_id: str) -> PolicyBook:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            chosen = uow.policy_books.chosen(workspace_id)
            if chosen is None:
                return self.default
            key = (chosen.id, chosen.revision)
            with self._lock:
                parsed = self._parsed.get(key)
                if parsed is not None:
                    self._parsed.move_to_end(key)
                    return parsed
            document = uow.policy_books.document(workspace_id, chosen.id)
        try:
            parsed = book_from_document(document, source=f"policy book {chosen.name!r}")
        except PolicyBookError:
            # Checked at upload with this loader: only a later, stricter loader gets here. The
            # turn must still be answered; the log says which book to upload again.
            log.exception("workspace %s: its policy book cannot be read", workspace_id)
            return self.default
        with self._lock:
            self._parsed[key] = parsed
            while len(self._parsed) > self.KEEP_PARSED:
                self._parsed.popitem(last=False)
        return parsed


class WorkspaceShops:
    """The shop each workspace's turns call: its own API when its admins set one (`/escalation
    shop`), else `default` (SHOP_API_URL, or the demo shop). Which connection a workspace has
    is kept with its settings (forgotten on their notification); one HTTP client is kept per
    connection (url and token), so its connections are reused turn after turn."""

    KEEP_CLIENTS = 64

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        default: Shop,
        clock: Callable[[], datetime],
        timeout: float = 10.0,
        cache: WorkspaceSettingsCache | None = None,
        private_addresses: bool = False,
    ) -> None:
        """`private_addresses`: a workspace's shop may be on a private or local address (else
        each of its requests is refused there: bot/shop/addresses.py)."""
        self.sessions = sessions
        self.default = default
        self.private_addresses = private_addresses
        self.clock = clock
        self.timeout = timeout
        self.cache = cache or WorkspaceSettingsCache()
        self._lock = threading.Lock()
        self._clients: OrderedDict[ShopConnection, HttpShop] = OrderedDict()

    def __call__(self, workspace_id: str) -> Shop:
        connection = self.cache.kept(workspace_id, self._load, kind="shop")
        if connection is None:
            return self.default
        with self._lock:
            client = self._clients.get(connection)
            if client is None:
                client = HttpShop(
                    base_url=connection.api_url,
                    token=connection.api_token,
                    clock=self.clock,
                    timeout=self.timeout,
                    transport=None if self.private_addresses else PublicAddressesOnly(),
                )
                self._clients[connection] = client
                while len(self._clients) > self.KEEP_CLIENTS:
                    # a turn may still hold the oldest: it is left to the garbage collector
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(connection)
            return client

    def _load(self, workspace_id: str) -> ShopConnection | None:
        with SqlUnitOfWork(self.sessions, read_only=True) as uow:
            return uow.shops.get(workspace_id)

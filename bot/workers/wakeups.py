"""Wake-ups across processes: PostgreSQL's LISTEN/NOTIFY tells worker processes that an event
was stored or a post written (the repositories NOTIFY in the writing transaction, so a wake-up
never arrives before the row is visible). Workers still poll, slowly, as the fallback, and on
SQLite, which has no notifications."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from db.repositories import INBOX_NOTICE, OUTBOX_NOTICE, SETTINGS_NOTICE

log = logging.getLogger(__name__)

RECONNECT_AFTER = 2.0  # seconds, after the listening connection failed


class PostgresWakeups:
    """A thread listening for the inbox's, the outbox's and the settings' notifications.

    `on_settings` gets the workspace whose settings were saved ("" for all: after a
    reconnection, changes may have been missed); `on_hearing` learns whether notifications are
    being heard at all.
    """

    def __init__(
        self,
        database_url: str,
        *,
        on_inbox: Callable[[], None],
        on_outbox: Callable[[], None],
        on_settings: Callable[[str], None] = lambda workspace_id: None,
        on_hearing: Callable[[bool], None] = lambda heard: None,
    ) -> None:
        self.conninfo = listening_conninfo(database_url)
        self.handlers: dict[str, Callable[[str], None]] = {
            INBOX_NOTICE: lambda payload: on_inbox(),
            OUTBOX_NOTICE: lambda payload: on_outbox(),
            SETTINGS_NOTICE: on_settings,
        }
        self.on_hearing = on_hearing
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-wakeups", daemon=True)
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as error:
                if self.listening.is_set():  # once per outage; the text may hold the password
                    log.warning(
                        "listening for wake-ups failed (%s); polling until it is back",
                        type(error).__name__,
                    )
                self.listening.clear()
                self.on_hearing(False)
                self._stop.wait(RECONNECT_AFTER)
        self.listening.clear()
        self.on_hearing(False)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            for channel in self.handlers:
                connection.execute(f"LISTEN {channel}")
            self.listening.set()
            self.on_hearing(True)
            # Everything stored (or changed) before LISTEN took effect is found by the first
            # claim (or read).
            self._wake_all()
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    handler = self.handlers.get(notice.channel)
                    if handler is not None:
                        handler(notice.payload)

    def _wake_all(self) -> None:
        for handler in self.handlers.values():
            handler("")


def listening_conninfo(database_url: str) -> str:
    """psycopg's connection string for a SQLAlchemy URL (quoted properly), with TCP
    keepalives so a half-open link is noticed and the listener reconnects."""
    url = make_url(database_url)
    parts = url.translate_connect_args(username="user", database="dbname")
    return make_conninfo(
        **{key: str(value) for key, value in {**parts, **url.query}.items()},
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )

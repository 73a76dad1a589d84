"""Engines and sessions. Nothing is created at import time: callers pass the URL in.

SQLite runs in WAL mode with one writer at a time (every transaction starts with
BEGIN IMMEDIATE, so a read-then-write cannot interleave with another writer); PostgreSQL
uses row locks (FOR UPDATE, SKIP LOCKED) instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url` (sqlite:///file.db or postgresql+psycopg://...)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options
        )
        _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def make_request_path_engine(engine: Engine) -> Engine:
    """An engine for one-statement writes on the request path (an event stored before its
    ack). On PostgreSQL: autocommit (no BEGIN and COMMIT round trips) and no ping before each
    use (a round trip as costly as the write); the caller retries once on a connection found
    dead. SQLite: `engine` itself (one writer at a time, no round trips)."""
    if not is_postgresql(engine):
        return engine
    return create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for independent reads (a lookup, then done). On PostgreSQL in autocommit: no
    BEGIN and ROLLBACK round trips around a single SELECT. SQLite: ordinary sessions."""
    if not is_postgresql(engine):
        return make_session_factory(engine)
    return make_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))

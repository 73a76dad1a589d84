"""Schema migrations, run from code (`escalation-bot db upgrade`, and at start-up).

Several processes upgrading at once are serialised: on PostgreSQL by an advisory lock held for
the whole upgrade; on SQLite by an OS file lock beside the database file.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

import migrations
from db.engine import is_postgresql

# Any constant shared by all bot processes; it names the lock, nothing else.
MIGRATION_LOCK_KEY = 7_204_311_801


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


@dataclass(frozen=True)
class Revisions:
    """The schema's revision before and after a run (None: no schema at all)."""

    before: str | None
    after: str | None

    def describe(self, where: str) -> str:
        """What the run did, in one line: created, upgraded from X to Y, or already up to date."""
        if self.before == self.after:
            return f"the database at {where} is already up to date (revision {self.after})"
        if self.before is None:
            return f"created the database schema at {where} (revision {self.after})"
        return f"upgraded the database at {where} from revision {self.before} to {self.after}"


def upgrade(
    engine: Engine, revision: str = "head", *, then: Callable[[], None] | None = None
) -> Revisions:
    """Bring the schema to `revision` (default: the newest), then run `then` (what a first start
    writes) under the same lock, so processes starting together do it one after the other.
    Returns the revisions before and after, read under that lock."""
    return _run(engine, lambda config: command.upgrade(config, revision), then=then)


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (alembic's autogenerate finds a diff)."""
    _run(engine, command.check)


def _run(
    engine: Engine, action: Callable[[Config], None], *, then: Callable[[], None] | None = None
) -> Revisions:
    with _sqlite_file_lock(engine):
        return _run_locked(engine, action, then=then)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """On SQLite, an OS lock on a file beside the database: processes starting together (each
    reading the schema's version, then altering it) upgrade one after the other. A transaction
    alone did not hold: two processes once both added revision 0002's column."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _run_locked(
    engine: Engine, action: Callable[[Config], None], *, then: Callable[[], None] | None
) -> Revisions:
    config = alembic_config(engine)
    with engine.connect() as connection:
        if is_postgresql(engine):
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            before = _current_revision(connection)
            connection.commit()  # end the read's transaction: alembic begins its own
            config.attributes["connection"] = connection
            action(config)
            connection.commit()
            after = _current_revision(connection)
            connection.commit()
            if then is not None:
                then()
            return Revisions(before, after)
        finally:
            if is_postgresql(engine):
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()

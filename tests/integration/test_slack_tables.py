"""The tables of slack_sdk's SQL installation and OAuth state stores, made by migration 0012.

db/models.py and the migration declare them literally (db/ may not import slack_sdk), so these
tests hold them to the installed slack_sdk: column by column against its own table builders (a
library upgrade that changes them fails here), and the real stores round-trip on the migrated
database without ever calling their `create_tables()`. SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Engine, MetaData, Table, func, inspect, select
from sqlalchemy.sql.schema import ColumnElementColumnDefault, ScalarElementColumnDefault

from db.engine import make_engine
from db.migrate import downgrade, upgrade
from db.models import Base

SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")

BUILDERS: dict[str, Callable[[MetaData, str], Table]] = {
    "slack_installations": SQLAlchemyInstallationStore.build_installations_table,
    "slack_bots": SQLAlchemyInstallationStore.build_bots_table,
    "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table,
}


def slack_sdk_table(name: str) -> Table:
    """The table as slack_sdk builds it, on a fresh MetaData (no naming convention)."""
    return BUILDERS[name](MetaData(), name)


def _column_facts(table: Table) -> list[tuple[Any, ...]]:
    return [
        (
            column.name,
            repr(column.type),
            column.nullable,
            column.primary_key,
            column.autoincrement,
            _default(column),
            column.server_default,
        )
        for column in table.columns
    ]


def _default(column: Column[Any]) -> str | None:
    """A Python-side default as what it is: a value, or the SQL function's name (func.now())."""
    default = column.default
    if default is None:
        return None
    if isinstance(default, ScalarElementColumnDefault):
        return repr(default.arg)
    if isinstance(default, ColumnElementColumnDefault):
        return f"sql:{default.arg}"
    return repr(default)


def _index_facts(table: Table) -> set[tuple[Any, ...]]:
    return {
        (index.name, tuple(column.name for column in index.columns), index.unique)
        for index in table.indexes
    }


@pytest.mark.parametrize("name", SLACK_TABLES)
def test_the_models_declare_slack_sdks_tables_exactly(name: str) -> None:
    ours, theirs = Base.metadata.tables[name], slack_sdk_table(name)
    assert _column_facts(ours) == _column_facts(theirs)
    assert _index_facts(ours) == _index_facts(theirs)
    assert [c.name for c in ours.primary_key] == [c.name for c in theirs.primary_key] == ["id"]
    assert not ours.foreign_keys
    assert not theirs.foreign_keys
    assert {type(c).__name__ for c in ours.constraints} == {
        type(c).__name__ for c in theirs.constraints
    }


def _reflected(engine: Engine, name: str) -> dict[str, Any]:
    inspector = inspect(engine)
    columns = [
        (
            column["name"],
            column["type"].compile(dialect=engine.dialect),
            column["nullable"],
            column.get("default"),
            column.get("autoincrement"),
        )
        for column in inspector.get_columns(name)
    ]
    indexes = {
        (index["name"], tuple(index["column_names"]), bool(index["unique"]))
        for index in inspector.get_indexes(name)
    }
    primary_key = inspector.get_pk_constraint(name)["constrained_columns"]
    return {"columns": columns, "indexes": indexes, "primary_key": primary_key}


@pytest.fixture
def created_by_slack_sdk(empty_database_url: str) -> Iterator[Engine]:
    """A database whose only tables are the ones slack_sdk's stores create themselves."""
    engine = make_engine(empty_database_url)
    SQLAlchemyInstallationStore(client_id="C", engine=engine).create_tables()
    SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine).create_tables()
    yield engine
    engine.dispose()


@pytest.mark.parametrize("name", SLACK_TABLES)
def test_the_migrated_tables_are_the_ones_slack_sdk_would_create(
    engine: Engine, created_by_slack_sdk: Engine, name: str
) -> None:
    migrated, theirs = _reflected(engine, name), _reflected(created_by_slack_sdk, name)
    assert migrated == theirs
    datetimes = [c for c in migrated["columns"] if "TIME" in c[1]]
    assert datetimes  # every table has one
    # Naive timestamps, as slack_sdk compares them (PostgreSQL: without time zone).
    assert {c[1] for c in datetimes} <= {"DATETIME", "TIMESTAMP WITHOUT TIME ZONE"}


def _count(engine: Engine, name: str) -> int:
    table = Base.metadata.tables[name]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _installation(team: str, token: str, *, installed_at: float, expires_at: int) -> Installation:
    return Installation(
        app_id="A0APP",
        enterprise_id=None,
        team_id=team,
        team_name=f"Team {team}",
        bot_token=token,
        bot_id=f"B{team}",
        bot_user_id=f"U{team}BOT",
        bot_scopes=["chat:write", "users:read"],
        bot_refresh_token=f"xoxe-1-{team}",
        bot_token_expires_at=expires_at,
        user_id=f"U{team}ADMIN",
        is_enterprise_install=False,
        token_type="bot",
        installed_at=installed_at,
    )


def test_the_installation_store_round_trips_on_the_migrated_database(engine: Engine) -> None:
    store = SQLAlchemyInstallationStore(client_id="111.222", engine=engine)
    store.create_tables = _never  # type: ignore[method-assign]  # Alembic owns the schema
    installed_at = time.time() - 60
    expires_at = int(time.time()) + 12 * 3600
    store.save(
        _installation("T1", "xoxe.xoxb-1-a", installed_at=installed_at, expires_at=expires_at)
    )
    store.save(_installation("T2", "xoxb-2", installed_at=installed_at, expires_at=expires_at))

    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert (bot.bot_token, bot.bot_id, bot.bot_user_id, bot.team_id) == (
        "xoxe.xoxb-1-a",
        "BT1",
        "UT1BOT",
        "T1",
    )
    assert bot.bot_scopes == ["chat:write", "users:read"]
    assert bot.bot_refresh_token == "xoxe-1-T1"
    # Naive UTC in the column, read back as UTC whatever the host's or the session's zone.
    assert bot.bot_token_expires_at == expires_at
    assert bot.installed_at == pytest.approx(installed_at, abs=1e-3)
    assert bot.is_enterprise_install is False

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.user_id, found.bot_token, found.team_name) == (
        "UT1ADMIN",
        "xoxe.xoxb-1-a",
        "Team T1",
    )
    assert found.bot_token_expires_at == expires_at

    # A rotated token saved with the same installed_at updates the row (slack_sdk finds it by
    # `installed_at ==`, which holds only if the column keeps the naive value it was given).
    store.save(
        _installation("T1", "xoxe.xoxb-1-b", installed_at=installed_at, expires_at=expires_at)
    )
    assert _count(engine, "slack_bots") == 2
    assert _count(engine, "slack_installations") == 2
    rotated = store.find_bot(enterprise_id=None, team_id="T1")
    assert rotated is not None
    assert rotated.bot_token == "xoxe.xoxb-1-b"

    store.delete_all(enterprise_id=None, team_id="T1")
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    other = store.find_bot(enterprise_id=None, team_id="T2")
    assert other is not None
    assert other.bot_token == "xoxb-2"
    assert _count(engine, "slack_bots") == 1

    # Another app's client id never sees these rows.
    stranger = SQLAlchemyInstallationStore(client_id="999.999", engine=engine)
    assert stranger.find_bot(enterprise_id=None, team_id="T2") is None


def _never() -> None:
    raise AssertionError("create_tables() called: the migrations own the schema")


def test_the_state_store_issues_and_consumes_once_on_the_migrated_database(
    engine: Engine,
) -> None:
    store = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    store.create_tables = _never  # type: ignore[method-assign]
    state = store.issue()
    table = Base.metadata.tables["slack_oauth_states"]
    with engine.connect() as connection:
        expire_at = connection.execute(
            select(table.c.expire_at).where(table.c.state == state)
        ).scalar_one()
    # Stored naive, in UTC: ten minutes from now.
    assert expire_at.tzinfo is None
    expected = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=600)
    assert abs(expire_at - expected) < timedelta(seconds=30)

    assert store.consume(state) is True
    assert store.consume(state) is False  # consumed: deleted
    assert store.consume("never-issued") is False
    assert _count(engine, "slack_oauth_states") == 0


def test_an_expired_state_is_refused(engine: Engine) -> None:
    expired = SQLAlchemyOAuthStateStore(expiration_seconds=-5, engine=engine)
    state = expired.issue()
    assert _count(engine, "slack_oauth_states") == 1
    fresh = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    assert fresh.consume(state) is False
    assert expired.consume(state) is False


def test_downgrading_below_0012_drops_the_slack_tables(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        assert set(SLACK_TABLES) <= set(inspect(engine).get_table_names())
        downgrade(engine, "0011")
        left = set(inspect(engine).get_table_names())
        assert not set(SLACK_TABLES) & left
        assert "workspaces" in left
        upgrade(engine)
        assert set(SLACK_TABLES) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

"""Real databases for integration tests: a SQLite file and the PostgreSQL server.

PostgreSQL comes from TEST_POSTGRES_URL (default: the server on 127.0.0.1:5432, trust auth).
Each test gets its own database, cloned from a migrated template. A missing server skips the
PostgreSQL half, or fails it when ESCALATION_BOT_REQUIRE_POSTGRES=1 (as `.ci/run` sets).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.composition import Product
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from tests.clock import Clock
from tests.integration.desk_product import SECRET, build_desk_product
from tests.integration.mock_slack import MockSlackAPI, SlackSender
from tests.integration.serving import serving

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL unreachable at {postgres_admin_url()}: {error.orig}"
        if os.environ.get("ESCALATION_BOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


def _url_for(database: str) -> str:
    return (
        make_url(postgres_admin_url()).set(database=database).render_as_string(hide_password=False)
    )


def _drop(admin: Engine, database: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: Engine) -> Iterator[str]:
    name = f"escbot_tmpl_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_url_for(name))
    upgrade(engine)
    engine.dispose()
    yield name
    _drop(postgres_admin, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _fresh_postgres(admin: Engine, template: str | None) -> str:
    name = f"escbot_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return name


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "bot.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = _fresh_postgres(admin, request.getfixturevalue("postgres_template"))
    yield _url_for(name)
    _drop(admin, name)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A database with no schema at all (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = _fresh_postgres(admin, None)
    yield _url_for(name)
    _drop(admin, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


# The desk's product and its Slack front (tests/integration/desk_product.py), for a module that
# defines `slack` and `clock`; a module with fixtures of these names uses its own.
@pytest.fixture
def product(database_url: str, slack: MockSlackAPI, clock: Clock) -> Iterator[Product]:
    built = build_desk_product(database_url=database_url, slack=slack, clock=clock)
    yield built
    built.stop()


@pytest.fixture
def sender(product: Product, slack: MockSlackAPI) -> Iterator[SlackSender]:
    with serving(product.app) as endpoint:
        yield SlackSender(endpoint, SECRET, response_url=f"{slack.url}respond")

"""`escalation-bot db upgrade` and the default SQLite file's settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db.engine import make_engine
from db.migrate import alembic_config, upgrade
from db.models import Base


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = shutil.which("escalation-bot", path=str(Path(sys.executable).parent))
    assert script is not None, "the console script is installed with the package"
    return subprocess.run(
        [script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


def test_db_upgrade_creates_the_default_sqlite_file_in_wal_mode(tmp_path: Path) -> None:
    done = run_cli("db", "upgrade", cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created the database schema at sqlite:///escalation-bot.db")
    database = tmp_path / "escalation-bot.db"
    assert database.exists()
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_db_upgrade_honours_database_url(database_url: str, tmp_path: Path) -> None:
    done = run_cli("db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "escalation-bot.db").exists()


def test_a_bad_database_url_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    done = run_cli(
        "db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": "nosuchdb://x"}
    )
    assert done.returncode == 2
    assert "bad DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_fails_with_status_1(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    done = run_cli("db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": url})
    assert done.returncode == 1
    assert "database upgrade failed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_sqlite_file_in_a_missing_folder_is_one_line_and_status_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'bot.db'}"
    done = run_cli("db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": url})
    assert done.returncode == 1
    assert done.stderr.startswith("escalation-bot: database upgrade failed:")
    assert "No such file or directory" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_db_upgrade_says_whether_it_created_upgraded_or_found_the_schema_up_to_date(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    newest = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    where = engine.url.render_as_string(hide_password=True)
    env = {**clean_env(), "DATABASE_URL": empty_database_url}

    created = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    again = run_cli("db", "upgrade", cwd=tmp_path, env=env)

    assert created.returncode == again.returncode == 0, created.stderr + again.stderr
    assert created.stdout == f"created the database schema at {where} (revision {newest})\n"
    assert again.stdout == f"the database at {where} is already up to date (revision {newest})\n"
    engine.dispose()


def test_db_upgrade_names_the_revisions_it_upgraded_between(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    try:
        newest = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert upgrade(engine, "0005").after == "0005"  # a database a release behind
        where = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    done = run_cli(
        "db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": empty_database_url}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"upgraded the database at {where} from revision 0005 to {newest}\n"


def test_a_database_newer_than_this_version_is_one_line_and_status_2(
    empty_database_url: str, tmp_path: Path
) -> None:
    """A later escalation-bot migrated it (revision 0099 is not among ours): no retry helps."""
    engine = make_engine(empty_database_url)
    try:
        newest = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    done = run_cli(
        "db", "upgrade", cwd=tmp_path, env={**clean_env(), "DATABASE_URL": empty_database_url}
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        "escalation-bot: the database is at revision 0099, newer than this version of "
        f"escalation-bot knows (latest {newest}): upgrade escalation-bot\n"
    )

"""The listener's connection string: quoted as psycopg needs, whatever the password holds."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from bot.workers.wakeups import listening_conninfo


def test_a_password_with_spaces_and_symbols_survives_and_options_are_kept() -> None:
    parts = conninfo_to_dict(
        listening_conninfo(
            "postgresql+psycopg://bot:p%40ss%20w%27x@db.internal:6432/esc?sslmode=require"
        )
    )
    assert parts["password"] == "p@ss w'x"
    assert (parts["host"], parts["port"], parts["dbname"], parts["user"]) == (
        "db.internal",
        "6432",
        "esc",
        "bot",
    )
    assert parts["sslmode"] == "require"
    assert parts["keepalives"] == "1"

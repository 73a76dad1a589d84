"""What a start imports: the console with no ANTHROPIC_API_KEY never loads the Anthropic SDK
(about a second of every start) nor psycopg (PostgreSQL only); with a key, Claude is built."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def imported_by_a_console_start(tmp_path: Path, **settings: str) -> set[str]:
    """The modules `escalation-bot console` imported before `/quit` ended it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DATABASE_URL"))}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", "console"],
        input="/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no .env here
        env={**env, **settings},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }


def test_the_console_without_a_key_imports_neither_anthropic_nor_psycopg(tmp_path: Path) -> None:
    modules = imported_by_a_console_start(tmp_path)
    assert "bot.console.console" in modules  # it did start
    assert "escalation.signals" in modules
    assert not {m for m in modules if m.split(".")[0] in ("anthropic", "psycopg")}


def test_building_the_claude_agent_imports_the_sdk_then(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bot.composition import build_agent\n"
        "from bot.policies import book_from_document, default_policy_document\n"
        "from bot.settings import Settings\n"
        "assert 'anthropic' not in sys.modules\n"
        "book = book_from_document(default_policy_document(), source='default')\n"
        "settings = Settings(_env_file=None, ANTHROPIC_API_KEY='sk-test')\n"
        "agent = build_agent(settings, book, check=False)\n"
        "print(agent.name, 'anthropic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["claude", "True"]

"""The container files in the repository agree with the product: compose's commands are ones
the CLI accepts, every setting they name is one the bot reads, and the image holds every
package the project ships."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {field.alias for field in Settings.model_fields.values()}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_front_only_acks_and_the_workers_are_scalable_services() -> None:
    services = compose()["services"]
    front = build_parser().parse_args(services["front"]["command"])
    assert (front.command, front.workers, front.host) == ("serve", 0, "0.0.0.0")
    assert build_parser().parse_args(services["worker"]["command"]).command == "worker"
    assert "ports" not in services["worker"]  # scaled with --scale: no fixed port to clash


def test_every_setting_the_containers_are_given_is_one_the_bot_reads() -> None:
    services = compose()["services"]
    for name in ("front", "worker"):
        assert set(services[name]["environment"]) <= SETTINGS
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert named <= SETTINGS, named - SETTINGS
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SHOP"} <= named


def test_the_image_holds_every_package_the_project_ships() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
    assert shipped == copied

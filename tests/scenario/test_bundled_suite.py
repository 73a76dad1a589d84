"""The bundled scenario suite (scenarios/*.yaml) with the offline agent: every turn must pass,
on the demo store in the database and on the HTTP shop (a shop API on 127.0.0.1).

Each conversation runs through the production path (engine, offline agent, tools, database)
via `bot.evaluation.runner.ScenarioRunner`, as `escalation-bot eval` does. A failure lists every
failed turn with what was expected, what happened and any rule violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.offline import OfflineAgent
from bot.evaluation.runner import (
    FIXED_NOW,
    ScenarioResult,
    ScenarioRunner,
    ShopFactory,
    TurnResult,
    database_shop,
)
from bot.evaluation.scenarios import ScenarioFile, load_scenario_file
from bot.shop.http import HttpShop
from bot.shop.port import Shop
from tests.loopback_shop import TOKEN, LoopbackShop

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
MIN_SCENARIOS = 80
# An acknowledgement of the customer's frustration in a reply (DESIGN.md §1).
ACKNOWLEDGES = re.compile(r"\b(?:sorry|apologi[sz]e|frustrat\w*|understand)\b", re.I)


def _files() -> list[ScenarioFile]:
    return [load_scenario_file(path) for path in sorted(SCENARIO_DIR.glob("*.yaml"))]


@pytest.fixture(scope="module")
def files() -> list[ScenarioFile]:
    return _files()


@contextmanager
def http_shop(file: ScenarioFile, sessions: sessionmaker[Session]) -> Iterator[Shop]:
    """The file's store served by a shop API on 127.0.0.1, read through the real client."""
    with LoopbackShop(file.customers, file.orders, now=FIXED_NOW) as server:
        client = HttpShop(base_url=server.url, token=TOKEN, clock=lambda: FIXED_NOW)
        try:
            yield client
        finally:
            client.close()


SHOPS: dict[str, ShopFactory] = {"database": database_shop, "http": http_shop}


@pytest.fixture(scope="module", params=sorted(SHOPS))
def results(request: pytest.FixtureRequest, files: list[ScenarioFile]) -> list[ScenarioResult]:
    """Every scenario, once on the demo store in the database and once on the HTTP shop."""
    with ScenarioRunner(lambda book: OfflineAgent(), shop_factory=SHOPS[request.param]) as runner:
        return [runner.run(file, scenario) for file in files for scenario in file.scenarios]


def test_the_suite_is_large_enough(files: list[ScenarioFile]) -> None:
    count = sum(len(f.scenarios) for f in files)
    assert count >= MIN_SCENARIOS, f"{count} scenarios in {SCENARIO_DIR}; at least {MIN_SCENARIOS}"


def test_scenario_ids_are_unique_across_files(files: list[ScenarioFile]) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for file in files:
        for scenario in file.scenarios:
            if scenario.id in seen:
                clashes.append(f"{scenario.id} ({seen[scenario.id]} and {file.path.name})")
            seen.setdefault(scenario.id, file.path.name)
    assert not clashes, "scenario ids used twice: " + ", ".join(clashes)


def test_every_turn_passes_with_no_rule_violation(results: list[ScenarioResult]) -> None:
    failures = [
        _describe(result, number, turn)
        for result in results
        for number, turn in enumerate(result.turns, start=1)
        if not turn.ok
    ]
    if failures:
        turns = sum(len(r.turns) for r in results)
        pytest.fail(
            f"{len(failures)} of {turns} turns failed:\n\n" + "\n\n".join(failures), pytrace=False
        )


def test_frustrated_customers_hear_an_acknowledgement(results: list[ScenarioResult]) -> None:
    """In frustrated.yaml, the first reply and every reply that carries out a resolution."""
    missing = []
    for result in results:
        if Path(result.file).name != "frustrated.yaml":
            continue
        for number, turn in enumerate(result.turns, start=1):
            if turn.actual["action"] == "escalate":
                continue
            if (number == 1 or turn.actual["effects"]) and not ACKNOWLEDGES.search(
                turn.actual["reply"]
            ):
                missing.append(f"{result.id} turn {number}: {turn.actual['reply']!r}")
    if missing:
        pytest.fail("no acknowledgement of the frustration:\n" + "\n".join(missing), pytrace=False)


def _describe(result: ScenarioResult, number: int, turn: TurnResult) -> str:
    lines = [
        f"{Path(result.file).name}: {result.id} turn {number}",
        f"  customer: {turn.customer}",
        f"  expected: {turn.expected.as_dict()}",
        f"  got:      {turn.actual['action']}"
        + (f" ({turn.actual['trigger']})" if turn.actual["trigger"] else "")
        + f", {turn.actual['investigation_steps']} steps, effects {turn.actual['effects']}",
        f"  reason:   {turn.actual['reason']}",
        f"  reply:    {turn.actual['reply']}",
    ]
    lines += [f"  mismatch: {m}" for m in turn.mismatches]
    lines += [f"  VIOLATION {v.rule}: {v.detail}" for v in turn.violations]
    return "\n".join(lines)

"""Scenario files: what loads, and the error a malformed file gets (file, scenario, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation.scenarios import ScenarioFileError, load_scenario_file

VALID = """
store:
  customers: [{id: C-1, name: Ann Lee, email: ann@example.com, phone: "+1 555 0199"}]
  orders:
    - {number: 77, customer_id: C-1, item: Mug, status: delivered, total: 9.5,
       ordered_days_ago: 5, delivered_days_ago: 2, due_days_ago: -1}
policies: default
scenarios:
  - id: one
    faults: [{tool: get_order, error: timeout, times: 2}]
    turns:
      - customer: "mug broken, order 77, ann@example.com"
        expect: {action: resolve, effects: [{tool: create_replacement, order: 77}]}
      - customer: "a human please"
        expect: {action: escalate, trigger: explicit_request, investigation_steps: 0}
"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_loads_into_values(tmp_path: Path) -> None:
    loaded = load_scenario_file(write(tmp_path, VALID))
    (scenario,) = loaded.scenarios
    assert scenario.id == "one"
    assert scenario.faults[0].times == 2
    assert loaded.orders[0].number == "77"
    assert loaded.orders[0].due_days_ago == -1
    assert scenario.turns[0].expect.effects == ({"tool": "create_replacement", "order": "77"},)
    assert scenario.turns[1].expect.investigation_steps == 0


def test_a_policy_book_file_is_found_next_to_the_scenario_file(tmp_path: Path) -> None:
    write(
        tmp_path, "rules:\n  - {id: only, title: Only, covers: [refund], text: Yes.}\n", "book.yaml"
    )
    loaded = load_scenario_file(
        write(tmp_path, VALID.replace("policies: default", "policies: book.yaml"))
    )
    assert [r.id for r in loaded.book.rules] == ["only"]


def test_without_a_store_the_demo_shop_is_used(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    turns:\n      - {customer: hi, expect: {action: clarify}}\n"
    loaded = load_scenario_file(write(tmp_path, text))
    assert {c.id for c in loaded.customers} >= {"C-1", "C-2", "C-3"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("action: resolve,", "action: fix,"), "scenario 'one': turns[0].expect.action: must be"),
        (("error: timeout", "error: slow"), "scenario 'one': faults[0].error: must be one of"),
        (("tool: get_order", "tool: get_orders"), "faults[0].tool: must be one of"),
        (("times: 2", "times: 0"), "faults[0].times"),
        (("trigger: explicit_request", "trigger: angry"), "turns[1].expect.trigger"),
        (("investigation_steps: 0", "investigation_steps: -1"), "turns[1].expect.investigation"),
        (("status: delivered", "status: lost"), "store.orders[0].status"),
        (("customer_id: C-1", "customer_id: C-9"), "no customer 'C-9'"),
        (("- id: one", "- id: one\n    colour: red"), "scenarios[0]: unknown field 'colour'"),
        (("policies: default", "policies: missing.yaml"), "policies:"),
        (("{tool: create_replacement, order: 77}", "{tool: teleport}"), "effects[0].tool"),
        (('customer: "a human please"', "customer: [1, 2]"), "turns[1].customer"),
    ],
)
def test_a_malformed_file_names_file_scenario_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario_file(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_turns_after_an_escalation_are_a_file_error(tmp_path: Path) -> None:
    text = VALID + "      - customer: more\n        expect: {action: resolve}\n"
    with pytest.raises(ScenarioFileError, match=r"ends at its first escalation"):
        load_scenario_file(write(tmp_path, text))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("scenarios: [", "not valid YAML"),
        ("- a list", "must be a mapping"),
        ("scenarios: []", "non-empty list"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_unreadable_files_get_a_clear_error(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioFileError, match=message):
        load_scenario_file(path)


def test_duplicate_scenario_ids_are_an_error(tmp_path: Path) -> None:
    text = VALID + VALID.split("scenarios:\n")[1]
    with pytest.raises(ScenarioFileError, match="unique: one"):
        load_scenario_file(write(tmp_path, text))

"""The evaluation report: summary figures (DESIGN.md §4 `eval --json`) and a readable table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from bot.evaluation.runner import ScenarioResult, TurnResult
from escalation.vocabulary import TRIGGERS


def summary(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    turns = [t for r in results for t in r.turns]
    finished_without_escalating = [r for r in results if not _escalated(r)]
    expected_autonomous = [r for r in results if not _expected_escalation(r)]
    autonomous_done = [r for r in expected_autonomous if not _escalated(r)]
    expected_esc = [t for t in turns if t.expected.action == "escalate"]
    actual_esc = [t for t in turns if t.actual["action"] == "escalate"]
    true_pos = [t for t in expected_esc if _escalated_as_expected(t)]
    return {
        "scenarios": len(results),
        "turns": len(turns),
        "turn_accuracy": _ratio(sum(t.ok for t in turns), len(turns)),
        "first_contact_resolution": _ratio(len(finished_without_escalating), len(results)),
        "autonomous_resolution": _ratio(len(autonomous_done), len(expected_autonomous)),
        "escalation_precision": _ratio(len(true_pos), len(actual_esc), empty=1.0),
        "escalation_recall": _ratio(len(true_pos), len(expected_esc), empty=1.0),
        "per_trigger": {trigger: _per_trigger(turns, trigger) for trigger in TRIGGERS},
        "rule_violations": sum(len(t.violations) for t in turns),
        "model_calls": sum(t.model_requests for t in turns),
        "input_tokens": sum(t.usage.input_tokens for t in turns),
        "cache_read_tokens": sum(t.usage.cache_read_tokens for t in turns),
    }


def document(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    """The whole `eval --json` document."""
    return {
        "summary": summary(results),
        "violations": [v.as_dict() for r in results for t in r.turns for v in t.violations],
        "results": [r.as_dict() for r in results],
    }


def failed(results: Sequence[ScenarioResult]) -> bool:
    return any(not r.passed for r in results)


def print_report(results: Sequence[ScenarioResult], out: TextIO, *, agent: str) -> None:
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        print(f"\n{mark}  {result.id}  ({result.file})", file=out)
        for number, turn in enumerate(result.turns, start=1):
            print(_turn_line(number, turn), file=out)
            print(f"        customer: {_clip(turn.customer)}", file=out)
            print(f"        reply:    {_clip(turn.actual['reply'])}", file=out)
            print(f"        why:      {_clip(turn.actual['reason'])}", file=out)
            for problem in turn.mismatches:
                print(f"        MISMATCH  {problem}", file=out)
            for violation in turn.violations:
                print(f"        VIOLATION {violation.rule}: {violation.detail}", file=out)
    _print_summary(summary(results), results, out, agent=agent)


def _turn_line(number: int, turn: TurnResult) -> str:
    expected = _label(turn.expected.action, turn.expected.trigger)
    actual = _label(turn.actual["action"], turn.actual["trigger"])
    mark = "ok " if turn.ok else "BAD"
    steps = turn.actual["investigation_steps"]
    return f"  {mark} turn {number}: expected {expected:<28} got {actual:<28} steps {steps}"


def _print_summary(
    figures: dict[str, Any], results: Sequence[ScenarioResult], out: TextIO, *, agent: str
) -> None:
    violations = [v for r in results for t in r.turns for v in t.violations]
    print(f"\nViolations: {len(violations)}", file=out)
    for v in violations:
        print(f"  {v.scenario} turn {v.turn}: {v.rule}: {v.detail}", file=out)
    print(f"\nSummary ({agent} agent)", file=out)
    print(
        f"  scenarios {figures['scenarios']}, turns {figures['turns']}, "
        f"passed {sum(r.passed for r in results)}/{len(results)}",
        file=out,
    )
    print(f"  turn accuracy             {figures['turn_accuracy']:.3f}", file=out)
    print(f"  first-contact resolution  {figures['first_contact_resolution']:.3f}", file=out)
    # A figure over no cases is "no cases", not a perfect (or a zero) score.
    autonomous = (
        f"{figures['autonomous_resolution']:.3f}"
        if any(not _expected_escalation(r) for r in results)
        else "no cases"
    )
    print(f"  autonomous resolution     {autonomous}", file=out)
    turns = [t for r in results for t in r.turns]
    expected = sum(t.expected.action == "escalate" for t in turns)
    actual = sum(t.actual["action"] == "escalate" for t in turns)
    if expected or actual:
        # Precision over no escalations made, recall over none expected: "n/a", not 1.000.
        precision = _figure(figures["escalation_precision"], over=actual)
        recall = _figure(figures["escalation_recall"], over=expected)
        print(f"  escalation precision      {precision}   recall {recall}", file=out)
    else:
        print("  escalation                no cases", file=out)
    for trigger, row in figures["per_trigger"].items():
        if row["expected"] == 0 and row["actual"] == 0:  # nothing to measure, not a perfect score
            print(f"    {trigger:<18} no cases", file=out)
            continue
        print(
            f"    {trigger:<18} precision {_figure(row['precision'], over=row['actual'])}"
            f"  recall {_figure(row['recall'], over=row['expected'])}"
            f"  expected {row['expected']}  actual {row['actual']}",
            file=out,
        )
    print(
        f"  model calls {figures['model_calls']}, input tokens {figures['input_tokens']}, "
        f"cache read tokens {figures['cache_read_tokens']}",
        file=out,
    )
    print(f"  rule violations           {figures['rule_violations']}", file=out)


def _per_trigger(turns: Sequence[TurnResult], trigger: str) -> dict[str, Any]:
    expected = [
        t for t in turns if t.expected.action == "escalate" and t.expected.trigger == trigger
    ]
    actual = [
        t for t in turns if t.actual["action"] == "escalate" and t.actual["trigger"] == trigger
    ]
    true_pos = [
        t for t in expected if t.actual["trigger"] == trigger and t.actual["action"] == "escalate"
    ]
    return {
        "precision": _ratio(len(true_pos), len(actual), empty=1.0),
        "recall": _ratio(len(true_pos), len(expected), empty=1.0),
        "expected": len(expected),
        "actual": len(actual),
    }


def _escalated(result: ScenarioResult) -> bool:
    return any(t.actual["action"] == "escalate" for t in result.turns)


def _expected_escalation(result: ScenarioResult) -> bool:
    return any(t.expected.action == "escalate" for t in result.turns)


def _escalated_as_expected(turn: TurnResult) -> bool:
    if turn.actual["action"] != "escalate":
        return False
    return turn.expected.trigger is None or turn.actual["trigger"] == turn.expected.trigger


def _figure(value: float, *, over: int) -> str:
    """A ratio as the report prints it; "n/a" when it is over no cases."""
    return f"{value:.3f}" if over else "n/a"


def _ratio(part: int, whole: int, *, empty: float = 0.0) -> float:
    return round(part / whole, 4) if whole else empty


def _label(action: str, trigger: str | None) -> str:
    return f"{action} ({trigger})" if trigger else action


def _clip(text: str, limit: int = 140) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

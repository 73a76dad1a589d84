from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.ledger import (
    MAX_RETRIES,
    AttemptLedger,
    ToolError,
    ToolResult,
    model_failure,
    run_tool,
)
from escalation.vocabulary import ToolErrorKind


def failing(times: int, kind: ToolErrorKind) -> tuple[Callable[[], ToolResult], list[int]]:
    """A tool that fails `times` calls with `kind`, then works; and its call counter."""
    calls: list[int] = []

    def call() -> ToolResult:
        calls.append(1)
        if len(calls) <= times:
            raise ToolError(kind, f"injected {kind}")
        return ToolResult(outcome="ok")

    return call, calls


def test_a_transient_error_is_retried_and_then_succeeds() -> None:
    call, calls = failing(1, "timeout")
    run = run_tool("get_order", call, turn=1)
    assert run.succeeded
    assert len(calls) == 2
    assert [a.outcome for a in run.attempts] == ["error", "ok"]
    assert not AttemptLedger(run.attempts).blocked()


def test_transient_errors_get_at_most_two_retries() -> None:
    call, calls = failing(10, "unavailable")
    run = run_tool("get_order", call, turn=1)
    assert not run.succeeded
    assert len(calls) == 3
    assert [a.final for a in run.attempts] == [False, False, True]
    blocked = AttemptLedger(run.attempts).blocked()
    assert [(a.step, a.call, a.error) for a in blocked] == [("get_order", 3, "unavailable")]


@pytest.mark.parametrize("kind", ["forbidden", "bug", "unsupported"])
def test_permanent_errors_are_never_retried(kind: ToolErrorKind) -> None:
    call, calls = failing(10, kind)
    run = run_tool("issue_refund", call, turn=1)
    assert len(calls) == 1
    assert AttemptLedger(run.attempts).blocked()[0].error == kind


@given(
    failures=st.integers(min_value=0, max_value=6),
    kind=st.sampled_from(["timeout", "unavailable", "forbidden", "bug"]),
)
def test_calls_stay_within_the_bound_and_blocked_means_past_it(
    failures: int, kind: ToolErrorKind
) -> None:
    call, calls = failing(failures, kind)
    run = run_tool("get_order", call, turn=1)
    transient = kind in ("timeout", "unavailable")
    assert len(calls) <= MAX_RETRIES + 1
    assert len(run.attempts) == len(calls)
    expected_success = failures == 0 or (transient and failures <= MAX_RETRIES)
    assert run.succeeded is expected_success
    assert bool(AttemptLedger(run.attempts).blocked()) is not expected_success


def test_a_later_success_of_the_same_tool_clears_the_block() -> None:
    failed = run_tool("get_order", failing(5, "timeout")[0], turn=1)
    later = run_tool("get_order", failing(0, "timeout")[0], turn=2)
    ledger = AttemptLedger().add(*failed.attempts)
    assert ledger.blocked()
    assert not ledger.add(*later.attempts).blocked()


def test_blocked_can_be_asked_for_one_turn() -> None:
    failed = run_tool("get_order", failing(5, "bug")[0], turn=1)
    ledger = AttemptLedger(failed.attempts)
    assert ledger.blocked(turn=1)
    assert not ledger.blocked(turn=2)


def test_a_model_outage_is_recorded_but_never_blocks_the_need() -> None:
    ledger = AttemptLedger().add(model_failure(turn=1, detail="529 overloaded"))
    assert len(ledger.attempts) == 1
    assert ledger.attempts[0].failed
    assert not ledger.blocked()
    assert ledger.investigation_steps(1) == 0


def test_attempts_describe_themselves_for_the_handoff() -> None:
    run = run_tool("get_order", failing(5, "timeout")[0], turn=1)
    assert run.attempts[-1].describe() == "get_order call 3: timeout error (injected timeout)"

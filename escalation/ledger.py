"""The attempt ledger: every tool call and its outcome, and the bounded retry rule.

Transient errors (`timeout`, `unavailable`) are retried at most twice (three calls in all);
permanent ones (`forbidden`, `bug`, `unsupported`) are never retried. A need is *blocked*
when a tool's last call failed past that bound or hit a permanent error, and no later call
of the same tool succeeded: that, and only that, is the ground for `no_progress`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from escalation.vocabulary import TRANSIENT_ERRORS, ToolErrorKind, ToolName

Outcome = Literal["ok", "not_found", "ambiguous", "refused", "error"]
Step = ToolName | Literal["model"]

MAX_RETRIES: Final = 2
_NOT_INVESTIGATION: Final = frozenset({"model", "escalate_to_human"})
_EMPTY: Mapping[str, object] = MappingProxyType({})


class ToolError(Exception):
    """Raised by a tool adapter when a call fails; `kind` says whether a retry can help."""

    def __init__(
        self, kind: ToolErrorKind, message: str = "", *, retry_after: float | None = None
    ) -> None:
        super().__init__(message or kind)
        self.kind: ToolErrorKind = kind
        self.message = message or kind
        self.retry_after = retry_after  # the system asked to wait that long before a retry


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool answered: `ok` with data, `not_found`, `ambiguous` or `refused` (policy)."""

    outcome: Literal["ok", "not_found", "ambiguous", "refused"]
    detail: str = ""
    data: Mapping[str, object] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call (each retry is its own attempt), in the turn it was made."""

    step: Step
    turn: int
    call: int
    outcome: Outcome
    error: ToolErrorKind | None = None
    detail: str = ""
    final: bool = True

    @property
    def failed(self) -> bool:
        return self.outcome == "error"

    def describe(self) -> str:
        what = f"{self.error} error" if self.error else self.outcome
        detail = f" ({self.detail})" if self.detail and self.detail != self.error else ""
        return f"{self.step} call {self.call}: {what}{detail}"


def is_transient(kind: ToolErrorKind) -> bool:
    return kind in TRANSIENT_ERRORS


@dataclass(frozen=True, slots=True)
class AttemptLedger:
    """Every attempt of a conversation, oldest first. Immutable: `add` returns a new ledger."""

    attempts: tuple[Attempt, ...] = ()

    def add(self, *attempts: Attempt) -> AttemptLedger:
        return AttemptLedger(self.attempts + attempts)

    def in_turn(self, turn: int) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.turn == turn)

    def investigation_steps(self, turn: int) -> int:
        """Lookups and actions made in `turn` (each retry counts): every tool call but the
        handoff itself; model requests are counted apart."""
        return sum(1 for a in self.in_turn(turn) if a.step not in _NOT_INVESTIGATION)

    def blocked(self, *, turn: int | None = None) -> tuple[Attempt, ...]:
        """Final failures of tools (not of the model) that no later call of that tool cleared."""
        last_by_step: dict[Step, Attempt] = {}
        for attempt in self.attempts:
            if attempt.step != "model" and attempt.final:
                last_by_step[attempt.step] = attempt
        return tuple(
            a
            for a in last_by_step.values()
            if a.failed and (turn is None or a.turn == turn) and _past_bound(a)
        )


def _past_bound(attempt: Attempt) -> bool:
    if attempt.error is None:
        return False
    return not is_transient(attempt.error) or attempt.call > MAX_RETRIES


@dataclass(frozen=True, slots=True)
class ToolRun:
    """The outcome of calling a tool under the retry rule: its result, or the final error."""

    tool: ToolName
    attempts: tuple[Attempt, ...]
    result: ToolResult | None = None
    error: ToolError | None = None

    @property
    def succeeded(self) -> bool:
        return self.result is not None


def run_tool(tool: ToolName, call: Callable[[], ToolResult], *, turn: int) -> ToolRun:
    """Call `call` under the retry rule and record each call as an attempt.

    `call` is the adapter (it may do I/O); it raises `ToolError` to report a failure.
    """
    attempts: list[Attempt] = []
    for number in range(1, MAX_RETRIES + 2):
        try:
            result = call()
        except ToolError as error:
            retry = is_transient(error.kind) and number <= MAX_RETRIES
            attempts.append(
                Attempt(
                    step=tool,
                    turn=turn,
                    call=number,
                    outcome="error",
                    error=error.kind,
                    detail=error.message,
                    final=not retry,
                )
            )
            if not retry:
                return ToolRun(tool=tool, attempts=tuple(attempts), error=error)
            continue
        attempts.append(
            Attempt(step=tool, turn=turn, call=number, outcome=result.outcome, detail=result.detail)
        )
        return ToolRun(tool=tool, attempts=tuple(attempts), result=result)
    raise AssertionError("unreachable: the last call is never retried")


def model_failure(*, turn: int, detail: str) -> Attempt:
    """A model outage after the SDK's own retries: recorded, but never a blocked need."""
    return Attempt(
        step="model", turn=turn, call=1, outcome="error", error="unavailable", detail=detail
    )

"""Runs scenario conversations through the production path and checks what happened.

Each scenario gets a fresh embedded SQLite database (copied from one migrated template) holding
the file's store and policy book, a fixed clock and its injected faults; every turn goes
through the same TurnProcessor, engine, agent and tools as a Slack message would.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.agents.base import Agent, Usage
from bot.evaluation.scenarios import ExpectedTurn, Scenario, ScenarioFile
from bot.shop.database import DatabaseShop
from bot.shop.port import Shop
from bot.turns.processor import IncomingMessage, TurnOutcome, TurnProcessor
from bot.turns.tools import FaultPlan
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.repositories import ConversationKey
from db.uow import SqlUnitOfWork
from escalation.engine import PERSON_OFFER, sentence_holding
from escalation.identifiers import (
    Identifiers,
    extract_identifiers,
    normalise_email,
    normalise_phone,
)
from escalation.matching import CustomerCandidate, match_customer
from escalation.policy import PolicyBook
from escalation.records import Customer, Order
from escalation.signals import consent_words, detect_human_request, request_words_refusal
from escalation.state import ConversationState
from escalation.vocabulary import IDENTIFIER_KINDS

FIXED_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
AgentFactory = Callable[[PolicyBook], Agent]
# The shop a scenario runs against, given its file and its fresh database (which holds the
# file's store): the database itself by default; tests pass a loopback HTTP shop.
ShopFactory = Callable[[ScenarioFile, "sessionmaker[Session]"], AbstractContextManager[Shop]]


@contextmanager
def database_shop(file: ScenarioFile, sessions: sessionmaker[Session]) -> Iterator[Shop]:
    yield DatabaseShop(sessions, clock=lambda: FIXED_NOW)


@dataclass(frozen=True, slots=True)
class Violation:
    scenario: str
    turn: int
    rule: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "turn": self.turn,
            "rule": self.rule,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class TurnResult:
    customer: str
    expected: ExpectedTurn
    actual: dict[str, Any]
    ok: bool
    mismatches: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()
    usage: Usage = Usage()
    model_requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"expected": self.expected.as_dict(), "actual": self.actual, "ok": self.ok}


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    id: str
    file: str
    turns: tuple[TurnResult, ...]

    @property
    def passed(self) -> bool:
        return all(t.ok for t in self.turns)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "passed": self.passed, "turns": [t.as_dict() for t in self.turns]}


@dataclass
class ScenarioRunner:
    """Runs scenarios with agents from `agent_factory`; use as a context manager."""

    agent_factory: AgentFactory
    shop_factory: ShopFactory = database_shop
    _workdir: Path | None = field(default=None, init=False)
    _template: Path | None = field(default=None, init=False)
    _count: int = field(default=0, init=False)

    def __enter__(self) -> ScenarioRunner:
        self._tmp = tempfile.TemporaryDirectory(prefix="escalation-eval-")
        self._workdir = Path(self._tmp.name)
        self._template = self._workdir / "template.db"
        engine = make_engine(f"sqlite:///{self._template}")
        upgrade(engine)
        engine.dispose()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def run(self, file: ScenarioFile, scenario: Scenario) -> ScenarioResult:
        with self._database(file) as sessions, self.shop_factory(file, sessions) as shop:
            processor = TurnProcessor(
                sessions=sessions,
                shop=shop,
                agent=self.agent_factory(file.book),
                book=file.book,
                clock=lambda: FIXED_NOW,
                faults=FaultPlan(scenario.faults),
                pause=lambda seconds: None,  # the runner's clock stands still: so do retries
            )
            judge = Judge(scenario.id, file.customers, file.orders)
            key = ConversationKey("eval", "W-EVAL", f"D-{scenario.id}", "U-CUSTOMER")
            results = []
            signalled = offered = asked_person = False
            for number, turn in enumerate(scenario.turns, start=1):
                outcome = processor.handle(IncomingMessage(key=key, text=turn.customer))
                results.append(
                    judge.turn(
                        number,
                        turn.customer,
                        turn.expect,
                        outcome,
                        offered_before=offered,
                        person_offered=asked_person,
                    )
                )
                # A renewed wish needs a wish for a person, then the bot's help, then a wish
                # again; a yes to "would you rather talk to a person?" is a request.
                signalled = signalled or bool(outcome.state.signals_in_turn(outcome.state.turn))
                action = outcome.decision.action if outcome.decision else None
                offered = offered or (signalled and action in ("resolve", "decline", "clarify"))
                asked_person = bool(outcome.decision and PERSON_OFFER in outcome.decision.reply)
        return ScenarioResult(id=scenario.id, file=str(file.path), turns=tuple(results))

    @contextmanager
    def _database(self, file: ScenarioFile) -> Iterator[Any]:
        if self._workdir is None or self._template is None:
            raise RuntimeError("use the runner as a context manager")
        self._count += 1
        path = self._workdir / f"scenario-{self._count}.db"
        shutil.copy(self._template, path)
        engine = make_engine(f"sqlite:///{path}")
        sessions = make_session_factory(engine)
        try:
            with SqlUnitOfWork(sessions) as uow:
                uow.shop.load(file.customers, file.orders, now=FIXED_NOW)
                uow.commit()
            yield sessions
        finally:
            engine.dispose()
            path.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the conversation's earlier turns make valid now: after a wish for a person and the
    bot's help, a renewed wish; after the bot asked about a person, a yes."""

    offered: bool
    person_offered: bool


class Judge:
    """Compares a turn with its expectation and checks the rules of DESIGN.md §4."""

    def __init__(self, scenario: str, customers: Sequence[Customer], orders: Sequence[Order]):
        self.scenario = scenario
        self.customers = customers
        self.corrected: str | None = None  # singled out by a correction of earlier slips
        self.candidates = [
            CustomerCandidate(
                c.id,
                (c.email,) if c.email else (),
                (c.phone,) if c.phone else (),
                tuple(o.number for o in orders if o.customer_id == c.id),
            )
            for c in customers
        ]

    def turn(
        self,
        number: int,
        text: str,
        expected: ExpectedTurn,
        outcome: TurnOutcome,
        *,
        offered_before: bool,
        person_offered: bool,
    ) -> TurnResult:
        actual = actual_of(outcome)
        mismatches = tuple(compare(expected, actual))
        earlier = Earlier(offered=offered_before, person_offered=person_offered)
        violations = tuple(self.violations(number, text, expected, outcome, earlier))
        return TurnResult(
            customer=text,
            expected=expected,
            actual=actual,
            ok=not mismatches and not violations,
            mismatches=mismatches,
            violations=violations,
            usage=outcome.usage,
            model_requests=outcome.model_requests,
        )

    def violations(
        self,
        number: int,
        text: str,
        expected: ExpectedTurn,
        outcome: TurnOutcome,
        earlier: Earlier,
    ) -> list[Violation]:
        found: list[Violation] = []
        decision = outcome.decision

        def add(rule: str, detail: str) -> None:
            found.append(Violation(self.scenario, number, rule, detail))

        if expected.trigger == "explicit_request" and (
            decision is None or decision.action != "escalate" or decision.investigation_steps > 0
        ):
            steps = decision.investigation_steps if decision else 0
            add(
                "explicit_request_not_honoured",
                f"got {decision.action if decision else 'no decision'} after {steps} steps",
            )
        state = outcome.state
        identified = self.identified(state.identifiers, text)
        for effect in outcome.effects:
            if effect.customer_id != identified:
                add(
                    "acted_without_identification",
                    f"{effect.tool} on {effect.customer_id}; the customer's identifiers "
                    f"single out {identified or 'nobody'}",
                )
        if decision is not None:
            for leaked in self.disclosed(decision.reply, state, identified):
                add("candidate_data_disclosed", f"the reply shows {leaked}")
            if decision.action == "escalate" and not self.escalation_valid(
                text, decision.trigger, state, earlier
            ):
                add("invalid_escalation", f"{decision.trigger} without its precondition")
        return found

    def identified(self, typed: Identifiers, text: str) -> str | None:
        """The customer singled out by everything typed so far; when that is nobody, by the
        identifiers of a message that corrected the earlier ones (this one or a previous one)."""
        everything = match_customer(self.candidates, given=typed)
        if everything.kind == "matched":
            return everything.customer_id
        own = extract_identifiers(text, expecting=IDENTIFIER_KINDS)
        correction = match_customer(self.candidates, given=own) if own else None
        if correction is not None and correction.kind == "matched":
            self.corrected = correction.customer_id
        return self.corrected

    def disclosed(self, reply: str, state: ConversationState, identified: str | None) -> list[str]:
        typed = state.identifiers
        lowered = reply.lower()
        digits = normalise_phone(reply)
        leaks = []
        for candidate in self.candidates:
            if candidate.customer_id == identified:
                continue
            for email in candidate.emails:
                if normalise_email(email) in lowered and normalise_email(email) not in typed.emails:
                    leaks.append(f"{candidate.customer_id}'s email")
            for phone in candidate.phones:
                own = normalise_phone(phone)
                if len(own) >= 7 and own in digits and own not in typed.phones:
                    leaks.append(f"{candidate.customer_id}'s phone")
            for order in candidate.order_numbers:
                if _whole_word(order, reply) and order not in typed.order_numbers:
                    leaks.append(f"{candidate.customer_id}'s order {order}")
        return leaks

    @staticmethod
    def escalation_valid(
        text: str, trigger: str | None, state: ConversationState, earlier: Earlier
    ) -> bool:
        if trigger == "explicit_request":
            kind = detect_human_request(text).kind
            # A model's quote counts in the sentence it stands in, as the customer wrote it.
            sentences = [
                sentence
                for signal in state.signals_in_turn(state.turn)
                if signal.source == "model"
                and (sentence := sentence_holding(text, signal.evidence)) is not None
            ]
            asked = kind == "explicit" or any(request_words_refusal(s) is None for s in sentences)
            hinted = kind != "none" or any(
                detect_human_request(s).kind != "none" for s in sentences
            )
            consented = earlier.person_offered and consent_words(text) is not None
            return asked or consented or (earlier.offered and hinted)
        if trigger == "policy_gap":
            return any(c.verdict == "gap" for c in state.policy_checks)
        if trigger == "no_progress":
            return bool(state.ledger.blocked())
        return False


def _whole_word(needle: str, haystack: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", haystack) is not None


def actual_of(outcome: TurnOutcome) -> dict[str, Any]:
    decision = outcome.decision
    if decision is None:
        return {
            "action": "relayed",
            "trigger": None,
            "investigation_steps": 0,
            "ask_for": [],
            "reason": "a human has this conversation: relayed, no bot reply",
            "reply": "",
            "effects": [],
        }
    return {
        "action": decision.action,
        "trigger": decision.trigger,
        "investigation_steps": decision.investigation_steps,
        "ask_for": list(decision.ask_for),
        "reason": decision.reason,
        "reply": decision.reply,
        "effects": [e.as_dict() for e in outcome.effects],
    }


def compare(expected: ExpectedTurn, actual: dict[str, Any]) -> list[str]:
    """Each way `actual` differs from what `expected` asserts."""
    problems = []
    if actual["action"] != expected.action:
        problems.append(f"action: expected {expected.action}, got {actual['action']}")
    if expected.trigger is not None and actual["trigger"] != expected.trigger:
        problems.append(f"trigger: expected {expected.trigger}, got {actual['trigger']}")
    if expected.ask_for is not None:
        missing = [k for k in expected.ask_for if k not in actual["ask_for"]]
        if missing:
            problems.append(f"ask_for: did not ask for {', '.join(missing)}")
    if (
        expected.investigation_steps is not None
        and actual["investigation_steps"] > expected.investigation_steps
    ):
        problems.append(
            f"investigation_steps: expected at most {expected.investigation_steps}, "
            f"got {actual['investigation_steps']}"
        )
    if expected.effects is not None:
        problems.extend(compare_effects(expected.effects, actual["effects"]))
    return problems


def compare_effects(
    expected: Sequence[dict[str, Any]], actual: Sequence[dict[str, Any]]
) -> list[str]:
    if not expected:
        return [f"effects: expected none, got {_describe(actual)}"] if actual else []
    problems = []
    for wanted in expected:
        if not any(_effect_matches(wanted, got) for got in actual):
            problems.append(f"effects: missing {wanted} (got {_describe(actual)})")
    return problems


def _effect_matches(wanted: dict[str, Any], got: dict[str, Any]) -> bool:
    for key, value in wanted.items():
        if key == "amount":
            if got.get("amount") is None or abs(float(got["amount"]) - float(value)) > 0.005:
                return False
        elif str(got.get(key)) != str(value):
            return False
    return True


def _describe(effects: Sequence[dict[str, Any]]) -> str:
    return ", ".join(f"{e['tool']} {e.get('order') or ''}".strip() for e in effects) or "none"

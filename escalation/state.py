"""What the engine remembers about one conversation between turns (persisted by `db/`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from escalation.identifiers import Identifiers
from escalation.ledger import Attempt, AttemptLedger, ToolRun
from escalation.matching import MatchResult
from escalation.policy import PolicyVerdict, VerdictKind
from escalation.vocabulary import ConversationStatus, IdentifierKind


@dataclass(frozen=True, slots=True)
class NotedSignal:
    """A wish for a human the customer expressed, and the turn it came in."""

    turn: int
    kind: Literal["explicit", "implicit"]
    evidence: str
    # "detector": stage 1 read it; "model": the agent quoted the words and the engine checked them.
    source: Literal["detector", "model"] = "detector"


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """A verdict the policy book gave in this conversation (the ground for `policy_gap`)."""

    turn: int
    request_kind: str
    verdict: VerdictKind
    rule_id: str | None = None
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class ConversationState:
    """The engine's view of a conversation. Immutable: every change returns a new state."""

    status: ConversationStatus = "bot"
    turn: int = 0
    customer_id: str | None = None
    customer_name: str = ""  # as the shop names the identified customer (the card shows it)
    identifiers: Identifiers = Identifiers()
    signals: tuple[NotedSignal, ...] = ()
    resolution_offered: bool = False
    # The last turn whose reply offered the bot's help (anything but a handoff; 0: none yet): a
    # renewed wish for a person needs a signal, then an offer, then a signal again.
    last_offer_turn: int = 0
    # The last turn whose reply asked whether the customer would rather talk to a person (0:
    # none): a bare "yes" to that question is consent to a handoff.
    person_offered_turn: int = 0
    ledger: AttemptLedger = AttemptLedger()
    policy_checks: tuple[PolicyCheck, ...] = ()
    pending_disambiguation: tuple[IdentifierKind, ...] = ()
    # What the bot's last reply asked the customer for: a bare answer ("1042") is read as that.
    asked_for: tuple[IdentifierKind, ...] = ()

    @property
    def with_human(self) -> bool:
        return self.status in ("escalated", "claimed")

    def signals_in_turn(self, turn: int) -> tuple[NotedSignal, ...]:
        return tuple(s for s in self.signals if s.turn == turn)

    def offer_followed_signal(self) -> bool:
        """Whether the bot offered its help after (or with) an earlier wish for a person."""
        offer = self.last_offer_turn
        return 0 < offer < self.turn and any(s.turn <= offer for s in self.signals)

    def person_offered_last_turn(self) -> bool:
        """Whether the bot's previous reply asked if the customer would rather have a person."""
        return 0 < self.person_offered_turn == self.turn - 1

    def checks_in_turn(self, turn: int) -> tuple[PolicyCheck, ...]:
        return tuple(c for c in self.policy_checks if c.turn == turn)

    def record_attempts(self, *attempts: Attempt) -> ConversationState:
        return replace(self, ledger=self.ledger.add(*attempts))

    def record_run(self, run: ToolRun) -> ConversationState:
        return self.record_attempts(*run.attempts)

    def record_verdict(self, verdict: PolicyVerdict) -> ConversationState:
        check = PolicyCheck(
            turn=self.turn,
            request_kind=verdict.request_kind,
            verdict=verdict.kind,
            rule_id=verdict.rule.id if verdict.rule else None,
            explanation=verdict.explanation,
        )
        return replace(self, policy_checks=(*self.policy_checks, check))

    def record_match(self, result: MatchResult) -> ConversationState:
        if result.kind == "matched":
            return replace(
                self,
                customer_id=result.customer_id,
                customer_name=result.customer_name,
                pending_disambiguation=(),
            )
        if result.kind == "ambiguous" and self.customer_id is None:
            return replace(self, pending_disambiguation=result.ask_for)
        return self

    def reopened(self) -> ConversationState:
        """A fresh start once a human resolved the conversation or handed it back: who the
        customer is stays known; signals, offers, attempts and policy checks do not carry over
        (they were grounds for the escalation that already happened)."""
        return ConversationState(
            turn=self.turn,
            customer_id=self.customer_id,
            customer_name=self.customer_name,
            identifiers=self.identifiers,
        )

    def may_act_on(self, customer_id: str) -> bool:
        """Only the customer singled out by the customer's own identifiers may be acted on."""
        return self.customer_id is not None and self.customer_id == customer_id

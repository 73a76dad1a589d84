"""The escalation decision engine, in two stages around the agent's work (DESIGN.md §3).

Stage 1, `screen_message`, runs before any agent work: an explicit request for a human, or a
renewed signal after a resolution was offered, escalates at once with zero investigation steps.
Stage 2, `decide`, validates the agent's proposal against the conversation's state: an
escalation stands only when its trigger's precondition holds, whatever its reason text says.
Sentiment and self-reported confidence are never inputs: no field here can carry them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from escalation.handoff import UNIDENTIFIED, Handoff, Utterance, one_sentence, summarise
from escalation.identifiers import (
    OWNS_A_SLIP,
    Identifiers,
    extract_identifiers,
    split_identifiers,
)
from escalation.ledger import Attempt
from escalation.matching import CustomerCandidate, MatchResult, match_customer
from escalation.policy import humanise
from escalation.signals import (
    HumanRequest,
    consent_words,
    detect_human_request,
    request_words_refusal,
)
from escalation.state import ConversationState, NotedSignal, PolicyCheck
from escalation.vocabulary import EFFECT_TOOLS, IDENTIFIER_KINDS, Action, IdentifierKind, Trigger

HANDOFF_REPLY: Final[dict[Trigger, str]] = {
    "explicit_request": (
        "Of course. I'm bringing in a person from our support team now. They will reply right "
        "here and can see this conversation, so you won't need to repeat anything."
    ),
    "policy_gap": (
        "That is something our policy doesn't cover, so it isn't mine to decide. I've passed it "
        "to a colleague who can make that call; they will reply right here."
    ),
    "no_progress": (
        "I tried to sort this out, but {what} isn't working on my side, so I've handed it to a "
        "colleague who will finish it and reply right here."
    ),
}
# Out of hours nobody replies "now" nor soon: the notice that follows the reply says when.
_IMMEDIATE_TO_LATER: Final = (
    (
        "I'm bringing in a person from our support team now. They will reply right here and can "
        "see",
        "I'm passing this to a person from our support team. They can see",
    ),
    ("; they will reply right here.", "."),
    (" who will finish it and reply right here.", " who will finish it."),
)
_TYPOGRAPHIC: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_OPEN_QUESTION: Final = (
    "I can help with this here. Could you tell me a little more about what you need?"
)
_SENTENCE_BREAK: Final = re.compile(r"(?<=[.!?;])\s+")
PERSON_OFFER: Final = "Or would you rather talk to a person? Just say yes and I'll bring one in."
# When the reply already asks for a yes (to another offer), a yes must not mean two things.
PERSON_IF_PREFERRED: Final = "If you'd rather talk to a person, just say so."
_INVITES_YES: Final = re.compile(r"\b(?:reply|say|answer) yes\b", re.I)
_PROMISES_HANDOFF = re.compile(
    r"\b(transfer\w*|connect\w*|escalat\w*|hand\w*\s+(?:you|this|it)?\s*(?:over|off|on)|"
    r"pass\w*\s+(?:you|this|it)\s+(?:on|over|along|to)|put(?:ting)?\s+you\s+through|"
    r"bring\w*\s+in)\b[^.!?]*\b(human|person|agent|colleague|team|someone|somebody|specialist|"
    r"representative|supervisor|manager)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Proposal:
    """What an agent proposes at the end of its turn. `reason` is recorded, never read."""

    action: Action
    reply: str
    trigger: Trigger | None = None
    ask_for: tuple[IdentifierKind, ...] = ()
    recommended_action: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's final word on a turn: what the customer gets and why (the audit trail)."""

    action: Action
    reply: str
    reason: str
    trigger: Trigger | None = None
    ask_for: tuple[IdentifierKind, ...] = ()
    investigation_steps: int = 0
    handoff: Handoff | None = None
    proposal: Proposal | None = None
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class Screening:
    """Stage 1's outcome: escalate now (`decision`), stay silent (`relay`), or go on."""

    state: ConversationState
    signal: HumanRequest
    decision: Decision | None = None
    relay: bool = False

    @property
    def needs_agent(self) -> bool:
        return self.decision is None and not self.relay


@dataclass(frozen=True, slots=True)
class Ruling:
    """Stage 2's outcome: the final decision and the state to persist with it."""

    decision: Decision
    state: ConversationState


def _previous_customer_text(history: Sequence[Utterance], text: str) -> str:
    said = [u.text for u in history if u.speaker == "customer"]
    if said and said[-1] == text:
        said.pop()
    return said[-1] if said else ""


def screen_message(
    state: ConversationState, text: str, *, history: Sequence[Utterance] = ()
) -> Screening:
    """Stage 1: look at the customer's message before any lookup, tool or model call.

    `history` is the conversation so far, including this message (for the handoff summary).
    """
    if state.with_human:
        return Screening(state=state, signal=HumanRequest(kind="none"), relay=True)
    if state.status == "resolved":
        state = state.reopened()
    joined, taken = split_identifiers(_previous_customer_text(history, text), text)
    expecting = (*state.pending_disambiguation, *state.asked_for)
    # (the end of a split phone is no bare order number: "0144 sorry, pressed send")
    typed = joined.merged(extract_identifiers(text[taken:], expecting=expecting))
    state = replace(state, turn=state.turn + 1, identifiers=state.identifiers.merged(typed))
    signal = detect_human_request(text)
    consent = consent_words(text) if state.person_offered_last_turn() else None
    if consent is not None and signal.kind != "explicit":
        signal = HumanRequest("explicit", consent)
    if signal.kind == "none" or signal.evidence is None:
        return Screening(state=state, signal=signal)
    state = replace(
        state,
        signals=(*state.signals, NotedSignal(state.turn, signal.kind, signal.evidence)),
    )
    if consent is not None:
        reason = f'yes ("{consent}") to the person the bot offered: escalated before any work'
    elif signal.kind == "explicit":
        reason = f'explicit request for a human ("{signal.evidence}"): escalated before any work'
    elif _renewed_signal(state):
        reason = (
            f'renewed wish for a human ("{signal.evidence}") after a resolution was offered: '
            "the customer declined the bot's help"
        )
    else:
        return Screening(state=state, signal=signal)
    ruling = _escalate(
        state,
        trigger="explicit_request",
        reason=reason,
        investigation_steps=0,
        history=history,
        root_cause=_explicit_root_cause(signal, reiterated=signal.kind == "implicit"),
    )
    return Screening(state=ruling.state, signal=signal, decision=ruling.decision)


def decide(
    state: ConversationState,
    proposal: Proposal,
    *,
    history: Sequence[Utterance] = (),
) -> Ruling:
    """Stage 2: accept, correct or replace the agent's proposal so the rules hold.

    Investigation steps are this turn's lookups and actions (each retry counts); model
    requests are not steps (the caller reports them beside the decision).
    """
    steps = state.ledger.investigation_steps(state.turn)
    refusal: str | None = None
    if proposal.action == "escalate":
        refusal = escalation_refusal(state, proposal.trigger)
        if refusal is None and proposal.trigger is not None:
            return _escalate(
                state,
                trigger=proposal.trigger,
                reason=f"{proposal.trigger}: its precondition holds ({_grounds(state, proposal)})",
                investigation_steps=steps,
                history=history,
                proposal=proposal,
            )
        refusal = f"proposed escalation refused: {refusal}"
    forced = _forced_escalation(state)
    if forced is not None:
        trigger, why = forced
        reason = "; ".join(filter(None, (refusal, why)))
        return _escalate(
            state,
            trigger=trigger,
            reason=reason,
            investigation_steps=steps,
            history=history,
            proposal=proposal,
            overridden=proposal.action != "escalate" or proposal.trigger != trigger,
        )
    if refusal is not None:
        return _replace_refused(state, proposal, refusal=refusal, steps=steps)
    return _settle(state, proposal, steps=steps)


def escalation_refusal(state: ConversationState, trigger: Trigger | None) -> str | None:
    """Why an escalation with `trigger` may not happen now, or None when its precondition holds."""
    if trigger is None:
        return "an escalation needs one of the three triggers"
    if trigger == "explicit_request":
        asked_now = any(s.kind == "explicit" for s in state.signals_in_turn(state.turn))
        if asked_now or _renewed_signal(state):
            return None
        return "the customer has not asked for a person in this message"
    if trigger == "policy_gap":
        if any(c.verdict == "gap" for c in state.policy_checks):
            return None
        return "no policy check in this conversation found a gap"
    if state.ledger.blocked():
        return None
    return "no attempt failed past the retry bound or hit missing access"


@dataclass(frozen=True, slots=True)
class Hearing:
    """The engine's check of words an agent quotes as the customer asking for a person."""

    state: ConversationState
    refusal: str | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def hear_customer_words(state: ConversationState, *, message: str, words: str) -> Hearing:
    """Check the words an agent quotes to claim `explicit_request`, and note them when they hold.

    They must be verbatim in the customer's current message (outside quoted "> " lines) and ask
    to reach a person, team or contact channel; after an offer that followed an earlier wish for
    a person, a renewed doubt about the bot holds too. The agent's reason is never read.
    """
    quoted = _comparable(words)
    if not quoted:
        return Hearing(state, "no words of the customer were quoted")
    sentence = sentence_holding(message, quoted)
    if sentence is None:
        return Hearing(
            state,
            "those words are not in the customer's current message (quoted lines do not count)",
        )
    # The words are read in their sentence, so a quote cannot cut away a negation, a past
    # tense or the person they belong to.
    refusal = request_words_refusal(quoted) or request_words_refusal(sentence)
    kind: Literal["explicit", "implicit"] = "explicit"
    if refusal is not None:
        renewed = state.offer_followed_signal() and detect_human_request(sentence).kind != "none"
        if not renewed:
            return Hearing(state, refusal)
        kind = "implicit"
    noted = NotedSignal(state.turn, kind, quoted, source="model")
    return Hearing(replace(state, signals=(*state.signals, noted)))


def identify_customer(
    state: ConversationState,
    candidates: Sequence[CustomerCandidate],
    *,
    message: str | None = None,
) -> tuple[MatchResult, ConversationState]:
    """Match search candidates against the identifiers the customer typed, and remember it.

    When everything typed so far matches nobody, the identifiers of the current `message`
    alone are tried: a correction ("sorry, it's j.smith@...") replaces the slip before it.
    Every identifier stays in the state (the handoff lists what the customer typed).
    """
    result = match_customer(candidates, given=state.identifiers)
    if result.kind == "not_found" and message is not None:
        latest = extract_identifiers(
            message, expecting=(*state.pending_disambiguation, *state.asked_for)
        )
        corrected = _replaces(latest, state.identifiers) or OWNS_A_SLIP.search(message)
        if latest and latest != state.identifiers and corrected:
            result = match_customer(candidates, given=latest)
    return result, state.record_match(result)


def _replaces(latest: Identifiers, typed: Identifiers) -> bool:
    """A correction gives again a kind typed before with another value ("sorry, it's 2051");
    a new kind beside the old one (another customer's order after your own phone) is no
    correction, and both must then belong to one customer."""
    return any(set(typed.values(kind)) - set(latest.values(kind)) for kind in latest.kinds())


def promises_handoff(reply: str) -> bool:
    """Whether a reply tells the customer a person is taking over."""
    return _PROMISES_HANDOFF.search(reply) is not None


def _renewed_signal(state: ConversationState) -> bool:
    """A wish for a person now, after an offer that followed an earlier one."""
    return bool(state.signals_in_turn(state.turn)) and state.offer_followed_signal()


def sentence_holding(message: str, words: str) -> str | None:
    """The sentence of the customer's own lines (not "> " quotes) that holds `words` as whole
    words, whitespace, case and typographic quotes aside; None when no line holds them."""
    target = _comparable(words)
    if not target:
        return None
    found = re.compile(rf"(?<!\w){re.escape(target)}(?!\w)", re.IGNORECASE)
    for line in message.splitlines():
        if line.lstrip().startswith(">"):
            continue
        flat = _comparable(line)
        for sentence in (*_SENTENCE_BREAK.split(flat), flat):
            if found.search(sentence):
                return sentence
    return None


def _comparable(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def _grounds(state: ConversationState, proposal: Proposal) -> str:
    if proposal.trigger == "policy_gap":
        gap = _latest(state.policy_checks, verdict="gap")
        return f"no rule covers {humanise(gap.request_kind)}" if gap else "a gap verdict"
    if proposal.trigger == "no_progress":
        return "; ".join(a.describe() for a in state.ledger.blocked())
    return "the customer asked for a person"


def _forced_escalation(state: ConversationState) -> tuple[Trigger, str] | None:
    blocked = state.ledger.blocked(turn=state.turn)
    if blocked:
        failures = "; ".join(a.describe() for a in blocked)
        return "no_progress", f"no_progress forced: the need is blocked ({failures})"
    gap = _latest(state.checks_in_turn(state.turn), verdict="gap")
    if gap is not None:
        return "policy_gap", f"policy_gap forced: no rule covers {humanise(gap.request_kind)}"
    return None


def _latest(checks: Sequence[PolicyCheck], *, verdict: str) -> PolicyCheck | None:
    return next((c for c in reversed(checks) if c.verdict == verdict), None)


def _replace_refused(
    state: ConversationState, proposal: Proposal, *, refusal: str, steps: int
) -> Ruling:
    violation = _latest(state.checks_in_turn(state.turn), verdict="violation")
    if violation is not None:
        replacement = Proposal(
            action="decline",
            reply=f"I'm sorry, I can't do that. {violation.explanation}",
        )
        why = f"declined instead: policy {violation.rule_id} says no"
    else:
        # Only what the rules ask for (the identifiers that tell matching customers apart):
        # a refused escalation is never turned into a request for account details.
        kinds = state.pending_disambiguation
        reply = _clarify_reply(kinds) if kinds else f"{_OPEN_QUESTION} {PERSON_OFFER}"
        replacement = Proposal(action="clarify", reply=reply, ask_for=kinds)
        why = "asked what the customer needs instead: the bot can still work on this"
    ruling = _settle(state, replacement, steps=steps)
    decision = replace(
        ruling.decision, reason=f"{refusal}; {why}", proposal=proposal, overridden=True
    )
    return Ruling(decision=decision, state=ruling.state)


def _settle(state: ConversationState, proposal: Proposal, *, steps: int) -> Ruling:
    action, ask_for, reply = proposal.action, proposal.ask_for, proposal.reply
    notes: list[str] = []
    if (
        action in ("resolve", "decline")
        and state.customer_id is None
        and (state.pending_disambiguation)
    ):
        action, ask_for = "clarify", state.pending_disambiguation
        reply = _clarify_reply(ask_for)
        notes.append("several customers match and none is singled out yet: asking, not guessing")
    refused = _refused_without_effect(state)
    if action == "resolve" and refused is not None:
        action, reply = "decline", f"I'm sorry, I can't do that. {refused.explanation}"
        notes.append(f"policy {refused.rule_id} said no and nothing was done: a decline")
    ask_for = tuple(k for k in IDENTIFIER_KINDS if k in ask_for) if action == "clarify" else ()
    if promises_handoff(reply):
        reply = "I can take care of this myself, right here."
        notes.append("the reply promised a handoff that is not happening: replaced")
    if PERSON_OFFER not in reply and PERSON_IF_PREFERRED not in reply:
        offer = PERSON_IF_PREFERRED if _INVITES_YES.search(reply) else PERSON_OFFER
        if state.signals_in_turn(state.turn):
            reply = f"{reply.rstrip()} {offer}".strip()
            notes.append("implicit wish for a person noted: offered one alongside the resolution")
        elif _handoff_refused_in_turn(state):
            # The agent wanted a person for the customer and the engine found no ground: the
            # customer is asked, so a request the engine could not read is one "yes" away.
            reply = f"{reply.rstrip()} {offer}".strip()
            notes.append("the agent's handoff was refused: the customer is asked about a person")
    reason = (
        "; ".join([f"{action} accepted", *notes])
        if action == proposal.action
        else ("; ".join(notes))
    )
    decision = Decision(
        action=action,
        reply=reply,
        reason=reason,
        ask_for=ask_for,
        investigation_steps=steps,
        proposal=proposal,
        overridden=action != proposal.action or reply != proposal.reply,
    )
    # A resolution offered (or a documented no with what policy allows) after an earlier wish
    # for a person is the chance the customer was given; a question or a menu is not one.
    return Ruling(
        decision=decision,
        state=replace(
            state,
            resolution_offered=state.resolution_offered or action in ("resolve", "decline"),
            last_offer_turn=state.turn
            if action in ("resolve", "decline")
            else state.last_offer_turn,
            person_offered_turn=state.turn if PERSON_OFFER in reply else state.person_offered_turn,
            asked_for=ask_for,
        ),
    )


def _handoff_refused_in_turn(state: ConversationState) -> bool:
    return any(
        a.step == "escalate_to_human" and a.outcome == "refused"
        for a in state.ledger.in_turn(state.turn)
    )


def _refused_without_effect(state: ConversationState) -> PolicyCheck | None:
    """A violation this turn when no action succeeded: "resolved" would not be true."""
    violation = _latest(state.checks_in_turn(state.turn), verdict="violation")
    if violation is None:
        return None
    acted = any(
        a.step in EFFECT_TOOLS and a.outcome == "ok" for a in state.ledger.in_turn(state.turn)
    )
    return None if acted else violation


def _escalate(
    state: ConversationState,
    *,
    trigger: Trigger,
    reason: str,
    investigation_steps: int,
    history: Sequence[Utterance],
    root_cause: str | None = None,
    proposal: Proposal | None = None,
    overridden: bool = False,
) -> Ruling:
    handoff = Handoff(
        customer_id=state.customer_id or UNIDENTIFIED,
        customer_name=state.customer_name if state.customer_id else "",
        identifiers_typed=state.identifiers,
        trigger=trigger,
        root_cause=root_cause or _root_cause(state, trigger),
        recommended_action=_recommended_action(state, trigger, proposal),
        attempts=tuple(a for a in state.ledger.attempts if a.step != "escalate_to_human"),
        policy_cited=_policy_cited(state, trigger),
        summary=summarise(history),
    )
    decision = Decision(
        action="escalate",
        trigger=trigger,
        reply=_handoff_reply(state, trigger),
        reason=reason,
        investigation_steps=investigation_steps,
        handoff=handoff,
        proposal=proposal,
        overridden=overridden,
    )
    return Ruling(decision=decision, state=replace(state, status="escalated", asked_for=()))


def _explicit_root_cause(signal: HumanRequest, *, reiterated: bool) -> str:
    if reiterated:
        return (
            f'The customer asked again for a person ("{one_sentence(signal.evidence or "")}") '
            "after the bot offered a resolution."
        )
    return f'The customer asked for a person ("{one_sentence(signal.evidence or "")}").'


def _root_cause(state: ConversationState, trigger: Trigger) -> str:
    if trigger == "policy_gap":
        gap = _latest(state.policy_checks, verdict="gap")
        kind = humanise(gap.request_kind) if gap else "this request"
        return f"The customer asked for {kind}, which no rule in the policy book covers."
    if trigger == "no_progress":
        blocked = state.ledger.blocked()
        if blocked:
            first = blocked[0]
            return (
                f"{first.step} failed ({first.error}) after {first.call} "
                f"call{'s' if first.call > 1 else ''}, so the bot could not complete the request."
            )
    return "The customer asked for a person."


def _recommended_action(
    state: ConversationState, trigger: Trigger, proposal: Proposal | None
) -> str:
    if proposal is not None and proposal.recommended_action.strip():
        return one_sentence(proposal.recommended_action)
    if trigger == "policy_gap":
        gap = _latest(state.policy_checks, verdict="gap")
        kind = humanise(gap.request_kind) if gap else "the request"
        return f"Decide whether to make an exception for {kind}, then reply to the customer."
    if trigger == "no_progress":
        tools = ", ".join(sorted({a.step for a in state.ledger.blocked()})) or "the failed step"
        return f"Complete {tools} by hand or check that system, then tell the customer."
    declined = _latest(state.policy_checks, verdict="violation")
    if declined is not None:
        return (
            f"Take over now: the customer asked for a person after the bot declined "
            f"{humanise(declined.request_kind)} under {declined.rule_id}; review that and reply."
        )
    if any(a.step != "escalate_to_human" for a in state.ledger.attempts):
        return "Take over now: the customer asked for a person; see the attempts for what was done."
    return "Take over now: greet the customer and ask how you can help; nothing was investigated."


def _policy_cited(state: ConversationState, trigger: Trigger) -> str | None:
    """The latest rule the bot applied in this conversation (a gap cites none)."""
    if trigger == "policy_gap":
        return None
    return next((c.rule_id for c in reversed(state.policy_checks) if c.rule_id), None)


def out_of_hours_reply(reply: str) -> str:
    """A handoff reply for a team that is out: without "now" and "they will reply right here"
    (the notice after it says when a person picks the case up)."""
    for immediate, later in _IMMEDIATE_TO_LATER:
        reply = reply.replace(immediate, later)
    return reply


def _handoff_reply(state: ConversationState, trigger: Trigger) -> str:
    if trigger != "no_progress":
        return _done_first(state, HANDOFF_REPLY[trigger])
    blocked = state.ledger.blocked()
    what = _describe_step(blocked[0]) if blocked else "one of our systems"
    return _done_first(state, HANDOFF_REPLY["no_progress"].format(what=what))


_DONE: Final[dict[str, str]] = {
    "create_replacement": "the replacement",
    "issue_refund": "the refund",
    "issue_credit": "the shipping credit",
    "adjust_price": "the price adjustment",
    "cancel_order": "the cancellation",
    "change_address": "the new delivery address",
}


def _done_first(state: ConversationState, reply: str) -> str:
    """What this turn already carried out, said before the handoff (nothing is left unsaid)."""
    done = [
        _DONE[str(a.step)] + _for_order(a.detail)
        for a in state.ledger.in_turn(state.turn)
        if a.step in EFFECT_TOOLS and a.outcome == "ok"
    ]
    if not done:
        return reply
    listed = done[0] if len(done) == 1 else ", ".join(done[:-1]) + " and " + done[-1]
    return f"I've taken care of {listed}. {reply}"


def _for_order(detail: str) -> str:
    # An action's detail is "<tool> <order number>[ <what was set>]" (bot.turns.tools);
    # anything else names no order.
    parts = detail.split()
    return f" for order {parts[1]}" if len(parts) >= 2 and parts[0] in EFFECT_TOOLS else ""


def _describe_step(attempt: Attempt) -> str:
    return f"our {attempt.step.replace('_', ' ')} system"


def _clarify_reply(kinds: Sequence[IdentifierKind]) -> str:
    if not kinds:
        return _OPEN_QUESTION
    names = {
        "email": "the email address",
        "phone": "the phone number",
        "order_number": "an order number",
    }
    wanted = [names[k] for k in kinds]
    listed = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
    return (
        "I can help with this here. To make sure I have the right account, could you give me "
        f"{listed} on it?"
    )

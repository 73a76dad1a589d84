"""The tools both agents use (DESIGN.md §4), run through the engine's wrappers.

Every call goes through the core's retry rule and into the attempt ledger. Customer data
reaches the agent only for the customer the customer's own identifiers singled out; an
ambiguous lookup returns the identifier kinds to ask for and no records. Each action is
policy-checked; a violation is refused with the rule's text. Actions are collected as
`Effect`s and written by the turn's transaction, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from babel.numbers import format_currency

from bot.shop.port import Shop, action_key
from escalation.engine import escalation_refusal, hear_customer_words, identify_customer
from escalation.ledger import ToolError, ToolResult, run_tool
from escalation.matching import CustomerCandidate
from escalation.policy import (
    OrderRequired,
    PolicyBook,
    PolicyRequest,
    check_policy,
    normalise_request_kind,
)
from escalation.records import Effect, Order
from escalation.state import ConversationState
from escalation.vocabulary import TOOL_NAMES, TRIGGERS, ToolErrorKind, ToolName, Trigger

DEFAULT_CURRENCY = "USD"
OTHER_REQUEST: Final = "other"
# Before a retry (the rule allows two): 0.5 s, then 1 s, or what the system asked, at most 5 s.
RETRY_PAUSE: Final = 0.5
MAX_RETRY_PAUSE: Final = 5.0
# Questions any customer may ask about their own order: no policy speaks to them, and they are
# not gaps either.
INFORMATIONAL_REQUESTS: Final = frozenset(
    {
        "order_status",
        "status",
        "tracking",
        "order_tracking",
        "delivery_status",
        "delivery_date",
        "order_details",
        "where_is_my_order",
    }
)
# Moods, confidence and wishes for a person are never request kinds (they must not become a
# gap verdict, the ground for a policy_gap escalation).
# Whole words of the kind only: "personalise_mug" or "tone_down_packaging" are requests.
_NOT_A_REQUEST: Final = re.compile(
    r"(?<![a-z])(?:angry|anger|furious|upset|frustrat[a-z]*|annoy[a-z]*|sentiment|moods?|tone"
    r"|confiden[a-z]*|unsure|uncertain|escalat[a-z]*|humans?|persons?|people|agents?|managers?"
    r"|supervisors?|representatives?)(?![a-z])",
    re.I,
)

# The policy request kind each action is checked against.
ACTION_REQUEST: Final[dict[ToolName, str]] = {
    "create_replacement": "replacement",
    "issue_refund": "refund",
    "issue_credit": "shipping_credit",
    "adjust_price": "price_adjustment",
    "cancel_order": "cancellation",
    "change_address": "address_change",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """Fail the next `times` calls of `tool` with `error` (counted across a whole scenario)."""

    tool: ToolName
    error: ToolErrorKind
    times: int = 1


class FaultPlan:
    """Injected tool faults for scenario runs; an empty plan injects nothing."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._remaining: list[list[Any]] = [[f.tool, f.error, f.times] for f in faults]

    def raise_if_due(self, tool: ToolName) -> None:
        for entry in self._remaining:
            if entry[0] == tool and entry[2] > 0:
                entry[2] -= 1
                raise ToolError(entry[1], f"injected {entry[1]}")


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """What the agent asked for with `escalate_to_human` (validated later by the engine)."""

    trigger: Trigger
    root_cause: str
    recommended_action: str
    customer_words: str = ""


class BadArguments(ValueError):
    pass


@dataclass
class ToolBox:
    """One turn's tools over a shop, a policy book and the conversation's state.

    `message` is the customer's current message: the words an escalation quotes are checked
    against it. Actions reach the shop with their idempotency key (`action_key`: once per order
    and kind), so a retried call, a retried turn or a later conversation never acts twice.
    """

    shop: Shop
    book: PolicyBook
    state: ConversationState
    message: str
    currency: str = DEFAULT_CURRENCY
    faults: FaultPlan = field(default_factory=FaultPlan)
    effects: list[Effect] = field(default_factory=list)
    escalation: EscalationRequest | None = None
    pause: Callable[[float], None] = field(default=lambda seconds: None, repr=False)
    _tried_keys: set[str] = field(default_factory=set, init=False, repr=False)

    def call(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Run tool `name`; the answer is a JSON-ready document for the agent."""
        if name not in TOOL_NAMES:
            return {"status": "error", "detail": f"unknown tool {name!r}"}
        if self.escalation is not None:
            # Once a handoff is accepted the turn is the person's: no lookup or action after it.
            return {
                "status": "not_run",
                "detail": "The conversation is being handed to a person; nothing else is done "
                "in this turn.",
            }
        tool: ToolName = name
        handler: Callable[[Mapping[str, Any]], tuple[ToolResult, dict[str, Any]]] = getattr(
            self, f"_{tool}"
        )
        answer: dict[str, Any] = {}
        calls = 0
        wait = 0.0

        def attempt() -> ToolResult:
            nonlocal answer, calls, wait
            if calls:  # a retry: give a busy or rate-limited system a moment first
                self.pause(min(wait or RETRY_PAUSE * 2 ** (calls - 1), MAX_RETRY_PAUSE))
            calls += 1
            try:
                self.faults.raise_if_due(tool)
                result, answer = handler(arguments)
            except ToolError as error:
                wait = error.retry_after or 0.0
                raise
            except BadArguments as error:
                result, answer = (
                    ToolResult("refused", str(error)),
                    {
                        "status": "error",
                        "detail": str(error),
                    },
                )
            return result

        run = run_tool(tool, attempt, turn=self.state.turn)
        self.state = self.state.record_run(run)
        if run.error is not None:
            return {
                "status": "error",
                "error": run.error.kind,
                "calls": len(run.attempts),
                "detail": "the tool kept failing; it was retried as far as allowed"
                if run.error.kind in ("timeout", "unavailable")
                else "the tool refused or failed; retrying will not help",
            }
        return answer

    # --- the tools ------------------------------------------------------------------------

    def _find_customer(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        queries = [
            str(v)
            for k in ("query", "email", "phone", "order_number")
            if (v := args.get(k)) not in (None, "")
        ]
        # Whatever the agent searched for, the customer's own identifiers are searched too,
        # and only they can single a customer out.
        typed = self.state.identifiers
        queries += [*typed.emails, *typed.phones, *typed.order_numbers]
        if not queries:
            raise BadArguments("give a name, email, phone or order number to search for")
        candidates: dict[str, CustomerCandidate] = {}
        for query in queries:
            for candidate in self.shop.search_customers(query):
                candidates.setdefault(candidate.customer_id, candidate)
        match, self.state = identify_customer(
            self.state, list(candidates.values()), message=self.message
        )
        if match.kind == "matched" and match.customer_id is not None:
            return ToolResult("ok", f"matched {match.customer_id}"), self._customer_view(
                match.customer_id
            )
        if match.kind == "ambiguous":
            return ToolResult("ambiguous", f"ask for {', '.join(match.ask_for)}"), {
                "status": "ambiguous",
                "ask_for": list(match.ask_for),
                "detail": "No single customer is identified by what the customer typed. Ask "
                "the customer for one of these identifiers. Do not pick or guess a record.",
            }
        return ToolResult("not_found"), {
            "status": "not_found",
            "detail": "No customer matches the identifiers the customer gave.",
        }

    def _get_order(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        order = self._own_order(args)
        if isinstance(order, dict):
            return ToolResult("refused", order["detail"]), order
        return ToolResult("ok", order.number), {
            "status": "ok",
            "order": order_view(order, currency=self.currency),
        }

    def _check_policy(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        request = self._request_kind(args)
        if _NOT_A_REQUEST.search(request):
            raise BadArguments(
                "'request' names what the customer asks for (e.g. refund, gift_wrapping), never "
                "how they feel, how sure you are, or a wish for a person (that is not a policy "
                "matter)"
            )
        if normalise_request_kind(request) in INFORMATIONAL_REQUESTS:
            return ToolResult("ok", "not a policy matter"), {
                "status": "ok",
                "verdict": "not_a_policy_matter",
                "detail": "Telling a customer where their order is needs no policy: use get_order.",
            }
        order = None
        if args.get("order_number"):
            found = self._own_order(args)
            if isinstance(found, dict):
                return ToolResult("refused", found["detail"]), found
            order = found
        try:
            verdict = check_policy(
                self.book,
                PolicyRequest(request, order.facts() if order else None, _problem(args)),
            )
        except OrderRequired:
            return ToolResult("refused", "needs an order"), {
                "status": "needs_order",
                "detail": "The rules on this depend on the order: ask for its order number.",
                "rules": [
                    {"id": r.id, "title": r.title, "text": r.text}
                    for r in self.book.speaking_to(request, _problem(args))
                ],
            }
        self.state = self.state.record_verdict(verdict)
        return ToolResult("ok", f"{verdict.kind}"), {
            "status": "ok",
            "verdict": verdict.kind,
            "rule": verdict.rule.id if verdict.rule else None,
            "explanation": verdict.explanation,
            **self._amount(verdict.rule.amount if verdict.rule else None),
        }

    def _request_kind(self, args: Mapping[str, Any]) -> str:
        """A kind the book covers, a question about an order, or `other` with what is asked:
        only `other` can come back a gap, so a word the book uses differently ("cancel" for
        "cancellation") is refused, never taken for a request no rule covers."""
        request = normalise_request_kind(_text(args, "request"))
        if request == OTHER_REQUEST:
            asked = normalise_request_kind(_text(args, "other_request"))
            if asked in self.book.covered_kinds():
                return asked  # the book covers it: checked as such, no gap
            same = self.book.kinds_said_otherwise(asked)
            if same:
                raise BadArguments(
                    f"'{asked}' is what the book calls {' or '.join(same)}: use "
                    f"request={same[0]} ('other' is for what the book does not name)"
                )
            return asked
        if request in self.book.covered_kinds() or request in INFORMATIONAL_REQUESTS:
            return request
        raise BadArguments(
            f"'request' must be one of {', '.join(request_kinds(self.book))}; for anything "
            "else use 'other' and say in 'other_request' what the customer asks for"
        )

    def _create_replacement(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        return self._act("create_replacement", args, amount=lambda order, rule_amount: None)

    def _issue_refund(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        return self._act("issue_refund", args, amount=lambda order, rule_amount: order.total)

    def _issue_credit(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        return self._act("issue_credit", args, amount=lambda order, rule_amount: rule_amount)

    def _adjust_price(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        return self._act(
            "adjust_price",
            args,
            amount=lambda order, rule_amount: order.total - (order.current_price or order.total),
        )

    def _cancel_order(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        return self._act("cancel_order", args, amount=lambda order, rule_amount: None)

    def _change_address(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        address = _text(args, "new_address")
        return self._act(
            "change_address", args, amount=lambda order, rule_amount: None, detail=address
        )

    def _escalate_to_human(self, args: Mapping[str, Any]) -> tuple[ToolResult, dict[str, Any]]:
        trigger = args.get("trigger")
        if trigger not in TRIGGERS:
            raise BadArguments(f"'trigger' must be one of {', '.join(TRIGGERS)}")
        words = str(args.get("customer_words") or "")
        refusal = self._escalation_refusal(trigger, words)
        if refusal is not None:
            return ToolResult("refused", refusal), {
                "status": "refused",
                "reason": refusal,
                "detail": "No handoff will be made. Go on working this turn: help with what "
                "the customer needs using the tools. Do not tell the customer a person is "
                "coming, and do not ask for account details only because of this.",
            }
        self.escalation = EscalationRequest(
            trigger=trigger,
            root_cause=str(args.get("root_cause") or ""),
            recommended_action=str(args.get("recommended_action") or ""),
            customer_words=words,
        )
        return ToolResult("ok", trigger), {
            "status": "accepted",
            "detail": "The handoff is made when you finish this turn. Do nothing else: tell "
            "the customer a person from the team will take over right here.",
        }

    def _escalation_refusal(self, trigger: Trigger, words: str) -> str | None:
        if trigger != "explicit_request":
            return escalation_refusal(self.state, trigger)
        # Stage 1 may already have heard the request; otherwise the quoted words must show it.
        if escalation_refusal(self.state, trigger) is None:
            return None
        hearing = hear_customer_words(self.state, message=self.message, words=words)
        self.state = hearing.state
        return hearing.refusal

    # --- helpers --------------------------------------------------------------------------

    def _act(
        self,
        tool: ToolName,
        args: Mapping[str, Any],
        *,
        amount: Callable[[Order, Decimal | None], Decimal | None],
        detail: str | None = None,
    ) -> tuple[ToolResult, dict[str, Any]]:
        order = self._own_order(args)
        if isinstance(order, dict):
            return ToolResult("refused", order["detail"]), order
        # An address set is that address: a corrected one is a new change, the same one is not.
        done_key = f"{tool} {order.number}" + (f" {detail}" if tool == "change_address" else "")
        if self._done_before(tool, done_key, order.number, detail):
            return ToolResult("refused", "already done"), {
                "status": "already_done",
                "detail": f"{tool} was already carried out for order {order.number} in this "
                "conversation; it is not repeated.",
            }
        verdict = check_policy(
            self.book, PolicyRequest(ACTION_REQUEST[tool], order.facts(), _problem(args))
        )
        self.state = self.state.record_verdict(verdict)
        if verdict.kind != "allowed" or verdict.rule is None:
            return ToolResult("refused", verdict.kind), {
                "status": "refused",
                "verdict": verdict.kind,
                "rule": verdict.rule.id if verdict.rule else None,
                "explanation": verdict.explanation,
            }
        value = amount(order, verdict.rule.amount)
        wanted = Effect(
            tool=tool,
            customer_id=order.customer_id,
            order=order.number,
            amount=value,
            detail=detail,
        )
        key = action_key(wanted)
        retrying = key in self._tried_keys  # a call of this turn that failed may have acted
        self._tried_keys.add(key)
        done = self.shop.carry_out(wanted, idempotency_key=key)
        if done.before and not retrying:
            return ToolResult("refused", "already done"), {
                "status": "already_done",
                "done_at": done.at.date().isoformat(),
                "detail": f"{tool} was already carried out for order {order.number} on "
                f"{done.at:%d %B %Y}; it is not repeated.",
            }
        effect = done.effect
        self.effects.append(effect)
        return ToolResult("ok", done_key), {
            "status": "done",
            "rule": verdict.rule.id,
            "effect": {**effect.as_dict(), **self._amount(effect.amount)},
        }

    def _done_before(
        self, tool: ToolName, done: str, order_number: str, detail: str | None
    ) -> bool:
        return any(
            a.step == tool and a.outcome == "ok" and a.detail == done
            for a in self.state.ledger.attempts
        ) or any(
            e.tool == tool
            and e.order == order_number
            and (tool != "change_address" or e.detail == detail)
            for e in self.effects
        )

    def _own_order(self, args: Mapping[str, Any]) -> Order | dict[str, Any]:
        number = _text(args, "order_number")
        if self.state.customer_id is None:
            return {
                "status": "refused",
                "detail": "No customer is identified yet: use find_customer with what the "
                "customer typed, or ask them for their email, phone or order number.",
            }
        order = self.shop.order(number)
        if order is None or not self.state.may_act_on(order.customer_id):
            # Never reveal whether someone else's order exists.
            return {"status": "not_found", "detail": f"No order {number} on this account."}
        return order

    def _amount(self, amount: Decimal | None) -> dict[str, Any]:
        """An amount for an answer: the number, and as the customer should read it."""
        if amount is None:
            return {"amount": None}
        return {"amount": float(amount), "amount_text": format_money(amount, self.currency)}

    def _customer_view(self, customer_id: str) -> dict[str, Any]:
        candidate = self.shop.candidate(customer_id)
        orders = [self.shop.order(n) for n in candidate.order_numbers]
        return {
            "status": "matched",
            "customer_id": customer_id,
            "orders": [order_view(o, currency=self.currency) for o in orders if o is not None],
        }


def order_view(order: Order, *, currency: str = DEFAULT_CURRENCY) -> dict[str, Any]:
    """An order as the agents see it (JSON: amounts as numbers, with the currency)."""
    facts = order.facts()
    return {
        "number": order.number,
        "item": order.item,
        "status": order.status,
        "total": float(order.total),
        "total_text": format_money(order.total, currency),
        "ordered_days_ago": facts.days_since_order,
        "delivered_days_ago": facts.days_since_delivery,
        "days_past_promised_date": facts.days_past_due,
        "current_price_on_our_site": _number(order.current_price),
    }


def request_kinds(book: PolicyBook) -> tuple[str, ...]:
    """What `check_policy` takes as `request`: the book's kinds, a status question, `other`."""
    return (*book.covered_kinds(), "order_status", OTHER_REQUEST)


def format_money(amount: Decimal, currency: str) -> str:
    """ "$5.00", "€12.50", "CHF 3.00": an amount as a customer reads it, with its currency."""
    return format_currency(amount, currency, locale="en_US")


def _number(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _text(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        raise BadArguments(f"'{key}' is required")
    return str(value).strip()


def _problem(args: Mapping[str, Any]) -> str | None:
    problem = args.get("problem")
    return str(problem).strip().lower().replace(" ", "_") if problem else None

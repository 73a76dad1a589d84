"""The offline agent: deterministic understanding plus the tools, no model.

It is the product's embedded default and Claude's fallback. It works only through
`tools.call(...)` and reads `tools.state` (the engine's view); it never touches the shop. It
identifies the customer only through find_customer (which matches on the identifiers the
customer typed), acts only on that customer's orders, and escalates only on a gap verdict or a
failed tool: never on tone, never because it is unsure (it asks instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from bot.agents.base import AgentTurn
from bot.agents.needs import (
    Intent,
    Understanding,
    extract_address,
    extract_name,
    is_frustrated,
    item_codes,
    item_meant,
    looks_like_address,
    mentions_item,
    need_clauses,
    says_thanks,
    separate,
    taken_back,
    understand,
)
from bot.turns.tools import ACTION_REQUEST, OTHER_REQUEST, ToolBox, request_kinds
from escalation.engine import PERSON_IF_PREFERRED, PERSON_OFFER, Proposal
from escalation.handoff import Utterance
from escalation.identifiers import OWNS_A_SLIP, extract_identifiers, without_split_parts
from escalation.policy import humanise
from escalation.vocabulary import EFFECT_TOOLS, IdentifierKind, ToolName

Order = Mapping[str, Any]  # an order as the tools show it (bot.turns.tools.order_view)

FRUSTRATION_ACK: Final = "I'm sorry, I understand how frustrating this is."
SIGNAL_ACK: Final = "I'm the shop's support assistant, and I can take care of this right here."
DEFAULT_ASK: Final[tuple[IdentifierKind, ...]] = ("order_number", "email", "phone")
_ID_NAMES: Final[dict[str, str]] = {
    "order_number": "your order number",
    "email": "the email address on your account",
    "phone": "the phone number on your account",
}
_LEADS: Final[dict[str, str]] = {
    "order_status": "I can check on your order for you.",
    "late_delivery": "I can look into the delay for you.",
    "damaged": "I can sort out the damaged item for you.",
    "wrong_item": "I can put the wrong item right for you.",
    "refund": "I can help with the refund.",
    "price_drop": "I can check the price for you.",
    "cancel": "I can help you cancel.",
    "address_change": "I can help change the delivery address.",
    "service_request": "I can look into that for you.",
}
_GOALS: Final[dict[str, str]] = {
    "order_status": "look up the order's status",
    "late_delivery": "look into the late delivery and add the shipping credit",
    "damaged": "send the replacement or refund for the damaged item",
    "wrong_item": "send the right item or refund the wrong one",
    "refund": "process the refund",
    "price_drop": "refund the price difference",
    "cancel": "cancel the order",
    "address_change": "change the delivery address",
    "service_request": "answer the customer's request",
    "competitor_price_match": "answer the price-match request",
}
# The order statuses an intent plausibly concerns (to single out one of the customer's orders).
# Only where a single order can have the problem: a refund or a cancellation is never guessed.
_PLAUSIBLE: Final[dict[str, tuple[str, ...]]] = {
    "damaged": ("delivered",),
    "wrong_item": ("delivered",),
    "late_delivery": ("processing", "shipped"),
}
LOST_PARCEL: Final = "lost_parcel"
_OFFER = re.compile(
    r"I can (cancel|take back|refund the price difference on|add a shipping credit to your "
    r"account for) order #?([\w-]+)\b[^.]*\.\s*Just reply yes",
    re.I,
)
_OFFERED_NEED: Final[dict[str, Intent]] = {
    "cancel": "cancel",
    "take back": "refund",
    "refund the price difference on": "price_drop",
    "add a shipping credit to your account for": "late_delivery",
}
_MAX_ORDERS_LISTED: Final = 3


class OfflineAgent:
    """Deterministic agent: understands the message, works the tools, proposes an outcome."""

    name = "offline"

    def take_turn(self, *, text: str, history: Sequence[Utterance], tools: ToolBox) -> AgentTurn:
        proposal = _Turn(text=text, history=history, tools=tools).run()
        return AgentTurn(proposal=proposal, model_requests=0, agent=self.name)


class _Stop(Exception):
    """Ends the turn early with a proposal (a question, a failure, a refusal)."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(proposal.action)
        self.proposal = proposal


@dataclass(frozen=True, slots=True)
class _Need:
    """What the customer wants this turn, and the messages it was expressed in."""

    understanding: Understanding
    texts: tuple[str, ...]
    offered_order: str | None = None

    @property
    def intent(self) -> Intent | None:
        return self.understanding.intent


class _Turn:
    def __init__(
        self,
        *,
        text: str,
        history: Sequence[Utterance],
        tools: ToolBox,
        need: _Need | None = None,
    ) -> None:
        said = text
        # the end of an identifier split over two messages was read with its start
        previous = [u.text for u in history if u.speaker == "customer" and u.text != said]
        if previous:
            text = without_split_parts([previous[-1], text])[1]
        self.text, self.said = text, said
        self.tools = tools
        self.now = understand(text)
        if _the_declined_money_again(self.now, text, tools):
            self.now = replace(self.now, intent=None, also=(), at=(), wants_refund=False)
        # Pushing back on a "no" ("they're basically new!") is about the need just declined.
        pushback = _declined(tools) and (
            (not self.now.has_need and self.now.reaction is None)
            or (
                _ASKED_WHY.search(text) is not None
                # ("why you cannot stop it? it is not arrived yet": not a late parcel)
                and self.now.intent
                in (None, "order_status", "late_delivery", *_declined_needs(tools))
            )
            or _the_declined_need_again(self.now, text, tools)
        )
        if pushback and self.now.has_need:
            self.now = replace(self.now, intent=None, also=(), at=())  # "why?? it hasn't..."
        # "the second one", "the candle one", after a reply that listed orders, picks from
        # that reply's need.
        last = next((u.text for u in reversed(history) if u.speaker != "customer"), None)
        picked = not self.now.has_need and (
            (len(_listed_numbers(last)) > 1 and _asked(last or "")) or _same_for_another_order(text)
        )
        corrected = _corrected_address(self.now, text, last)
        if corrected is not None:
            # "typo, it's 72 Kingfisher Way, not 27": the address just set, put right
            self.now = replace(self.now, intent="address_change", new_address=corrected, at=(0,))
        earlier, self.last_bot = _conversation_window(
            said, history, past_decline=pushback or picked
        )
        if _OFFER.search(self.last_bot or "") and text.rstrip().endswith("?"):
            # a question about the offer ("is it free to send back?") takes nothing up
            self.now = replace(self.now, tentative=True)
        if (self.last_bot or "").startswith(_RULES_ANSWER) and not _going_ahead(self.now, text):
            # told the rule, only a yes or a request carries the need on: "nah, I'll keep it",
            # "ok and 1042?" move nothing
            earlier = []
        self.need = need or _find_need(self.now, text, earlier, self.last_bot)
        # "oh sorry, it's PRIYA@... and while you're at it, has my pen shipped?": the need we
        # asked details for is answered first, then the new one
        self.pending = (
            _pending_need(self.now, text, earlier, self.last_bot) if need is None else None
        )
        self.earlier_texts = previous
        self.frustrated = self.now.frustrated or any(is_frustrated(t) for t in self.need.texts)
        self.orders: list[Order] | None = None
        # the order the need before this one in the same message was about ("are the pencils
        # sent? if not, can they go to ...")
        self.carried: str | None = None
        self.voiced = need is None  # a further need's reply is part of the first one's

    # --- the turn ---------------------------------------------------------------------

    def run(self) -> Proposal:
        """Each need the message states, in order, while the ones before it are settled."""
        instead = self._what_policy_allows_instead()
        if instead is not None:
            return instead
        if self.now.about_the_rules and self.pending is None:
            answered = self._settle_rules_question()
            if answered is not None:
                return answered
        needs = _separate(self.need)
        if self.pending is not None:
            needs = [self.pending, *needs]
        proposals = [self._settle(needs[0])]
        for need in needs[1:]:
            asking = proposals[-1].action == "clarify"
            if proposals[-1].action not in ("resolve", "decline") and not (
                asking and need.intent in _POLICY_QUESTIONS
            ):
                break  # a question for the book alone is asked even while details are missing
            further = _Turn(text=self.text, history=(), tools=self.tools, need=need)
            further.last_bot, further.orders = self.last_bot, self.orders
            further.carried = self.carried
            proposals.append(further._settle(need))
            self.carried = further.carried
        return _combine(proposals)

    def _settle_rules_question(self) -> Proposal | None:
        try:
            return self._rules_answer()
        except _Stop as stop:
            return stop.proposal

    def _rules_answer(self) -> Proposal | None:
        """ "How long do I have to send something back?": the book's own words, no lookup."""
        texts: list[str] = []
        for intent in (self.now.intent, *self.now.also):
            request = _RULE_REQUESTS.get(str(intent))
            if request is None:
                continue
            kind, problem = request
            answer = self._call("check_policy", {"request": kind, "problem": problem})
            if answer.get("verdict") == "allowed":
                found = [str(answer.get("explanation") or "")]
            else:
                found = [str(rule.get("text") or "") for rule in answer.get("rules") or ()]
            texts.extend(t for t in found if t and t not in texts)
        if not texts:
            return None
        typed = self._typed_order_numbers()
        next_step = (
            f"If you'd like me to go ahead with order {typed[-1]}, just say so."
            if typed
            else "If you'd like me to look at one of your orders, just send me its order number."
        )
        return self._resolve(
            f"{_RULES_ANSWER} {' '.join(texts)} {next_step}",
            reason="a question about the rules, answered from the policy book",
        )

    def _settle(self, need: _Need) -> Proposal:
        self.need = need
        try:
            return self._work()
        except _Stop as stop:
            return stop.proposal

    def _work(self) -> Proposal:
        answered = self._return_question()
        if answered is not None:
            return answered
        intent = self.need.intent
        if intent is None and self.now.asked_about:
            return self._asked_about(self.now.asked_about)
        if intent is None:
            return self._no_need()
        if intent in ("competitor_price_match", "service_request"):
            return self._policy_request()
        self._identify()
        order = self._get_order(self._choose_order())
        return self._act_on(order)

    def _return_question(self) -> Proposal | None:
        """ "Should I send the wrong one back?" after a wrong item was put right: the rule that
        put it right answers, when it speaks to returning it."""
        if not self.voiced or not _RETURN_QUESTION.search(self.text):
            return None
        if not any(understand(t).problem == "wrong_item" for t in self.earlier_texts):
            return None
        shown = _listed_numbers(self.last_bot)
        if len(shown) != 1:
            return None
        self._identify()
        order = self._get_order(shown[0])
        answer = self._call(
            "check_policy",
            {"request": "replacement", "order_number": order["number"], "problem": "wrong_item"},
        )
        rule = str(answer.get("explanation") or "")
        if answer.get("verdict") != "allowed" or "returned" not in rule.lower():
            return None
        return self._resolve(
            f"You don't need to do anything with it. {rule}", reason="the wrong-item rule answers"
        )

    def _act_on(self, order: Order) -> Proposal:
        if order["status"] == "delivered" and self.need.understanding.not_received:
            # Marked delivered, never received: a lost parcel, which no rule of the book covers,
            # whatever remedy is asked for (no refund or credit for a parcel that may be lost).
            return self._after_verdict(self._check(LOST_PARCEL, order), order)
        if self.need.understanding.tentative and self.voiced:
            offered = self._offer_only(order)
            if offered is not None:
                return offered
        handlers: dict[str, Callable[[Order], Proposal]] = {
            "order_status": self._status,
            "late_delivery": self._late,
            "damaged": self._item_problem,
            "wrong_item": self._item_problem,
            "refund": self._refund,
            "price_drop": self._price_drop,
            "cancel": self._cancel,
            "address_change": self._address_change,
            "service_request": self._check_with_order,
            "competitor_price_match": self._check_with_order,
        }
        return handlers[str(self.need.intent)](order)

    # --- intents ----------------------------------------------------------------------

    def _status(self, order: Order) -> Proposal:
        return self._resolve(_sentence(describe_order(order)), reason="order status given")

    def _late(self, order: Order) -> Proposal:
        late = order.get("days_past_promised_date")
        status = _sentence(describe_order(order))
        if order["status"] != "cancelled" and isinstance(late, int) and late > 0:
            return self._act(
                "issue_credit",
                order,
                done=lambda effect: (
                    "I'm sorry it's late. I've added a shipping credit of "
                    f"{_money(effect)} to your account for the delay. {status}"
                ),
            )
        if self.need.understanding.wants_credit:
            # The credit asked for is the late-delivery rule's: its "no" is explained.
            return self._after_verdict(self._check("late_delivery", order), order)
        if order["status"] == "delivered":
            return self._resolve(
                f"{status} If it hasn't reached you, tell me and I'll look into it.",
                reason="order status given: delivered on time",
            )
        return self._resolve(
            f"{status} It isn't past its promised delivery date yet.",
            reason="order status given: not late yet",
        )

    def _item_problem(self, order: Order) -> Proposal:
        problem = self.need.understanding.problem
        tool: ToolName = (
            "issue_refund" if self.need.understanding.wants_refund else ("create_replacement")
        )
        item = _item(order)

        def done(effect: Mapping[str, Any]) -> str:
            number = order["number"]
            if tool == "issue_refund":
                return f"I've refunded {_money(effect)} for the {item} (order {number})."
            return f"I've arranged a free replacement {item} for order {number}."

        return self._act(tool, order, extra={"problem": problem}, done=done)

    def _offer_return(self, order: Order, *, lead: str, why: str) -> Proposal:
        """What the returns rule allows, offered (done on a yes), or its "no" explained."""
        verdict = self._check("refund", order)
        if verdict.get("verdict") != "allowed":
            return self._after_verdict(verdict, order)
        return self._resolve(
            f"{lead} within our returns window, so I can take back order {order['number']} "
            f"({_item(order)}) for a full refund. Just reply yes and I'll arrange it.",
            reason=f"{why}: the refund the returns rule allows is offered",
        )

    def _offer_only(self, order: Order) -> Proposal | None:
        """Asked whether it can be done, not asked to do it ("is it still possible to cancel?
        just checking"): what the rule allows is told and offered, done on a yes."""
        intent = str(self.need.intent)
        number, item = order["number"], _item(order)
        if intent == "refund":
            return self._offer_return(order, lead="It's", why="a return only asked about")
        if intent in ("damaged", "wrong_item"):
            problem = self.need.understanding.problem
            verdict = self._call(
                "check_policy",
                {"request": "replacement", "order_number": number, "problem": problem},
            )
            if verdict.get("verdict") != "allowed":
                return None
            return self._resolve(
                f"Both are possible for order {number} ({item}): I can send you a free "
                "replacement, or refund it in full. Which would you prefer?",
                reason="remedies only asked about: both offered",
            )
        offers = {
            "cancel": ("cancellation", f"I can cancel order {number} ({item}) free of charge"),
            "price_drop": (
                "price_adjustment",
                f"I can refund the price difference on order {number} ({item})",
            ),
            "late_delivery": (
                "late_delivery",
                f"I can add a shipping credit to your account for order {number} ({item})",
            ),
        }
        if intent not in offers or order["status"] == "cancelled":
            return None
        kind, offer = offers[intent]
        verdict = self._check(kind, order)
        if verdict.get("verdict") != "allowed":
            return self._after_verdict(verdict, order)
        rule = str(verdict.get("explanation") or "")
        return self._resolve(
            " ".join(filter(None, (rule, f"{offer}. Just reply yes and I'll do it."))),
            reason=f"{intent} only asked about: what the rule allows is offered",
        )

    def _refund(self, order: Order) -> Proposal:
        if self.need.understanding.later_fault:
            # A fault told, no refund asked: the returns rule's answer is offered, not done.
            return self._offer_return(
                order, lead="I'm sorry it stopped working. It's still", why="a later fault"
            )
        if self.need.understanding.tentative and self.voiced:
            return self._offer_return(order, lead="It's", why="a return only weighed")
        asked = self.need.understanding.refund_amount
        total = order.get("total")
        if (
            asked is not None
            and isinstance(total, int | float)
            and abs(asked - float(total)) > 0.005
        ):
            # "please refund me this 23" on a 130.00 order: part of the money, no return
            return self._after_verdict(self._check("partial_refund", order), order)
        return self._act(
            "issue_refund",
            order,
            done=lambda effect: (
                f"I've refunded {_money(effect)} for order {order['number']} ({_item(order)})."
            ),
        )

    def _price_drop(self, order: Order) -> Proposal:
        return self._act(
            "adjust_price",
            order,
            done=lambda effect: (
                f"I've refunded the price difference of {_money(effect)} on order "
                f"{order['number']} ({_item(order)})."
            ),
        )

    def _cancel(self, order: Order) -> Proposal:
        if order["status"] == "cancelled":
            return self._resolve(
                f"Order {order['number']} is already cancelled.", reason="already cancelled"
            )
        return self._act(
            "cancel_order",
            order,
            done=lambda effect: f"I've cancelled order {order['number']} ({_item(order)}).",
        )

    def _address_change(self, order: Order) -> Proposal:
        address = self._new_address()
        if address is None:
            verdict = self._check("address_change", order)
            if verdict.get("verdict") == "allowed":
                return self._clarify(
                    (),
                    f"What's the new delivery address for order {order['number']}, with the "
                    "postcode?",
                    reason="asked for the new address",
                )
            return self._after_verdict(verdict, order)
        return self._act(
            "change_address",
            order,
            extra={"new_address": address},
            done=lambda effect: (
                f"I've changed the delivery address for order {order['number']} to {address}."
            ),
        )

    def _asked_about(self, kind: str) -> Proposal:
        """A bare noun asked about an order: the order's own item is no request ("desk lamp
        for 1042?"), anything else is asked of the policy book ("gift receipt for 4410?");
        asked about no order, it is a question for the book alone ("student discount?")."""
        if not self._typed_order_numbers():
            return self._after_verdict(self._call("check_policy", {"request": kind}), None)
        self._identify()
        order = self._get_order(self._typed_order_numbers()[-1])
        if mentions_item(kind.replace("_", " "), str(order["item"])):
            return self._no_need()
        return self._after_verdict(self._check(kind, order), order)

    def _check_with_order(self, order: Order) -> Proposal:
        kind = self._request_kind()
        if kind is None:
            return self._no_need()
        return self._after_verdict(self._check(kind, order), order)

    # --- policy requests (gaps) --------------------------------------------------------

    def _policy_request(self) -> Proposal:
        """A request the policy book may not cover: ask the book, escalate only on a gap."""
        kind = self._request_kind()
        if kind is None:
            # A gap is a claim about the policy book: a request not understood is asked about.
            return self._no_need()
        state = self.tools.state
        if state.customer_id is None and state.identifiers:
            self._search(required=False)
        answer = self._call("check_policy", {"request": kind})
        if answer.get("status") == "needs_order":
            self._identify()
            order = self._get_order(self._choose_order())
            return self._check_with_order(order)
        return self._after_verdict(answer, None)

    def _after_verdict(self, answer: Mapping[str, Any], order: Order | None) -> Proposal:
        verdict = answer.get("verdict")
        if verdict == "gap":
            return self._policy_gap(str(answer.get("request") or self._request_kind()), order)
        explanation = str(answer.get("explanation") or "")
        if verdict == "allowed":
            return self._resolve(
                f"Good news: {explanation} Tell me if you'd like me to go ahead.",
                reason="the policy allows it",
            )
        if verdict == "violation":
            return self._decline(explanation, reason="the policy says no", order=order)
        return self._clarify((), _LEADS["service_request"], reason="no verdict")

    def _policy_gap(self, kind: str, order: Order | None) -> Proposal:
        number = order["number"] if order else self._order_hint()
        on_order = f" on order {number}" if number else ""
        if kind == LOST_PARCEL:
            root = (
                f"The customer says order {number}, marked delivered, never reached them; the "
                "policy book has no rule for a lost parcel."
            )
            action = (
                f"Check the carrier's proof of delivery for order {number}, decide on a "
                "replacement or refund, then reply to the customer."
            )
        elif kind == "competitor_price_match":
            root = (
                f"The customer asks us to match a competitor's lower price{on_order}; the policy "
                "book covers only our own price drops."
            )
            action = (
                f"Decide whether to match the competitor's price{on_order} (check the "
                "competitor's offer), then reply to the customer."
            )
        else:
            root = (
                f"The customer asks for {humanise(kind)}{on_order}, which no rule in the policy "
                "book covers."
            )
            action = f"Decide whether we can offer {humanise(kind)}{on_order}, then reply."
        self._call(
            "escalate_to_human",
            {"trigger": "policy_gap", "root_cause": root, "recommended_action": action},
        )
        return Proposal(
            action="escalate",
            trigger="policy_gap",
            reply="That isn't covered by our policy, so a colleague will decide on it.",
            recommended_action=action,
            reason=f"policy gap: no rule covers {humanise(kind)}",
        )

    # --- acting -----------------------------------------------------------------------

    def _act(
        self,
        tool: ToolName,
        order: Order,
        *,
        done: Callable[[Mapping[str, Any]], str],
        extra: Mapping[str, Any] | None = None,
    ) -> Proposal:
        # The book first: a "no" is explained without touching the action's system.
        request = {"order_number": order["number"], **(extra or {})}
        verdict = self._call("check_policy", {"request": ACTION_REQUEST[tool], **request})
        if verdict.get("verdict") in ("gap", "violation"):
            answer: Mapping[str, Any] = {**verdict, "status": "refused"}
        else:
            answer = self._call(tool, request)
        status = answer.get("status")
        if status == "done":
            return self._resolve(done(answer.get("effect") or {}), reason=f"{tool} done")
        if status == "already_done":
            when = _day(answer.get("done_at")) or "earlier in our conversation"
            return self._resolve(
                f"That's already been taken care of for order {order['number']} {when}, so "
                "there's nothing more to do there.",
                reason=f"{tool} already done for {order['number']}",
            )
        if status == "refused" and answer.get("verdict") == "gap":
            return self._policy_gap(ACTION_REQUEST[tool], order)
        if status == "refused" and answer.get("verdict") == "violation":
            offer = self._offer(tool, order)
            return self._decline(
                " ".join(filter(None, (str(answer.get("explanation") or ""), offer))),
                reason=f"{tool} refused by policy {answer.get('rule')}",
                order=order,
            )
        return self._not_on_the_account(str(order["number"]))

    def _what_policy_allows_instead(self) -> Proposal | None:
        """ "Then what can I do?" after a "no" that offered what policy allows: that offer."""
        if self.now.has_need or not _WHAT_INSTEAD.search(self.text) or not _declined(self.tools):
            return None
        offered = _ALTERNATIVE.search(self.last_bot or "")
        if offered is None:
            return None
        return self._resolve(offered.group(), reason="what policy allows instead, told again")

    def _offer(self, tool: ToolName, order: Order) -> str:
        """What policy does allow when the request is refused, if something obvious does."""
        status, number = order["status"], order["number"]
        if tool in ("cancel_order", "issue_refund") and status == "shipped":
            return "Once it's delivered, you can return it for a refund under our returns policy."
        if (
            tool == "issue_refund"
            and status == "processing"
            and self._allows("cancellation", order)
        ):
            return (
                f"It hasn't been dispatched yet, so I can cancel order {number} instead, "
                "which refunds it in full. Just reply yes and I'll do that."
            )
        if tool == "cancel_order" and status == "delivered" and self._allows("return", order):
            return (
                f"As it's already been delivered, I can take back order {number} as a "
                "return for a refund instead. Just reply yes and I'll do that."
            )
        return ""

    def _allows(self, kind: str, order: Order) -> bool:
        return self._check(kind, order).get("verdict") == "allowed"

    def _check(self, kind: str, order: Order) -> Mapping[str, Any]:
        answer = self._call("check_policy", {"request": kind, "order_number": order["number"]})
        return {**answer, "request": kind}

    # --- identification and the order ---------------------------------------------------

    def _identify(self) -> None:
        """Make sure the customer is identified by their own identifiers, or stop and ask."""
        if self.tools.state.customer_id is not None:
            return
        self._search(required=True)

    def _search(self, *, required: bool) -> None:
        args = self._search_args()
        if args is None:
            bare = self._bare_number_reply() if required else None
            if bare is not None:
                raise _Stop(bare)
            if required:
                raise _Stop(self._clarify(DEFAULT_ASK, self._lead(), reason="nothing to search"))
            return
        answer = self._call("find_customer", args)
        status = answer.get("status")
        if status == "matched":
            self.orders = list(answer.get("orders") or [])
        elif not required:
            return
        elif status == "ambiguous":
            kinds = _kinds(answer.get("ask_for")) or DEFAULT_ASK
            raise _Stop(
                self._clarify(
                    kinds,
                    f"{self._lead()} To make sure I'm looking at the right account,",
                    reason="ambiguous match: asking, never picking",
                )
            )
        elif status == "not_found" and set(args) == {"query"}:
            # A name alone is no identifier; what looked like one may not even be a name.
            raise _Stop(self._clarify(DEFAULT_ASK, self._lead(), reason="no customer by that name"))
        elif status == "not_found":
            raise _Stop(
                self._clarify(
                    DEFAULT_ASK,
                    "I couldn't find an account matching those details, so let's double-check.",
                    reason="no customer matches",
                )
            )
        elif status != "matched":
            raise _Stop(self._clarify(DEFAULT_ASK, self._lead(), reason="search failed"))

    def _bare_number_reply(self) -> Proposal | None:
        """A bare "1042" answering our question is not taken as an identifier by the engine."""
        asked = _asked_for_order(self.last_bot)
        bare = extract_identifiers(self.text, expecting=("order_number",)).order_numbers
        if not (asked and bare) or self.tools.state.identifiers:
            return None
        return self._clarify(
            DEFAULT_ASK,
            f'Thanks. Could you send it as "order {bare[0]}", or give me the email address on '
            "your account?",
            reason="a bare number needs its context to identify anyone",
            question="",
        )

    def _search_args(self) -> dict[str, str] | None:
        name = self.need.understanding.name or self.now.name
        if name is None:
            name = next((n for t in self.need.texts if (n := extract_name(t))), None)
        typed = self.tools.state.identifiers
        if name:
            return {"query": name}
        for key, values in (
            ("email", typed.emails),
            ("phone", typed.phones),
            ("order_number", typed.order_numbers),
        ):
            if values:
                return {key: values[-1]}
        return None

    def _choose_order(self) -> str | list[Order]:
        """The order meant: typed, named by its item, the only one, or several (status)."""
        if self.need.offered_order:
            return self.need.offered_order
        if self.need.texts[0] != self.text and _same_for_another_order(self.text):
            typed_now = extract_identifiers(self.text).order_numbers
            if len(typed_now) == 1:
                return typed_now[0]  # "same for 1042 please": the need settled, on 1042
        typed = self._typed_order_numbers()
        shown = _listed_numbers(self.last_bot)
        if len(shown) > 1 and typed and not set(typed) & set(shown):
            # "the one for 140" after a reply that listed orders: a price, no order number
            described = self._by_description(self._customer_orders())
            if described is not None:
                return described
        among = self._among_typed(typed) if len(set(typed)) > 1 else None
        if among is not None:
            return among
        if typed and self.need.texts[0] != self.text and not extract_identifiers(self.text):
            named_now = self._named_now()
            if named_now is not None and named_now not in typed:
                return named_now
        if typed:
            return typed[-1]
        orders = self._customer_orders()
        named = [o for o in orders if self._names_item(o)]
        if len(named) > 1:
            named = self._meant(named)
        if len(named) == 1:
            return str(named[0]["number"])
        if self.carried is not None and not named:
            return self.carried
        focus = self._order_in_focus(orders)
        if focus is not None and not named:
            return focus
        shown = _listed_numbers(self.last_bot)
        if len(shown) == 1 and any(_THE_OTHER.search(t) for t in self.need.texts):
            # "and the other one?" among three: which other is theirs to say
            others = [o for o in orders if str(o["number"]) != shown[0]]
            if not others:
                # nothing else on this account (or no account found yet): its number is asked,
                # and only an order of theirs is named
                own = any(str(o["number"]) == shown[0] for o in orders)
                lead = f"I can only see order {shown[0]} on this account. " if own else ""
                raise _Stop(
                    self._ask_order_number(f"{lead}What is the order number of the other one?")
                )
            listed = _or_list([f"{o['number']} ({_item(o)})" for o in others])
            raise _Stop(self._ask_order_number(f"Which one do you mean: {listed}?"))
        told = [o for o in orders if _fits_days_ago(self.text, o) or _fits_late(self.text, o)]
        if len(told) == 1 and not named:
            return str(told[0]["number"])  # "whatever I ordered yesterday", "the one that's late"
        earlier = self.tools.state.identifiers.order_numbers
        if earlier and not named:
            return earlier[-1]
        candidates = named or orders
        if len(candidates) == 1:
            return str(candidates[0]["number"])
        described = self._by_description(candidates) or _by_price_rank(candidates, self.text)
        if described is not None:
            return described
        plausible = [o for o in candidates if self._plausible(o)]
        if len(plausible) == 1:
            return str(plausible[0]["number"])
        several = 1 < len(candidates) <= _MAX_ORDERS_LISTED
        if self.need.intent == "order_status" and several and self._asked_about_all():
            return candidates  # "where are my orders?": each one's status
        if not candidates:
            raise _Stop(self._ask_order_number("Which order is this about?"))
        listed = _or_list([f"{o['number']} ({_item(o)})" for o in candidates])
        raise _Stop(self._ask_order_number(f"Which order is this about: {listed}?"))

    def _among_typed(self, typed: tuple[str, ...]) -> str | None:
        """Which of several order numbers typed is meant, if the words say."""
        if OWNS_A_SLIP.search(self.text):
            return typed[-1]  # "order 7150, sorry typo, 7105": the number written last
        # "orders 1042 and 1043 ... the lamp is bent": the one whose item is named.
        named_typed = {str(o["number"]) for o in self._customer_orders() if self._names_item(o)}
        chosen = [n for n in typed if n in named_typed]
        if len(set(chosen)) == 1:
            return chosen[0]
        if any(_ONE_OF_THEM.search(text) for text in self.need.texts):
            # "orders 5101 and 5104 ... send one of them back": which one is theirs to say.
            listed = _or_list([f"order {n}" for n in dict.fromkeys(typed)])
            raise _Stop(self._ask_order_number(f"Which one is this about: {listed}?"))
        return self._nearest_to_need(typed)

    def _named_now(self) -> str | None:
        """ "and the other one? the kettle": an item named now wins over a number typed before
        (of several items named, the one named most fully)."""
        named = [o for o in self._customer_orders() if mentions_item(self.text, str(o["item"]))]
        if len(named) > 1:
            meant = item_meant(self.text, [str(o["item"]) for o in named])
            named = [named[meant]] if meant is not None else named
        return str(named[0]["number"]) if len(named) == 1 else None

    def _order_in_focus(self, orders: list[Order]) -> str | None:
        """The order our last reply was about ("cancel it then", "when is it arriving?"), or
        with "the other one" the customer's one other order."""
        shown = [
            n for n in _listed_numbers(self.last_bot) if any(str(o["number"]) == n for o in orders)
        ]
        if len(shown) != 1:
            return None
        if any(_THE_OTHER.search(text) for text in self.need.texts):
            others = [str(o["number"]) for o in orders if str(o["number"]) != shown[0]]
            return others[0] if len(others) == 1 else None
        return shown[0]

    def _by_description(self, candidates: list[Order]) -> str | None:
        """The listed order the answer describes: by status ("the one that hasn't shipped"), by
        price ("the one for 140"), by when ("the one I made two days ago"), or by age."""
        listed = _listed_numbers(self.last_bot)
        if len(listed) < 2:
            return None
        pool = [o for o in candidates if str(o["number"]) in listed]
        said = _NOT_THAT_ONE.sub(" ", self.text)
        for fits in (_fits_status, _fits_price, _fits_days_ago):
            chosen = [o for o in pool if fits(said, o)]
            if len(chosen) == 1:
                return str(chosen[0]["number"])
        return self._by_age(pool, said)

    def _by_age(self, candidates: list[Order], said: str) -> str | None:
        """ "the older one", "the one that arrived this week": the oldest or newest of the
        listed orders (of those delivered, when arrival is the cue)."""
        older, newer = _OLDER.search(said), _NEWER.search(said)
        if bool(older) == bool(newer):
            return None
        pool = candidates
        if _ARRIVAL.search(said):
            pool = [o for o in pool if o["status"] == "delivered"]

        def age(order: Order) -> int:
            days = order.get("delivered_days_ago")
            if not isinstance(days, int):
                days = order.get("ordered_days_ago")
            return days if isinstance(days, int) else 0

        if len(pool) < 2:
            return str(pool[0]["number"]) if pool else None
        ranked = sorted(pool, key=age, reverse=bool(older))
        if age(ranked[0]) == age(ranked[1]):
            return None  # as old as each other: the customer must say which
        return str(ranked[0]["number"])

    def _asked_about_all(self) -> bool:
        return any(_ALL_ORDERS.search(text) for text in self.need.texts)

    def _meant(self, named: list[Order]) -> list[Order]:
        """The one order of several named that the customer's latest words settle on."""
        for text in reversed(self.need.texts):
            if any(mentions_item(text, str(o["item"])) for o in named):
                meant = item_meant(text, [str(o["item"]) for o in named])
                if meant is not None:
                    return [named[meant]]
                # "the 27 inch 4K one": the one whose model or size code is written
                coded = [o for o in named if item_codes(text) & item_codes(str(o["item"]))]
                return coded if len(coded) == 1 else named
        return named

    def _nearest_to_need(self, typed: Sequence[str]) -> str | None:
        """Of several numbers in the message, the one written closest to where the need is."""
        at = self.need.understanding.at
        text = self.need.texts[0]
        if not at or not all(re.search(rf"\b{n}\b", text) for n in typed):
            return None  # a later message's number corrects the earlier ones
        places = [
            (abs(m.start() - at[0]), n) for n in typed for m in re.finditer(rf"\b{n}\b", text)
        ]
        return min(places)[1] if places else None

    def _names_item(self, order: Order) -> bool:
        return any(mentions_item(text, str(order["item"])) for text in self.need.texts)

    def _plausible(self, order: Order) -> bool:
        if self.need.intent == "price_drop":
            price = order.get("current_price_on_our_site")
            return isinstance(price, int | float) and price < float(order["total"])
        if self.need.intent == "late_delivery":
            # "My parcel is late": of the orders still on their way, the one past its date.
            late = order.get("days_past_promised_date")
            if not (isinstance(late, int) and late > 0):
                return False  # not yet due, or no date promised
        statuses = _PLAUSIBLE.get(str(self.need.intent))
        return statuses is not None and order["status"] in statuses

    def _typed_order_numbers(self) -> tuple[str, ...]:
        expecting: tuple[IdentifierKind, ...] = (
            ("order_number",) if _asked_for_order(self.last_bot) else ()
        )
        found: list[str] = []
        # (the halves of a phone split over two messages are no order numbers)
        texts = [self.said if t == self.text else t for t in self.need.texts]
        for text in without_split_parts(texts):
            found.extend(extract_identifiers(text, expecting=expecting).order_numbers)
        listed = _listed_order(self.text, self.last_bot)
        return tuple(found) + ((listed,) if listed and listed not in found else ())

    def _customer_orders(self) -> list[Order]:
        if self.orders is None:
            self._search(required=False)
        return list(self.orders or [])

    def _get_order(self, choice: str | list[Order]) -> Order:
        if isinstance(choice, list):
            raise _Stop(self._several_statuses(choice))
        answer = self._call("get_order", {"order_number": choice})
        if answer.get("status") == "ok":
            order: Order = answer["order"]
            self.carried = str(order["number"])
            return order
        raise _Stop(self._not_on_the_account(choice))

    def _several_statuses(self, orders: list[Order]) -> Proposal:
        lines = [describe_order(self._get_order(str(o["number"]))) for o in orders]
        return self._resolve(
            "Here's where your orders stand: " + "; ".join(lines) + ".",
            reason="status of each of the customer's orders",
        )

    def _order_hint(self) -> str | None:
        typed = self._typed_order_numbers() or self.tools.state.identifiers.order_numbers
        if typed:
            return typed[-1]
        if self.orders and len(self.orders) == 1:
            return str(self.orders[0]["number"])
        return None

    # --- tools and replies -------------------------------------------------------------

    def _call(self, tool: ToolName, args: Mapping[str, Any]) -> Mapping[str, Any]:
        if tool == "check_policy" and args["request"] not in request_kinds(self.tools.book):
            # a request the reader understood that the book does not name: `other`, said
            args = {**args, "request": OTHER_REQUEST, "other_request": args["request"]}
        answer = self.tools.call(tool, args)
        if answer.get("status") == "error" and "error" in answer and tool != "escalate_to_human":
            raise _Stop(self._no_progress(tool, str(answer["error"]), int(answer.get("calls", 1))))
        return answer

    def _no_progress(self, tool: ToolName, error: str, calls: int) -> Proposal:
        goal = _GOALS.get(str(self.need.intent), "help the customer")
        number = self._order_hint()
        on_order = f" for order {number}" if number else ""
        root = (
            f"{tool} failed ({error}) after {calls} call{'s' if calls > 1 else ''}, so the bot "
            f"could not {goal}{on_order}."
        )
        action = f"Check the {tool.replace('_', ' ')} system, then {goal}{on_order} by hand."
        self._call(
            "escalate_to_human",
            {"trigger": "no_progress", "root_cause": root, "recommended_action": action},
        )
        return Proposal(
            action="escalate",
            trigger="no_progress",
            reply="Something on my side isn't working, so a colleague will finish this.",
            recommended_action=action,
            reason=f"no progress: {tool} failed ({error})",
        )

    def _new_address(self) -> str | None:
        if self.need.understanding.new_address:
            return self.need.understanding.new_address
        for text in reversed(self.need.texts):
            found = extract_address(text)
            if found:
                return found
        # asked for the new address itself (not "the email address on your account")
        asked = bool(self.last_bot and "new delivery address" in self.last_bot.lower())
        if asked and looks_like_address(self.text) and not _AN_ORDER_NAMED.search(self.text):
            return " ".join(self.text.split()).strip(" .")
        return None

    def _request_kind(self) -> str | None:
        return self.need.understanding.request_kind

    def _no_need(self) -> Proposal:
        reaction = self.now.reaction
        offered = self.tools.state.resolution_offered
        thanked = reaction == "affirm" and says_thanks(self.text)  # "ok cheers"
        if (reaction in ("thanks", "negate") or thanked) and offered:
            return self._resolve(
                "You're welcome. If anything else comes up, I'm here to help.",
                reason="the customer is done",
            )
        if reaction is None and _CHECKING.search(self.text) and _acted_last_turn(self.tools):
            # "so that's done? how much exactly", "so now it goes to Krakow, yes?": what was
            # just done, said again
            return self._resolve(
                f"Yes. {_what_was_done(self.last_bot or '')}",
                reason="the customer checked what was just done",
            )
        withdrawn = taken_back(self.text)
        if withdrawn:
            # "wait, actually dont cancel it": said back, so they know nothing was done
            return self._resolve(
                f"Understood, I won't go ahead with the {_TAKEN_BACK_NAMES[min(withdrawn)]}. "
                "Is there anything else I can help with?",
                reason="the customer took the request back",
            )
        if _OFFER.search(self.last_bot or "") or (self.last_bot or "").startswith(_RULES_ANSWER):
            # an offer or a rule told, and no yes to it: nothing was done, and they are told so
            return self._resolve(
                "No problem, nothing has been changed. If you'd like me to go ahead later, "
                "just say so.",
                reason="an offer left open: nothing done",
            )
        if reaction == "affirm" and offered and not _asked(self.last_bot or "?"):
            # "yes please" to a reply that already did what was asked: nothing is pending.
            return self._resolve(
                "Good, that's all taken care of. Is there anything else I can help with?",
                reason="the customer agreed with what was done",
            )
        menu = (
            "I can check where an order is, or sort out a damaged or wrong item, a late "
            "delivery, a refund, a cancellation or an address change. What can I help you with?"
        )
        state = self.tools.state
        unknown = state.customer_id is None and not state.identifiers
        if unknown and self.now.name:
            # "Priya Sharma here, I have an issue": the name is looked up, and what tells the
            # namesakes apart is asked for beside the question.
            try:
                self._search(required=True)
            except _Stop as stop:
                if stop.proposal.action == "clarify" and stop.proposal.ask_for:
                    return self._clarify(
                        stop.proposal.ask_for,
                        f"{menu} And so I can find your account,",
                        reason="no need understood yet: asking it, and who they are",
                    )
                raise
        if unknown and _ABOUT_AN_ORDER.search(self.text):
            # "got an issue with my order": whatever it is, the order will be needed.
            return self._clarify(
                DEFAULT_ASK,
                f"{menu} And so I can find the order,",
                reason="no need understood yet: asking it, and for the order",
            )
        return self._clarify((), menu, reason="no need understood yet: asking")

    def _lead(self) -> str:
        return _LEADS.get(str(self.need.intent), "")

    def _not_on_the_account(self, number: str) -> Proposal:
        # Asking "could you give me your order number?" for the number just given loops; and
        # whose account it is on is not this customer's to learn.
        return self._ask_order_number(
            f"I couldn't find order {number} on your account (I can see only the orders on the "
            "account I found for you). Could you check the number?"
        )

    def _ask_order_number(self, lead: str) -> Proposal:
        return self._clarify(
            ("order_number",),
            lead,
            reason="which order: asking",
            question="" if lead.endswith("?") else None,
        )

    def _clarify(
        self,
        ask_for: tuple[IdentifierKind, ...],
        lead: str,
        *,
        reason: str,
        question: str | None = None,
    ) -> Proposal:
        if question is None:
            question = _question(ask_for, joined=lead.rstrip().endswith(","))
        reply = " ".join(filter(None, (lead.strip(), question))) if lead else question
        return Proposal(action="clarify", reply=self._voice(reply), ask_for=ask_for, reason=reason)

    def _resolve(self, reply: str, *, reason: str) -> Proposal:
        return Proposal(action="resolve", reply=self._voice(reply), reason=reason)

    def _decline(self, explanation: str, *, reason: str, order: Order | None = None) -> Proposal:
        which = f" for order {order['number']} ({_item(order)})" if order else ""
        reply = f"I'm sorry, I can't do that{which}. {explanation}".strip()
        return Proposal(action="decline", reply=self._voice(reply), reason=reason)

    def _voice(self, reply: str) -> str:
        """Acknowledge frustration or doubt about the bot first; tone never changes the action."""
        if not self.voiced:
            return reply
        parts = []
        if self.frustrated and not reply.startswith(FRUSTRATION_ACK):
            parts.append(FRUSTRATION_ACK)
        if self.tools.state.signals_in_turn(self.tools.state.turn):
            parts.append(SIGNAL_ACK)
        return " ".join([*parts, reply]).strip()


# --- reading the conversation ----------------------------------------------------------


def _conversation_window(
    text: str, history: Sequence[Utterance], *, past_decline: bool = False
) -> tuple[list[str], str | None]:
    """Earlier customer messages since the bot last settled something, and its last reply.

    With `past_decline`, the bot's last reply (a decline) does not close the window.
    """
    items = list(history)
    if items and items[-1].speaker == "customer" and items[-1].text == text:
        items.pop()
    last_bot = next((u.text for u in reversed(items) if u.speaker != "customer"), None)
    earlier: list[str] = []
    for utterance in reversed(items):
        if utterance.speaker == "customer":
            earlier.append(utterance.text)
        elif past_decline and utterance.text == last_bot:
            continue
        elif past_decline and earlier and all(_only_the_same_again(t) for t in earlier):
            continue  # "same for 5561" was declined: its need is the one settled before it
        elif not _asked(utterance.text) and not utterance.text.startswith(_RULES_ANSWER):
            break  # (a rules question answered settled no need: "then send me the right one")
    return earlier[::-1], last_bot


_ORDINAL: Final = re.compile(
    r"^\W*(?:(?:the|that|it's|its|it is) )?(first|second|third|fourth|last|1st|2nd|3rd|4th)"
    r"(?: one| order)?\b",
    re.I,
)
_ORDINALS: Final = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}


# Orders asked about together ("where are my orders", "my stuff"), not one left unnamed.
def _fits_status(said: str, order: Order) -> bool:
    if _LATE_ONE.search(said):
        late = order.get("days_past_promised_date")
        return isinstance(late, int) and late > 0 and order["status"] != "cancelled"
    status = next((s for s, cue in _STATUS_CUES.items() if cue.search(said)), None)
    return status is not None and order["status"] == status


def _fits_late(said: str, order: Order) -> bool:
    """ "the one that's late": an order past its promised date, named as the late one."""
    if not _THE_LATE_ONE.search(said):
        return False
    late = order.get("days_past_promised_date")
    return isinstance(late, int) and late > 0 and order["status"] != "cancelled"


_THE_LATE_ONE: Final = re.compile(
    r"\b(?:the|that) (?:one|order|parcel) (?:that(?:'s| is)|which is) (?:late|overdue|delayed)\b"
    r"|\bthe (?:late|overdue|delayed) (?:one|order|parcel)\b",
    re.I,
)
# "the one that's late", "the overdue one"
_LATE_ONE: Final = re.compile(r"\b(?:late|overdue|delayed|running late)\b", re.I)


def _fits_price(said: str, order: Order) -> bool:
    prices = {float(p) for p in re.findall(r"(?<![\w.])(\d+(?:\.\d\d)?)(?!\w|\.\d)", said)}
    total = order.get("total")
    return isinstance(total, int | float) and float(total) in prices


def _fits_days_ago(said: str, order: Order) -> bool:
    found = _DAYS_AGO.search(said)
    if found is None:
        return False
    word = next(g for g in found.groups() if g).lower()
    days = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
    if word in _NAMED_DAYS:
        days = _NAMED_DAYS[word]
    return days is not None and days in (
        order.get("ordered_days_ago"),
        order.get("delivered_days_ago"),
    )


_STATUS_CUES: Final = {
    "processing": re.compile(
        r"\b(?:(?:has ?n[o']?t|not|never|yet to be|still not) (?:been )?(?:shipped|sent|dispatched"
        r"|gone out)"
        r"|processing|not (?:yet )?sent)\b",
        re.I,
    ),
    "delivered": re.compile(r"\b(?:arrived|delivered|came|got it|received)\b", re.I),
    "shipped": re.compile(r"\b(?:on (?:its|the) way|in transit|(?<!not )shipped)\b", re.I),
}
_DAYS_AGO: Final = re.compile(
    r"\b(?:(\d+|one|two|three|four|five|six|seven) days? ago|(?<=ordered )(yesterday|today)"
    r"|(?<=bought )(yesterday|today)|(?<=placed )(yesterday|today))\b",
    re.I,
)
_NAMED_DAYS: Final = {"yesterday": 1, "today": 0}
_NUMBER_WORDS: Final = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
# Which of the listed orders, by age ("the older one", "the one that came this week").
_NOT_THAT_ONE: Final = re.compile(r"\bnot the \w+(?: one)?\b", re.I)
_CHEAPER: Final = re.compile(r"\b(?:cheaper|cheapest|less expensive|least expensive)\b", re.I)
_DEARER: Final = re.compile(
    r"\b(?:dearer|dearest|pricier|priciest|more expensive|most expensive)\b", re.I
)


def _by_price_rank(candidates: Sequence[Order], said: str) -> str | None:
    """ "the cheaper one", "the more expensive one": of the orders in question, by total."""
    cheaper, dearer = _CHEAPER.search(said), _DEARER.search(said)
    if bool(cheaper) == bool(dearer) or len(candidates) < 2 or "whichever" in said.lower():
        return None  # "whichever is cheaper" leaves the choice to us: it is theirs to make
    ranked = sorted(candidates, key=lambda o: float(o.get("total") or 0.0), reverse=bool(dearer))
    if float(ranked[0].get("total") or 0.0) == float(ranked[1].get("total") or 0.0):
        return None
    return str(ranked[0]["number"])


_OLDER: Final = re.compile(r"\b(?:older|oldest|earlier|earliest)\b", re.I)
_NEWER: Final = re.compile(
    r"\b(?:newer|newest|latest|later|(?:more|most) (?:recent|new)|this week|yesterday|today)\b",
    re.I,
)
_ARRIVAL: Final = re.compile(r"\b(?:deliver\w*|arriv\w*|came|come|got)\b", re.I)
_ONE_OF_THEM: Final = re.compile(
    r"\b(?:one|either) of (?:them|these|those|the two|the orders|my orders|both)\b", re.I
)
# Several orders asked about by name; "my stuff" tells no more than "my order" does.
_ALL_ORDERS: Final = re.compile(
    r"\b(?:orders|parcels|packages|deliveries|items|all|both|everything|each)\b", re.I
)
_ABOUT_AN_ORDER: Final = re.compile(
    r"\b(?:my|an|our|the|this|one of my) (?:\w+ )?(?:order|orders|purchase|parcel|package"
    r"|delivery)\b|\b(?:something|a thing|an item|the thing|stuff) (?:i|we) (?:got|bought"
    r"|ordered|received|buy|order)\b",
    re.I,
)


_SAME_AGAIN: Final = re.compile(
    r"\b(?:as well|too|also|same (?:for|with|goes for)|likewise)\b", re.I
)


# Pushing back on a "no" by asking why: "why?? it hasn't even arrived yet", "how come?"
_ASKED_WHY: Final = re.compile(
    r"^\W*(?:but |ok but |so )?(?:why|how come|what difference|what does it matter|that makes no"
    r" sense|seriously)\b"
    # "it is not arrived yet. why you cannot stop it?"
    r"|\bwhy (?:you |u |do you |can you |is it |it )?(?:can ?not|can'?t|won'?t|not|will not"
    r"|refuse)\b",
    re.I,
)


_RULES_ANSWER: Final = "Here is how it works:"
_TAKEN_BACK_NAMES: Final[dict[str, str]] = {
    "cancel": "cancellation",
    "refund": "refund",
    "damaged": "replacement",
    "wrong_item": "replacement",
    "address_change": "address change",
}
# After a rules answer, what carries the need on: "then send me the right one please", "do it"
_GO_AHEAD: Final = re.compile(
    r"\b(?:please|pls|plz|go ahead|do it|do that|send (?:me|it|them|a|the)|cancel (?:it|that|the)"
    r"|refund (?:it|me|that)|return it|replace it|change it|arrange it|start the return)\b",
    re.I,
)
_NOT_GOING_AHEAD: Final = re.compile(
    r"^\W*(?:(?:ok|okay|k|great|good|cool)\W+)?(?:no|nah|nope|thanks|thank you|thx|ty|cheers"
    r"|got it|i see)\b"
    r"|\b(?:i'?ll|i will|gonna|going to|i'?d rather) keep\b|\bnot now\b|\bnever ?mind\b",
    re.I,
)


def _going_ahead(now: Understanding, text: str) -> bool:
    if _NOT_GOING_AHEAD.search(text):
        return False
    return (
        now.has_need or _GO_AHEAD.search(text) is not None or _A_CLEAR_YES.search(text) is not None
    )


_AN_ORDER_NAMED: Final = re.compile(r"\border (?:no\.? |number |#)?#?\w*\d", re.I)
# "then what can I do?", "what are my options?", "so what now": after a "no"
_WHAT_INSTEAD: Final = re.compile(
    r"\bwhat (?:else )?(?:can|could|should|do) (?:i|we) do\b|\bwhat (?:are|r) (?:my|our) options\b"
    r"|^\W*(?:so |ok |okay |then )?what now\b|\b(?:any|other|another) (?:other )?"
    r"(?:options?|alternatives?|way)\b",
    re.I,
)
# What policy allows instead, as a "no" offers it (see _offer)
_ALTERNATIVE: Final = re.compile(
    r"(?:Once it's delivered|It hasn't been dispatched yet|As it's already been delivered)[^.]*\."
    r"(?: Just reply yes[^.]*\.)?"
)


_ADDRESS_SET: Final = re.compile(r"I've changed the delivery address for order \S+ to (.+?)\.$")
_SLIP_IN_ADDRESS: Final = re.compile(
    r"\bnot \d+|\btypo|\btyped it wrong\b|\bwrong (?:number|house|street)\b|\bmistake\b"
    r"|\bforg[eo]t\w*|\bleft out\b|\bmissed (?:out )?the\b",
    re.I,
)


def _corrected_address(now: Understanding, text: str, last_bot: str | None) -> str | None:
    """The address just set, corrected by the customer: the street told now, with the rest of
    the address set before when only the street is told ("same postcode")."""
    earlier = _ADDRESS_SET.search(last_bot or "")
    if earlier is None or now.has_need or not _SLIP_IN_ADDRESS.search(text):
        return None
    street = extract_address(text)
    if street is None:
        return None
    _, comma, rest = earlier.group(1).partition(",")
    return street if "," in street or not comma else f"{street},{rest}"


def _only_the_same_again(text: str) -> bool:
    return _same_for_another_order(text) and not understand(text).has_need


def _same_for_another_order(text: str) -> bool:
    """ "the lamp shade 9121 as well", "and the other one? the kettle": the need just settled,
    for another order."""
    numbered = _SAME_AGAIN.search(text) is not None and bool(
        extract_identifiers(text).order_numbers
    )
    return (
        numbered
        or _THE_OTHER_ONE.search(text) is not None
        or _SAME_FOR_ANOTHER.search(text) is not None
        or _AND_THE_ITEM.fullmatch(text.strip()) is not None
    )


# What to do with the item sent: "should I send the lopper back?", "am I expected to post it
# back?", "what do I do with the wrong one?"
_RETURN_QUESTION: Final = re.compile(
    r"\b(?:should|must|shall|do|am|have) i (?:\w+ ){0,3}?(?:send|post|return|ship|bring|mail)"
    r"\b[^.!]{0,40}(?:\?|\bor (?:what|not|no)\b)"
    r"|\bi (?:must|have to|need to|should) (?:\w+ ){0,2}?"
    r"(?:send|post|return)\b[^.!]{0,40}(?:\?|\bor (?:what|not|no)\b)"
    r"|\b(?:should|must|shall|do|am|have) i (?:\w+ ){0,3}?(?:send|post|return|ship|bring|mail)"
    r"\b[^.!?]{0,40}\bor\s*$"  # "do i have to send the short one back or"
    r"|\bwhat (?:should|do|shall|must) i do with\b|\bwhat to do with (?:it|them"
    r"|the)\b|\b(?:do|should) you want (?:it|them|the \w+) back\b",
    re.I,
)
# "and the easel?", "what about my rug": the need just settled, for another item
_AND_THE_ITEM: Final = re.compile(
    r"(?:and|what about|how about|also|ok and|same for)(?: for)? (?:(?:the|my|our) [\w' -]{2,40}"
    # "and 62301?", "what about order #5512"
    r"|(?:order |no\.? |number )?#?\s?[\w-]*\d[\w-]*)\s*\??",
    re.I,
)
# "could you do the same for my chalk bag order?"
_SAME_FOR_ANOTHER: Final = re.compile(
    r"\b(?:the )?same (?:deal |thing |again |treatment |address |one |please )?(?:for|with"
    r"|goes for|to)"
    r" (?:my|the|order|that|this|\d)"
    # "and the bottle too while we're at it"
    r"|^\W*(?:and|also|plus|oh and|ok and) (?:the|my|our) [\w' -]{2,40}? (?:too|as well)\b",
    re.I,
)
_THE_OTHER: Final = re.compile(r"\bthe other (?:one|order|parcel|item|thing)\b", re.I)
_THE_OTHER_ONE: Final = re.compile(
    r"\b(?:and|what about|how about) (?:the|my) other (?:one|order|parcel|item|thing)\b", re.I
)


def _listed_numbers(reply: str | None) -> list[str]:
    """The order numbers a reply of ours listed ("order 4410 (desk chair) ...; order 4432 ...")."""
    listed = re.findall(r"\border ([\w-]*\d[\w-]*)|\b([\w-]*\d[\w-]*) \(", reply or "")
    return list(dict.fromkeys(a or b for a, b in listed))


def _listed_order(text: str, last_bot: str | None) -> str | None:
    """ "the second one", answering a reply that listed orders: that order's number."""
    ordinal = _ORDINAL.match(text)
    numbers = _listed_numbers(last_bot)
    if ordinal is None or len(numbers) < 2:
        return None
    word = ordinal.group(1).lower()
    index = _ORDINALS.get(word, int(word[0]) - 1 if word[0].isdigit() else 0)
    return numbers[index] if -len(numbers) <= index < len(numbers) else None


def _the_declined_money_again(now: Understanding, text: str, tools: ToolBox) -> bool:
    """ "refund it." right after a price difference or a late credit was refused: that money
    again, never a return of the order (no return words, no other order named)."""
    if now.intent != "refund" or now.also or not _declined(tools):
        return False
    kinds = {c.request_kind for c in tools.state.checks_in_turn(tools.state.turn - 1)}
    return (
        bool(kinds & _MONEY_REMEDIES)
        and not _RETURNING.search(text)
        and not extract_identifiers(text).order_numbers
    )


_MONEY_REMEDIES: Final = frozenset({"price_adjustment", "shipping_credit", "late_delivery"})
_RETURNING: Final = re.compile(
    r"\b(?:return|returning|returned|(?:send|take|bring|ship)(?: \w+){0,3} back)\b", re.I
)


def _acted_last_turn(tools: ToolBox) -> bool:
    """Whether the bot's previous turn carried something out (a refund, a cancellation, ...)."""
    state = tools.state
    return any(
        a.step in EFFECT_TOOLS and a.outcome == "ok" for a in state.ledger.in_turn(state.turn - 1)
    )


def _what_was_done(reply: str) -> str:
    """The sentences of our last reply that say what was done, without its greeting or offer."""
    for part in (PERSON_OFFER, PERSON_IF_PREFERRED, SIGNAL_ACK, FRUSTRATION_ACK):
        reply = reply.replace(part, "")
    return " ".join(reply.split())


# A question checking what was just done: "so that's done?", "did it go through?", "that was
# the 24-inch one, right?"
_CHECKING: Final = re.compile(
    r"\?|\b(?:right|yes|yeah|correct|innit|isn't it|is that right)\s*$"
    r"|^\s*(?:so|and so|did|was|is|has|have|that was|it was)\b",
    re.I,
)


def _declined_needs(tools: ToolBox) -> set[str]:
    """The needs whose rule said no in the bot's previous turn."""
    declined = {
        c.request_kind
        for c in tools.state.checks_in_turn(tools.state.turn - 1)
        if c.verdict == "violation"
    }
    return {
        intent
        for intent, (kind, _) in _RULE_REQUESTS.items()
        if kind in declined or declined & _SAME_RULE.get(kind, set())
    }


def _the_declined_need_again(now: Understanding, text: str, tools: ToolBox) -> bool:
    """ "so I get NOTHING?? it's been almost a week, that is late in my book": the need just
    declined, said again with no new order and nothing new asked."""
    if not now.has_need or now.also or now.about_the_rules:
        return False
    if extract_identifiers(text).order_numbers:
        return False
    return now.intent in _declined_needs(tools)


def _declined(tools: ToolBox) -> bool:
    """Whether the bot's previous turn said a rule's no (a violation, nothing carried out)."""
    state = tools.state
    previous = state.turn - 1
    checks = state.checks_in_turn(previous)
    done = any(a.step in EFFECT_TOOLS and a.outcome == "ok" for a in state.ledger.in_turn(previous))
    return any(c.verdict == "violation" for c in checks) and not done


def _asked(reply: str) -> bool:
    """A bot reply that asked something (a clarify) leaves the customer's need open."""
    return reply.replace(PERSON_OFFER, "").replace(PERSON_IF_PREFERRED, "").rstrip().endswith("?")


def _asked_for_order(reply: str | None) -> bool:
    return bool(reply and re.search(r"\border number\b|\bwhich order\b", reply, re.I))


def _takes_the_offer(now: Understanding, text: str) -> bool:
    """A yes to "Just reply yes": not a thanks ("ok thanks", "perfect, thanks!"), not a
    question ("y?")."""
    if now.reaction != "affirm" or text.rstrip().endswith("?"):
        return False
    return not says_thanks(text) or _A_CLEAR_YES.search(text) is not None


_A_CLEAR_YES: Final = re.compile(
    r"\b(?:yes|yeah|yep|yup|please|pls|go ahead|do it|do that|sure)\b", re.I
)


def _find_need(now: Understanding, text: str, earlier: list[str], last_bot: str | None) -> _Need:
    if {understand(t).intent for t in earlier} & taken_back(text):
        # "wait, actually dont cancel it. order 2051": the need taken back is not carried out
        earlier = []
    restated = _restated(now, text, earlier)
    if restated is not None:
        texts = (*earlier[restated:], text)
        return _Need(_merge(understand(earlier[restated]), now, texts), texts)
    if now.asked_about or (
        now.has_need and not (now.commanded and any(understand(t).has_need for t in earlier))
    ):
        # A bare command inside an open need ("send a new one") is that need's detail.
        return _Need(now, (text,))
    offer = _OFFER.search(last_bot or "") if _takes_the_offer(now, text) else None
    if offer is not None:
        intent = _OFFERED_NEED[offer.group(1).lower()]
        return _Need(replace(now, intent=intent), (text,), offered_order=offer.group(2))
    for index in range(len(earlier) - 1, -1, -1):
        before = understand(earlier[index])
        if before.has_need:
            # "the earbuds are cheaper now" ... "can I get the difference back": one need said
            # twice; the first saying names the item
            first = index
            while first > 0 and understand(earlier[first - 1]).intent == before.intent:
                first -= 1
            texts = (*earlier[first:], text)
            return _Need(_merge(before, now, texts), texts)
    if now.has_need:
        return _Need(now, (text,))
    return _Need(now, (*earlier, text))


def _pending_need(
    now: Understanding, text: str, earlier: list[str], last_bot: str | None
) -> _Need | None:
    """The need our last question asked details for, when this message gives them beside a new
    need of its own."""
    if not (now.has_need and last_bot and _asked(last_bot) and extract_identifiers(text)):
        return None
    for index in range(len(earlier) - 1, -1, -1):
        before = understand(earlier[index])
        if before.has_need:
            if before.intent in (now.intent, *now.also) or before.intent in taken_back(text):
                return None  # the same need said again, or taken back ("actually don't cancel")
            # its own words only: the new need's item is not this one's (the identifiers
            # typed now are the conversation's already)
            texts = tuple(earlier[index:])
            return _Need(_merge(before, before, texts), texts)
    return None


def _restated(now: Understanding, text: str, earlier: list[str]) -> int | None:
    """Where the open need this message says again began: "new address is 14 Larch Close"
    after "need the shower head sent to the new place", or "just want my money back" after
    "my duvet cover came torn" (the earlier saying names the item)."""
    if not now.has_need or now.also or now.intent in ("service_request", None):
        return None
    if OWNS_A_SLIP.search(text) or extract_identifiers(text).order_numbers:
        return None  # "sorry, typo. it's j.smith@..., the desk lamp": said afresh, in full
    same = {now.intent} | ({"damaged", "wrong_item"} if now.intent == "refund" else set())
    found = None
    for index in range(len(earlier) - 1, -1, -1):
        before = understand(earlier[index])
        if before.intent in same and not before.also:
            found = index
        elif before.has_need:
            break
    return found


def _separate(need: _Need) -> list[_Need]:
    """One need per need stated: each with the clause it was stated in, in order."""
    understood = need.understanding
    if not understood.also:
        return [need]
    clauses = need_clauses(need.texts[0], understood)
    return [
        _Need(alone, (clause, *need.texts[1:]), need.offered_order if index == 0 else None)
        for index, (alone, clause) in enumerate(zip(separate(understood), clauses, strict=True))
    ]


# Kinds one rule answers together: a late parcel's credit is the late-delivery rule's.
_SAME_RULE: Final[dict[str, set[str]]] = {"late_delivery": {"shipping_credit"}}
# The request each need asks the book about, and the problem it reports.
_RULE_REQUESTS: Final[dict[str, tuple[str, str | None]]] = {
    "refund": ("refund", None),
    "damaged": ("replacement", "damaged"),
    "wrong_item": ("replacement", "wrong_item"),
    "late_delivery": ("late_delivery", None),
    "price_drop": ("price_adjustment", None),
    "cancel": ("cancellation", None),
    "address_change": ("address_change", None),
}
_POLICY_QUESTIONS: Final = ("service_request", "competitor_price_match")
_OPENNESS: Final[dict[str, int]] = {"escalate": 3, "clarify": 2, "resolve": 1, "decline": 0}


def _combine(proposals: Sequence[Proposal]) -> Proposal:
    """One reply for several needs: the turn stays as open as its most open part."""
    if len(proposals) == 1:
        return proposals[0]
    deciding = max(proposals, key=lambda p: _OPENNESS[p.action])
    if deciding.action == "escalate":
        # A person takes the whole conversation: a question of ours would go unanswered.
        proposals = [p for p in proposals if p.action != "clarify"]
    return replace(
        deciding,
        reply=" ".join(p.reply for p in proposals),
        reason="; ".join(p.reason for p in proposals),
    )


def _asks_for_it(now: Understanding, text: str) -> bool:
    if now.tentative or text.rstrip().endswith("?") or _NOT_GOING_AHEAD.search(text):
        return False
    return now.has_need or now.commanded or _GO_AHEAD.search(text) is not None


def _merge(need: Understanding, now: Understanding, texts: tuple[str, ...]) -> Understanding:
    later = [understand(t) for t in texts[1:]]
    return replace(
        need,
        wants_refund=need.wants_refund or any(u.wants_refund for u in later),
        wants_credit=need.wants_credit or any(u.wants_credit for u in later),
        name=now.name or need.name or next((u.name for u in later if u.name), None),
        # only asked, until a later saying asks for it ("a refund please"); a further question
        # ("is it free to send back?") or a thanks asks for nothing
        tentative=need.tentative and not (later and _asks_for_it(now, texts[-1])),
    )


# --- wording ----------------------------------------------------------------------------


def describe_order(order: Order) -> str:
    """One clause on where an order stands: "order 1043 (kettle) has shipped ..."."""
    number, status = order["number"], order["status"]
    head = f"order {number} ({_item(order)})"
    late = order.get("days_past_promised_date")
    if status == "processing":
        text = f"{head} is being prepared and hasn't been dispatched yet"
    elif status == "shipped":
        text = f"{head} has shipped and is on its way"
    elif status == "delivered":
        days = order.get("delivered_days_ago")
        text = f"{head} was delivered {_days_ago(days)}"
        return text
    else:
        return f"{head} was cancelled"
    if isinstance(late, int) and late > 0:
        text += f"; it is {late} day{'s' if late != 1 else ''} past its promised delivery date"
    elif isinstance(late, int) and late < 0:
        text += f"; it's due in {-late} day{'s' if late != -1 else ''}"
    elif late == 0:
        text += "; it's due today"
    return text


def _sentence(clause: str) -> str:
    return clause[:1].upper() + clause[1:] + "."


def _days_ago(days: Any) -> str:
    if not isinstance(days, int):
        return "recently"
    if days == 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def _item(order: Order) -> str:
    item = str(order.get("item") or "item").strip()
    return item if item[:2].isupper() else item[:1].lower() + item[1:]


def _day(iso: Any) -> str | None:
    """ "on 5 December 2026" for a date the tools gave."""
    try:
        day = date.fromisoformat(str(iso))
    except ValueError:
        return None
    return f"on {day.day} {day:%B %Y}"


def _money(effect: Mapping[str, Any]) -> str:
    """The amount of an action as the tools wrote it for the customer ("$5.00")."""
    text = effect.get("amount_text")
    return str(text) if text else "the amount due"


def _kinds(values: Any) -> tuple[IdentifierKind, ...]:
    known: tuple[IdentifierKind, ...] = ("email", "phone", "order_number")
    given = set(values or ())
    return tuple(k for k in known if k in given)


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _question(ask_for: Sequence[IdentifierKind], *, joined: bool) -> str:
    if not ask_for:
        return ""
    if {"email", "phone"} <= set(ask_for):
        # one "on your account" for both: "the email address or phone number on your account"
        rest = [_ID_NAMES[k] for k in ask_for if k not in ("email", "phone")]
        wanted = ", or ".join([*rest, "the email address or phone number on your account"])
    else:
        wanted = _or_list([_ID_NAMES[k] for k in ask_for])
    return f"could you give me {wanted}?" if joined else f"Could you give me {wanted}?"

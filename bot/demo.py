"""`escalation-bot demo`: the four seed scenarios played through the decision core.

Until the agent lands, each scenario's agent work (which tools to call, what to propose) is a
short scripted stand-in; everything it touches is real: the detector and stage 1, the retry rule
and attempt ledger, customer matching, the shipped policy book, stage 2 and the handoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from bot.policies import default_policy_book
from bot.shop import InMemoryShop, demo_shop
from escalation.engine import Decision, Proposal, decide, identify_customer, screen_message
from escalation.handoff import Utterance
from escalation.ledger import ToolResult, run_tool
from escalation.policy import PolicyBook, PolicyRequest, check_policy
from escalation.state import ConversationState

ScriptedAgent = Callable[["DemoContext", ConversationState], tuple[ConversationState, Proposal]]


@dataclass(frozen=True)
class DemoContext:
    shop: InMemoryShop
    book: PolicyBook
    out: TextIO

    def say(self, line: str) -> None:
        print(f"    {line}", file=self.out)


def _find_customer(ctx: DemoContext, state: ConversationState, query: str) -> ConversationState:
    candidates = ctx.shop.search_customers(query)
    run = run_tool("find_customer", lambda: ToolResult(outcome="ok", detail=query), turn=state.turn)
    state = state.record_run(run)
    result, state = identify_customer(state, candidates)
    shown = result.customer_id or f"ask for {', '.join(result.ask_for) or 'nothing'}"
    ctx.say(f"find_customer({query!r}): {len(candidates)} candidate(s) -> {result.kind} ({shown})")
    return state


def _check(ctx: DemoContext, state: ConversationState, request: PolicyRequest) -> ConversationState:
    verdict = check_policy(ctx.book, request)
    state = state.record_run(
        run_tool("check_policy", lambda: ToolResult(outcome="ok"), turn=state.turn)
    )
    ctx.say(f"check_policy({request.kind}): {verdict.kind} - {verdict.explanation}")
    return state.record_verdict(verdict)


def _frustrated_damaged(
    ctx: DemoContext, state: ConversationState
) -> tuple[ConversationState, Proposal]:
    state = _find_customer(ctx, state, "j.smith@example.com")
    order = ctx.shop.order("1042")
    assert order is not None
    state = state.record_run(
        run_tool("get_order", lambda: ToolResult(outcome="ok", detail="1042"), turn=state.turn)
    )
    ctx.say(f"get_order(1042): {order.status} {order.delivered_days_ago} days ago, {order.item}")
    state = _check(ctx, state, PolicyRequest("replacement", order.facts(), problem="damaged"))
    run = run_tool(
        "create_replacement", lambda: ToolResult(outcome="ok", detail="order 1042"), turn=state.turn
    )
    ctx.say("create_replacement(order 1042): ok")
    return state.record_run(run), Proposal(
        action="resolve",
        reply=(
            "I'm really sorry, I understand how frustrating this is, a third time even more so. "
            "I've sent a replacement desk lamp for order 1042; tracking will follow by email."
        ),
    )


def _competitor_match(
    ctx: DemoContext, state: ConversationState
) -> tuple[ConversationState, Proposal]:
    state = _find_customer(ctx, state, "4410")
    state = _check(ctx, state, PolicyRequest("competitor_price_match"))
    return state, Proposal(
        action="escalate",
        trigger="policy_gap",
        reply="A colleague will look at this.",
        recommended_action="Decide whether to match the competitor's price for order 4410.",
    )


def _ambiguous_name(
    ctx: DemoContext, state: ConversationState
) -> tuple[ConversationState, Proposal]:
    state = _find_customer(ctx, state, "John Smith")
    # A careless model might pick the most recent John Smith here; the engine would not let it.
    return state, Proposal(action="resolve", reply="Hi John! Your bookshelf ships tomorrow.")


def _ambiguous_then_email(
    ctx: DemoContext, state: ConversationState
) -> tuple[ConversationState, Proposal]:
    state = _find_customer(ctx, state, "John Smith")
    order = ctx.shop.order("1043")
    assert order is not None
    run = run_tool("get_order", lambda: ToolResult(outcome="ok", detail="1043"), turn=state.turn)
    ctx.say(f"get_order(1043): {order.status}, {order.item}")
    return state.record_run(run), Proposal(
        action="resolve",
        reply="Thanks, John. Your kettle (order 1043) has shipped and is on its way.",
    )


def _unreachable(ctx: DemoContext, state: ConversationState) -> tuple[ConversationState, Proposal]:
    raise AssertionError("stage 1 escalates an explicit request before any agent work")


SCENARIOS: tuple[tuple[str, tuple[tuple[str, ScriptedAgent], ...]], ...] = (
    (
        "Frustrated customer, simple issue (expected: resolve, no escalation)",
        (
            (
                "This is the THIRD time my order arrives smashed!!! Order 1042, "
                "j.smith@example.com. Ridiculous.",
                _frustrated_damaged,
            ),
        ),
    ),
    (
        "Calm customer asking for a policy exception (expected: escalate, policy_gap)",
        (
            (
                "Hello! Another shop sells the same blender for 15 dollars less. Could you match "
                "their price on order 4410? Thank you.",
                _competitor_match,
            ),
        ),
    ),
    (
        "Explicit request for a human (expected: escalate at once, zero investigation)",
        (("I want to talk to a human, please.", _unreachable),),
    ),
    (
        "Ambiguous customer match (expected: ask for identifiers, select nobody)",
        (
            ("Hi, this is John Smith. Where is my order?", _ambiguous_name),
            ("Sure, it's j.smith@example.com", _ambiguous_then_email),
        ),
    ),
)


def run_demo(out: TextIO) -> int:
    ctx = DemoContext(shop=demo_shop(), book=default_policy_book(), out=out)
    for number, (title, turns) in enumerate(SCENARIOS, start=1):
        print(f"\n=== Scenario {number}: {title} ===", file=out)
        state = ConversationState()
        history: list[Utterance] = []
        for text, agent in turns:
            print(f"\nCustomer: {text}", file=out)
            history.append(Utterance("customer", text))
            screening = screen_message(state, text, history=history)
            state = screening.state
            ctx.say(f"stage 1: {screening.signal.kind} signal")
            if screening.decision is not None:
                decision = screening.decision
            else:
                state, proposal = agent(ctx, state)
                ctx.say(f"agent proposed: {proposal.action} {proposal.trigger or ''}".rstrip())
                ruling = decide(state, proposal, history=history)
                decision, state = ruling.decision, ruling.state
            _print_decision(decision, out)
            history.append(Utterance("bot", decision.reply))
    return 0


def _print_decision(decision: Decision, out: TextIO) -> None:
    trigger = f" ({decision.trigger})" if decision.trigger else ""
    print(
        f"  Decision: {decision.action}{trigger}, investigation steps: "
        f"{decision.investigation_steps}",
        file=out,
    )
    print(f"  Why: {decision.reason}", file=out)
    if decision.ask_for:
        print(f"  Asks for: {', '.join(decision.ask_for)}", file=out)
    print(f"Bot: {decision.reply}", file=out)
    if decision.handoff is not None:
        print("  Handoff card:", file=out)
        for line in decision.handoff.as_text().splitlines():
            print(f"    | {line}", file=out)

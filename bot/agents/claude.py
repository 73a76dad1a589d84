"""The Claude agent: the Messages API with tool use, the system prompt cached.

The engine's stage 1 has already run (an explicit request never reaches Claude); every tool
runs through the ToolBox (retry rule, ledger, identification, policy checks); the final answer
is a proposal the engine validates. When the API stays unavailable after the SDK's own
retries, the failure goes into the ledger and the offline agent takes the turn.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Sequence
from typing import Any, Final

import anthropic

from bot.agents.base import Agent, AgentTurn, Usage
from bot.turns.tools import ToolBox, request_kinds
from escalation.engine import Proposal
from escalation.handoff import Utterance
from escalation.ledger import model_failure
from escalation.policy import PolicyBook
from escalation.prompt import build_system_prompt
from escalation.state import ConversationState
from escalation.vocabulary import ACTIONS, IDENTIFIER_KINDS, TRIGGERS, Action, IdentifierKind

log = logging.getLogger(__name__)

DEFAULT_MODEL: Final = "claude-sonnet-5-5"
MAX_TOOL_ROUNDS: Final = 6
MAX_TOKENS: Final = 1024
HISTORY_CHAR_BUDGET: Final = 12_000
MESSAGE_CHAR_LIMIT: Final = 4_000

_ORDER = {"type": "string", "description": "the order number exactly as the customer gave it"}
_PROBLEM = {
    "type": "string",
    "description": "what the customer reports about the item, if anything",
    "enum": ["damaged", "wrong_item"],
}


def _tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {"type": "object", "properties": properties, "required": required},
    }


def tool_specs(book: PolicyBook) -> list[dict[str, Any]]:
    """The tools as the model sees them, and `finish_turn`, which ends a turn with a structured
    answer; `check_policy` takes only the book's request kinds, `order_status` or `other`."""
    specs = copy.deepcopy(TOOL_SPECS)
    for spec in specs:
        if spec["name"] == "check_policy":
            spec["input_schema"]["properties"]["request"]["enum"] = list(request_kinds(book))
    return [*specs, FINISH_TURN]


TOOL_SPECS: Final[list[dict[str, Any]]] = [
    _tool(
        "find_customer",
        "Find the customer. Only identifiers the customer typed (email, phone, order number) "
        "can single a customer out; several matches return the identifier kinds to ask for.",
        {
            "query": {"type": "string", "description": "a name, email, phone or order number"},
            "email": {"type": "string"},
            "phone": {"type": "string"},
            "order_number": {"type": "string"},
        },
        [],
    ),
    _tool(
        "get_order",
        "An order of the identified customer.",
        {"order_number": _ORDER},
        ["order_number"],
    ),
    _tool(
        "check_policy",
        "The policy book's verdict on a request: allowed, violation (a documented no) or gap "
        "(no rule covers it: escalate as policy_gap). Only `other` can be a gap.",
        {
            "request": {
                "type": "string",
                "description": "what the customer asks for: one of the book's request kinds, "
                "order_status for where an order is, or other (then say what in other_request)",
            },
            "other_request": {
                "type": "string",
                "description": "with request=other: what the customer asks for, in a few "
                "snake_case words (e.g. competitor_price_match, gift_wrapping)",
            },
            "order_number": _ORDER,
            "problem": _PROBLEM,
        },
        ["request"],
    ),
    _tool(
        "create_replacement",
        "Send a replacement (policy-checked).",
        {"order_number": _ORDER, "problem": _PROBLEM},
        ["order_number"],
    ),
    _tool(
        "issue_refund",
        "Refund an order (policy-checked).",
        {"order_number": _ORDER, "problem": _PROBLEM},
        ["order_number"],
    ),
    _tool(
        "issue_credit",
        "Add the late-delivery shipping credit (policy-checked).",
        {"order_number": _ORDER},
        ["order_number"],
    ),
    _tool(
        "adjust_price",
        "Refund an own-site price drop (policy-checked).",
        {"order_number": _ORDER},
        ["order_number"],
    ),
    _tool(
        "cancel_order",
        "Cancel an order (policy-checked).",
        {"order_number": _ORDER},
        ["order_number"],
    ),
    _tool(
        "change_address",
        "Change an order's delivery address (policy-checked).",
        {"order_number": _ORDER, "new_address": {"type": "string"}},
        ["order_number", "new_address"],
    ),
    _tool(
        "escalate_to_human",
        "Hand the conversation to a human, for one of the three valid triggers only. The "
        "system checks the trigger's ground at once: it answers `accepted`, or `refused` with "
        "the reason (then go on helping the customer in this turn).",
        {
            "trigger": {"type": "string", "enum": list(TRIGGERS)},
            "customer_words": {
                "type": "string",
                "description": "for explicit_request: the customer's own words from their "
                'current message that ask for a person, copied verbatim (e.g. "can I talk to '
                'someone"), never a paraphrase',
            },
            "root_cause": {"type": "string", "description": "one sentence"},
            "recommended_action": {"type": "string", "description": "one sentence"},
        },
        ["trigger", "root_cause", "recommended_action"],
    ),
]

FINISH = "finish_turn"
FINISH_TURN: Final[dict[str, Any]] = _tool(
    FINISH,
    "End the turn: what the customer reads, and what kind of answer it is. Call it alone, "
    "after the tools you needed.",
    {
        "action": {"type": "string", "enum": ["resolve", "clarify", "decline", "escalate"]},
        "reply": {"type": "string", "description": "the message the customer reads"},
        "ask_for": {
            "type": "array",
            "items": {"type": "string", "enum": ["email", "phone", "order_number"]},
            "description": "with clarify: the identifiers the reply asks for",
        },
    },
    ["action", "reply"],
)

FINAL_ANSWER_RULE: Final = """\
## How to finish a turn

When you are done with tools, call finish_turn (alone) with the action ("resolve", "clarify",
"decline" or "escalate"), the reply the customer reads, and for a clarify the identifiers it
asks for. Use "escalate" only after calling escalate_to_human."""

_JSON_OBJECT = re.compile(r"\{.*\}", re.S)
MAX_BOOKS_KEPT = 64  # books whose tools and prompt are kept built (one per workspace in use)
_BookRequest = tuple[list[dict[str, Any]], list[dict[str, Any]]]


class ClaudeAgent:
    """Works a turn with Claude; falls back to `fallback` when the API is unavailable."""

    name = "claude"

    def __init__(
        self,
        *,
        client: anthropic.Anthropic,
        book: PolicyBook,
        fallback: Agent,
        model: str = DEFAULT_MODEL,
        max_rounds: int = MAX_TOOL_ROUNDS,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.fallback = fallback
        self.max_rounds = max_rounds
        self._requests: dict[PolicyBook, _BookRequest] = {}
        self._lock = threading.Lock()
        self.tools, self.system = self._for(book)

    def _for(self, book: PolicyBook) -> _BookRequest:
        """The tools and system prompt for a turn decided against `book` (each workspace may
        use its own): built once per book, and the same text every time, so the prompt cache
        (tools, then the system prompt, which carries the breakpoint) serves each book's turns
        from its own entry."""
        with self._lock:
            made = self._requests.get(book)
            if made is None:
                system = [
                    {
                        "type": "text",
                        "text": build_system_prompt(book) + "\n\n" + FINAL_ANSWER_RULE,
                        "cache_control": {"type": "ephemeral"},
                    }
                ]
                made = (tool_specs(book), system)
                if len(self._requests) >= MAX_BOOKS_KEPT:
                    self._requests.pop(next(iter(self._requests)))
                self._requests[book] = made
            return made

    def take_turn(self, *, text: str, history: Sequence[Utterance], tools: ToolBox) -> AgentTurn:
        specs, system = self._for(tools.book)
        messages = conversation_messages(history, tools.state)
        usage = Usage()
        for round_number in range(self.max_rounds + 1):
            final_round = round_number == self.max_rounds
            try:
                response = self._create(
                    messages, final_round=final_round, tools=specs, system=system
                )
            except anthropic.APIError as error:
                if not is_transient(error):
                    raise ModelMisconfigured(describe_api_error(error)) from error
                return self._fall_back(
                    text=text,
                    history=history,
                    tools=tools,
                    error=error,
                    requests=round_number + 1,
                    usage=usage,
                )
            requests = round_number + 1
            usage = usage + usage_of(response)
            if response.stop_reason in UNFINISHED:
                # A reply cut off (or refused) is no answer: never send it to the customer.
                log.warning(
                    "the model stopped with %s; the offline agent takes the turn",
                    response.stop_reason,
                )
                return self._offline_turn(
                    text,
                    history,
                    tools,
                    requests=requests,
                    usage=usage,
                    why=f"model stopped: {response.stop_reason}",
                )
            tool_uses = [b for b in response.content if b.type == "tool_use" and b.name != FINISH]
            finish = next(
                (b for b in response.content if b.type == "tool_use" and b.name == FINISH), None
            )
            if finish is not None and not tool_uses:
                proposal = answer_proposal(dict(finish.input or {}), tools, fallback_text="")
                if proposal.action == "escalate" and tools.escalation is None:
                    return self._answer_after_refused_handoff(
                        text=text, history=history, tools=tools, requests=requests, usage=usage
                    )
                return AgentTurn(
                    proposal=proposal, model_requests=requests, usage=usage, agent=self.name
                )
            if response.stop_reason != "tool_use" or not tool_uses or final_round:
                proposal = final_proposal(response_text(response), tools)
                if proposal.action == "escalate" and tools.escalation is None:
                    return self._answer_after_refused_handoff(
                        text=text, history=history, tools=tools, requests=requests, usage=usage
                    )
                return AgentTurn(
                    proposal=proposal, model_requests=requests, usage=usage, agent=self.name
                )
            # A handoff asked for in the same response runs first: once it is accepted, no
            # lookup or action of that response is carried out.
            ordered = sorted(tool_uses, key=lambda use: use.name != "escalate_to_human")
            answers = {use.id: tools.call(use.name, dict(use.input or {})) for use in ordered}
            results = [
                {
                    "type": "tool_result",
                    "tool_use_id": use.id,
                    "content": json.dumps(answers[use.id]),
                    "is_error": answers[use.id].get("status") == "error",
                }
                for use in tool_uses
            ]
            if finish is not None:  # a finish beside other tools answered before their results
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": finish.id,
                        "content": "Not finished: read the other tools' results first.",
                        "is_error": True,
                    }
                )
            if tools.escalation is not None:
                # The handoff was accepted and its reply is the engine's: asking the model
                # again would only delay a customer who is waiting for a person.
                return AgentTurn(
                    proposal=final_proposal(response_text(response), tools),
                    model_requests=requests,
                    usage=usage,
                    agent=self.name,
                )
            messages.append({"role": "assistant", "content": [_block(b) for b in response.content]})
            messages.append({"role": "user", "content": results})
        raise AssertionError("unreachable: the final round always returns")

    def _create(
        self,
        messages: list[dict[str, Any]],
        *,
        final_round: bool,
        tools: list[dict[str, Any]],
        system: list[dict[str, Any]],
    ) -> Any:
        options: dict[str, Any] = {}
        if final_round:
            options["tool_choice"] = {"type": "tool", "name": FINISH}
        return self.client.messages.create(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,  # type: ignore[arg-type]
            tools=tools,  # type: ignore[arg-type]
            messages=messages,  # type: ignore[arg-type]
            **options,
        )

    def _answer_after_refused_handoff(
        self,
        *,
        text: str,
        history: Sequence[Utterance],
        tools: ToolBox,
        requests: int,
        usage: Usage,
    ) -> AgentTurn:
        # The model insists on a handoff the engine refused: rather than an open question that
        # drops the customer's need, the offline agent works the turn.
        log.info("the model insisted on a refused handoff; the offline agent takes the turn")
        return self._offline_turn(
            text, history, tools, requests=requests, usage=usage, why="after a refused handoff"
        )

    def _fall_back(
        self,
        *,
        text: str,
        history: Sequence[Utterance],
        tools: ToolBox,
        error: anthropic.APIError,
        requests: int,
        usage: Usage,
    ) -> AgentTurn:
        detail = f"{type(error).__name__}: {error}"[:300]
        log.warning(
            "model unavailable after retries (%s); the offline agent takes the turn", detail
        )
        tools.state = tools.state.record_attempts(
            model_failure(turn=tools.state.turn, detail=detail)
        )
        return self._offline_turn(
            text, history, tools, requests=requests, usage=usage, why="fallback"
        )

    def _offline_turn(
        self,
        text: str,
        history: Sequence[Utterance],
        tools: ToolBox,
        *,
        requests: int,
        usage: Usage,
        why: str,
    ) -> AgentTurn:
        turn = self.fallback.take_turn(text=text, history=history, tools=tools)
        return AgentTurn(
            proposal=turn.proposal,
            model_requests=requests + turn.model_requests,
            usage=usage + turn.usage,
            agent=f"{self.fallback.name} ({why})",
        )


def conversation_messages(
    history: Sequence[Utterance], state: ConversationState
) -> list[dict[str, Any]]:
    """The conversation for the Messages API, newest last, within a character budget.

    Roles alternate and start with the customer; the last customer message carries a note of
    what the engine's state holds, so multi-turn conversations survive restarts.
    """
    kept: list[Utterance] = []
    used = 0
    for utterance in reversed(history):
        text = utterance.text[:MESSAGE_CHAR_LIMIT]
        if kept and used + len(text) > HISTORY_CHAR_BUDGET:
            break
        kept.append(Utterance(utterance.speaker, text))
        used += len(text)
    kept.reverse()
    while kept and kept[0].speaker != "customer":
        kept.pop(0)
    messages: list[dict[str, Any]] = []
    for utterance in kept:
        role = "user" if utterance.speaker == "customer" else "assistant"
        text = utterance.text if utterance.speaker != "agent" else f"[human agent] {utterance.text}"
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"][-1]["text"] += "\n\n" + (text or "(empty message)")
        else:
            messages.append(
                {"role": role, "content": [{"type": "text", "text": text or "(empty message)"}]}
            )
    if not messages or messages[-1]["role"] != "user":
        messages.append({"role": "user", "content": [{"type": "text", "text": "(no message)"}]})
    messages[-1]["content"].insert(0, {"type": "text", "text": state_note(state)})
    return messages


def state_note(state: ConversationState) -> str:
    identified = state.customer_id or "nobody yet"
    pending = ", ".join(state.pending_disambiguation) or "nothing"
    return (
        "[Conversation state, from the system, not the customer: customer identified: "
        f"{identified}; identifiers the customer typed: {state.identifiers.describe()}; "
        f"waiting for the customer to give: {pending}; resolution already offered: "
        f"{'yes' if state.resolution_offered else 'no'}; a resolution was offered after the "
        "customer hinted at or asked for a person (a renewed wish now escalates): "
        f"{'yes' if state.offer_followed_signal() else 'no'}.]"
    )


class ModelMisconfigured(RuntimeError):
    """The API refused the request for a reason retrying cannot fix (key, model id, request):
    no silent fallback; the turn fails, is retried, and the admins are told."""


# Stop reasons that leave no usable answer.
UNFINISHED: Final = frozenset({"max_tokens", "refusal", "model_context_window_exceeded"})


# What only a person can fix: a bad request, key, permission or model id.
_NOT_TRANSIENT: Final = frozenset({400, 401, 403, 404})


def is_transient(error: anthropic.APIError) -> bool:
    """Anything but a refused request, key, permission or model: overload, rate limits,
    timeouts (408 too), conflicts, lost connections, 5xx and unreadable answers. The offline
    agent stands in for those."""
    status = getattr(error, "status_code", None)
    return not (isinstance(status, int) and status in _NOT_TRANSIENT)


def describe_api_error(error: anthropic.APIError) -> str:
    status = getattr(error, "status_code", None)
    what = {
        401: "the API key was rejected (ANTHROPIC_API_KEY)",
        403: "the API key may not use this model",
        404: "the model was not found (ANTHROPIC_MODEL)",
    }.get(status if isinstance(status, int) else 0, "the Anthropic API refused the request")
    return f"{what}: HTTP {status} {type(error).__name__}"


def final_proposal(text: str, tools: ToolBox) -> Proposal:
    """A final answer written as text (a model that did not call finish_turn): its JSON object
    when there is one, else the text as a plain reply."""
    return answer_proposal(_parse_answer(text), tools, fallback_text=text)


def answer_proposal(answer: dict[str, Any], tools: ToolBox, *, fallback_text: str) -> Proposal:
    """The model's final answer (finish_turn's input, or parsed text) as a proposal."""
    reply = str(answer.get("reply") or fallback_text).strip() or "How can I help?"
    ask_for: tuple[IdentifierKind, ...] = tuple(
        k for k in IDENTIFIER_KINDS if k in (answer.get("ask_for") or [])
    )
    if tools.escalation is not None:
        return Proposal(
            action="escalate",
            trigger=tools.escalation.trigger,
            reply=reply,
            reason=tools.escalation.root_cause,
            recommended_action=tools.escalation.recommended_action,
        )
    action: Action = (
        answer["action"] if answer.get("action") in ACTIONS else "clarify" if ask_for else "resolve"
    )
    trigger = answer.get("trigger")
    return Proposal(
        action=action,
        reply=reply,
        ask_for=ask_for,
        trigger=trigger if trigger in TRIGGERS else None,
        reason=str(answer.get("reason") or ""),
    )


def _parse_answer(text: str) -> dict[str, Any]:
    match = _JSON_OBJECT.search(text)
    if match is None:
        return {}
    try:
        value = json.loads(match.group(0))
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def response_text(response: Any) -> str:
    return "".join(b.text for b in response.content if b.type == "text")


def usage_of(response: Any) -> Usage:
    u = response.usage
    return Usage(
        input_tokens=u.input_tokens or 0,
        output_tokens=u.output_tokens or 0,
        cache_read_tokens=getattr(u, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(u, "cache_creation_input_tokens", None) or 0,
    )


def _block(block: Any) -> dict[str, Any]:
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return {"type": "text", "text": block.text}

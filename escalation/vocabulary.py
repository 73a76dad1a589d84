"""Closed sets shared by the core, the agents and the adapters (DESIGN.md §4)."""

from __future__ import annotations

from typing import Final, Literal, get_args

Action = Literal["resolve", "clarify", "decline", "escalate"]
Trigger = Literal["explicit_request", "policy_gap", "no_progress"]
IdentifierKind = Literal["email", "phone", "order_number"]
OrderStatus = Literal["processing", "shipped", "delivered", "cancelled"]
ConversationStatus = Literal["bot", "escalated", "claimed", "resolved"]
ToolName = Literal[
    "find_customer",
    "get_order",
    "create_replacement",
    "issue_refund",
    "issue_credit",
    "adjust_price",
    "cancel_order",
    "change_address",
    "check_policy",
    "escalate_to_human",
]
# Transient errors are retried within the bound; permanent ones never are.
TransientError = Literal["timeout", "unavailable"]
PermanentError = Literal["forbidden", "bug", "unsupported"]
ToolErrorKind = Literal[TransientError, PermanentError]

ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
TRIGGERS: Final[tuple[Trigger, ...]] = get_args(Trigger)
IDENTIFIER_KINDS: Final[tuple[IdentifierKind, ...]] = get_args(IdentifierKind)
ORDER_STATUSES: Final[tuple[OrderStatus, ...]] = get_args(OrderStatus)
TOOL_NAMES: Final[tuple[ToolName, ...]] = get_args(ToolName)
TRANSIENT_ERRORS: Final[tuple[TransientError, ...]] = get_args(TransientError)

# Tools whose success changes something for the customer (refunds, replacements, ...).
EFFECT_TOOLS: Final[frozenset[ToolName]] = frozenset(
    {
        "create_replacement",
        "issue_refund",
        "issue_credit",
        "adjust_price",
        "cancel_order",
        "change_address",
    }
)
CONVERSATION_STATUSES: Final[tuple[ConversationStatus, ...]] = get_args(ConversationStatus)

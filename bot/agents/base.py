"""What every agent offers: one turn of work with the tools, ending in a proposal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.turns.tools import ToolBox
from escalation.engine import Proposal
from escalation.handoff import Utterance


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one turn used (summed over its model requests)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True, slots=True)
class AgentTurn:
    """The agent's proposal for the engine, and what the turn cost."""

    proposal: Proposal
    model_requests: int = 0
    usage: Usage = Usage()
    agent: str = "offline"


class Agent(Protocol):
    """Works one customer turn with `tools` (whose `state` is the engine's view) and proposes.

    `history` is the conversation so far, oldest first, ending with this turn's message.
    """

    name: str

    def take_turn(
        self, *, text: str, history: Sequence[Utterance], tools: ToolBox
    ) -> AgentTurn: ...

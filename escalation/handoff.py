"""The structured handoff a human agent receives with every escalation (DESIGN.md §1)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from escalation.identifiers import Identifiers
from escalation.ledger import Attempt
from escalation.vocabulary import Trigger

UNIDENTIFIED: Final = "unidentified"
SUMMARY_LIMIT: Final = 480
_LINE_LIMIT: Final = 160
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")

Speaker = Literal["customer", "bot", "agent"]


@dataclass(frozen=True, slots=True)
class Utterance:
    """One line of the conversation, for summaries."""

    speaker: Speaker
    text: str


@dataclass(frozen=True, slots=True)
class Handoff:
    """Everything a human needs to take over without asking the customer again."""

    customer_id: str
    trigger: Trigger
    root_cause: str
    recommended_action: str
    attempts: tuple[Attempt, ...]
    policy_cited: str | None
    summary: str
    identifiers_typed: Identifiers = Identifiers()
    customer_name: str = ""  # the shop's name for an identified customer, for the card

    @property
    def identified(self) -> bool:
        return self.customer_id != UNIDENTIFIED

    def attempt_lines(self) -> tuple[str, ...]:
        return tuple(a.describe() for a in self.attempts)


def one_sentence(text: str, *, limit: int = 240) -> str:
    """The first sentence of `text`, on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    first = _SENTENCE_END.split(flat, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def summarise(history: Sequence[Utterance], *, limit: int = SUMMARY_LIMIT) -> str:
    """The latest lines of the conversation that fit in `limit` characters, oldest first, one
    per message, each cut after a whole word."""
    lines: list[str] = []
    used = 0
    for utterance in reversed(history):
        line = f"{utterance.speaker.capitalize()}: {_cut_at_a_word(utterance.text, _LINE_LIMIT)}"
        if lines and used + len(line) + 1 > limit:
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(reversed(lines)) if lines else "No messages yet."


def _cut_at_a_word(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut after a whole word ("…")."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut and not flat[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"

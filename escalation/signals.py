"""Detect a customer's request for a human in free text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HumanRequestKind = Literal["explicit", "implicit", "none"]


@dataclass(frozen=True, slots=True)
class HumanRequest:
    """What a message says about wanting a person: the kind and the span that decided it."""

    kind: HumanRequestKind
    evidence: str | None = None


def detect_human_request(text: str) -> HumanRequest:
    """Classify `text` as an explicit request for a human, an implicit signal, or neither."""
    raise NotImplementedError

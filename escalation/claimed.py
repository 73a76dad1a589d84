"""What a customer is told when a person from the team takes their case: the agent's name as
the team shows it (made fit to say in one line), or no name at all."""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["MAX_NAME", "claim_notice", "spoken_name"]

# Longer names are cut at a word (Slack allows 80 characters; a sentence to a customer needs
# far fewer to say who it is).
MAX_NAME: Final = 40
ELLIPSIS: Final = "\u2026"
_ZWJ: Final = "\u200d"  # joins emoji into one (a family, a flag with a sign): kept


def claim_notice(name: str | None) -> str:
    """The customer's notice that their case has a person now: with the agent's `name` when
    there is one worth saying (`spoken_name`), else the same promise without a name."""
    spoken = spoken_name(name)
    who = f"{spoken} from our team" if spoken else "A person from our team"
    return f"{who} has your case now and will reply here."


def spoken_name(raw: str | None) -> str | None:
    """`raw` as one line fit to say: invisible and control characters gone, spaces collapsed,
    at most `MAX_NAME` characters (whole words; one longer word is cut with an ellipsis, never
    inside a character's accents or an emoji). None when nothing readable is left."""
    if raw is None:
        return None
    text = " ".join(_visible(unicodedata.normalize("NFC", raw)).split())
    if not _readable(text):
        return None  # only punctuation, marks or nothing: not a name
    if len(text) <= MAX_NAME:
        return text
    words = text[: MAX_NAME + 1].split(" ")[:-1]  # the words that end within the limit
    kept = " ".join(words).rstrip(_TRAILING)
    if _readable(kept):
        return kept
    cut = text[: _safe_cut(text, MAX_NAME)].rstrip(_TRAILING)
    return cut + ELLIPSIS if _readable(cut) else None


# Punctuation a cut can leave dangling at the end ("Dana -", "Dana,").
_TRAILING: Final = " ,;:-\u2013\u2014/|&+("


def _readable(text: str) -> bool:
    """Some letter, digit or symbol (an emoji) in it."""
    return any(unicodedata.category(c)[0] in "LNS" for c in text)


def _visible(text: str) -> str:
    """Control, format and separator characters become spaces or go (a zero-width joiner
    between two characters stays, as it makes one emoji of them)."""
    out = []
    for at, c in enumerate(text):
        kind = unicodedata.category(c)
        if kind in ("Cc", "Zl", "Zp", "Zs"):
            out.append(" ")
        elif c == _ZWJ and 0 < at < len(text) - 1:
            out.append(c)
        elif kind in ("Cf", "Co", "Cn", "Cs"):
            continue
        else:
            out.append(c)
    return "".join(out)


def _safe_cut(text: str, limit: int) -> int:
    """The largest cut at or before `limit` that splits no character from its accents or
    variation selector, no emoji joined by a zero-width joiner and no flag's pair of letters."""
    cut = limit
    while cut > 1 and (
        unicodedata.category(text[cut])[0] == "M"
        or _ZWJ in (text[cut], text[cut - 1])
        or _splits_flag(text, cut)
    ):
        cut -= 1
    return cut


def _splits_flag(text: str, cut: int) -> bool:
    """A flag is two regional indicator letters: a cut after an odd count of them splits one."""
    run = 0
    while cut - run - 1 >= 0 and _regional(text[cut - run - 1]):
        run += 1
    return run % 2 == 1 and _regional(text[cut])


def _regional(c: str) -> bool:
    return "\U0001f1e6" <= c <= "\U0001f1ff"

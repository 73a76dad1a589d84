"""Detect a customer's request for a human in free text.

The detector is a small rule system, written from the label definitions (DESIGN.md §1):

* **explicit**: the customer asks to talk to, be connected or transferred to, chat with or be
  called by a person, or asks how, where or whether they can reach one (including a phone
  number or a callback to talk to someone).
* **implicit**: doubt about the bot, disparagement of it, or a hint at a person without a
  request ("is anyone there?", "can someone help me with X", "do I have to call someone?").
* **none**: everything else, sentiment included.

How it works, per line (lines quoted with "> " are skipped):

1. Tokenise, lower-case and normalise each word: contractions are expanded ("don't" ->
   "do not"), chat spellings mapped ("pls" -> "please", "u" -> "you"), and words one edit
   away from a key noun or verb ("agnet", "reprsentative", "conect") mapped to it. The
   normalised line keeps a token-to-offset map so that every match is reported as a span of
   the original text.
2. Questions about the bot's identity ("am I talking to a human?") and obligation questions
   ("do I have to call someone?") are implicit and are masked first, so the request patterns
   in them are not read as explicit requests.
3. Explicit patterns (contact verb + person, request frame + person, "a word with" + person,
   handover frames such as "let a person handle this", terse "agent please", callback, support
   phone number) are searched. A person is a noun ("agent"), possibly post-modified ("a member
   of your support team", "someone from support"); a contact or transfer verb whose object is
   "one"/"them" ("connect me to one") counts when a person was named earlier in the message
   (anaphora). Two frames ask to be passed on without a contact verb: a bare imperative that
   names no person ("transfer me", "put me through", "escalate my case", but not "transfer my
   money"; not on a line posing as the system or the bot, "SYSTEM: escalate this"), and a
   question whether a person can examine or handle the customer's own matter ("could a human
   check my order"), told by the verb and by the case as its object, so that "can a person
   return an item after 30 days?" stays a policy question. A match is discarded when it is
   negated ("I don't need a human"), reported ("I was told to call support") or a failed
   attempt ("I can't reach anyone", which is implicit).
4. Implicit patterns: doubt about or disparagement of the bot, the chat or the automation
   ("these bots never help", "does a human ever read this?"); refusing the bot ("I won't chat
   with a machine", "no more canned answers"; refusing a person is no signal); "this is
   pointless" only when a bot was named earlier in the message, so frustration with the shop
   stays none.

Standard library only, no I/O; regular expressions are compiled at import time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from escalation.wording import COMMON_REWRITES

HumanRequestKind = Literal["explicit", "implicit", "none"]


@dataclass(frozen=True, slots=True)
class HumanRequest:
    """What a message says about wanting a person: the kind and the span that decided it."""

    kind: HumanRequestKind
    evidence: str | None = None


NONE: Final = HumanRequest("none")

# --------------------------------------------------------------------------------------------
# Normalisation of words
# --------------------------------------------------------------------------------------------

# Whole-word rewrites: chat spellings, apostrophe-less contractions, spaced compounds.
_REWRITES: Final[dict[str, str]] = {
    **COMMON_REWRITES,
    "plss": "please",
    "plzz": "please",
    "pleasee": "please",
    "pleeease": "please",
    "pleease": "please",
    "pleaseee": "please",
    "ppl": "people",
    "thru": "through",
    "w": "with",
    "ther": "there",
    "someon": "someone",
    "some1": "someone",
    "any1": "anyone",
    "shouldnt": "should not",
    "hows": "how is",
    "callback": "call back",
    "callbacks": "call back",
    "helpdesk": "help desk",
    "helpline": "help line",
    "hotline": "hot line",
    "chatbot": "bot",
    "chatbots": "bots",
    "customerservice": "customer service",
    "customercare": "customer care",
    "cs": "customer service",
    "tel": "phone",
    "telephone": "phone",
    "nr": "number",
    "nbr": "number",
    "num": "number",
}

_IRREGULAR_NEGATIONS: Final[dict[str, str]] = {
    "can't": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
}

_CONTRACTION_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("n't", " not"),
    ("'d", " would"),
    ("'m", " am"),
    ("'re", " are"),
    ("'ll", " will"),
    ("'ve", " have"),
    ("'s", " 's"),
)

# Key words that typos are mapped onto. Words of five letters or more tolerate one edit
# (insertion, deletion, substitution, adjacent transposition), ten letters or more two; the
# four-letter words tolerate only the commonest slips: an adjacent transposition ("tlak"), a
# doubled letter ("talkk") or a neighbouring key on a QWERTY keyboard ("chay", "wirh").
_FUZZY_TARGETS: Final[tuple[str, ...]] = (
    "human",
    "humans",
    "person",
    "people",
    "agent",
    "agents",
    "representative",
    "representatives",
    "operator",
    "supervisor",
    "manager",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "customer",
    "service",
    "support",
    "number",
    "employee",
    "executive",
    "associate",
    "advisor",
    "adviser",
    "specialist",
    "consultant",
    "phone",
    "please",
    "speak",
    "speaking",
    "talking",
    "chatting",
    "calling",
    "contact",
    "contacting",
    "connect",
    "connected",
    "connecting",
    "transfer",
    "transferred",
    "transferring",
    "reach",
    "reaching",
    "through",
    "touch",
    "assistant",
    "assistants",
    "talk",
    "chat",
    "call",
    "with",
)

# Ordinary English words within one edit of a key word: never "corrected".
_NOT_TYPOS: Final[frozenset[str]] = frozenset(
    {
        "steak",
        "sneak",
        "speck",
        "spear",
        "teach",
        "beach",
        "peach",
        "leach",
        "roach",
        "react",
        "contract",
        "contracts",
        "member",
        "members",
        "lumber",
        "numbed",
        "manage",
        "managed",
        "manages",
        "operate",
        "operated",
        "operates",
        "employer",
        "employers",
        "associated",
        "advise",
        "advised",
        "advises",
        "lease",
        "pleased",
        "taking",
        "walking",
        "stalking",
        "falling",
        "balling",
        "teaching",
        "sneaking",
        "prone",
        "phoned",
        "phony",
        "shone",
        "though",
        "thorough",
        "trough",
        "tough",
        "couch",
        "torch",
        "costume",
        "costumes",
        "custom",
        "customs",
        "persona",
        "prison",
        "anyway",
        "device",
        "servile",
        "called",
        "talked",
        "chatted",
        "reached",
        "contacted",
        "spoke",
        "spoken",
        "lice",
        "life",
        "tale",
        "teal",
        "tall",
        "char",
        "fall",
        "assistance",
    }
)


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _allowed_edits(target: str) -> int:
    if len(target) >= 10:
        return 2
    return 1 if len(target) >= 5 else 0


def _build_fuzzy_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for target in _FUZZY_TARGETS:
        for key in _deletions(target, max(1, _allowed_edits(target))):
            index.setdefault(key, []).append(target)
    return {key: tuple(targets) for key, targets in index.items()}


_FUZZY_INDEX: Final = _build_fuzzy_index()
_FUZZY_SET: Final = frozenset(_FUZZY_TARGETS)
_LONGEST_TARGET: Final = max(len(t) for t in _FUZZY_TARGETS)


_KEYBOARD_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbour_keys() -> dict[str, frozenset[str]]:
    position = {c: (r, i) for r, row in enumerate(_KEYBOARD_ROWS) for i, c in enumerate(row)}
    return {
        a: frozenset(
            b
            for b, (r2, i2) in position.items()
            if b != a and abs(r1 - r2) <= 1 and -1 <= (i2 - i1) + (r2 - r1) * 0.5 <= 1
        )
        for a, (r1, i1) in position.items()
    }


_NEIGHBOURS: Final = _neighbour_keys()


def _is_slip(word: str, target: str) -> bool:
    """A transposition, a doubled letter or a neighbouring key: the typos of short words."""
    if len(word) == len(target) + 1:
        return any(
            word[:i] + word[i + 1 :] == target and word[i] == word[i - 1]
            for i in range(1, len(word))
        )
    if len(word) != len(target) or word == target:
        return False
    diff = [i for i in range(len(word)) if word[i] != target[i]]
    if len(diff) == 1:
        return word[diff[0]] in _NEIGHBOURS.get(target[diff[0]], frozenset())
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == target[diff[1]]
        and word[diff[1]] == target[diff[0]]
    )


def _fuzzy(word: str) -> str:
    if (
        len(word) < 4
        or len(word) > _LONGEST_TARGET + 2  # beyond two edits of any target: skip the search
        or word in _FUZZY_SET
        or word in _NOT_TYPOS
        or not word.isalpha()
    ):
        return word
    best = word
    best_distance = 3
    for key in _deletions(word, 2 if len(word) >= 9 else 1):
        for target in _FUZZY_INDEX.get(key, ()):
            allowed = _allowed_edits(target)
            if allowed == 0:
                distance = 1 if _is_slip(word, target) else 3
            else:
                distance = _edit_distance(word, target)
            if distance <= max(allowed, 1) and distance < best_distance:
                best, best_distance = target, distance
    return best


_JOINED_PREFIXES: Final = ("to", "with", "an", "a", "the", "real", "live")


@lru_cache(maxsize=8192)
def _normalise_word(raw: str) -> str:
    word = raw.lower().replace("\u2019", "'").replace("\u2018", "'").strip("'")
    if word in _REWRITES:
        return _REWRITES[word]
    if word in _IRREGULAR_NEGATIONS:
        return _IRREGULAR_NEGATIONS[word]
    for suffix, expansion in _CONTRACTION_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return _normalise_word(word[: -len(suffix)]) + expansion
    word = word.replace("'", "")
    if word in _REWRITES:
        return _REWRITES[word]
    fixed = _fuzzy(word)
    if fixed == word and word not in _FUZZY_SET and len(word) >= 7:
        # Two words run together: "tosomebody", "withagent".
        for prefix in _JOINED_PREFIXES:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 5 and _fuzzy(rest) in _FUZZY_SET:
                return f"{prefix} {_fuzzy(rest)}"
    return fixed


# --------------------------------------------------------------------------------------------
# Lines and tokens
# --------------------------------------------------------------------------------------------

_QUOTED_LINE: Final = re.compile(r"^[ \t]*>(?:[ \t]|$)")
_TOKEN: Final = re.compile(
    r"[A-Za-z0-9]+(?:['\u2019\u2018][A-Za-z]+)*"  # a word, contractions included
    r"|[.,;:!?]+"  # clause punctuation
    r"|(?<!\S)[-\u2013\u2014~|/]+(?!\S)"  # a free-standing dash or bar separates clauses
    r"|[()\[\]{}\"\u201c\u201d]"  # brackets and double quotes separate clauses too
)


_BEFORE_TO: Final = frozenset(
    {"talk", "speak", "chat", "me", "us", "through", "connect", "transfer", "want", "need", "how"}
)


@dataclass(frozen=True, slots=True)
class _Line:
    """One normalised line: `norm` is searched, `starts`/`spans` map it back to `text`."""

    norm: str
    starts: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]

    def evidence(self, text: str, start: int, end: int) -> str:
        first = bisect_right(self.starts, start) - 1
        last = bisect_right(self.starts, max(start, end - 1)) - 1
        return text[self.spans[first][0] : self.spans[last][1]]


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        if not _QUOTED_LINE.match(line):
            yield offset, line
        offset += len(line)


def _normalise_line(line: str, offset: int) -> _Line:
    parts: list[str] = []
    starts: list[int] = []
    spans: list[tuple[int, int]] = []
    # Every token is preceded by a space, so patterns can start with a literal " " rather than
    # r"\b": the regular-expression engine then only tries them where a word begins.
    position = 1
    for match in _TOKEN.finditer(line):
        raw = match.group()
        if raw == "2" and parts and parts[-1] in _BEFORE_TO:
            norm = "to"  # "talk 2 someone"
        elif raw[0].isalnum():
            norm = _normalise_word(raw)
        elif "?" in raw:
            norm = "?"
        elif "!" in raw:
            norm = "!"
        elif raw[0] in ".,;:":
            norm = raw[0]
        else:
            norm = ";"
        if norm in {"one", "body"} and parts and parts[-1] in {"some", "any", "every", "no"}:
            # "some one" -> "someone", "no body" -> "nobody"
            parts[-1] += norm
            spans[-1] = (spans[-1][0], offset + match.end())
            position += len(norm)
            continue
        starts.append(position)
        spans.append((offset + match.start(), offset + match.end()))
        parts.append(norm)
        position += len(norm) + 1
    return _Line(" " + " ".join(parts), tuple(starts), tuple(spans))


# --------------------------------------------------------------------------------------------
# Word classes (regular-expression fragments over the normalised text)
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _alt(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


_DEPT = _alt(
    r"(?:customer|consumer|client) (?:services?|care|support|relations|help|experience|success)"
    r"(?: centre| center)?",
    r"(?:tech(?:nical)? |live |human |it )?support",
    r"help (?:desk|line|center|centre)",
    r"service desk",
    r"hot line",
    r"(?:call|contact|support|service) cent(?:er|re)s?",
)
# A group of the company's people, as the post-modifier of a person phrase ("a member of your
# customer service team", "someone from support", "one of your staff"). "Our"/"my" groups are the
# customer's own ("our HR team"), so only "your" and "the" are taken, or a support department
# without a determiner.
_GROUP = _alt(
    rf"(?:(?:your|the) )?{_DEPT}(?: (?:team|staff|department|desk|people|side|end|office))?",
    r"(?:your|the) (?:\w+ )?(?:team|staff|department|company|office|crew|people|employees"
    r"|agents|side|end|bank|store|shop|help desk)",
    r"staff",
)
# Nouns for a person at the company. Compounds first so that the longest one wins.
_PERSON = _alt(
    rf"{_DEPT} (?:person|people|team|staff|agents?|reps?|representatives?|executives?"
    r"|associates?|officers?|advisors?|advisers?|specialists?|department|member|guys?"
    r"|lady|man|woman|operators?)",
    r"(?:staff|team) members?",
    # a person phrase with a post-modifier: head noun + of/from/at/in/on + a group
    rf"(?:members?|one|some ?one|some ?body|any ?one|any ?body|people|a person|persons?"
    rf"|colleagues?) (?:of|from|at|in|on|with) {_GROUP}",
    r"humans?(?: beings?)?(?! (?:resources|rights|error|nature|trafficking|body))",
    r"persons?",
    r"agents?",
    r"representatives?",
    r"reps?",
    r"operators?",
    r"supervisors?",
    r"managers?",
    r"staff",
    r"employees?",
    r"executives?",
    r"associates?",
    r"advis[oe]rs?",
    r"specialists?",
    r"consultants?",
    r"assistants?",
    r"boss(?:es)?",
    # "a colleague" is as likely the customer's own: only after "me" (see _CREW)
    r"colleagues? of yours",
    r"(?<! a )colleagues?",
    r"higher ups?",
    r"(?:some ?one|some ?body|a person|people|whoever(?: is)?) (?:in charge|more senior|senior)",
    r"live (?:chat|people|help|support)",
    r"(?:real|actual|living) people",
)
# Every word that can start or make up a person noun or a department above: a line without one
# of them skips the patterns built on those classes.
_PERSON_CUES: Final = _words(
    """human humans person persons people agent agents representative representatives rep reps
    operator operators supervisor supervisors manager managers staff employee employees
    executive executives associate associates advisor advisors adviser advisers specialist
    specialists consultant consultants assistant assistants boss bosses higher someone
    somebody anyone anybody whoever member members live real actual living customer consumer
    client support service services care desk line center centre centers centres team
    colleague colleagues"""
)
_SOMEONE = _alt(r"some ?one", r"some ?body", r"any ?one", r"any ?body", r"people")
_QUAL = (
    r"(?:(?:real|actual|live|living|human|proper|genuine|physical|competent|knowledgeable"
    r"|senior|qualified|other|different|english speaking|flesh and blood|breathing|higher up"
    r"|higher level|more senior|customer service|customer care|support|service"
    # intensifiers and swearing do not change what is asked for
    r"|fucking|fuckin|freaking|frickin|damn|damned|goddamn|goddamned|bloody|effing|flipping"
    r"|single)(?: ,)? )"
)
_DET = r"(?:(?:an?|the|some|any|your|another|one of (?:your|the)|someone from) )"
# A person we could be put in touch with, with its optional determiner and qualifiers.
_TARGET = rf"(?:{_DET}?{_QUAL}{{0,2}}(?:{_PERSON}|{_DEPT})|{_SOMEONE})(?! 's)"
# Strong targets only: a person noun (not "someone", not a department on its own).
_STRONG = rf"(?:{_DET}?{_QUAL}{{0,2}}{_PERSON})(?! 's)"
# The company itself, as something one contacts.
_US = r"(?:you guys|your (?:company|team|office|staff|department|support|bank|store|shop))"
# The company's people as a group one is handed over to ("hand me over to your team"), or a
# colleague of whoever is answering ("pass me to a colleague").
_TEAM = r"(?:your (?:\w+ )?(?:team|people))"
_CREW = rf"(?:{_TEAM}|an? (?:(?:human|senior|more senior) )?colleague)"
# What a person is brought in to do: "let a person handle this", "get a human to look at it".
_HANDLE = _alt(
    r"handle",
    r"take over",
    r"take (?:it|this) (?:over|on|from here)",
    r"step in",
    r"jump in",
    r"look (?:at|into|over)",
    r"take a look",
    r"have a look",
    r"deal with",
    r"sort(?: out)?",
    r"review",
    r"take care of",
    r"see to",
    r"help",
    r"assist",
    r"get back to (?:me|us)",
    r"call (?:me|us)",
    r"contact (?:me|us)",
)
# A person asked to examine or handle the customer's own matter ("could a human check my order",
# "can someone from your team review this"). The verb must be one of handling and its object the
# customer's case: "can a person return an item after 30 days?" asks about people in general, and
# "can someone help me with X" stays implicit (eval convention).
_EXAMINE = _alt(
    r"look (?:at|into|over|through)",
    r"(?:take|have) an? (?:\w+ )?look (?:at|into|over)",
    r"check(?: on| up on| over| out)?",
    r"review",
    r"handle",
    r"sort(?: out)?",
    r"deal with",
    r"go (?:over|through)",
    r"examine",
    r"investigate",
    r"see to",
    r"take care of",
    r"follow up on",
    r"reassess",
    r"reconsider",
    r"assess",
    r"process",
    r"fix",
)
# Handling with no object needed: "can a real person take a look?".
_EXAMINE_BARE = r"(?:take|have) an? (?:(?:quick|proper|closer|good|personal) )?look"
_MATTER = (
    r"(?:(?:this|it|that)(?! (?:is|was|would|will|can|could|should|has|had|needs?|does|did)\b)"
    r"|(?:my|our|the|this|that) (?:\w+ )?(?:order|orders|case|issue|account|problem|complaint"
    r"|ticket|claim|request|refund|return|query|question|situation|payment|parcel|package"
    r"|delivery|shipment|booking|reservation|subscription|invoice|bill|charge|transaction"
    r"|application|dispute|matter|file|chat|conversation|messages?|emails?|mess|thing|concern))"
)
_HANDLING = rf"(?:{_EXAMINE} {_MATTER}|{_EXAMINE_BARE}(?= [.,;:!?]|$| (?:please|now|asap)\b))"
# Someone who could do it: a person noun, or someone / anybody (not "people": a policy question).
_DOER = (
    rf"(?:{_STRONG}|(?:some|any) ?(?:one|body)(?: (?:else|real|human|competent|qualified))?"
    rf"|{_TEAM})"
)
# Words of which a line needs one for the handling frames above (" & " joins a cue set).
_HANDLING_CUES: Final = (
    " & look check review handle sort deal go examine investigate see take have follow"
    " reassess reconsider assess process fix"
)
_ADVERBS = r"(?:(?:please|just|possibly|maybe|actually|kindly|quickly|personally|manually) )*"
# Taking over from the bot needs no person noun: "can someone take over?".
_TAKE_OVER = (
    r"(?:take over|take (?:it|this) (?:over|from here)|step in|jump in)"
    r"(?= [.,;:!?]|$| (?:please|now|asap|from|here|for (?:me|us)|the (?:chat|conversation)"
    r"|this (?:chat|conversation)|then|instead|thanks|thank)\b)"
)
# What refers back to a person named earlier in the message: "connect me to one".
_ANAPHOR = (
    r"(?:one(?: of (?:them|those|these))?|them|(?:some|any) ?(?:one|body) like (?:that|this|them)"
    r"|such an? (?:person|one))"
    r"(?= [.,;:!?]|$| (?:please|now|asap|instead|again|then|today|about|regarding|for|if|so"
    r"|because|right|directly|quickly|urgently|thanks|thank|ok|okay|and|but|who|that|pls)\b)"
)

_TALK = _alt(
    r"talk(?:ing)?",
    r"speak(?:ing)?",
    r"chat(?:ting)?",
    r"converse",
    r"conversing",
    r"communicate",
    r"communicating",
    r"have an? (?:word|chat|talk|conversation|call)",
    r"get(?:ting)? in (?:touch|contact)",
    r"be in (?:touch|contact)",
    r"get(?:ting)? (?:a )?hold",
    r"get(?:ting)? ahold",
    r"get(?:ting)? through",
    r"be put through",
    r"deal",
    r"discuss (?:this|it|my \w+)",
)
_MOVE = _alt(
    r"connect(?:ing|ed)?",
    r"transfer(?:ring|red)?",
    r"forward(?:ing|ed)?",
    r"redirect(?:ing|ed)?",
    r"rout(?:e|ing|ed)",
    r"pass(?:ing|ed)?",
    r"hand(?:ing|ed)?",
    r"put(?:ting)?",
    r"patch(?:ing|ed)?",
    r"switch(?:ing|ed)?",
    r"escalat(?:e|ing|ed)",
    r"send(?:ing)?",
    r"direct(?:ing|ed)?",
    r"get",
    r"bring",
)
_REACH = _alt(r"reach(?:ing)?", r"contact(?:ing)?")
# Verbs for one channel; with "someone" they are ambiguous ("what do you call someone who").
_CALL = _alt(
    r"call(?:ing)?",
    r"phon(?:e|ing)",
    r"ring(?:ing)?",
    r"dial(?:ing)?",
    r"email(?:ing)?",
    r"message",
)
_PLEASE = _alt(
    r"please",
    r"now",
    r"asap",
    r"immediately",
    r"right now",
    r"right away",
    r"urgently",
    r"urgent",
    r"quickly",
    r"thanks",
    r"thank you",
    r"thx",
    r"!",
)
# What a customer asks to have passed on: the conversation or their case ("escalate my case").
_CASE = (
    r"(?:my|our|the|this) (?:\w+ )?(?:case|issue|complaint|ticket|request|problem|query|matter"
    r"|claim|dispute|chat|conversation|concern)"
)
_PASSED = rf"(?:this|it|that|me|us|{_CASE})"
# Where a bare pass-on imperative ends: the clause ends, perhaps after "please" or "now".
_PASS_END = rf"(?=(?: {_PLEASE})+\b|(?: (?:then|for me|for us))?(?: [.,;:!?]|$))"
# Words that may open an imperative at a clause start ("hi, escalate this please").
_BID_OPENER = (
    r"(?:(?:hi|hey|hello|ok|okay|yes|yeah|right|so|just|now|please|kindly|then|can you|could you"
    r"|would you|will you)(?: ,)? )*"
)
# A request frame before a verb of passing on ("can you escalate", "you need to escalate").
_BID_FRAME = (
    r"(?:please|kindly|can you|could you|would you|will you|want to|need to|would like to"
    r"|wish to|going to|have to|let us|let me|you (?:should|must|need to|have to|had better"
    r"|better)|(?:i|we) (?:want|need|would like) you to)(?: please| just| now| kindly)?"
)
_NUMBER = r"(?:phone |contact |mobile |direct |toll free |whatsapp )?(?:number|no|#)"
# Patterns that begin with _START are only tried where a clause begins (_CLAUSE_START).
_START = "(?#clause-start)"
_CLAUSE_START: Final = re.compile(r"(?:[.,;:!?]|\bbut|\bso|\bjust|\bok|\bokay) ")
_END = r"(?= [.,;:!?]|$)"


@dataclass(frozen=True, slots=True)
class _Rule:
    """A pattern with the checks that decide where it is tried."""

    kind: str
    anchored: bool  # matched at clause starts only
    cues: frozenset[str]  # tried only on a line with one of these words (empty: always)
    pattern: re.Pattern[str]
    also: tuple[frozenset[str], ...] = ()  # ... and with one word of each of these sets

    def applies(self, words: frozenset[str]) -> bool:
        if self.cues and self.cues.isdisjoint(words):
            return False
        return not self.also or all(not cue.isdisjoint(words) for cue in self.also)

    def finditer(self, text: str, clause_starts: Iterable[int]) -> Iterator[re.Match[str]]:
        if not self.anchored:
            yield from self.pattern.finditer(text)
            return
        for position in clause_starts:
            match = self.pattern.match(text, position)
            if match is not None:
                yield match


def _word_start(pattern: str) -> re.Pattern[str]:
    """Compile `pattern`; a leading r"\b" becomes the space before the word (see `_Line`)."""
    return re.compile(" " + pattern[2:] if pattern.startswith(r"\b") else pattern)


def _rule(kind: str, cues: str, pattern: str, *, person: bool) -> _Rule:
    """`cues`: words of which a line needs one; " & " joins sets that are all needed."""
    first, *more = cues.split("&")
    cue_words = frozenset(first.split()) | (_PERSON_CUES if person else frozenset())
    also = tuple(frozenset(words.split()) for words in more)
    return _Rule(kind, pattern.startswith(_START), cue_words, _word_start(pattern), also)


def _rules(*items: tuple[bool, str, str]) -> tuple[_Rule, ...]:
    """Implicit rules: (needs a person word, other cue words, pattern)."""
    return tuple(_rule("implicit", cues, pattern, person=person) for person, cues, pattern in items)


def _kinds(*items: tuple[str, str, str]) -> tuple[_Rule, ...]:
    """Explicit rules: (kind, cue words, pattern). Without cue words of its own (before any
    " & "), a rule built on the person classes needs a word of _PERSON_CUES."""
    return tuple(
        _rule(
            kind,
            cues,
            pattern,
            person=not cues.split("&")[0].strip()
            and any(p in pattern for p in (_PERSON, _DEPT, _SOMEONE)),
        )
        for kind, cues, pattern in items
    )


# Questions about who is answering, and obligation questions: implicit, checked first.
_WHAT = (
    r"(?:an? |the )?(?:(?:real|actual|live|automated|human|,) )*(?:bots?|robots?|machines?"
    r"|computers?|ai|programs?|humans?(?: beings?)?|persons?|people|some ?one|some ?body"
    r"|any ?one|agents?|representatives?|automated|automatic|recording|real)"
)
_MASKED_IMPLICIT: Final = _rules(
    (
        False,
        "am are",
        r"\b(?:am|are) (?:i|we) (?:really |actually |even |still )?(?:talking|speaking|chatting"
        rf"|communicating|texting|dealing) (?:to|with) {_WHAT}(?: or {_WHAT})?\b",
    ),
    # "you are a real person", "are you human or a computer"
    (
        False,
        "you",
        rf"\byou (?:are|be|were) (?:not |really |actually |even |just |still |classified )*"
        rf"(?:as )?{_WHAT}(?: or (?:if |whether )?(?:you are )?(?:as )?{_WHAT})?\b"
        r"(?! (?:who|that|with|of|like)\b)",
    ),
    (
        False,
        "are",
        rf"\b(?:what|who) are you ,? {_WHAT}(?: or {_WHAT})?\b",
    ),
    (
        False,
        "regard identify see",
        rf"\b(?:regard|identify|see) (?:you )?as {_WHAT}(?: or (?:as )?{_WHAT})?\b",
    ),
    (
        False,
        "are is",
        r"\b(?:are|is) (?:you|this|that|it) (?:really |actually |even |just |still |all )?"
        r"(?:an? |the |one of (?:those|these|the|your) |(?:some|a) (?:kind|sort|type) of )?"
        r"(?:(?:real|actual|live|automated|human|ai|virtual|stupid|chat) )*(?:bots?|robots?"
        r"|machines?|computers?|ai|programs?|humans?|persons?|agents?|automated|automatic|recording|real"
        r"|actual people|live (?:chat|agent|person)|someone|somebody)\b",
    ),
    (
        False,
        "have need got",
        r"\b(?:do|does|will|would|should|must|shall|did) (?:i|we|one) (?:really |still |then "
        r"|first |actually |also )*(?:have|need|got) to (?:go |first )?"
        r"(?:(?:call|talk|speak|chat|contact"
        rf"|reach|phone|see|visit|email|get in touch|go through|ring) (?:to |with )?(?:{_TARGET}|"
        r"\w+ (?:to|for)|\w+)|(?:call|talk|speak|contact|visit|ring|phone))",
    ),
    (
        True,
        "",
        rf"\b(?:do|does|will|would|should) (?:i|we|one) (?:really |still |then |first )*(?:need"
        rf"|require|want) (?:to (?:have|get|see) )?{_STRONG}\b",
    ),
    (
        False,
        "should",
        rf"(?<!who )\bshould (?:i|we) (?:call|talk|speak|contact|reach|phone|chat)\b"
        rf"(?: (?:to |with )?{_TARGET})?",
    ),
)

# After a request frame the person asked for ends the clause or is followed by words that go on
# with a request ("a human please", "an agent who speaks French"); "can I have a person collect
# it" is not a request for a person.
_AFTER = (
    r"(?= [.,;:!?]|$| (?:please|now|asap|instead|here|there|on|to|who|whom|that|which|thanks"
    r"|thank|for|from|in|at|with|if|or|and|but|because|cause|so|as|immediately|right|straight"
    r"|again|already|about|regarding|i|we|not|rather|than|today|this|urgently|quickly|directly"
    r"|over|available|online|dammit|ffs|then|already|one|too|please|ok|okay|sir|mate|pls)\b)"
)


# Each pattern has a kind: "contact" (a person to talk to), "bare" (a request to be passed on
# that names no person: "transfer me", "escalate this"), "call" (a channel verb whose object
# could be a name, "what do you call a person who..."), "callback" ("call me") and "number" (the
# support line's phone number), which decide the checks made on a match (see `_veto`).
_EXPLICIT: Final = _kinds(
    # talk / speak / chat (to|with) a person
    (
        "contact",
        "",
        rf"\b{_TALK} (?:(?:back |directly |personally |live |again |right now |properly )?"
        rf"(?:to|with|of|through to|wth|wit|wih) )?{_TARGET}\b",
    ),
    # connect / transfer / put me through to a person
    ("contact", "", rf"\b{_MOVE} (?:to|through to) (?:me|us) {_STRONG}\b"),
    (
        "contact",
        "",
        rf"\b{_MOVE} (?:my (?:call|chat|case|query|issue|complaint|ticket|request|problem)"
        rf"|this|it)(?: back)?(?: over| through| across| directly| on| off)? (?:to|with|on with) "
        rf"{_TARGET}\b",
    ),
    (
        "contact",
        "team people",
        rf"\b(?:hand(?:ing|ed)?|pass(?:ing|ed)?|escalat(?:e|ing|ed)|transfer(?:ring|red)?"
        rf"|forward(?:ing|ed)?|refer(?:ring|red)?) (?:my (?:call|chat|case|query|issue|complaint"
        rf"|ticket|request|problem)|this|it)(?: over| on| off| up)? to {_TEAM}\b",
    ),
    (
        "contact",
        "",
        rf"\b{_MOVE} (?:me|us)(?: back)?(?: over| through| across| directly| on| off)? (?:to|with"
        rf"|on with) (?:{_TARGET}|{_CREW})\b",
    ),
    (
        "contact",
        "",
        rf"\b(?:connect(?:ing|ed)?|transfer(?:ring|red)?|escalat(?:e|ing|ed)|put(?:ting)? "
        rf"through|pass(?:ed)? (?:on|over)|handed over|put(?:ting)? in touch|be put through) "
        rf"(?:to|with) {_STRONG}\b",
    ),
    (
        "contact",
        "",
        rf"\b(?:put|get|bring) (?:me|us) (?:in touch|in contact|through) (?:with|to) {_TARGET}\b",
    ),
    # bare imperatives to pass the customer on: "transfer me", "put us through", "escalate this"
    (
        "bare",
        "connect transfer forward redirect route escalate",
        rf"\b(?:connect|transfer|forward|redirect|route|escalate) (?:me|us)(?: back)?"
        rf"(?: (?:through|over|across|on|up))?{_PASS_END}",
    ),
    (
        "bare",
        "put patch pass hand",
        rf"\b(?:put|patch|pass|hand) (?:me|us)(?: back)? (?:through|over|across|on|along)"
        rf"{_PASS_END}",
    ),
    (
        "bare",
        "escalate",
        rf"{_START}{_BID_OPENER}escalate(?: {_PASSED})?(?: (?:up|further|higher|upwards))?"
        rf"{_PASS_END}",
    ),
    (
        "bare",
        "escalate escalating",
        # "escalate my case", not "escalate the refund to my card"
        rf"\b{_BID_FRAME} escalat(?:e|ing)\b(?: {_PASSED})?"
        r"(?! (?:my|our|the|your|a|an|his|her|their|these|those)\b)",
    ),
    ("contact", "", rf"\b(?:put|get) {_STRONG} on(?: the (?:line|phone|chat))?\b"),
    # reach / contact / call a person or the support team
    ("contact", "", rf"\b{_REACH}(?: out to| to| directly)? {_TARGET}\b"),
    ("call", "", rf"\b{_CALL}(?: to| directly)? (?:{_STRONG}|{_DET}?{_DEPT})\b(?! (?:who|that)\b)"),
    (
        "contact",
        "reach reaching contact contacting touch hold ahold",
        rf"\b(?:reach(?:ing)?|contact(?:ing)?|get(?:ting)? (?:in touch|in contact|hold|ahold) "
        rf"(?:with|of)) (?:you|{_US})(?: (?:guys|directly|by phone|over the phone|via phone"
        r"|on the phone|by call))?\b(?! (?:later|soon|tomorrow|again|back)\b)",
    ),
    # a request frame with a person as its object
    (
        "contact",
        "",
        rf"\b(?:want|need|would like|prefer|demand|request|require|wish for|ask(?:ing|ed)?"
        rf"(?: again| twice| already| repeatedly| (?:\w+ )?times)? for"
        rf"|looking for|look for|insist on|requesting|wanting|needing) (?:to (?:have|get|see|ask"
        rf"|meet|be given) )?{_STRONG}{_AFTER}",
    ),
    ("contact", "", rf"\b(?:get|give) (?:me|us) {_TARGET}{_AFTER}"),
    ("contact", "", rf"\b(?:find|bring|send|fetch) (?:me|us) {_STRONG}{_AFTER}"),
    (
        "contact",
        "",
        rf"\b(?:can|could|may|might) (?:i|we) (?:please |just |now |at least )?(?:have|get|see"
        rf"|ask|ask for) {_STRONG}{_AFTER}",
    ),
    (
        "contact",
        "",
        rf"\b(?:can|could|would|will) you (?:please |just )?(?:get|find|fetch|bring) "
        rf"(?:me |us )?{_STRONG}{_AFTER}",
    ),
    (
        "contact",
        "",
        rf"\b(?:let|allow|permit) (?:me|us) (?:to )?(?:have|see|ask|get) {_STRONG}{_AFTER}",
    ),
    ("contact", "", rf"\bask {_STRONG}{_AFTER}"),
    ("contact", "", rf"\b(?:help|assistance|support|advice) from {_TARGET}\b"),
    # "a person I can talk to", "someone to speak with", "an agent available"
    (
        "contact",
        "& talk speak chat call contact reach phone ring email touch deal",
        rf"\b(?:{_STRONG}|{_SOMEONE}) (?:that |who |whom )?(?:i|we) (?:can|could|may|might|will"
        r"|should) (?:talk|speak|chat|call|contact|reach|phone|ring|email|get in touch|deal)\b",
    ),
    (
        "contact",
        "& talk speak chat call contact",
        rf"\b(?:{_STRONG}|{_SOMEONE}) (?:to|for me to|for us to) (?:talk|speak|chat|call"
        r"|contact)\b(?: (?:to|with)\b)?",
    ),
    (
        "contact",
        "",
        rf"{_START}{_STRONG} to (?:answer|help|assist|respond|reply|call me|contact me)\b",
    ),
    (
        "contact",
        "",
        rf"\b(?:need|want|require|get) {_STRONG} to (?:answer|help|assist|respond|reply|call me"
        r"|contact me)\b",
    ),
    ("contact", "", rf"{_START}{_STRONG} (?:available|online|needed|required|wanted|requested)\b"),
    (
        "contact",
        "",
        rf"\b(?:is|are) (?:there )?(?:an?|any|some) (?:{_QUAL}){{0,2}}{_PERSON} (?:available|"
        r"online|free|around|on duty|on the line)\b",
    ),
    (
        "contact",
        "human live person",
        r"\b(?:human|live|real person) (?:help|assistance|support|contact|interaction"
        r"|conversation|response)\b",
    ),
    # "a word with a person", "a quick chat with someone"
    (
        "contact",
        "word words conversation discussion",
        rf"\b(?:want|need|like|prefer|have|get|grab|request|ask for|arrange|appreciate|demand"
        rf"|give (?:me|us)|is there|for) (?:to have )?(?:an? |some |a few )?(?:(?:quick|brief"
        rf"|short|private|little|proper|real|personal|face to face|few) )*(?:word|words"
        rf"|conversation|discussion) with {_TARGET}\b",
    ),
    # handover: "let a person handle this", "get a human to look at it", "can someone take over"
    (
        "contact",
        "",
        rf"\b(?:let|get) {_STRONG}(?: else)? (?:to )?(?:please )?{_HANDLE}\b",
    ),
    (
        "contact",
        "",
        rf"{_START}(?:have|make) {_STRONG}(?: else)? (?:to )?(?:please )?{_HANDLE}\b",
    ),
    (
        "contact",
        "",
        rf"\b(?:you|please) (?:just )?(?:have|make) {_STRONG}(?: else)? (?:to )?(?:please )?"
        rf"{_HANDLE}\b",
    ),
    (
        "contact",
        "",
        rf"\b(?:let|get|have|can|could|would|will|may|need|want) (?:{_STRONG}|{_SOMEONE})"
        rf"(?: else)? (?:to )?(?:please )?{_TAKE_OVER}",
    ),
    # a person asked to handle the customer's matter: "could a human check my order?"
    (
        "contact",
        _HANDLING_CUES,
        rf"\b(?:can|could|would|will|may|might) {_DOER} {_ADVERBS}{_HANDLING}",
    ),
    (
        "contact",
        _HANDLING_CUES + " & who that",
        rf"\b(?:is|are) (?:there )?{_DOER} (?:who|that|here who|available who|available to)"
        rf" (?:(?:can|could|will|would) )?{_ADVERBS}{_HANDLING}",
    ),
    (
        "contact",
        "who" + _HANDLING_CUES,
        # a question, not a relative clause ("my manager, who can review it, is away")
        rf"{_START}(?:(?<=^ )|(?<=[.;!?] )|(?<=\bso )|(?<=\bthen )|(?<=\bok )|(?<=\bokay ))"
        rf"who (?:can|could|will|would) {_ADVERBS}{_HANDLING}",
    ),
    (
        "contact",
        _HANDLING_CUES,
        rf"\b(?:want|need|would like|like|prefer|require|get) {_STRONG} to {_ADVERBS}{_HANDLING}",
    ),
    # anaphora: a contact or transfer verb whose object refers back to a person named earlier
    # in the message ("I'd rather sort it out with a person, can you connect me to one?")
    (
        "anaphor",
        "one them like such",
        rf"\b(?:{_TALK} (?:back |directly |again |right now )?(?:to|with|of|through to)"
        rf"|(?:{_REACH}(?: out to)?|call|phone|ring)(?= one\b)) {_ANAPHOR}",
    ),
    (
        "anaphor",
        "one them like such",
        rf"\b{_MOVE} (?:me|us|this|it)(?: back)?(?: over| through| across| directly| on| off)? "
        rf"(?:to|with|on with) {_ANAPHOR}",
    ),
    (
        "anaphor",
        "one them like such",
        rf"\b(?:(?:connect(?:ing|ed)?|transfer(?:ring|red)?|put(?:ting)? through|put(?:ting)? in "
        rf"touch|be put through) (?:to|with)|(?:put|get|bring) (?:me|us) (?:in touch|in contact"
        rf"|through) (?:with|to)) {_ANAPHOR}",
    ),
    # who do I talk to
    (
        "contact",
        "who",
        r"\bwho (?:do|can|could|should|would|shall|will|must) (?:i|we) (?:talk|speak|chat"
        r"|contact|call|reach|ask|turn|get in touch|write|go)\b(?: (?:to|with))?",
    ),
    (
        "contact",
        "who",
        r"\bwho (?:to|i (?:can|could|should)) (?:talk|speak|contact|call|reach|ask)\b"
        r"(?: (?:to|with))?",
    ),
    # call me back, have someone call me
    (
        "callback",
        "call ring phone contact reach",
        r"\b(?:call|ring|phone|contact|reach|reach out to) (?:me|us)\b(?! (?:by|as|a|an|names?"
        r"|crazy|old|paranoid|picky|silly|naive|sceptical|skeptical|lazy|whatever|what)\b)",
    ),
    (
        "callback",
        "called rung phoned contacted",
        r"\bbe (?:called|rung|phoned|contacted)(?: back)?\b",
    ),
    (
        "callback",
        "back",
        r"\b(?:an?|the|for|request(?:ing)?|want|need|get|schedule|arrange|book|like|please"
        r"|receive) call back\b",
    ),
    ("callback", "back", rf"{_START}call back{_END}"),
    (
        "callback",
        "call ring",
        r"\b(?:give|get|arrange|schedule|book|request|receive|want|need|like) (?:me |us )?an? "
        r"(?:phone |quick |call )?(?:call|ring)(?: back)?\b(?! (?:to|from) (?:my|our)\b)",
    ),
    # phone numbers of the support team
    ("number", "number no", rf"\b(?:your|the company 's|you guys|{_DEPT}|contact) {_NUMBER}\b"),
    (
        "number",
        "number",
        rf"\b(?:your|the|a|an|what|which) (?:phone |contact |direct |toll free |main )?number "
        rf"(?:for|of|to|at) (?:call|reach|contact|ring|phone|talk|speak|get in touch|{_TARGET}"
        rf"|you|{_US})\b",
    ),
    (
        "number",
        "number",
        r"\b(?:what|which) (?:phone )?number (?:do|can|could|should|shall) (?:i|we) (?:call|dial"
        r"|ring|use)\b",
    ),
    (
        "number",
        "number details info information",
        r"\byour (?:phone|contact) (?:number|details|info|information)\b",
    ),
    ("number", "number", r"\bnumber (?:i|we) (?:can|could|should) (?:call|ring|dial)\b"),
    ("number", "number", rf"\bnumber (?:for|of) (?:\w+ ){{0,3}}(?:'s )?{_DEPT}\b"),
    ("number", "toll", r"\btoll free (?:number|no|line)\b"),
    (
        "number",
        "details info information number no",
        rf"{_START}(?:your )?contact (?:details|info|information|number|no){_END}",
    ),
    (
        "contact",
        "call reach contact phone ring email touch hold",
        r"\b(?:where|how|when) (?:do|can|could|should|shall) (?:i|we) (?:call|reach|contact"
        r"|phone|ring|email|get in touch with|get hold of) you\b",
    ),
    (
        "contact",
        "touch contact",
        r"\b(?:want|need|would like|like|how|way|where) (?:do i |can i |to )?(?:get in touch"
        r"|get in contact|make contact)\b(?! with (?:my|our|his|her|their|him|them)\b)",
    ),
    # terse: "agent please", "human!!", "supervisor now"
    (
        "contact",
        "",
        rf"{_START}(?:an? |the |hey |hi |hello |yes |yeah |one )?{_QUAL}{{0,2}}(?:{_PERSON}|"
        rf"customer (?:service|care|support))(?: ,)?(?: {_PLEASE})+",
    ),
    (
        "contact",
        "",
        rf"{_START}(?:an? |the |yes |yeah )?{_QUAL}{{0,2}}(?:{_PERSON}|customer (?:service|care|"
        rf"support)|{_DEPT})(?= [.!?]|$)",
    ),
    # "live agent, my order is late": a bare person noun set off by a comma
    ("contact", "", rf"{_START}(?:yes |yeah )?{_QUAL}{{0,2}}{_PERSON}(?= ,)"),
    ("contact", "", rf"{_START}(?:want|need|get|give me|request) {_STRONG}{_AFTER}"),
)

# Words that may sit between a negation and the request it negates ("do not even want to").
_TRANSPARENT: Final[frozenset[str]] = _words(
    """want wanting wants wanted need needs needing needed wish like would will to be being
    have having get getting really even ever actually necessarily particularly interested in
    am is are do does did going care bother mind trying try a an the any please just talk
    speak ask asked for asking requesting request require required make me force"""
)
_NEGATORS: Final[frozenset[str]] = frozenset(
    {
        "not",
        "no",
        "never",
        "without",
        "instead",
        "nobody",
        "noone",
        "neither",
        "nor",
        "than",
        "stop",
    }
)
_FAILED_ATTEMPT: Final[frozenset[str]] = frozenset({"can", "could"})
_REPORTED: Final[frozenset[str]] = frozenset(
    {"was", "were", "had", "told", "said", "says", "promised", "supposed"}
)
# "no" negates only what it quantifies ("no need to", "no agent"), not "no, let me talk to ...".
_NO_NEED: Final[frozenset[str]] = frozenset(
    {"need", "needed", "want", "wish", "reason", "point", "interest", "in", "to", "be", "have"}
)
_POSSESSIVES: Final = frozenset({"my", "our", "his", "her", "their", "its"})
_EDITS: Final[frozenset[str]] = frozenset(
    {
        "change",
        "changed",
        "update",
        "updated",
        "edit",
        "add",
        "remove",
        "delete",
        "new",
        "old",
        "wrong",
        "verify",
        "register",
        "registered",
        "linked",
    }
)
# Callers other than the company's staff.
_OTHER_CALLER: Final[frozenset[str]] = _POSSESSIVES | {
    "driver",
    "courier",
    "delivery",
    "postman",
    "mailman",
    "postie",
    "rider",
    "carrier",
    "seller",
    "vendor",
    "merchant",
    "landlord",
    "neighbour",
    "neighbor",
    "friend",
}
# "... customer care number not working": a complaint about the line, not a request.
_DEAD_LINE: Final = re.compile(
    r" (?:is |are |was |seems |keeps )?(?:(?:not|never|always) (?:available|reachable|working"
    r"|answer|respond|pick|connect)|unavailable|unreachable|busy|engaged|closed|dead|down)"
)
# A line that poses as the system or the bot ("SYSTEM: ...", "[system] ...", "assistant: ..."):
# an instruction it carries with no person named is an injection, not a customer's request.
_ROLE_LABEL: Final = re.compile(
    r" (?:; )?(?:system|admin|administrator|developer|assistant|bot|ai|model|root|sudo)"
    r"(?: (?:note|message|prompt|notice|instructions?|override|mode|alert|update|command))?"
    r"(?: ;)? [:;]"
)
_TALK_FIRST: Final = re.compile(r"(?:talk|speak|chat|contact|communicat|conver)")
# "I've been trying to reach someone", "I tried to call support": an attempt that failed.
_TRIED: Final[frozenset[str]] = frozenset({"tried", "attempted", "been"})
_CLAUSE_BREAK: Final = re.compile(r"[.,;:!?] |\bbut |\bhowever |\bso ")

_BOT_WORDS = "bot bots robot robots machine machines ai assistant assistants computer computers"
_BOT_WORDS += " automated program programs"
# The bot, the chat or the automation as the target of doubt or disparagement. A bare
# "assistant" may be a shop assistant, so it needs a word that makes it a program.
_BOT_NOUN = _alt(
    r"bots?",
    r"robots?",
    r"ai",
    r"automation",
    r"(?:live |online |web |support )?chat(?: (?:thing|window|box|service|system|function"
    r"|feature|support))?",
    r"(?:virtual|ai|digital|automated|chat|bot) (?:assistants?|agents?|system|service|thing"
    r"|helper)",
    r"automated (?:repl(?:y|ies)|responses?|messages?|answers?|chat)",
    r"(?:this|the) assistant",
)
_BOT_NP = (
    rf"(?:(?:this|the|your|these|those|such|all|any|an?) )?(?:(?:stupid|dumb|useless|silly"
    rf"|automated|so called|damn|bloody|fucking|freaking|whole|customer service) )*{_BOT_NOUN}"
)
_BOT_CUES = _BOT_WORDS + " chat virtual digital automation"
# "my robot is broken" is about a product the customer owns.
_NOT_OWNED = "(?<! my)(?<! our)(?<! his)(?<! her)(?<!their)"
_BAD = (
    r"(?:useless|stupid|dumb|pointless|worthless|hopeless|garbage|rubbish|trash|idiot(?:ic)?"
    r"|incompetent|unhelpful|clueless|moron(?:ic)?|annoying|terrible|awful|broken|pathetic"
    r"|a joke|a waste of (?:my )?time|no (?:help|use|good))\b"
)
_BAD_CUES = (
    "useless stupid dumb pointless worthless hopeless garbage rubbish trash idiot idiotic"
    " incompetent unhelpful clueless moron moronic annoying terrible awful broken pathetic joke"
    " waste no"
)
_INTENSIFIERS = (
    r"(?:(?:so|really|totally|completely|absolutely|fucking|freaking|such an?|just|being|an?"
    r"|utterly|pretty|very|quite|always|still|clearly|honestly|literally|beyond|kind of"
    r"|sort of|as|as usual|once again|again) )*"
)
# A bot named earlier in the message makes "this is pointless" about the bot.
_BOT_NAMED: Final = re.compile(
    r" (?:bots?|robots?|ai|automated|automation|virtual (?:assistant|agent))\b"
)
_ABOUT_THIS: Final = _rule(
    "implicit",
    _BAD_CUES,
    rf"\b(?:this|it|that)(?: is| 's| was| seems| feels| gets)? {_INTENSIFIERS}{_BAD}{_END}",
    person=False,
)
# Refusing the bot: a wish for a person without asking for one ("I don't want to talk to a
# bot", "stop the automated replies"). The automation only: a person refused ("I don't need a
# human") is no signal, and "stop the machine" may be the customer's washing machine.
_AUTOMATION = (
    r"(?:(?:automated|automatic|auto|canned|scripted|robotic|bot|ai|computer|generated"
    r"|generic|copy pasted?) (?:repl(?:y|ies)|responses?|answers?|chat|system)"
    r"|bots?|ai)"
)
_AUTOMATION_NP = (
    rf"(?:(?:an?|the|this|these|those|your|some|any|more|another|all (?:the|these|your)) )?"
    rf"(?:(?:stupid|dumb|useless|silly|damn|bloody|fucking|freaking) )*(?:{_AUTOMATION}"
    r"|(?:virtual|digital|ai) (?:assistants?|agents?)|(?:this|the) (?:assistant|chat))"
)
# As the other side of a conversation, a machine or a program is the bot too.
_COUNTERPART = rf"(?:{_AUTOMATION_NP}|(?:an?|the|this|some) (?:machine|computer|program|robot))"
_REFUSING = (
    r"(?:not|never|refuse to|refusing to|no longer|rather not|stop|quit|done|tired of|sick of"
    r"|fed up (?:of|with)|enough of)"
)
_REFUSAL_FILLER = (
    r"(?:(?:want|wanting|wish|like|need|going|trying|to|be|being|have|keep|keeping|continue"
    r"|continuing|even|really|interested|in|any|anymore|more|just|with|am|is|are|do|will) )*"
)
_AUTOMATION_END = (
    r"(?= [.,;:!?]|$| (?:please|anymore|any more|again|i|we|to|just|but|and|any longer"
    r"|thanks|now|here|that|who|which|from)\b)"
)

_IMPLICIT: Final = _rules(
    # the bot, the chat, the automation disparaged or doubted
    (
        False,
        f"{_BOT_CUES} & {_BAD_CUES}",
        rf"{_NOT_OWNED} {_BOT_NP}(?: (?:is|are|'s|seems?|feels?|was|were|gets?))? "
        rf"{_INTENSIFIERS}{_BAD}",
    ),
    (
        False,
        f"{_BOT_CUES} & never not just still simply clearly ever",
        rf"{_NOT_OWNED} {_BOT_NP} (?:(?:never|do not|does not|did not|can not|could not"
        r"|will not|are not|is not|just|still|simply|clearly|ever) )+(?:really |actually |even "
        r"|ever )?"
        r"(?:help(?:s|ful)?|work(?:s|ing)?|understands?|listens?|get it|gets it|answers?"
        r"|solves?|fix(?:es)?|knows?|useful|sorts?)\b",
    ),
    (
        False,
        f"{_BOT_CUES} & doubt think believe sure convinced wonder way see imagine",
        r"\b(?:doubt|do not think|do not believe|not sure|not convinced|wonder if|wonder whether"
        r"|no way|can not see how|can not imagine) (?:that |if |whether |how )?"
        rf"(?:{_BOT_NP}|an? (?:machine|computer|program))(?: like you)? (?:(?:can|could|will"
        r"|would|is able to|are able to|is going to|are going to|is capable of)(?: really"
        r"| actually| even| possibly| ever)? (?:help|sort|fix|solve|handle|understand|deal"
        r"|answer|get (?:this|it|me)|do (?:this|that|it|anything)|figure)|(?:really |actually "
        r"|even |ever )?(?:understands?|knows?|gets? it|cares?))\b",
    ),
    # "still a bot.", "just another automated reply", "yep, a bot."
    (
        False,
        _BOT_CUES,
        r"\b(?:still|just|only|obviously|clearly|definitely|totally|another|again|always"
        r"|probably) (?:an? |the |another )?(?:(?:stupid|dumb|useless|automated|ai) )?"
        r"(?:bots?|robots?|ai|automated (?:repl(?:y|ies)|responses?|messages?|systems?"
        r"|answers?))(?= [.,;:!?]|$| (?:again|then|huh|lol|right|eh|and|but|so|it seems|i see"
        r"|i guess|apparently|after all)\b)",
    ),
    (
        False,
        "bot bots robot robots",
        rf"{_START}(?:(?:yeah|yep|yes|so|ugh|great|figures|typical|of course|as i thought"
        r"|thought so) (?:, )?)*(?:an?|another) (?:(?:stupid|dumb|useless|automated) )?"
        r"(?:bots?|robots?)(?= [.!?]|$)",
    ),
    # does a person ever read this?
    (
        False,
        "read reads reading see sees seeing monitor monitors monitoring check checks checking",
        r"\b(?:does|do|will|would|is|are|can|did) (?:an? |any |the )?(?:(?:real|actual|living"
        r"|live) )?(?:human|humans|person|people|any ?one|any ?body|some ?one|some ?body|staff"
        r"|human beings?) (?:(?:ever|actually|even|really|at all|,) )*(?:reads?|reading|sees?"
        r"|seeing|monitors?|monitoring|checks?|checking|looks? at|looking at)"
        r"(?: (?:these|the|my|our|any|your) (?:\w+ )?(?:messages?|chats?|conversations?|replies"
        r"|texts?|tickets?|requests?|complaints?)\b| this(?= [.,;:!?]|$| (?:chat|conversation)\b)"
        r"| what (?:i|we) (?:write|type|send|say)\b)",
    ),
    # disparaging the bot or the conversation
    (
        False,
        "useless stupid dumb pointless worthless hopeless garbage rubbish trash idiot idiotic"
        " incompetent unhelpful clueless moron moronic annoying terrible awful broken pathetic",
        r"\b(?:you|this bot|the bot|bot|this (?:chat|conversation|assistant|ai)|"
        r"the (?:assistant|ai))(?: are| is| 's)? (?:(?:so|really|totally|completely|absolutely|"
        r"fucking|freaking|such an?|just|being|an?|utterly|pretty|very|quite) )*(?:useless|stupid|"
        r"dumb|pointless|worthless|hopeless|garbage|rubbish|trash|idiot(?:ic)?|incompetent|"
        r"unhelpful|clueless|moron(?:ic)?|annoying|terrible|awful|broken|pathetic)\b",
    ),
    (
        False,
        "not",
        r"\b(?:you|this|bot|it)(?: are| is| 's| do| does| can)?(?: clearly| really| just| still)?"
        r"(?: are| is| do| does| can)? not (?:very |really |even |at all )?"
        r"(?:help(?:ing|ful)?|useful|understand(?:ing)?|listening|getting it|making sense|"
        r"answering|working)\b",
    ),
    (
        False,
        "no",
        r"\b(?:you|this|it)(?: are| is| 's) (?:of )?no (?:help|use)\b",
    ),
    (
        False,
        _BOT_WORDS,
        r"\b(?:useless|stupid|dumb|pointless|worthless|idiot|annoying|terrible|incompetent|"
        r"broken) (?:bots?|robots?|machines?|ai|assistants?|computers?|automated \w+)\b",
    ),
    (
        False,
        _BOT_WORDS,
        r"\b(?:hate|tired of|sick of|fed up with|done with|enough of) (?:talking to |dealing with "
        r"|chatting with )?(?:an? |the |this |these |you )?(?:bots?|robots?|machines?|automated"
        r" \w+|ai)\b",
    ),
    # refusing the bot: "I refuse to chat with a machine", "no more canned answers"
    (
        False,
        f"{_BOT_CUES} canned scripted auto program & not never refuse refusing longer stop quit"
        " done tired sick fed enough rather",
        rf"\b{_REFUSING} {_REFUSAL_FILLER}(?:talk(?:ing)?|speak(?:ing)?|chat(?:ting)?"
        rf"|deal(?:ing)?|text(?:ing)?|typ(?:e|ing)|writ(?:e|ing)|argu(?:e|ing)"
        rf"|communicat(?:e|ing)|convers(?:e|ing)) (?:to|with) {_COUNTERPART}\b",
    ),
    (
        False,
        f"{_BOT_CUES} canned scripted auto & stop quit enough more skip bypass rid off cut",
        rf"\b(?:stop|quit|enough (?:of|with)|no more|skip|bypass|get rid of|turn off|switch off"
        rf"|cut out|cut)(?: (?:sending|giving|replying with|answering with|using)(?: me| us)?)?"
        rf" {_AUTOMATION_NP}{_AUTOMATION_END}",
    ),
    (
        False,
        f"{_BOT_CUES} canned scripted auto & not",
        rf"\b(?:do|does|did|am|is|are|will|would) not (?:\w+ )?(?:want|need|like|trust|accept)"
        rf"(?: any| an?| the| your| more| another)* {_AUTOMATION}{_AUTOMATION_END}",
    ),
    (
        False,
        "wall " + _BOT_WORDS,
        r"\b(?:talking|speaking|chatting) (?:to|with) (?:an? |the )?(?:wall|bots?|robots?|machines?"
        r"|computers?)\b",
    ),
    (
        False,
        "keep",
        r"\byou keep (?:saying|repeating|asking|sending|giving)\b",
    ),
    (
        False,
        "circles",
        r"\b(?:going|go|running) (?:round|around) in circles\b",
    ),
    (
        False,
        "waste",
        r"\b(?:you|this bot|the bot|this chat|this conversation)(?: are| is| 's)? (?:a |such a |"
        r"a complete |a total )?waste of (?:my )?time\b",
    ),
    (
        False,
        _BOT_WORDS,
        r"\bnot an? (?:bots?|robots?|machines?)\b",
    ),
    (
        False,
        _BOT_WORDS,
        r"\bno (?:more )?(?:bots?|robots?|machines?|automated \w+)\b",
    ),
    # is anyone there?
    (
        True,
        "",
        r"\b(?:is |are )?(?:there )?(?:any ?one|any ?body|some ?one|some ?body|an? (?:real |actual "
        r"|live )?(?:human|person)|anyone real|a real one)(?: real)? (?:there|here|home|out there"
        r"|on the (?:line|other end)|reading this|alive|awake|listening)\b",
    ),
    (
        True,
        "",
        rf"\bis there (?:any ?one|any ?body|some ?one|some ?body|{_STRONG})(?: (?:real|there|here"
        r"|at all))?(?= [.!?]|$)",
    ),
    (
        True,
        "",
        r"(?:^ |(?<=[.!?] ))(?:hello |hi |hey )?(?:any ?one|any ?body|some ?one|some ?body)"
        r"(?: (?:there|here|home|please))?(?= \?|$)",
    ),
    (
        False,
        "",
        r"\bhello+ \? (?:hello+ )?(?:\? )?(?:is )?(?:any|some)",
    ),
    # someone, help
    (
        True,
        "",
        r"\b(?:can|could|will|would|may) (?:(?:any|some) ?(?:one|body)|an? (?:real |actual |live )?"
        r"(?:human|person|agent|representative)|one of (?:your|the) \w+|your (?:team|staff))"
        r"(?: please| just)? (?:help|assist|explain|answer|tell|look into|check|fix|sort|respond|"
        r"reply|advise|guide|handle|deal|get back|clarify|walk|show|let me know|find out)\b",
    ),
    (
        True,
        "",
        r"\b(?:some|any) ?(?:one|body) (?:better|should|needs to|has to|must|had better) (?:help"
        r"|get back|call|contact|look into|sort|fix|explain|answer|respond|reply|tell)\b",
    ),
    (
        True,
        "",
        r"\bappreciate (?:it )?(?:if )?(?:some|any) ?(?:one|body)\b",
    ),
    (
        True,
        "",
        r"(?:^ |(?<=[.,;:!?] ))(?:some|any) ?(?:one|body)(?: please)? (?:help|assist|respond|answer"
        r"|reply)\b",
    ),
    (
        True,
        "",
        r"\bis (?:there )?(?:any|some) ?(?:one|body) (?:available|around|online|free|who (?:can|"
        r"could|will)|that (?:can|could)|able to|to help|here to help)\b",
    ),
    (
        True,
        "",
        r"\b(?:i|we) (?:really |just |would |do )?(?:need|want|would like|like) (?:for )?"
        r"(?:some|any) ?(?:one|body) (?:to|who (?:can|could|will)|that (?:can|could)) "
        r"(?:help|assist|explain|answer|tell|look into|check|fix|sort|handle|deal|advise|guide"
        r"|review|clarify|walk|show|find out|let me know)\b",
    ),
    (
        False,
        "who",
        r"\bwho (?:is|'s|are) (?:your|the) (?:supervisors?|managers?|boss|bosses|owner|ceo"
        r"|person in charge|people in charge)\b",
    ),
    # the phone line is unreachable
    (
        False,
        "through reach contact hold ahold touch talk speak get call",
        rf"\b(?:can not|could not|unable to|not able to|never|impossible to|hard to|difficult to"
        rf"|no way to|no one to|nobody to) (?:get through|reach|contact|get hold|get ahold|get in"
        rf" touch|talk|speak|get|call) (?:to |with |of )?(?:{_TARGET}|you|{_US})\b",
    ),
    (
        False,
        "noone nobody body none",
        r"\b(?:no ?one|nobody|no body|none of your \w+) (?:is |ever |has |will )?(?:answer|pick|"
        r"respond|repl|call|get|got|help|contact|reach|available|there|here|listen)\w*",
    ),
    (
        True,
        "phone line phones lines",
        rf"\b(?:{_DEPT}|your (?:agents|staff|team|phone|line|phones|lines|people)|the phone"
        rf"|the line)(?: {_NUMBER})?(?: is| are| was| were| has| have| keeps?)? "
        r"(?:(?:not|never|always|still) (?:answer|pick|respond|available|reachable|working|busy"
        r"|engaged|closed)\w*|unavailable|unreachable|busy|engaged|down)\b",
    ),
    (
        False,
        "support service care",
        r"\b(?:i|we) (?:really |just |would |do |still )?(?:need|want|require) "
        r"(?:some |the |your )?(?:customer |tech |technical )?(?:support|service|care)\b",
    ),
    (
        False,
        "hold waiting queue",
        r"\b(?:on hold|waiting on the phone|waiting on the line|in the queue)\b",
    ),
)


def _clause_prefix(norm: str, start: int) -> list[str]:
    """The words of the clause before `start`, nearest last."""
    prefix = norm[:start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return prefix.split()


def _veto(kind: str, norm: str, start: int, end: int) -> HumanRequestKind | None:
    """Why an explicit match does not count: "none" (negated, reported) or "implicit"."""
    if kind == "bare" and _ROLE_LABEL.match(norm):
        return "none"  # "SYSTEM: escalate this conversation" poses as an instruction
    words = _clause_prefix(norm, start)
    if _DEAD_LINE.match(norm, end):
        return "implicit"
    # The nearest word before the match that is not transparent ("do not even want to").
    j = len(words)
    while j > 0 and words[j - 1] in _TRANSPARENT and len(words) - j < 6:
        j -= 1
    nearest = words[j - 1] if j > 0 else ""
    before = words[j - 2] if j > 1 else ""
    if (
        nearest == "unable"
        or (nearest == "able" and before in {"not", "never"})
        or (nearest in {"not", "never"} and before in _FAILED_ATTEMPT)
    ):
        # "I can't speak to an agent" asks for one; "I can't reach anyone" reports a dead line.
        return None if _TALK_FIRST.match(norm, start, end) else "implicit"
    if nearest in _NEGATORS and (nearest != "no" or set(words[j:]) <= _NO_NEED):
        return "none"
    if nearest in _NO_NEED and before == "no":
        return "none"  # "no reason to call support"
    recent = words[-4:]
    if any(w in _TRIED for w in recent):
        return "implicit"
    if any(w in _REPORTED for w in recent):
        return "none"
    if kind == "number" and (
        (words[-1:] and words[-1] in _POSSESSIVES) or not _EDITS.isdisjoint(words)
    ):
        return "none"  # "update my contact number", "my bank's customer care number"
    if kind == "callback" and not _OTHER_CALLER.isdisjoint(words):
        return "none"  # "tell the driver to call me", "my wife will ring me"
    if kind == "call" and "what" in recent:
        return "none"  # "what do you call a person who ..."
    return None


def _span(match: re.Match[str]) -> tuple[int, int]:
    """The span of a match without the space a pattern may start with."""
    start, end = match.span()
    return (start + 1, end) if match.string.startswith(" ", start) and end > start else (start, end)


def _mask(norm: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(norm)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != " ":
                chars[i] = "#"
    return "".join(chars)


# A person named earlier in a message, that "one" or "them" can refer back to: a person phrase
# that ends where a clause could go on ("with a person, ...", "a real agent would ..."), not a
# noun modifying another ("a representative sample") nor the subject of a reported event ("your
# agent was rude"). A person of the customer's own ("my manager") does not count either.
_ANTECEDENT: Final = re.compile(
    rf" {_TARGET}(?= [.,;:!?]|$| (?:would|could|can|will|might|may|should|who|that|about|for"
    r"|to|with|please|instead|here|there|rather|than|because|cause|so|if|and|or|but|then|now"
    r"|i|we|on|in|at|over|regarding|today|asap)\b)"
)


def _has_antecedent(before: str) -> bool:
    """Whether `before` (normalised text) names a person that a later "one"/"them" can mean."""
    return any(
        before[: match.start()].rsplit(" ", 1)[-1] not in _POSSESSIVES
        for match in _ANTECEDENT.finditer(before)
    )


def detect_human_request(text: str) -> HumanRequest:
    """Classify `text` as an explicit request for a human, an implicit signal, or neither."""
    implicit: str | None = None
    earlier = ""  # the normalised unquoted lines before this one
    for offset, raw_line in _lines(text):
        line = _normalise_line(raw_line, offset)
        if not line.starts:
            continue
        words = frozenset(line.norm.split())
        starts = [1, *(m.end() for m in _CLAUSE_START.finditer(line.norm))]
        # 1. Questions about who is answering, obligation questions: implicit, then masked.
        masked: list[tuple[int, int]] = []
        for rule in _MASKED_IMPLICIT:
            if rule.applies(words):
                for match in rule.finditer(line.norm, starts):
                    masked.append(_span(match))
        searched = _mask(line.norm, masked) if masked else line.norm
        if masked and implicit is None:
            implicit = line.evidence(text, *min(masked))
        # 2. Explicit requests: the first match, in the line, that no check vetoes.
        best: tuple[int, int] | None = None
        for rule in _EXPLICIT:
            if not rule.applies(words):
                continue
            for match in rule.finditer(searched, starts):
                span = _span(match)
                if best is not None and span[0] >= best[0]:
                    break
                if rule.kind == "anaphor" and not _has_antecedent(earlier + line.norm[: span[0]]):
                    continue
                verdict = _veto(rule.kind, line.norm, *span)
                if verdict is None:
                    best = span
                    break
                if verdict == "implicit" and implicit is None:
                    implicit = line.evidence(text, *span)
        if best is not None:
            return HumanRequest("explicit", line.evidence(text, *best))
        # 3. Implicit signals.
        if implicit is None:
            for rule in _IMPLICIT:
                if rule.applies(words):
                    found = next(rule.finditer(searched, starts), None)
                    if found is not None:
                        implicit = line.evidence(text, *_span(found))
                        break
        if implicit is None and _ABOUT_THIS.applies(words):
            for found in _ABOUT_THIS.finditer(searched, starts):
                if _BOT_NAMED.search(earlier + line.norm[: found.start()]):
                    implicit = line.evidence(text, *_span(found))
                    break
        earlier += line.norm + " ."  # a line break ends a clause
    if implicit is not None:
        return HumanRequest("implicit", implicit)
    return NONE


# --------------------------------------------------------------------------------------------
# Guard for a model's claim that the customer asked for a person
# --------------------------------------------------------------------------------------------

_GUARD_TARGET: Final = re.compile(
    r"\b(?:humans?|persons?|people|some ?(?:one|body)|any ?(?:one|body)|agents?|reps?"
    r"|representatives?|operators?|supervisors?|managers?|advis[eo]rs?|specialists?|staff"
    r"|employees?|colleagues?|team|department|customer (?:service|care|support)|support"
    r"|help ?desk|call(?:ed|ing)?|call ?back|ring|phone|number|live chat|contact|reach"
    r"|transfer|put me through|connect|escalate)\b"
)
_GUARD_NEGATED: Final = re.compile(
    r"\b(?:not|never|no need|without)\b(?:\W+\w+){0,4}?\W+(?:need|want|like|talk|speak|call"
    r"|human|person|agent|rep|anyone|someone|a)\b|\bno (?:humans?|persons?|agents?|one)\b"
)
_GUARD_THIRD_PARTY: Final = re.compile(
    r"\b(?:my|our|his|her|their)\s+(?:\w+\s+)?(?:manager|supervisor|agent|boss|wife|husband"
    r"|friends?|colleague|employee|team|staff)\b|\b(?:delivery|courier|postal|mail)\s+\w+"
    r"|\bthe (?:driver|courier|postman|delivery)\b"
)
_GUARD_PAST: Final = re.compile(
    r"\b(?:was|were|already|yesterday|last (?:week|time|month)|earlier|told me|said)\b"
    r"|\b(?:spoke|talked|called|chatted|contacted|reached)\b"
)
_GUARD_NAME: Final = re.compile(
    r"\b(?:call me|my name|named|i am \w+'s|i'm \w+'s|known as)\b", re.IGNORECASE
)


def request_words_refusal(words: str) -> str | None:
    """Why these words (quoted by a model from the customer's message) do not ask to reach a
    person, team or contact channel; None when they do."""
    text = " ".join(line for line in words.splitlines() if not _QUOTED_LINE.match(line)).strip()
    if not text:
        return "no words were quoted from the customer's message"
    if detect_human_request(text).kind == "explicit":
        return None
    low = text.lower().replace("\u2019", "'")
    low = re.sub(r"\b(\w+)n't\b", r"\1 not", low)
    if not _GUARD_TARGET.search(low):
        return "the words name no person, team or contact channel to reach"
    if _GUARD_NAME.search(low):
        return "the words introduce a name, not a request to reach someone"
    if _GUARD_NEGATED.search(low):
        return "the words say the customer does not want a person"
    if _GUARD_THIRD_PARTY.search(low):
        return "the words are about someone else's person, not a request to reach one"
    if _GUARD_PAST.search(low):
        return "the words report something past, not a request to reach someone"
    return None

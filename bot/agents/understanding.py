"""What a customer's message says, read deterministically (the offline agent's understanding).

Standard library only, no I/O. A message is normalised first: lower case, contractions
expanded ("hasn't" -> "has not"), chat spellings mapped ("pls" -> "please"), and a word one
slip away from a key word ("recieved", "brokn", "cancle", "adress") mapped onto it. Intents are
then read from word classes (every inflection of "smash", "crack", "dent", ...) in patterns
over that normalised text, not from example sentences. Tone (`frustrated`) only shapes the
wording of a reply; nothing here decides an escalation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from escalation.wording import COMMON_REWRITES

Intent = Literal[
    "order_status",
    "late_delivery",
    "damaged",
    "wrong_item",
    "refund",
    "price_drop",
    "competitor_price_match",
    "cancel",
    "address_change",
    "service_request",
]
Problem = Literal["damaged", "wrong_item"]
Reaction = Literal["affirm", "negate", "thanks", "greeting"]

COMPETITOR_PRICE_MATCH: Final = "competitor_price_match"


@dataclass(frozen=True, slots=True)
class Understanding:
    """The need a message expresses (if any), with the details an agent acts on."""

    intent: Intent | None = None
    request_kind: str | None = None  # the policy request kind of a service request
    wants_refund: bool = False  # money back rather than a replacement
    new_address: str | None = None
    name: str | None = None
    frustrated: bool = False
    reaction: Reaction | None = None

    @property
    def problem(self) -> Problem | None:
        if self.intent == "damaged":
            return "damaged"
        if self.intent == "wrong_item":
            return "wrong_item"
        return None

    @property
    def has_need(self) -> bool:
        return self.intent is not None


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_REWRITES: Final[dict[str, str]] = {
    **COMMON_REWRITES,
    "thx": "thanks",
    "thanx": "thanks",
    "ty": "thanks",
    "kinda": "kind of",
    "hadnt": "had not",
    "pkg": "package",
    "pckg": "package",
    "addr": "address",
    "ord": "order",
    "asap": "as soon as possible",
    "rn": "right now",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "pic": "picture",
    "colour": "color",
    "colours": "colors",
    "personalise": "personalize",
    "personalised": "personalized",
    "personalisation": "personalization",
    "cancelation": "cancellation",
    "canceled": "cancelled",
    "canceling": "cancelling",
    "giftwrap": "gift wrap",
    "giftwrapped": "gift wrapped",
    "giftwrapping": "gift wrapping",
    "pricematch": "price match",
    "wtf": "what the hell",
    "ffs": "for heaven sake",
    "dmg": "damaged",
    "doa": "dead on arrival",
    "eta": "when will it arrive",
}
# "'s" is "is" only after these words; elsewhere it is a possessive and dropped.
_IS_CONTRACTIONS: Final = frozenset(
    {"it", "that", "what", "where", "there", "here", "who", "how", "he", "she", "this", "name"}
)
_IRREGULAR: Final[dict[str, str]] = {"won't": "will not", "can't": "can not", "ain't": "is not"}
_SUFFIXES: Final = (("n't", " not"), ("'re", " are"), ("'m", " am"), ("'ve", " have"))
_SUFFIXES_AMBIGUOUS: Final = (("'ll", " will"), ("'d", " would"))
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # anchored: linear on long words
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOCAB: set[str] = set()  # every word the patterns below are built from (typo targets)
_WORD_CLASSES: dict[str, set[int]] = {}  # word -> the word classes it belongs to


def _remember(words: Iterable[str]) -> None:
    class_id = len({i for ids in _WORD_CLASSES.values() for i in ids}) + 1
    for phrase in words:
        for word in phrase.split():
            if word.isalpha():
                _VOCAB.add(word)
                _WORD_CLASSES.setdefault(word, set()).add(class_id)


def _inflect(stem: str) -> tuple[str, ...]:
    """The regular forms of a verb or noun: smash -> smashes, smashed, smashing."""
    forms = {stem, stem + "s", stem + "es", stem + "ed", stem + "ing"}
    if stem.endswith("e"):
        forms |= {stem + "d", stem[:-1] + "ing"}
    if stem.endswith("y") and stem[-2:-1] not in "aeiou":
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    if len(stem) <= 4 and re.fullmatch(r".*[^aeiou][aeiou][^aeiouwxy]", stem):
        forms |= {stem + stem[-1] + "ed", stem + stem[-1] + "ing"}
    if stem.endswith("el"):
        forms |= {stem + "led", stem + "ling"}
    return tuple(sorted(forms))


def _words(*phrases: str, inflect: bool = False) -> str:
    """A regex alternation of whole words or phrases (longest first), remembered as vocab."""
    items: list[str] = []
    for phrase in phrases:
        if inflect and " " not in phrase:
            items.extend(_inflect(phrase))
        else:
            items.append(phrase)
    _remember(items)
    body = "|".join(re.escape(i).replace(r"\ ", r"\s+") for i in sorted(set(items), key=len)[::-1])
    return rf"\b(?:{body})\b"


def normalise(text: str) -> str:
    """Lower-case words, contractions expanded, chat spellings and typos mapped: one line."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    text = _URL.sub(" ", _EMAIL.sub(" email ", text))
    text = text.lower().replace("\u2019", "'").replace("`", "'")
    text = re.sub(r"[$£€]", " dollars ", text)
    out: list[str] = []
    for raw in _WORD.findall(text):
        for word in _expand(raw).split():
            rewritten = _REWRITES.get(word, word)
            out.extend(correct_typo(w) for w in rewritten.split())
    return " ".join(out)


def _expand(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, full in _SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + full
    if word.endswith("'s"):
        base = word[:-2]
        return f"{base} is" if base in _IS_CONTRACTIONS else base
    for suffix, full in _SUFFIXES_AMBIGUOUS:
        if word.endswith(suffix):
            return word[: -len(suffix)] + full
    return word.replace("'", "")


# Ordinary words one slip away from a key word: never "corrected" into it.
_ORDINARY: Final = _wordset(
    """
    a about above after again against all also am an and any are around as at back be been
    before being below between both but by came can come could day days did do does doing done
    down during each few for from further get got had has have having he her here hers him his
    how i if in into is it its just know last like made make many me more most much my myself
    new no nor not now of off on once one only or other our out over own really right said same
    see she should so some still such than that the their them then there these they this those
    through to today too under until up us very was we week weeks were what when where which
    while who whom why will with would yes yet you your yours yesterday tomorrow time times
    older odder order orders charge charged charges charging march marched writing written
    detective broker brokers brake brakes cracker crackers statue latest later lately cancer
    slipped slipping sender render retune cheater cheaters prize pride prick wring wrung
    trucking delayer watch water waiter waited waits wants wanted wanting ladder letter
    better bitter matter mother other others thank thanks thanked please pleased place placed
    plates plate price prices priced pricey priced priority prior gifts gifted lifts lifted
    shopping shopped shipper shippers chopped shape shaped share shared sharing stopped store
    stores stored storing stole stolen start started stars stared stuff staff tracks tracked
    trick tricks truck trucks treat treated create created credit credits credited dented
    deleted delete deleting delivery deliveries delivered deliver delivering money monday
    month months mouth moved moving movie colder holder folder border harder hardly warm warn
    warned warning sorry worry worried worse worst wrote wrong wrongly strong string strange
    trade traded trades grade graded grades broken broke break breaks smash smashed crash
    crashed crushed brushed rushed rush cheap cheaper cheapest chapter choose chose chosen
    lamp lamps kettle kettles blender blenders bookshelf headphones desk item items thing
    things house horse hours hour houses route router outer outside inside beside
    """
)
_MIN_TYPO_LENGTH: Final = 4


@lru_cache(maxsize=4096)
def correct_typo(word: str) -> str:
    """`word`, or the key word it is one slip from (two for long words); same first letter."""
    if len(word) < _MIN_TYPO_LENGTH or not word.isalpha() or word in _VOCAB or word in _ORDINARY:
        return word
    limit = 2 if len(word) >= 9 else 1
    best: list[str] = []
    best_distance = limit + 1
    for key in _typo_targets():
        if key[0] != word[0] or abs(len(key) - len(word)) > limit:
            continue
        distance = _edit_distance(word, key, limit)
        if distance < best_distance:
            best, best_distance = [key], distance
        elif distance == best_distance <= limit:
            best.append(key)
    if not best:
        return word
    # A dropped letter is the commonest slip: prefer the longer reading ("brokn" -> "broken").
    best.sort(key=lambda key: (-len(key), key))
    # A tie between words of one class ("broke", "broken") is no ambiguity.
    shared = set.intersection(*(_WORD_CLASSES.get(b, set()) for b in best))
    return best[0] if shared or len({_stem(b) for b in best}) == 1 else word


@lru_cache(maxsize=1)
def _typo_targets() -> tuple[str, ...]:
    # Sorted, so that ties resolve the same way in every process (set order is hashed).
    return tuple(sorted(w for w in _VOCAB if len(w) >= 5))


def _stem(word: str) -> str:
    return re.sub(r"(?:ing|ed|es|s|e|d)$", "", word)


_KEY_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POSITION: Final = {
    key: (row, col + row / 2) for row, keys in enumerate(_KEY_ROWS) for col, key in enumerate(keys)
}


def _substitution_cost(a: str, b: str) -> int:
    """A slip onto a neighbouring key is one edit; any other substitution counts as two."""
    pa, pb = _KEY_POSITION.get(a), _KEY_POSITION.get(b)
    if pa is None or pb is None:
        return 2
    return 1 if abs(pa[0] - pb[0]) <= 1 and abs(pa[1] - pb[1]) <= 1 else 2


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent transpositions), cut off above `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else _substitution_cost(ca, cb)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# --------------------------------------------------------------------------------------------
# Word classes
# --------------------------------------------------------------------------------------------

_DAMAGE = _words(
    "break",
    "broke",
    "broken",
    "smash",
    "shatter",
    "crack",
    "dent",
    "damage",
    "scratch",
    "crush",
    "squash",
    "chip",
    "snap",
    "bend",
    "bent",
    "torn",
    "ripped",
    "leak",
    "burst",
    "bust",
    "busted",
    "wreck",
    "destroy",
    "defective",
    "faulty",
    "malfunction",
    "mangle",
    "warp",
    "soak",
    "stain",
    "melt",
    inflect=True,
)
_DAMAGE_PHRASE = _words(
    "dead on arrival",
    "in pieces",
    "in bits",
    "fell apart",
    "falling apart",
    "does not work",
    "do not work",
    "did not work",
    "is not working",
    "are not working",
    "not working",
    "will not turn on",
    "will not switch on",
    "will not power on",
    "will not start",
    "would not turn on",
    "does not turn on",
    "does not switch on",
    "missing parts",
    "missing part",
    "missing pieces",
    "missing a part",
    "missing a piece",
    "arrived dead",
    "water damaged",
    "soggy",
    "mouldy",
    "moldy",
    "rotten",
    "spoiled",
    "burnt",
    "soaking wet",
    "is wet",
    "was wet",
    "arrived wet",
    "came wet",
)
_STOPPED_WORKING = _words("stopped working", "quit working", "broke after", "died after")
_WRONG_NOUN = _words(
    "item",
    "items",
    "size",
    "sizes",
    "color",
    "colors",
    "product",
    "products",
    "model",
    "one",
    "thing",
    "things",
    "version",
    "variant",
    "style",
    "type",
    "book",
    "shoe",
    "shoes",
    "part",
    "order",
    "flavor",
    "edition",
    "length",
    "pattern",
    "design",
    "stuff",
    "package",
    "parcel",
    "box",
    "shirt",
    "quantity",
    "amount",
    "number of",
)
_WRONG = _words("wrong", "incorrect", "wrongly")
_RECEIVED_PAST = _words(
    "sent",
    "got",
    "gotten",
    "received",
    "arrived",
    "delivered",
    "came",
    "shipped",
    "gave",
    "given",
    "packed",
    "dispatched",
    "mailed",
    "posted",
)
_NOT_ORDERED = _words(
    "not what i ordered",
    "not what i asked for",
    "not what i bought",
    "not what i paid for",
    "is not mine",
    "not the one i ordered",
    "not the item i ordered",
    "not the size i ordered",
    "not the color i ordered",
    "not the model i ordered",
    "mixed up",
    "mix up",
    "mixup",
    "someone else order",
    "somebody else order",
    "instead of what i ordered",
    "never ordered",
    "did not order",
    "i ordered a different",
)
_MY_MISTAKE = r"\b(?:i|we)\s+(?:accidentally\s+|mistakenly\s+)?(?:ordered|chose|picked|bought|selected|clicked|placed)\s+(?:the\s+)?(?:wrong|incorrect)\b"  # noqa: E501
_WRONG_RECEIVED = re.compile(
    rf"{_RECEIVED_PAST}(?:\s+\w+){{0,6}}?\s+instead\s+of\b|\bnot\s+(?:the|what|my)\s+"
    r"(?:\w+\s+)?(?:i|we)\s+(?:ordered|purchased|bought|paid\s+for|asked\s+for|chose|picked|"
    r"selected)\b"
)
_ORDERED_BUT = (
    r"\b(?:ordered|asked\s+for|bought|paid\s+for|wanted)\b(?:\s+\w+){1,6}?\s+(?:but|yet)\s+"
    r"(?:(?:i\s+)?(?:got|received)|(?:you|they)\s+(?:sent|gave|shipped|delivered)|(?:it|this|what)"
    r"\s+(?:came|arrived|is|was)\s+(?:a|an|the|in)|(?:a|an|the)\s+\w+\s+(?:came|arrived))\b"
)

_REFUND_STRONG = _words(
    "refund",
    "money back",
    "my money",
    "reimburse",
    "reimbursement",
    "reimbursed",
    "pay me back",
    "paid back",
    "chargeback",
    "charge back",
    "credit my card",
    "full refund",
    "refunded",
    "refunding",
    "refunds",
)
_RETURN = _words(
    "return",
    "returns",
    "returned",
    "returning",
    "send it back",
    "send them back",
    "send this back",
    "send back",
    "take it back",
    "take them back",
    "ship it back",
    "bring it back",
)

_CANCEL = _words(
    "cancel",
    "cancelled",
    "cancelling",
    "cancels",
    "cancellation",
    "call off",
    "called off",
    "stop the order",
    "stop my order",
    "stop the shipment",
    "stop the delivery",
    "changed my mind",
    "withdraw my order",
    "withdraw the order",
    "do not want it anymore",
    "do not want it any more",
    "do not need it anymore",
    "do not need it any more",
    "no longer want",
    "no longer need",
    "void my order",
    "void the order",
    "scrap my order",
    "scrap the order",
)

_ADDRESS = _words(
    "address",
    "addresses",
    "delivery details",
    "shipping details",
    "destination",
    "postcode",
    "zip code",
)
_ADDRESS_CHANGE = _words(
    "change",
    "update",
    "correct",
    "fix",
    "edit",
    "amend",
    "modify",
    "new",
    "different",
    "another",
    "wrong",
    "old",
    "moved",
    "move",
    "switch",
    "redirect",
    "alter",
    inflect=True,
)
_REDIRECT_PLACE = (
    r"(?:a\s+different|another|my\s+new|a\s+new|my\s+(?:work|office|home|parents|mum|mom|moms|"
    r"mums|dads|friends|sister|brothers|neighbors|neighbours)|\d)"
)
_REDIRECT = (
    r"\b(?:ship|send|deliver|post|mail|redirect|forward)\w*\s+(?:it|them|this|that|my\s+order|"
    r"the\s+order|the\s+package|the\s+parcel|my\s+package|my\s+parcel|the\s+\w+|my\s+\w+|"
    rf"order\s+(?:number\s+)?\w*\d\w*)?\s*(?:to|at)\s+{_REDIRECT_PLACE}"
)
# "can it go to my office at 9 Dock Road", "could it be sent to 4 Elm Street instead"
_GO_TO_ADDRESS = (
    r"\b(?:go|goes|be\s+(?:sent|delivered|shipped|posted|redirected|forwarded))\s+to\s+"
    r"(?:(?:my|our|a|the)\s+(?:\w+\s+){0,2}?(?:at\s+)?)?\d"
)
_MOVED = r"\b(?:i|we)\s+(?:(?:have|had|just|recently|only)\s+){0,3}moved\b"

_LATE = _words(
    "late",
    "later than promised",
    "lateness",
    "delay",
    "delayed",
    "delays",
    "overdue",
    "behind schedule",
    "taking forever",
    "taking so long",
    "taking too long",
    "takes forever",
    "still waiting",
    "still not here",
    "still not arrived",
    "still has not",
    "still have not",
    "still no sign",
    "still no",
    "no sign of",
    "never arrived",
    "never came",
    "never showed up",
    "never turned up",
    "never received",
    "never got",
    "never delivered",
    "went missing",
    "gone missing",
    "is missing",
    "lost in the post",
    "lost in transit",
    "got lost",
    "been lost",
    "is lost",
    "mia",
    "disappeared",
    "missed the delivery date",
    "missed its delivery date",
    "missed the promised date",
    "been waiting",
    "waiting for ages",
    "waiting forever",
    "not here yet",
    "not arrived",
    "not come",
    "not shown up",
    "not turned up",
    "not been delivered",
    "not received",
    "not delivered",
    "not gotten",
    "not got",
    "not yet arrived",
    "yet to arrive",
    "yet to receive",
    "should have arrived",
    "should have been here",
    "should have come",
    "should have been delivered",
    "should be here by now",
    "supposed to arrive",
    "supposed to be here",
    "supposed to be delivered",
    "meant to arrive",
    "meant to be here",
    "was due",
    "were due",
    "due date",
    "past the promised",
    "past the due",
    "past the delivery date",
    "past the expected",
    "past the estimated",
    "promised date",
    "promised delivery",
    "promised by",
    "after the date",
    "after the promised",
    "past the date",
    "date you promised",
    "day you promised",
    "date you gave",
    "later than you promised",
    "later than you said",
)
_STATUS = _words(
    "where is",
    "where are",
    "went through",
    "go through",
    "gone through",
    "confirm my order",
    "order confirmation",
    "whereabouts",
    "track",
    "tracking",
    "tracked",
    "trace",
    "status",
    "has it shipped",
    "has it been shipped",
    "has it been sent",
    "has it been dispatched",
    "has it left",
    "has my order shipped",
    "has my order been shipped",
    "has my order been sent",
    "has my order been dispatched",
    "have you shipped",
    "have you sent",
    "have you dispatched",
    "did you ship",
    "did you send",
    "did it ship",
    "is it shipped",
    "is it on its way",
    "on its way",
    "on the way",
    "out for delivery",
    "shipped yet",
    "sent yet",
    "dispatched yet",
    "expected delivery",
    "expected arrival",
    "estimated delivery",
    "estimated arrival",
    "delivery date",
    "arrival date",
    "any update",
    "any updates",
    "any news",
    "an update",
    "update on",
    "news on",
    "check on",
    "check my order",
    "check the order",
    "look up my order",
    "what is happening with",
    "what is going on with",
    "what happened to",
    "happened with",
    "progress of",
    "progress on",
)
_ARRIVAL = _words(
    "arrive",
    "come",
    "came",
    "get here",
    "gets here",
    "get to me",
    "gets to me",
    "be here",
    "be delivered",
    "ship",
    "dispatch",
    "deliver",
    "expect",
    "reach me",
    "turn up",
    "show up",
    "receive",
    "get it",
    "get my",
    "land",
    inflect=True,
)
_WHEN_ARRIVE = rf"\b(?:when|how\s+long)\b(?:\s+\w+){{0,6}}?\s+{_ARRIVAL}"
# A question about a shipping step ("has order 2051 left the warehouse yet", "has my bookshelf
# been dispatched") or about where something is ("tell me where my stuff is").
_SHIPPING_STEP = r"(?:shipped|dispatched|sent\s+out|posted|left|gone\s+out|processed|packed)\b"
_ORDER_SUBJECT = r"(?:it|they|this|that|(?:my|the|our|this)\s+\w+|order\s+(?:number\s+)?\w*\d\w*)"
_STATUS_QUESTION = re.compile(
    rf"\b(?:has|have|is|are|was|did)\s+{_ORDER_SUBJECT}\s+(?:\w+\s+)?(?:been\s+)?{_SHIPPING_STEP}|"
    rf"\b(?:if|whether)\s+{_ORDER_SUBJECT}\s+(?:has|have|is|are|was)\s+(?:already\s+)?(?:been\s+)?"
    rf"{_SHIPPING_STEP}|\bwhere\s+(?:my|the|our)\s+(?:\w+\s+){{0,2}}(?:is|are)\b"
)

_PRICE = _words(
    "price",
    "prices",
    "priced",
    "pricing",
    "cost",
    "costs",
    "cheaper",
    "cheap",
    "cheapest",
    "less",
    "lower",
    "sale",
    "dollars",
    "pounds",
    "euros",
    "bucks",
    "deal",
    "paid",
    "charging",
    "charges",
    "listed",
)
_COMPETITOR = _words(
    "competitor",
    "competitors",
    "competition",
    "elsewhere",
    "somewhere else",
    "another shop",
    "another store",
    "another site",
    "another website",
    "another retailer",
    "another seller",
    "another vendor",
    "another company",
    "another place",
    "another online store",
    "another online shop",
    "other shop",
    "other shops",
    "other store",
    "other stores",
    "other site",
    "other sites",
    "other website",
    "other websites",
    "other retailer",
    "other retailers",
    "other seller",
    "other sellers",
    "different shop",
    "different store",
    "different site",
    "different website",
    "different retailer",
    "rival",
    "down the road",
    "down the street",
    "local shop",
    "local store",
    "amazon",
    "ebay",
    "walmart",
    "target",
    "best buy",
    "bestbuy",
    "argos",
    "currys",
    "costco",
    "ikea",
    "aliexpress",
    "temu",
    "john lewis",
    "tesco",
    "etsy",
    "wayfair",
    "home depot",
    "lowes",
    "newegg",
    "kmart",
    "aldi",
    "lidl",
    "asda",
    "sainsburys",
    "zalando",
    "otto",
)
_MATCH_PRICE = (
    r"\b(?:price\s*match\w*|match\w*\s+(?:the\s+|their\s+|that\s+|this\s+|its\s+|his\s+|her\s+|"
    r"a\s+|the\s+other\s+|a\s+lower\s+|the\s+lower\s+|a\s+cheaper\s+|the\s+cheaper\s+)?"
    r"(?:price|prices|deal|offer|cost)|beat\w*\s+(?:the\s+|their\s+|that\s+|a\s+|this\s+)?"
    r"(?:price|prices|deal|offer))\b"
)
_OWN_SITE = _words(
    "your site",
    "your website",
    "your web site",
    "your store",
    "your shop",
    "your page",
    "your app",
    "your online store",
    "your online shop",
    "your own site",
    "your own website",
    "your own store",
    "on sale",
    "on offer",
    "on discount",
    "price adjustment",
    "price protection",
    "refund the difference",
    "difference back",
    "price difference",
    "reduced the price",
    "lowered the price",
    "dropped the price",
    "cut the price",
    "marked down",
    "now cheaper",
    "cheaper now",
)
_DROP = _words(
    "drop",
    "dropped",
    "drops",
    "went down",
    "gone down",
    "has gone down",
    "decrease",
    "decreased",
    "fell",
    "fallen",
    "reduce",
    "reduced",
    "lowered",
    "cut",
    "slashed",
    "marked down",
    "cheaper",
    "now only",
    "now just",
    "now costs",
    "now sells",
    "now selling",
    "now listed",
    "now it is",
    "it is now",
    "now for",
)

_FRAME = (
    r"\b(?:(?:can|could|would|will)\s+(?:you|you\s+guys|someone|somebody|we|i)\s+(?:please\s+"
    r"|possibly\s+|maybe\s+|kindly\s+)?|do\s+you\s+(?:guys\s+)?|does\s+(?:your\s+(?:shop|store"
    r"|site|company)|the\s+(?:shop|store))\s+|is\s+(?:it|there)\s+(?:possible|any\s+way|a\s+way"
    r"|an\s+option|a\s+chance|any\s+chance)\s+(?:to|for|of|that)?\s*|i\s+(?:would|d)\s+(?:like"
    r"|love|prefer)\s+(?:to\s+|a\s+|an\s+|some\s+)?|i\s+(?:want|need|wish)\s+(?:to\s+|a\s+|an\s+"
    r"|some\s+)?|(?:any|what\s+are\s+the)\s+chances?\s+(?:of\s+|you\s+could\s+|to\s+)?|are\s+you"
    r"\s+able\s+to\s+|how\s+(?:do|can|could)\s+i\s+(?:get\s+|request\s+|arrange\s+|book\s+"
    r"|order\s+)?|(?:what|how)\s+about\s+|i\s+was\s+wondering\s+if\s+(?:you|i)\s+(?:could|can)"
    r"\s+|^please\s+(?=\w)|would\s+it\s+be\s+possible\s+to\s+|may\s+i\s+|let\s+me\s+"
    r"(?:get\s+|have\s+)?|i\s+am\s+(?:looking\s+for|interested\s+in|hoping\s+for|hoping\s+to"
    r"|after)\s+)"
)
_FRAME_RE = re.compile(_FRAME)

# Words that carry no request of their own (or speak about the bot, not the shop).
_FILLER: Final = _wordset(
    """
    a an the some any this that these those it its them they me my mine our ours us you your
    yours i we he she him her his their please pls kindly just also maybe possibly really
    actually quickly now today soon then there here for of to with on in at by from about
    into onto up out as and or but so if be is are was were been am do does did done have has
    had get got give given let make made help helping assist know tell told see look check
    find want need like would could can will should may might must shall thanks thank
    thankyou hi hello hey dear ok okay yes no not sure one something anything thing things
    stuff way possible option chance able order orders ordered item items purchase product
    question questions issue issues problem problems information info details detail sort
    somehow bit little lot very much more please guys anyone someone somebody anything else
    again still already also too well um uh hmm hurry respond reply answer fast quick asap
    urgent urgently hello sort resolve solve explain understand wait waiting care deal handle
    email
    confirm process proceed continue go went gone come came try say said think feel hear
    going doing happen happened happening right away today tomorrow week soon possible
    """
)
_META: Final = _wordset(
    """
    human humans person people agent agents representative manager supervisor operator
    staff employee escalate escalation escalated rules rule instructions instruction prompt
    system confidence override ignore vip priority bot bots robot ai assistant talk speak
    chat call phone complain complaint complaints feedback review connect connected transfer
    transferred contact reach
    """
)
_GENERIC_VERBS: Final = _wordset(
    """
    get have give make do put take bring add send offer provide arrange include use let
    allow accept support carry stock sell ship deliver request book buy pay keep hold
    """
)
_PREPOSITIONS: Final = _wordset("of for on with to in at by from into onto about")

# Known services a shop customer asks for that shop policy books often leave out.
_KNOWN_SERVICES: Final[tuple[tuple[str, str], ...]] = (
    (
        r"\bgift\s*wrap\w*|\bwrap\w*\s+(?:\w+\s+){0,3}(?:as\s+a\s+)?(?:gift|present)s?\b",
        "gift_wrapping",
    ),
    (
        r"\bcharged\s+(?:me\s+)?(?:twice|double|two\s+times|more\s+than\s+once|too\s+much)|"
        r"\bdouble\s+charged?\b|\bduplicate\s+(?:charge|payment)|\bover\s*charged?\b",
        "billing_error",
    ),
    (r"\bgift\s+receipts?\b", "gift_receipt"),
    (r"\bgift\s+cards?\b|\bgift\s+vouchers?\b", "gift_card"),
    (
        r"\bgift\s+(?:message|note|card\s+message)\b|\b(?:message|note|card)\s+(?:\w+\s+){0,3}"
        r"(?:gift|present)\b|\b(?:message|greeting|greetings)\s+cards?\b|\bhandwritten\s+"
        r"(?:note|card|message)\b",
        "gift_message",
    ),
    (r"\bengrav\w*|\bpersonali[sz]\w*|\bmonogram\w*|\binscri\w*|\bembroider\w*", "engraving"),
    (
        r"\b(?:bulk|wholesale|volume|quantity|multiple\s+units|large\s+order|corporate|"
        r"business\s+account|trade\s+account|\d{2,}\s+(?:units|pieces|of\s+them))\b",
        "bulk_discount",
    ),
    (
        r"\b(?:student|students|senior|seniors|military|veteran|veterans|teacher|teachers|nurse|"
        r"nurses|nhs|pensioner|pensioners|staff|employee|birthday|loyalty|first\s+time|"
        r"returning\s+customer|loyal\s+customer)\s+(?=discount|pricing|price|deal|offer)",
        "{0}_discount",
    ),
    (r"\b(?:loyalty|reward|rewards|bonus)\s+points?\b", "loyalty_points"),
    (
        r"\b(?:extend\w*|extension|longer|extra|additional)\s+(?:\w+\s+){0,2}(?:warranty|"
        r"guarantee)|\b(?:warranty|guarantee)\s+(?:extension|extended|longer)",
        "warranty_extension",
    ),
    (r"\bwarranty\b|\bguarantee\b", "warranty"),
    (_STOPPED_WORKING, "warranty_claim"),
    (
        r"\b(?:express|expedite\w*|expedited|faster|quicker|next\s+day|overnight|rush|priority|"
        r"same\s+day|speedy|speed\s+up|upgrade\w*)\s+(?:\w+\s+){0,2}(?:shipping|delivery|"
        r"postage|service|it|the\s+shipping|the\s+delivery)\b|\bexpedite\w*|\bexpress\b",
        "express_shipping_upgrade",
    ),
    (
        r"\bdeliver\w*\s+(?:\w+\s+){0,3}(?:on|by|before|for|this|next)\s+(?:monday|tuesday|"
        r"wednesday|thursday|friday|saturday|sunday|the\s+weekend|weekend|a\s+specific|a\s+"
        r"particular|\d|the\s+\d|my\s+birthday|christmas|a\s+certain)|\bspecific\s+(?:date|day|"
        r"time)\b|\bdelivery\s+(?:slot|window|time|appointment)\b|\bschedul\w*\s+(?:\w+\s+){0,2}"
        r"deliver\w*|\bparticular\s+(?:date|day)\b|\bcertain\s+(?:date|day)\b",
        "scheduled_delivery",
    ),
    (
        r"\bcustom\s*(?:order|made|built|size|sized|design|designed|piece|version|build)\b|"
        r"\bbespoke\b|\bmade\s+to\s+(?:order|measure)\b|\btailor\s*made\b|\bcustomi[sz]\w*",
        "custom_order",
    ),
    (r"\binstall(?:ation|ing|ed|er|s)?\b|\bassembl\w*|\bset\s+(?:it|them)\s+up\b", "installation"),
    (r"\brepair\w*|\bfix\s+(?:it|them|my|the)\b", "repair"),
    (
        r"\binternational\w*|\babroad\b|\boverseas\b|\bto\s+(?:canada|mexico|europe|australia|"
        r"france|germany|spain|italy|japan|ireland|india|china|brazil)\b",
        "international_shipping",
    ),
    (
        r"\b(?:pick|picking|collect|collecting)\s+(?:it\s+|them\s+|\w+\s+)?up\b|\bcollect\w*\s+"
        r"(?:it\s+|them\s+)?(?:in\s+store|in\s+person|from\s+(?:the|your)\s+store)|\bclick\s+and"
        r"\s+collect\b|\bstore\s+pick\s*up\b|\bin\s+store\s+pick\s*up\b",
        "store_pickup",
    ),
    (
        r"\binstal+ments?\b|\bpay\s+(?:in\s+parts|later|monthly|in\s+\d)|\bsplit\s+(?:the\s+|my\s+)?"
        r"payments?\b|\bpayment\s+plan\b|\bklarna\b|\bafterpay\b|\bfinanc\w*",
        "payment_plan",
    ),
    (r"\binvoice\w*|\bvat\s+receipt\b|\btax\s+receipt\b", "invoice"),
    (r"\bpre\s*order\w*|\breserve\b|\breservation\b|\bhold\s+(?:one|it)\s+for\b", "preorder"),
    (r"\btrade\s*in\b", "trade_in"),
    (r"\bexchang\w*|\bswap\w*", "exchange"),
    (r"\bsubscri\w*", "subscription"),
    (r"\bsamples?\b|\bswatch\w*", "sample"),
    (r"\b(?:coupon|promo|discount|voucher)\s*(?:code)?s?\b", "discount"),
    (r"\bprice\s+(?:guarantee|lock|hold)\b", "price_guarantee"),
    (r"\bgift\b", "gift_service"),
)
_KNOWN_SERVICE_RES: Final = tuple((re.compile(p), kind) for p, kind in _KNOWN_SERVICES)


# --------------------------------------------------------------------------------------------
# Reading a message
# --------------------------------------------------------------------------------------------


def understand(text: str) -> Understanding:
    """What the customer wants, about which problem, in what tone (tone shapes wording only)."""
    norm = normalise(text)
    intent, kind = detect_intent(text, norm)
    wants_refund = bool(re.search(_REFUND_STRONG, norm)) or (
        intent in ("damaged", "wrong_item") and bool(re.search(_CANCEL, norm))
    )
    return Understanding(
        intent=intent,
        request_kind=kind,
        wants_refund=wants_refund,
        new_address=extract_address(text) if intent == "address_change" else None,
        name=extract_name(text),
        frustrated=is_frustrated(text),
        reaction=_reaction(norm) if intent is None else None,
    )


def detect_intent(text: str, norm: str) -> tuple[Intent | None, str | None]:
    """The covered intent the message expresses, else a service request, else nothing."""
    if _is_competitor_match(text, norm):
        return "competitor_price_match", COMPETITOR_PRICE_MATCH
    if _is_price_drop(norm):
        return "price_drop", None
    if _ASKS_ABOUT_EARLIER_REQUEST.search(norm):
        # "did my refund go through?" asks how things stand; it must not trigger a new refund.
        return "order_status", None
    if _CANCEL_IDIOM.search(norm):
        return "cancel", None
    if _is_wrong_item(norm):
        return "wrong_item", None
    if _is_damaged(norm):
        return "damaged", None
    if re.search(_CANCEL, norm):
        return "cancel", None
    if _is_address_change(norm):
        return "address_change", None
    if re.search(_REFUND_STRONG, norm) or re.search(_RETURN, norm):
        return "refund", None
    if re.search(_LATE, norm):
        return "late_delivery", None
    if _ordered_one_thing_got_another(norm):
        return "wrong_item", None
    if re.search(_STATUS, norm) or re.search(_WHEN_ARRIVE, norm) or _STATUS_QUESTION.search(norm):
        return "order_status", None
    kind = service_request_kind(norm)
    if kind is not None:
        return "service_request", kind
    return None, None


_EARLIER_REQUEST = r"(?:refund|return|replacement|credit|cancellation|exchange)s?"
_ASKS_ABOUT_EARLIER_REQUEST = re.compile(
    rf"\b(?:my|the|that|our)\s+(?:\w+\s+)?{_EARLIER_REQUEST}\s+(?:\w+\s+){{0,3}}?"
    r"(?:went|gone|go|going|been|come|came|got|gotten)\s+(?:through|processed|issued|sent"
    r"|approved|received|done|back)\b"
    rf"|\b(?:status|update|news|progress)\s+(?:of|on|about)\s+(?:my|the|our)\s+(?:\w+\s+)?"
    rf"{_EARLIER_REQUEST}\b"
    rf"|\bwhere\s+is\s+(?:my|the)\s+{_EARLIER_REQUEST}\b"
    r"|\b(?:you(?:\s+guys|\s+all|\s+people)?|your\s+\w+|the\s+\w+)\s+(?:have\s+|had\s+)?"
    r"(?:get|got|receive|received"
    rf"|process|processed)\s+(?:my|the|our)\s+(?:\w+\s+)?{_EARLIER_REQUEST}\b"
)
_CANCEL_IDIOM = re.compile(r"\bscratch\s+(?:that|my|the|this)\s+(?:order|purchase)\b")


def _is_competitor_match(text: str, norm: str) -> bool:
    if re.search(_MATCH_PRICE, norm):
        return True
    if not re.search(_PRICE, norm):
        return False
    return bool(re.search(_COMPETITOR, norm)) or _names_another_shop(text)


def _names_another_shop(text: str) -> bool:
    """A capitalised shop name after "at/on/from" ("cheaper at Zalando"), not "on Monday"."""
    for match in re.finditer(r"\b(?:at|on|from|in)\s+([A-Z][\w&'-]+)", text):
        if match.group(1).lower() not in _NOT_SHOPS:
            return True
    return False


_NOT_SHOPS: Final = _wordset(
    """
    your you the my our this that i monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    order sale offer christmas black cyber it its
    """
)


def _is_price_drop(norm: str) -> bool:
    if re.search(r"\bprice\s+(?:adjustment|protection)\b", norm):
        return True
    if re.search(_OWN_SITE, norm) and re.search(_PRICE + "|" + _DROP, norm):
        return True
    return bool(re.search(_PRICE, norm) and re.search(_DROP, norm))


_WRONG_THING = re.compile(rf"{_WRONG}\s+(?:\w+\s+){{0,2}}?{_WRONG_NOUN}")
_RECEIVED_WRONG = re.compile(
    rf"{_RECEIVED_PAST}(?:\s+\w+){{0,5}}?\s+(?:wrong|incorrect|different)\b(?:\s+\w+){{0,2}}"
)
_ABOUT_ADDRESS = re.compile(rf"(?:wrong|incorrect|different)\s+(?:\w+\s+)?{_ADDRESS}")


# The customer correcting their own slip ("oops, wrong one - try ..."), not the shop's.
_SELF_CORRECTION = re.compile(
    r"\b(?:oops|whoops|oopsie|my\s+bad|my\s+mistake|i\s+meant|typo|mistyped|i\s+typed)\b|"
    r"\bwrong\s+(?:one|email|number|address|account)\s+(?:try|use|it\s+is|here\s+is|should\s+be)\b"
)
# Something else arrived in place of the order: "you sent me a toaster instead".
_SENT_INSTEAD = re.compile(
    r"\b(?:(?:you|they)\s+(?:sent|gave|shipped|packed|mailed|posted)\s+(?:me|us)|(?:i|we)\s+"
    r"(?:got|received))\s+(?:a|an|the|some)\s+(?:\w+\s+){0,3}?instead\b"
)


def _is_wrong_item(norm: str) -> bool:
    """The shop sent something other than what was ordered (not the customer's own slip)."""
    if re.search(_MY_MISTAKE, norm) or _ABOUT_ADDRESS.search(norm) or _SELF_CORRECTION.search(norm):
        return False
    if re.search(_NOT_ORDERED, norm) or _WRONG_RECEIVED.search(norm) or _SENT_INSTEAD.search(norm):
        return True
    return bool(_WRONG_THING.search(norm) or _RECEIVED_WRONG.search(norm))


def _ordered_one_thing_got_another(norm: str) -> bool:
    return not re.search(_MY_MISTAKE, norm) and re.search(_ORDERED_BUT, norm) is not None


_NEGATED_BEFORE = re.compile(r"\b(?:not|never|no|nothing|without|un)\s+(?:\w+\s+)?$")


# It does not work out of the box, whatever adverb sits in between ("does not even turn on").
_NOT_FUNCTIONING = re.compile(
    r"\b(?:does|do|did|will|would|is|are|was|were)\s+not\s+(?:even\s+|really\s+|properly\s+|"
    r"actually\s+|ever\s+|always\s+|fully\s+)(?:work|working|turn\s+on|switch\s+on|power\s+on|"
    r"start|charge|charging|boot|heat\s+up|light\s+up)\b"
)


def _is_damaged(norm: str) -> bool:
    if re.search(_STOPPED_WORKING, norm):
        return False
    if re.search(_DAMAGE_PHRASE, norm) or _NOT_FUNCTIONING.search(norm):
        return True
    return any(
        not _NEGATED_BEFORE.search(norm[max(0, m.start() - 30) : m.start()])
        for m in re.finditer(_DAMAGE, norm)
    )


def _is_address_change(norm: str) -> bool:
    if re.search(_ADDRESS, norm) and re.search(_ADDRESS_CHANGE, norm):
        return True
    return bool(
        re.search(_REDIRECT, norm) or re.search(_GO_TO_ADDRESS, norm) or re.search(_MOVED, norm)
    )


def service_request_kind(norm: str) -> str | None:
    """The snake_case request kind of a service the customer asks for, if they ask for one."""
    for pattern, kind in _KNOWN_SERVICE_RES:
        match = pattern.search(norm)
        if match:
            if "{0}" in kind:
                return kind.format(_singular_words(match.group(0)))
            return kind
    frame = _FRAME_RE.search(norm)
    if frame is None:
        return None
    return _kind_from_object(norm[frame.end() :].split())


def _kind_from_object(words: list[str]) -> str | None:
    """Name a request from its object: "could you add a note to the box" -> "add_note"."""
    if any(w in _META for w in words):
        return None
    content: list[str] = []
    for word in words:
        if word in _PREPOSITIONS and content:
            break
        if word.isalpha() and word not in _FILLER and word not in _GENERIC_VERBS:
            content.append(word)
    if not content:
        return None
    return "_".join(_singular(w) for w in content[:3])


def _singular_words(phrase: str) -> str:
    return "_".join(_singular(w) for w in phrase.split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_AFFIRM = re.compile(
    r"^(?:yes|yeah|yep|yup|ya|sure|ok|okay|alright|all right|please|please do|go ahead|do it|"
    r"sounds good|that works|that would be great|perfect|great|fine|absolutely|definitely|"
    r"of course|why not|let us do that|do that|yes please)(?:\s+(?:please|thanks|thank you|"
    r"do it|go ahead|that is fine|that would be great|do that))*$"
)
_NEGATE = re.compile(r"^(?:no|nope|nah|no thanks|no thank you|not now|never mind|nevermind)\b")
_THANKS = re.compile(
    r"\b(?:thanks|thank you|cheers|appreciate it|that is all|that is everything|all good|"
    r"bye|goodbye)\b"
)
_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|yo)\b")


def _reaction(norm: str) -> Reaction | None:
    if _AFFIRM.match(norm):
        return "affirm"
    if _NEGATE.match(norm):
        return "negate"
    if _THANKS.search(norm):
        return "thanks"
    if _GREETING.match(norm):
        return "greeting"
    return None


# --------------------------------------------------------------------------------------------
# Tone
# --------------------------------------------------------------------------------------------

_FRUSTRATION = _words(
    "ridiculous",
    "unacceptable",
    "absurd",
    "outrageous",
    "pathetic",
    "terrible",
    "horrible",
    "awful",
    "worst",
    "disgusting",
    "disgrace",
    "disgraceful",
    "shocking",
    "appalling",
    "furious",
    "angry",
    "livid",
    "annoyed",
    "annoying",
    "frustrated",
    "frustrating",
    "frustration",
    "fed up",
    "sick of",
    "tired of",
    "had enough",
    "third time",
    "fourth time",
    "again and again",
    "how many times",
    "every single time",
    "not happy",
    "unhappy",
    "very disappointed",
    "so disappointed",
    "disappointed",
    "incompetent",
    "useless",
    "joke",
    "a joke",
    "seriously",
    "what the hell",
    "for heaven sake",
    "damn",
    "dammit",
    "goddamn",
    "hell",
    "crap",
    "crappy",
    "bloody",
    "bullshit",
    "shit",
    "shitty",
    "fuck",
    "fucking",
    "fucked",
    "screw",
    "pissed",
    "sucks",
    "rubbish",
    "nightmare",
    "insane",
    "unbelievable",
)
_ACRONYMS: Final = frozenset(
    {
        "USA",
        "UK",
        "USB",
        "TV",
        "DHL",
        "UPS",
        "USPS",
        "FEDEX",
        "HDMI",
        "LED",
        "SKU",
        "VIP",
        "ETA",
        "ASAP",
    }
)


def is_frustrated(text: str) -> bool:
    """Tone only: caps, "!!", swearing, "ridiculous", "third time". Never an escalation input."""
    if re.search(r"!{2,}|\?!|!\?|\*{2,}|[#@$%&]{3,}", text):
        return True
    # A capitalised label ("SYSTEM:", "NOTE:") is formatting, not shouting.
    plain = re.sub(r"\b(?:[A-Z]+\s+){0,2}[A-Z]+:", " ", _EMAIL.sub(" ", text))
    shouted = [w for w in re.findall(r"\b[A-Z]{3,}\b", plain) if w not in _ACRONYMS]
    if any(len(w) >= 4 for w in shouted) or len(shouted) >= 2:
        return True
    norm = normalise(text)
    return re.search(_FRUSTRATION, norm) is not None or _FRUSTRATION_IDIOM.search(norm) is not None


# Sarcasm and idioms of exasperation ("great, just great", "are you kidding me").
_FRUSTRATION_IDIOM = re.compile(
    r"\bjust\s+(?:great|perfect|brilliant|wonderful|fantastic|lovely)\b|\bthanks\s+for\s+nothing\b|"
    r"\bkidding\s+me\b|\bgive\s+me\s+a\s+break\b"
)


# --------------------------------------------------------------------------------------------
# Names, addresses and items
# --------------------------------------------------------------------------------------------

_NAME_WORD = r"[A-Z][a-z'-]+|[A-Z]{2,}(?=\s|$|[,.!])"
_FULL_NAME = rf"((?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{1,2}})"
_ANY_NAME = rf"((?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{0,2}})"
_NAME_FRAMES = (
    rf"(?i:\b(?:this\s+is|my\s+name\s+is|my\s+name's|name\s*:))\s+{_ANY_NAME}",
    rf"(?i:\b(?:i\s+am|i'm|it's|it\s+is))\s+{_FULL_NAME}",
    rf"^\s*(?i:hi|hello|hey)?[,!.\s]*{_FULL_NAME}\s+(?i:here)\b",
    rf"(?i:thanks|thank\s+you|cheers|regards|best|sincerely)[,!.]?\s*[-\u2013\u2014]*\s*"
    rf"{_ANY_NAME}\s*[.!]?\s*$",
)
_LOWER_NAME = re.compile(r"\bmy\s+name\s+is\s+([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)", re.I)


def extract_name(text: str) -> str | None:
    """A name the customer gives for themselves ("this is John Smith"), if any."""
    for frame in _NAME_FRAMES:
        match = re.search(frame, text)
        if match and _plausible_name(match.group(1)):
            return " ".join(match.group(1).split())
    match = _LOWER_NAME.search(text)
    if match and _plausible_name(match.group(1)):
        return " ".join(w.capitalize() for w in match.group(1).split())
    return None


def _plausible_name(name: str) -> bool:
    words = name.lower().split()
    if not words or any(w in _ORDINARY or w in _FILLER or w in _META for w in words):
        return False
    return not all(w in _VOCAB for w in words)


_STREET = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|court|ct|place|pl|boulevard|blvd|"
    r"close|crescent|terrace|square|sq|apt|apartment|flat|suite|unit|po\s+box|highway|hwy|"
    r"parkway|pkwy|row|mews|gardens|grove|hill|park)\b\.?",
    re.I,
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b")
_ADDRESS_LEAD = re.compile(
    r"(?:\baddress\b[^.?!\n]*?\b(?:to|is|as|be|should\s+be|now)\b|\baddress\s*:|\b(?:ship|send|"
    r"deliver|post|mail|redirect|forward)\w*\s+(?:it|them|this|that|my\s+order|the\s+order|"
    r"the\s+package|the\s+parcel|my\s+package|my\s+parcel|order\s+(?:number\s+)?#?\w*\d[\w-]*)?"
    r"\s*(?:to|at)\b|\b(?:go|goes|be\s+(?:sent|delivered|shipped|posted|redirected|forwarded))\s+"
    r"to\b|\bmoved\s+to\b|\bnew\s+address\s*(?:is|:)?)\s*:?\s*",
    re.I,
)
_ADDRESS_TAIL = re.compile(
    r"(?:[\s,(]+(?:instead|please|pls|thanks|thank\s+you|asap|thx|(?:for\s+|on\s+)?order\s+"
    r"(?:number\s+|no\.?\s+)?#?\w*\d[\w-]*\)?|(?:for\s+|on\s+)?#\w*\d[\w-]*))+\s*[.!?]*$|"
    r"[\s.!?]+$",
    re.I,
)


# "to 48 Mill Lane instead of my old place": what it replaces is not part of the address.
_INSTEAD_OF = re.compile(
    r"[\s,]+(?:instead\s+of|rather\s+than|not\s+(?:to\s+)?(?:the|my)\s+old)\b", re.I
)
# "my office at 9 Dock Road": the place's label is not part of the address.
_PLACE_LABEL = re.compile(r"^(?:my|our|the)\s+(?:[a-z']+\s+){1,2}?(?:at|in|on)\s+(?=\S*\d)", re.I)


def extract_address(text: str) -> str | None:
    """The new delivery address in a request to change it, when it reads like an address."""
    text = _EMAIL.sub(" ", text)
    for match in _ADDRESS_LEAD.finditer(text):
        candidate = text[match.end() :].split("\n", 1)[0]
        candidate = re.split(r"(?<=[a-z0-9])[.!?]\s+(?=[A-Z])", candidate, maxsplit=1)[0]
        candidate = _INSTEAD_OF.split(candidate, maxsplit=1)[0]
        candidate = _ADDRESS_TAIL.sub("", candidate.strip()).strip(" ,.;:")
        candidate = _PLACE_LABEL.sub("", candidate)
        if looks_like_address(candidate):
            return candidate
    return None


def looks_like_address(text: str) -> bool:
    """A street address: a number with a street word, or a postcode."""
    stripped = text.strip()
    if not stripped or len(stripped) > 200 or "@" in stripped:
        return False
    has_number = re.search(r"\d", stripped) is not None
    return (has_number and _STREET.search(stripped) is not None) or bool(
        _POSTCODE.search(stripped) and re.search(r"[A-Za-z]{3,}", stripped)
    )


def mentions_item(text: str, item: str) -> bool:
    """Whether the message names the item (any of its words, singular or plural, or a typo)."""
    said = {_singular(w) for w in _plain_words(text)}
    for word in _plain_words(item):
        if len(word) < 3 or word in _FILLER:
            continue
        wanted = _singular(word)
        if wanted in said or any(
            len(wanted) >= 5 and s[:1] == wanted[:1] and _edit_distance(s, wanted, 1) <= 1
            for s in said
        ):
            return True
    return False


def _plain_words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", _EMAIL.sub(" ", text.lower()))

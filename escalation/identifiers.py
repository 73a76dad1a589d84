"""Customer identifiers typed in free text, and how they are normalised for matching.

Normalisation (DESIGN.md §1): email case-insensitive, phone digits only, order number as
given (surrounding whitespace and a leading "#" are not part of it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import phonenumbers

from escalation.vocabulary import IdentifierKind

# A phone typed without its country code still matches the international number on record.
MAX_COUNTRY_CODE_DIGITS = 3
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15

# An email address as customers type it; every reader of customer text masks it with this one.
EMAIL_ADDRESS: Final = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_ORDER_AFTER_WORD = re.compile(
    r"\border(?:s)?\b\s*(?:number|num|no\.?|nr\.?|ref\.?|reference|id|#)?"
    r"(?:\s+on\s+(?:the|my)\s+\w+)?\s*(?:is|was|=)?\s*[:#]?\s*(?:(?:no|nr)\.\s*)?"
    r"(?P<first>[A-Za-z]{0,4}-?\d[\w-]*)(?!\s*(?:days?|weeks?|months?|years?|hours?|ago|"
    r"times?|items?|pieces?|units?|x)\b)"
    r"(?P<more>(?:\s*(?:,|and|&)\s*#?[A-Za-z]{0,4}-?\d[\w-]*)*)",
    re.IGNORECASE,
)
_ORDER_HASH = re.compile(r"(?<![\w&])#(?P<number>[A-Za-z]{0,4}-?\d[\w-]*)")
# "the kettle I ordered (1043)", "bought (2051, ...)": a number in brackets after the purchase.
_ORDER_IN_BRACKETS = re.compile(
    r"\b(?:ordered|purchased|bought)\s*\(\s*#?(?P<number>[A-Za-z]{0,4}-?\d[\w-]*)\s*[),;]",
    re.IGNORECASE,
)
# A short number standing alone, no amount, time, date or quantity ("4410: the jug is cracked").
_LONE_NUMBER = re.compile(
    r"(?<![\w.,$£€+/:-])#?(\d{3,6})(?![\w%]|[-/.,:]\d|\s\d\d\b|\s*(?:days?|weeks?|months?|years?|hours?"
    r"|mins?|minutes?|ago|times?|items?|pieces?|units?|x|euros?|dollars?|pounds?|bucks|quid"
    r"|points?|reviews?|people|customers?|miles?|km|kg|g|ml|l|litres?|liters?|watts?|w|mm|cm"
    r"|rpm|stars?|pages?|words?|messages?|emails?|calls?|am|pm)\b|\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Way|Close|Court|Ct|Place|Pl|Boulevard"
    r"|Blvd|Crescent|Terrace|Row|Square|Sq|Hill|Gardens)\b)"
)
_STATE = re.compile(r"[A-Z]{2}")
# A street's name and house number before a postcode, and a town after it, as Europe writes them.
# "Hauptstrasse 5, ", "Lindenstraße 14, 2. OG, ", "Długa 22/4, ": a street, its number, a floor
_STREET_BEFORE = re.compile(
    # "Hauptstrasse 5, ", "Lindenstr. 8, ", or the number first: "14 rue des Lilas, "
    r"(?:[A-Z][^\W\d_]+\.? \d+(?:/\d+)?[A-Za-z]?(?:,? [\w.]{1,4}(?: [\w.]{1,4})?)?"
    # (with a word of its kind in lower case between: "2 Blue Mugs, 4410" is no address)
    r"|\b\d+[A-Za-z]?,? (?:[A-Z][\w'.-]* ){0,2}[a-z][\w'.-]* (?:[A-Za-z][\w'.-]* ){0,2}"
    r"[A-Z][\w'.-]*),?\s+$"
)
_TOWN_AFTER = re.compile(r"\s+[A-Z][^\W\d_]")
_STREET_NAME_BEFORE = re.compile(r"[A-Z][a-z]+ $")
_POSTCODE_OR_TOWN = re.compile(
    r", ?(?:\d{3}|[A-Z][^\W\d_]|(?:piso|planta|andar|etage|floor|flat|apt|apartment|unit|suite"
    r"|stock|esc|escalera|puerta|interior|depto|dpto)\b)",
    re.I,
)
# "200 W Monroe St", "14 North Parade Road": a house number before the street's name and kind
_STREET_AFTER = re.compile(
    r"[a-z]?,? (?:(?!(?:to|at|in|on|for|and|or|from|via|the|my|your)\b)[A-Za-z][\w'.-]* ){1,3}?"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way"
    r"|court|ct|place|pl|boulevard|blvd|close|crescent|terrace|square|sq|parade|highway|hwy"
    r"|parkway|pkwy|row|mews|plaza|circle|cir|trail|walk|green|grove|gardens|hill|park"
    r"|wharf|quay|alley|loop|crescent|terrace)\b",
    re.I,
)
_TOWN_OF_A_STREET = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|court|place|apt|flat|unit|suite)\b"
    r"[^.!?\n]{0,40}, [A-Z][^\W\d_]+(?: [A-Z][^\W\d_]+)?,? $",
    re.I,
)
# Words before a number that make it an amount, a year or a measure, not a reference.
_NOT_A_REFERENCE: Final = frozenset(
    [
        "paid",
        "pay",
        "paying",
        "cost",
        "costs",
        "costing",
        "price",
        "priced",
        "spent",
        "spend",
        "worth",
        "charged",
        "charge",
        "total",
        "at",
        "around",
        "about",
        "approx",
        "approximately",
        "only",
        "just",
        "under",
        "over",
        "than",
        "since",
        "in",
        "year",
        "by",
        "until",
        "till",
        "before",
        "after",
        "of",
        "nearly",
        "almost",
        "roughly",
        "some",
        "was",
        "were",
        "is",
        "are",
        "be",
        "s",
        "suite",
        "ste",
        "apt",
        "apartment",
        "flat",
        "unit",
        "room",
        "floor",
        "box",
        "not",  # "it's 2051 not 2015": the number written off
        "now",  # "it is now 199 on your website": a price today
        "says",  # "the site says 24"
    ]
)
_OPENS = re.compile(r"\s*[-:\u2013\u2014]\s+\w")  # "it's 7702 - the mat ..."
_COPULAS: Final = frozenset(["is", "are", "was", "were", "be", "s"])
# Words that own up to a slip: the number after them corrects it.
# A slip owned in words: the identifier or number after it replaces the one before ("sorry,
# typo, it's 7105", "use my email instead", "that number is old").
OWNS_A_SLIP: Final = re.compile(
    r"\b(?:typed (?:it )?wrong|wrong (?:one|number|email|phone)|typo|my mistake|my bad|sorry|oops"
    r"|i meant|use (?:this|my|the) \w+ instead|try (?:this|that|my|the|order|with)|correct one"
    r"|(?:number|email|phone) (?:is|was) (?:old|wrong|outdated)|old (?:number|email|phone))\b",
    re.I,
)
_SLIP_OWNED: Final = frozenset(["mistake", "sorry", "oops", "whoops", "correction", "typo", "bad"])
# What a number after "is" measures, when it is no order: "the total is 1200"
_SOMETHING_COUNTED: Final = frozenset(
    [
        "price",
        "total",
        "cost",
        "amount",
        "bill",
        "charge",
        "fee",
        "fees",
        "postcode",
        "zip",
        "code",
        "number",
        "phone",
        "mobile",
        "balance",
        "it",
        "that",
        "this",
        "which",
        "there",
        "here",
        "sum",
        "weight",
        "size",
        "height",
        "width",
        "length",
    ]
)
_ABOUT_AN_ORDER: Final = frozenset(["status", "update", "progress", "tracking", "whereabouts"])
_MOVED_BY: Final = frozenset(["down", "up", "went", "gone", "dropped", "fell", "rose", "reduced"])
_ASKING_WHICH: Final = frozenset(
    ["where", "what", "how", "when", "whats", "wheres", "hows", "whr", "wher", "wat", "wht"]
)
_BEFORE_A_YEAR: Final = frozenset(["in"])
_YEAR = re.compile(r"(?:19|20)\d\d")
_ORDER_LIST_ITEM = re.compile(r"#?([A-Za-z]{0,4}-?\d[\w-]*)")
# "+1 555 0101", "(+49) 30/5550-0113", "0412-555-019"
# a dot joins digits ("555.0101"), a dot and a space end a sentence ("... 900214. 2 things")
_PHONE = re.compile(r"(?<![\w@.#])\(?\+?\(?\d(?:[\d\s()/-]|\.(?=\d)){4,22}\d(?![\w@])")
_BARE_TOKEN = re.compile(r"^\s*#?([A-Za-z]{0,4}-?\d[\w-]*)\s*[.!]?\s*$")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def normalise_order_number(value: str) -> str:
    return value.strip().removeprefix("#").strip()


def phones_match(typed: str, on_record: str) -> bool:
    """Same digits; or the customer left out the country code of an international record, or
    wrote it the way their country dials it at home ("07700 900555" for "+44 7700 900555")."""
    x, y = normalise_phone(typed), normalise_phone(on_record)
    if len(x) < MIN_PHONE_DIGITS:
        return False
    if x == y or _same_number_at_home(typed, on_record):
        return True
    omitted = len(y) - len(x)
    return (
        on_record.lstrip().startswith("+")
        and 0 < omitted <= MAX_COUNTRY_CODE_DIGITS
        and (y.endswith(x))
    )


def _same_number_at_home(typed: str, on_record: str) -> bool:
    # phonenumbers knows each country's trunk prefix: typed in the record's own country
    if not on_record.lstrip().startswith("+"):
        return False
    try:
        record = phonenumbers.parse(on_record, None)
        if record.country_code is None:
            return False
        # by country code: a made-up or reserved number ("+44 7700 900...") has no region
        region = phonenumbers.region_code_for_country_code(record.country_code)
        written = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return False
    return (
        written.country_code == record.country_code
        and written.national_number == record.national_number
        and bool(written.italian_leading_zero) == bool(record.italian_leading_zero)
    )


@dataclass(frozen=True, slots=True)
class Identifiers:
    """Identifiers a customer typed, already normalised, in the order first seen."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_numbers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.order_numbers)

    def kinds(self) -> tuple[IdentifierKind, ...]:
        present: list[IdentifierKind] = []
        if self.emails:
            present.append("email")
        if self.phones:
            present.append("phone")
        if self.order_numbers:
            present.append("order_number")
        return tuple(present)

    def values(self, kind: IdentifierKind) -> tuple[str, ...]:
        if kind == "email":
            return self.emails
        if kind == "phone":
            return self.phones
        return self.order_numbers

    def merged(self, other: Identifiers) -> Identifiers:
        return Identifiers(
            emails=_union(self.emails, other.emails),
            phones=_union(self.phones, other.phones),
            order_numbers=_union(self.order_numbers, other.order_numbers),
        )

    def describe(self) -> str:
        parts = [f"{kind}: {', '.join(self.values(kind))}" for kind in self.kinds()]
        return "; ".join(parts) if parts else "none"


def _union(a: tuple[str, ...], b: Iterable[str]) -> tuple[str, ...]:
    out = list(a)
    for item in b:
        if item not in out:
            out.append(item)
    return tuple(out)


def extract_identifiers(text: str, *, expecting: Iterable[IdentifierKind] = ()) -> Identifiers:
    """Find emails, phone numbers and order numbers in a customer's message.

    An order number is read in context ("order 1042", "#1042"), or as a reference standing
    alone ("4410: the jug is cracked"), never as an amount, a year or a measure; when the bot
    asked for one (`expecting`), the one short number of the reply counts too.
    """
    emails = [normalise_email(m.group(0)) for m in EMAIL_ADDRESS.finditer(text)]
    without_emails = EMAIL_ADDRESS.sub(" ", text)
    begun = _PHONE_HEAD.search(without_emails)
    if begun is not None and len(normalise_phone(begun.group(1))) < MIN_PHONE_DIGITS:
        # "my phone is +1 555": a phone begun, its end in the next message; no order number
        without_emails = _mask(without_emails, [begun.span(1)])
    orders, order_spans = _order_numbers(without_emails)
    if not orders and "order_number" in set(expecting):
        orders.extend(_answered_order_number(without_emails))
    told = re.search(r"\border\b", without_emails, re.I) is not None
    referenced = _referenced_numbers(_mask(without_emails, order_spans), order_told=told)
    orders.extend(normalise_order_number(n) for n, _ in referenced)
    order_spans.extend(span for _, span in referenced)
    masked = _mask(without_emails, order_spans)
    phones = [
        digits
        for m in _PHONE.finditer(masked)
        if MIN_PHONE_DIGITS <= len(digits := normalise_phone(m.group(0))) <= MAX_PHONE_DIGITS
        and not _looks_like_date(m.group(0))
        and not _a_postcode(without_emails, m)
        and not _a_dashed_postcode(without_emails, m)
    ]
    return Identifiers(
        emails=_union((), emails), phones=_union((), phones), order_numbers=_union((), orders)
    )


# An identifier cut in two by an early send: "my email is katrin.vogel@" / "posteo.de",
# "my phone is +971 50" / "555 0177 sorry, pressed send"
_EMAIL_HEAD: Final = re.compile(r"([\w.+-]+@)\s*$")
_EMAIL_TAIL: Final = re.compile(r"^\s*([\w-]+(?:\.[\w-]+)+)\b")
_PHONE_HEAD: Final = re.compile(
    r"(?:phone|mobile|tel|cell)(?: number| no\.?)?\b[^\d+]{0,12}(\+?[\d][\d ()-]{1,10})\s*$", re.I
)
_PHONE_TAIL: Final = re.compile(r"^\s*(\d[\d -]{2,12}\d)\b")


def split_identifiers(previous: str, text: str) -> tuple[Identifiers, int]:
    """An email or phone begun at the end of the previous message and ended at the start of
    this one, and how much of this message its end took."""
    email_head, email_tail = _EMAIL_HEAD.search(previous), _EMAIL_TAIL.match(text)
    if email_head and email_tail:
        email = extract_identifiers(email_head.group(1) + email_tail.group(1))
        return email, email_tail.end() if email else 0
    phone_head, phone_tail = _PHONE_HEAD.search(previous), _PHONE_TAIL.match(text)
    if phone_head and phone_tail:
        phone = f"phone {phone_head.group(1).strip()} {phone_tail.group(1)}"
        phones = extract_identifiers(phone).phones
        return Identifiers(phones=phones), phone_tail.end() if phones else 0
    return Identifiers(), 0


def without_split_parts(texts: Sequence[str]) -> list[str]:
    """Messages with the halves of an identifier split over two of them blanked out, so that
    neither half is read as something else (the "555" of "+1 555" / "0144" as an order)."""
    out = list(texts)
    for i in range(1, len(out)):
        joined, taken = split_identifiers(texts[i - 1], texts[i])
        if not joined:
            continue
        head = _EMAIL_HEAD.search(texts[i - 1]) or _PHONE_HEAD.search(texts[i - 1])
        if head is not None:
            out[i - 1] = out[i - 1][: head.start(1)]
        out[i] = " " * taken + out[i][taken:]
    return out


def _order_numbers(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _ORDER_AFTER_WORD.finditer(text):
        found.append(normalise_order_number(m.group("first")))
        for item in _ORDER_LIST_ITEM.finditer(m.group("more") or ""):
            found.append(normalise_order_number(item.group(1)))
        spans.append(m.span())
    for pattern in (_ORDER_HASH, _ORDER_IN_BRACKETS):
        for m in pattern.finditer(text):
            found.append(normalise_order_number(m.group("number")))
            spans.append(m.span())
    return found, spans


def _referenced_numbers(text: str, *, order_told: bool) -> list[tuple[str, tuple[int, int]]]:
    """Numbers given as a reference ("4410: the jug is cracked", "stop 2051", "the kettle on
    1043"), not as an amount, a year or a measure ("paid 120", "since 2019", "300 points")."""
    masked = _mask(text, _phone_spans(text))
    found = []
    for m in _LONE_NUMBER.finditer(masked):
        before = re.findall(r"[A-Za-z]+", masked[max(0, m.start() - 20) : m.start()])
        # "has it shipped yet? it's 21003": a later sentence opening with the number
        later = re.search(r"[.?!]\s+(?:it'?s|it is)\s+#?$", masked[: m.start()], re.I) is not None
        opens = later or (_OPENS.match(masked, m.end()) is not None and len(before) <= 3)
        if before and _not_a_reference(before, m.group(1), opens=opens, order_told=order_told):
            continue  # an amount, a year, a measure, a flat, or a ZIP code after its state
        if _part_of_an_address(text, m) or _PRICED.search(text, 0, m.start()):
            continue  # "Hauptstrasse 5, 10827 Berlin", "Springfield 62704", "the one for 140"
        if _digits_of_a_phone(text, m):
            continue  # "sorry, the last digits are 8830. +46 73 555 8830"
        found.append((m.group(1), m.span()))
    return found


_PHONE_DIGITS_TOLD = re.compile(
    r"\b(?:digits?|(?:phone|mobile|cell|last|final) numbers?)(?: (?:are|is|were|was|should be))?"
    r"\s*:?\s*$"
    r"|\b(?:ends?|ending|ended)(?: (?:in|with))?\s*:?\s*$",
    re.I,
)


def _digits_of_a_phone(text: str, match: re.Match[str]) -> bool:
    """Digits told as a phone's ("the last digits are 8830", "it ends in 0311"), or the end of
    a phone number typed in the same message."""
    if _PHONE_DIGITS_TOLD.search(text, max(0, match.start() - 30), match.start()):
        return True
    digits = normalise_phone(match.group(1))
    return any(
        normalise_phone(text[a:b]).endswith(digits) and (a, b) != match.span()
        for a, b in _phone_spans(text)
    )


def _not_a_reference(before: list[str], number: str, *, opens: bool, order_told: bool) -> bool:
    word = before[-1].lower()
    if _STATE.fullmatch(before[-1]):
        return True
    if word in _COPULAS and len(before) > 1 and before[-2].lower() in _ASKING_WHICH:
        return False  # "where is 7702", "what's 4410 doing"
    opening = opens and len(number) >= 4
    ordered = "order" in (b.lower() for b in before[:-2])
    if word in ("s", "is") and {b.lower() for b in before[-2:-1]} & _SLIP_OWNED:
        return False  # "oh sorry my mistake, is 2051 not 2015"
    if word in ("s", "is") and before[-2:-1] == ["it"] and (opening or ordered):
        # "it's 7702 - the mat is cheaper now", "cancel my blender order, it's 71288"
        return False
    if (
        word in ("s", "is")
        and order_told
        and len(number) >= 4
        and before[-2].lower().isalpha()
        and before[-2].lower() not in _SOMETHING_COUNTED
    ):
        return False  # "order 7111, no wait, the uke is 7110" (but "the total is 7110")
    if word == "of" and len(before) > 1 and before[-2].lower() in _ABOUT_AN_ORDER:
        return False  # "status of 7132 please"
    if word in ("to", "from") and len(before) > 1 and before[-2].lower() in _MOVED_BY:
        return True  # "went from 149 down to 129": prices, not orders
    if word in _BEFORE_A_YEAR:
        return _YEAR.fullmatch(number) is not None  # "since 2019", but "the lamp in 7701"
    return word in _NOT_A_REFERENCE


# "the one for 140": a price that picks one of several orders, not an order number
_PRICED = re.compile(
    r"\b(?:one|thing|item|order) (?:for|at|costing|that cost|that was) [$£€]?$", re.I
)


def _part_of_an_address(text: str, match: re.Match[str]) -> bool:
    """Digits of a street address: a house number after the street's name ("Cedofeita 210,
    4050-174 Porto") or before it ("200 W Monroe St"), a postcode, or a ZIP code after the town
    of a street ("7 Elm Street, Springfield 62704")."""
    start, end = match.start(), match.end()
    house = bool(_STREET_NAME_BEFORE.search(text, 0, start)) and bool(
        _POSTCODE_OR_TOWN.match(text, end)
    )
    return (
        house
        or bool(_STREET_AFTER.match(text, end))
        or _a_postcode(text, match)
        or bool(_TOWN_OF_A_STREET.search(text, 0, start))
    )


def _a_postcode(text: str, match: re.Match[str]) -> bool:
    """Digits between a street and its town: "Hauptstrasse 5, 10827 Berlin" (a phone's shape
    too, so phones are checked for this alone)."""
    return bool(_STREET_BEFORE.search(text, 0, match.start())) and bool(
        _TOWN_AFTER.match(text, match.end())
    )


def _phone_spans(text: str) -> list[tuple[int, int]]:
    return [
        m.span()
        for m in _PHONE.finditer(text)
        if MIN_PHONE_DIGITS <= len(normalise_phone(m.group(0))) <= MAX_PHONE_DIGITS
    ]


def _answered_order_number(text: str) -> list[str]:
    """The order number in a reply to "what's your order number?": the whole reply, or the
    one short number standing alone in it ("sorry. 4410 blender, the jug is cracked")."""
    bare = _BARE_TOKEN.match(text)
    if bare and len(normalise_phone(bare.group(1))) < MIN_PHONE_DIGITS:
        return [normalise_order_number(bare.group(1))]
    masked = _mask(text, _phone_spans(text))
    lone = {
        m.group(1)
        for m in _LONE_NUMBER.finditer(masked)
        if not _part_of_an_address(text, m)
        and not _PRICED.search(text, 0, m.start())
        and not _digits_of_a_phone(text, m)
    }
    return [normalise_order_number(lone.pop())] if len(lone) == 1 else []


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _looks_like_date(value: str) -> bool:
    return re.fullmatch(r"\s*\d{1,4}[-./]\d{1,2}[-./]\d{1,4}\s*", value) is not None


# "4050-262 Porto", "01310-100 Sao Paulo": a postcode of four or five digits, a dash, three,
# before its town
_DASHED_POSTCODE = re.compile(r"\d{4,5}-\d{3}(?=\s+[A-Z][^\W\d_])")


def _a_dashed_postcode(text: str, match: re.Match[str]) -> bool:
    start = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
    found = _DASHED_POSTCODE.match(text, start)
    told_as_a_phone = _A_PHONE_TOLD.search(text, max(0, start - 30), start) is not None
    return (
        found is not None
        and found.end() >= len(match.group(0).rstrip()) + match.start()
        and not told_as_a_phone
    )


_A_PHONE_TOLD = re.compile(
    r"\b(?:phone|number|mobile|cell|tel|call|ring|whatsapp|text)\b[^.!?\d]{0,15}$", re.I
)

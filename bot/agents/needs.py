"""What a customer needs, read as a small grammar of concept classes (the offline agent's reader).

A message is read the way the human-request detector reads it (escalation/signals.py): its
words are normalised by escalation.spelling (chat spellings, contractions, typos mapped onto
the words below by rapidfuzz, joined words split by wordsegment), then patterns over concept
classes find the needs:

* **needs**: damage, a wrong item, a late parcel, a status question, a refund, an own-site
  price drop, another seller's price to match, a cancellation, a new delivery address;
* **vetoes**: a negated need is not the need ("not a refund"), the customer's own slip is no
  wrong item ("I picked the wrong size"), a question about an earlier refund is a status
  question, not a new refund;
* **understand or ask**: anything else counts only as a `service_request` when a request frame
  ("can you", "is it possible to", "I'd like") is followed by a known English verb and its
  object, and the kind is named from those words ("can you gift wrap it" -> gift_wrap). A word
  the reader does not know never names a kind: the message has no intent, and the agent asks.

When a message states several needs, the first one (in the order written) is the `intent` and
the others are in `also`. Tone (`frustrated`) only shapes the wording of a reply; nothing here
decides an escalation. No product, service or retailer names are listed: another shop is a
concept ("a rival store", "elsewhere") or a capitalised name in a seller's grammar ("Argos has
it for 18", "cheaper at Zalando").
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final, Literal

import lemminflect
from rapidfuzz.distance import OSA

from escalation import spelling
from escalation.identifiers import EMAIL_ADDRESS, extract_identifiers
from escalation.spelling import Lexicon, Token, is_known_word, tokens, words

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
    """The needs a message expresses (if any), with the details an agent acts on."""

    intent: Intent | None = None
    request_kind: str | None = None  # the policy request kind of the intent, if it is one
    service_kind: str | None = None  # the kind of the service request among the needs
    commanded: bool = False  # the service request is a bare command ("upgrade 2051 to express")
    asked_about: str | None = None  # a bare noun asked about an order: "gift receipt for 4410?"
    wants_refund: bool = False  # money back rather than a replacement
    wants_credit: bool = False  # compensation asked for (a late parcel's credit)
    new_address: str | None = None
    name: str | None = None
    frustrated: bool = False
    later_fault: bool = False  # a fault that came after delivery, told with no remedy asked
    not_received: bool = False  # the parcel never reached them: "never came", "nothing at my door"
    refund_amount: float | None = None  # a sum asked back: "please refund me this 23"
    reaction: Reaction | None = None
    about_the_rules: bool = False  # how the shop's rules work, asked in general: no request
    tentative: bool = False  # a return only weighed ("I might send it back"): offered, not done
    also: tuple[Intent, ...] = ()  # further needs stated in the same message, in order
    at: tuple[int, ...] = ()  # where each need (intent, then also) starts in the text

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


def _any(text: str) -> str:
    """A regex alternation of space-separated words; "_" joins the words of a phrase."""
    items = sorted((w.replace("_", " ") for w in text.split()), key=len, reverse=True)
    return r"\b(?:" + "|".join(items) + r")\b"


# -- Concept classes (data) ------------------------------------------------------------------
# Each class is the words of one idea; typos of them are mapped by the lexicon built from them.

_DAMAGE_WORDS = (
    "broken broke smashed shattered cracked crack cracks dented dent dents chipped scratched"
    " scratches scratch crushed squashed bent torn ripped snapped leaking leaks leaked leaky"
    " damaged damage faulty defective busted wrecked destroyed mangled warped stained melted soggy"
    " stains holes"
    " mouldy moldy rotten malfunctioning dead_on_arrival doa in_pieces in_bits fell_apart"
    " falling_apart missing_parts missing_part missing_pieces missing_a_part water_damaged"
    " chip chips crumpled squished buckled splintered hanging_off hanging_out came_apart"
    " peeled peeling peeled_off peeling_off came_off coming_off fell_off come_unstuck came_unstuck"
    " unstitched frayed fraying bashed bashed_in caved_in dinged pulls snags snagged bleach_mark"
    " bleach_marks discoloured discolored split_in_half split_in_two cracked_in_half"
)
# It does not work out of the box, whatever adverb sits in between ("doesn't even turn on").
_NOT_WORKING = (
    r"\b(?:does|do|did|is|are|was|were|will|would|can) not (?:even |really |actually |properly"
    # "if it doesn't work out" is no fault ("doesn't work out of the box" is)
    r" |ever |fully )?(?:work(?! out\b(?! of\b))|working|turn on|switch on|power on|start|charge"
    r"|boot|heat up|light up)\b|\bnot working\b|\barrived dead\b"
)
_WRONG_WORDS = "wrong incorrect"
_WORKING_WORDS = "work working turn switch power start charge boot"
_LATE_WORDS = (
    "lateness overdue delay delayed delays behind_schedule still_waiting still_not_here"
    " still_no_sign no_sign_of taking_forever taking_so_long taking_too_long takes_forever"
    " been_waiting waiting_for_ages waiting_ages waiting_forever lost_in_the_post lost_in_transit"
    " went_missing gone_missing yet_to_arrive never_arrived never_came never_showed_up"
    " never_turned_up never_received never_delivered never_got nowhere_to_be_seen"
)
_ARRIVE_WORDS = (
    "arrive arrives arrived arriving come comes came here get_here gets_here be_here delivered"
    " deliver received receive turned_up turn_up shown_up showed_up show_up reached reach_me"
)
_STATUS_WORDS = (
    "whereabouts track tracking tracked trace status shipped_yet sent_yet dispatched_yet"
    " on_its_way on_the_way out_for_delivery in_transit eta expected_delivery estimated_delivery"
    " expected_arrival delivery_date arrival_date order_confirmation confirm_my_order situation_of"
)
_SHIPPING_WORDS = (
    "shipped dispatched sent sent_out posted left gone_out processed packed ship dispatch"
    " go_out leave delivered arrived"
)
_MONEY_WORDS = (
    "refund refunds refunded refunding money_back my_money reimburse reimbursed reimbursement"
    " money_return money_returned"
    " pay_me_back paid_back chargeback charge_back"
)
_RETURN_WORDS = "return returns returned returning"
_CREDIT_WORDS = "credit compensation compensate compensated voucher goodwill"
_LATENESS: Final = re.compile(r"\b(?:late|delay\w*|overdue|past (?:the|its) due)\b")
_CREDIT_ASKED = (
    # (never one thanked for or received: "thank you for the credit", "got the credit")
    r"(?<!thanks for the )(?<!thank you for the )(?<!thanks for )(?<!thank you for )"
    r"(?<!got the )(?<!received the )(?<!for the )"
    rf"(?<!store )(?<!shop )(?<!account )(?<!site )(?<!gift ){_any(_CREDIT_WORDS)}(?! card)"
    r"|\b(?:something|anything|what \w+ \w+ give me) for"
    r" (?:the|my|all the|this) (?:wait|waiting|delay|trouble|inconvenience|hassle)\b"
    r"|\bdeserve (?:\w+ ){0,3}?(?:dollars|pounds|euros|bucks|quid|credit|compensation|something)\b"
    r"|\bfor (?:waiting|the wait)(?: so| this| that)? long\b"
    # "can you put the 5 on the cushions order too": the credit, on another order
    r"|\bput (?:the |a |that |those )?(?:[$£€] ?)?(?:\d+(?: [.,] \d\d)?|fiver|five) (?:\w+ )?"
    r"(?:on|onto) (?:the |my |that |this )?(?:\w+ ){0,2}?(?:order|account|one)\b"
)
_CANCEL_WORDS = (
    "cancel cancels cancelled canceled cancelling canceling cancellation call_off called_off"
    " withdraw_my_order void_my_order scrap_my_order scrap_the_order scrap"
    " stop_the_order stop_my_order stop_the_shipment stop_the_delivery kill_that_order"
    " kill_the_order kill_my_order kill_this_order axe_the_order nix_the_order ditch_the_order"
)
# A request made earlier, asked about: its status, never a new request.
_EARLIER_WORDS = (
    "refund refunds return returns replacement replacements credit cancellation exchange"
)
_ADDRESS_WORDS = (
    "address addresses delivery_details shipping_details destination postcode post_code zip"
    " zip_code zipcode"
)
_CHANGE_WORDS = (
    "change changed changing update updated correct fix edit amend modify new different another"
    " wrong old moved switch redirect alter swap"
)
_SEND_WORDS = "ship send deliver post mail redirect forward reroute bring"
_PRICE_WORDS = (
    "price prices priced pricing cost costs cheaper cheap cheapest less lower sale dollars pounds"
    " euros bucks deal paid listed"
)
_DROP_WORDS = (
    "dropped drop drops went_down gone_down go_down decreased decrease fell fallen reduced reduce"
    " lowered cut slashed marked_down cheaper now_only now_just"
)
_OWN_SITE_WORDS = (
    "your_site your_website your_web_site your_store your_shop your_page your_app your_own_site"
    " your_own_website your_own_store your_own_shop your_own_page your_own_app on_sale on_offer"
    " your_homepage your_home_page your_own_homepage your_own_home_page your_front_page"
)
_SELLER_WORDS = "shop store site website retailer seller vendor company place supplier outlet"
# A placeholder the reader writes for a capitalised name read as a seller (see _reading).
_NAMED_SELLER: Final = "namedseller"
_OTHER_SELLER = (
    rf"(?:\b(?:another|other|different|rival|local) (?:online )?{_any(_SELLER_WORDS)}s?"
    rf"|{_any('competitor competitors competition elsewhere somewhere_else rival rivals')}"
    rf"|\b{_NAMED_SELLER}\b|\b(?:shop|store) down the (?:road|street)\b)"
)
_OTHER_WORDS = "late match matching beat ordered received difference update news progress possible"
# Verbs and nouns of reaching a person: a request for one is the detector's, never a service.
_PERSON_WORDS = (
    "talk speak chat call phone ring contact reach connect transfer escalate human humans person"
    " people someone somebody anyone anybody agent agents representative rep manager supervisor"
    " operator staff team employee bot robot assistant"
)
_NEGATORS: Final = words("not never no nothing without nor none")
_SELF_SLIP = (
    r"\b(?:oops|whoops|oopsie|my bad|my mistake|typo|mistyped|i meant)\b|\bsorry (?:, )?wrong\b"
    r"|\bwrong (?:one|email|number|address)\b(?= (?:[;,:] )?(?:it is|try|use|should be|i meant)\b)"
)

# Small closed classes of English grammar (not concepts): they never name a request.
_FUNCTION: Final = words(
    "a an the this that these those some any my our your his her their its it them they me us"
    " you i we he she him one mine ours yours of for on in at by to from with into onto about as"
    " under"
    " and or but so if then than because when while is are was were be been am do does did have"
    " has had will would can could should may might must shall please just also maybe possibly"
    " kindly really actually still even least again too very much more here there now today"
    " soon asap yet already not no something anything everything nothing what which who whom"
    " whose where when why how"
)
_PARTICLES: Final = words("up off out back over down away")
# Verbs with no meaning of their own in a request: the object names it ("do you do X").
_LIGHT_VERBS: Final = words(
    "get have do offer provide give buy order purchase make sell stock carry arrange book request"
)
# Verbs that ask for help in general, not for a service ("can you help", "could you check").
_VAGUE_VERBS: Final = words(
    "help assist check look find see tell know explain let sort fix resolve handle deal answer"
    " respond reply confirm verify understand wait hurry go try say think list show mean"
    " reveal display select read repeat print save spare process approve accept allow grant need"
)
_DELIVERY_VERBS: Final = words(_SEND_WORDS + " sent delivered shipped posted dispatch")
_PURCHASE_VERBS: Final = words("buy order purchase get have shop")
_PAPERS: Final = words("invoice invoices receipt receipts")  # "I need the invoice in euros"
_BUYING: Final = words("buy purchase")
# What a customer does with their own thing: wished for with it, no request of the shop.
_OWN_ACTS: Final = words(
    "use wear give keep bring take play try ride cook read wrap hang"
)  # "can I buy just that part?": a thing to be sold
_PERSON: Final = words(_PERSON_WORDS)
# What the customer bought, however it is called: never the name of a request.
_PURCHASE: Final = words(
    "order orders item items purchase product products parcel package stuff thing things shipment"
)

# The words the classes above are made of (every *_WORDS string): typos are mapped onto them.
_LEXICON: Final = Lexicon(
    words(" ".join(v for k, v in dict(globals()).items() if k.endswith("_WORDS")).replace("_", " "))
)


# -- Reading the message ---------------------------------------------------------------------

_URL: Final = re.compile(r"https?://\S+|www\.\S+", re.I)
_QUOTED: Final = re.compile(
    r"(?<![\w'])'[^'\n ]+ [^'\n]{1,60}'(?![\w'])|\"[^\"\n ]+ [^\"\n]{1,80}\""
    r"|[\u2018\u201c][^\u2019\u201d\n ]+ [^\u2019\u201d\n]{1,80}[\u2019\u201d]"
)
# Capitalised words that are no seller: days, months and the sales named after them.
_NOT_SELLERS: Final = frozenset(
    n.lower() for n in (*calendar.day_name, *calendar.month_name, *calendar.day_abbr) if n
) | words("black cyber christmas easter boxing prime")
_WEEKDAYS: Final = frozenset(d.lower() for d in calendar.day_name)
_SELLER_VERBS: Final = words("has have had sells sell sold lists offers 's")
_SELLER_PREPOSITIONS: Final = words("at on from with")


@dataclass(frozen=True, slots=True)
class _Reading:
    """The normalised words on one line, and where in the raw text each word starts."""

    line: str
    starts: tuple[int, ...]

    def offset(self, position: int) -> int:
        """The raw-text offset of the word at `position` in `line`."""
        index = self.line.count(" ", 0, position)
        return self.starts[min(index, len(self.starts) - 1)] if self.starts else 0


def _same_length(replacement: str) -> Callable[[re.Match[str]], str]:
    # Offsets into the raw text must survive the substitution.
    return lambda match: replacement.ljust(len(match.group()))[: len(match.group())]


@lru_cache(maxsize=1024)
def _reading(text: str) -> _Reading:
    """The message's normalised words on one line; quoted "> " lines are someone else's.

    A capitalised word after "at/on/from/with" or before "has/sells/'s" (no weekday, month or
    word of grammar) is a seller's name: it is read as one placeholder word. A name of several
    capitalised words ("Alpine Outlet has") is read by the word after all of them.
    """
    plain = _URL.sub(_same_length(""), EMAIL_ADDRESS.sub(_same_length("email"), text))
    # words to be printed or engraved, in quotes: what they say is no part of the request
    plain = _QUOTED.sub(_same_length("text"), plain)
    out: list[str] = []
    starts: list[int] = []
    offset = 0
    for line in plain.split("\n"):
        if not line.lstrip().startswith(">"):
            found = _rejoined(list(tokens(line, offset, _LEXICON)))
            for i, token in enumerate(found):
                before = found[i - 1].word if i else ""
                j = i + 1
                while j < len(found) and _capitalised(plain, found[j]):
                    j += 1
                if j < len(found) - 1 and found[j].word in ("online", "now", "currently"):
                    j += 1  # "KitchenCorner online sells the same cooker for 109"
                after = found[j].word if j < len(found) else ""
                named = (
                    plain[token.start].isupper()
                    and token.word.isalpha()
                    and token.word not in _FUNCTION
                    and token.word not in _NOT_SELLERS
                    and token.word not in _LEXICON.words
                    and (before in _SELLER_PREPOSITIONS or after in _SELLER_VERBS)
                )
                for word in (_NAMED_SELLER if named else token.word).split():
                    out.append(word)
                    starts.append(token.start)
        offset += len(line) + 1
    return _Reading(" ".join(out), tuple(starts))


def _capitalised(text: str, token: Token) -> bool:
    return text[token.start].isupper() and token.word.isalpha()


def _rejoined(found: list[Token]) -> list[Token]:
    """A need's word split in two ("re turn", "can cel", as speech to text writes them) is
    read whole; two words that are each the needs' own stay apart."""
    out: list[Token] = []
    for token in found:
        last = out[-1] if out else None
        joined = last.word + token.word if last else ""
        if (
            last is not None
            and last.end + 1 == token.start
            and min(len(last.word), len(token.word)) > 1
            and len(joined) > 4
            and joined in _LEXICON.words
            and not (last.word in _LEXICON.words and token.word in _LEXICON.words)
        ):
            out[-1] = Token(joined, last.start, token.end)
        else:
            out.append(token)
    return out


# -- Needs: patterns over the normalised line ------------------------------------------------

_DIGITS = r"\w*\d\w*"
_NEAR = r"(?: \S+){0,6}? "  # within six words
_SAME_MESSAGE = r"(?: \S+){0,40}? "  # later in the message (bounded: linear on long text)
_ORDER = (
    rf"(?:it|they|this|that|(?:my|the|our|this) (?:\w+ ){{0,2}}?\w+|order (?:number )?{_DIGITS}"
    rf"|\w+ 's (?:\w+ )?\w+|(?:number |no |nr )?{_DIGITS})"  # "lily's scooter", "# 5111"
)

# A question about a request made earlier ("did my refund go through?") asks for a status.
_EARLIER = rf"(?:my|the|that|our) (?:\w+ )?{_any(_EARLIER_WORDS)}"
_EARLIER_REQUEST = (
    rf"{_EARLIER} (?:\w+ ){{0,3}}?(?:went|gone|go|going|been|come|came|got|gotten|not been"
    r"|still not) (?:through|processed|issued|sent|approved|received|done|back)\b"
    r"|\b(?:status|update|news|progress|happening with|going on with|happened (?:to|with))"
    rf" (?:of |on |about )?{_EARLIER}|\bwhere is {_EARLIER}"
    r"|\b(?:you|you guys|your \w+|the \w+) (?:have |had )?(?:get|got|receive|received|process"
    rf"|processed) {_EARLIER}|\b(?:not|never) (?:yet )?(?:received|got|gotten|had|seen) (?:my"
    rf"|the|a|any) {_any(_EARLIER_WORDS)}"
    # when it reaches them, or that it has not: "when will the refund reach my account", "the
    # refund for 1042 to my card hasn't come"
    r"|\bwhen (?:will|would|does|do|should|can|is) (?:i (?:get|see|receive) )?"
    rf"{_EARLIER}(?: \w+){{0,3}}? (?:reach|arrive|come|show|appear|be|land|hit|clear|go)\b"
    rf"|{_EARLIER}(?: \w+){{0,5}}? (?:has |have |is |are |still )*(?:not|never) (?:yet )?"
    r"(?:come|arrived|shown|appeared|reached|landed|cleared|gone)\b"
)
# A new delivery address: changed, wrong or new; the parcel sent elsewhere; the customer moved.
_NOT_POSTAL = r"(?<!email )(?<!mail )"
_ELSEWHERE = (
    r"(?:a different|another|my new|a new|(?:my|our) (?!email|inbox|account)\w+(?: 's)?"
    r"(?: \w+){0,2} (?:[,;:.] )?(?:at )?\d|(?:my|our|her|his|their) (?:work|office|home|new|flat"
    r"|house|place|job|workplace|studio|shop|school|uni|university|college|hotel|cabin|moms|mums"
    r"|parents)\b|(?:my|our|her|his|their) (?:\w+ )?(?:warehouse|depot|branch|premises"
    r"|headquarters|hq|site|office|store|unit)\b|\d"
    r"|(?:my|our|her|his|their|a) \w+ 's\b"
    r"|the (?:new|other) (?:place|house|flat|home|office|address)\b"
    r"|the (?:job|work|building|construction) site\b"
    # street, number, postcode: "kungsgatan 4 , 111 43"
    r"|(?:[a-z]+ ){1,3}\d+[a-z]?(?: [,;] \w{1,4})? (?:[,;] )?\d{3}"
    r"|(?:flat|apartment|apt|unit|suite|house|number|no) \d|somewhere else|elsewhere"
    r"|a different (?:place|address|location))"
)
_GOING = " be_sent be_delivered be_shipped be_posted go goes went"
_ADDRESS_ASKED = (
    # "please change it to 88 Canal Street": changed to a house number is an address
    rf"{_any(_CHANGE_WORDS)} (?:(?:it|this|that|(?:my|the|this) (?:\w+ )?\w+"
    rf"|(?:order )?{_DIGITS}) )?to \d+[a-z]?"
    r" (?:\w+ ){1,3}(?:street|st|road|rd|lane|ln|avenue|ave|drive|dr|way|close|court|place"
    r"|crescent|terrace|square|gardens|grove|hill|park|row|mews|boulevard|blvd|wharf|quay)\b"
    # a number, words, a comma and more of the place: "change it to 45 Tran Hung Dao, District 1"
    rf"|{_any(_CHANGE_WORDS)} (?:it|this|that|(?:my|the|this) (?:\w+ )?\w+|(?:order )?{_DIGITS})"
    r" to \d+[a-z]? (?:[a-z]+ ){1,3}[a-z]+ , (?!(?:please|pls|thanks|thank|and|if|as|because"
    r"|instead|so|but|or)\b)[a-z]+"
    r"|"
    # "can it go straight to the club instead?"
    r"\b(?:can|could) (?:it|they|(?:the|my) \w+) (?:go|be sent|be delivered|be shipped|come)"
    r"(?: \w+){0,4}? (?:to|at) (?:\w+ ){0,3}?\w+ instead\b|"
    rf"{_any(_CHANGE_WORDS)} (?:\w+ ){{0,4}}?{_NOT_POSTAL}{_any(_ADDRESS_WORDS)}"
    rf"|{_NOT_POSTAL}{_any(_ADDRESS_WORDS)} (?:\w+ ){{0,3}}?(?:is wrong|changed)"
    # "address change pls", "change of address for 5512"
    rf"|{_NOT_POSTAL}{_any(_ADDRESS_WORDS)} (?:change|update|correction)\b"
    rf"|\bchange of {_any(_ADDRESS_WORDS)}"
    rf"|{_any(_SEND_WORDS + _GOING)}(?: (?:it|them|(?:that|this|the other) one"
    rf"|this|that|(?:my|the|this) (?:\w+ )?\w+|(?:order (?:number )?)?{_DIGITS}))?"
    r"(?: ; [^;]{1,60}? ;)?"
    rf"(?: ; (?:order (?:number )?)?{_DIGITS} ;| (?:from|in|on) (?:order )?{_DIGITS})? (?:to|at)"
    rf" {_ELSEWHERE}"
)
# Moving house told: an address change, unless the message asks for something else.
_MOVED = r"\b(?:i|we) (?:have |had |just |recently |only )*moved\b|\b(?:moved|moving) house\b"
# Someone of the customer's as where it should go: "send it to my sister" (never a report of
# where it went: "the parcel went to my neighbour")
_KIN = (
    r"(?:my|our|his|her) (?:sister|brother|mum|mom|mother|dad|father|parents|son|daughter|friend"
    r"|neighbour|neighbor|wife|husband|partner|grandma|grandmother|grandad|grandfather|aunt|uncle"
    r"|cousin|colleague|boss|office|work)\b"
)
# "I want it delivered to my sister": a wish for where it goes
_WANTED_ELSEWHERE = (
    r"\b(?:want|need|like|have|get) (?:it|them|this|that|(?:the|my) (?:\w+ ){0,5}?\w+|order \w+"
    r"|an order)"
    r" (?:delivered|sent|redirected|rerouted|forwarded|diverted"
    rf"|shipped|posted) (?:to|at) (?:{_ELSEWHERE}|{_KIN})"
    rf"|\b(?:send|deliver|ship|post|redirect|forward)(?: it| them| this| that| order \w+| the \w+)?"
    rf" to {_KIN}"
    # "can the webcam be redirected to my office at 10 Park Row"
    r"|\b(?:be|get|gets|have it|have them) (?:redirected|rerouted|forwarded|sent|delivered|shipped"
    rf"|posted) (?:instead )?(?:to|at) (?:{_ELSEWHERE}|{_KIN})"
    r"|\b(?:send|sent|deliver|delivered|ship|shipped|post|posted|redirect|forward)(?: it| them"
    r"| this| that| order \w+| the \w+)? (?:somewhere else|elsewhere|to a different place)\b"
)
# "order 5 should come to Nygatan 3, 211 45 Malmo": coming to a street address is where it goes.
_COMING_TO_AN_ADDRESS = (
    r"\bcomes? to (?=[a-z]+ \d+[a-z]? (?:[,;] )?\d{3})"
    # "can it come to the new place instead?"
    r"|\b(?:comes?|go|goes) (?:to|at) (?:the (?:new|other)|my new|our new|a different|another)"
    r" (?:place|house|flat|home|office|address|apartment)\b"
)
# "can you change where the cables are going": where it goes, asked to change
_WHERE_IT_GOES = (
    rf"{_any(_CHANGE_WORDS)} where (?:\w+ ){{0,4}}?(?:(?:is|are|was|were|gets|get|will)"
    r" (?:be |being )?(?:going|sent|delivered|shipped|headed|heading|go)|goes|go)\b"
)
_ADDRESS_CHANGE = (
    rf"{_ADDRESS_ASKED}|{_MOVED}|{_COMING_TO_AN_ADDRESS}|{_WANTED_ELSEWHERE}|{_WHERE_IT_GOES}"
)
# Another seller's price: "price match", "match their price", or a seller with a price.
_PRICE_OR_MATCH = (
    rf"(?:{_any(_PRICE_WORDS)}|\bmatch\w*|\bbeat|\bfor (?:only |just )?\d|\b(?:is|was|are"
    r"|were) (?:only"
    r" |just |now )?\d)"
)
_COMPETITOR = (
    r"\bprice match\w*|\b(?:match|beat) (?:it|that|them|the same)\b(?! (?:up|with|to)\b)"
    r"|\b(?:match|beat)\w* (?:\w+ 's )?(?:the |their |that |this |its |a |a lower"
    r" |a cheaper |the other \w+ 's )?(?:price|prices|deal|offer)\b"
    rf"|{_OTHER_SELLER}(?={_SAME_MESSAGE}{_PRICE_OR_MATCH})"
    rf"|{_PRICE_OR_MATCH}(?={_SAME_MESSAGE}{_OTHER_SELLER})"
)
_LOWER = " now less lower"
# Our own price went down: a price word near a drop word, or our site with a lower price.
_PRICE_NOW = (
    # "you are selling the same thermometer for 27 now"
    r"(?:\byou (?:are|were) (?:now )?(?:selling|listing|offering) (?:\S+ ){0,4}?for"
    r" (?:only |just )?[$£€]?\d[\d.,]*(?: now)?\b|"
    r"\b(?:is|are|it is|costs?|selling for|going for|priced at|down to) (?:only |just )?[$£€]?"
    r"\d[\d.,]*(?: dollars| pounds| euros| bucks| quid)? now\b"
    r"|\bnow (?:it is |is |costs |only |just |at |for |down to )"
    r"(?:only |just )?[$£€]?\d)"
)
_SITE_SHOWS = (
    r"(?:\b(?:the|your) (?:site|website|web site|app|webshop|online shop|online store) (?:now )?"
    r"(?:says|shows|lists|has|is)(?: it| them)?(?: (?:for|at|only|just))? [$£€]?\d\S*"
    # "it's sitting on your own site at 95"
    r"|\bon (?:your|the) (?:own )?(?:site|website|web site|app|webshop|homepage|page) (?:now )?"
    r"(?:at|for) (?:only |just )?[$£€]?\d)"
)
# an amount of money, not a count of days: "249", "$19.99", "45€"
_A_PRICE: Final = (
    r"[$£€]?\d[\d.,]*(?: ?(?:eur|euros?|usd|dollars?|quid|bucks|pounds?)|[$£€])?"
    r"(?! ?(?:days?|weeks?|months?|hours?|am|pm|st|nd|rd|th|x|pcs|of|items?|pieces?)\b)"
)
_PRICE_DROP = (
    r"\bprice (?:adjustment|protection|difference)\b|\bdifference (?:back|refunded)\b"
    # "went from 149 down to 129", "dropped from 40 to 32"
    r"|\b(?:went|gone|come|came) (?:down from (?:\S+ ){1,3}?to|from (?:\S+ ){1,3}?down to)\b"
    r"|\b(?:dropped|fell|reduced|cut|lowered|slashed) from (?:\S+ ){1,3}?to\b"
    # "can you knock something off since it's cheaper on your site now"
    r"|\b(?:adjust|lower|reduce|correct) (?:the |my )?price (?:on|of|for) (?:my|the|this|that|it"
    r"|order)\b"
    r"|\b(?:knock|take) (?:something|a bit|a little|some money|some|the difference|\S+) off\b"
    r"(?=.*\b(?:cheaper|price|sale|reduced|less|lower)\b)"
    r"|\b(?:refund|give|get|have|credit|receive) (?:me )?(?:back )?the (?:price |\S*\d\S* )?"
    r"(?:difference"
    r"|gap)"
    r"|\bpay (?:me )?back the (?:price )?difference"
    rf"|{_any(_PRICE_WORDS)}(?={_NEAR}{_any(_DROP_WORDS)})"
    rf"|{_any(_DROP_WORDS)}(?={_NEAR}{_any(_PRICE_WORDS)})"
    rf"|{_any(_OWN_SITE_WORDS)}(?={_SAME_MESSAGE}{_any(_DROP_WORDS + _LOWER)})"
    rf"|{_any(_DROP_WORDS + _LOWER)}(?={_SAME_MESSAGE}{_any(_OWN_SITE_WORDS)})"
    rf"|{_any(_OWN_SITE_WORDS)}(?={_SAME_MESSAGE}(?:paid|pay) \d)"
    rf"|\b(?:paid|pay) \d\S*(?={_SAME_MESSAGE}{_any(_OWN_SITE_WORDS)})"
    # a difference told: "it's 30 cheaper now", "20 less on your site today"
    rf"|{_A_PRICE} (?:cheaper|less|lower)(?: \S+){{0,3}}?"
    r" (?:now|today|on (?:your|the) (?:web)?site)\b"
    # two prices told, today's and the one paid: "it's now 249, I paid 299", "bought it for 140
    # and it's 115 on your site today"
    rf"|\b(?:now|today|currently) (?:at |for |only |just )?{_A_PRICE}"
    rf"(?=(?: \S+){{0,25}}? (?:paid|pay|payed) {_A_PRICE})"
    rf"|\b(?:is|it's|its|it is|costs?|they're|are) (?:now |only |just )?{_A_PRICE}"
    rf"(?=(?: \S+){{0,4}}? (?:now|today|currently|on (?:your|the) (?:web)?site)\b)"
    rf"(?=(?: \S+){{0,25}}? (?:paid|pay|payed) {_A_PRICE})"
    rf"|\b(?:paid|pay|payed|bought (?:\S+ ){{0,8}}?for|ordered (?:\S+ ){{0,8}}?for) {_A_PRICE}"
    rf"(?=(?: \S+){{0,30}}? (?:is|it's|its|it is|costs?|now|only) (?:now |only |just )?"
    rf"{_A_PRICE}(?: \S+){{0,4}}? (?:now|today|currently|on (?:your|the) (?:web)?site)\b)"
    # "you're selling it for 21 now. I paid 25": our own price, lower
    r"|\bsell(?:ing)? (?:it|them|the \w+) (?:for|at) (?:only "
    r"|just )?\d\S*(?=(?: \S+){0,40}? paid \d)"
    r"|\bpaid \d\S*(?=(?: \S+){0,40}? sell(?:ing)? (?:it|them|the \w+) (?:for|at) (?:only "
    r"|just )?\d)"
    # "the keyboard is 40 now and I paid 50", "I paid 20 and it's 15 now": a price today, lower
    rf"|{_PRICE_NOW}(?={_SAME_MESSAGE}(?:i |we )?paid [$£€]?\d)"
    rf"|\bpaid [$£€]?\d\S*(?={_SAME_MESSAGE}{_PRICE_NOW})"
    # "I paid 29 and now the site says 24": the price our site shows today
    rf"|\bpaid \d\S*(?={_SAME_MESSAGE}{_SITE_SHOWS})|{_SITE_SHOWS}(?={_SAME_MESSAGE}paid \d)"
    # "I bought the jacket last week for 120 and today it's on your own site at 95"
    rf"|\b(?:bought|ordered|got) (?:\S+ ){{0,6}}?for \d\S*(?={_SAME_MESSAGE}{_SITE_SHOWS})"
    r"|\b(?:dropped|reduced|gone down|come down|down) by \S+(?: \S+)? (?:quid|pounds|dollars|euros"
    r"|bucks)\b"
    # cheaper now than it was bought for, no other seller named: "cheaper now than when I bought it"
    r"|\b(?:cheaper|less|lower|reduced|dropped)(?: \w+){0,3}? (?:than|since) (?:when )?(?:i|we)"
    r" (?:bought|ordered|paid|got)\b"
)
# Something other than what was ordered came: "wrong size", "not what I ordered", "ordered X but
# got Y", "sent me a toaster instead", "a different colour came". Non-native present forms too.
_GOT = r"(?:got|received|came|arrived|delivered|shipped|sent|given)"
_ORDERED = r"(?:ordered|asked for|bought|paid for|wanted|picked|chose|selected)"
_NOT_AN_ITEM = (
    "address email number account name phone postcode details card way time person price amount"
    " total charge date with about and but or so here there again though too then now please"
)
_COLOURS = (
    r"(?:black|white|red|blue|green|grey|gray|pink|brown|beige|navy|yellow|purple|orange|silver"
    r"|gold|cream|khaki|olive|teal|burgundy)"
)
_WRONG_ITEM = (
    rf"{_any(_WRONG_WORDS)} (?!{_any(_NOT_AN_ITEM)})[a-z]"
    rf"|\bthe (?!{_any(_NOT_AN_ITEM)})\w+ (?:is|are|was|were) (?:wrong|incorrect)\b"
    rf"|\bnot (?:what|the \w+(?: that)?) (?:i|we) (?:{_ORDERED}|order|buy|choose)"
    rf"|\bnot (?:\w+ ){{1,3}}?(?:what|that|which) (?:i|we) (?:{_ORDERED}|order|buy|choose)\b"
    r"|\bis not (?:mine|ours)\b|\bnever ordered\b|\bdid not order\b"
    r"|\b(?:is|are|was|were) not (?:my|our) (?:order|item|parcel|package|stuff|things?)\b"
    # what the box holds, after what was ordered: "i order shoes 42, but in the box is size 38"
    # "inside is a set of resistance bands?? I ordered a mat"
    r"|\b(?:box|package|parcel) (?:had|has|contained|contains|held) (?:a|an|some|just|only|two"
    r"|three|\d+)\b(?=.*\b(?:i|we) (?:ordered|bought|paid for|wanted)\b)"
    r"|\b(?:i|we) (?:ordered|bought|paid for) [^.?!]{1,80}? but (?:the |my )?(?:box|parcel|package"
    r"|delivery) (?:had|has|contained|contains|held|was)\b"
    rf"|\b(?:i|we) (?:{_ORDERED}|orderd|ordred|bought|paid for) [^.?!]{{1,80}}? (?:and|but)"
    r" (?:i |we )?(?:got|received|they sent|you sent|you guys sent) (?:a|an|some)\b"
    r"|\b(?:it is|they are|this is|that is|there was|there is|got)"
    r" (?:(?:a|an|some|just) |(?!(?:fine|ok|okay|good|great|nice|lovely|alright|not|really|so"
    r"|very|too|still|also|just)\b))(?:\w+ ){1,4}?"
    r"(?:[,;] )?(?:not|instead of|rather than) (?:the|a|an|my|our) (?:\w+ ){0,5}?(?:i|we)"
    r" (?:ordered|bought|wanted|paid for|chose)\b"
    r"|\binside (?:the (?:box|package|parcel) )?(?:is|was|are|were|there (?:is|was)) (?:a|an|some"
    r"|just|only)\b(?=.*\b(?:i|we) (?:ordered|bought|paid for|wanted)\b)"
    r"|\bbut (?:in|inside) (?:the |my |this )?(?:box|package|parcel|bag|packet|envelope)(?: there)?"
    r" (?:is|was|are|were)\b"
    r"|\b(?:someone|somebody) else 's\b|\bmix(?:ed)? ?up\b"
    # one colour ordered, another came: "I order the jacket black, arrive white"
    rf"|\b(?:order|ordered|orderd|buy|bought|chose) (?:the |a |an )?(?:\w+ ){{0,3}}?(?:in )?"
    rf"(?P<ordered_colour>{_COLOURS})\b[^.?!]{{0,20}}? (?:arrive[sd]?|came|come|comes|got"
    rf"|received|delivered|sent) (?:in |as |a |an )?(?:\w+ )?(?!(?P=ordered_colour)\b){_COLOURS}\b"
    r"|\b(?:send|give|get|have|need|want|arrange|ship|deliver)(?: me| us)? (?:the |a )?(?:correct"
    r"|right|rite)"
    r" (?!address|email|number|account|amount|price|date|time|person)\w+"
    r"|\b(?:inside|in it|in the (?:box|package|parcel)) (?:there )?(?:is|was|are|were) not\b"
    rf"|\bis not (?:the|a|an|my) \w+(?: \w+)? (?:i|we) (?:{_ORDERED}|order|buy)\b"
    r"|\b(?:sent|gave|shipped|packed|mailed|posted|got|received|came|arrived|showed up|turned up"
    r"|shown up|landed)(?: \w+){0,6}"
    # (a day instead of another is no item: "it came late instead of monday")
    r" instead\b(?! of (?:on )?(?:the )?(?:\w+day|\d|time|date|week|weekend)\b)"
    rf"|\b{_ORDERED} (?:\S+ ){{1,6}}?(?:but |and |yet |, )(?:i |we )?(?:{_GOT}"
    r"|you sent|they sent|it came|it is|this is|what came|(?:a|an|the) \w+ came"
    r"|what (?:is|was|'s) (?:in|inside) (?:the |my )?(?:box|package|parcel))\b"
    r"(?! (?:late|yet|on time|today|yesterday|this morning|at last|eventually|finally|early|fine"
    # "~": a need already read follows; a number: "I bought it at 65 and it is 55 now" is a
    # price, not what came
    r"|dropped|down|cheaper|reduced|now|less)\b| ~| [$£€]?\d+(?:[.,]\d+)?(?![\w.,]))"
    # what came, then what was ordered: "you sent the 12V drill. I paid for the 18V", "it came
    # in grey, I ordered black"
    rf"|\b(?:you sent|(?:came|arrived) in(?! (?:a|an|the|one|time|pieces|bits)\b)"
    rf"|{_GOT} (?:the|a|an))(?: [\w']+){{0,5}}? [.,;:!]? ?(?:but )?"
    r"(?:i|we) (?:ordered|paid for|wanted|asked for|chose|picked)\b(?! (?:it|them|this|that|one"
    r"|on|last|yesterday|in|from|online|twice|again|\w+day)\b)"
    # "I ordered a blender and there was a juicer in the box"
    rf"|\b{_ORDERED} (?:\S+ ){{1,8}}?(?:but|and|yet) (?:there (?:was|is)|(?:i |we )?(?:got|found"
    r"|received)) (?:a|an|some) (?!(?:delay|problem|issue|note|letter|receipt|invoice)\b)\w+"
    rf"|\b{_ORDERED} (?:\S+ ){{1,12}}?(?:but|and|yet) (?:\S+ ){{0,4}}?what (?:arrived|came"
    r"|showed up|shown up|landed"
    r"|turned up|was delivered|was sent)\b(?! (?:late|yet|on time))"
    # in any tense: "I order red mixer but black one is come"
    r"|\b(?:i|we) (?:order|buy|ordered|bought) (?:\S+ ){1,6}?but (?:a |an |the )?(?!(?:it|nothing"
    r"|they|this|that|i|we|he|she|you|someone|somebody|parcel|package|order|delivery|box"
    r"|courier|driver) )\w+(?: \w+)? (?:is |was |has )?"
    r"(?:come|came|arrived|sent)\b(?! late| yet| on time)"
    # ("arrived within days of one another" is no other thing)
    rf"|\b(?:{_GOT}|get|receive|come)(?: \w+){{0,5}}? (?:different|(?<!one )another)"
    r" (?!address|house|place|door|day|date|time|courier|driver|person|man|woman|guy|number|email"
    r"|phone|call|message)[a-z]"
    r"|\b(?:item|thing|product|one|what is|what was) in (?:the|my) (?:box|parcel|package)"
    r" (?:is|was) (?:\w+ )?(?:different|not (?:it|mine|right))\b"
    # what came differs in what it is: "a different colour came", "what arrived was a six piece
    # set in a different pattern altogether"
    r"|\b(?:different|another|other) (?:colou?r|size|pattern|model|design|style|version|shade"
    r"|finish)s?(?: \w+)? (?:came|arrived|was sent|was delivered|turned up|showed up)\b"
    rf"|\b{_GOT}(?: \S+){{0,20}}? (?:different|another|wrong) (?:colou?r|size|pattern|model"
    r"|design|style|version|shade|finish)\b"
    # "the label says 42, but the boots inside are 38s"
    r"|\bbut (?:the |my )?\w+ (?:inside|in the box|in the bag|in the parcel) (?:is|are|was|were)\b"
    # "could the pen I actually ordered be sent?": what came was something else
    r"|\b(?:the|my) (?:\w+ ){1,3}?(?:i|we) (?:actually|originally|really) (?:ordered|paid for"
    r"|bought|chose)\b"
    # "I did not choose this colour", "came in grey, not sage green like I ordered"
    r"|\b(?:did|do) not (?:choose|order|pick|select|want|ask for) (?:this|that|these|those|the)"
    r" (?:colou?r|size|one|model|item|pattern|style|version|shade|design)\b"
    rf"|\bnot (?:the )?(?:\w+ ){{0,2}}?\w+ (?:like|as) (?:i|we) {_ORDERED}\b"
)
# The parcel is late or missing (not "too late to cancel": that is about the cancellation).
_LATE = (
    # (a lateness foretold is no late parcel: "it will be late for sure")
    r"\b(?<!too )(?<!will be )(?<!going to be )(?<!might be )(?<!gonna be )late\b(?! to\b)"
    rf"|{_any(_LATE_WORDS)}|\bnot (?:yet )?(?:been )?"
    rf"{_any(_ARRIVE_WORDS)}(?! (?:back|up|out|off|loose|apart|through)\b)"
    r"|\b(?:should|supposed to|suppose to|meant to|was due to|were due to)"
    rf" (?:have )?(?:be |been )?{_any(_ARRIVE_WORDS)}(?! (?:to|at) )"
    # nothing came where it should be: "nothing at my door", "no parcel on the porch"
    r"|\b(?:nothing|no (?:parcel|package|box)) (?:was |is |there )?(?:at|on|outside|in) (?:my|the"
    r"|our) (?:front )?(?:door|doorstep|porch|mailbox|letterbox|house|flat|building)\b"
    r"|\b(?:was|were) due\b"
    r"|\b(?:past|after|missed) (?:the |its )?(?:promised |due |expected |estimated )?"
    r"(?:delivery )?(?:date|day)(?: you (?:promised|gave))?(?<!the date)(?<!the day)"
    r"|\b(?:date|day) you (?:promised|gave)\b|\blater than (?:promised|you|expected)\b"
    r"|\b(?:you )?promised(?: (?:delivery|it|them|to deliver))? (?:by|for|on|before)\b"
    r"|\b(?:delivery|due|promised|expected|estimated) (?:date|day) (?:has )?(?:passed|came and went"
    r"|come and gone|is gone|went by)\b"
    r"|\b(?:would|should|was going to|were going to) (?:be )?(?:with (?:me|us)|here|delivered"
    r"|arrive|come) by (?:the day before yesterday|yesterday|last \w+)\b"
    r"|\b(?:been|waited|waiting) (?:for )?ages\b|\bno (?:parcel|package|delivery)\b"
    r"|\bnothing (?:came|arrived|turned up|showed up|was delivered)\b|\bbut there (?:was"
    r"|is) nothing\b"
    # a day promised and gone: "you promised delivery for monday, now is thursday"
    r"|\bpromised (?:\w+ )?(?:for|by|on) (?:a )?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"|\b(?:days|weeks|months) (?:now )?(?:and|but) (?:still )?(?:nothing|no sign|not here)\b"
    r"|\bfor (?:the|my|all the|all this) (?:wait|waiting)\b|\b(?:was|were) promised (?:for|by|on)\b"
    r"|\bwaiting (?:for |on )?(?:my|the|our) "
)
# The parcel never reached the customer (said of it, not asked): its arrival denied.
_NOT_RECEIVED: Final = re.compile(
    rf"\b(?:not|never) (?:yet )?(?:been )?(?:{_any(_ARRIVE_WORDS)}|got|gotten|seen|had)\b"
    r"(?! on time\b)|\bnothing (?:came|arrived|turned up|showed up|was delivered)\b"
    r"|\bbut there (?:was|is) nothing\b"
    r"|\b(?:nothing|no (?:parcel|package|box)) (?:was |is |there )?"
    r"(?:at|on|outside|in) (?:my|the|our) (?:front )?(?:door|doorstep|porch|mailbox|letterbox"
    r"|house|flat|building)\b"
)
_CANCEL = (
    r"\bpull the plug\b|"
    r"\bstop (?:the|my|this|that) (?:\w+ ){0,3}?(?:order|delivery|shipment)\b|"
    # "can you undo my order", "put a stop on the blender order", "can I back out of the order"
    r"\b(?:undo|pull|back out of|put a stop on|put a stop to|halt) (?:the |my |this |that )?"
    r"(?:\w+ ){0,2}?(?:order|purchase)\b|"
    r"\bundo (?:the|my) (?!(?:last|change|changes|edit|address|email|message|that)\b)\w+\b|"
    # "can you catch it before it leaves your warehouse?"
    r"\bcatch (?:it|them|the \w+|my \w+) before (?:it|they) (?:leaves?|goes|go|ships?|is sent"
    r"|are sent|gets sent|is dispatched)\b|"
    rf"{_any(_CANCEL_WORDS)}|\bnot (?:want|need)\b(?={_NEAR}(?:any ?more|any longer)\b)"
    r"|\bno longer (?:want|need)\b|\b(?:stop|halt|hold) (?:\S+ ){1,3}?before (?:it|they) (?:\w+ )?"
    r"(?:ships?|shipped|goes|go|leaves?|dispatched|sent|posted)\b"
)
_REFUND = (
    # "do I need to send it back?" asks whether, it asks for no refund
    r"(?<!do i need to )(?<!do i have to )(?<!should i )(?<!must i )"
    rf"(?:{_any(_MONEY_WORDS)}|{_any(_RETURN_WORDS)}(?! (?:policy|address|label|customer|time"
    r"|window|period|deadline|date|limit))"
    r"|\b(?:send|take|ship|bring|give|post|mail)"
    r" (?:(?!(?:when|i|we|am|till|until|once|after|before) )\w+ ){0,5}?back\b(?! to me)"
    # the money itself put back: "just put the 189 back on my card", "put the 59 back"
    r"|\b(?:put|pay|transfer) (?:the |my |that |this )?(?:\d+(?: [.,] \d\d)?|money|cash|amount"
    r"|funds|payment) back\b"
    # "can the rug from 5102 go back too?"
    r"|\b(?:can|could|may) (?:it|they|this|that|(?:the|my) (?:\w+ ){0,4}?\w+) (?:go|be sent"
    r"|be taken)"
    r" back\b(?! to [a-z]))"
)
# Where it is, whether it shipped, when it comes, any news.
_STATUS = (
    # in time for a day: "if they will get here before saturday", "will it arrive by friday?"
    r"\b(?:if|whether|will) (?:it|they|(?:the|my|our|her|his) \w+)(?: will)? (?:get here|get there"
    r"|arrive|come|be here|be there|make it|reach (?:me|us|her|him))(?: in time)? (?:before|by)"
    r" (?:\w+day|tomorrow|the weekend|next \w+|the \d+\w*|christmas|xmas)\b|"
    r"\bwhere (?:on earth |the hell |the heck |exactly )?(?:is|are) (?!you\b)"
    rf"|\bwhere (?:my|our|it|they)\b|\bwhere (?:order )?{_DIGITS} (?:is|are)\b"
    r"|\bwhere (?:the|order) (?:\w+ ){0,3}"
    rf"(?:is|are)\b|{_any(_STATUS_WORDS)}|(?<!to )\b(?:has|have|is|are|was|did) {_ORDER}(?: \w+)?"
    r"(?: (?:from|on|in|of) (?:order )?\w+)?"  # "has the hose from order 7661 been sent out"
    rf" (?:been )?{_any(_SHIPPING_WORDS)}"
    rf"|\b(?:if|whether) {_ORDER}(?: \w+){{0,2}} (?:(?:has|have|is|are|was) )?(?:already )?"
    rf"(?:been )?{_any(_SHIPPING_WORDS)}"
    r"|\b(?:when|how long)(?: \w+){0,4}?"
    r" (?:will|would|does|do|is|are|'s|can|should|shall|until|till|before|for)(?!\S)"
    r"(?: [\w']+){0,7}? "
    rf"{_any(_ARRIVE_WORDS + ' ship ships dispatch dispatched expect due back coming arriving')}"
    r"|\bwhen (?:\w+ ){1,4}(?:is|are|will be) (?:turning|showing) up\b"
    r"|\bwhen (?:will|would|does|is) (?:it|they|my \w+|the \w+) (?:get|be) (?:to|with|here)\b"
    r"|\bwhen (?:will|would|does) (?:it|they|my (?:\w+ ){0,2}?\w+|the (?:\w+ ){0,2}?\w+) reach\b"
    r"|\bwhere (?:have|has) (?:my|the|our|it|they|order)\b"
    r"|\b(?:is|are) (?:it|they|my \w+|the \w+|order \w*\d\w*)(?: \w+){0,3}? (?:on schedule|on track"
    r"|on its way|on the way)\b"
    r"|\bwhens (?:my|the|our|it|order)\b"
    # without an auxiliary: "tell me when my throw arrives", "when it gets here"
    r"|\b(?:will|would|is|does|should) (?:it|they|my \w+|the \w+|order \w*\d\w*) (?:still )?"
    r"(?:arrive|come|get here|be here|be delivered|ship|turn up)\b"
    r"(?! (?:with|assembled|built|wrapped|in)\b)"
    r"|\bcheck (?:on )?(?:number |# ?)?\d{3,}\b|\bdid (?:it|they|my \w+|the \w+) (?:arrive|come|get"
    r" (?:here|there|delivered)|turn up|show up)\b"
    r"|\b(?:tell (?:me|us)|let (?:me|us) know|know|wondering|find out|see|say|idea) when"
    rf" (?:my|the|our|it|they|order|{_DIGITS})(?: \w+){{0,3}}? (?:arrives|comes|ships"
    r"|gets here|will (?:arrive|come|ship|be here))\b"
    r"|\b(?:any|an|some) (?:update|updates|news|progress)\b|\b(?:update|news|progress) (?:on|of)\b"
    # not sent yet, told or asked: "my book has not shipped yet", "are they still not sent?"
    r"|(?<!\bi )(?<!\bwe )(?<!\byou )\b(?:has|have|is|are|was|were|did)"
    r" (?:(?:it|they|my \w+|the \w+) )?"
    r"(?:still )?not (?:(?:it|they|my \w+|the \w+) )?(?:yet )?"
    r"(?:been )?(?:shipped|dispatched|sent|sent out|posted|gone out|left|ship|dispatch|go out"
    r"|leave)\b|\bstill (?:not|has not|have not|is not|are not) (?:been )?(?:shipped|dispatched"
    r"|sent|posted|gone out|left)\b"
    r"|\b(?:anything|something) (?:has )?happen(?:ed|ing)? (?:with|to) (?:my|the|our|order|it)\b"
    r"|\b(?:any|no) sign of (?:my|the|our|it|order)\b|^ ?(?:is it |it is )?still processing\b"
    r"|\bchase (?:up )?(?:my|the|our|this|that|it|order)\b"
    r"|\b(?:what|which) (?:day|date|time) (?:is |will |does |was )?(?:it|its|they|my \w+"
    r"|the \w+|order \w+)(?: is| are| was| were)?"
    r" (?:coming|arriving|arrive|come|due|get here|be delivered|be here|promised|expected"
    r"|scheduled)\b"
    rf"|\b(?:is|are) (?:it|they|my \w+|the \w+) going to {_any(_ARRIVE_WORDS)}"
    r"|\bdid (?:you|you guys|you lot|anyone|they) (?:\w+ )?(?:send|ship|dispatch|post|mail)"
    r" (?:it|them|my|the|order|out)\b"
    rf"|\b(?:if|whether) {_ORDER}(?: \w+){{0,2}} (?:is|are|will be) (?:still )?(?:coming|arriving"
    r"|on its way|on the way)\b"
    r"|\bcheck(?:ing|ed)? in on\b"
    r"|\bcheck (?:on |up on )?(?:my|the|an|this|order|if|whether)\b|\bwhat (?:is )?(?:happening"
    r"|going on|happened) (?:with|to)\b|\bdid (?:my|the|our) (?:\w+ )?order go through\b"
)

# Where it is, in few words ("my order 7390 when arrive", "7460 already ship?", "wer is my
# order"): a question word or a word of waiting beside a word of arriving, read only when no
# need was read in full. An unknown word one slip from an arriving verb ("not cme yet") is one.
_ARRIVING_VERBS: Final = (
    "arrive arrived arriving arrives come came coming comes reach reached reaching reaches ship"
    " shipped ships dispatch dispatched deliver delivered land landed leave left send"
    " sent post posted"
)
_WH: Final = r"\b(?:where|wer|whr|wher|when|wen|whn|wheres|what (?:day|date|time))\b"
_WAITING: Final = r"\b(?:yet|already|or not|still)\b"
_ORDER_THINGS: Final = r"\b(?:order|orders|parcel|parcels|package|packages|delivery|shipment)\b"
_FEW_WORDS_STATUS: Final = re.compile(
    # never the shop's own ways: "where do you ship from?"
    rf"{_WH}(?! (?:do|does|did) (?:you|your|u)\b)(?: \S+){{0,5}}? ARRIVING\b"
    rf"|\bARRIVING\b(?: \S+){{0,2}} (?:{_WAITING}|\?)"
    rf"|{_WAITING} (?:\S+ )?ARRIVING\b|{_ORDER_THINGS}(?: \S+){{0,2}} {_WH}"
    rf"|{_WH} (?:is|are|s|r) (?:my|the|our|it|they|order)\b"
    rf"|{_ORDER_THINGS}(?: \S+){{0,2}} not (?:\S+ )?yet\b"
    # "whether my shoes are still on the road, or have they sprouted legs?"
    r"|\b(?:on the road|in transit|on (?:its|their|the) way|out for delivery)\b[^.!]*\?"
    # whether it will be late: "are those going to be late too??"
    r"|\b(?:is|are|will) (?:it|they|those|these|that|this|the \w+) (?:going to |gonna )?be late\b"
    # asked in the words of a statement: "it will arrive this week at least?"
    r"|\b(?:it|they|order|parcel|\d+) (?:will|gonna|going to|is going to) ARRIVING\b[^.!]*\?"
)


# what the question is about: their order, by number, pronoun or noun
_SOMETHING_OF_THEIRS: Final = re.compile(
    rf"\d|\b(?:my|our|it|they|them|the (?!(?:shop|store|site|website|company)\b)\w+)\b"
    rf"|{_ORDER_THINGS}"
)


def _status_in_few_words(line: str) -> int | None:
    """Where a status question told in few words starts, if the line asks one."""
    arriving = words(_ARRIVING_VERBS)
    tokens_ = ["ARRIVING" if w in arriving or _slip_of(w, arriving) else w for w in line.split(" ")]
    found = _FEW_WORDS_STATUS.search(" ".join(tokens_))
    if found is None or not _SOMETHING_OF_THEIRS.search(line):
        return None
    return found.start()


def _slip_of(word: str, known: frozenset[str]) -> bool:
    return (
        len(word) >= 3
        and word.isalpha()
        and not is_known_word(word)
        and any(OSA.distance(word, k, score_cutoff=1) <= 1 for k in known if len(k) >= 4)
    )


_IN_PIECES = r"\bin (?:\w+ ){0,2}(?:pieces|bits|shards)\b"
# Each need's pattern, tried in this order: a span read as one need is not read again (a
# question about "my refund" is no new refund; "wrong address" is no wrong item).
_NEED_PATTERNS: Final[tuple[tuple[Intent, str], ...]] = (
    ("order_status", _EARLIER_REQUEST),
    ("cancel", r"\bscratch (?:that|my|the|this) (?:order|purchase)\b"),
    ("address_change", _ADDRESS_CHANGE),
    ("competitor_price_match", _COMPETITOR),
    ("price_drop", _PRICE_DROP),
    ("wrong_item", _WRONG_ITEM),
    (
        "damaged",
        rf"(?!broke (?:me|my skin|him|her) out\b){_any(_DAMAGE_WORDS)}|{_NOT_WORKING}"
        r"|\bin (?:\w+ ){0,2}(?:pieces|bits|shards)\b"
        r"|\b(?:an? |big |huge |little |small )+(?:rip|tear|hole|gash|stain|split|crack)\b"
        r"(?! ?off\b)"
        r"|\b(?:will not|won't|does not|doesn't) (?:hold|keep) (?:air|water|charge|its shape)\b"
        r"|\b(?:split|burst|ripped|torn) (?:completely |right |wide |all the way )?open\b",
    ),
    ("late_delivery", _LATE),
    ("cancel", _CANCEL),
    ("refund", _REFUND),
    ("order_status", _STATUS),
)
_NEEDS: Final = tuple((intent, re.compile(pattern)) for intent, pattern in _NEED_PATTERNS)
# "the grades are all wrong for what I need": it does not suit, nothing wrong was sent
_WRONG_FOR_ME = re.compile(r"\bwrong for (?:what |how )?(?:i|we|me|us|my|our)\b")
_SELF_CHOSEN = re.compile(
    r"(?:\b(?:i|we) (?:\w+ )?|(?:^|[.,;:] ) ?)(?:ordered|chose|picked|bought|selected|clicked"
    r"|typed|entered|gave|used) (?:the |a |an )?(?:wrong|incorrect)\b"
)
# "will it work with my TV", "which cartridges fit it": a question about the product.
_FITS: Final = re.compile(
    r"\b(?:will|would|does|do|can) (?:it|they|this|that|the (?:\w+ ){0,2}?\w+) (?:work|fit|connect"
    r"|go|be compatible) with (?:my|a|an|the|our)\b"
    r"|\b(?:will|would|does|do|can) (?:it|they|this|that|the (?:\w+ ){0,2}?\w+) (?:fit|go|squeeze"
    r"|slot|slide) (?:in|into|under|inside|onto) (?:my|a|an|the|our|\w+ 's)\b"
    r"|\bwhich (?:\w+ ){1,2}(?:fit|fits|work with"
    r"|go with|suit)\b|\bis (?:it|this|that|the \w+) compatible with\b"
)
# Money taken more than once: "charged twice", "two payments of 18.00", "the extra charge".
_DUPLICATE_CHARGE: Final = re.compile(
    r"\b(?:charged|billed|debited|taken|took) (?:me |us |it |(?:the |my |our )?(?:money|payment) )?"
    r"(?:twice|two times|double|2x|x2)\b"
    r"|\bdouble[ -]?(?:charged|billed|charge|charges|payment|payments)\b"
    r"|\b(?:two|2|duplicate|double|extra|second) (?:identical |separate )?(?:payments?|charges?"
    r"|transactions?|debits?)\b"
)
# Money sent by another way than it was paid: "can the money go to my bank account instead".
_ANOTHER_WAY_TO_PAY: Final = re.compile(
    r"\b(?:refund|money|payment|amount|it)\b(?: [\w']+){0,4}? (?:to|into|onto|via|by|through)"
    r" (?:my |a |an |another |a different |the )?(?:new |other |different |own )?(?:bank account"
    r"|bank transfer|transfer|iban|paypal|card|account)\b(?: \S+){0,5}? (?:instead|rather)\b"
    r"|\b(?:to|into|onto) (?:a |another |a different |my new |a new )(?:card|bank account)\b"
)


# Paying otherwise than the shop's checkout: "can I pay a different way", "split it into 3
# monthly payments", "pay in instalments"
_PAYMENT_ARRANGEMENT: Final = re.compile(
    r"\bpay (?:for (?:it|them|this|that) )?(?:in |by |with |a |another )?(?:a )?"
    r"(?:different|another|other) (?:way|method|card)\b"
    r"|\b(?:split|spread|break) (?:it|the (?:payment|cost|price|bill)|them|that)"
    r" (?:up )?(?:into|over|across)\b"
    r"|\b(?:monthly|weekly) (?:payments|instalments|installments)\b|\binstal+ments?\b"
    r"|\bpay (?:it )?(?:later|in parts|in part|bit by bit)\b"
    r"|\bpay (?:it |for it )?in (?:\d+|two|three|four|five|six|several) (?:parts|payments"
    r"|instal+ments|months|goes|chunks)\b"
)


def _payment_matter(line: str) -> str | None:
    if _DUPLICATE_CHARGE.search(line):
        return "duplicate_charge"
    if _ANOTHER_WAY_TO_PAY.search(line):
        return "refund_by_another_payment_method"
    return None


# A share of the price back, read on the raw text (the reading drops "%").
_PARTIAL_REFUND: Final = re.compile(
    r"\b(?:refund|reimburse|credit|give|pay)(?:ed)? (?:me |us )?(?:back )?(?:the |a )?"
    r"\d+(?:[.,]\d+)? ?(?:%|percent\b|per cent\b)"
    r"|\b(?:refund|reimburse)\w* (?:me |us )?(?:back )?(?:the |a |my )?(?:\w+ )?(?:tax|vat|gst"
    r"|part|portion|share|half|rest|remainder|balance)\b"
    # "could you knock a tenner off?" with no lower price of ours in sight
    r"|\b(?:knock|take) (?:a tenner|a fiver|\S+ (?:quid|pounds|dollars|euros|bucks)|[$£€]?\d+"
    r"|some money|something|a bit|a little) off\b"
    # a share of the price: "get a third of the money back", "half the price back"
    r"|\b(?:half|a third|a quarter|a fraction|part|some) of (?:the|my) (?:money|price|cost|payment"
    r"|total)\b|\bhalf (?:the|my) (?:money|price|cost) back\b"
    # some of an order's items sent back: "send back only that one", "return just two of them"
    r"|\b(?:send|return|post) (?:back )?(?:only|just) (?:that|this|one|two|the \w+) (?:one|of them"
    r"|item|items|piece|pieces)?\b(?=.*\b(?:money|refund|back)\b)"
    # "could you refund something like $40 of it", "not sending it back ... refund 30"
    r"|\b(?:refund|give (?:me |us )?back|credit)\b[^.?!]{0,30}?[$£€]?\d+(?:[.,]\d+)?"
    r"[^.?!]{0,12}?\bof it\b"
    # money back while the item stays: "give me back 40 euro and I keep it"
    r"|\b(?:refund|money|give (?:me |us )?(?:\S+ ){0,2}back|pay (?:me |us )?back|discount)\b"
    r"[^.?!]{0,60}?"
    r"\b(?:and|but|so|then) (?:i|we) (?:will |can |could |would |just )?keep (?:it|them|the)\b"
    r"|\bkeep (?:it|them|the \w+) (?:and|but) (?:get|have|receive) (?:some|part|a bit|a partial"
    r"|\d)"
)


# A fee paid on top of the item: refunding it is no return of the item.
_FEE = (
    r"(?:me )?(?:the |my |a |for the |this |that )?(delivery|postage|shipping|import|customs)"
    r" (charge|fee|cost|duty|duties|tax)s?\b"
)
_A_FEE: Final = re.compile(rf" (?:just |only )?{_FEE}")
_FEE_REFUND: Final = re.compile(
    rf"\b(?:refund|reimburse|money back for|back for) (?:me )?(?:just |only )?{_FEE}"
)
# What "doesn't work" may be said of that is no item bought: a code, the site, a payment.
_NO_ITEM_AT_FAULT: Final = re.compile(
    r"\b(?:code|codes|voucher|coupon|discount|promo|link|website|site|app|checkout|payment|card"
    r"|password|login|account|tracking)\b(?: [\w~]+){0,4}? $"
    # the customer's body or time: "my back is destroyed", "my whole weekend was ruined"
    r"|\b(?:my|our|his|her|the) (?:whole |entire )?(?:back|neck|knees?|nerves|day|week|weekend"
    r"|plans|mood|evening|holiday|party|sleep|life|head)(?: is| are| was| were| got| has been"
    r"| have been)(?: \w+)? $"
)
# A damage word that hurts a person: "a broken wrist"
# A person's body, hurt: "a broken wrist", "my toes are squashed"
_BODY_PARTS: Final = "wrist arm leg hand ankle foot finger toe back neck knee nose rib tooth teeth"
_A_HURT: Final = re.compile(rf" (?:(?:my|his|her|their|our) )?{_any(_BODY_PARTS + ' heart ribs')}")
_A_BODY_HURT: Final = re.compile(
    rf"\b(?:my|his|her|their|our) {_any(_BODY_PARTS + ' feet head heels toes fingers')}"
    r" (?:is |are |was |were |got |get |feel |feels )?"
    r"(?:all |really |so |completely |totally )?$"
)
_SOMETHING_OF_THE_ORDER: Final = re.compile(
    r" (?:driver|drivers|guy|man|person|van|company|people|team|notifications?|emails?|texts?"
    r"|messages?|updates?|calls?)\b"
)
_A_PRICE_TOLD: Final = re.compile(
    r"\d|\b(?:cheaper|less|lower|drop\w*|reduc\w*|sale|down|discount\w*|difference|price\w*)\b"
)
_A_PERSON_BEFORE: Final = re.compile(r"\b(?:i|we|my|me|he|she|his|her|our|him)\b")
# Where a thing "doesn't work" that suits nobody's taste: a room, a style, a person.
_A_MATTER_OF_TASTE: Final = re.compile(
    r" (?:in|with) (?:the|my|our|this) (?:\w+ )?(?:room|space|kitchen|house|home|flat|decor"
    r"|lounge|bedroom|hallway|office|style|colours?|colors?|furniture|scheme)\b| for (?:me|us)\b"
)
# A fault that came later is a warranty matter, not damage on arrival.
_LATER_FAULT = re.compile(
    r"\b(?:stopped|quit) (?:working|\w+ing)\b|\b(?:broke|died|failed|packed up) after\b"
    # an accident at home: "my cat knocked it off the desk", "I dropped it", "the kids sat on it"
    r"|\b(?:i|we|my \w+|the (?:cat|dog|kids?|children|baby|toddler)) (?:accidentally |then )?"
    r"(?:dropped|knocked|sat on|stepped on|spilled|spilt|stood on|ran over|threw|broke)\b"
    # "I broke my leg": the customer hurt, nothing bought is at fault
    r"(?! (?:my|his|her|their|our) (?:wrist|arm|leg|hand|ankle|foot|finger|toe|back|neck|knee"
    r"|nose|ribs?|tooth|teeth)\b)"
)
_CLAUSE_END: Final = words('. , ; : ! ? " but and so just though however')


# What a customer may never have got that is no parcel: points, messages, money.
_NOT_A_PARCEL: Final = re.compile(
    r" (?:the |my |any |our |a |an )?(?:\w+ )?(?:points|rewards?|emails?|confirmation|receipt"
    r"|invoice|code|voucher|discount|reply|response|answer|call|callback|refund|credit|money)\b"
)


# A thing the shop grants that the customer never got: asked for ("never got my loyalty points").
_NEVER_GOT: Final = re.compile(
    r"(?:\b(?:never|not|yet to|no) (?:got|get|received|receive|seen|see|been given|given)"
    r"|\bwhere (?:is|are|s)|\b(?:should|would|was told i would|was told i d|supposed to|meant to"
    r"|promised i d|promised i would) (?:have )?(?:got|get|earn|earned|receive|received|be given))"
    r" (?:the |my |any |our |some )?(?P<thing>(?:[a-z]+ )?(?:points|rewards?"
    r"|vouchers?|discount|code|receipt|invoice|cashback|stamps?))\b"
)


def _negated(line: str, start: int) -> bool:
    """Whether a negator stands in the four words before `start`, within its clause ("I am not
    asking for a refund")."""
    before: list[str] = []
    for word in reversed(line[max(0, start - 200) : start].split()):
        if word in _CLAUSE_END or len(before) == 4:
            break
        before.append(word)
    return any(w in _NEGATORS for w in before) or bool(_TURNED_DOWN.search(line, 0, start))


# "instead of the money back, could you ...": what comes next is what the customer turns down.
_TURNED_DOWN: Final = re.compile(r"\b(?:instead of|rather than|than)(?: \w+){0,2} $")


def _blank(line: str, start: int, end: int) -> str:
    return line[:start] + re.sub(r"\S", "~", line[start:end]) + line[end:]


_MONEY_SENT: Final = re.compile(r"\b(?:money|refund|payment|cash|funds|credit)\b")
# A third party as the subject just before a verb: "the bank cancelled it", "my husband cancelled".
_SOMEONE_ELSE_DID: Final = re.compile(
    r"\b(?:the|my|our|his|her) (?!order|orders|purchase|parcel|package|item|delivery|shipment)"
    r"[a-z]+ (?:has |had |already |just )*$"
)


# A number that may be an order's, not an amount: "is now 99, I paid 120" names no order.
_ORDER_LIKE_NUMBER: Final = re.compile(
    r"(?<![$£€])(?<!\bnow )(?<!\bpaid )(?<!\bwas )(?<!\bfor )(?<!\bat )(?<!\bpay )(?<!\bis )"
    r"(?<!\bcost )(?<!\bcosts )"
    r"\b(\d{3,})\b(?! ?(?:[$£€]|eur|euros?|usd|dollars?|quid|bucks|pounds?)\b)"
)


def _of_another_order(line: str, start: int) -> bool:
    """A need whose own words name an order that no earlier words did ("8201 is cracked, and
    I'd like to return 8202 too"): a need of its own, not the earlier one's remedy."""
    own = set(re.findall(r"\b\d{3,}\b", line[start : start + 60]))
    # (prices told before the order number make no earlier order: "it's 99 now, I paid 120")
    earlier = set(_ORDER_LIKE_NUMBER.findall(line[:start]))
    return bool(own) and bool(earlier) and not own & earlier


_A_HITCH: Final = re.compile(r"\b(?:one|a|the|only|small|slight|little) $")


_WHEN_ASKED: Final = re.compile(
    r"\b(?:when|what (?:day|date|time)|which (?:day|date)) (?:\w+ ){0,4}$"
)


def _no_damage_after_all(line: str, match: re.Match[str]) -> bool:
    start, end = match.start(), match.end()
    return bool(
        # "the discount code didn't work": no item is damaged
        _NO_ITEM_AT_FAULT.search(line[:start])
        # "one snag: the card was closed": a snag is a hitch here, nothing torn
        or (match.group() in ("snag", "snags") and _A_HITCH.search(line, max(0, start - 8), start))
        # "that is the real damage here": a harm of the customer's, said of a loss
        or (
            match.group() == "damage"
            and re.search(r"\b(?:real|only|actual|true|bigger) $", line[max(0, start - 8) : start])
        )
        # "I have a broken wrist": a person hurt ("the chairs have a bent leg")
        or (_A_HURT.match(line, end) and _A_PERSON_BEFORE.search(line, max(0, start - 30), start))
        # "my toes are squashed": the customer hurts, nothing came damaged
        or _A_BODY_HURT.search(line, 0, start)
        # "it doesn't work in the room": it does not suit, nothing is broken
        or _A_MATTER_OF_TASTE.match(line, end)
    )


def _needs(line: str) -> tuple[list[tuple[int, Intent]], bool, str]:
    """The needs in the order written (with where each starts in `line`), whether money back
    is asked for (not negated), and the line with the needs' words blanked out."""
    found: list[tuple[int, Intent]] = []
    money = False
    vetoed: set[Intent] = set()
    said = line  # before the needs' words are blanked out
    if re.search(_SELF_SLIP, line) or _SELF_CHOSEN.search(line) or _WRONG_FOR_ME.search(line):
        vetoed.add("wrong_item")  # the customer's own slip or choice, not the shop's
    if _LATER_FAULT.search(line):
        vetoed.add("damaged")  # a fault that came later is a warranty matter
    for intent, pattern in _NEEDS:
        for match in pattern.finditer(line):
            if "~" in match.group():
                continue  # already read as part of another need
            line = _blank(line, match.start(), match.end())
            if _negated(line, match.start()) or intent in vetoed:
                continue
            if intent == "late_delivery" and _NOT_A_PARCEL.match(line, match.end()):
                continue  # "we never got the reward points": no parcel is late
            if intent == "late_delivery" and _WHEN_ASKED.search(line, 0, match.start()):
                found.append((match.start(), "order_status"))
                continue  # "what day is it actually meant to arrive?": when, not how late
            if intent == "address_change" and _MONEY_SENT.search(match.group()):
                continue  # "send the money to a different card": no parcel goes anywhere
            if intent == "cancel" and _SOMETHING_OF_THE_ORDER.match(line, match.end()):
                continue  # "stop the delivery driver ringing", "stop the order emails"
            if intent == "cancel" and _SOMEONE_ELSE_DID.search(said[: match.start()]):
                continue  # "the bank cancelled my card": done by someone else, nothing asked
            if intent == "refund" and _A_FEE.match(line, match.end()):
                continue  # "refund the delivery charge": no item goes back
            if intent == "price_drop" and not _A_PRICE_TOLD.search(said):
                continue  # "I've ordered from your shop three times now": no price, no drop
            if intent == "damaged" and _no_damage_after_all(line, match):
                continue
            found.append((match.start(), intent))
            money |= intent == "refund" and re.search(_any(_MONEY_WORDS), match.group()) is not None
            if intent == "competitor_price_match":
                vetoed.add("price_drop")  # another seller's price is no drop of our own
    ordered: list[tuple[int, Intent]] = []
    for start, intent in sorted(found, key=lambda f: f[0]):
        if all(intent != i for _, i in ordered):
            ordered.append((start, intent))
    if not ordered and re.search(r"\bchanged? (?:my|our) minds?\b", line):
        # A change of mind with no other need is a cancellation; beside one, it is its reason.
        ordered = [(re.search(r"\bchanged? (?:my|our) minds?\b", line).start(), "cancel")]  # type: ignore[union-attr]
    intents = {i for _, i in ordered}
    returning = re.search(_any(_RETURN_WORDS), said) is not None
    # "cancel it, found it cheaper elsewhere", "I'll send it back, it's cheaper at X": another
    # shop's price is the reason, and no match is asked for.
    price_as_reason = (
        "cancel" in intents or ("refund" in intents and returning)
    ) and not re.search(
        r"\b(?:match|beat)\w*\b|\b(?:lower|reduce|drop|adjust|bring)\b[^.?!]{0,30}?"
        r"\b(?:their|its|that|the same|his|her) price\b",
        said,
    )
    if intents & {"damaged", "wrong_item", "price_drop"} or (
        "competitor_price_match" in intents and not price_as_reason
    ):
        # Money back for a damaged or wrong item, or a price's difference, is that need's
        # remedy, not a need of its own.
        ordered = [(p, i) for p, i in ordered if i != "refund" or _of_another_order(said, p)]
    if price_as_reason:
        ordered = [(p, i) for p, i in ordered if i != "competitor_price_match"]
    if "late_delivery" in intents:
        # Where a late parcel is, is part of the late-delivery answer.
        ordered = [(p, i) for p, i in ordered if i != "order_status"]
    return ordered, money, line


# -- Service requests: understand or ask -----------------------------------------------------

# Frames that ask the shop for something (at a clause's start), then the words of the request.
_ASKING: Final = (
    r"(?:are|would) you (?:be )?able to |(?:can|could|would|will) you (?:guys )?|(?:can|could|may)"
    r" (?:i|we) |(?:is|would) (?:it |there )?(?:be )?"
    r"(?:possible|any way|a way|an option|any chance)"
    r" (?:for (?:you|me) |(?:that )?you (?!(?:could|can|would|will|might|guys)\b))?(?:to )?"
    r"|is there (?:any |a |an |some )?|is possible (?:for you )?to "
    r"|do you (?:guys |lot |folks |people |all )?|does (?:your"
    r"|the) \w+ (?!come with)|(?:any|what are the) chances? (?:of )?(?:that )?(?:you )?"
    r"(?:could |can |would )?"
    r"|i (?:was )?wonder(?:ing)? if (?:you|i|we) (?:could|can|might) |please "
    # how to use what the shop offers: "how do I use the promo code on my order"
    r"|how (?:do|can|would) (?:i|we) (?=(?:use|apply|redeem|claim|add|book|pay) )"
    # what the customer may receive: "do I get loyalty points on these", "will we earn points"
    r"|(?P<receive>(?:do|will|would|can|could) (?:i|we) (?:get|receive|earn|qualify for) )"
)
# "can it be delivered on saturday": the request is a participle.
_SUBJECT = (
    r"(?:it|they|this|that|(?:the|my) (?:new )?(?:\w+ ){0,2}?\w+(?: \w*\d\w*)?|order \w*\d\w*"
    r"|\w*\d\w*)"
)
# "can 2051 come assembled", "could the new one arrive on a saturday": how it should come.
_ARRIVING = (
    rf"(?:(?:can|could) {_SUBJECT}|{_SUBJECT} (?:can|could)) (?:please )?(?:come|arrive|turn up)"
    r" (?:already |fully |ready )?(?=(?:\w+ )?\w+ed\b|put together"
    r"|on (?:a )?(?:mon|tues|wednes|thurs|fri|satur|sun)day)"
)
_COMES_ON_A_DAY = (
    rf"(?:possible|able|any way|a way|okay|ok)(?: that)? {_SUBJECT} (?:comes?|arrives?"
    r"|gets? delivered"
    r"|is delivered) (?=on (?:a )?(?:mon|tues|wednes|thurs|fri|satur|sun)day|at the weekend|on the"
    r" weekend|in the (?:morning|evening|afternoon)|after \d)"
)
_PASSIVE = (
    rf"(?:can|could|would) {_SUBJECT} (?:please |still |also |just )?be |{_ARRIVING}"
    rf"|{_COMES_ON_A_DAY}"
)
# The customer's own wish: "I'd like you to gift wrap it", "I need a gift receipt".
_OWN_WISH = (
    r"i (?:would|d|should) (?:simply |really |just )?(?:like|love|prefer) (?:you to |to )?"
    r"|i (?:just |really |only |simply )?(?:want|need) (?:you to |to )?"
    r"|(?:i am|we are) (?:asking|requesting) (?:you )?(?:to |for )"
    r"|(?:i|we) (?:was |were |am |are )?hoping (?:to |you (?:could|can|would) |for )"
    r"|(?:i|we) (?:would )?expect (?:you to |to )"
)
# A wish with its subject left out, at a clause's start: "need the invoice reissued".
_BARE_WISH = r"(?:need|want|would like) (?:you to |to )?"
_ASK_FRAME = re.compile(
    rf"(?:^|[.,;:!?] |\b(?:and|also|plus|but|so) )(?:\w+ ){{0,3}}?(?:{_ASKING})(?:(?:please|just"
    rf"|possibly|kindly|maybe|still|actually|even|really"
    rf"|also|at least) )*|(?P<passive>\b{_PASSIVE})"
    rf"|(?P<self>\b(?:{_OWN_WISH})|(?:^|[.,;:!?] ){_BARE_WISH})"
    # the shop's people asked to act, wherever in the sentence: "... could the driver take it",
    # "could someone come out and fit it", "can your team assemble the sofa"
    r"|\b(?:can|could|would|will) (?:(?:the|your) (?:delivery )?(?:driver|drivers|courier|fitter"
    r"|installer|technician|crew|team|staff|engineer|engineers|lads|guys|men|people|folks)"
    r"|(?:someone|somebody)(?: from (?:your|the) \w+)?|you lot|u lot|they|he|she)"
    r" (?:(?:come|pop) (?:out |round |over |by )?(?:and |to ))?"
    # "it would be great if your driver could take the old one away"
    r"|\b(?:the|your) (?:delivery )?(?:driver|drivers|courier|fitter|installer|technician|crew"
    r"|team|staff|lads|guys|men|people|folks) (?:can|could|would) (?:please )?"
    # asked inside a question: "he asks whether you could send him an invoice", "whether your
    # delivery men could take the old bench away"
    r"|\b(?:whether|if) (?:you|u|(?:your|the) (?:\w+ ){0,2}?(?:men|people|driver|drivers|courier"
    r"|couriers|team|staff|fitter|fitters|crew)) (?:could|can|would|will|might) (?:please |possibly"
    r" |also )?"
    # "is gift wrapping available", "would next-day delivery be possible"
    r"|(?P<available>\b(?:is|are|would|will) (?=(?:[a-z]+ ){1,4}(?:be )?(?:available|possible"
    r"|an option|offered)\b))"
    # "I was hoping the scarf could be wrapped": a thing, then its passive
    rf"|(?P<after>\b{_SUBJECT} (?:can|could|would) (?:please )?be (?=\w+ed |\w+en |sent |made ))"
    # "if it's flat pack can you assemble it": asked mid-sentence
    r"|\b(?:can|could) (?:you|u) (?:please |still |also |just )?(?=[a-z])"
    # a question without its auxiliary, as learners ask: "you repair it for me?"
    r"|(?P<you>\byou (?=(?:[\w']+ ){1,8}\?))"
    # what comes with the thing bought: "does the kettle come with a longer warranty"
    r"|(?P<comes>\b(?:does|do|will|would|can) (?:it|they|this|that|the(?: \w+){1,2}?) come with )"
)
_CLAUSE_START: Final = re.compile(
    r"(?:^|[.,;:!?] )(?:(?:please|pls|kindly|just|also|and|so|ok|okay|oh|hi|hello|hey|then)"
    r" )*(?=\w)"
)
# Verbs of attitude, thanks and perception: at a clause's start they are no command.
_NOT_A_COMMAND: Final = words(
    "love like hate enjoy hope wish thank miss mind keep see look hear feel guess bet mean"
    " excuse pardon forgive appreciate bless"
    " say tell know think believe imagine trust email ignore forget disregard pretend override"
)
# Spans of time a good wish is for: "have a great weekend", "have a good one".
_TIME_SPANS: Final = words("day weekend week evening night morning afternoon one time holiday")
_REQUEST_END: Final = words(
    '. , ; : ! ? and but or if because so as since when while though " instead where who which'
)
_DETERMINERS: Final = words(
    "a an the this that these those some any his her their its all every each whatever whichever"
)
_OWNERS: Final = words("my our your")
_DEFINITE: Final = _OWNERS | words("the this that these those his her their its")
_ADVERBS: Final = words("please just also really kindly possibly maybe even only")
_PRONOUNS: Final = words("it them me us one him her")
_PLACE_PREPOSITIONS: Final = words("to by via in at on with under after before between")
_MEANS_PREPOSITIONS: Final = words("with under")
_MAX_KIND_WORDS: Final = 3
_CAUSATIVE = re.compile(
    r"(?:pay (?:extra|more) to )?(?:have|get) ((?:\w+ ){0,3}?)(\w+ed|sent|made|done|built)(?: |$)"
)


def _known(word: str) -> bool:
    """An English word: known to the corpus, as one of its regular forms, or two joined."""
    if not word.isalpha():
        return False
    forms = [word, word + "s", word + "d", word + "ed", word + "ing"]
    if word.endswith(("s", "d")):
        forms.append(word[:-1])
    if word.endswith(("es", "ed")):
        forms.append(word[:-2])
    if any(len(f) >= 2 and is_known_word(f) for f in forms) or lemminflect.getAllLemmas(word):
        return True
    return any(is_known_word(word[:i]) and is_known_word(word[i:]) for i in range(4, len(word) - 3))


def load() -> None:
    """Load the word data the reader uses (spelling, lemmas), so no customer waits for it."""
    spelling.load()
    lemminflect.getAllLemmas("load")


def _lemma(participle: str) -> str:
    """delivered -> deliver, wrapped -> wrap, engraved -> engrave, sent -> send."""
    lemmas: tuple[str, ...] = lemminflect.getLemma(participle, upos="VERB", lemmatize_oov=False)
    return lemmas[0] if lemmas else participle


def _base_verb(word: str) -> bool:
    """Whether `word` is only a verb's plain form ("upgrade", "put"), as an imperative is, and
    no other verb's past ("saw", "found")."""
    lemmas = lemminflect.getAllLemmas(word)
    verbs: tuple[str, ...] = lemmas.get("VERB", ())
    # A word that can also be an adjective ("well done", "perfect", "fine") is no sure command.
    return verbs == (word,) and "ADJ" not in lemmas


def _content(ws: list[str], i: int, *, verb: bool = False) -> tuple[list[str], int, str]:
    """The content words from `i` (after any determiner or owner), where they end, and the
    determiner or owner that introduced them ("" for none). A verb group ends at the purchase
    ("gift wrap | order 1042")."""
    det = ""
    while i < len(ws) and (
        ws[i] in _DETERMINERS or ws[i] in _OWNERS or ws[i] in _ADVERBS or ws[i].isdigit()
    ):
        det = ws[i] if ws[i] not in _ADVERBS and not ws[i].isdigit() else det
        i += 1
        if ws[i : i + 2] in (["kind", "of"], ["sort", "of"], ["type", "of"], ["form", "of"]):
            i += 2  # "some kind of voucher": the voucher is the thing
    out: list[str] = []
    if i < len(ws) and _CLOCK.fullmatch(ws[i]):
        return ["time"], i + 1, det  # "after 6pm": a time of day
    while (
        i < len(ws)
        and ws[i].isalpha()
        and ws[i] not in _DETERMINERS
        and (ws[i] not in _FUNCTION or ws[i] in _LIGHT_VERBS)
    ):
        if verb and out and ws[i] in _PURCHASE:
            break
        out.append(ws[i])
        i += 1
    return out, i, det


_CLOCK = re.compile(r"\d{1,2}(?:[:.]\d\d)?(?:am|pm)")
_SUBJECT_PRONOUNS: Final = words("i we you they he she it")


def _is_participle(word: str) -> bool:
    """A verb's past participle: "reissued", "made", "sent" (not "blender")."""
    lemma = _lemma(word)
    forms: tuple[str, ...] = lemminflect.getInflection(lemma, tag="VBN") if lemma != word else ()
    return word in forms


def _participle_after(ws: list[str]) -> int | None:
    """Where a past participle follows a wished-for thing ("the invoice for 4410 reissued")."""
    for index, word in enumerate(ws[1:7], start=1):
        if word in _REQUEST_END:
            return None
        if _is_participle(word) and not _SUBJECT_PRONOUNS & set(ws[1:index]):
            return index  # not "the blender I (actually) paid for": a clause of its own
    return None


_SEND_SOMEONE = re.compile(
    r"(?:send|get|have) (?:someone|somebody|an? (?:engineer|technician|fitter|installer|man))"
    r" (?:(?:out|round|over) )?(?:to )?(?P<act>.+)"
)
_UNDER_TERMS = re.compile(r"\b(?:under|on) (?:the |my |its |a )?(?:warranty|guarantee)\b")
_OVERRIDE: Final = words(
    "exception exceptions reconsider rethink override overrule waive overlook bend slide allowance"
    # a complaint put on record ("I should like it noted") asks for nothing the book could cover
    " noted logged recorded"
)
_TALK: Final = words("talk speak call ring phone contact chat email text message")


def _act_of_someone_sent(ws: list[str]) -> list[str]:
    """The act asked in "send someone to wall-mount it" (none when it is a call: a person)."""
    sent = _SEND_SOMEONE.match(" ".join(ws))
    if sent is None:
        return ws
    act = sent.group("act").split()
    return [] if act[:1] and act[0] in _TALK else act


def _causative_undone(ws: list[str], *, passive: bool) -> tuple[list[str], bool]:
    """The request in a causative ("get my initials engraved", "have it gift wrapped"): the
    participle is the request and the words before it its object (after a pronoun, the start of
    the verb)."""
    causative = _CAUSATIVE.match(" ".join(ws))
    if causative is None:
        return ws, passive
    between = causative.group(1).split()
    head = between[1:] if between[:1] and between[0] in _PRONOUNS else []
    return [
        *head,
        causative.group(2),
        *between[: len(between) - len(head)],
        *ws[len(causative.group().split()) :],
    ], True


_VAGUE_THINGS: Final = words(
    "problem problems issue issues way reason update news something anything everything thing same"
    # a subject raised, nothing asked yet: "I want to make a complaint", "a question"
    " complaint complaints query queries question questions enquiry enquiries inquiry concern deal"
    " concerns matter"
)
# help asked for in a noun: "I need a hand with some paperwork", "some assistance with"
_HELP_NOUNS: Final = words("hand help assistance support advice guidance")


def _to_the_object(ws: list[str], verb: list[str], i: int) -> tuple[list[str], int]:
    """Past the words between a verb and its object: a particle joins the verb."""
    if i + 1 < len(ws) and ws[i] in _PRONOUNS and ws[i + 1] in _PARTICLES:
        verb, i = [*verb, ws[i + 1]], i + 2  # "pick it up"
    elif i < len(ws) and (ws[i] in _PRONOUNS or re.fullmatch(_DIGITS, ws[i])):
        i += 1  # "send me an invoice", "gift wrap it", "upgrade 2051 to express"
    if ws[i : i + 1] == ["for"] and ws[i + 1 : i + 2] and ws[i + 1] in _PRONOUNS:
        i += 2  # "pay for it in three instalments": how, not what
    return verb, i


def _kind(ws: list[str], *, passive: bool, own_wish: bool) -> str | None:
    """Name a request from its verb and object ("could you add my loyalty points" ->
    add_loyalty_points); None when a word of it is unknown or it asks for a person."""
    ws = _act_of_someone_sent(ws)
    if not ws or any(w in _PERSON for w in ws):
        return None  # a person asked for is the detector's to hear, never a service
    if _OVERRIDE & set(ws):
        return None  # "make an exception": pushing back on a rule that covers it, no service
    ws, passive = _causative_undone(ws, passive=passive)
    if own_wish and len(ws) > 1 and ws[0] in _PRONOUNS and _lemma(ws[1]) != ws[1]:
        ws, passive = [ws[1], ws[0], *ws[2:]], True  # "I'd like them repaired"
    verb, i, lead = _content(ws, 0, verb=True)
    done_to = _participle_after(ws) if own_wish and lead in _DEFINITE else None
    if done_to is not None:
        # "need the invoice reissued": the participle is the request, the thing its object.
        ws, passive = [ws[done_to], *ws[:done_to], *ws[done_to + 1 :]], True
        verb, i, lead = _content(ws, 0, verb=True)
    named = verb if own_wish else _content(ws, i)[0]
    if lead in _DEFINITE and not (verb[:1] and verb[0] in _BUYING) and not _PAPERS & set(named):
        return None  # "I need the blender I paid for": their own thing, no service
    if passive:  # "can it be delivered on saturday" -> deliver_on_saturday
        verb = [_lemma(w) for w in verb]
    if not verb or (own_wish and verb[0] in _PURCHASE_VERBS):
        return None  # "I want to buy 40 lamps": the customer's own purchase
    if own_wish and verb[0] in _OWN_ACTS and ws[i : i + 1] and ws[i] in _PRONOUNS:
        return None  # "wanna use it this weekend": what the customer will do with it
    if verb[0] in _HELP_NOUNS or (own_wish and _lemma(verb[0]) in _VAGUE_VERBS):
        return None  # "I need a hand with some paperwork", "a dud purchase I'd like sorted"
    if verb[0] in _VAGUE_VERBS and not _UNDER_TERMS.search(" ".join(ws)):
        return None  # "can you help", "can you fix it"; but "fix it under the warranty" asks
    verb, i = _to_the_object(ws, verb, i)
    obj, j, det = _content(ws, i)
    if j < len(ws) and ws[j] in ("one", "ones"):
        j += 1  # "send the new one by express courier": "one" stands for the thing
    if not obj and j < len(ws) and ws[j].startswith("~"):
        return None  # "add the late credit": its object is a need already read
    # The purchase itself ("the order", "my bookshelf") is what a request acts on, not its name;
    # so is any definite object of a delivery verb ("have the bookshelf sent by express").
    if (
        all(w in _PURCHASE for w in obj)
        or (det in _OWNERS and obj[-1:] != ["account"] and (len(obj) == 1 or obj[-1] in _PURCHASE))
        or (det in _DEFINITE and verb[0] in _DELIVERY_VERBS)
    ):
        obj = []
    while not obj and j < len(ws) and ws[j] in _ADVERBS | {"only"}:
        j += 1  # "deliver it only on saturdays"
    if not obj:
        j = _past_the_purchase(ws, j)
    if not obj and j < len(ws) and ws[j] in _PLACE_PREPOSITIONS:
        placed = _object_of_a_place(ws, j)
        if placed is None:
            return None
        obj = placed
    if verb[0] in _LIGHT_VERBS and not (verb[0] in _BUYING and det in _DEFINITE):
        verb = verb[1:]  # "do you offer assembly" -> assembly; "can you do something" -> None
        if not verb and obj[:1] and obj[0] in _PLACE_PREPOSITIONS:
            return None  # "will I get it by friday": when it comes, not a thing asked for
    # At most three words of content: the verb, then the object's head and its last modifier
    # ("add a personalised message card" -> add_message_card).
    verb = verb[:_MAX_KIND_WORDS]
    prep = obj[:1] if obj and obj[0] in _PLACE_PREPOSITIONS else []
    room = _MAX_KIND_WORDS - len(verb)
    parts = [*verb, *(prep + obj[len(prep) :][-room:] if room > 0 else [])]
    if obj and all(w in _VAGUE_THINGS for w in obj) and verb[:1] in (["ask"], ["request"]):
        return None  # "may I also ask the same for the compost bin?": the need just settled
    if (
        all(w in _VAGUE_THINGS for w in parts)
        or parts[-2:] == ["on", "time"]
        or (parts[:1] and parts[0] in _HELP_NOUNS)
    ):
        return None  # "is there a problem?", "deliver it on time": nothing of its own is asked
    if not parts or not _understood(verb, obj) or all(_needs_word(w) for w in parts):
        return None  # an unknown word, or a need the classes above know without its details
    if parts[0] in _PLACING_VERBS and all(
        w in _PLACE_PREPOSITIONS or w in _STORE for w in parts[1:]
    ):
        return None  # "put it on my account": what "it" is, the words do not say
    return "_".join(parts)


def _object_of_a_place(ws: list[str], j: int) -> list[str] | None:
    """What a request names after a preposition ("ship to canada", "pay in installments", "pay
    with a gift card", "repair it under the warranty", "throw in a spare jug"); None when it
    names only how anything goes ("ship the new one with a courier")."""
    place, _, place_det = _content(ws, j + 1)
    if place_det in ("a", "an") and place[:1] and place[0] in _WEEKDAYS:
        place_det = ""  # "on a saturday" is a day, not a thing
    if place_det in ("a", "an", "the") and place in (["courier"], ["post"], ["mail"]):
        return None
    if not place or any(w in _PURCHASE for w in place):
        return []
    if not place_det or ws[j] in _MEANS_PREPOSITIONS:
        return [ws[j], *place]
    return place if ws[j] == "in" else []  # a phrasal verb: "throw in a spare jug"


def _understood(verb: list[str], obj: list[str]) -> bool:
    """Every word is English, but for the object's head after an English word: a thing's own
    name ("add the matching trivet"); a slip elsewhere ("add my loyality points") is not read."""
    content = [w for w in obj if w not in _PLACE_PREPOSITIONS and w not in _PARTICLES]
    if not all(_known(w) for w in verb) or not all(w.isalpha() for w in obj):
        return False
    if not verb or len(content) < 2:
        return all(_known(w) for w in content) or _acronym_before_a_word(content)
    return all(_known(w) or len(w) <= 3 for w in content[:-1])  # "the NHS staff discount"


def _acronym_before_a_word(content: list[str]) -> bool:
    return len(content) > 1 and _known(content[-1]) and all(len(w) <= 3 for w in content[:-1])


def _past_the_purchase(ws: list[str], j: int) -> int:
    """Where the words after "for my next order" start: the purchase is no part of a request
    ("pay for my next order with a gift card")."""
    while j < len(ws) and ws[j] in ("for", "on"):
        about, end, _ = _content(ws, j + 1)
        means_next = end < len(ws) and ws[end] in _MEANS_PREPOSITIONS | {"in"}
        if not (any(w in _PURCHASE for w in about) or (ws[j] == "for" and means_next)):
            break
        j = end  # "pay for a fridge freezer in 3 instalments": what is bought is no part of it
    return j


# What carrying out a need involves (its remedy, its paperwork): asked for beside the need, it
# is that need's detail, never a request of its own ("it's cracked, could you replace it").
_REMEDY: Final = words(
    "replace replacement exchange swap new another fix repair label labels receipt invoice"
    " confirmation tracking credit compensation voucher refund money difference"
)


_STORE: Final = words("store shop account site website")
_REPLACING: Final = words("replace replacement exchange swap new another")
_CREDIT: Final = words(_CREDIT_WORDS)


def _part_of_a_need(kind: str) -> bool:
    return any(word in _REMEDY for word in kind.split("_"))


def _beside_a_need_is_its_detail(kind: str) -> bool:
    """A request beside a need that uses the needs' own words or remedies is that need's
    ("send it to my new address"); one that asks for a thing of its own is not ("pay with a
    gift card", "deliver it on a saturday")."""
    parts = kind.split("_")
    content = [w for w in parts if w not in _PLACE_PREPOSITIONS]
    # "send the correct size": a need's own verb acting on a thing is that need's remedy; "deliver
    # it on a saturday", "pay with a gift card" ask how, a thing of their own.
    own_verb_on_a_thing = _needs_word(parts[0]) and not _PLACE_PREPOSITIONS & set(parts)
    # "could you put that on my account": a bare verb names nothing of its own beside a need
    # "can you kill that order", "put that on my account"
    bare_verb = len(content) == 1 and content[0] in _PLACING_VERBS
    return (
        _part_of_a_need(kind)
        or own_verb_on_a_thing
        or bare_verb
        or all(_needs_word(w) for w in content)
    )


# Verbs that only put something somewhere: alone, they name no service ("put that on my account").
_PLACING_VERBS: Final = words("put add pop stick place give do")


def _needs_word(word: str) -> bool:
    return word in _LEXICON.words and word not in _STORE


def service_request_kind(line: str) -> str | None:
    """The request kind of the first framed request the reader understands, if any."""
    found = _framed_request(line)
    return found[0] if found else None


# "can I have the throw I actually paid for": the customer's own thing, no service asked
_THEIR_OWN_THING: Final = re.compile(
    r"^(?:\w+ ){0,2}(?:the|my|our) (?:\w+ ){1,4}?(?:i|we) (?:actually |originally |really )?"
    r"(?:paid for|ordered|bought|chose)\b"
)


def _framed_request(line: str, *, beside_a_need: bool = False) -> tuple[str, int] | None:
    """The first framed request the reader understands (beside a need, the first that is no
    detail of it): its kind and where its frame starts."""
    for frame in _ASK_FRAME.finditer(line):
        rest = _until_clause_end(line, frame.end())
        rest = _past_the_asker(rest)
        if frame.group("comes") or frame.group("receive"):
            rest = ["get", *rest]  # "does it come with X" asks for X
        if frame.group("available"):
            end = next((i for i, w in enumerate(rest) if w in _ON_OFFER), len(rest))
            while end and rest[end - 1] in ("be", "an"):
                end -= 1
            rest = ["get", *rest[:end]]  # "is gift wrapping available" asks for gift wrapping
        if rest[1:3] in (["comes", "on"], ["arrives", "on"], ["come", "on"], ["arrive", "on"]):
            rest = rest[2:]  # "is it possible it comes on saturday": a delivery day asked for
            rest = ["deliver", *(w for w in rest if w not in ("a", "an"))]
        elif frame.group("passive") and rest[:1] == ["on"]:
            # "can the new one come on a saturday": a delivery day asked for
            rest = ["deliver", *(w for w in rest if w not in ("a", "an"))]
        if frame.group("you") and not (rest and _base_verb(rest[0]) and _acts(rest[0])):
            continue
        if frame.group("self") and _EMBEDDED.search(line, 0, frame.start()):
            continue  # "trying to figure out if I need to take friday off": no wish of ours
        if beside_a_need and frame.group("self") and rest[:1] and rest[0] in ("a", "an"):
            continue  # "it came in a small, I need a medium": the thing the need puts right
        if _THEIR_OWN_THING.search(" ".join(rest)):
            continue
        passive = bool(frame.group("passive") or frame.group("after"))
        kind = _kind(rest, passive=passive, own_wish=bool(frame.group("self")))
        if kind is None and rest[:1] and rest[0] in _PLACING_VERBS and rest[1:2] in _THEM:
            kind = _placed_thing(rest[0], line[: frame.start()], line[frame.end() :])
        if (
            kind is not None
            and not _asks_for_credit_or_replacement(kind)
            and not (beside_a_need and _beside_a_need_is_its_detail(kind))
        ):
            return kind, frame.end()
    return None


_THEM: Final = (["it"], ["them"], ["those"], ["these"])
_AS_A_THING: Final = re.compile(r"[^.,;:!?]{0,40}? as (?:a |an |some )?((?:[a-z]+ ){0,2}[a-z]+)")
_GRANTED_THING: Final = re.compile(
    r"\b(?P<thing>points|rewards|reward|vouchers?|discount|code|cashback|stamps|miles)\b"
)


_REFUND_AMOUNT: Final = re.compile(
    r"\b(?:refund|reimburse|pay back|give back|(?:give|pay|send) (?:me|us) back)(?:ed)?"
    r" (?:me |us )?(?:back )?(?:the |this |that "
    r"|my )?"
    r"(?:[$£€] ?)?(\d+(?:[.,]\d{1,2})?)(?! ?(?:%|percent|per cent|days?|weeks?|items?|of them)\b)"
)


def _refund_amount(text: str) -> float | None:
    found = _REFUND_AMOUNT.search(text.lower())
    if found is None or found.group(1) in extract_identifiers(text).order_numbers:
        return None  # "refund 5401": the order, not a sum
    return float(found.group(1).replace(",", "."))


# Codes and cards that failed: "the gift card says balance 0.00", "my promo code didn't apply".
_CODE_TROUBLE: Final = re.compile(
    r"\b(?P<thing>gift card|gift voucher|voucher|promo code|discount code|coupon|code|gift"
    r" certificate)\b(?: [\w~]+){0,10}? (?:not (?:work|working|apply|applied|go through|accepted)"
    r"|(?:says|shows) (?:a )?(?:balance (?:of )?)?(?:0|zero)|zero balance|invalid|expired|rejected"
    r"|declined|was not (?:taken|applied|accepted))\b"
)


def _code_trouble(line: str) -> str | None:
    found = _CODE_TROUBLE.search(line)
    return f"{found.group('thing').replace(' ', '_')}_problem" if found else None


# Paperwork asked for by or for someone: "my accountant needs a proper VAT invoice"
_PAPERWORK: Final = re.compile(
    r"\b(?:need|needs|want|wants|like|require|requires|asking for|(?:send|email|issue|provide|give)"
    r"(?: me| us| him| her)?)(?: (?:for|of) (?:the |my )?\w+(?: \w+){0,2})?"
    r" (?:a |an |the |both |our |my |two |all |the two )?(?:proper |new |corrected |correct "
    r"|separate |full |business )?"
    r"(?P<kind>(?:[a-z]+ )?(?:invoice|receipt|rechnung|factura|fattura|facture|faktura|fatura)s?)\b"
)


def _placed_thing(verb: str, before: str, after: str) -> str | None:
    """ "can you add them?" after "should have been 72 points": the points, added; "put it on
    my account as store credit": what it is to be, named after "as"."""
    became = _AS_A_THING.match(after)
    if became:
        named = [w for w in became.group(1).split() if w not in _FUNCTION]
        if named and all(_known(w) for w in named):
            return "_".join(named)
    things = _GRANTED_THING.findall(before)
    return f"{verb}_{things[-1]}" if things else None


_EMBEDDED: Final = re.compile(r"\b(?:if|whether|in case|when|once)\s*$")


def _asks_for_credit_or_replacement(kind: str) -> bool:
    # A replacement asked for is a damaged or wrong item's (ask what happened); a credit asked
    # for is the late-delivery rule's; "store credit" is a thing of its own.
    parts = kind.split("_")
    own = [w for i, w in enumerate(parts) if not (w == "credit" and i and parts[i - 1] in _STORE)]
    return bool((_REPLACING | _CREDIT) & set(own))


def _acts(verb: str) -> bool:
    return verb not in _NOT_A_COMMAND and verb not in _VAGUE_VERBS and verb not in _FUNCTION


def _past_the_asker(rest: list[str]) -> list[str]:
    """The request after "(is there any chance) you guys could": it starts at the verb."""
    if rest[:1] == ["of"]:
        rest = rest[1:]  # "is there any way of picking a slot"
    i = 1 if rest[:1] in (["you"], ["u"]) else 0
    if i and rest[i : i + 1] in (["guys"], ["lot"], ["all"]):
        i += 1
    return rest[i + 1 :] if i and rest[i : i + 1] in (["can"], ["could"], ["would"]) else rest


_ON_OFFER: Final = words("available possible option offered")


def _until_clause_end(line: str, start: int) -> list[str]:
    rest: list[str] = []
    for word in line[start:].split():
        if word in _REQUEST_END:
            break
        rest.append(word)
    return rest


# "gift receipt for 4410?", "2051 - express shipping?": a thing asked about an order, bare.
_NOUN_QUESTION: Final = re.compile(
    rf"(?:^|[.,;:!?] )(?:{_DIGITS} )?(?P<np>[a-z]+ (?:and )?[a-z]+(?: [a-z]+)?)"
    rf"(?: (?:for|on|with|to) (?:order )?{_DIGITS})? \?"
)


def _noun_question(line: str) -> str | None:
    """The kind a bare noun question names, when its words are known and name no need, no
    person and no grammar; whether it names the customer's own item is the agent's to check."""
    match = _NOUN_QUESTION.search(line)
    if match is None:
        return None
    ws = match.group("np").split()
    if any(
        (w in _FUNCTION and (w != "and" or i in (0, len(ws) - 1)))
        or w in _DETERMINERS
        or w in _PERSON
        or w in _PURCHASE
        or not _known(w)
        for i, w in enumerate(ws)
    ) or all(w in _VAGUE_THINGS for w in ws):
        return None  # "same deal?": the need just settled, asked again
    return "_".join(ws)


# "any bulk/trade discount if I order 15?": an offer asked about, named by its kind.
_ANY_OFFER: Final = re.compile(
    r"\bany (?P<np>(?:[a-z]+ ){0,2}?)(?:discount|discounts|deal|deals|offer|offers|promotion"
    r"|promotions|promo|reduction)\b"
)


def _offer_asked(line: str) -> str | None:
    found = _ANY_OFFER.search(line)
    if found is None or "?" not in line[found.end() :]:
        return None
    words_of = [w for w in found.group("np").split() if _known(w) and w not in _FUNCTION]
    return "_".join([*words_of, "discount"])


def _never_got(line: str) -> str | None:
    found = _NEVER_GOT.search(line)
    if found is None or not all(_known(w) for w in found.group("thing").split()):
        return None
    return found.group("thing").replace(" ", "_")


def _imperative(line: str) -> tuple[str, int] | None:
    """A bare command at a clause's start ("upgrade 2051 to express", "engrave it"): a verb's
    plain form acting on something, not an attitude ("love the lamp") or a plea for help."""
    for start in _CLAUSE_START.finditer(line):
        rest = _until_clause_end(line, start.end())
        if not rest or rest[0] in _NOT_A_COMMAND or not _base_verb(rest[0]):
            continue
        if _an_aside(line, start.start(), start.end()):
            continue  # "(surprise ruined lol)", "(bath mat)": words in brackets, no command
        if rest[0] == "have" and rest[1:2] in (["a"], ["an"]) and rest[-1] in _TIME_SPANS:
            continue  # "have a nice day": a good wish, no command
        if rest[:2] in (["take", "care"], ["stay", "safe"], ["be", "well"]):
            continue  # "take care": a goodbye
        acts_on = len(rest) > 1 and (rest[1] in _PRONOUNS or not _function_word(rest[1]))
        kind = _kind(rest, passive=False, own_wish=False) if acts_on else None
        named = kind is not None and ("_" in kind or rest[1] in _PRONOUNS)
        if kind is not None and named and not _part_of_a_need(kind):
            return kind, start.end()
    return None


def _an_aside(line: str, start: int, end: int) -> bool:
    """A few words between two ";" (brackets read as clause marks): an aside."""
    if not line.startswith("; ", start):
        return False
    close = line.find(" ;", end)
    return close != -1 and len(line[end:close].split()) <= _ASIDE_WORDS


_ASIDE_WORDS: Final = 4


def _function_word(word: str) -> bool:
    return word in _FUNCTION and word not in _DETERMINERS and word not in _OWNERS


# -- Reactions and tone ----------------------------------------------------------------------

_YES = _any(
    "yes yeah yep yup ya y yh sure ok okay alright all_right please go_ahead do_it do_that"
    " sounds_good"
    " perfecto perfeito parfait perfetto si sí ja oui"
    " that_works perfect great fine absolutely definitely of_course why_not that_would_be_great"
    " that_is_fine"
)
_THANKS_WORDS = (
    "thanks thank_you thx ty cheers appreciate_it that_is_all that_is_everything ta thanx thnx tysm"
    " many_thanks much_appreciated much_obliged god_bless"
    # thanks in the languages customers mix in
    " gracias danke dank merci grazie obrigado obrigada arigatou arigato dziekuje dziękuję"
    " spasibo shukriya dhanyavaad dhanyawad tack takk kiitos tesekkurler teşekkürler"
    " dzieki dzięki"
    " efharisto bedankt dankjewel asante shukran terima_kasih salamat mahalo"
)
_AFFIRM = re.compile(rf"{_YES}(?: (?:{_YES}|{_any(_THANKS_WORDS)}))*")
_NEGATE = re.compile(r"^(?:no|nope|nah|not now|never mind|nevermind)\b(?! (?:worries|problem)\b)")
_THANKS = re.compile(
    _any(
        _THANKS_WORDS + " all_good bye goodbye no_worries no_problem never_mind nevermind take_care"
        " have_a_good_day have_a_nice_day have_a_great_day have_a_good_one have_a_nice_one"
        " have_a_good_weekend have_a_nice_weekend have_a_good_evening"
    )
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|hallo|hola|ola|olá|bonjour"
    r"|ciao|salut|hej|moin|namaste|konnichiwa|guten tag|buenos dias|buenas|bom dia|dzien dobry"
    r"|dzień dobry|merhaba|servus)\b"
)


def says_thanks(text: str) -> bool:
    """Whether the message thanks us, in any of the languages the reader knows ("ok cheers")."""
    return _THANKS.search(_reading(text).line) is not None


def _reaction(line: str) -> Reaction | None:
    plain = " ".join(w for w in line.split() if w.isalnum() or "_" in w)
    if _AFFIRM.fullmatch(plain):
        return "affirm"
    if _NEGATE.match(line):
        return "negate"
    if _THANKS.search(line):
        return "thanks"
    if _GREETING.match(line):
        return "greeting"
    return None


_ANGER = re.compile(
    _any(
        "ridiculous unacceptable absurd outrageous pathetic terrible horrible awful worst"
        " disgusting disgrace disgraceful shocking appalling furious angry livid annoyed annoying"
        " frustrated frustrating fed_up sick_of tired_of had_enough third_time how_many_times"
        " not_happy unhappy disappointed incompetent useless joke seriously wtf ffs what_the_hell"
        " damn dammit hell crap crappy bloody shit shitty fuck fucking pissed sucks rubbish"
        " nightmare insane unbelievable thanks_for_nothing kidding_me give_me_a_break"
    )
    + r"|\bjust (?:great|perfect|brilliant|wonderful|fantastic|lovely)\b"
)


def is_frustrated(text: str) -> bool:
    """Tone only: "!!", shouting, swearing, "ridiculous", "third time". Never a decision input."""
    if re.search(r"!{2,}|\?!|!\?|\*{2,}|[#@$%&]{3,}", text):
        return True
    # A capitalised label ("SYSTEM:", "NOTE:") is formatting; short capitals are acronyms (USB).
    plain = re.sub(r"\b(?:[A-Z]+\s+){0,2}[A-Z]+:", " ", EMAIL_ADDRESS.sub(" ", text))
    shouted = re.findall(r"\b[A-Z]{3,}\b", plain)
    if any(len(w) >= 5 for w in shouted) or len(shouted) >= 2:
        return True
    return _ANGER.search(_reading(text).line) is not None


# -- The reader ------------------------------------------------------------------------------


def separate(understood: Understanding) -> tuple[Understanding, ...]:
    """One understanding per need stated (intent first, then `also`), each with its details."""
    if understood.intent is None:
        return (understood,)
    out = []
    for intent in (understood.intent, *understood.also):
        out.append(
            replace(
                understood,
                intent=intent,
                also=(),
                at=(),
                request_kind=_request_kind(intent, understood.service_kind),
                wants_refund=understood.wants_refund
                and intent in ("damaged", "wrong_item", "refund"),
                new_address=understood.new_address if intent == "address_change" else None,
            )
        )
    return tuple(out)


# "I want to cancel it. Actually no wait, scrap that, can you send it to my work instead?"
_CHANGE_OF_MIND: Final = re.compile(
    r"\b(?:actually no|no wait|wait no|scrap that|scratch that|on second thought|forget that"
    r"|never mind that|ignore that|change of plan)\b"
)


def _money_still_wanted(line: str) -> bool:
    """Not after a change of mind to something else: "I think refund... no wait, actually send
    a new set"."""
    turns = [m.end() for m in _CHANGE_OF_MIND.finditer(line)]
    if not turns:
        return True
    tail = line[turns[-1] :]
    return re.search(_any(_MONEY_WORDS), tail) is not None or not re.search(
        r"\b(?:new|another|replace\w*|exchange)\b", tail
    )


# A need taken back: "wait, actually dont cancel", "no need to refund it", "forget the return"
_TAKEN_BACK: Final = re.compile(
    r"\b(?:don'?t|do not|dont|no need to|not|never ?mind|forget|stop)(?: (?:the|that|my|it|to))?"
    r" (?P<verb>cancel\w*|refund\w*|return\w*|send\w* (?:it )?back|replace\w*|change\w*)"
)
_TAKEN_BACK_NEEDS: Final[dict[str, tuple[Intent, ...]]] = {
    "cancel": ("cancel",),
    "refund": ("refund",),
    "return": ("refund",),
    "send": ("refund",),
    "replace": ("damaged", "wrong_item"),
    "change": ("address_change",),
}


def taken_back(text: str) -> frozenset[Intent]:
    """The needs this message takes back ("actually don't cancel it")."""
    needs: set[Intent] = set()
    for match in _TAKEN_BACK.finditer(_reading(text).line):
        verb = match.group("verb")
        needs.update(next((v for k, v in _TAKEN_BACK_NEEDS.items() if verb.startswith(k)), ()))
    return frozenset(needs)


def _after_a_change_of_mind(found: list[tuple[int, Intent]], line: str) -> list[tuple[int, Intent]]:
    """The needs stated after the customer takes back the ones before."""
    turns = [m.end() for m in _CHANGE_OF_MIND.finditer(line)]
    if not turns:
        return found
    later = [(p, i) for p, i in found if p >= turns[-1]]
    return later if later and len(later) < len(found) else found


_MONEY_NEEDS: Final = frozenset({"price_drop", "refund", "damaged", "wrong_item", "late_delivery"})
_MONEY_REMEDY: Final = re.compile(
    r"\b(?:back|off|quid|bucks|pounds|dollars?|euros?|money|refund|difference|compensation"
    # "is there some gesture / policy for this?": the need's remedy asked about, no new request
    r"|gesture|policy|something|anything|credit|add|added|adjust|adjusted)\b"
)


# Told to choose among accounts: the rules never let the bot pick one, and no book covers it.
_PICKS_A_CUSTOMER: Final = re.compile(
    r"\b(?:pick|choose|select|guess|go with|use|take)(?: \w+){0,4}? (?:(?:latest|newest|most recent"
    r"|oldest|whichever|whoever|one of us|one of them|accounts?|customers?|profiles?|persons?"
    r"|the one)\b|(?:right|correct|first|last|real|actual) one\b"
    # "pick the right daniel lol": a person's name after "right"; "the right size" is no name
    r"|(?:right|correct|real|actual) (?!(?:size|colou?r|model|version|kind|type|item|thing|one)\b)"
    r"\w+(?= (?:lol|haha|lmao|please|pls|then|already|obviously)\b| [,.!?]|$))"
)


def _with_the_request(
    found: list[tuple[int, Intent]], *, line: str, rest: str, text: str
) -> tuple[list[tuple[int, Intent]], tuple[str, int] | None, bool]:
    """The needs, the request framed or commanded beside them (if any), and whether it was a
    bare command."""
    framed = _framed_request(rest, beside_a_need=bool(found))
    rules_asked = _RULES_ASKED.search(line)
    if framed is not None and rules_asked and rules_asked.start() <= framed[1] <= rules_asked.end():
        framed = None  # "do I get the whole 68 back?", "is there any fee?": the rules asked about
    others = any(i != "address_change" for _, i in found)
    if (framed is not None or others) and _only_moving_told(found, line, text):
        found = [(p, i) for p, i in found if i != "address_change"]  # the move is backstory
    if framed is not None and _only_backstory(found, line):
        found = []  # "it leaked and tripped the circuit; I expect you to cover the bill"
    commanded = framed is None and not found and (framed := _imperative(rest)) is not None
    return found, framed, commanded


# Where it goes, beside an address: "please deliver to Rua das Flores 21, 4050-262 Porto",
# "I made a typo in my address ... it should be 71 Harbour Street"
_ADDRESS_TOLD: Final = re.compile(
    r"\b(?:deliver|send|ship|redirect|forward|post|bring)(?: (?:it|them|this|that|order \w+"
    r"|the \w+|my \w+))? (?:over |instead )?to\b[^.!?]*"
    r"|\b(?:typo|mistake|error|wrong) in (?:my|the) (?:delivery |shipping )?address\b"
    r"|\b(?:my|the) (?:delivery |shipping )?address (?:should|must|needs to) (?:be|read|say)\b"
    r"|\binstead of (?:my|the) (?:old|previous|current|first) address\b"
)


def _with_an_address_told(
    found: list[tuple[int, Intent]], line: str, rest: str, text: str
) -> tuple[list[tuple[int, Intent]], str]:
    if any(i == "address_change" for _, i in found):
        return found, rest
    told = _ADDRESS_TOLD.search(rest)
    if told is None or extract_address(text) is None:
        return found, rest
    return sorted([*found, (told.start(), "address_change")]), _blank(
        rest, told.start(), told.end()
    )


def _with_the_credit(
    needs: list[Intent], at: tuple[int, ...], *, wants_credit: bool, line: str
) -> tuple[list[Intent], tuple[int, ...]]:
    """Where a late-delivery credit stands among the needs: asked for, or only a reason."""
    if wants_credit and (not needs or needs[0] == "order_status"):
        # Compensation asked for is the late-delivery rule's, where the parcel is included.
        return ["late_delivery", *needs[1:]], (0, *at[1:])
    if wants_credit and "late_delivery" not in needs and _LATENESS.search(line):
        # "add the late delivery credit and cancel the order": the credit first, then the rest
        return ["late_delivery", *needs], (0, *at)
    if not wants_credit and "late_delivery" in needs and {"cancel", "refund"} & set(needs):
        # "it's 6 days late. cancel it and give me my money back": the lateness is the reason
        # for what is asked; no credit was asked for
        kept = [(n, a) for n, a in zip(needs, at, strict=True) if n != "late_delivery"]
        return [n for n, _ in kept], tuple(a for _, a in kept)
    return needs, at


def understand(text: str) -> Understanding:
    """What the customer needs, in what order, and in what tone (tone shapes wording only)."""
    reading = _reading(text)
    line = reading.line
    found, money, rest = _needs(line)
    found, rest = _with_an_address_told(found, line, rest, text)
    found = _after_a_change_of_mind(found, line)
    stated = {i for _, i in found}
    if (
        "cancel" in stated
        and stated & {"refund", "damaged", "wrong_item"}
        and not re.search(_any(_CANCEL_WORDS), line)
    ):
        # "I no longer need the set and would prefer my money back": why, not a cancellation
        found = [(p, i) for p, i in found if i != "cancel"]
    found, framed, commanded = _with_the_request(found, line=line, rest=rest, text=text)
    kind = framed[0] if framed else None
    if kind is not None and _PICKS_A_CUSTOMER.search(line):
        framed, kind = None, None  # "just pick the right daniel": which account is no request
    if (
        framed is not None
        and {i for _, i in found} & _MONEY_NEEDS
        and _MONEY_REMEDY.search(framed[0].replace("_", " "))
    ):
        framed, kind = None, None  # "any chance of a few quid back?": the need's own remedy
    if framed is not None:
        found = sorted([*found, (framed[1], "service_request")])
    needs = [intent for _, intent in found]
    at = tuple(reading.offset(position) for position, _ in found)
    wants_credit = any(not _negated(line, m.start()) for m in re.finditer(_CREDIT_ASKED, line))
    needs, at = _with_the_credit(needs, at, wants_credit=wants_credit, line=line)
    for concept in _NAMED_CONCEPTS:
        if (kind is None or concept.over_a_request) and set(needs) <= concept.replaces:
            named = concept.kind_of(line, text)
            if named:
                kind, needs, at = named, ["service_request"], (0,)
    if not needs and kind is None and (status_at := _status_in_few_words(line)) is not None:
        needs, at = ["order_status"], (reading.offset(status_at),)
    later_fault = False
    granted = _never_got(line)
    if granted and set(needs) <= {"order_status", "late_delivery"}:
        needs, at = [], ()  # "where are my reward points": a thing granted, no parcel
    if not needs and kind is None and _LATER_FAULT.search(line):
        # A fault that came later is no damage on arrival: a repair under warranty when one is
        # asked for, else a return, which the returns rule answers.
        if re.search(r"\b(?:warranty|guarantee|repair|repaired|fix|fixed|mend)\b", line):
            kind, needs, at = "warranty_repair", ["service_request"], (0,)
        else:
            needs, at, later_fault = ["refund"], (0,), True
    about_the_rules = kind is None and _RULES_ASKED.search(line) is not None
    if about_the_rules:
        needs, at = _with_the_rules_named(line, needs, at)
        about_the_rules = bool(needs)
    intent = needs[0] if needs else None
    asked_about = _noun_question(rest) or _offer_asked(rest) or granted if intent is None else None
    if asked_about and "email" in asked_about.split("_") and EMAIL_ADDRESS.search(text):
        asked_about = None  # "try maria@...?": an address offered, no thing asked about
    problem = intent in ("damaged", "wrong_item")
    return Understanding(
        intent=intent,
        request_kind=_request_kind(intent, kind),
        service_kind=kind,
        commanded=commanded,
        asked_about=asked_about,
        wants_refund=_money_still_wanted(line) and (money or (problem and "cancel" in needs)),
        wants_credit=wants_credit,
        new_address=extract_address(text) if "address_change" in needs else None,
        name=extract_name(text),
        frustrated=is_frustrated(text),
        later_fault=later_fault,
        refund_amount=_refund_amount(text) if "refund" in needs else None,
        not_received=bool({"late_delivery", "refund"} & set(needs))
        and not _asks_where(line)  # "was it delivered or not?" is answered first
        and re.search(_EARLIER_REQUEST, line) is None
        and _NOT_RECEIVED.search(line) is not None,
        reaction=_reaction(line) if intent is None else None,
        about_the_rules=about_the_rules,
        tentative=_only_asked(intent, line),
        also=tuple(needs[1:]),
        at=at,
    )


# How the rules work, asked in general rather than as a request: "how long do I have to send
# something back?", "if the price drops after I buy, do I get the difference?", "can an order
# still be cancelled if it hasn't shipped?", "what happens if it's delivered late?"
_RULES_ASKED: Final = re.compile(
    r"\bhow (?:long|many days?|much time|many weeks?) (?:(?:do|does|would|will|did|have) )?(?:i|we"
    r"|you|one|customers?|people|someone|they) (?:still )?(?:have|get|got)\b"
    r"|\bwhat (?:is|are|s) (?:your|the) (?:\w+ ){0,2}?(?:policy|policies|rules?|time limit"
    r"|window|deadline)\b"
    r"|\b(?:your|the) (?:\w+ )?(?:policy|policies|rules?) (?:on|for|about|with)\b[^.!]*\?"
    r"|\bwhat (?:happens|would happen|will happen|do you do|would you do|do i do|then)\b"
    r"(?: \w+){0,3}? (?:if|when)\b"
    r"|\b(?:if|when|once) (?!(?:not|so|possible|you can|you could)\b)[^.!?]{3,80}?"
    r"(?:,|then)? (?:what happens|do you|does it|do i|would i|will i|am i|is it|are you"
    r"|would you|do we|will we|can i|i can|could i|i could|may i|i may|i am|i will|i get"
    r"|we get|i would get|i will get|must i|should i|shall i|need i|do i need|do i have)\b"
    r"(?:[^.!]| \.(?= \d))*\?"
    r"|\bhow (?:long|soon|many days) (?:after|before|from) \w+ (?:can|could|may|do|should)"
    r" (?:i|we|you)\b"
    r"|\b(?:am i|are we|i am|we are|is one) (?:\w+ )?(?:allowed|entitled|eligible|able)\b[^.!]*\?"
    r"|\b(?:can|could|may) (?:i|we|you) (?:still )?\w+ (?:back )?(?:something|anything|things"
    r"|an order|an item|stuff)\b"
    r"|\b(?:if|when) (?:\w+ ){2,12}?what happens\b"
    r"|\b(?:can|could|may) (?:an?|any|orders?|items?|things|something|stuff) (?:\w+ )?"
    r"(?:still )?(?:be|get) (?:cancelled|canceled|returned|changed|refunded|exchanged|sent back"
    r"|redirected|replaced)\b"
    r"|\bis (?:there|it) (?:a|any|some) (?:time limit|deadline|window|limit|cut ?off)\b"
    # a case put in general: "if something gets cheaper after I buy it?", "and if some day a
    # thing arrives broken, ...?", "what do you guys do when a delivery shows up late?"
    r"|\bif (?:something|anything|an item|a thing|things|items|the price|prices|a price"
    r"|a delivery|a parcel|an order|some day|someday|one day|it ever|ever|the thing|the item|price"
    r"|the product|stuff)\b"
    r"(?:(?!\b(?:can|could|will|would) you\b|\bplease\b)[^.!])*\?"
    r"|\bwhat do (?:you|u)(?: guys| lot| folks| people)? do (?:if|when)\b"
    # weighing it up: "before I decide anything, can I still send it back if I want to?"
    r"|\bif (?:i|we) (?:want|decide|choose|need|wanted|decided) to\b[^.!]*\?"
    r"|\bbefore (?:i|we) decide\b[^.!]*\?"
    r"|\b(?:the|your) (?:\w+ )?(?:window|deadline|time limit|period|days) (?:is |are )?(?:counted"
    r"|calculated|measured|starts?|begins?|from)\b"
    r"|\bdo (?:i|we) get (?:the |my )?(?:whole|full|entire|all (?:of )?(?:the|my)) (?:\w+ ){0,2}?"
    r"(?:back|refund|refunded|money)\b"
    r"|\bis there (?:a|any|some) (?:\w+ )?(?:fee|fees|charge|charges|penalty|cost)\b"
    r"|\bdo you (?:guys )?(?:do|offer|give|allow|accept) (?:\w+ )?(?:refunds|returns"
    r"|cancellations|replacements|price adjustments|credits)\b"
)

_RULE_TOPIC_PATTERNS: Final[tuple[tuple[Intent, str], ...]] = (
    ("refund", r"\b(?:returns?|refunds?|money back|send(?:ing)? (?:\w+ )?back)\b"),
    ("cancel", r"\b(?:cancel\w*)\b"),
    ("address_change", r"\baddress\w*\b"),
    ("price_drop", r"\b(?:price|prices|pricing|cheaper)\b"),
    ("late_delivery", r"\b(?:late|delay\w*|after (?:that|the|this) (?:date|day)|promised)\b"),
    ("damaged", r"\b(?:damage\w*|broken)\b"),
)
_RULE_TOPICS: Final = tuple((i, re.compile(p)) for i, p in _RULE_TOPIC_PATTERNS)


def _with_the_rules_named(
    line: str, needs: list[Intent], at: tuple[int, ...]
) -> tuple[list[Intent], tuple[int, ...]]:
    """Each rule a general question names ("do I get the difference back? and how long do I
    have to return it?"), read apart from the needs' remedies, in the order written."""
    named = [(m.start(), i) for i, p in _RULE_TOPICS if (m := p.search(line)) is not None]
    first: dict[Intent, int] = {}
    for position, intent in sorted([*named, *zip(at, needs, strict=True)]):
        first.setdefault(intent, position)
    ordered = sorted(first.items(), key=lambda item: item[1])
    return [i for i, _ in ordered], tuple(p for _, p in ordered)


# A return weighed, not asked for: "I might send the blender back", "thinking about returning it"
_TENTATIVE: Final = re.compile(
    r"\b(?:i|we) (?:might|may|could) (?:\w+ )?(?:send|return|post|bring)\b"
    r"|\b(?:thinking|thought) (?:about|of) (?:sending|returning|posting)\b"
    r"|\b(?:considering|debating|wondering (?:if|whether) (?:i|we) should) (?:sending|returning"
    r"|to return|send|return)\b|\bnot sure (?:if|whether) (?:i|we) (?:want to |should )?"
    r"(?:return|send|keep)\b"
    # whether a return is possible at all: "can the lamp be returned?", "do you take returns?"
    r"|\b(?:can|could) (?:it|this|they|these|that|the \w+) (?:still )?be (?:returned|sent back)\b"
    r"|\bdo you (?:accept|take) (?:returns|it back|them back)\b"
)
# Whether a remedy is still possible, asked rather than requested: "can I still cancel 4410?",
# "is it too late to send it back?", "am I still able to get the difference?"; told, not done.
_STILL_POSSIBLE: Final = re.compile(
    r"\b(?:can|could|may) (?:i|we) still (?:\w+ ){1,3}?[^.!]*\?"
    r"|\bis it (?:still )?(?:possible|ok|okay|allowed|too late) (?:for (?:me|us) )?to\b"
    r"(?<!\bis it possible to)(?<!\bis it ok to)(?<!\bis it okay to)(?<!\bis it allowed to)"
    r"|\bis it still (?:possible|ok|okay|allowed) (?:for (?:me|us) )?to\b"
    r"|\b(?:am i|are we) (?:still )?(?:able|allowed|eligible|entitled|in time) to\b"
    r"|\b(?:can|could) (?:it|this|they|these|that|the \w+|order \w+|\d+) still be"
    r" (?:cancel+ed|returned|sent back|refunded|changed|redirected)\b"
    r"|\bdo (?:i|we) (?:still )?(?:qualify|get|have the right)\b[^.!]*\?"
    r"|\bis (?:it|this|that|order \w+|\d+) still (?:cancel+able|returnable|refundable)\b"
)


# Said to be only a question, not yet a request: "just checking", "I ask only", "not asking
# you to cancel yet", "I don't know yet what I prefer", "just curious tbh"
_ONLY_ASKING: Final = re.compile(
    r"\b(?:just|only) (?:checking|asking|curious|a question|want(?:ed)? to know)\b"
    # the choice left to the bot: "what are my options?", "what can you do for me?"
    r"|\bwhat (?:is|s|'s) possible\b|\bstill (?:thinking|deciding)\b|\bi (?:will )?think first\b"
    r"|\blet me think\b|\bhaven'?t decided\b"
    r"|\bwhat (?:are|r) (?:my|the) options\b|\bwhat can (?:you|u) (?:do|offer)(?: for me"
    r"| about (?:it|this|that))?\s*\?"
    r"|\bi (?:only )?ask only\b|\b(?:i'?m|i am) (?:only|just) asking\b|\bcurious tbh\b"
    r"|\bnot asking (?:you )?(?:to (?:\w+ ){1,2})?yet\b|\bgeneral question\b"
    r"|\b(?:i'?m|i am|we'?re|we are) not (?:sure|decided) yet\b"
    r"|\b(?:i|we) (?:don'?t|do not) (?:know|decide) yet\b|\bbefore (?:i|we) decide\b"
    r"|\b(?:i|we) (?:don'?t|do not) (?:demand|ask for) anything\b|\bhypothetically\b"
)
# A remedy asked for in so many words, whatever questions come with it
_ASKED_FOR_PLAINLY: Final = re.compile(
    r"\b(?:please|pls|plz|kindly) (?:\w+ ){0,2}?(?:cancel|refund|return|replace|send|adjust|credit"
    r"|change)\b|\b(?:cancel|refund|return|replace)\w* (?:\w+ ){0,3}?(?:please|pls|plz)\b"
    r"|\b(?:i|we) (?:want|would like|'d like|need|demand) (?:to (?:cancel|return|send)|a refund"
    r"|my money|a replacement|a new one|the difference)\b"
)
# What can be offered and done on a yes (an address needs the address itself).
_OFFERABLE: Final = frozenset(
    {"refund", "cancel", "price_drop", "late_delivery", "damaged", "wrong_item"}
)


def _only_asked(intent: Intent | None, line: str) -> bool:
    if _ASKED_FOR_PLAINLY.search(line):
        return False  # "please cancel 2051 if I still can", "I want a refund, what are my options?"
    if intent == "refund" and _TENTATIVE.search(line):
        return True
    if intent not in _OFFERABLE:
        return False
    return _ONLY_ASKING.search(line) is not None or _STILL_POSSIBLE.search(line) is not None


_PROBLEMS: Final = frozenset({"damaged", "wrong_item"})
# What putting a problem right asks for: with none of it, the problem is a claim's backstory.
_REMEDY_ASKED: Final = re.compile(
    r"\b(?:replace\w*|exchange\w*|swap\w*|new one|another one|refund\w*|money back|fix\w*"
    r"|repair\w*|credit\w*|compensat\w*|send (?:me |us )?(?:a |an |another |the right )"
    r"|return\w*)\b"
    # "can I have the throw I actually paid for"
    r"|\b(?:have|get|send|want|need) (?:me |us )?(?:the|my) (?:\w+ ){0,3}?(?:i|we)"
    r" (?:actually |originally |really )?(?:paid for|ordered|bought|chose)\b"
)


def _only_backstory(found: list[tuple[int, Intent]], line: str) -> bool:
    return (
        bool(found)
        and all(intent in _PROBLEMS for _, intent in found)
        and not _REMEDY_ASKED.search(line)
    )


_STATUS_QUESTION: Final = re.compile(rf"(?:{_STATUS})[^.!?]*\?")


def _asks_where(line: str) -> bool:
    """A question where the order is or whether it came ("was it delivered or not?")."""
    return _STATUS_QUESTION.search(line) is not None


@dataclass(frozen=True, slots=True)
class _NamedConcept:
    """A request the reader knows by its concept rather than by its frame, named for the book."""

    kind_of: Callable[[str, str], str | None]  # (the reading, the raw text) -> its kind
    replaces: frozenset[str]  # the needs it may stand in for (read as their words)
    over_a_request: bool = False  # whether it names a request already read more truly


# Another size, colour or model for the one that came, with no fault told: an exchange, which
# the book does not cover ("can I swap them for a 40?", "change them for the brown model")
_EXCHANGE: Final = re.compile(
    r"\b(?:exchange|swap|change|switch|trade)(?: (?:it|them|this|that|these|those|(?:the|my)"
    r" (?:\w+ ){0,2}?\w+))?(?: over| out)? (?:for|to|into|with)"
    r" (?:a |an |the |one |another |some )?(?:\w+ ){0,3}?"
    r"(?:size|sizes|colou?rs?|model|version|style|pair|shade|fit|length|one|ones|\d+|xxs|xs|s|m"
    r"|l|xl|xxl|xxxl)\b"
    r"|\b(?:a|the|size) (?:\w+ )?\d+ instead of (?:the |a |my )?(?:size )?\d+\b"
    r"|\b(?:bigger|smaller|larger|different) (?:size|one|pair|colou?r)\b[^.!?]{0,40}"
    r"\b(?:swap|exchange|switch|change)\b"
    r"|\b(?:swap|exchange|switch|change)\b[^.!?]{0,40}\b(?:bigger|smaller|larger|different)"
    r" (?:size|one|pair|colou?r)\b"
    # "change it to the silver stand instead of the black one"
    r"|\b(?:swap|exchange|switch|change)\b[^.!?]{0,40}\binstead of (?:the|a|my) (?:\w+ ){0,2}?"
    r"(?:one|colou?r|size|model|version)\b"
)


# How the parcels are made up, asked for: "send the bookcase now and the boxes later,
# separately", "pop them in the same parcel", "combine my two orders"
_SHIPMENT_ARRANGEMENT: Final = re.compile(
    # (how they came is no request: "they came separately", "arrived in the same box")
    r"(?<!came )(?<!arrived )(?<!came in )(?<!arrived in )(?<!were sent )(?<!was sent )"
    r"(?<!shipped )(?<!delivered )\b(?:separately"
    r"|separate (?:deliveries|parcels|shipments|packages)|in two (?:deliveries"
    r"|parcels|shipments|packages)|(?:the same|one) (?:parcel|box|package|shipment|delivery)"
    r"|combine (?:the |my |both |them|these )?(?:orders|parcels|deliveries|shipments)?"
    r"|(?:ship|send|deliver) (?:them|both|everything|it all) together)\b"
)
_ARRANGING_ASKED: Final = re.compile(r"\?|\b(?:can|could|would|will|please|pls|possible)\b")


# A day or time asked for the delivery: "is possible that the courier brings it only on
# Saturday?", "could you deliver it on a Sunday?", "can it come in the evening?" (never when it
# will come: "will it arrive on saturday?" asks where it is)
_DELIVERY_DAY: Final = re.compile(
    r"\b(?:possible|can you|could you|can the \w+|could the \w+|can it|could it|can they"
    r"|please|would you)\b(?: \w+){0,6}? (?:bring|brings|deliver|delivers|delivered|come|comes"
    r"|arrive|arrives|drop|drops) (?:\w+ ){0,3}?(?:only )?(?:on (?:a |the )?(?:monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|weekend)s?|at (?:the )?weekend|in the (?:evening"
    r"|morning|afternoon)|after \d|before \d)\b"
)


# Compensation for the bother, with no lateness told: "chuck a tenner voucher on my account for
# the hassle" (the late-delivery credit is the book's only compensation, for a late parcel)
_FOR_THE_BOTHER: Final = re.compile(
    r"\bfor (?:the|all the|my|this|that) (?:hassle|inconvenience|trouble|bother|stress|chasing"
    r"|aggravation|headache)\b"
    # how someone treated them: "compensation for this behaviour", "for his rudeness"
    r"|\bfor (?:the|this|that|his|her|their|such) (?:\w+ )?(?:behaviour|behavior|rudeness"
    r"|attitude|conduct|treatment)\b"
)
_CONDUCT: Final = re.compile(r"\b(?:behaviour|behavior|rudeness|attitude|conduct)\b")
_LATENESS_TOLD: Final = re.compile(
    r"\b(?:late|delay\w*|wait\w*|still not|not (?:yet )?(?:here|arrived|come))\b"
)


def _goodwill_kind(line: str, _text: str) -> str | None:
    conduct = _CONDUCT.search(line) is not None
    bother = _FOR_THE_BOTHER.search(line) and (not _LATENESS_TOLD.search(line) or conduct)
    asked = re.search(_CREDIT_ASKED, line) or (
        conduct and re.search(r"\b(?:something|anything|compensation|money)\b", line)
    )
    return "goodwill_credit" if bother and asked else None


# Who pays to send it back: "the postage for sending back, is it paid by the shop?"
_RETURN_POSTAGE: Final = re.compile(
    r"\b(?:postage|shipping|courier|delivery) (?:cost |costs |fee |fees |charge )?(?:for |of )"
    r"(?:sending (?:it |them )?back|returning|the return|returns)\b"
    r"|\b(?:return|returns) (?:postage|shipping|label|labels|courier)\b"
    r"|\b(?:who|do you|will you|does the shop) (?:pays?|cover) (?:for )?(?:the )?(?:return )?"
    r"(?:postage|shipping)\b"
)


# A cancellation undone: "could you undo the cancellation and put the order back through?"
_REINSTATE: Final = re.compile(
    r"\b(?:undo|reverse|revert|cancel) (?:the |my |that |this )?cancel\w*|\bun-? ?cancel\w*"
    r"|\breinstate\w*|\bput (?:the |my |it )?(?:order )?back through\b"
    r"|\brestore (?:the |my )?order\b"
)


def _shipment_kind(line: str, _text: str) -> str | None:
    asked = _SHIPMENT_ARRANGEMENT.search(line) and _ARRANGING_ASKED.search(line)
    return "shipment_arrangement" if asked else None


def _named_when(pattern: re.Pattern[str], kind: str) -> Callable[[str, str], str | None]:
    """A concept read by one pattern on the reading: its kind where the pattern is found."""
    return lambda line, _text: kind if pattern.search(line) else None


def _fits_kind(line: str, _text: str) -> str | None:
    # "will the soundbar work with my TV?", "which cartridges fit it?": a product question
    return "product_compatibility" if _FITS.search(line) else None


def _partial_refund_kind(_line: str, text: str) -> str | None:
    # "refund me the 15%": part of the price back is no return of the item
    return "partial_refund" if _PARTIAL_REFUND.search(text.lower()) else None


_INVOICE_WORDS: Final = dict.fromkeys(
    ("rechnung", "factura", "fattura", "facture", "faktura", "fatura"), "invoice"
)


def _paperwork_kind(line: str, _text: str) -> str | None:
    found = _PAPERWORK.search(line)
    named = [
        _INVOICE_WORDS.get(w, w)
        for w in (found.group("kind").split() if found else ())
        if _known(w) or w in _INVOICE_WORDS
    ]
    return "_".join(dict.fromkeys(named)) or None  # "a fattura/invoice", "a Rechnung": invoice


# Points or a loyalty scheme asked about: "do I collect points when I buy", "is there a point card"
_LOYALTY: Final = re.compile(
    r"\b(?:collect|earn|get|gain|receive|use|redeem|add|have|give|lose|keep|check|see|spend"
    r"|turn|convert|change|put)(?: \w+){0,4}? (?:into |to |as |in |on )?(?:\w+ ){0,2}?"
    r"(?:points|stamps"
    r"|reward points|bonus points|cashback|miles)\b"
    r"|\bhow many (?:\w+ )?(?:points|stamps|miles)\b|\b(?:points|stamps) balance\b"
    r"|\b(?:point|points|loyalty|reward|rewards|bonus|membership|stamp|customer) (?:card|cards"
    r"|program|programme|programs|scheme|club|system)\b"
)


def _loyalty_kind(line: str, _text: str) -> str | None:
    if _never_got(line):
        return None  # "I was told I'd earn points but my balance hasn't changed": asked about
    return "loyalty_points" if _LOYALTY.search(line) else None


# A discount asked about for who the customer is: "I am a pensioner ... do you offer anything
# of that sort?", "is there a student discount"
_DISCOUNT: Final = re.compile(r"\b(?:discount|discounts|reduction|concession|concessions)\b")
_DISCOUNT_GROUP: Final = re.compile(
    r"\b(pensioner|senior|student|military|veteran|nhs|teacher|trade|bulk|carer|disabled)s?\b"
)
_ASKS: Final = re.compile(
    r"\b(?:do|can|could|would|will) you\b|\bis there\b|\bare there\b|\bany chance\b|\bcan (?:i|we)"
    r" (?:get|have)\b|\?"
)


def _discount_kind(line: str, _text: str) -> str | None:
    if not (_DISCOUNT.search(line) and _ASKS.search(line)):
        return None
    group = _DISCOUNT_GROUP.search(line)
    return f"{group.group(1)}_discount" if group else "discount"


# A gift service asked for: "can the loafers go out in gift packaging with a card?"
_GIFT_SERVICE: Final = re.compile(
    r"\bgift[ -]?(wrap|wrapped|wrapping|packaging|packaged|box|boxed|bag|message|note|receipt"
    r"|tag)\b"
)


def _gift_kind(line: str, _text: str) -> str | None:
    found = _GIFT_SERVICE.search(line)
    if found is None or _NEGATED_NEAR.search(line, 0, found.start()) or _noun_question(line):
        return None  # "gift receipt for 4410?" is asked about, against the order's own item
    word = found.group(1)
    return f"gift_{'wrapping' if word.startswith('wrap') else word}"


_NEGATED_NEAR: Final = re.compile(r"\b(?:no|not|without|don't|do not)\b(?:\W+\w+){0,2}\W*$")


# A cost of the customer's own beyond the order: "will you reimburse me for the classes I missed?"
_OTHER_COST: Final = re.compile(
    r"\b(?:reimburse|compensate|refund|pay)(?: me| us)? for (?:the |my |a |an )?(?:\w+ )?(\w+)"
    r" (?:i|we) (?:missed|lost|paid for|had to|could not|can not)\b"
    # the customer's own earnings: "I want those wages paid back", "pay me for the day off"
    r"|\b(wages|salary|earnings|income)\b(?: \w+){0,2} (?:paid back|back|reimbursed|compensated"
    r"|covered|refunded|made up)\b"
    r"|\b(?:reimburse|compensate|cover|refund|pay)(?: me| us)?(?: for)? (?:my |the |those |a )?"
    r"(?:lost |missed )?(wages|salary|earnings|day off|time off|days off|leave|lost pay)\b"
)


def _other_cost_kind(line: str, _text: str) -> str | None:
    found = _OTHER_COST.search(line)
    what = next((g for g in found.groups() if g), None) if found else None
    return f"reimburse_{what.replace(' ', '_')}" if what else None


def _fee_kind(line: str, _text: str) -> str | None:
    fee = _FEE_REFUND.search(line)
    return f"refund_{fee.group(1)}_{fee.group(2)}" if fee else None


# Tried in order; a later one replaces an earlier one where it may.
_NAMED_CONCEPTS: Final = (
    _NamedConcept(_fits_kind, frozenset()),
    _NamedConcept(
        _named_when(_EXCHANGE, "exchange"), frozenset({"refund", "order_status", "service_request"})
    ),
    _NamedConcept(
        _shipment_kind, frozenset({"order_status", "service_request"}), over_a_request=True
    ),
    _NamedConcept(
        _named_when(_PAYMENT_ARRANGEMENT, "payment_arrangement"),
        frozenset({"refund", "order_status", "service_request"}),
        over_a_request=True,
    ),
    _NamedConcept(
        _named_when(_DELIVERY_DAY, "delivery_day"), frozenset({"order_status", "service_request"})
    ),
    _NamedConcept(_goodwill_kind, frozenset({"late_delivery", "order_status", "service_request"})),
    _NamedConcept(
        _named_when(_RETURN_POSTAGE, "return_postage"),
        frozenset({"refund", "order_status", "service_request"}),
    ),
    _NamedConcept(
        _named_when(_REINSTATE, "reinstate_order"),
        frozenset({"cancel", "order_status", "service_request"}),
    ),
    # "charged twice", "can the refund go to my bank account instead": how money moved or moves,
    # which the book's refunds and credits do not speak to
    _NamedConcept(
        lambda line, _text: _payment_matter(line),
        frozenset({"refund", "cancel", "order_status", "service_request"}),
        over_a_request=True,
    ),
    _NamedConcept(
        _partial_refund_kind,
        frozenset({"refund", "service_request", "damaged", "wrong_item"}),
        over_a_request=True,
    ),
    _NamedConcept(lambda line, _text: _code_trouble(line), frozenset({"refund", "order_status"})),
    _NamedConcept(_paperwork_kind, frozenset({"order_status"})),
    _NamedConcept(_fee_kind, frozenset()),
    _NamedConcept(_loyalty_kind, frozenset()),
    _NamedConcept(_discount_kind, frozenset()),
    _NamedConcept(_gift_kind, frozenset()),
    _NamedConcept(_other_cost_kind, frozenset({"refund", "late_delivery"}), over_a_request=True),
)


def _only_moving_told(found: list[tuple[int, Intent]], line: str, text: str) -> bool:
    return (
        any(i == "address_change" for _, i in found)
        and re.search(_ADDRESS_ASKED, line) is None
        and extract_address(text) is None
    )


def _request_kind(intent: Intent | None, service_kind: str | None) -> str | None:
    if intent == "competitor_price_match":
        return COMPETITOR_PRICE_MATCH
    return service_kind if intent == "service_request" else None


_CLAUSE_BREAK: Final = re.compile(
    r"[.;!?\n]+\s*|,\s*(?:(?:and|also|plus|but)\b\s*)*|\s(?:and|also|plus|but|then)\b\s*", re.I
)


_LIST_MARK: Final = re.compile(
    r"(?:^|\s)(?:\(?\d{1,2}[).]|[-*\u2022]|secondly|second|also|plus|and also)\s", re.I
)
_SENTENCE_END: Final = re.compile(r"[.;!?\n]+\s+")


def need_clauses(text: str, understood: Understanding) -> tuple[str, ...]:
    """The part of the message each need was stated in (intent first, then `also`).

    The message is cut at the last clause break between two needs ("cancel 2051 and refund
    4410" -> "cancel 2051", "refund 4410"); where none stands between them, at the later need.
    """
    at = understood.at
    if len(at) < 2 or len(at) != 1 + len(understood.also):
        return (text,) * max(1, len(at))
    cuts = [0]
    for here, following in itertools.pairwise(at):
        # a list's marker ("1) cancel ... 2) the gravel, 20444, was due"), else a sentence's
        # end, else the last clause break between them
        marks = [m.start() for m in _LIST_MARK.finditer(text, here, following)]
        ends = [m.start() for m in _SENTENCE_END.finditer(text, here, following)]
        breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text, here, following)]
        cut = (ends or marks or breaks or [following])[-1]
        while not ends and marks and cut > here and text[cut - 1] in " ,;.!?\n":
            cut -= 1  # "broken; also where is ...": the mark's own clause break goes with it
        cuts.append(max(cut, cuts[-1]))
    cuts.append(len(text))
    return tuple(text[a:b] for a, b in itertools.pairwise(cuts))


# -- Names, addresses and items (read from the raw text: their capitals and digits matter) ---

_NAME_WORD = r"[A-Z][a-z'-]+|[A-Z]{2,}(?=\s|$|[,.!])"
_FULL_NAME = rf"((?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{1,2}})"
_ANY_NAME = rf"((?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD})){{0,2}})"
_NAME_FRAMES: Final = tuple(
    re.compile(frame)
    for frame in (
        rf"(?i:\b(?:this\s+is|(?:my\s+)?name\s+is|my\s+name's|name\s*:))\s+{_ANY_NAME}",
        # "from Leo Marsh: ...", "Leo Marsh (customer) - ..."
        rf"^\s*(?i:from)\s+{_FULL_NAME}\s*[:,.-]",
        rf"^\s*{_FULL_NAME}\s*\((?i:customer|client|account holder|buyer)\)",
        rf"(?i:\b(?:i\s+am|i'm|it's|it\s+is))\s+{_FULL_NAME}",
        rf"{_FULL_NAME}\s+(?i:is\s+(?:the|my)\s+name)\b",
        rf"^\s*(?i:hi|hello|hey)?(?i: there)?[,!.\s]*{_FULL_NAME}(?:\s+(?i:from)\s+[A-Z]\w+)?"
        rf"\s+(?i:here|speaking|writing)\b",
        rf"^\s*(?:(?i:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening))(?i:\s+there)?[,!.\s]+)?"
        rf"(?i:is\s+)?{_FULL_NAME}\s*[.,:;!-]",
        # a greeting in any language, then the name: "hej! Maria Lindqvist."
        rf"^\s*(?!(?i:thanks|thank|thx|cheers|ok|okay|yes|yeah|no|ugh|well|so|and)\b)[^\W\d_]+"
        rf"[!,]\s+{_FULL_NAME}\s*[.,:;!-]",
        # the name opening a later sentence: "THIS IS RIDICULOUS. Maria Lindqvist, my bag..."
        rf"(?<=[.!?])\s+{_FULL_NAME}\s*,\s+(?i:my|i|i'm|im|our|we|order|here)\b",
        # one run of spaces at a time: "\s*-*\s*" over a long run of spaces is quadratic
        rf"(?i:thanks|thank\s+you|cheers|regards|best|sincerely)[,!.]?\s*(?:[-\u2013\u2014]+\s*)?"
        rf"{_ANY_NAME}\s*[.!]?$",
    )
)
# Lower case: "my name is ravi", or a full name after "this is", "i'm" ("this is john smith").
_LOWER_NAME = re.compile(
    r"\bmy\s+name\s+is\s+([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)"
    r"|\b(?:this\s+is|i\s+am|i'm|im|it's|its|name\s*:|name's|name\s+is)\s+"
    r"([a-z][a-z'-]+\s+[a-z][a-z'-]+)\b"
    r"(?=\s*$|\s*[^\w\s]|\s+(?:and|here|from|with|but|my|i|im|order|email|phone|again)\b)"
    # "declan murphy here": a full name opening the message, introduced by "here"
    r"|^\s*(?:(?:hi|hey|hello|hiya)\W+)?([a-z][a-z'-]+\s+[a-z][a-z'-]+)\s+here\b",
    re.I,
)


_TITLE: Final = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+(?=[A-Z])")


def extract_name(text: str) -> str | None:
    """A name the customer gives for themselves ("this is John Smith"), if any."""
    text = _TITLE.sub("", text.rstrip())
    for frame in _NAME_FRAMES:
        match = frame.search(text)
        if match and _plausible_name(match.group(1)):
            return " ".join(match.group(1).split())
    match = _LOWER_NAME.search(text)
    name = match and (match.group(1) or match.group(2) or match.group(3))
    if name and _plausible_name(name):
        return " ".join(w.capitalize() for w in name.split())
    signed = _SIGNED.search(text)
    if signed and _plausible_name(signed.group(1)) and _a_rare_word(signed.group(1).lower()):
        return " ".join(signed.group(1).split())  # "my curtains are late. Tomasz Nowak"
    opening = _LOWER_OPENING.match(text)
    if opening and _plausible_name(opening.group(1)) and _a_rare_word(opening.group(1)):
        return " ".join(w.capitalize() for w in opening.group(1).split())
    return None


# A name signing off after the message, one of its words one English rarely uses ("Desk Lamp"
# after "the lamp broke." is no signature)
_SIGNED: Final = re.compile(rf"(?<=[.!?])\s+{_FULL_NAME}\s*[.!]?\s*$")
# "daniel okafor. one of the things i ordered ...": two words opening the message, one of them a
# word English rarely uses (a surname), neither one the reader knows
_LOWER_OPENING: Final = re.compile(r"\s*([a-z][a-z'-]+ [a-z][a-z'-]+)\s*[.,:]\s")


def _a_rare_word(words_: str) -> bool:
    return any(not is_known_word(w) for w in words_.split())


def _plausible_name(name: str) -> bool:
    # A name is no function word, no word of the reader's classes, no word of anger.
    ws = name.lower().split()
    return bool(ws) and not any(
        w in _FUNCTION or w in _LEXICON.words or _ANGER.search(w) for w in ws
    )


_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|court|ct|place|pl|boulevard|blvd|close"
    r"|crescent|terrace|square|sq|apt|apartment|flat|suite|unit|highway|hwy|parkway|pkwy|row|mews"
    r"|gardens|grove|hill|park)\b\.?"
)
_POSTCODE = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|\d{5}(?:-\d{4})?)\b"
_NOT_IN_ADDRESS = r"(?!(?:to|at|in|on|my|the|for|and|or|is|it|order|instead|please|not)\b)"
# A street address has a shape: a house number, a street's name and kind, then a town and a
# postcode if given ("221B Baker Street, London NW1 6XE", "10 Elm Lane, Springfield 12345").
_ADDRESS = re.compile(
    rf"\b\d+[a-z]?\s+(?:{_NOT_IN_ADDRESS}[a-z][\w'-]*\s+){{1,3}}?{_STREET}"
    rf"(?:,?\s+{_NOT_IN_ADDRESS}[a-z][a-z'-]+(?:\s+{_NOT_IN_ADDRESS}[a-z][a-z'-]+)?(?=[\s,.!?]|$))?"
    rf"(?:,?\s+{_POSTCODE})?",
    re.I,
)


# The street's name first, as much of Europe writes it: "Hauptstrasse 5, 10827 Berlin",
# "Vasagatan 12, 411 24 Göteborg", "Rue Oberkampf 8, 75011 Paris".
_NAME_FIRST_ADDRESS = re.compile(
    r"\b[A-Z][^\W\d_][\w'-]*\.?(?: [A-Z][\w'-]*| [a-z]{1,3}){0,3} \d+(?:/\d+)?[A-Za-z]?"
    # the flat or floor between: "3B", "3º esq", "apartamento 4"
    r"(?:, [\w.º°ª]{1,12}(?: [\w.º°ª]{1,6}){0,2})?,?"
    r" (?:\d{3} \d{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{4,5})"
    r" [A-Z][^\W\d_]+(?: [A-Z][^\W\d_]+)?"
)


# Any street's name, as long as a house number starts it and a postcode ends it.
_NUMBERED_TO_POSTCODE = re.compile(
    r"(?:(?<=\bto )|(?<![#\w])(?<!order )(?:(?:unit|flat|apt|suite) )?)"
    rf"\d+[a-z]?,?\s+[^?!\n]{{3,100}}?{_POSTCODE}",
    re.I,
)


# after a town, more countries' postcodes: "Cape Town 8001", "Toronto ON M5V 2T6",
# "Amsterdam 1012 AB"
_TOWN_POSTCODE = (
    rf"(?:{_POSTCODE}|(?<=[A-Za-z] )(?<![Oo]rder )(?<![Nn]o )(?<![Nn]umber )"
    r"(?!(?:19|20)\d\d\b)\d{4}"
    r"(?: ?[A-Z]{2})?\b(?![-/.,]?\d)"
    r"|\b[A-Z]\d[A-Z] ?\d[A-Z]\d\b)"
)
_TO_POSTCODE = re.compile(rf"(?<!\d)[^?!\n.;]{{0,60}}?{_TOWN_POSTCODE}")


# An address given under its label: "New address: 3-5-12 Kamimeguro, Meguro-ku, Tokyo 153-0051"
_LABELLED_ADDRESS: Final = re.compile(
    r"(?<!email )(?<!e-mail )(?<!old )(?<!previous )(?<!current )"
    r"\b(?:new |delivery |shipping )?address(?: is)?\s*:\s*(?P<address>(?!order\b)[^\n]*?\d[^\n]*?)"
    r"(?=\s*(?:[!?]|\.\s|\.$|\n|$| (?:thanks|thank you|please|pls)\b))",
    re.I,
)


def extract_address(text: str) -> str | None:
    """The new delivery address in a request to change it, when it has an address's shape."""
    plain = EMAIL_ADDRESS.sub(" ", text)
    labelled = _LABELLED_ADDRESS.search(plain)
    if labelled and len(labelled.group("address")) >= _SHORTEST_ADDRESS and "," in labelled.group():
        return labelled.group("address").strip(" .,")
    european = _NAME_FIRST_ADDRESS.search(plain)
    match = _ADDRESS.search(plain) or _NUMBERED_TO_POSTCODE.search(plain)
    if european and (match is None or european.start() < match.end()):
        return european.group()  # "Calle Mayor 12, 3B, 28013 Madrid": its name comes first
    if match is None:
        return None
    # The lines after the street ("Unit 4, San Francisco CA 94111") run to its postcode.
    rest = _TO_POSTCODE.match(plain, match.end())
    # ... and a flat written before it belongs to it: "Flat 2, 3 Elm Road"
    flat = _FLAT_BEFORE.search(plain, 0, match.start())
    start = flat.start() if flat else match.start()
    return (plain[start : match.end()] + (rest.group() if rest else "")).rstrip(" .")


_SHORTEST_ADDRESS: Final = 8
_FLAT_BEFORE: Final = re.compile(r"\b(?:flat|apt|apartment|unit|suite) \w{1,4},? $", re.I)


def looks_like_address(text: str) -> bool:
    """A street address: a number with a street word, or a postcode."""
    stripped = text.strip()
    if not stripped or len(stripped) > 200 or "@" in stripped:
        return False
    if _ADDRESS.search(stripped) or _NAME_FIRST_ADDRESS.search(stripped):
        return True
    return bool(re.search(_POSTCODE, stripped) and re.search(r"[A-Za-z]{3,}", stripped))


# "two-seater" shares no more with "two and a half weeks" than "a set of 4" does with "4 days"
_NUMBER_WORDS: Final = words(
    "one two three four five six seven eight nine ten eleven twelve twenty hundred single double"
    " triple pair"
)


# Words of an item's name that name nothing of it ("Pour-Over Scale": "over the years")
_PARTICLES_OF_NAMES: Final = words("over off out up down after before around through without")


def mentions_item(text: str, item: str) -> bool:
    """Whether the message names the item: any of its words, singular or plural, or one slip,
    the end of a compound ("sticks" of "drumsticks"), or its model code ("5A", "SM58")."""
    return bool(_mentions(_said(text), item)) or bool(item_codes(text) & item_codes(item))


def item_codes(text: str) -> set[str]:
    """Model and size codes written in a text ("SM58", "4K", "27-inch")."""
    # letters and digits in one token, never a plain number; "27 inch" is "27-inch"
    text = re.sub(r"(\d) (inch|in|cm|mm|kg|l|ml|gb|tb|w)\b", r"\1-\2", text.lower())
    return set(re.findall(r"\b(?=[a-z-]*\d)(?=[\d-]*[a-z])[a-z\d-]{2,}\b", text.lower()))


def _said(text: str) -> list[str]:
    return [_singular(w) for w in re.findall(r"[a-z]+", EMAIL_ADDRESS.sub(" ", text.lower()))]


def _mentions(said: list[str], item: str) -> list[int]:
    """Where in `said` the item is named (word positions)."""
    wanted = {
        _singular(w)
        for w in re.findall(r"[a-z]{3,}", item.lower())
        if w not in _FUNCTION and w not in _NUMBER_WORDS and w not in _PARTICLES_OF_NAMES
    }
    return [
        i
        for i, s in enumerate(said)
        if any(
            s == w
            or (len(w) >= 5 and s[:1] == w[:1] and OSA.distance(s, w) <= 1)
            or (len(s) >= 5 and len(w) > len(s) + 2 and w.endswith(s))  # "sticks", "drumsticks"
            for w in wanted
        )
    ]


_CORRECTION: Final = re.compile(
    r"\b(?:no wait|wait no|actually|i mean|i meant|sorry|scratch that|make that|or rather"
    r"|on second thought|not that one|my mistake|my bad)\b"
)
_KEPT: Final = words("keep not except leave")
_FINE: Final = words("fine ok okay good perfect alright")


def item_meant(text: str, items: Sequence[str]) -> int | None:
    """Of several items named in one message, the one meant after a correction ("the blanket...
    no wait, the coffee grinder. keep the blanket" -> the coffee grinder); None when it is not
    one."""
    said = _said(text)
    named = {
        index: [p for p in _mentions(said, item) if not _KEPT & set(said[max(0, p - 3) : p])]
        for index, item in enumerate(items)
    }
    for index, places in named.items():
        # "the lamp is fine": the item said to be fine is not the one
        if any(
            said[p + 1 : p + 2] in (["is"], ["was"]) and _FINE & set(said[p + 2 : p + 3])
            for p in places
        ):
            named[index] = []
    # the last correction that names an item after it ("sorry, I forgot" names none)
    joined = " ".join(said)
    cues = [joined[: m.end()].count(" ") + 1 for m in _CORRECTION.finditer(joined)]
    named_after = [c for c in cues if any(p >= c for ps in named.values() for p in ps)]
    after = named_after[-1] if named_after else 0
    meant = [index for index, places in named.items() if any(p >= after for p in places)]
    if len(meant) > 1:
        # "cancel my leash order, I'll buy one at the pet store": the leash's own noun is named,
        # the feeder's "pet" belongs to another noun
        heads = [index for index in meant if _head_named(said[after:], items[index])]
        meant = heads or meant
    if len(meant) > 1:
        # "the standing desk" names all of the standing desk and half of the desk mat
        share = {index: _share_named(said[after:], items[index]) for index in meant}
        best = max(share.values())
        meant = [index for index in meant if share[index] == best]
    return meant[0] if len(meant) == 1 else None


def _head_named(said: list[str], item: str) -> bool:
    """Whether the item's head noun ("leash" in "Retractable dog leash, 5 m") is named."""
    name = re.split(r"[,(]", item.lower(), maxsplit=1)[0]
    content = [w for w in re.findall(r"[a-z]{3,}", name) if w not in _FUNCTION]
    return bool(content) and bool(_mentions(said, content[-1]))


def _share_named(said: list[str], item: str) -> float:
    # the name, not its details: "Oak dining chairs (set of 4)" is named by "oak dining chairs"
    name = re.split(r"[,(]", item.lower(), maxsplit=1)[0]
    words_of_item = [w for w in re.findall(r"[a-z]{3,}", name) if w not in _FUNCTION]
    if not words_of_item:
        return 0.0
    return sum(bool(_mentions(said, w)) for w in words_of_item) / len(words_of_item)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word

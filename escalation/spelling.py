"""Normalise the words of customer text onto a lexicon: chat spellings, contractions, typos and
words written together.

Typos are matched with rapidfuzz (optimal string alignment distance) against the lexicon a
caller passes in; joined words ("talktoahuman") are split with wordsegment's English unigram and
bigram model. A word is only "corrected" when the English corpus does not know it as a word of
its own, so "contract" never becomes "contact" nor "stuff" become "staff". The corpus is loaded
once, on first use, from the library's bundled files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from lemminflect import getLemma
from rapidfuzz import process
from rapidfuzz.distance import OSA
from wordsegment import Segmenter

from escalation.wording import COMMON_REWRITES


def words(text: str) -> frozenset[str]:
    """The set of space-separated words in `text` (word lists are kept as plain text)."""
    return frozenset(text.split())


def _table(text: str) -> dict[str, str]:
    # "word=its_rewrite" pairs; "_" is a space in the rewrite, nothing after "=" drops the word
    return {k: v.replace("_", " ") for k, _, v in (p.partition("=") for p in text.split())}


# Whole-word rewrites on top of the shared ones: chat spellings of the detector's own words;
# chat shorthand for the words of a request ("nd 2 tlk 2 a rep", "txt me bk"); Filipino
# code-switching, where politeness particles carry no meaning here, "pa-"/"paki-" ask, "sa" aims
# the act ("pa-transfer po sa agent") and "kausap" is to talk with.
REWRITES: Final[dict[str, str]] = COMMON_REWRITES | _table(
    "ppl=people wth=with thru=through w=with wit=with some1=someone any1=anyone hooman=human"
    " sum1=someone som1=someone sumone=someone sumbody=somebody callback=call_back"
    " livechat=live_chat helpdesk=help_desk helpline=help_line hotline=help_line chatbot=bot"
    " chatbots=bots cs=customer_service cust=customer tel=phone tollfree=toll_free liv=live"
    " csr=customer_service_representative mgr=manager mngr=manager telephone=phone nr=number"
    " nbr=number num=number shouldnt=should_not hows=how_is whos=who_is whoevers=whoever_is"
    " tlk=talk tak=talk tlking=talking spk=speak spking=speaking ned=need nd=need cn=can cud=could"
    " hv=have msg=message txt=text bk=back wen=when rn=right_now abt=about acct=account"
    " srvc=service svc=service xfer=transfer xfr=transfer hmn=human agt=agent irl=real tx=thanks"
    " btw=by_the_way tbh=to_be_honest imo=in_my_opinion diff=difference addr=address"
    " adres=address adress=address addres=address adresse=address"
    " dmg=damaged dmgd=damaged pkg=package yall=you_all y'all=you_all wher=where whr=where"
    " trnsfr=transfer custmr=customer srvce=service"
    " exec=executive execs=executives frm=from po= naman= ko= ba= ma="
    " pa=please paki=please pwede=can sana=hopefully sa=to ang=the ng=a ako=me tao=person"
    " kausap=talk_to makausap=talk_to pakausap=please_talk_to salamat=thanks"
)

# Words the English corpus knows too rarely for the "known word" test, yet are never typos.
NEVER_CORRECTED: Final[frozenset[str]] = words(
    "refund parcel courier invoice voucher reorder unsubscribe eta sku recs"
)

_IRREGULAR: Final = _table(
    "can't=can_not won't=will_not shan't=shall_not ain't=is_not it's=it_is that's=that_is"
    " there's=there_is what's=what_is where's=where_is who's=who_is whoever's=whoever_is"
    " how's=how_is here's=here_is he's=he_is she's=she_is"
)
_SUFFIXES: Final = tuple(_table("n't=not 'd=would 'm=am 're=are 'll=will 've=have 's='s").items())

_JOINERS: Final = words(
    "to a an the me us i my you your with for of in and please can want need now get"
)
# A word the corpus has seen this often is a word in its own right, not a slip of the keys
# (typos of common words sit well below it: "agnet" 46k, "sevice" 159k; "urgent" is 6.7M).
_KNOWN_COUNT: Final = 1_000_000
# How much more often the lexicon word is used than a counted word for the latter to be its slip
# ("received" 90M vs "recieved" 1.3M; "through" is only 4x "though").
_SLIP_RATIO: Final = 50
_MAX_FUZZY_LENGTH: Final = 24
_MAX_JOINED_LENGTH: Final = 48


@lru_cache(maxsize=1)
def _segmenter() -> Segmenter:
    segmenter = Segmenter()
    segmenter.load()
    return segmenter


def load() -> None:
    """Load the word-frequency data now (about 0.4 s) instead of on the first message read."""
    _segmenter()


def is_known_word(word: str) -> bool:
    """Whether the English corpus knows `word` as a word of its own, or as a form of one
    ("swapped" is swap's, never a slip of "snapped")."""
    counts = _segmenter().unigrams
    if word in NEVER_CORRECTED or counts.get(word, 0.0) >= _KNOWN_COUNT:
        return True
    return any(
        lemma != word and counts.get(lemma, 0.0) >= _KNOWN_COUNT
        for upos in ("VERB", "NOUN")
        for lemma in getLemma(word, upos=upos, lemmatize_oov=False)
    )


class Lexicon:
    """The words a reader cares about; others' typos and joins are mapped onto them."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words
        self._targets = sorted(w for w in words if len(w) >= 4)
        self.normalise = lru_cache(maxsize=8192)(self._normalise)

    def _closest(self, word: str) -> str | None:
        # One edit for short words, two from seven letters ("costumer" -> "customer").
        limit = 1 if len(word) < 7 else 2
        found = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=limit)
        return None if found is None else found[0]

    def _common_slip(self, word: str) -> str | None:
        # A slip common enough to be counted as a word ("recieved", "adres") is one edit from a
        # lexicon word used far more often; a real word ("though" by "through") is not.
        if len(word) < 6 or word in NEVER_CORRECTED:
            return None
        found = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=1)
        if found is None or len(found[0]) != len(word):
            return None  # swapped or mistyped letters only: "thorough" is not "through"
        counts = _segmenter().unigrams
        return (
            found[0] if counts.get(found[0], 0.0) >= _SLIP_RATIO * counts.get(word, 0.0) else None
        )

    def _inflected(self, word: str) -> bool:
        # "phoned", "emailed", "chatted" are other forms of a lexicon word, not slips of it
        return any(
            word.endswith(suffix) and word[: -len(suffix)] in self.words
            for suffix in ("ed", "d", "s", "es", "ing", "ted")
        )

    def _normalise(self, word: str) -> tuple[str, ...]:
        if word in self.words or word in REWRITES:
            return tuple(REWRITES.get(word, word).split())
        if _LETTER_RUN.search(word):  # a held key: "plsss", "agenttt", "pleeease", "coool"
            forms = (_LETTER_RUN.sub(r"\1", word), _LETTER_RUN.sub(r"\1\1", word))
            ours = [f for f in forms if f in self.words or f in REWRITES]
            counts = _segmenter().unigrams
            return self.normalise(ours[0] if ours else max(forms, key=lambda f: counts.get(f, 0)))
        if not word.isalpha() or len(word) < 4 or len(word) > _MAX_JOINED_LENGTH:
            return (word,)
        if self._inflected(word):
            return (word,)
        if is_known_word(word):
            return (self._common_slip(word) or word,)
        if len(word) >= 6:
            # Joined words combine lexicon words with small function words ("tosomebody");
            # anything else the segmenter proposes is more likely a rare word of its own.
            parts = [REWRITES.get(p, p) for p in _segmenter().segment(word)]
            if len(parts) > 1 and all(p in self.words or p in _JOINERS for p in parts):
                return tuple(" ".join(parts).split())
        closest = self._closest(word) if len(word) <= _MAX_FUZZY_LENGTH else None
        return (word,) if closest is None else (closest,)


QUOTES: Final = frozenset('"\u201c\u201d')
# Three or more of one letter are a held key, never English.
_LETTER_RUN: Final = re.compile(r"([a-z])\1{2,}")
# Words joined by a "2" or "4" standing for "to" or "for": "need2talk2someone", "nd4agent".
_DIGIT_JOINED: Final = re.compile(r"[a-z]{2,}(?:[24][a-z]{2,})+")


@dataclass(frozen=True, slots=True)
class Token:
    """A normalised word (or clause punctuation) and the span of the input it came from."""

    word: str
    start: int
    end: int


_TOKEN: Final = re.compile(
    r"[^\W_]+(?:['\u2019\u2018*]+[^\W_]*)*"  # a word, contractions and f***ing included
    r"|[.,;:!?]+"  # clause punctuation
    r"|(?<!\S)[-\u2013\u2014~|/]+(?!\S)"  # a free-standing dash or bar separates clauses
    r"|[()\[\]{}]"  # brackets separate clauses too
    r"|[\"\u201c\u201d]"  # double quotes open and close a quotation
    r"|#"  # "support #", "phone # for cs": a number
)


_BEFORE_TO: Final = words("talk speak chat me us through want need connect transfer go back")
# "2", "too" and slips of "to" after a word that takes "to": "talk 2 someone", "speak ot a rep"
_AS_TO: Final = frozenset({"2", "too", "ot", "tp", "yo"})


def _split_contraction(word: str) -> list[str]:
    if word in _IRREGULAR:
        return _IRREGULAR[word].split()
    for suffix, full in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return [word[: -len(suffix)], full]
    return [word.replace("'", "")]


def tokens(line: str, offset: int, lexicon: Lexicon) -> Iterator[Token]:
    """The normalised tokens of one line; spans are offsets into the whole text."""
    previous = ""
    for match in _TOKEN.finditer(line):
        raw = match.group()
        start, end = offset + match.start(), offset + match.end()
        if raw in QUOTES:
            previous = '"'
            yield Token(previous, start, end)
            continue
        if "*" in raw:
            continue  # a word censored with asterisks is a swear word, which is never read
        if raw == "#":
            previous = "number"
            yield Token(previous, start, end)
            continue
        if not raw[0].isalnum():
            mark = "?" if "?" in raw else "!" if "!" in raw else raw[0]
            previous = mark if mark in ".,;:?!" else ";"
            yield Token(previous, start, end)
            continue
        word = raw.lower().replace("\u2019", "'").replace("\u2018", "'")
        if word in _AS_TO and previous in _BEFORE_TO:
            word = "to"  # "talk 2 someone", not "order 2"
        if word in {"sa", "to"} and previous == "to":
            continue  # "talk to" written twice across languages
        if _DIGIT_JOINED.fullmatch(word):
            word = word.replace("2", " to ").replace("4", " for ")
        for piece in (p for part in word.split() for p in _split_contraction(part)):
            for normal in lexicon.normalise(piece):
                previous = normal
                yield Token(normal, start, end)

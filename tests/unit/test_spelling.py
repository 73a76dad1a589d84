"""Spelling: slips common enough to be counted as words are still read as the word meant."""

from __future__ import annotations

import pytest

from escalation.spelling import Lexicon, is_known_word, words

LEXICON = Lexicon(words("received manager address customer through"))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("recieved", "received"), ("custoemr", "customer"), ("costumer", "customer")],
)
def test_a_common_slip_of_a_lexicon_word_is_that_word(typed: str, meant: str) -> None:
    assert LEXICON.normalise(typed) == (meant,)


@pytest.mark.parametrize("word", ["though", "thorough", "managed", "receiver"])
def test_a_real_word_near_a_lexicon_word_stays_itself(word: str) -> None:
    assert LEXICON.normalise(word) == (word,)


@pytest.mark.parametrize(
    ("typed", "meant"), [("recieveddd", "received"), ("sooo", "so"), ("cooool", "cool")]
)
def test_a_held_key_is_the_word_with_its_letters_single_or_double(typed: str, meant: str) -> None:
    assert LEXICON.normalise(typed) == (meant,)


def test_a_form_of_a_known_word_is_known_and_never_corrected() -> None:
    assert is_known_word("swapped")

"""What a customer is told when an agent claims their case: the agent's name made fit to say
(or no name), in one sentence that always promises the same thing."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from escalation.claimed import ELLIPSIS, MAX_NAME, claim_notice, spoken_name

GENERIC = "A person from our team has your case now and will reply here."
PROMISE = " from our team has your case now and will reply here."


def test_the_agent_is_named() -> None:
    assert claim_notice("Dana") == "Dana from our team has your case now and will reply here."


@pytest.mark.parametrize("name", [None, "", "   ", "\n\t", "\u200b\u200e", "...", "-", "\u0301"])
def test_no_readable_name_gives_the_wording_without_one(name: str | None) -> None:
    assert claim_notice(name) == GENERIC


def test_spaces_and_line_breaks_become_one_space() -> None:
    assert spoken_name("  Dana \n  Maria\u00a0Lopez\t") == "Dana Maria Lopez"


def test_invisible_characters_go_and_control_characters_part_words() -> None:
    assert spoken_name("Da\u200bna\u202e\u2066") == "Dana"
    assert spoken_name("Dana\u0000Lopez\u0007") == "Dana Lopez"


def test_markup_is_kept_as_typed_here_and_escaped_by_the_platform() -> None:
    # Escaping is the sender's job (it escapes every text alike); the wording keeps it whole.
    assert spoken_name("<!channel> Dana") == "<!channel> Dana"


def test_unicode_names_are_kept() -> None:
    assert spoken_name("Zoë Ñúñez") == "Zoë Ñúñez"
    assert spoken_name("李小龍") == "李小龍"
    assert spoken_name("Dana 👩\u200d💻") == "Dana 👩\u200d💻"
    assert spoken_name("Zoe\u0308") == "Zoë"  # composed (NFC)


def test_a_long_name_is_cut_at_a_word_without_dangling_punctuation() -> None:
    name = "Alexandra Catherine Montgomery-Smythe, Head of Customer Happiness"
    assert spoken_name(name) == "Alexandra Catherine Montgomery-Smythe"


def test_one_long_word_is_cut_with_an_ellipsis() -> None:
    assert spoken_name("A" * 100) == "A" * MAX_NAME + ELLIPSIS


@pytest.mark.parametrize("lead", range(6))
def test_a_cut_never_splits_an_accent_from_its_letter(lead: int) -> None:
    # "q" with two accents: no composed form, three code points that are one letter
    cut = spoken_name("x" * lead + "q\u0301\u0320" * 30)
    assert cut is not None
    assert cut.endswith(ELLIPSIS)
    assert unicodedata.category(cut[-2])[0] == "M"  # the last letter keeps its marks
    assert (len(cut) - len(ELLIPSIS) - lead) % 3 == 0


@pytest.mark.parametrize("lead", range(6))
def test_a_cut_never_splits_a_flag(lead: int) -> None:
    flags = "\U0001f1e9\U0001f1ea" * 30  # German flags: pairs of regional letters
    cut = spoken_name("x" * lead + flags)
    assert cut is not None
    assert (len(cut) - len(ELLIPSIS) - lead) % 2 == 0


@pytest.mark.parametrize("lead", range(6))
def test_a_cut_never_splits_emoji_joined_into_one(lead: int) -> None:
    family = "👩\u200d👩\u200d👧"  # five code points, one picture
    cut = spoken_name("x" * lead + family * 12)
    assert cut is not None
    assert (len(cut) - len(ELLIPSIS) - lead) % 5 == 0  # whole families


names = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet=st.sampled_from(" \t\n\u00a0\u200b\u2028"), max_size=20),
    st.text(max_size=200),
    st.text(alphabet=st.characters(categories=["L", "M", "Zs"]), max_size=200),
    st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=15), max_size=12).map(" ".join),
)


@given(names)
@example("Dana")
@example("x" * 41)
@example(("word " * 20).strip())
@example("<!channel> & <@U123>")
def test_any_name_gives_one_sentence_with_the_same_promise(raw: str | None) -> None:
    text = claim_notice(raw)
    assert text.endswith(PROMISE)
    assert "\n" not in text
    assert "\u2028" not in text
    spoken = spoken_name(raw)
    if spoken is None:
        assert text == GENERIC
        return
    assert text == spoken + PROMISE
    assert spoken == spoken.strip()
    assert "  " not in spoken
    assert len(spoken) <= MAX_NAME + len(ELLIPSIS)
    assert any(unicodedata.category(c)[0] in "LNS" for c in spoken)
    assert not any(
        unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in spoken if c != "\u200d"
    )
    # Nothing is invented: what is said is the start of the name as it was written
    assert _seen(unicodedata.normalize("NFC", raw or "")).startswith(
        _seen(spoken.removesuffix(ELLIPSIS))
    )


@given(st.text(alphabet="abcdefghij ", min_size=1, max_size=MAX_NAME))
def test_a_name_that_fits_is_said_as_written(raw: str) -> None:
    expected = " ".join(raw.split())
    assert spoken_name(raw) == (expected or None)


def _seen(text: str) -> str:
    """The visible characters only: no spaces, controls or invisible ones."""
    return "".join(c for c in text if unicodedata.category(c)[0] not in "CZ")

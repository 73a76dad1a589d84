from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escalation.handoff import SUMMARY_LIMIT, Utterance, one_sentence, summarise


def test_one_sentence_keeps_only_the_first() -> None:
    assert one_sentence("Refund it by hand. Then email them.") == "Refund it by hand."
    assert one_sentence("  spread\nover   lines  ") == "spread over lines"
    assert one_sentence("x" * 500, limit=50).endswith("…")
    assert len(one_sentence("x" * 500, limit=50)) == 50


def test_summary_keeps_the_latest_lines_oldest_first() -> None:
    history = [Utterance("customer", f"message {i}") for i in range(100)]
    summary = summarise(history)
    assert summary.endswith("Customer: message 99")
    assert "message 0 " not in summary
    assert summary.index("message 98") < summary.index("message 99")


def test_an_empty_conversation_has_a_summary_too() -> None:
    assert summarise([]) == "No messages yet."


@given(st.lists(st.builds(Utterance, st.sampled_from(["customer", "bot"]), st.text()), max_size=30))
def test_summaries_stay_short(history: list[Utterance]) -> None:
    summary = summarise(history)
    assert summary
    assert len(summary) <= SUMMARY_LIMIT + 200  # one over-long line is cut, never dropped
    assert len(summary.split("\n")) <= max(1, len(history))  # a line per message at most


def test_a_long_message_is_cut_after_a_whole_word() -> None:
    words = "the parcel arrived with the lid cracked and the base dented " * 10
    (line,) = summarise([Utterance("customer", words)]).split("\n")
    assert line.endswith("…")
    kept = line.removeprefix("Customer: ").removesuffix("…").split(" ")
    assert all(word in words.split() for word in kept)  # no word cut in half


def test_each_message_is_its_own_line() -> None:
    summary = summarise([Utterance("customer", "hi there"), Utterance("bot", "hello")])
    assert summary == "Customer: hi there\nBot: hello"

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.identifiers import (
    Identifiers,
    extract_identifiers,
    phones_match,
    split_identifiers,
)


@pytest.mark.parametrize(
    ("text", "emails", "phones", "orders"),
    [
        ("order 1042, j.smith@example.com", ("j.smith@example.com",), (), ("1042",)),
        ("Order #1042 and 1043 both late", (), (), ("1042", "1043")),
        ("my order number is 5521", (), (), ("5521",)),
        ("ORDER NO. A-77310 please", (), (), ("A-77310",)),
        ("ring me at +44 20 7946 0103", (), ("442079460103",), ()),
        ("Mail: Ana.B+shop@Mail.Example.org!", ("ana.b+shop@mail.example.org",), (), ()),
        ("delivered on 2026-11-02, paid 39.00", (), (), ()),
        ("I ordered 3 lamps", (), (), ()),
        ("my order arrived smashed", (), (), ()),
        ("I placed my order 2 weeks ago", (), (), ()),
        ("order 3 days late, sam@example.com", ("sam@example.com",), (), ()),
        ("the kettle I ordered (1043) is cheaper now", (), (), ("1043",)),
        ("the shelf I bought (2051, email x@example.com)", ("x@example.com",), (), ("2051",)),
        ("the blender 4410 is cracked", (), (), ("4410",)),
        ("", (), (), ()),
    ],
)
def test_identifiers_typed_in_free_text(
    text: str, emails: tuple[str, ...], phones: tuple[str, ...], orders: tuple[str, ...]
) -> None:
    assert extract_identifiers(text) == Identifiers(emails, phones, orders)


def test_a_number_after_a_verb_of_being_counts_only_when_one_was_asked_for() -> None:
    assert extract_identifiers("it was 1042") == Identifiers()
    assert extract_identifiers("it was 1042", expecting=("order_number",)).order_numbers == (
        "1042",
    )
    assert extract_identifiers("#1042.", expecting=("order_number",)).order_numbers == ("1042",)


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("1042", ("1042",)),
        ("4410: hairline crack down the jug", ("4410",)),
        ("3307 - the headphones aren't for me", ("3307",)),
        ("stop 2051 before it ships", ("2051",)),
        ("the kettle on 1043 still says on its way", ("1043",)),
        ("send 2051 to 1234 Main Street instead", ("2051",)),
        ("I have 1200 points", ()),
        ("a customer since 2019", ()),
        ("I paid 120 for it", ()),
        ("we are 300 people", ()),
        ("I waited 2051 minutes", ()),
        ("call me on 555 0101", ()),
        ("where is 7702?", ("7702",)),
        ("what's 7702 doing, it was due monday", ("7702",)),
        ("the clock in 3120 came cracked", ("3120",)),
        ("bought my first one in 2019", ()),
        ("the price is 120 now", ()),
        ("to 3 Lindgatan, 211 45 Malmo instead", ()),
        ("it's 7702 - the mat I got is cheaper now", ("7702",)),
        ("it's 120 - it was cheaper before", ()),
        ("please cancel my kettle order, it's 71288.", ("71288",)),
        ("has my slow cooker shipped yet? it's 21003", ("21003",)),
    ],
)
def test_a_number_standing_as_a_reference_is_an_order_number_an_amount_is_not(
    text: str, orders: tuple[str, ...]
) -> None:
    assert extract_identifiers(text).order_numbers == orders


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("555-0101", "+1 555 0101", True),
        ("(555) 0101", "+1 555 0101", True),
        ("1 555 0101", "+1 555 0101", True),
        ("+1 555 0102", "+1 555 0101", False),
        ("0101", "0101", False),  # too short to identify anyone
        ("99 1 555 0101", "+1 555 0101", False),
        ("555 0101", "1 555 0101", False),  # no "+": the record is not international
    ],
)
def test_phone_numbers_compare_by_digits(a: str, b: str, same: bool) -> None:
    assert phones_match(typed=a, on_record=b) is same


@given(st.text(max_size=300))
def test_extraction_never_fails_on_any_text(text: str) -> None:
    found = extract_identifiers(text, expecting=("order_number",))
    for email in found.emails:
        assert email == email.lower()
    for phone in found.phones:
        assert phone.isdigit()


def test_merging_keeps_first_seen_order_without_duplicates() -> None:
    a = Identifiers(emails=("a@x.io",), order_numbers=("1",))
    b = Identifiers(emails=("a@x.io", "b@x.io"), phones=("5550101",))
    assert a.merged(b) == Identifiers(("a@x.io", "b@x.io"), ("5550101",), ("1",))


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("4410", ("4410",)),
        ("sorry. 4410 blender, the jug is cracked", ("4410",)),
        ("it's #2051, thanks", ("2051",)),
        ("it cost 25 and came 3 days late", ()),
        ("paid $120 for it", ()),
        ("I waited 2051 minutes", ()),
        ("my phone is +1 555 0101", ()),
        ("either 1042 or 1043, not sure", ("1042", "1043")),
        ("at 10:30 on 12/05", ()),
    ],
)
def test_a_reply_to_the_order_number_question_gives_the_one_number_standing_alone(
    text: str, orders: tuple[str, ...]
) -> None:
    assert extract_identifiers(text, expecting=("order_number",)).order_numbers == orders


@pytest.mark.parametrize(
    ("text", "number"),
    [("order nr.8102 arrived broken", "8102"), ("order ref 7781 please", "7781")],
)
def test_order_number_abbreviations(text: str, number: str) -> None:
    assert extract_identifiers(text).order_numbers == (number,)


def test_a_phone_with_a_bracketed_country_code_and_slashes() -> None:
    assert extract_identifiers("my number (+49) 30/5550-0113").phones == ("493055500113",)


@pytest.mark.parametrize(
    "text",
    [
        "new address is Rua de Cedofeita 210, 4050-174 Porto",
        "send it to 7 Elm Street, Apt 3, Springfield 62704 please",
    ],
)
def test_numbers_of_an_address_are_no_order_and_no_phone(text: str) -> None:
    found = extract_identifiers(text, expecting=("order_number",))
    assert found.order_numbers == ()
    assert found.phones == ()


def test_an_order_number_before_a_shouted_word_is_still_an_order() -> None:
    assert extract_identifiers("CANCEL 5104 RIGHT NOW").order_numbers == ("5104",)


def test_a_price_that_picks_an_order_is_no_order_number() -> None:
    assert extract_identifiers("The one for 140.", expecting=("order_number",)).order_numbers == ()


def test_a_phone_before_a_capitalised_word_is_still_a_phone() -> None:
    assert extract_identifiers("this is Mary 0412 555 019, Thanks").phones == ("0412555019",)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("sorry, the last digits are 8830. +46 73 555 8830", "46735558830"),
        ("my bad, it ends in 0113: +44 20 7946 0113", "442079460113"),
    ],
)
def test_digits_told_as_a_phones_are_no_order_number(text: str, phone: str) -> None:
    found = extract_identifiers(text, expecting=("order_number",))
    assert found.order_numbers == ()
    assert found.phones == (phone,)


@pytest.mark.parametrize(
    "text",
    [
        "please send it to 200 W Monroe St, Chicago instead",
        "new address is 14 North Parade Road, Bath",
    ],
)
def test_a_house_number_before_its_street_is_no_order_number(text: str) -> None:
    assert extract_identifiers(text).order_numbers == ()


def test_a_number_before_to_and_a_street_is_still_an_order() -> None:
    assert extract_identifiers("please send 4410 to Elm Street").order_numbers == ("4410",)


@pytest.mark.parametrize(
    ("typed", "on_record", "same"),
    [
        ("07700 900555", "+44 7700 900 555", True),  # the UK's trunk 0
        ("06 12 34 56 78", "+33 6 12 34 56 78", True),
        ("0151 23456789", "+49 151 23456789", True),
        ("07700 900556", "+44 7700 900 555", False),
        ("0412 555 019", "+1 412 555 019", False),  # a 0 the record's country does not dial
    ],
)
def test_a_number_written_as_its_country_dials_it_at_home(
    typed: str, on_record: str, same: bool
) -> None:
    assert phones_match(typed, on_record) is same


def test_a_sentence_after_a_phone_is_not_part_of_it() -> None:
    found = extract_identifiers("+44 7700 900214. 2 things: cancel the cable")
    assert found.phones == ("447700900214",)


def test_the_order_number_on_the_paper() -> None:
    assert extract_identifiers("The order number on the paper is 7320.").order_numbers == ("7320",)


@pytest.mark.parametrize(
    "text",
    [
        "new one is Birkenweg. 14, 60311 Frankfurt please",
        "send it to 9 avenue des Tilleuls, 69003 Lyon",
        "it should go to 31 strada Lunga, 10121 Torino",
    ],
)
def test_postcodes_of_addresses_written_their_own_way_are_no_order_numbers(text: str) -> None:
    assert extract_identifiers(text).order_numbers == ()


def test_a_capitalised_item_list_before_a_number_still_leaves_the_number() -> None:
    assert extract_identifiers("I got 2 Tea Towels, 5120 Thanks").order_numbers == ("5120",)


def test_a_number_the_item_is_after_an_order_was_told_is_an_order_number() -> None:
    text = "order 5120, no sorry, that's the towels. The blender is 5121"
    assert "5121" in extract_identifiers(text).order_numbers
    assert extract_identifiers("order 5120: the total is 1500").order_numbers == ("5120",)


def test_a_dashed_postcode_before_its_town_is_no_phone() -> None:
    found = extract_identifiers("new address: Rua Nova 5, 2o andar, 4050-262 Porto. a@b.pt")
    assert found.phones == ()
    assert extract_identifiers("my number is 5550-123").phones == ("5550123",)


def test_sums_a_price_moved_between_are_no_order_numbers() -> None:
    assert extract_identifiers("5121 went from 149 down to 129").order_numbers == ("5121",)


def test_a_house_number_before_the_floor_is_no_order_number() -> None:
    assert extract_identifiers("to Calle Reforma 220, piso 4, Ciudad de Mexico").order_numbers == ()


def test_a_house_number_before_a_plaza_is_no_order_number() -> None:
    assert extract_identifiers("send it to 1400 Main Plaza, Suite 300").order_numbers == ()


def test_a_house_number_before_a_town_with_an_accent_is_no_order_number() -> None:
    assert extract_identifiers("Rua Augusta 1500, São Paulo").order_numbers == ()


def test_the_status_of_a_number_asks_about_that_order() -> None:
    assert extract_identifiers("status of 7132 please").order_numbers == ("7132",)
    assert extract_identifiers("a set of 4 mugs").order_numbers == ()


def test_a_number_asked_about_in_text_speak_is_an_order_number() -> None:
    assert extract_identifiers("whr is 9105").order_numbers == ("9105",)


def test_an_order_number_written_with_no_dot_after_is() -> None:
    assert extract_identifiers("my order number is no.61920").order_numbers == ("61920",)


@pytest.mark.parametrize(
    ("previous", "text", "wanted"),
    [
        ("my email is lena.k@", "mailbox.org sorry", Identifiers(emails=("lena.k@mailbox.org",))),
        ("pls refund, my phone is +44 7700", "900 123 oops", Identifiers(phones=("447700900123",))),
    ],
)
def test_an_identifier_split_over_two_messages_is_joined(
    previous: str, text: str, wanted: Identifiers
) -> None:
    assert split_identifiers(previous, text)[0] == wanted


def test_a_whole_message_joins_nothing() -> None:
    assert not split_identifiers("my email is lena.k@mailbox.org", "thanks")[0]


def test_an_order_number_then_another_is_no_split_phone() -> None:
    assert not split_identifiers("my order number is 1043", "2051 is also late")[0]

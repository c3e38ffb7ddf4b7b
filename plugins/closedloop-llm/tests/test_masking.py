"""What is hidden from the model, and what comes back."""

from __future__ import annotations

import pytest

from closedloop_llm.languages import language_name, phone_regions, split_locale
from closedloop_llm.masking import Masker


@pytest.mark.parametrize(
    "address",
    [
        "jo@example.com",
        "Jo.Martin+avis@mail.example.co.uk",
        "o'brien@example.ie",
        "zoé.durand@exemple.fr",
        "user_1@sub-domain.example.org",
        "a@xn--bcher-kva.example",
    ],
)
def test_email_addresses_are_masked_and_put_back(address: str) -> None:
    masker = Masker()
    text = f"Write to {address}, please."

    masked = masker.mask(text)

    assert masked == "Write to [EMAIL_1], please."
    assert masker.restore(masked) == text


@pytest.mark.parametrize("text", ["Table for 2 @ 8pm", "50 euros @ the bar", "see @maria on the wall", "a@b"])
def test_what_only_looks_like_an_address_is_left(text: str) -> None:
    assert Masker().mask(text) == text


@pytest.mark.parametrize(
    ("number", "regions"),
    [
        ("+33 6 12 34 56 78", ()),
        ("06 12 34 56 78", ("FR",)),
        ("06.12.34.56.78", ("FR",)),
        ("+44 20 7946 0958", ()),
        ("020 7946 0958", ("GB",)),
        ("(415) 555-0132", ("US",)),
        ("+1 415-555-2671", ()),
        ("030 901820", ("DE",)),
    ],
)
def test_phone_numbers_are_masked_and_put_back(number: str, regions: tuple[str, ...]) -> None:
    masker = Masker(regions=regions)
    text = f"Call {number} tonight."

    masked = masker.mask(text)

    assert masked == "Call [PHONE_1] tonight."
    assert masker.restore(masked) == text


@pytest.mark.parametrize(
    "text",
    ["Order 1234 came late.", "We paid 45.50 euros.", "Visited on 12/05/2024 at 20:30.", "Room 101, table 7."],
)
def test_numbers_that_are_not_phone_numbers_are_left(text: str) -> None:
    assert Masker(regions=("FR", "GB", "US")).mask(text) == text


def test_the_same_address_or_number_is_one_placeholder_others_are_numbered() -> None:
    masker = Masker(regions=("FR",))

    masked = masker.mask("jo@example.com, JO@example.com, 06 12 34 56 78, 0612345678, +33612345678, al@example.com")

    assert masked == "[EMAIL_1], [EMAIL_1], [PHONE_1], [PHONE_1], [PHONE_1], [EMAIL_2]"


def test_the_customers_own_number_tells_the_region_of_the_others() -> None:
    masker = Masker(known=["+33 6 12 34 56 78"], regions=("GB",))

    assert masker.mask("Or my wife: 07 98 76 54 32") == "Or my wife: [PHONE_1]"


def test_the_surname_is_masked_in_any_case_but_lowercase_words_are_left() -> None:
    masker = Masker(surname="de la Fontaine")

    masked = masker.mask("I am Jean de la Fontaine (FONTAINE). Fontaine said the fontaine was dirty.")

    assert masked == "I am Jean [SURNAME] ([SURNAME]). [SURNAME] said the fontaine was dirty."
    assert masker.restore("Dear Jean [SURNAME]") == "Dear Jean de la Fontaine"


def test_a_double_barrelled_surname_is_masked_whole_and_by_parts() -> None:
    masker = Masker(surname="Dubois-Lefèvre")

    assert masker.mask("Mme Dubois-Lefèvre, née Dubois, or Lefèvre") == "Mme [SURNAME], née [SURNAME], or [SURNAME]"


def test_placeholders_the_masker_did_not_make_are_left_as_written() -> None:
    masker = Masker()
    masker.mask("jo@example.com")

    assert (
        masker.restore("[EMAIL_1] [EMAIL_2] [PHONE_1] [SURNAME] [NOTE]")
        == "jo@example.com [EMAIL_2] [PHONE_1] [SURNAME] [NOTE]"
    )


def test_languages_are_named_and_give_their_phone_regions() -> None:
    assert split_locale("fr_CA") == ("fr", "CA") and split_locale("en") == ("en", "")
    assert language_name("fr-BE") == "French"
    assert language_name("xx") == "the language whose ISO 639 code is 'xx'"
    assert language_name("") == ""
    assert phone_regions("fr-CA", "en")[:2] == ("CA", "FR")

"""Whose data an erasure takes: only the customer's, however their details are written, and all of it."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from closedloop import Contact, Desk, Feedback, InvalidInput, Place, Role, Source, User

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def open_desk(region: str | None = "FR") -> Desk:
    desk = Desk.open(default_region=region, load_entry_points=False)
    desk.add_place(Place(id="lyon", name="Lyon"))
    desk.add_user(User(id="admin", name="Ada", role=Role.ADMIN))
    return desk


def ingest(desk: Desk, number: int, contact: Contact, comment: str = "c") -> str:
    feedback = Feedback(
        source=Source.SURVEY, external_id=str(number), place_id="lyon", received_at=NOW, contact=contact,
        comments=[comment],
    )  # fmt: skip
    return desk.ingest(feedback).id


def name_of(desk: Desk, conversation_id: str) -> str:
    return desk.conversation(conversation_id, by="admin").feedback.contact.name


def test_another_countrys_number_ending_the_same_way_is_not_the_customers() -> None:
    desk = open_desk()
    jane = ingest(desk, 1, Contact(name="Jane Doe", tel="+33 6 12 34 56 78"))
    hans = ingest(desk, 2, Contact(name="Hans Weber", tel="0761 2345678"))  # national, in Germany
    ann = ingest(desk, 3, Contact(name="Ann Smith", tel="+44 7612 345678"))
    unread = ingest(desk, 4, Contact(name="Unread Form", tel="00 33 6 12 34 56 78 x"))
    assert desk.erase_customer(by="admin", tel="+33 6 12 34 56 78").conversations == 2
    assert (name_of(desk, jane), name_of(desk, hans), name_of(desk, ann)) == ("", "Hans Weber", "Ann Smith")
    assert name_of(desk, unread) == ""  # its digits are the customer's number written internationally


def test_a_number_stored_nationally_without_a_region_matches_only_by_all_its_digits() -> None:
    desk = open_desk(region=None)
    jane = ingest(desk, 1, Contact(name="Jane Doe", tel="06 12 34 56 78"))
    other = ingest(desk, 2, Contact(name="Other", tel="0761 2345678"))
    assert desk.erase_customer(by="admin", tel="+33 6 12 34 56 78").conversations == 1
    assert (name_of(desk, jane), name_of(desk, other)) == ("", "Other")


def test_addresses_match_whatever_their_case_and_unicode_form_but_not_another_mailbox() -> None:
    desk = open_desk(region="DE")
    decomposed = ingest(desk, 1, Contact(name="Jörg Straßmann", email=unicodedata.normalize("NFD", "JÖRG@example.de")))
    strasse = ingest(desk, 2, Contact(name="Other Person", email="strasse@example.de"))
    desk.note(decomposed, by="admin", body="HERR STRASSMANN rief an; Herr Straßmann, jörg@example.de")
    assert desk.erase_customer(by="admin", email="jörg@example.de").conversations == 1
    notes = [entry.body for entry in desk.conversation(decomposed, by="admin").history if entry.kind == "note"]
    assert notes == ["HERR [name] rief an; Herr [name], [email]"]
    assert name_of(desk, strasse) == "Other Person"


def test_the_words_that_join_a_name_stay_in_the_teams_notes() -> None:
    desk = open_desk()
    jean = ingest(desk, 1, Contact(name="Jean de La Fontaine", email="jean@example.fr"))
    desk.note(jean, by="admin", body="Jean de La Fontaine: la soupe de la veille était froide, voir M. Fontaine")
    desk.erase_customer(by="admin", email="jean@example.fr")
    notes = [entry.body for entry in desk.conversation(jean, by="admin").history if entry.kind == "note"]
    assert notes == ["[name]: la soupe de la veille était froide, voir M. [name]"]


@pytest.mark.parametrize(
    ("given", "said"),
    [({"tel": "abc"}, "not a phone number"), ({"tel": "12"}, "not a phone number"),
     ({"email": "not-an-email"}, "not an email address")],
)  # fmt: skip
def test_a_mistyped_identifier_is_refused_and_keeps_no_record(given: dict[str, str], said: str) -> None:
    desk = open_desk()
    ingest(desk, 1, Contact(name="Jane Doe", email="jane@example.com"))
    with pytest.raises(InvalidInput, match=said):
        desk.erase_customer(by="admin", **given)
    with desk.store.transaction() as tx:
        assert list(tx.privacy.erasures()) == []

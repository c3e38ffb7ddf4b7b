"""desk.search as a user relies on it, on the memory store, SQLite and PostgreSQL: customers found by name, email,
phone or words of what they and the team wrote, however typed; only in the places the user sees; newest activity
first a page at a time; bad input refused with what to do and nothing changed; an erased customer no longer found;
and, on SQL, conversations stored before the search existed found once the database is upgraded."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

import closedloop
from closedloop import Contact, Desk, Feedback, Place, Role, User
from closedloop.domain.inbox import Cursor
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.migrate import alembic_config
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

REPLY_BASE = "https://shop.example/reply/"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'search.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_desk(url: str, clock: FakeClock) -> Desk:
    return Desk.open(
        url,
        clock=clock,
        default_region="FR",
        reply_link_base=REPLY_BASE,
        load_entry_points=False,
        plugins=[RecordingChannel("email")],
    )


@pytest.fixture
def desk(url: str, clock: FakeClock) -> Iterator[Desk]:
    with open_desk(url, clock) as opened:
        fill(opened, clock)
        yield opened


def feedback(number: int, clock: FakeClock, place: str, contact: Contact, comment: str) -> Feedback:
    return Feedback(
        source="survey", external_id=f"fb-{number}", place_id=place, received_at=clock.now(), contact=contact,
        comments=comment,
    )  # fmt: skip


def fill(desk: Desk, clock: FakeClock) -> None:
    desk.add_place(Place(id="opera", name="Opéra"))
    desk.add_place(Place(id="lyon", name="Lyon"))
    desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN, email="ada@shop.example"))
    desk.add_user(User(id="ana", name="Ana Roux", places={"opera"}))
    desk.add_user(User(id="leo", name="Léo Blanc", places={"lyon"}))
    desk.add_user(User(id="dpo", name="Dee", role=Role.ADMIN))
    claire = Contact(name="Claire Lefèvre", email="claire.lefevre@example.com", tel="+33 6 12 34 56 78")
    desk.ingest(feedback(1, clock, "opera", claire, "Le café était froid"))
    clock.advance(minutes=1)
    desk.ingest(feedback(2, clock, "lyon", claire, "Très bon accueil"))
    clock.advance(minutes=1)
    desk.ingest(
        feedback(3, clock, "opera", Contact(name="Bob Stone", email="bob@example.net"), "The dessert was divine")
    )


def forged(cursor: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor).encode("utf-8")).decode("ascii")


def found(page: closedloop.Page[closedloop.Conversation]) -> list[str]:
    return [conversation.feedback.external_id for conversation in page]


def test_a_customer_is_found_by_name_email_phone_or_words_however_typed(desk: Desk) -> None:
    assert found(desk.search("admin", "claire")) == ["fb-2", "fb-1"]  # newest activity first
    assert found(desk.search("admin", "clai")) == ["fb-2", "fb-1"]
    assert found(desk.search("admin", "LEFEVRE claire")) == ["fb-2", "fb-1"]
    assert found(desk.search("admin", "Claire.Lefevre@Example.com")) == ["fb-2", "fb-1"]
    assert found(desk.search("admin", "06 12 34 56 78")) == ["fb-2", "fb-1"]
    assert found(desk.search("admin", "+33612345678")) == ["fb-2", "fb-1"]
    assert found(desk.search("admin", "CAFÉ froid")) == ["fb-1"]
    assert found(desk.search("admin", "tres accueil")) == ["fb-2"]
    assert found(desk.search("admin", "bob divine")) == ["fb-3"]
    assert found(desk.search("admin", "claire divine")) == []


def test_a_user_finds_only_what_they_may_see_and_what_they_narrow_to(desk: Desk) -> None:
    assert found(desk.search("ana", "claire")) == ["fb-1"]
    assert found(desk.search("leo", "claire")) == ["fb-2"]
    assert found(desk.search("leo", "bob")) == []
    assert found(desk.search("admin", "claire", places="lyon")) == ["fb-2"]
    with pytest.raises(closedloop.AccessDenied):
        desk.search("ana", "claire", places="lyon")
    first = desk.search("admin", "claire", places="opera").items[0]
    desk.mark_done(first.id, by="admin")
    assert found(desk.search("admin", "claire", folder="done")) == ["fb-1"]
    assert found(desk.search("admin", "claire", folder=closedloop.Folder.INBOX)) == ["fb-2"]
    assert found(desk.search("admin", "claire")) == ["fb-1", "fb-2"]  # every folder; the newest activity first


def test_what_the_customer_and_the_team_write_is_found_and_a_note_is_not(desk: Desk) -> None:
    bob = desk.search("admin", "bob").items[0]
    desk.note(bob.id, by="ana", body="Offered a voucher privately")
    desk.reply(bob.id, by="ana", body="Thank you, we shall tell the pastry chef")
    assert found(desk.search("admin", "pastry")) == ["fb-3"]
    assert found(desk.search("admin", "voucher")) == []
    desk.dispatch()
    link = desk.outbox(conversation_id=bob.id)[0].reply_link
    assert link is not None
    desk.customer_reply(link.removeprefix(REPLY_BASE), body="Merci, à bientôt pour la pâtisserie")
    assert found(desk.search("admin", "patisserie")) == ["fb-3"]


def test_results_come_a_page_at_a_time_without_gaps_or_repeats(desk: Desk, clock: FakeClock) -> None:
    made = []
    for number in range(10, 17):
        clock.advance(seconds=1 if number % 2 else 0)  # some share an instant: the order they came in holds
        made.append(desk.ingest(feedback(number, clock, "opera", Contact(name=f"Guest {number}"), "Lovely evening")))
    desk.note(made[2].id, by="ana", body="Called back")  # a change moves it first
    newest_first = [made[2], *(conversation for conversation in made[::-1] if conversation is not made[2])]
    seen: list[str] = []
    after = None
    while True:
        page = desk.search("admin", "lovely", limit=3, after=after)
        seen += found(page)
        if page.next is None:
            break
        after = page.next
    assert seen == [conversation.feedback.external_id for conversation in newest_first]
    assert len(seen) == len(made)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"text": ""}, "search text must be"),
        ({"text": "   "}, "search text must be"),
        ({"text": None}, "search text must be"),
        ({"text": "word " * 50}, "at most 200 characters"),
        ({"text": "?! -- ..."}, "a letter or a digit"),
        ({"text": " ".join(f"w{n}" for n in range(13))}, "at most 12 words"),
        ({"folder": "archive"}, "folder must be one of"),
        ({"limit": 0}, "limit must be a whole number"),
        ({"limit": 501}, "limit must be a whole number"),
        ({"limit": True}, "limit must be a whole number"),
        ({"after": "not-a-cursor"}, "not a search cursor"),
        ({"after": Cursor((1, 2, "x")).encode()}, "not a search cursor"),
        ({"after": forged(["s", 10**30, "x"])}, "not a search cursor"),
        ({"after": forged(["s", -(2**63) - 1, "x"])}, "not a search cursor"),
        ({"text": "cla\ud800ire"}, "control character or half of a surrogate pair"),
        ({"text": "claire\x00"}, "control character or half of a surrogate pair"),
        ({"places": "nowhere"}, "nowhere"),
    ],
)
def test_bad_input_is_refused_with_what_to_do_and_changes_nothing(
    desk: Desk, arguments: dict[str, object], message: str
) -> None:
    before = desk.search("admin", "claire")
    counts = desk.counts("admin")
    call: dict[str, object] = {"text": "claire", **arguments}
    with pytest.raises(closedloop.ClosedLoopError, match=message):
        desk.search("admin", **call)  # type: ignore[arg-type]
    assert desk.search("admin", "claire") == before
    assert desk.counts("admin") == counts


def test_a_cursor_only_continues_its_own_search(desk: Desk) -> None:
    page = desk.search("admin", "example", limit=1)
    assert page.next is not None
    for other in ({"text": "claire"}, {"text": "example", "folder": "done"}, {"text": "example", "places": "lyon"}):
        call: dict[str, object] = {"text": "example", "limit": 1, "after": page.next, **other}
        with pytest.raises(closedloop.InvalidInput, match="continues another search"):
            desk.search("admin", **call)  # type: ignore[arg-type]
    assert desk.search("admin", "example", limit=1, after=page.next).items != page.items


def test_an_inbox_cursor_with_a_number_no_store_holds_is_refused(desk: Desk) -> None:
    for cursor in ([0, 10**30, "x"], [10**30, 0, "x"], [0, -(2**63) - 1, "x"]):
        with pytest.raises(closedloop.InvalidInput, match="not an inbox cursor"):
            desk.inbox("admin", after=forged(cursor))


def test_a_domain_typed_alone_finds_the_addresses_at_it(desk: Desk) -> None:
    assert found(desk.search("admin", "@example.com")) == found(desk.search("admin", "example.com"))
    assert found(desk.search("admin", "@example.com"))


def test_an_unknown_user_is_refused(desk: Desk) -> None:
    with pytest.raises(closedloop.NotFound):
        desk.search("nobody", "claire")


def test_an_erased_customer_is_no_longer_found(desk: Desk) -> None:
    claire = desk.search("admin", "froid").items[0]
    desk.reply(claire.id, by="ana", body="Claire, nous sommes désolés (claire.lefevre@example.com)")
    desk.erase_customer(by="dpo", email="claire.lefevre@example.com", reason="request")
    for text in ("claire", "lefevre", "claire.lefevre@example.com", "0612345678", "froid", "accueil"):
        assert found(desk.search("admin", text)) == [], text
    assert found(desk.search("admin", "bob")) == ["fb-3"]
    # the team's reply is still found by its own words, not by the marks the erasure left in it
    assert found(desk.search("admin", "desoles")) == ["fb-1"]
    for mark in ("name", "email", "[name]"):
        assert found(desk.search("admin", mark)) == [], mark


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'upgraded.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_conversations_stored_before_the_search_existed_are_found_after_the_upgrade(
    sql_url: str, clock: FakeClock
) -> None:
    url = sql_url
    with open_desk(url, clock) as desk:
        fill(desk, clock)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0008")
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
    with open_desk(url, clock) as desk:
        assert found(desk.search("ana", "claire")) == ["fb-1"]
        assert found(desk.search("admin", "06 12 34 56 78")) == ["fb-2", "fb-1"]
        clock.advance(timedelta(minutes=5))
        desk.reply(desk.search("admin", "bob").items[0].id, by="ana", body="Our pastry chef thanks you")
        assert found(desk.search("admin", "pastry")) == ["fb-3"]

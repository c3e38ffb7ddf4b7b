"""Erasing a customer leaves none of their data anywhere in the database, and the figures as the docs say.

A SQLite and a PostgreSQL desk are filled with one customer's conversations (a survey answered by email with a
reply link, the customer's message through it, notes, a pending outbox message, a synced review with the
business's reply) beside another customer's. After the erasure every text column of every table is searched for
the customer's name, email and phone, and on SQLite the database file's bytes too, free pages included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy

import closedloop
from closedloop import (
    Comment,
    Contact,
    Delivery,
    Desk,
    Feedback,
    InteractionKind,
    Place,
    PlatformReply,
    PlatformReview,
    Rating,
    RatingKind,
    Role,
    Source,
    User,
)
from closedloop.testing import PlatformInMemory
from closedloop.testing.clock import FakeClock
from closedloop.testing.smtp import SmtpServer

PLATFORM = "example_reviews"
REPLY_BASE = "https://shop.example/reply/"
#: How the customer's data may be written anywhere: each must be gone after the erasure.
TRACES = ("jane", "doe", "jane.doe@example.com", "612345678", "12 34 56 78", "12.34.56.78")
#: The other customer's, which must all still be there: proof that the search finds what is stored.
CONTROL = ("bob stone", "bob@example.net", "the dessert was divine")


def platform_review(clock: FakeClock, text: str) -> PlatformReview:
    written = clock.now() - timedelta(days=2)
    feedback = Feedback(
        source=Source.REVIEW,
        platform=PLATFORM,
        external_id="reviews/77",
        place_id="opera",
        received_at=written,
        contact=Contact(name="Jane Doe"),
        ratings=[Rating(key="stars", kind=RatingKind.STARS, value=2)],
        comments=[Comment(text=text, question="review")],
    )
    reply = PlatformReply(body="Thank you Jane, we are sorry.", at=written + timedelta(hours=2))
    return PlatformReview(feedback=feedback, updated_at=written, reply=reply)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'erasure.db'}"
    return str(request.getfixturevalue("postgres_url"))


def open_desk(url: str, clock: FakeClock, server: SmtpServer, source: PlatformInMemory) -> Desk:
    return Desk.open(
        url,
        clock=clock,
        smtp=server.settings(sender="shop@shop.example"),
        business_name="Chez Nous",
        reply_link_base=REPLY_BASE,
        default_region="FR",
        load_entry_points=False,
        plugins=[source],
    )


def fill(desk: Desk, clock: FakeClock) -> dict[str, str]:
    desk.add_place(Place(id="opera", name="Chez Nous Opéra"))
    desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
    desk.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, email="ana@shop.example", places={"opera"}))
    jane = Contact(name="Jane Doe", email="jane.doe@example.com", tel="+33 6 12 34 56 78")
    survey = desk.ingest(
        Feedback(
            source=Source.SURVEY,
            external_id="survey-1",
            place_id="opera",
            received_at=clock.now() - timedelta(days=1),
            contact=jane,
            ratings=[Rating(key="nps", kind=RatingKind.NPS, value=3)],
            comments=["The waiter was rude and the soup was cold. Jane Doe"],
            answers={"visit": "dinner with my husband", "callback": "0612345678"},
            metadata={"segment": "gold", "jane_id": "jane-42"},
        )
    )
    desk.reply(survey.id, by="ana", body="Dear Jane, we are sorry. Could you tell us more?")
    assert desk.dispatch().sent == 1
    link = desk.outbox(conversation_id=survey.id)[0].reply_link
    assert link is not None
    desk.customer_reply(link.removeprefix(REPLY_BASE), body="Call me on 06 12 34 56 78, Jane Doe")
    desk.note(survey.id, by="ana", body="Jane Doe (jane.doe@example.com) wants a call on 06.12.34.56.78")
    desk.reply(survey.id, by="ana", body="Dear Jane Doe, we will call you tomorrow.")  # left pending
    second = desk.ingest(
        Feedback(
            source=Source.SURVEY,
            external_id="survey-2",
            place_id="opera",
            received_at=clock.now(),
            contact=Contact(name="J. Doe", email="JANE.DOE@Example.com"),
            ratings=[Rating(key="nps", kind=RatingKind.NPS, value=9)],
            comments=["Much better this time, the staff was friendly"],
        )
    )
    report = desk.sync(PLATFORM)
    assert report.added == 1
    review = next(item for item in desk.inbox("admin").items if item.feedback.source is Source.REVIEW)
    bob = desk.ingest(
        Feedback(
            source=Source.SURVEY,
            external_id="survey-3",
            place_id="opera",
            received_at=clock.now(),
            contact=Contact(name="Bob Stone", email="bob@example.net"),
            ratings=[Rating(key="nps", kind=RatingKind.NPS, value=10)],
            comments=["The dessert was divine"],
        )
    )
    return {"survey": survey.id, "second": second.id, "review": review.id, "bob": bob.id}


def text_columns(engine: sqlalchemy.Engine) -> Iterator[tuple[str, str]]:
    inspector = sqlalchemy.inspect(engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sqlalchemy.String | sqlalchemy.Text):
                yield table, column["name"]


def stored_text(url: str) -> str:
    """Every value of every text column of every table, lower case, one per line."""
    engine = sqlalchemy.create_engine(url)
    values: list[str] = []
    try:
        with engine.connect() as connection:
            for table, column in text_columns(engine):
                rows = connection.execute(sqlalchemy.text(f'SELECT "{column}" FROM "{table}"'))
                values.extend(str(value) for (value,) in rows if value is not None)
    finally:
        engine.dispose()
    return "\n".join(values).casefold()


def file_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
        if candidate.exists()
    ).lower()


def without_concepts(report: Any) -> Any:
    figures = attrs.evolve(report.figures, concepts=())
    buckets = tuple(
        attrs.evolve(bucket, figures=attrs.evolve(bucket.figures, concepts=())) for bucket in report.buckets
    )
    return attrs.evolve(report, figures=figures, buckets=buckets)


def test_nothing_of_an_erased_customer_is_left_in_any_table_or_file(url: str, smtp_server: SmtpServer) -> None:
    clock = FakeClock()
    source = PlatformInMemory(PLATFORM, [[platform_review(clock, "Slow service, ask for Jane Doe next time")]])
    with open_desk(url, clock, smtp_server, source) as desk:
        ids = fill(desk, clock)
        stored = stored_text(url)
        assert all(trace in stored for trace in TRACES), "the search must find the customer before the erasure"
        before = desk.metrics("admin", since=clock.now() - timedelta(days=30), by="day")

        report = desk.erase_customer(
            by="admin", email="Jane.Doe@EXAMPLE.com", tel="0612345678", conversation_id=ids["review"], reason="request"
        )

        assert report.conversations == 3  # both surveys, by email and phone, and the review the request names
        after = desk.metrics("admin", since=clock.now() - timedelta(days=30), by="day")
        pending = desk.outbox(conversation_id=ids["survey"])
        assert [message.status for message in pending] == [Delivery.SENT, Delivery.CANCELLED]
        assert desk.dispatch().sent == 0
        assert len(smtp_server.received) == 1
    stored = stored_text(url)
    assert [trace for trace in TRACES if trace in stored] == []
    assert all(control in stored for control in CONTROL)
    if url.startswith("sqlite"):
        raw = file_bytes(url)
        assert [trace for trace in TRACES if trace.encode() in raw] == []
        assert b"bob stone" in raw
    assert without_concepts(after) == without_concepts(before)
    assert after.figures.concepts != before.figures.concepts  # the docs say: only the concepts change


def test_a_later_sync_does_not_bring_an_erased_review_back_unless_it_is_written_again(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    clock = FakeClock()
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    source = PlatformInMemory(PLATFORM, [[platform_review(clock, "Slow service, ask for Jane Doe next time")]])
    with open_desk(url, clock, smtp_server, source) as desk:
        ids = fill(desk, clock)
        desk.erase_customer(by="admin", email="jane.doe@example.com", conversation_id=ids["review"])
        clock.advance(hours=1)
        again = desk.sync(PLATFORM, full=True)
        assert (again.edits, again.replies, again.unchanged) == (0, 0, 1)
        assert "jane" not in stored_text(url)

        source.pages = [
            [attrs.evolve(platform_review(clock, "I came back: better, said Jane Doe"), updated_at=clock.now())]
        ]
        edited = desk.sync(PLATFORM, full=True)
        assert edited.edits == 1
        entries = desk.conversation(ids["review"], by="admin").history
        messages = [entry.body for entry in entries if entry.kind is InteractionKind.CUSTOMER_MESSAGE]
        assert messages[-1] == "I came back: better, said Jane Doe"


def test_an_erasure_the_caller_cannot_see_whole_is_refused_and_changes_nothing(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    clock = FakeClock()
    url = f"sqlite:///{tmp_path / 'scope.db'}"
    source = PlatformInMemory(PLATFORM, [[platform_review(clock, "Fine")]])
    with open_desk(url, clock, smtp_server, source) as desk:
        ids = fill(desk, clock)
        desk.add_place(Place(id="lyon", name="Chez Nous Lyon"))
        desk.add_user(User(id="dpo", name="Dee", role=Role.AGENT, places={"opera"}, rights={closedloop.Right.PRIVACY}))
        desk.ingest(
            Feedback(
                source=Source.SURVEY,
                external_id="survey-lyon",
                place_id="lyon",
                received_at=clock.now(),
                contact=Contact(name="Jane Doe", email="jane.doe@example.com"),
            )
        )
        before = stored_text(url)
        with pytest.raises(closedloop.AccessDenied, match="lyon"):
            desk.erase_customer(by="dpo", email="jane.doe@example.com")
        with pytest.raises(closedloop.AccessDenied, match="privacy right"):
            desk.erase_customer(by="ana", email="jane.doe@example.com")
        with pytest.raises(closedloop.InvalidInput, match="say whose data this is"):
            desk.erase_customer(by="admin")
        assert stored_text(url) == before
        assert desk.conversation(ids["survey"], by="admin").feedback.contact.email == "jane.doe@example.com"


def test_customer_data_holds_every_conversation_of_the_customer(tmp_path: Path, smtp_server: SmtpServer) -> None:
    clock = FakeClock()
    url = f"sqlite:///{tmp_path / 'access.db'}"
    source = PlatformInMemory(PLATFORM, [[platform_review(clock, "Fine")]])
    with open_desk(url, clock, smtp_server, source) as desk:
        ids = fill(desk, clock)
        held = desk.customer_data(by="admin", conversation_id=ids["survey"])
    found = set(re.findall(r'"external_id": "([^"]+)"', held))
    assert found == {"survey-1", "survey-2"}  # the review has a name only, which identifies no one for sure
    assert "dinner with my husband" in held and "Call me on 06 12 34 56 78" in held
    assert "Bob Stone" not in held

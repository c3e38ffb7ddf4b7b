"""A shop for the page tests: three places (two of them grouped as Paris), an agent at the Opéra, one at the
Gare, a manager of Paris and an admin, email and review channels that record what they send, and the console
with the built-in sign-in; plus a reader of pages that sees what a browser shows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
from console_world import CHEAP, SECRET, csrf_of, sign_in
from starlette.testclient import TestClient

from closedloop import (
    Comment,
    Contact,
    Conversation,
    Desk,
    Feedback,
    MessageKind,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    Role,
    Source,
    User,
)
from closedloop.testing import FakeClock, RecordingChannel
from closedloop_console import create_app

PASSWORD = "a long passphrase for the page tests"
USERS = [
    User(id="ana", name="Ana Roux", role=Role.AGENT, places={"opera"}),
    User(id="bruno", name="Bruno Petit", role=Role.AGENT, places={"gare"}),
    User(id="paula", name="Paula Martin", role=Role.MANAGER, groups={"paris"}),
    User(id="mia", name="Mia Admin", role=Role.ADMIN),
]
REPLY_BASE = "http://testserver/reply/"


class Surveys:
    """Survey feedback on a desk, a minute apart (so the inbox's order is the order made): for the page tests'
    shop and the browser tests' morning alike."""

    desk: Desk
    clock: FakeClock
    numbers: int

    def survey(
        self,
        place: str = "opera",
        *,
        name: str = "Claire Dupont",
        nps: float = 9,
        comments: str | Sequence[Comment] = "Lovely evening.",
        email: str | None = None,
        **extra: Any,
    ) -> Conversation:
        """Feedback from a survey, a minute after the previous one; from ``guest<n>@example.com`` unless ``email``."""
        self.numbers += 1
        self.clock.advance(timedelta(minutes=1))
        address = email or f"guest{self.numbers}@example.com"
        fields: dict[str, Any] = {
            "contact": Contact(name=name, email=address, tel="+33 6 12 34 56 78"),
            "ratings": [Rating(key="nps", kind=RatingKind.NPS, value=nps)],
            **extra,
        }
        return self.desk.ingest(
            Feedback(
                source=Source.SURVEY,
                external_id=f"survey-{self.numbers}",
                place_id=place,
                received_at=self.clock.now(),
                comments=comments,
                **fields,
            )
        )


@attrs.define
class Shop(Surveys):
    desk: Desk
    clock: FakeClock
    email: RecordingChannel
    reviews: RecordingChannel
    numbers: int = 0

    def review(self, place: str = "opera", *, name: str = "Marc Blanc", stars: int = 1) -> Conversation:
        self.numbers += 1
        self.clock.advance(timedelta(minutes=1))
        return self.desk.ingest(
            Feedback(
                source=Source.REVIEW,
                platform="quickrate",
                external_id=f"review-{self.numbers}",
                place_id=place,
                received_at=self.clock.now(),
                contact=Contact(name=name),
                ratings=[Rating(key="stars", kind=RatingKind.STARS, value=stars)],
                comments="Waited an hour for a cold soup.",
            )
        )

    def read(self, conversation_id: str) -> Conversation:
        return self.desk.conversation(conversation_id, by="mia")

    def client(self, user: str) -> TestClient:
        """A browser signed in as ``user``, not following redirects (so a test sees each 303)."""
        hashes = {known.id: CHEAP.hash(PASSWORD) for known in USERS}
        app = create_app(self.desk, passwords=hashes, secret_key=SECRET)
        browser = TestClient(app, follow_redirects=False)
        signed = sign_in(browser, user, PASSWORD)
        assert signed.status_code == 303, signed.text
        return browser


#: The shop's places: the Opéra and the Gare make up the group Paris, Lyon stands alone.
PLACES = [
    Place(id="opera", name="Chez Nous Opéra"),
    Place(id="gare", name="Chez Nous Gare"),
    Place(id="lyon", name="Chez Nous Lyon"),
]
PARIS = PLACES[:2]


@contextmanager
def open_shop(
    folder: Path,
    *,
    channel: str = "email",
    places: Sequence[Place] = PLACES,
    users: Sequence[User] = USERS,
    **settings: Any,
) -> Iterator[Shop]:
    """The shop, its first channel named ``channel`` (a desk without email has another), and ``settings`` given to
    ``Desk.open`` besides the shop's own."""
    clock = FakeClock()
    email = RecordingChannel(channel)
    reviews = RecordingChannel("quickrate", kinds=(MessageKind.REVIEW_REPLY,))
    with Desk.open(
        f"sqlite:///{folder}/shop.db",
        plugins=[email, reviews],
        clock=clock,
        business_name="Chez Nous",
        reply_link_base=REPLY_BASE,
        load_entry_points=False,
        **settings,
    ) as desk:
        for place in places:
            desk.add_place(place)
        desk.add_group(PlaceGroup(id="paris", name="Paris", place_ids={"opera", "gare"}))
        for user in users:
            desk.add_user(user)
        yield Shop(desk, clock, email, reviews)


def page(conversation_id: str) -> str:
    """The address of a conversation's customer file."""
    return f"/conversations/{conversation_id}"


def post_form(browser: TestClient, page_path: str, action: str, fields: dict[str, Any]) -> Any:
    """Post ``fields`` to ``action`` with the CSRF token of the page at ``page_path``, as its form would."""
    token = csrf_of(browser.get(page_path).text)
    return browser.post(action, data={"csrf_token": token, **fields})


class Seen(HTMLParser):
    """What a browser shows of a page: its text, the inbox's rows (their checkbox values), links by rel, and
    every tag with its attributes (to check that nothing a customer wrote became markup)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.pieces: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.rows: list[str] = []
        self.rel: dict[str, str] = {}
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "input" and attributes.get("name") == "conversation":
            self.rows.append(attributes.get("value", ""))
        if tag == "a" and "rel" in attributes:
            self.rel[attributes["rel"]] = attributes.get("href", "")

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.pieces).split())

    def flash(self) -> tuple[bool, str] | None:
        """The line an action left: whether it says all went well, and its text."""
        found = re.search(r'<p class="flash (ok|error)"[^>]*>([^<]*)</p>', self.source)
        return (found.group(1) == "ok", html.unescape(found.group(2))) if found else None

"""The reply page over HTTP: what a customer who opens their one-time link sees, sends and is refused.

The app runs mounted where the desk's ``reply_link_base`` points, as ``closedloop serve`` runs it, on a real
SQLite file; the link is the one the recording email channel was given by ``desk.dispatch()``.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest
from customers import CUSTOMER, Customers
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from closedloop import Desk, InvalidInput, Place, Role, Status, User
from closedloop.testing import FakeClock, RecordingChannel
from closedloop.testing.web import Ticker
from closedloop_web import GuessLimiter, create_app
from closedloop_web.plugin import standalone_app

REPLY_BASE = "http://testserver/reply/"
BUSINESS = "Chez Nous"
PLACE = "Chez Nous Opéra"
COMMENT = "The soup was cold, but the waiter was lovely."
AGENT_REPLY = "Claire, we are sorry about the soup. Your next dinner is on us."
NOTE = "Internal: the chef was off sick that night."
CSRF_FIELD = "csrf_token"
LIMIT = 5000

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


# -- the page as a browser would read it --------------------------------------------------------------------------


class Html(HTMLParser):
    """An HTML page's visible text, every attribute, its form fields and the textarea's content."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.pieces: list[str] = []
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None
        self._in_textarea = False
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "input" and "name" in attributes:
            self.fields[attributes["name"]] = attributes.get("value", "")
        if tag == "textarea":
            self._in_textarea, self.textarea = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._in_textarea = False

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)
        if self._in_textarea:
            self.textarea = (self.textarea or "") + data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.pieces).split())

    @property
    def lang(self) -> str:
        return next(attributes.get("lang", "") for tag, attributes in self.tags if tag == "html")

    def links(self) -> list[str]:
        """Every address the page points the browser at: src, href, action and the like."""
        return [
            value
            for _tag, attributes in self.tags
            for name, value in attributes.items()
            if name in {"src", "href", "action", "formaction", "srcset", "poster", "data"}
        ]


def error_of(html: str) -> str:
    """The form's error line, if the page shows one."""
    found = re.search(r'<p class="error"[^>]*>([^<]*)</p>', html)
    return found.group(1) if found else ""


def kept_text(html: str) -> str:
    """What the textarea shows again (a browser drops one newline right after ``<textarea>``)."""
    textarea = Html(html).textarea
    assert textarea is not None, "the page has no textarea"
    return textarea.removeprefix("\n")


# -- the desk, a conversation, and its link -------------------------------------------------------------------------


@attrs.define
class World(Customers):
    desk: Desk
    clock: FakeClock
    channel: RecordingChannel
    numbers: int = 0

    def conversation(
        self,
        *,
        name: str = CUSTOMER,
        comment: str = COMMENT,
        reply: str = AGENT_REPLY,
        locale: str = "en",
    ) -> tuple[str, str]:
        """A customer's feedback, answered by Ana by email; the conversation's id and the link's token."""
        conversation_id = self.feedback(name=name, comment=comment, locale=locale, stars=4, nps=9)
        self.desk.reply(conversation_id, by="ana", body=reply)
        self.desk.dispatch()
        link = self.channel.sent[-1].reply_link
        assert link is not None and link.startswith(REPLY_BASE)
        return conversation_id, link.rsplit("/", 1)[-1]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    channel = RecordingChannel("email")
    with Desk.open(
        f"sqlite:///{tmp_path}/f.db",
        plugins=[channel],
        clock=clock,
        business_name=BUSINESS,
        reply_link_base=REPLY_BASE,
        load_entry_points=False,
    ) as desk:
        desk.add_place(Place(id="opera", name=PLACE))
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"opera"}))
        yield World(desk, clock, channel)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(standalone_app(world.desk)) as opened:
        yield opened


def mounted(app: Any) -> Starlette:
    """An app from ``create_app`` mounted at ``/reply`` like ``standalone_app`` mounts the default one."""
    return Starlette(routes=[Mount("/reply", app=app)])


def url(token: str) -> str:
    return f"/reply/{token}"


def post(client: TestClient, token: str, message: str, csrf: str | None = "page") -> Any:
    """Post the form as a browser would: the field holds what the page put there (``"page"``), unless told."""
    if csrf == "page":
        csrf = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    data = {"message": message} if csrf is None else {"message": message, CSRF_FIELD: csrf}
    return client.post(url(token), data=data)


# -- what the customer sees -----------------------------------------------------------------------------------------


def test_the_page_shows_the_place_the_original_ratings_the_comments_and_the_reply(
    world: World, client: TestClient
) -> None:
    """The customer must recognise their own feedback and read the answer before writing back."""
    _, token = world.conversation()
    response = client.get(url(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = Html(response.text).text
    for shown in (BUSINESS, PLACE, CUSTOMER, COMMENT, AGENT_REPLY, "Ana Roux"):
        assert shown in text
    assert "4 out of 5 stars" in text
    assert "9 on a scale from 0 to 10" in text
    assert "Send my answer" in text
    assert Html(response.text).lang == "en"


def test_a_customer_without_a_name_is_not_greeted_by_an_empty_one(world: World, client: TestClient) -> None:
    """Anonymous surveys have no name: the page says what was sent without a blank greeting."""
    _, token = world.conversation(name="")
    text = Html(client.get(url(token)).text).text
    assert f"Here is what you told {PLACE}" in text
    assert "Hello" not in text


def test_opening_the_link_does_not_use_it_up(world: World, client: TestClient) -> None:
    """Mail scanners and second looks open the link too; only sending an answer may use it up."""
    conversation_id, token = world.conversation()
    assert client.get(url(token)).status_code == 200
    assert client.get(url(token)).status_code == 200
    assert world.read(conversation_id).status is Status.AWAITING_CUSTOMER
    assert post(client, token, "Thank you, see you Friday.").status_code == 200


def test_internal_notes_never_reach_the_page(world: World, client: TestClient) -> None:
    """Notes are the team's own words about the customer; the link must never show them."""
    conversation_id, token = world.conversation()
    world.desk.note(conversation_id, by="ana", body=NOTE)
    response = client.get(url(token))
    assert response.status_code == 200
    assert "chef was off sick" not in response.text
    assert AGENT_REPLY in Html(response.text).text


def test_posting_records_the_message_thanks_and_uses_the_link_up(world: World, client: TestClient) -> None:
    """The answer goes back to the team as an unread reply, and the same link cannot post twice."""
    conversation_id, token = world.conversation()
    response = post(client, token, "Thank you, see you on Friday!")
    assert response.status_code == 200
    text = Html(response.text).text
    assert "Thank you" in text and PLACE in text
    conversation = world.read(conversation_id)
    assert conversation.status is Status.UNREAD_CUSTOMER_REPLY
    assert world.customer_said(conversation_id) == ["Thank you, see you on Friday!"]

    again = client.get(url(token))
    assert again.status_code == 410
    assert "This link was already used" in Html(again.text).text
    assert post(client, token, "A second answer", csrf="0" * 43).status_code == 410
    assert world.read(conversation_id).version == conversation.version


@pytest.mark.parametrize("csrf", [None, "wrong-" + "x" * 40, ""], ids=["missing", "wrong", "empty"])
def test_a_post_without_the_matching_csrf_field_is_refused_and_keeps_the_text(
    world: World, client: TestClient, csrf: str | None
) -> None:
    """Another site cannot post in the customer's name, and a customer whose form went stale loses nothing."""
    conversation_id, token = world.conversation()
    client.get(url(token))  # the cookie, as a browser would have it
    before = world.read(conversation_id)
    message = "My answer, written with care."
    response = post(client, token, message, csrf=csrf)
    assert response.status_code == 403
    assert kept_text(response.text) == message
    assert "This form had expired" in Html(response.text).text
    assert world.read(conversation_id) == before


def test_a_post_with_the_field_but_without_the_cookie_is_refused(world: World, client: TestClient) -> None:
    """A forger can copy a field value from its own visit, but cannot make the customer's browser send it."""
    conversation_id, token = world.conversation()
    field = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    before = world.read(conversation_id)
    with TestClient(standalone_app(world.desk)) as stranger:
        response = stranger.post(url(token), data={"message": "forged", CSRF_FIELD: field})
    assert response.status_code == 403
    assert world.read(conversation_id) == before


@pytest.mark.parametrize("message", ["", "   ", " \n\t \n "], ids=["empty", "spaces", "whitespace"])
def test_an_empty_message_is_refused_and_nothing_is_recorded(world: World, client: TestClient, message: str) -> None:
    """Sending nothing would use the link up for nothing; the customer is asked to write first."""
    conversation_id, token = world.conversation()
    before = world.read(conversation_id)
    response = post(client, token, message)
    assert response.status_code == 422
    assert "Please write a message before sending it." in Html(response.text).text
    assert kept_text(response.text) == message
    assert world.read(conversation_id) == before
    assert client.get(url(token)).status_code == 200  # the link still works


def test_a_message_over_the_limit_is_refused_kept_and_not_recorded(world: World, client: TestClient) -> None:
    """A customer who wrote too much gets their text back to shorten, with both numbers."""
    conversation_id, token = world.conversation()
    before = world.read(conversation_id)
    message = "a" * (LIMIT + 1)
    response = post(client, token, message)
    assert response.status_code == 422
    assert kept_text(response.text) == message
    assert f"{LIMIT + 1} characters" in response.text and str(LIMIT) in Html(response.text).text
    assert world.read(conversation_id) == before


def test_line_breaks_as_browsers_send_them_count_once(world: World, client: TestClient) -> None:
    """Browsers count a line break as one character against maxlength but post it as CR LF; a message the
    textarea accepted must not be refused as too long."""
    conversation_id, token = world.conversation()
    message = (("x" * 99 + "\n") * (LIMIT // 100))[:-1] + "!"
    assert len(message) == LIMIT
    response = post(client, token, message.replace("\n", "\r\n"))
    assert response.status_code == 200, error_of(response.text)
    assert [text.replace("\r\n", "\n") for text in world.customer_said(conversation_id)] == [message]


def test_trailing_blank_lines_do_not_turn_a_fitting_message_into_an_english_error(
    world: World, client: TestClient
) -> None:
    """The page measures the message without its surrounding blanks; the desk must not then refuse it with
    its own English wording on a French page."""
    conversation_id, token = world.conversation(locale="fr")
    response = post(client, token, "a" * LIMIT + "\n\n")
    assert "the message has" not in error_of(response.text), error_of(response.text)
    assert response.status_code == 200, error_of(response.text)
    assert len(world.customer_said(conversation_id)) == 1


def test_a_message_of_exactly_the_limit_is_recorded(world: World, client: TestClient) -> None:
    """The limit the page announces is the limit it applies: 5000 characters pass."""
    conversation_id, token = world.conversation()
    assert post(client, token, "b" * LIMIT).status_code == 200
    assert world.customer_said(conversation_id) == ["b" * LIMIT]


# -- links that do not work -------------------------------------------------------------------------------------


def problem(world: World, client: TestClient, kind: str) -> tuple[str, Any]:
    """A link of that kind (unknown, expired or used) and the response to opening it."""
    _, token = world.conversation()
    if kind == "unknown":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif kind == "expired":
        world.clock.advance(world.desk.settings.token_ttl + timedelta(seconds=1))
    elif kind == "used":
        assert post(client, token, "Thanks!").status_code == 200
    return token, client.get(url(token))


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [
        ("unknown", 404, "This link does not work"),
        ("expired", 410, "This link has expired"),
        ("used", 410, "This link was already used"),
    ],
)
def test_a_link_that_does_not_work_says_why_and_nothing_of_the_conversation(
    world: World, client: TestClient, kind: str, status: int, title: str
) -> None:
    """Whoever holds a dead link may not be the customer: the page explains, and shows no one's data."""
    _, response = problem(world, client, kind)
    assert response.status_code == status
    text = Html(response.text).text
    assert title in text
    for secret in (CUSTOMER, "Claire", COMMENT, "soup", PLACE, AGENT_REPLY, "Ana Roux"):
        assert secret not in response.text
    assert "<form" not in response.text


def test_an_expired_link_cannot_post_either(world: World, client: TestClient) -> None:
    """A form left open past the link's life does not record anything."""
    conversation_id, token = world.conversation()
    field = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    before = world.read(conversation_id)
    world.clock.advance(world.desk.settings.token_ttl + timedelta(seconds=1))
    response = client.post(url(token), data={"message": "late", CSRF_FIELD: field})
    assert response.status_code == 410
    assert world.read(conversation_id) == before


# -- headers and addresses ------------------------------------------------------------------------------------------


RESPONSES = ["page", "thanks", "refused", "invalid", "unknown", "expired", "used", "stylesheet"]


def respond(world: World, client: TestClient, which: str) -> Any:
    _, token = world.conversation()
    if which == "page":
        return client.get(url(token))
    if which == "thanks":
        return post(client, token, "Thanks!")
    if which == "refused":
        return post(client, token, "Thanks!", csrf=None)
    if which == "invalid":
        return post(client, token, " ")
    if which == "stylesheet":
        return client.get("/reply/assets/closedloop.css")
    return problem(world, client, which)[1]


@pytest.mark.parametrize("which", RESPONSES)
def test_every_response_keeps_the_page_to_itself(world: World, client: TestClient, which: str) -> None:
    """No inline or third-party script or style can run, no referrer leaks the token, no site can frame it."""
    response = respond(world, client, which)
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert re.search(r"https?:|\*", policy) is None, policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    if which == "stylesheet":
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")
    else:
        assert "no-store" in response.headers["cache-control"]


@pytest.mark.parametrize("which", [name for name in RESPONSES if name != "stylesheet"])
def test_no_page_points_at_another_site(world: World, client: TestClient, which: str) -> None:
    """Every address in the page is our own, so opening the link tells no third party about it."""
    response = respond(world, client, which)
    html = Html(response.text)
    for address in html.links():
        assert "http" not in address.lower() and not address.startswith("//"), address
    assert "/reply/assets/closedloop.css" in html.links()


# -- what people wrote stays text ---------------------------------------------------------------------------------


def test_what_people_wrote_is_shown_escaped(world: World, client: TestClient) -> None:
    """A comment, a name or a reply holding markup must show as those characters, never as markup."""
    _, token = world.conversation(
        name=f"Claire {SCRIPT}",
        comment=f"Cold soup {IMG} {SCRIPT}",
        reply=f"Sorry {SCRIPT} and {IMG}",
    )
    response = client.get(url(token))
    assert response.status_code == 200
    assert "<script" not in response.text.lower()
    assert "<img" not in response.text.lower()
    assert response.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert response.text.count("&lt;img src=x onerror=alert(1)&gt;") >= 2
    text = Html(response.text).text
    assert f"Claire {SCRIPT}" in text and f"Cold soup {IMG} {SCRIPT}" in text and f"Sorry {SCRIPT} and {IMG}" in text


def test_a_refused_message_with_markup_comes_back_as_text(world: World, client: TestClient) -> None:
    """The re-rendered form must not let the customer's own text close the textarea and run a script."""
    conversation_id, token = world.conversation()
    message = f"</textarea>{SCRIPT}{IMG}" + "x" * LIMIT
    response = post(client, token, message)
    assert response.status_code == 422
    assert "<script" not in response.text.lower() and "<img" not in response.text.lower()
    assert kept_text(response.text) == message
    assert world.read(conversation_id).status is Status.AWAITING_CUSTOMER


# -- languages -------------------------------------------------------------------------------------------------


def test_a_french_customer_gets_the_page_in_french(world: World, client: TestClient) -> None:
    """The page speaks the language the feedback was given in, not the browser's."""
    _, token = world.conversation(locale="fr-FR")
    response = client.get(url(token), headers={"Accept-Language": "en-US,en;q=0.9"})
    html = Html(response.text)
    assert html.lang == "fr"
    for words in ("Votre avis", "Vos notes", "Votre réponse", "Envoyer ma réponse", "4 étoiles sur 5"):
        assert words in html.text
    assert "9 sur une échelle de 0 à 10" in html.text
    assert "Send my answer" not in html.text

    refused = post(client, token, "  ")
    assert refused.status_code == 422
    assert "Veuillez écrire un message" in Html(refused.text).text
    thanks = post(client, token, "Merci beaucoup !")
    assert thanks.status_code == 200 and Html(thanks.text).lang == "fr"
    assert "Merci" in Html(thanks.text).text


@pytest.mark.parametrize(
    ("accept_language", "lang", "title"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr", "Ce lien ne fonctionne pas"),
        ("de-DE,fr;q=0.5", "fr", "Ce lien ne fonctionne pas"),
        ("en-GB,fr;q=0.5", "en", "This link does not work"),
        (None, "en", "This link does not work"),
    ],
)
def test_a_dead_link_page_follows_the_browser_language(
    client: TestClient, accept_language: str | None, lang: str, title: str
) -> None:
    """With no conversation to go by, the page speaks the browser's first language we have words for."""
    headers = {} if accept_language is None else {"Accept-Language": accept_language}
    response = client.get(url("A" * 43), headers=headers)
    assert response.status_code == 404
    html = Html(response.text)
    assert html.lang == lang and title in html.text


# -- guessing links ------------------------------------------------------------------------------------------------


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def guarded(world: World, ticker: Ticker) -> Iterator[TestClient]:
    limiter = GuessLimiter(max_misses=3, window_seconds=60, clock=ticker)
    with TestClient(mounted(create_app(world.desk, limiter=limiter))) as opened:
        yield opened


def test_a_client_guessing_links_is_turned_away_for_a_while(world: World, guarded: TestClient, ticker: Ticker) -> None:
    """Past the allowed misses even a real link waits, so guessing gains nothing; the wait then ends."""
    _, token = world.conversation()
    for number in range(3):
        assert guarded.get(url(f"guess-{number}")).status_code == 404
    busy = guarded.get(url(token))
    assert busy.status_code == 429
    assert 1 <= int(busy.headers["retry-after"]) <= 61
    assert "Too many attempts" in Html(busy.text).text
    assert PLACE not in busy.text
    assert "no-store" in busy.headers["cache-control"]
    assert "content-security-policy" in busy.headers

    ticker.now += 61
    assert guarded.get(url(token)).status_code == 200


def test_opening_a_real_link_many_times_is_never_turned_away(world: World, guarded: TestClient, ticker: Ticker) -> None:
    """Only unknown links count: a customer rereading their page is not a guesser."""
    _, token = world.conversation()
    for _ in range(20):
        assert guarded.get(url(token)).status_code == 200
        ticker.now += 1
    assert post(guarded, token, "Thanks!").status_code == 200
    for _ in range(10):
        assert guarded.get(url(token)).status_code == 410  # used, but known: not a miss


# -- hostile requests: refused as a wrong form or an unknown link, never a server error -----------------------------


FORM = {"content-type": "application/x-www-form-urlencoded"}


def quoted(value: str) -> str:
    """``value`` as a form field, every character percent-encoded from UTF-8 (lone surrogates included)."""
    return "".join(f"%{byte:02X}" for byte in value.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "forged",
    ["é" * 43, "令牌" * 22, "x" * 42 + "é", "\x00" * 43, "\ud800" * 43, "x" * 43 + "\u2028", "%" * 43, "x" * 5000],
    ids=["accents", "cjk", "one-accent", "nul", "surrogates", "line-separator", "percent", "huge"],
)
def test_a_forged_csrf_value_of_any_characters_is_refused_as_an_expired_form(
    world: World, client: TestClient, forged: str
) -> None:
    """The comparison of the field with the cookie must not fail on characters beyond ASCII (it did, with a 500)."""
    conversation_id, token = world.conversation()
    client.get(url(token))  # the cookie, as a browser would have it
    before = world.read(conversation_id)
    content = f"message=Hello&{CSRF_FIELD}={quoted(forged)}"
    response = client.post(url(token), content=content.encode("ascii"), headers=FORM)
    assert response.status_code == 403
    assert "This form had expired" in Html(response.text).text
    assert kept_text(response.text) == "Hello"
    assert world.read(conversation_id) == before


@pytest.mark.parametrize("cookie", ["é" * 43, "\xff" * 64, "x" * 42 + ";", " " * 43, "x" * 10_000])
def test_a_forged_cookie_is_neither_trusted_nor_repeated(world: World, client: TestClient, cookie: str) -> None:
    """A cookie of a shape we never make gets a fresh token in its place, and a post matching it is refused."""
    conversation_id, token = world.conversation()
    before = world.read(conversation_id)
    header = {"cookie": f"closedloop_csrf={cookie}".encode("latin-1")}
    page = client.get(url(token), headers=header)
    assert page.status_code == 200
    field = Html(page.text).fields[CSRF_FIELD]
    assert field != cookie and re.fullmatch(r"[A-Za-z0-9_-]{32,128}", field)
    content = f"message=Hello&{CSRF_FIELD}={quoted(cookie)}".encode("ascii")
    client.cookies.clear()
    response = client.post(url(token), content=content, headers={**FORM, **header})
    assert response.status_code == 403
    assert world.read(conversation_id) == before


def test_a_message_in_bytes_that_are_not_utf8_is_read_with_replacement_characters(
    world: World, client: TestClient
) -> None:
    conversation_id, token = world.conversation()
    field = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    response = client.post(url(token), content=f"message=caf%E9%FF%FE&{CSRF_FIELD}={field}".encode(), headers=FORM)
    assert response.status_code == 200
    assert world.customer_said(conversation_id) == ["caf\ufffd\ufffd\ufffd"]


@pytest.mark.parametrize("body", ["file", "fields", "broken", "not-utf8"])
def test_a_form_no_browser_would_send_is_refused_and_records_nothing(
    world: World, client: TestClient, body: str
) -> None:
    """Files, a flood of fields, a multipart body that does not parse: a 400 page, never a 500."""
    conversation_id, token = world.conversation()
    field = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    before = world.read(conversation_id)
    if body == "file":
        response = client.post(url(token), data={CSRF_FIELD: field}, files={"message": ("a.txt", b"hi", "text/plain")})
    elif body == "fields":
        content = "&".join(f"f{number}=x" for number in range(50)) + f"&message=hi&{CSRF_FIELD}={field}"
        response = client.post(url(token), content=content.encode(), headers=FORM)
    elif body == "broken":
        response = client.post(
            url(token), content=b"--x\r\nnonsense", headers={"content-type": "multipart/form-data; boundary=x"}
        )
    else:
        content = (
            f'--x\r\nContent-Disposition: form-data; name="{CSRF_FIELD}"\r\n\r\n{field}\r\n'
            '--x\r\nContent-Disposition: form-data; name="message"\r\n\r\n'
        ).encode() + b"caf\xe9\xff\r\n--x--\r\n"
        response = client.post(url(token), content=content, headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code in (400, 403) if body != "not-utf8" else response.status_code < 500
    if body != "not-utf8":
        assert world.read(conversation_id) == before
    assert "content-security-policy" in response.headers


def test_a_huge_body_is_refused_before_it_is_read_whole(world: World, client: TestClient) -> None:
    conversation_id, token = world.conversation()
    field = Html(client.get(url(token)).text).fields[CSRF_FIELD]
    before = world.read(conversation_id)
    huge = f"{CSRF_FIELD}={field}&message=".encode() + b"x" * 5_000_000
    declared = client.post(url(token), content=huge, headers=FORM)

    def streamed() -> Iterator[bytes]:  # no Content-Length: the body is counted as it arrives
        yield f"{CSRF_FIELD}={field}&message=".encode()
        for _ in range(100):
            yield b"x" * 50_000

    chunked = client.post(url(token), content=streamed(), headers=FORM)
    for response in (declared, chunked):
        assert response.status_code == 413
        assert "far too long" in Html(response.text).text
    assert world.read(conversation_id) == before
    assert post(client, token, "x" * LIMIT).status_code == 200  # the longest message still fits


@pytest.mark.parametrize(
    "path", ["%FF%FE", "%00", "%ED%A0%80", "x" * 10_000, "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "%E2%80%A8", "a%20b"]
)
def test_a_link_of_odd_bytes_is_an_unknown_link(world: World, client: TestClient, path: str) -> None:
    world.conversation()
    for response in (client.get(f"/reply/{path}"), client.post(f"/reply/{path}", data={"message": "hi"})):
        assert response.status_code == 404
        if "%2F" not in path:  # a path of several parts matches no page at all
            assert "This link does not work" in Html(response.text).text


@pytest.mark.parametrize("token", ["\ud800" * 43, "\x00", "é" * 43])
def test_a_link_holding_characters_no_server_decodes_to_is_an_unknown_link(world: World, token: str) -> None:
    """An ASGI server may hand over a path of any characters, lone surrogates included."""
    app = standalone_app(world.desk)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/reply/{token}",
        "raw_path": b"/reply/x",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this thread (the browser's)
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    assert sent[0]["status"] == 404


# -- the deployer's own templates ---------------------------------------------------------------------------------


def test_a_template_folder_replaces_the_shipped_templates(world: World, tmp_path: Path) -> None:
    """A business can word its thank-you page itself and keep the shipped base page."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "thanks.html").write_text(
        '{% extends "base.html" %}{% block title %}Merci{% endblock %}'
        "{% block content %}<p>Custom thanks from {{ place }}: see you soon.</p>{% endblock %}",
        encoding="utf-8",
    )
    _, token = world.conversation()
    with TestClient(mounted(create_app(world.desk, templates=folder))) as client:
        response = post(client, token, "Thanks!")
    assert response.status_code == 200
    assert f"Custom thanks from {PLACE}: see you soon." in Html(response.text).text
    assert "/reply/assets/closedloop.css" in Html(response.text).links()
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("what", ["a file", "missing"])
def test_a_template_path_that_is_not_a_folder_is_refused(world: World, tmp_path: Path, what: str) -> None:
    """A wrong path should fail at start-up, not when the first customer posts."""
    path = tmp_path / "thanks.html"
    if what == "a file":
        path.write_text("<p>hi</p>", encoding="utf-8")
    with pytest.raises(InvalidInput, match="folder"):
        create_app(world.desk, templates=path)


# -- the command line -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "said"),
    [("99999", "'--port': 99999 is not in the range 1<=x<=65535"), ("http", "'--port': 'http' is not a valid integer")],
)
def test_a_bad_port_for_serve_is_one_line_with_status_2(port: str, said: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "closedloop", "serve", "--port", port], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == "", result
    assert result.stderr.startswith("closedloop: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert said in result.stderr


def test_the_command_line_offers_serve() -> None:
    """Installing the plugin adds ``closedloop serve`` through the entry point."""
    result = subprocess.run(
        [sys.executable, "-m", "closedloop", "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    assert re.search(r"^\s+serve\s", result.stdout, re.MULTILINE), result.stdout

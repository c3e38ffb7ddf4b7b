"""Closing the loop over email (issue 4), against a real SMTP server on loopback (closedloop.testing.smtp).

- a reply reaches the server with its one-time link; the link opens the customer view, the customer's answer
  makes the conversation unread, mark as read takes it in hand, and the link works once;
- the server down, answering 4xx or 5xx, or dropping the connection inside DATA: no message is lost, none is
  sent twice after recovery; temporary failures back off exponentially up to the configured attempts,
  permanent ones are visible in the conversation and ``desk.retry`` sends them again; a crash between sending
  and recording sends the message again with the same Message-ID;
- forward, delegate and share email colleagues a link to the customer file, never the customer;
- nothing a person writes (bodies, names, notes, addresses, settings) adds a header or a recipient, and the
  HTML alternative shows it only as escaped text;
- the channel contract of closedloop.testing, run by the recording channel and by the SMTP channel.
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import closedloop.app.outbox
from closedloop import (
    AccessDenied,
    ChannelUnavailable,
    Contact,
    Conversation,
    Delivery,
    Desk,
    DispatchReport,
    Feedback,
    InteractionKind,
    InvalidInput,
    InvalidTransition,
    NotConfigured,
    NotFound,
    OutboundMessage,
    Place,
    Rating,
    RatingKind,
    Role,
    Source,
    Status,
    Template,
    UsedToken,
    User,
)
from closedloop.channels.email import SmtpChannel, SmtpSettings
from closedloop.domain.messages import RetryPolicy
from closedloop.testing import FakeClock, RecordingChannel
from closedloop.testing.channel_contract import ChannelContract
from closedloop.testing.smtp import Received, SmtpServer

SENDER = "feedback@chez-nous.example"
DOMAIN = SENDER.rsplit("@", 1)[1]
REPLY_BASE = "https://chez-nous.example/reply/"
FILE_LINKS = "https://app.chez-nous.example/files/{id}"
SERVICE = "service@chez-nous.example"
CUSTOMER = "claire@example.com"
ANA = "ana@chez-nous.example"
ZOE = "zoe@chez-nous.example"
LINK = re.compile(re.escape(REPLY_BASE) + r"(\S+)")

#: What may appear in a message's headers (top level and MIME parts); anything else was injected.
HEADERS = {
    "message-id",
    "date",
    "from",
    "to",
    "reply-to",
    "subject",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}
HEADER_ATTACKS = [
    "\r\nBcc: evil@example.com",
    "\nX-Injected: 1",
    "\rX-Injected: 1",
    "\r\n\r\nX-Injected: 1",
    "\u2028X-Injected: 1",
    "\x85Bcc: evil@example.com",
    "\r\n Bcc: evil@example.com",
]
HTML_ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">win</a> &lt;b&gt; \'',
]
#: One value with every trick at once, for the fields that are names rather than bodies.
EVIL = 'Éve\r\nBcc: evil@example.com\nX-Injected: 1\r<script>alert(1)</script> "><img src=x onerror=alert(1)>'
#: The same on one line, as a name may be: it still looks like headers and markup, and must stay text.
EVIL_LINE = " ".join(EVIL.split())


# -- the desk and its world ------------------------------------------------------------------------------------


def open_desk(server: SmtpServer, clock: FakeClock, url: str | None = None, **settings: Any) -> Desk:
    options: dict[str, Any] = {
        "clock": clock,
        "smtp": server.settings(sender=SENDER),
        "business_name": "Chez Nous",
        "reply_link_base": REPLY_BASE,
        "file_link_template": FILE_LINKS,
        "customer_service_email": SERVICE,
        "load_entry_points": False,
    }
    options.update(settings)
    return Desk.open(url, **options)


def add_world(desk: Desk, place_name: str = "Chez Nous Opéra", agent_name: str = "Ana Roux") -> None:
    desk.add_place(Place(id="opera", name=place_name))
    desk.add_place(Place(id="lyon", name="Chez Nous Lyon"))
    desk.add_user(User(id="ana", name=agent_name, role=Role.MANAGER, email=ANA, places={"opera"}))
    desk.add_user(User(id="zoe", name="Zoé Martin", email=ZOE, places={"opera"}))
    desk.add_user(User(id="leo", name="Léo Faure", email="leo@chez-nous.example", places={"lyon"}))


def ingest(desk: Desk, clock: FakeClock, number: int = 1, name: str = "Claire Dupont", email: str = CUSTOMER) -> str:
    feedback = Feedback(
        source=Source.SURVEY,
        external_id=f"survey-{number}",
        place_id="opera",
        received_at=clock.now(),
        contact=Contact(name=name, email=email),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=4)],
        comments="The soup was cold.",
    )
    return desk.ingest(feedback).id


@pytest.fixture
def desk(smtp_server: SmtpServer, clock: FakeClock) -> Iterator[Desk]:
    with open_desk(smtp_server, clock) as opened:
        add_world(opened)
        yield opened


def replies(desk: Desk, clock: FakeClock, count: int) -> list[OutboundMessage]:
    """``count`` customers, each answered by email; their messages, oldest first."""
    for number in range(count):
        conversation_id = ingest(desk, clock, number, email=f"customer{number}@example.com")
        desk.reply(conversation_id, by="ana", body=f"Dear customer {number}, we are sorry.")
        clock.advance(seconds=1)
        time.sleep(0.002)  # message ids start with the real time in ms: keep them in the order they were made
    return desk.outbox()


def by_recipients(server: SmtpServer, *recipients: Sequence[str]) -> list[Received]:
    """The messages the server received, one per list of recipients, in the order of the lists."""
    received = {item.rcpt_tos: item for item in server.received}
    assert len(received) == len(server.received) == len(recipients), received.keys()
    return [received[tuple(addresses)] for addresses in recipients]


def same_words(shown: str, written: str) -> bool:
    """Equal but for whitespace: a header flattens line breaks, and long encoded words fold."""
    return "".join(shown.split()) == "".join(written.split())


def message_id(message: OutboundMessage) -> str:
    return f"<{message.id}@{DOMAIN}>"


def state(desk: Desk, conversation_id: str) -> tuple[Conversation, list[OutboundMessage]]:
    """What a refused action must leave as it was: the conversation and the whole outbox."""
    return desk.conversation(conversation_id, by="ana"), desk.outbox()


# -- what a harmless message looks like --------------------------------------------------------------------------


class HtmlShape(HTMLParser):
    """The tags, attributes and visible text of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.pieces: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


ALLOWED_TAGS = {"html": set(), "body": {"style"}, "p": set(), "br": set(), "a": {"href"}}


def lines_of(written: str) -> list[str]:
    return [line.strip() for line in written.splitlines() if line.strip()]


def assert_harmless(
    received: Received,
    recipients: Sequence[str],
    written: Sequence[str] = (),
    link: str | None = None,
) -> None:
    """Only the expected recipients, only closedloop's own headers, each on one line; the HTML holds only our
    tags, the only link is ours, and what people wrote comes back, as text, in both parts."""
    assert received.rcpt_tos == tuple(recipients)
    assert received.mail_from == SENDER
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the header above
        assert line.split(b":", 1)[0].decode("ascii").lower() in HEADERS, f"unexpected header line {line!r}"
    assert re.search(rb"\r(?!\n)|(?<!\r)\n", received.raw) is None, "a bare CR or LF went over the wire"
    for part in received.message.walk():
        assert {name.lower() for name in part} <= HEADERS, part.keys()
        assert all("\r" not in str(value) and "\n" not in str(value) for value in part.values())
    message = received.message
    assert [address.addr_spec for address in message["To"].addresses] == list(recipients)
    senders = [address.addr_spec for address in message["From"].addresses]
    assert senders == [SENDER], f"the From header names {senders}: {received.raw.split(b'From: ')[1][:100]!r}"
    assert "Bcc" not in message and "Cc" not in message and "X-Injected" not in message
    shape = HtmlShape(received.html)
    for tag, attributes in shape.tags:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> in the HTML part"
        assert set(attributes) <= ALLOWED_TAGS[tag], f"attributes {attributes} on <{tag}>"
    assert [attributes["href"] for tag, attributes in shape.tags if tag == "a"] == ([link] if link else [])
    assert "<script" not in received.html.lower() and "<img" not in received.html.lower()
    for text in written:
        for line in lines_of(text):
            assert line in shape.text, f"{line!r} is not shown as text in the HTML part"
            assert line in received.text, f"{line!r} is not in the text part"


# -- the loop over email ------------------------------------------------------------------------------------------


def test_a_reply_reaches_the_server_and_its_link_closes_the_loop_once(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    conversation_id = ingest(desk, clock)
    desk.reply(conversation_id, by="ana", body="Claire, we are sorry. Dinner is on us.")
    assert smtp_server.received == []  # queued in the outbox, sent by dispatch
    assert desk.dispatch().sent == 1

    [received] = smtp_server.received
    assert received.rcpt_tos == (CUSTOMER,)
    assert "Claire, we are sorry. Dinner is on us." in received.text
    found = LINK.search(received.text)
    assert found is not None, received.text
    token = found.group(1)
    assert [tag for tag in HtmlShape(received.html).tags if tag[0] == "a"] == [("a", {"href": found.group(0)})]

    view = desk.customer_view(token)
    assert view.business_name == "Chez Nous" and view.place_name == "Chez Nous Opéra"
    assert [message.body for message in view.messages] == ["Claire, we are sorry. Dinner is on us."]
    assert desk.customer_view(token).messages == view.messages  # opening it does not use it up

    answered = desk.customer_reply(token, body="Thank you, we will come back.")
    assert [message.body for message in answered.messages][-1] == "Thank you, we will come back."
    assert desk.conversation(conversation_id, by="ana").status is Status.UNREAD_CUSTOMER_REPLY
    assert desk.mark_read(conversation_id, by="ana").status is Status.PENDING_ACTION

    before = desk.conversation(conversation_id, by="ana")
    with pytest.raises(UsedToken):
        desk.customer_reply(token, body="A second answer through the same link.")
    assert desk.conversation(conversation_id, by="ana") == before


def test_an_email_is_text_with_an_escaped_html_alternative_and_a_stable_message_id(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    conversation_id = ingest(desk, clock)
    body = "Dear Claire,\n\nWe fixed the <oven> & the soup.\nSee you soon!"
    desk.reply(conversation_id, by="ana", body=body)
    desk.dispatch()
    [message] = desk.outbox()
    [received] = smtp_server.received

    email = received.message
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    assert received.message_id == message_id(message)
    assert email["Subject"] == "Your feedback to Chez Nous Opéra"
    assert email["From"].addresses[0].display_name == "Chez Nous"
    assert "&lt;oven&gt; &amp; the soup." in received.html
    assert "<oven>" not in received.html
    assert "We fixed the <oven> & the soup." in received.text
    entry = desk.conversation(conversation_id, by="ana").history
    assert [item.message_id for item in entry if item.kind is InteractionKind.EMAIL_REPLY] == [message.id]
    assert_harmless(received, [CUSTOMER], [body], link=message.reply_link)


def test_one_connection_carries_a_whole_batch(desk: Desk, smtp_server: SmtpServer, clock: FakeClock) -> None:
    messages = replies(desk, clock, 4)
    assert desk.dispatch().sent == 4
    received = smtp_server.received
    assert [item.message_id for item in received] == [message_id(message) for message in messages]
    assert {item.connection for item in received} == {0}, "each message opened its own connection"


def test_the_sender_name_and_reply_to_settings_are_used(smtp_server: SmtpServer, clock: FakeClock) -> None:
    settings = smtp_server.settings(
        sender=SENDER, sender_name="Chez Nous Service", reply_to="Answers@Chez-Nous.example"
    )
    with open_desk(smtp_server, clock, smtp=settings) as desk:
        add_world(desk)
        desk.reply(ingest(desk, clock), by="ana", body="Hello")
        desk.dispatch()
    [received] = smtp_server.received
    assert received.message["From"].addresses[0].display_name == "Chez Nous Service"
    assert [address.addr_spec for address in received.message["Reply-To"].addresses] == ["Answers@chez-nous.example"]


# -- failures, retries and crashes ---------------------------------------------------------------------------------


def break_server(server: SmtpServer, how: str) -> None:
    if how == "down":
        server.stop()
    elif how == "4xx-rcpt":
        server.answer_rcpt("451 4.3.0 try later")
    elif how == "4xx-data":
        server.answer_data("451 4.3.0 try later")
    elif how == "5xx-rcpt":
        server.answer_rcpt("550 5.1.1 no such user")
    elif how == "5xx-data":
        server.answer_data("550 5.7.1 message refused")
    else:
        assert how == "drop"
        server.drop_next_data()


def dispatch_for_a_day(desk: Desk, clock: FakeClock) -> int:
    """Dispatch every few minutes, past every back-off and lease, for a day; how many were sent."""
    sent = 0
    for _ in range(24 * 6):
        clock.advance(minutes=10)
        sent += desk.dispatch().sent
    return sent


@pytest.mark.parametrize("how", ["down", "4xx-rcpt", "4xx-data", "drop"])
def test_temporary_failures_lose_nothing_and_send_nothing_twice_after_recovery(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, how: str
) -> None:
    messages = replies(desk, clock, 3)
    break_server(smtp_server, how)
    report = desk.dispatch()
    # a dropped connection loses only the message it was carrying: the rest go on a fresh connection
    lost = messages[:1] if how == "drop" else messages
    assert (report.sent, report.failed, report.retrying) == (3 - len(lost), 0, len(lost))
    assert smtp_server.message_ids() == {message_id(message): 1 for message in messages if message not in lost}
    tried = smtp_server.events
    expected_tries = {
        "down": [],
        "4xx-rcpt": [("rcpt-refused", message.recipients[0]) for message in messages],
        "4xx-data": [("data-refused", message_id(message)) for message in messages],
        "drop": [("dropped", message_id(messages[0]))],
    }[how]
    assert [event for event in tried if event[0] != "accepted"] == expected_tries
    waiting = [message for message in desk.outbox() if message.status is not Delivery.SENT]
    assert [message.id for message in waiting] == [message.id for message in lost]
    assert {message.status for message in waiting} == {Delivery.PENDING}
    assert all(message.attempts == 1 and message.last_error for message in waiting)
    if how.startswith("4xx"):
        assert all("451" in (message.last_error or "") for message in waiting)

    assert desk.dispatch().retrying == 0  # nothing is due before its back-off ends
    assert smtp_server.events == tried

    smtp_server.mend()
    clock.advance(RetryPolicy().first_wait)
    assert desk.dispatch().sent == len(lost)
    assert dispatch_for_a_day(desk, clock) == 0
    assert smtp_server.message_ids() == {message_id(message): 1 for message in messages}
    assert {message.status for message in desk.outbox()} == {Delivery.SENT}
    for conversation_id in {message.conversation_id for message in messages}:
        assert not desk.conversation(conversation_id, by="ana").delivery_failed


def test_temporary_failures_back_off_exponentially_up_to_the_configured_attempts(
    smtp_server: SmtpServer, clock: FakeClock
) -> None:
    policy = RetryPolicy(max_attempts=4, first_wait=timedelta(seconds=10), longest_wait=timedelta(seconds=25))
    with open_desk(smtp_server, clock, retry=policy) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock)
        desk.reply(conversation_id, by="ana", body="We are sorry.")
        [message] = desk.outbox()
        smtp_server.answer_data("451 4.3.0 try later")

        for attempt, wait in [(1, 10), (2, 20), (3, 25)]:
            assert desk.dispatch().retrying == 1
            stored = desk.outbox()[0]
            assert (stored.status, stored.attempts) == (Delivery.PENDING, attempt)
            assert stored.next_attempt_at == clock.now() + timedelta(seconds=wait)
            assert "451" in (stored.last_error or "")
            clock.advance(seconds=wait - 1)
            assert desk.dispatch() == DispatchReport()  # not due yet: not tried
            assert len(smtp_server.events) == attempt
            clock.advance(seconds=1)

        report = desk.dispatch()
        assert (report.sent, report.failed, report.retrying) == (0, 1, 0)
        failed = desk.outbox()[0]
        assert (failed.status, failed.attempts) == (Delivery.FAILED, 4)
        assert "451" in (failed.last_error or "") and "4 attempts" in (failed.last_error or "")
        assert smtp_server.events == [("data-refused", message_id(message))] * 4
        conversation = desk.conversation(conversation_id, by="ana")
        assert conversation.delivery_failed
        assert conversation.history[-1].kind is InteractionKind.DELIVERY_FAILED
        assert conversation.history[-1].message_id == message.id
        assert dispatch_for_a_day(desk, clock) == 0
        assert len(smtp_server.events) == 4  # a failed message stays failed until someone retries it

        smtp_server.mend()
        retried = desk.retry(message.id, by="ana")
        assert (retried.status, retried.attempts) == (Delivery.PENDING, 0)
        assert desk.dispatch().sent == 1
        assert smtp_server.message_ids() == {message_id(message): 1}
        assert not desk.conversation(conversation_id, by="ana").delivery_failed


@pytest.mark.parametrize("how", ["5xx-rcpt", "5xx-data"])
def test_a_permanent_failure_shows_in_the_conversation_and_retry_sends_it_again(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, how: str
) -> None:
    conversation_id = ingest(desk, clock)
    desk.reply(conversation_id, by="ana", body="We are sorry.")
    [message] = desk.outbox()
    break_server(smtp_server, how)

    report = desk.dispatch()
    assert (report.sent, report.failed, report.retrying) == (0, 1, 0)
    failed = desk.outbox()[0]
    assert (failed.status, failed.attempts) == (Delivery.FAILED, 1)  # never retried on its own
    assert "550" in (failed.last_error or "")
    conversation = desk.conversation(conversation_id, by="ana")
    assert conversation.delivery_failed
    entry = conversation.history[-1]
    assert entry.kind is InteractionKind.DELIVERY_FAILED
    assert (entry.message_id, entry.recipients) == (message.id, (CUSTOMER,))
    assert "550" in entry.body
    assert conversation.status is Status.AWAITING_CUSTOMER  # the history says it; the status does not lie

    smtp_server.mend()
    assert dispatch_for_a_day(desk, clock) == 0
    assert smtp_server.received == []

    desk.retry(message.id, by="ana")
    conversation = desk.conversation(conversation_id, by="ana")
    assert not conversation.delivery_failed
    assert conversation.history[-1].kind is InteractionKind.DELIVERY_RETRIED
    assert conversation.history[-1].author.id == "ana"
    assert desk.dispatch().sent == 1
    assert dispatch_for_a_day(desk, clock) == 0
    assert smtp_server.message_ids() == {message_id(message): 1}
    assert desk.outbox()[0].status is Delivery.SENT


def test_retry_is_refused_for_messages_that_did_not_fail_or_that_the_user_cannot_see(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    conversation_id = ingest(desk, clock)
    desk.reply(conversation_id, by="ana", body="We are sorry.")
    [message] = desk.outbox()
    before = state(desk, conversation_id)
    with pytest.raises(InvalidTransition):
        desk.retry(message.id, by="ana")  # pending
    desk.dispatch()
    sent = state(desk, conversation_id)
    with pytest.raises(InvalidTransition):
        desk.retry(message.id, by="ana")  # sent
    with pytest.raises(AccessDenied):
        desk.retry(message.id, by="leo")  # leo sees only Lyon
    with pytest.raises(NotFound):
        desk.retry("no-such-message", by="ana")
    assert state(desk, conversation_id) == sent
    assert before[1][0].status is Delivery.PENDING and sent[1][0].status is Delivery.SENT
    assert smtp_server.message_ids() == {message_id(message): 1}


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_crash_between_sending_and_recording_sends_again_with_the_same_message_id(
    smtp_server: SmtpServer, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}" if store == "sqlite" else None
    desk = open_desk(smtp_server, clock, url)
    try:
        add_world(desk)
        conversation_id = ingest(desk, clock)
        desk.reply(conversation_id, by="ana", body="We are sorry.")
        [message] = desk.outbox()

        def crash(context: object, outcomes: object) -> None:
            raise RuntimeError("the dispatcher died before recording what it sent")

        with monkeypatch.context() as patched:
            patched.setattr(closedloop.app.outbox, "record_outcomes", crash)
            with pytest.raises(RuntimeError):
                desk.dispatch()
        assert smtp_server.message_ids() == {message_id(message): 1}
        claimed = desk.outbox()[0]
        assert (claimed.status, claimed.attempts) == (Delivery.SENDING, 1)

        if url is not None:  # the process died: a new one opens the same database
            desk.close()
            desk = open_desk(smtp_server, clock, url)
        lease = RetryPolicy().lease
        clock.advance(lease - timedelta(seconds=1))
        assert desk.dispatch().sent == 0  # the lease still holds: the first dispatcher may be alive
        assert smtp_server.message_ids() == {message_id(message): 1}
        clock.advance(seconds=1)
        assert desk.dispatch().sent == 1
        assert dispatch_for_a_day(desk, clock) == 0

        assert smtp_server.message_ids() == {message_id(message): 2}
        first, second = smtp_server.received
        assert (first.message["Date"], first.message["Subject"], first.text) == (
            second.message["Date"],
            second.message["Subject"],
            second.text,
        )
        done = desk.outbox()[0]
        assert (done.status, done.attempts) == (Delivery.SENT, 2)
    finally:
        desk.close()


def test_a_message_the_server_cannot_take_does_not_hold_back_the_rest_of_its_batch(clock: FakeClock) -> None:
    """A customer address that needs SMTPUTF8, on a server without it: that message cannot go, the next one can.

    The settings say the server takes such addresses, so the reply is taken (told the truth, the desk would
    refuse it when it is written: see test_email_headers)."""
    server = SmtpServer(smtputf8=False).start()
    try:
        policy = RetryPolicy(max_attempts=3)
        trusting = server.settings(sender=SENDER, smtputf8=True)
        with open_desk(server, clock, retry=policy, smtp=trusting) as desk:
            add_world(desk)
            first = ingest(desk, clock, 1, email="josé@example.com")
            desk.reply(first, by="ana", body="Hello José")
            clock.advance(seconds=1)
            time.sleep(0.002)
            second = ingest(desk, clock, 2)
            desk.reply(second, by="ana", body="Hello Claire")
            unsendable, sendable = desk.outbox()
            desk.dispatch()
            dispatch_for_a_day(desk, clock)
            stored = {message.id: message for message in desk.outbox()}
            assert server.message_ids() == {message_id(sendable): 1}, (
                f"the message to {CUSTOMER} never reached the server: {stored[sendable.id].last_error}"
            )
            assert stored[sendable.id].status is Delivery.SENT
            assert stored[unsendable.id].status is Delivery.FAILED
            assert desk.conversation(first, by="ana").delivery_failed
    finally:
        server.stop()


# -- hand-offs ---------------------------------------------------------------------------------------------------------


def test_forward_delegate_and_share_email_a_file_link_and_never_the_customer(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    conversation_id = ingest(desk, clock)
    file_link = FILE_LINKS.replace("{id}", conversation_id)
    desk.forward(conversation_id, by="ana", to="zoe", note="Can you call her?")
    desk.delegate(conversation_id, by="ana", note="A refund is needed.")
    desk.share(conversation_id, by="ana", to=["boss@chez-nous.example", "chef@chez-nous.example"], note="FYI")
    assert desk.dispatch().sent == 3

    forwarded, delegated, shared = by_recipients(
        smtp_server, [ZOE], [SERVICE], ["boss@chez-nous.example", "chef@chez-nous.example"]
    )
    assert_harmless(forwarded, [ZOE], ["Can you call her?", f"Customer file: {file_link}"])
    assert_harmless(delegated, [SERVICE], ["A refund is needed.", f"Customer file: {file_link}"])
    assert_harmless(shared, ["boss@chez-nous.example", "chef@chez-nous.example"], ["FYI"])
    assert forwarded.message["Subject"] == "Ana Roux forwarded you feedback for Chez Nous Opéra"
    assert delegated.message["Subject"] == "Ana Roux delegated feedback for Chez Nous Opéra to customer service"
    assert shared.message["Subject"] == "Ana Roux shared feedback for Chez Nous Opéra with you"
    for received in (forwarded, delegated, shared):
        assert file_link in received.text and file_link in HtmlShape(received.html).text
        assert CUSTOMER not in received.raw.decode("ascii", "replace")
        assert LINK.search(received.text) is None  # no reply link: colleagues cannot post as the customer

    conversation = desk.conversation(conversation_id, by="ana")
    assert conversation.assignee == "zoe"
    kinds = [entry.kind for entry in conversation.history]
    assert kinds.count(InteractionKind.FORWARD) == kinds.count(InteractionKind.DELEGATION) == 1
    assert kinds.count(InteractionKind.SHARE) == 1
    assert conversation.status is Status.PENDING_ACTION


def test_hand_offs_to_invalid_or_missing_addresses_are_refused_and_change_nothing(
    smtp_server: SmtpServer, clock: FakeClock
) -> None:
    with open_desk(smtp_server, clock, customer_service_email="") as desk:
        add_world(desk)
        desk.add_user(User(id="mute", name="No Mail", places={"opera"}))
        conversation_id = ingest(desk, clock)
        before = state(desk, conversation_id)
        with pytest.raises(NotConfigured):
            desk.delegate(conversation_id, by="ana")
        with pytest.raises(InvalidInput):
            desk.forward(conversation_id, by="ana", to="mute")
        with pytest.raises(AccessDenied):
            desk.forward(conversation_id, by="ana", to="leo")
        with pytest.raises(InvalidInput):
            desk.share(conversation_id, by="ana", to=[])
        assert state(desk, conversation_id) == before
        assert desk.dispatch().sent == 0
    assert smtp_server.received == []


def test_hand_offs_need_the_email_channel(clock: FakeClock) -> None:
    with Desk.open(clock=clock, load_entry_points=False, customer_service_email=SERVICE) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock)
        before = state(desk, conversation_id)
        with pytest.raises(ChannelUnavailable):
            desk.share(conversation_id, by="ana", to=[ZOE])
        assert state(desk, conversation_id) == before


# -- injection ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", HEADER_ATTACKS + HTML_ATTACKS)
def test_a_reply_body_cannot_add_headers_or_recipients_and_is_escaped(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, attack: str
) -> None:
    body = f"Dear Claire,{attack}\nWe are sorry {attack} really."
    desk.reply(ingest(desk, clock), by="ana", body=body)
    assert desk.dispatch().sent == 1
    [message] = desk.outbox()
    [received] = smtp_server.received
    assert_harmless(received, [CUSTOMER], [body], link=message.reply_link)


@pytest.mark.parametrize(
    "smuggled",
    [
        "\r\n.\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<evil@example.com>\r\nDATA\r\n"
        "X-Injected: 1\r\n\r\nhi\r\n.\r\nQUIT\r\n",
        "\n.\nMAIL FROM:<evil@example.com>\nRCPT TO:<evil@example.com>\nDATA\nX-Injected: 1\n\nhi\n.\n",
        "\n.\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<evil@example.com>\r\nDATA\r\n\r\nhi\r\n.\r\n",
        "\r.\rMAIL FROM:<evil@example.com>\rRCPT TO:<evil@example.com>\rDATA\r\rhi\r.\r",
    ],
)
def test_smtp_commands_smuggled_in_a_body_stay_in_the_body(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, smuggled: str
) -> None:
    body = f"Dear Claire,{smuggled}Kind regards"
    desk.reply(ingest(desk, clock), by="ana", body=body)
    desk.dispatch()
    [message] = desk.outbox()
    [received] = smtp_server.received  # one message, not two
    assert_harmless(received, [CUSTOMER], [body], link=message.reply_link)
    assert "RCPT TO:<evil@example.com>" in received.text
    assert "Kind regards" in received.text


def test_the_customers_name_through_a_template_is_harmless(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    conversation_id = ingest(desk, clock, name=EVIL)
    desk.templates("ana").add(
        Template(
            id="t", name="Sorry", body="Dear {customer_name},\nsorry, {first_name}.", level="place", target="opera"
        )
    )
    body = desk.templates("ana").render("t", conversation_id)
    assert "<script>" in body  # the template puts the name in as written ...
    desk.reply(conversation_id, by="ana", body=body)
    desk.dispatch()
    [message] = desk.outbox()
    [received] = smtp_server.received
    assert_harmless(received, [CUSTOMER], [body], link=message.reply_link)  # ... and the email shows it as text


def test_business_place_and_sender_names_stay_on_one_line(smtp_server: SmtpServer, clock: FakeClock) -> None:
    """A name with a line break is refused where it is set; one that only looks like headers and markup is sent
    as the text it is."""
    for settings in ({"business_name": EVIL}, {"smtp": smtp_server.settings(sender=SENDER, sender_name=EVIL)}):
        with pytest.raises(InvalidInput, match="one line"):
            open_desk(smtp_server, clock, **settings)
    with open_desk(smtp_server, clock) as desk, pytest.raises(InvalidInput):
        desk.add_place(Place(id="evil", name=EVIL))
    for settings in (
        {"business_name": EVIL_LINE},
        {"smtp": smtp_server.settings(sender=SENDER, sender_name=EVIL_LINE)},
    ):
        with open_desk(smtp_server, clock, **settings) as desk:
            add_world(desk, place_name=EVIL_LINE)
            desk.reply(ingest(desk, clock), by="ana", body="Hello")
            desk.dispatch()
    for received in smtp_server.received:
        assert_harmless(received, [CUSTOMER], ["Hello"], link=LINK.search(received.text).group(0))
        assert same_words(received.message["Subject"], f"Your feedback to {EVIL_LINE}")
        assert "\n" not in received.message["Subject"]
        assert same_words(received.message["From"].addresses[0].display_name, EVIL_LINE)
    assert len(smtp_server.received) == 2


@pytest.mark.parametrize(
    "name",
    [
        "Chez Nous <evil@example.com>",
        'Chez "Nous" <evil@example.com>',
        "Éve <evil@example.com>",
        "Évé, evil@example.com",
    ],
)
def test_no_name_changes_the_from_address(smtp_server: SmtpServer, clock: FakeClock, name: str) -> None:
    """The From display name comes from the business name, the smtp sender_name, or (hand-offs) the user's name."""
    for settings in ({"business_name": name}, {"smtp": smtp_server.settings(sender=SENDER, sender_name=name)}):
        with open_desk(smtp_server, clock, **settings) as desk:
            add_world(desk)
            desk.reply(ingest(desk, clock), by="ana", body="Hello")
            desk.dispatch()
    with open_desk(smtp_server, clock) as desk:
        add_world(desk, agent_name=name)
        desk.share(ingest(desk, clock), by="ana", to=[ZOE])
        desk.dispatch()
    assert len(smtp_server.received) == 3
    for received in smtp_server.received:
        senders = received.message["From"].addresses
        shown = f"From {received.message['From']!r}; on the wire: {received.raw[:160]!r}"
        assert [sender.addr_spec for sender in senders] == [SENDER], shown
        assert same_words(senders[0].display_name, name)


def test_user_names_and_hand_off_notes_are_harmless(smtp_server: SmtpServer, clock: FakeClock) -> None:
    with open_desk(smtp_server, clock) as desk:
        with pytest.raises(InvalidInput):
            desk.add_user(User(id="eve", name=EVIL, email=ZOE, places={"opera"}))
        add_world(desk, place_name="Opéra " + EVIL_LINE, agent_name=EVIL_LINE)
        conversation_id = ingest(desk, clock)
        note = f"Please look {EVIL}\r\n\r\n{HTML_ATTACKS[2]}"
        desk.forward(conversation_id, by="ana", to="zoe", note=note)
        desk.delegate(conversation_id, by="ana", note=note)
        desk.share(conversation_id, by="ana", to=["boss@chez-nous.example"], note=note)
        assert desk.dispatch().sent == 3
    forwarded, delegated, shared = by_recipients(smtp_server, [ZOE], [SERVICE], ["boss@chez-nous.example"])
    file_text = "Customer file: " + FILE_LINKS.replace("{id}", conversation_id)
    assert_harmless(forwarded, [ZOE], [note, file_text])
    assert_harmless(delegated, [SERVICE], [note, file_text])
    assert_harmless(shared, ["boss@chez-nous.example"], [note, file_text])
    assert same_words(forwarded.message["From"].addresses[0].display_name, EVIL_LINE)
    assert same_words(forwarded.message["Subject"], f"{EVIL_LINE} forwarded you feedback for Opéra {EVIL_LINE}")


INJECTED_ADDRESSES = [
    "boss@chez-nous.example\r\nBcc: evil@example.com",
    "boss@chez-nous.example\nX-Injected: 1",
    "boss@chez-nous.example, evil@example.com",
    "boss@chez-nous.example>\r\nRCPT TO:<evil@example.com",
    '"boss\r\nBcc: evil@example.com"@chez-nous.example',
    "Boss <boss@chez-nous.example>\r\nBcc: evil@example.com",
]


@pytest.mark.parametrize("address", INJECTED_ADDRESSES)
def test_addresses_with_injected_headers_are_refused_and_change_nothing(
    smtp_server: SmtpServer, clock: FakeClock, address: str
) -> None:
    with pytest.raises(InvalidInput):  # delegating would send to it: refused when the desk opens
        open_desk(smtp_server, clock, customer_service_email=address)
    with open_desk(smtp_server, clock) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock)
        to_customer = ingest(desk, clock, 2, email=address)
        before, before_customer = state(desk, conversation_id), state(desk, to_customer)
        with pytest.raises(InvalidInput):
            desk.share(conversation_id, by="ana", to=[address])
        with pytest.raises(InvalidInput):
            desk.share(conversation_id, by="ana", to=[ZOE, address])
        with pytest.raises(InvalidInput):
            desk.reply(to_customer, by="ana", body="Hello")
        with pytest.raises(InvalidInput):
            desk.add_user(User(id="eve", name="Eve", email=address, places={"opera"}))
        with pytest.raises(NotFound):
            desk.user("eve")
        assert state(desk, conversation_id) == before
        assert state(desk, to_customer) == before_customer
        assert desk.dispatch().sent == 0
    for field in ("sender", "reply_to"):
        with pytest.raises(InvalidInput):
            open_desk(smtp_server, clock, smtp={**smtp_server.settings(sender=SENDER), field: address})
    assert smtp_server.received == []


def test_a_host_with_commands_in_it_is_refused(smtp_server: SmtpServer, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput):
        open_desk(
            smtp_server,
            clock,
            smtp=smtp_server.settings(sender=SENDER, host="127.0.0.1\r\nMAIL FROM:<evil@example.com>"),
        )
    with pytest.raises(InvalidInput):
        SmtpSettings.of({"host": "127.0.0.1", "sender": SENDER, "security": "plain"})


# -- STARTTLS ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = SmtpServer(tls_context=context).start()
    try:
        yield server
    finally:
        server.stop()


def test_starttls_sends_encrypted_to_a_trusted_server(
    tls_server: SmtpServer, certificate: tuple[Path, Path], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with open_desk(tls_server, clock, smtp=tls_server.settings(sender=SENDER, security="starttls")) as desk:
        add_world(desk)
        desk.reply(ingest(desk, clock), by="ana", body="Hello over TLS")
        assert desk.dispatch().sent == 1
    [received] = tls_server.received
    assert received.tls
    assert "Hello over TLS" in received.text


def test_starttls_to_an_untrusted_server_sends_nothing_and_keeps_the_message(
    tls_server: SmtpServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with open_desk(tls_server, clock, smtp=tls_server.settings(sender=SENDER, security="starttls")) as desk:
        add_world(desk)
        desk.reply(ingest(desk, clock), by="ana", body="Hello over TLS")
        assert desk.dispatch().retrying == 1
        [message] = desk.outbox()
        assert message.status is Delivery.PENDING
        assert "certificate" in (message.last_error or "")
    assert tls_server.received == []


# -- the channel contract ----------------------------------------------------------------------------------------------


class TestRecordingChannelContract(ChannelContract):
    def make_channel(self) -> RecordingChannel:
        return RecordingChannel("email")

    def delivered(self, channel: Any) -> list[str]:
        return [message.body for message in channel.sent]

    def break_delivery(self, channel: Any) -> None:
        channel.fail_with = "the outbox is down"


class SmtpChannelContract(ChannelContract):
    """The SMTP channel against aiosmtpd; subclasses say how delivery breaks."""

    @pytest.fixture(autouse=True)
    def _server(self, smtp_server: SmtpServer) -> None:
        self.server = smtp_server

    def make_channel(self) -> SmtpChannel:
        return SmtpChannel(SmtpSettings.of(self.server.settings(sender=SENDER)))

    def delivered(self, channel: Any) -> list[str]:
        return [received.text for received in self.server.received]


class TestSmtpChannelContractServerDown(SmtpChannelContract):
    def break_delivery(self, channel: Any) -> None:
        self.server.stop()


class TestSmtpChannelContractTryLater(SmtpChannelContract):
    def break_delivery(self, channel: Any) -> None:
        self.server.answer_data("451 4.3.0 try later")

"""Email headers and addresses that no name can break, over a real SMTP server on loopback (issue 13).

- an RFC 2047 encoded word in a place, user, business or sender name stays text: the email that arrives has
  one From, one Subject, no header of the name's making, and shows the name exactly as it was written (the
  email package of Python 3.11.9 / 3.12.4 and older decoded it into a header line of its own);
- settings that end up in a header (business name, sender name) are refused at ``Desk.open`` if they are not
  one line, and an SMTP setting of the wrong kind is refused there too, saying what it must be;
- a reply to an address beyond ASCII before the @ goes out with SMTPUTF8 when the server offers it, a domain
  beyond ASCII in its ASCII form to any server; when the server cannot take the address, or the settings
  say so, the reply is refused when it is written and nothing is stored.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from closedloop import (
    ChannelUnavailable,
    Contact,
    Conversation,
    Delivery,
    Desk,
    Feedback,
    InvalidInput,
    OutboundMessage,
    Place,
    Rating,
    RatingKind,
    Role,
    Source,
    User,
)
from closedloop.testing import FakeClock
from closedloop.testing.smtp import Received, SmtpServer

SENDER = "feedback@chez-nous.example"
CUSTOMER = "claire@example.com"
ZOE = "zoe@chez-nous.example"

#: Encoded words that decode to a line break and a header: each must arrive as the very text written.
ENCODED_ATTACKS = [
    "=?utf-8?q?=0D=0AReply-To:_evil@example.com?=",
    "=?utf-8?b?" + base64.b64encode(b"\r\nReply-To: evil@example.com").decode() + "?=",
    "Chez =?utf-8?q?Nous=0ABcc:_evil@example.com?= Op=C3=A9ra",
    "=?utf-8?q?=0D=0A=0D=0AX-Injected:_1?= =?iso-8859-1?q?=0AReply-To:_evil@example.com?=",
    "=?UTF-8?Q?=0d=0aReply-To:_evil@example.com?=Opéra",
]
#: Header lines a reply or hand-off has; anything else, or any of these twice, was injected.
TOP_HEADERS = ["Message-ID", "Date", "From", "To", "Subject", "Content-Type", "MIME-Version"]


def open_desk(server: SmtpServer, clock: FakeClock, **settings: Any) -> Desk:
    smtp = {**server.settings(sender=SENDER), **settings.pop("smtp", {})}
    options: dict[str, Any] = {
        "clock": clock,
        "smtp": smtp,
        "business_name": "Chez Nous",
        "reply_link_base": "https://chez-nous.example/reply/",
        "load_entry_points": False,
        **settings,
    }
    return Desk.open(**options)


def add_world(desk: Desk, place_name: str = "Chez Nous Opéra", agent_name: str = "Ana Roux") -> None:
    desk.add_place(Place(id="opera", name=place_name))
    desk.add_user(User(id="ana", name=agent_name, role=Role.MANAGER, email="ana@chez-nous.example", places={"opera"}))
    desk.add_user(User(id="zoe", name="Zoé Martin", email=ZOE, places={"opera"}))


def ingest(desk: Desk, clock: FakeClock, email: str = CUSTOMER, number: int = 1) -> str:
    feedback = Feedback(
        source=Source.SURVEY,
        external_id=f"survey-{number}",
        place_id="opera",
        received_at=clock.now(),
        contact=Contact(name="Claire Dupont", email=email),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=4)],
        comments="The soup was cold.",
    )
    return desk.ingest(feedback).id


def state(desk: Desk, conversation_id: str) -> tuple[Conversation, list[OutboundMessage]]:
    return desk.conversation(conversation_id, by="ana"), desk.outbox()


def assert_one_of_each_header(received: Received) -> None:
    names = [name.lower() for name in received.header_names]
    assert sorted(names) == sorted(name.lower() for name in TOP_HEADERS), f"header lines on the wire: {names}"
    assert received.mail_from == SENDER
    assert "Reply-To" not in received.message and "Bcc" not in received.message
    assert "X-Injected" not in received.message


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    """An SMTP server that does not offer SMTPUTF8."""
    server = SmtpServer(smtputf8=False).start()
    try:
        yield server
    finally:
        server.stop()


# -- encoded words stay text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENCODED_ATTACKS)
def test_an_encoded_word_in_a_place_or_business_name_adds_no_header(
    smtp_server: SmtpServer, clock: FakeClock, name: str
) -> None:
    for settings in ({"business_name": name}, {"smtp": {"sender_name": name}}, {"business_name": ""}):
        with open_desk(smtp_server, clock, **settings) as desk:
            add_world(desk, place_name=name)
            desk.reply(ingest(desk, clock), by="ana", body="Hello")
            assert desk.dispatch().sent == 1
    assert len(smtp_server.received) == 3
    for received in smtp_server.received:
        assert_one_of_each_header(received)
        assert received.rcpt_tos == (CUSTOMER,)
        assert received.decoded("From") == f"{name} <{SENDER}>"
        assert received.decoded("Subject") == f"Your feedback to {name}"
        assert str(received.message["Subject"]) == f"Your feedback to {name}"
        assert [sender.addr_spec for sender in received.message["From"].addresses] == [SENDER]
        assert [to.addr_spec for to in received.message["To"].addresses] == [CUSTOMER]


@pytest.mark.parametrize("name", ENCODED_ATTACKS)
def test_an_encoded_word_in_a_user_name_adds_no_header_to_a_hand_off(
    smtp_server: SmtpServer, clock: FakeClock, name: str
) -> None:
    with open_desk(smtp_server, clock) as desk:
        add_world(desk, place_name=name, agent_name=name)
        conversation_id = ingest(desk, clock)
        desk.forward(conversation_id, by="ana", to="zoe", note="Please call her.")
        desk.share(conversation_id, by="ana", to=["boss@chez-nous.example"])
        assert desk.dispatch().sent == 2
    shared, forwarded = sorted(smtp_server.received, key=lambda received: received.rcpt_tos)
    assert (forwarded.rcpt_tos, shared.rcpt_tos) == ((ZOE,), ("boss@chez-nous.example",))
    for received in (forwarded, shared):
        assert_one_of_each_header(received)
        assert received.decoded("From") == f"{name} <{SENDER}>"
    assert forwarded.decoded("Subject") == f"{name} forwarded you feedback for {name}"
    assert shared.decoded("Subject") == f"{name} shared feedback for {name} with you"


def test_an_address_holding_an_encoded_word_stays_one_address(smtp_server: SmtpServer, clock: FakeClock) -> None:
    """Before the @ an encoded word is plain characters that an address may hold: it goes out as written, one
    recipient (the loopback server, like the email package, decodes it when it reads the envelope)."""
    address = "=?utf-8?q?=0D=0ABcc=3A_evil=40example.com?=@example.com"
    with open_desk(smtp_server, clock) as desk:
        add_world(desk)
        desk.reply(ingest(desk, clock, email=address), by="ana", body="Hello")
        desk.share(ingest(desk, clock, number=2), by="ana", to=[address])
        assert desk.dispatch().sent == 2
    for received in smtp_server.received:
        assert_one_of_each_header(received)
        assert len(received.rcpt_tos) == 1
        assert f"\r\nTo: {address}\r\n".encode() in received.raw


# -- settings that become headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("breaking", ["\r\nBcc: evil@example.com", "\nX-Injected: 1", "\x00", "\u2028", "\x85"])
def test_names_from_the_settings_that_are_not_one_line_are_refused_when_the_desk_opens(
    smtp_server: SmtpServer, clock: FakeClock, breaking: str
) -> None:
    for settings in ({"business_name": "Chez Nous" + breaking}, {"smtp": {"sender_name": "Chez Nous" + breaking}}):
        with pytest.raises(InvalidInput, match="one line"):
            open_desk(smtp_server, clock, **settings)
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("port", "587", "port must be a number"),
        ("port", 0, "port must be a number"),
        ("port", 70000, "port must be a number"),
        ("port", True, "port must be a number"),
        ("timeout", -1, "timeout must be a positive"),
        ("timeout", float("nan"), "timeout must be a positive"),
        ("timeout", "30", "timeout must be a positive"),
        ("host", 5, "host must be text"),
        ("host", "", "not a host name"),
        ("host", "smtp.example.com\x00", "not a host name"),
        ("sender", None, "sender must be text"),
        ("sender", "nobody", "not a valid email address"),
        ("security", "tls", "must be one of starttls, ssl, none"),
        ("username", 5, "username must be text"),
        ("smtputf8", "yes", "True, False or None"),
        ("reply_to", "\ud800@example.com", "lone surrogate"),
    ],
)
def test_smtp_settings_of_the_wrong_kind_are_refused_saying_what_they_must_be(
    smtp_server: SmtpServer, clock: FakeClock, setting: str, value: object, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        open_desk(smtp_server, clock, smtp={setting: value})


@pytest.mark.parametrize(
    ("smtp", "says"),
    [(5, "must be a dict"), ({"host": "127.0.0.1"}, "needs sender"), ({"hots": "x"}, "unknown smtp setting")],
)
def test_an_smtp_setting_that_is_not_a_dict_of_settings_is_refused(clock: FakeClock, smtp: object, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        Desk.open(clock=clock, smtp=smtp, load_entry_points=False)


# -- addresses beyond ASCII -------------------------------------------------------------------------------------------

INTERNATIONAL = ["jö@exämple.com", "用户@例子.广告", "josé@example.com"]


def test_replies_to_addresses_beyond_ascii_go_out_with_smtputf8(smtp_server: SmtpServer, clock: FakeClock) -> None:
    with open_desk(smtp_server, clock) as desk:
        add_world(desk)
        for number, address in enumerate(INTERNATIONAL):
            desk.reply(ingest(desk, clock, email=address, number=number), by="ana", body=f"Hello {address}")
        desk.reply(ingest(desk, clock, email=CUSTOMER, number=9), by="ana", body="Hello Claire")
        assert desk.dispatch().sent == 4
        assert all(message.status is Delivery.SENT for message in desk.outbox())
    received = {item.rcpt_tos: item for item in smtp_server.received}
    for address in INTERNATIONAL:
        item = received[(address,)]
        assert "SMTPUTF8" in item.mail_options
        assert [to.addr_spec for to in item.message["To"].addresses] == [address]
        assert f"Hello {address}" in item.text
        assert_one_of_each_header(item)
    assert "SMTPUTF8" not in received[(CUSTOMER,)].mail_options


def test_a_domain_beyond_ascii_goes_out_in_its_ascii_form_to_any_server(
    plain_server: SmtpServer, clock: FakeClock
) -> None:
    with open_desk(plain_server, clock) as desk:
        add_world(desk)
        desk.reply(ingest(desk, clock, email="jo@exämple.com"), by="ana", body="Hello Jo")
        assert desk.dispatch().sent == 1
    (received,) = plain_server.received
    assert received.rcpt_tos == ("jo@xn--exmple-cua.com",)
    assert [to.addr_spec for to in received.message["To"].addresses] == ["jo@xn--exmple-cua.com"]
    assert "SMTPUTF8" not in received.mail_options


@pytest.mark.parametrize("address", ["jö@exämple.com", "用户@例子.广告"])
def test_a_reply_the_server_cannot_carry_is_refused_when_written_and_changes_nothing(
    plain_server: SmtpServer, clock: FakeClock, address: str
) -> None:
    with open_desk(plain_server, clock) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock, email=address)
        before = state(desk, conversation_id)
        with pytest.raises(ChannelUnavailable, match="SMTPUTF8"):
            desk.reply(conversation_id, by="ana", body="Hello")
        assert state(desk, conversation_id) == before
        desk.reply(ingest(desk, clock, number=2), by="ana", body="Hello Claire")  # other replies still go
        assert desk.dispatch().sent == 1
    assert [item.rcpt_tos for item in plain_server.received] == [(CUSTOMER,)]


def test_a_hand_off_the_server_cannot_carry_is_refused_when_written_and_changes_nothing(
    plain_server: SmtpServer, clock: FakeClock
) -> None:
    with open_desk(plain_server, clock, customer_service_email="service@exämple.com") as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock)
        before = state(desk, conversation_id)
        with pytest.raises(ChannelUnavailable, match="SMTPUTF8"):
            desk.share(conversation_id, by="ana", to=["chéf@chez-nous.example"])
        with pytest.raises(ChannelUnavailable, match="SMTPUTF8"):
            desk.share(conversation_id, by="ana", to=[ZOE, "用户@例子.广告"])
        assert state(desk, conversation_id) == before
        desk.delegate(conversation_id, by="ana")  # a domain beyond ASCII goes out in its punycode form
        assert desk.dispatch().sent == 1


def test_settings_that_refuse_smtputf8_refuse_the_reply_even_if_the_server_offers_it(
    smtp_server: SmtpServer, clock: FakeClock
) -> None:
    with open_desk(smtp_server, clock, smtp={"smtputf8": False}) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock, email="jö@exämple.com")
        before = state(desk, conversation_id)
        with pytest.raises(ChannelUnavailable, match="SMTPUTF8"):
            desk.reply(conversation_id, by="ana", body="Hello")
        assert state(desk, conversation_id) == before


def test_a_server_unreachable_when_the_reply_is_written_decides_when_it_is_sent(clock: FakeClock) -> None:
    """Nobody knows yet whether the server takes the address: the reply is kept, and goes once it answers."""
    server = SmtpServer()
    try:
        with open_desk(server, clock) as desk:
            add_world(desk)
            conversation_id = ingest(desk, clock, email="jö@exämple.com")
            desk.reply(conversation_id, by="ana", body="Hello")
            server.start()
            assert desk.dispatch().sent == 1
        assert [item.rcpt_tos for item in server.received] == [("jö@exämple.com",)]
    finally:
        server.stop()


def test_settings_that_trust_smtputf8_fail_the_message_clearly_on_a_server_without_it(
    plain_server: SmtpServer, clock: FakeClock
) -> None:
    with open_desk(plain_server, clock, smtp={"smtputf8": True}) as desk:
        add_world(desk)
        conversation_id = ingest(desk, clock, email="jö@exämple.com")
        desk.reply(conversation_id, by="ana", body="Hello")
        assert desk.dispatch().failed == 1
        (message,) = desk.outbox()
        assert message.status is Delivery.FAILED
        assert message.last_error is not None and "does not offer SMTPUTF8" in message.last_error
        assert desk.conversation(conversation_id, by="ana").delivery_failed
    assert plain_server.received == []

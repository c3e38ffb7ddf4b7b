"""Hostile names and texts through replies and hand-offs, sent for real to an SMTP server on loopback: each
step succeeds or refuses with a closedloop error, and no value adds a header or a recipient to what arrives
(encoded words such as ``=?utf-8?q?=0D=0A...?=`` included)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from hypothesis import strategies as st

import closedloop as cl
from closedloop.testing import FakeClock
from closedloop.testing.smtp import SmtpServer

from . import tally
from .arguments import Arg, call_arguments
from .hostile import texts
from .judge import broken
from .profiles import explore
from .world import shown

ENTRY = "email over SMTP"
HEADERS = Counter(["Message-ID", "Date", "From", "To", "Subject", "MIME-Version", "Content-Type"])
RECIPIENTS = {("jo@example.com",), ("cs@example.com",), ("x@example.com",)}


def name(*valid: str) -> Arg:
    """A name or text: hostile ones are hostile texts only (other types are the other tests' business)."""
    return Arg(st.sampled_from(valid), texts())


FIELDS = {
    "business_name": name("Fuzz Bistro"),
    "sender_name": name("Care Team"),
    "place_name": name("Paris Opera"),
    "user_name": name("Ana Roux"),
    "customer_name": name("Jo Doe"),
    "body": name("Sorry about the soup."),
    "note": name("Please call her back."),
}


def judge(server: SmtpServer, values: dict[str, Any]) -> str:
    tally.tried(ENTRY, "memory")
    arrived = len(server.received)
    try:
        desk = cl.Desk.open(
            smtp=server.settings(sender="care@example.com", sender_name=values["sender_name"]),
            business_name=values["business_name"],
            customer_service_email="cs@example.com",
            clock=FakeClock(),
            load_entry_points=False,
        )
    except cl.ClosedLoopError:
        tally.ended(ENTRY, "refused")
        return "refused"
    except Exception as error:
        broken(ENTRY, "memory", values, error, f"Desk.open raised {type(error).__name__}: {shown(str(error))}")
    opened: dict[str, str] = {}

    def ingest() -> None:
        contact = cl.Contact(name=values["customer_name"], email="jo@example.com")
        feedback = cl.Feedback(
            source=cl.Source.SURVEY,
            external_id="headers-1",
            place_id="p",
            received_at=datetime(2026, 1, 4, tzinfo=UTC),
            contact=contact,
        )
        opened["id"] = desk.ingest(feedback).id

    # each step builds its records itself: a constructor refusing a name is a refusal like any other
    steps = [
        ("add_place", lambda: desk.add_place(cl.Place(id="p", name=values["place_name"]))),
        ("add_user", lambda: desk.add_user(cl.User(id="u", name=values["user_name"], role=cl.Role.ADMIN))),
        ("ingest", ingest),
        ("reply", lambda: desk.reply(opened["id"], by="u", body=values["body"])),
        ("delegate", lambda: desk.delegate(opened["id"], by="u", note=values["note"])),
        ("share", lambda: desk.share(opened["id"], by="u", to=["x@example.com"], note=values["note"])),
    ]
    try:
        for step, run in steps:
            try:
                run()
            except cl.ClosedLoopError:
                if step in ("add_place", "add_user", "ingest"):
                    break  # the rest needs it
            except Exception as error:
                broken(ENTRY, "memory", values, error, f"{step} raised {type(error).__name__}: {shown(str(error))}")
        try:
            desk.dispatch()
        except Exception as error:
            broken(ENTRY, "memory", values, error, f"dispatch raised {type(error).__name__}: {shown(str(error))}")
    finally:
        desk.close()
    for received in server.received[arrived:]:
        wrong = unexpected(received.message, received.rcpt_tos)
        if wrong:
            broken(ENTRY, "memory", values, None, wrong)
    tally.ended(ENTRY, "succeeded")
    return "succeeded"


def unexpected(message: EmailMessage, envelope: tuple[str, ...]) -> str:
    """What a received message has that closedloop never writes: another header, a header twice, another
    recipient; empty when it has none."""
    headers = Counter(message.keys())
    to = tuple(address for _name, address in getaddresses(message.get_all("To", [])))
    if headers == HEADERS and to in RECIPIENTS and envelope in RECIPIENTS:
        return ""
    return f"sent a message with headers {dict(headers)}, To {to}, envelope {envelope}"


def test_no_name_or_text_adds_a_header_or_a_recipient(smtp_server: SmtpServer) -> None:
    explore(call_arguments(FIELDS), lambda values: judge(smtp_server, values))

"""One outbox message as an email: plain text with an escaped HTML alternative, and its SMTP envelope.

Everything a person wrote is escaped in the HTML, and the only link in it is the one closedloop made. Every
address is checked with email-validator; the headers that carry names, subjects and addresses are written by
:mod:`closedloop.channels.headers`, so no text can add a header or a recipient on any Python version. The
Message-ID comes from the outbox message's id, so a message sent again after a crash is recognisably the same.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import attrs
import email_validator

from closedloop.channels import headers
from closedloop.channels.headers import one_line
from closedloop.channels.smtp_settings import SmtpSettings
from closedloop.domain.errors import InvalidInput
from closedloop.domain.messages import OutboundMessage

__all__ = ["Envelope", "WireAddress", "build_email", "envelope", "html_body", "text_body"]


def text_body(message: OutboundMessage) -> str:
    parts = [message.body.strip()]
    if message.reply_link:
        parts.append(f"To answer, open this link (it works once):\n{message.reply_link}")
    return "\n\n".join(part for part in parts if part) + "\n"


def html_body(message: OutboundMessage) -> str:
    """The same content as the text, every written character escaped, links only where we made them."""
    paragraphs = [
        "<p>" + "<br>".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in message.body.strip().split("\n\n")
        if block.strip()
    ]
    if message.reply_link:
        link = html.escape(message.reply_link, quote=True)
        paragraphs.append(f'<p><a href="{link}">Answer here</a> (the link works once).</p>')
    return '<!doctype html><html><body style="font-family: sans-serif">' + "".join(paragraphs) + "</body></html>"


@attrs.frozen
class WireAddress:
    """An address as it goes over SMTP: a domain beyond ASCII in its ASCII (IDNA) form, which every server
    takes; a name part beyond ASCII (``jö@...``) as it is, which only a server offering SMTPUTF8 takes."""

    text: str
    needs_smtputf8: bool

    @classmethod
    def of(cls, address: str, what: str) -> WireAddress:
        try:
            checked = email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError as error:
            raise InvalidInput(f"{what} {address!r} is not a valid email address: {error}") from None
        if checked.ascii_email:
            return cls(str(checked.ascii_email), needs_smtputf8=False)
        return cls(str(checked.normalized), needs_smtputf8=True)


def needs_smtputf8(address: str) -> bool:
    """Whether writing to ``address`` takes a server offering SMTPUTF8 (its name part is beyond ASCII)."""
    return not address.rpartition("@")[0].isascii()


#: What the left of a Message-ID may hold: closedloop's ids are letters and digits; ``.``, ``_`` and ``-`` for others'.
_ID_LEFT = re.compile(r"[A-Za-z0-9._-]{1,200}")


def message_id(message: OutboundMessage, settings: SmtpSettings) -> headers.ReadyHeader:
    if not _ID_LEFT.fullmatch(message.id):
        raise InvalidInput(f"message id {message.id!r} cannot make a Message-ID: use letters, digits, '.', '_', '-'")
    value = f"<{message.id}@{settings.message_id_domain}>"
    return headers.ReadyHeader("Message-ID", value, [value])


@attrs.frozen
class Envelope:
    """The email of one outbox message, and who it is from and to on the wire."""

    email: EmailMessage
    sender: str
    recipients: tuple[str, ...]
    needs_smtputf8: bool


def envelope(message: OutboundMessage, settings: SmtpSettings) -> Envelope:
    """The email for one outbox message; refuses (InvalidInput) anything that is not a plain address.

    Names from stored records are put on one line here; names from the settings were refused at
    ``Desk.open`` if they were not one line already.
    """
    if not message.recipients:
        raise InvalidInput(f"message {message.id} has no recipient")
    recipients = [WireAddress.of(recipient, "recipient") for recipient in message.recipients]
    sender = WireAddress.of(settings.sender, "smtp sender")
    addresses = [sender, *recipients]
    email = EmailMessage(policy=SMTP)
    email["Message-ID"] = message_id(message, settings)
    email["Date"] = format_datetime(message.created_at)
    email["From"] = headers.mailbox("From", one_line(settings.sender_name or message.sender_name), sender.text)
    email["To"] = headers.address_list("To", [recipient.text for recipient in recipients])
    if settings.reply_to:
        reply_to = WireAddress.of(settings.reply_to, "smtp reply_to")
        addresses.append(reply_to)
        email["Reply-To"] = headers.address_list("Reply-To", [reply_to.text])
    email["Subject"] = headers.unstructured("Subject", one_line(message.subject))
    email.set_content(text_body(message))
    email.add_alternative(html_body(message), subtype="html")
    return Envelope(
        email=email,
        sender=sender.text,
        recipients=tuple(recipient.text for recipient in recipients),
        needs_smtputf8=any(address.needs_smtputf8 for address in addresses),
    )


def build_email(message: OutboundMessage, settings: SmtpSettings, checks: object = None) -> EmailMessage:
    """The email alone, for tools that send it with ``smtplib`` themselves (``checks`` is not used any more:
    the addresses are checked here)."""
    return envelope(message, settings).email

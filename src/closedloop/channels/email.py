"""The email channel: replies and hand-offs sent over SMTP with the standard library.

Messages are built with :class:`email.message.EmailMessage` and the SMTP policy: plain text, with an HTML
alternative in which everything a person wrote is escaped. Every address is checked with email-validator
and every header value is kept to one line, so no field can add a header or a recipient. The Message-ID
comes from the outbox message's id, so a message sent again after a crash is recognisably the same one.
One connection carries a whole batch.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, Literal

import attrs

from closedloop.contacts import ContactChecker
from closedloop.domain.errors import ChannelUnavailable, InvalidInput
from closedloop.domain.messages import NO_LIMITS, MessageKind, OutboundMessage
from closedloop.hookspecs import hookimpl
from closedloop.ports import SendResult
from closedloop.registry import Registry
from closedloop.settings import Settings

__all__ = ["SmtpChannel", "SmtpSettings"]

Security = Literal["starttls", "ssl", "none"]
PORTS: Mapping[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


def one_line(value: str) -> str:
    """Header values stay on one line: line breaks would start a new header."""
    return " ".join(value.split())


def _address(value: str, what: str) -> str:
    normalized = ContactChecker().email(value)
    if normalized is None:
        raise InvalidInput(f"smtp {what} {value!r} is not a valid email address")
    return normalized


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how a desk sends email: ``Desk.open(smtp={"host": ..., "sender": ...})``."""

    host: str
    sender: str
    port: int | None = None
    security: Security = "starttls"
    username: str = ""
    password: str = attrs.field(default="", repr=False)
    sender_name: str = ""
    reply_to: str = ""
    timeout: float = 30.0

    def __attrs_post_init__(self) -> None:
        if self.security not in PORTS:
            raise InvalidInput(f"smtp security must be one of {', '.join(PORTS)}; got {self.security!r}")
        if not self.host or any(character.isspace() for character in self.host):
            raise InvalidInput(f"smtp host {self.host!r} is not a host name")
        object.__setattr__(self, "sender", _address(self.sender, "sender"))
        if self.reply_to:
            object.__setattr__(self, "reply_to", _address(self.reply_to, "reply_to"))

    @classmethod
    def of(cls, value: SmtpSettings | Mapping[str, Any]) -> SmtpSettings:
        if isinstance(value, SmtpSettings):
            return value
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InvalidInput(f"unknown smtp setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**value)

    @property
    def domain(self) -> str:
        return self.sender.rsplit("@", 1)[1]


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


def build_email(message: OutboundMessage, settings: SmtpSettings, checks: ContactChecker) -> EmailMessage:
    """The email for one outbox message; refuses (InvalidInput) anything that is not a plain address."""
    recipients = []
    for recipient in message.recipients:
        normalized = checks.email(recipient)
        if normalized is None:
            raise InvalidInput(f"{recipient!r} is not a valid email address")
        recipients.append(normalized)
    if not recipients:
        raise InvalidInput(f"message {message.id} has no recipient")
    email = EmailMessage(policy=SMTP)
    email["Message-ID"] = f"<{message.id}@{settings.domain}>"
    email["Date"] = format_datetime(message.created_at)
    # Address objects quote a display name as a whole, so a name can never smuggle in an address of its own
    email["From"] = Address(
        display_name=one_line(settings.sender_name or message.sender_name), addr_spec=settings.sender
    )
    email["To"] = [Address(addr_spec=recipient) for recipient in recipients]
    if settings.reply_to:
        email["Reply-To"] = settings.reply_to
    email["Subject"] = one_line(message.subject)
    email.set_content(text_body(message))
    email.add_alternative(html_body(message), subtype="html")
    return email


def is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpChannel:
    """Sends a batch over one SMTP connection; failures are reported per message, never raised."""

    name = "email"
    kinds = frozenset({MessageKind.CUSTOMER_REPLY, MessageKind.HANDOFF})
    limits = NO_LIMITS

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.checks = ContactChecker()

    def connect(self) -> smtplib.SMTP:
        settings = self.settings
        port = settings.port or PORTS[settings.security]
        if settings.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
            if settings.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if settings.username:
            connection.login(settings.username, settings.password)
        return connection

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        for message in messages:
            if message.kind not in self.kinds:
                raise ChannelUnavailable(f"the email channel cannot carry {message.kind.value} messages")
        results: list[SendResult] = []
        connection: smtplib.SMTP | None = None
        for message in messages:
            if connection is None:
                try:
                    connection = self.connect()
                except (OSError, smtplib.SMTPException) as error:
                    unreached = f"cannot reach the SMTP server: {error}"
                    results += [
                        SendResult(message_id=m.id, ok=False, error=unreached) for m in messages[len(results) :]
                    ]
                    break
            result = self._send_one(connection, message)
            results.append(result)
            if result.error and "connection was lost" in result.error:
                # the lost message is tried again later; the ones behind it get a fresh connection now
                self._close(connection)
                connection = None
        if connection is not None:
            self._close(connection)
        return results

    @staticmethod
    def _close(connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()

    def _send_one(self, connection: smtplib.SMTP, message: OutboundMessage) -> SendResult:
        try:
            email = build_email(message, self.settings, self.checks)
        except (InvalidInput, ValueError) as error:
            return SendResult(message_id=message.id, ok=False, error=str(error), permanent=True)
        try:
            refused = connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            permanent = all(is_permanent(code) for code in codes)
            return SendResult(
                message_id=message.id, ok=False, error=f"recipients refused: {error.recipients}", permanent=permanent
            )
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode("utf-8", "replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            return SendResult(
                message_id=message.id,
                ok=False,
                error=f"SMTP {error.smtp_code} {text}",
                permanent=is_permanent(error.smtp_code),
            )
        except smtplib.SMTPNotSupportedError as error:
            return SendResult(
                message_id=message.id, ok=False, error=f"the SMTP server cannot take it: {error}", permanent=True
            )
        except smtplib.SMTPServerDisconnected as error:
            return SendResult(message_id=message.id, ok=False, error=f"the SMTP connection was lost: {error}")
        except smtplib.SMTPException as error:
            return SendResult(message_id=message.id, ok=False, error=f"SMTP error: {error}")
        except OSError as error:
            return SendResult(message_id=message.id, ok=False, error=f"the SMTP connection was lost: {error}")
        if refused:
            return SendResult(message_id=message.id, ok=True, error=f"some recipients refused: {refused}")
        return SendResult(message_id=message.id, ok=True)


@hookimpl
def closedloop_register_channels(registry: Registry, settings: Settings) -> None:
    if settings.smtp is not None:
        registry.add_channel(SmtpChannel(SmtpSettings.of(settings.smtp)))

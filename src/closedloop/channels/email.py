"""The email channel: replies and hand-offs sent over SMTP with the standard library.

One connection carries a whole batch. An address whose name part is beyond ASCII (``jö@exämple.com``) goes
out with SMTPUTF8 when the server offers it; the channel's ``limits`` say whether it can, so that a reply to
such an address is refused when it is written, not lost when it is sent. The email itself is made in
:mod:`closedloop.channels.email_message`, the settings checked in :mod:`closedloop.channels.smtp_settings`.
"""

from __future__ import annotations

import io
import smtplib
import ssl
import threading
import time
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.policy import SMTP

from closedloop.channels.email_message import Envelope, build_email, envelope
from closedloop.channels.smtp_settings import PORTS, Security, SmtpSettings
from closedloop.domain.errors import ChannelUnavailable, InvalidInput
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.domain.text import single_line
from closedloop.hookspecs import hookimpl
from closedloop.ports import SendResult
from closedloop.registry import Registry
from closedloop.settings import Settings

__all__ = ["PORTS", "Security", "SmtpChannel", "SmtpSettings", "build_email"]

#: How long asking the server what it offers may take, and how long an unanswered question is not asked again.
ASK_TIMEOUT = 5.0
ASK_AGAIN_AFTER = 60.0
NO_SMTPUTF8 = (
    "the SMTP server does not offer SMTPUTF8, which an address beyond ASCII before the @ needs; use a server "
    "that offers it, or write to this customer another way"
)


def is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpChannel:
    """Sends a batch over one SMTP connection; failures are reported per message, never raised."""

    name = "email"
    kinds = frozenset({MessageKind.CUSTOMER_REPLY, MessageKind.HANDOFF})

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtputf8: bool | None = settings.smtputf8
        self._asked_at = -ASK_AGAIN_AFTER
        self._lock = threading.Lock()

    @property
    def limits(self) -> ChannelLimits:
        """No limit on a body; addresses beyond ASCII before the @ only if the server takes them."""
        return ChannelLimits(unicode_addresses=self.offers_smtputf8() is not False)

    def offers_smtputf8(self) -> bool | None:
        """What the settings say, else what the server answered (asked once); None while nobody knows."""
        if self.settings.smtputf8 is not None:
            return self.settings.smtputf8
        with self._lock:
            if self._smtputf8 is None and time.monotonic() - self._asked_at >= ASK_AGAIN_AFTER:
                self._asked_at = time.monotonic()
                try:
                    connection = self.connect(timeout=min(ASK_TIMEOUT, self.settings.timeout))
                except (OSError, smtplib.SMTPException):
                    return None  # unknown: the reply is taken, and sending says what happens
                self._learn(connection)
                self._close(connection)
            return self._smtputf8

    def _learn(self, connection: smtplib.SMTP) -> None:
        if self.settings.smtputf8 is None:
            connection.ehlo_or_helo_if_needed()
            self._smtputf8 = connection.has_extn("smtputf8")

    def connect(self, timeout: float | None = None) -> smtplib.SMTP:
        settings = self.settings
        port = settings.port or PORTS[settings.security]
        wait = settings.timeout if timeout is None else timeout
        if settings.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, port, timeout=wait, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(settings.host, port, timeout=wait)
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
                    self._learn(connection)
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
            made = envelope(message, self.settings)
        except (InvalidInput, ValueError) as error:
            return SendResult(message_id=message.id, ok=False, error=str(error), permanent=True)
        try:
            connection.ehlo_or_helo_if_needed()
            if made.needs_smtputf8 and not connection.has_extn("smtputf8"):
                return SendResult(message_id=message.id, ok=False, error=NO_SMTPUTF8, permanent=True)
            refused = self._transmit(connection, made)
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

    @staticmethod
    def _transmit(connection: smtplib.SMTP, made: Envelope) -> dict[str, tuple[int, bytes]]:
        """Send the email with the envelope we made; with SMTPUTF8 when an address needs it, and then the
        headers are written as UTF-8."""
        policy = SMTP.clone(utf8=made.needs_smtputf8)
        with io.BytesIO() as buffer:
            BytesGenerator(buffer, policy=policy).flatten(made.email, linesep="\r\n")
            raw = buffer.getvalue()
        options = ["SMTPUTF8", "BODY=8BITMIME"] if made.needs_smtputf8 else []
        return connection.sendmail(made.sender, list(made.recipients), raw, mail_options=options)


@hookimpl
def closedloop_register_channels(registry: Registry, settings: Settings) -> None:
    if settings.smtp is not None:
        # the business name becomes the From name of every reply: refused here if it could break a header
        single_line(settings.business_name, "business_name")
        registry.add_channel(SmtpChannel(SmtpSettings.of(settings.smtp)))

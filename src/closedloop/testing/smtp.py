"""A real SMTP server on loopback for email tests: aiosmtpd with a handler that keeps, refuses or drops.

``SmtpServer`` wraps an ``aiosmtpd.controller.Controller`` on 127.0.0.1 and a free port. Its handler keeps
every accepted message (envelope and parsed content) in ``received``, and logs in ``events`` every attempt,
accepted or not, so a test can tell "never tried" from "tried and refused". ``header_names`` lists the header
lines as they came over the wire and ``decoded(name)`` shows a header as a standard reader would, so a test
checks what a recipient sees rather than what one parser makes of it. Tests break it with
``answer_rcpt`` / ``answer_data`` (e.g. ``"451 4.3.0 try later"``), ``drop_data`` (close the connection inside
DATA, before answering) or ``stop()``, and mend it again; the port stays the same across restarts.

It lives in the library, not in closedloop's own tests, so that plugin packages test their email against the
same server. aiosmtpd comes with the ``test`` extra: import this module only from tests (the ``smtp_server``
fixture does so when a test asks for it).
"""

from __future__ import annotations

import email
import email.header
import email.policy
import socket
import ssl
import threading
from collections import Counter
from email.message import EmailMessage
from typing import Any

import attrs
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on now, so that parallel runs do not collide."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@attrs.frozen
class Received:
    """One message the server accepted: its envelope, the connection it came on, and its parsed content."""

    connection: int
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    tls: bool
    mail_options: tuple[str, ...] = ()

    @property
    def header_names(self) -> list[str]:
        """The name of every header line on the wire, in order: what a reader sees, whatever the values."""
        head = self.raw.split(b"\r\n\r\n", 1)[0]
        return [
            line.split(b":", 1)[0].decode("ascii", "replace") for line in head.split(b"\r\n") if line[:1] not in b" \t"
        ]

    def decoded(self, name: str) -> str:
        """A header as a reader that follows RFC 2047 shows it (the email package's parser, by contrast, shows
        a space between two encoded words of a display name)."""
        raw = email.message_from_bytes(self.raw, policy=email.policy.compat32)[name]
        return str(email.header.make_header(email.header.decode_header(raw)))

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text/plain part"
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "the message has no text/html part"
        return str(part.get_content())


def parse(raw: bytes, smtputf8: bool) -> EmailMessage:
    """The message as a reader sees it. With SMTPUTF8 the headers are UTF-8 text (RFC 6532), which the bytes
    parser shows as replacement characters: they are read again from the decoded text."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    if smtputf8:
        head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape") + "\r\n\r\n"
        headers = email.message_from_string(head, policy=email.policy.default)
        for name in dict.fromkeys(headers.keys()):
            del parsed[name]
            for value in headers.get_all(name, []):
                parsed[name] = value
    return parsed


class Handler:
    """The aiosmtpd handler; its settings can be changed between sends from the test's thread."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.events: list[tuple[str, str]] = []
        self.answer_rcpt: str | None = None
        self.answer_data: str | None = None
        self.drop_data = 0
        self.sessions: list[object] = []
        self.lock = threading.Lock()

    def _connection(self, session: object) -> int:
        """A number per SMTP connection (aiosmtpd makes one session object per connection)."""
        with self.lock:
            for number, known in enumerate(self.sessions):
                if known is session:
                    return number
            self.sessions.append(session)
            return len(self.sessions) - 1

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.answer_rcpt is not None:
            self.events.append(("rcpt-refused", address))
            return self.answer_rcpt
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        parsed = parse(raw, smtputf8="SMTPUTF8" in envelope.mail_options)
        message_id = str(parsed["Message-ID"])
        if self.drop_data:
            self.drop_data -= 1
            self.events.append(("dropped", message_id))
            server.transport.close()
            return "421 4.4.2 closing"  # never reaches the client: the connection is already closed
        if self.answer_data is not None:
            self.events.append(("data-refused", message_id))
            return self.answer_data
        self.received.append(
            Received(
                connection=self._connection(session),
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
                tls=session.ssl is not None,
                mail_options=tuple(envelope.mail_options),
            )
        )
        self.events.append(("accepted", message_id))
        return "250 2.0.0 OK"


class SmtpServer:
    """An aiosmtpd server on loopback that a test can stop, break, mend and start again on the same port."""

    def __init__(self, tls_context: ssl.SSLContext | None = None, smtputf8: bool = True) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.tls_context = tls_context
        self.smtputf8 = smtputf8
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        if self.controller is None:
            options: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
            if self.tls_context is not None:
                options.update(tls_context=self.tls_context, require_starttls=True)
            self.controller = Controller(self.handler, hostname=HOST, port=self.port, ready_timeout=10, **options)
            self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            controller, self.controller = self.controller, None
            controller.stop()
            controller.loop.close()

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    @property
    def events(self) -> list[tuple[str, str]]:
        return list(self.handler.events)

    def answer_rcpt(self, answer: str | None) -> None:
        self.handler.answer_rcpt = answer

    def answer_data(self, answer: str | None) -> None:
        self.handler.answer_data = answer

    def drop_next_data(self, times: int = 1) -> None:
        self.handler.drop_data = times

    def mend(self) -> None:
        """Answer every command normally again (and start, if stopped)."""
        self.handler.answer_rcpt = None
        self.handler.answer_data = None
        self.handler.drop_data = 0
        self.start()

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(received.message_id for received in self.handler.received)

    def settings(self, *, sender: str, **overrides: Any) -> dict[str, Any]:
        """The ``smtp={...}`` of ``Desk.open`` for this server (plain SMTP: the loopback server has no TLS).

        The sender is the caller's: the server takes mail from anyone, and a test checks the address it chose.
        """
        return {"host": HOST, "port": self.port, "security": "none", "sender": sender, "timeout": 10.0, **overrides}

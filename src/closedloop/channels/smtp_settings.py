"""Where and how a desk sends email: the ``smtp={...}`` of ``Desk.open``, checked when the desk opens.

A setting that cannot work is refused here, with what to write instead, rather than at the first send: a
sender or reply-to that is not an address, a host with spaces in it, a sender name that is not one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
import email_validator

from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import checked_text, shown, single_line

#: How long one SMTP exchange may take before it counts as failed; a day is already far past any server's.
LONGEST_TIMEOUT_SECONDS = 86_400

__all__ = ["PORTS", "Security", "SmtpSettings"]

Security = Literal["starttls", "ssl", "none"]
PORTS: Mapping[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


def _address(value: object, what: str) -> str:
    text = checked_text(value, f"smtp {what}")
    try:
        return str(email_validator.validate_email(text, check_deliverability=False).normalized)
    except email_validator.EmailNotValidError as error:
        raise InvalidInput(f"smtp {what} {text!r} is not a valid email address: {error}") from None


def _optional_bool(value: object, what: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(f"smtp {what} must be True, False or None; got {shown(value)}")


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how a desk sends email: ``Desk.open(smtp={"host": ..., "sender": ...})``.

    ``smtputf8`` says whether the server takes addresses whose name part is beyond ASCII (``jö@...``):
    ``None`` (the default) asks the server, ``True`` trusts that it does, ``False`` never writes to them, so
    a reply to such an address is refused when it is written rather than failing when it is sent.
    """

    host: str
    sender: str
    port: int | None = None
    security: Security = "starttls"
    username: str = ""
    password: str = attrs.field(default="", repr=False)
    sender_name: str = ""
    reply_to: str = ""
    timeout: float = 30.0
    smtputf8: bool | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.security, str) or self.security not in PORTS:
            raise InvalidInput(f"smtp security must be one of {', '.join(PORTS)}; got {shown(self.security)}")
        host = checked_text(self.host, "smtp host")
        if not host or any(character.isspace() or character == "\x00" for character in host):
            raise InvalidInput(f"smtp host {host!r} is not a host name")
        if self.port is not None and not (
            isinstance(self.port, int) and not isinstance(self.port, bool) and 0 < self.port < 65536
        ):
            raise InvalidInput(
                f"smtp port must be a number from 1 to 65535, or None for the usual one; got {shown(self.port)}"
            )
        if (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, int | float)
            or not 0 < self.timeout <= LONGEST_TIMEOUT_SECONDS
        ):
            raise InvalidInput(
                f"smtp timeout must be a positive number of seconds, at most a day; got {shown(self.timeout)}"
            )
        checked_text(self.username, "smtp username")
        checked_text(self.password, "smtp password")
        single_line(self.sender_name, "smtp sender_name")
        _optional_bool(self.smtputf8, "smtputf8")
        object.__setattr__(self, "sender", _address(self.sender, "sender"))
        if checked_text(self.reply_to, "smtp reply_to"):
            object.__setattr__(self, "reply_to", _address(self.reply_to, "reply_to"))

    @classmethod
    def of(cls, value: object) -> SmtpSettings:
        if isinstance(value, SmtpSettings):
            return value
        if not isinstance(value, Mapping):
            raise InvalidInput(f"smtp must be a dict of settings or an SmtpSettings; got {type(value).__name__}")
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(str(name) for name in set(value) - known)
        if unknown:
            raise InvalidInput(f"unknown smtp setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        missing = sorted({"host", "sender"} - set(value))
        if missing:
            raise InvalidInput(f"smtp needs {' and '.join(missing)}, e.g. {{'host': ..., 'sender': ...}}")
        fields: dict[str, Any] = dict(value)
        return cls(**fields)

    @property
    def domain(self) -> str:
        return self.sender.rsplit("@", 1)[1]

    @property
    def message_id_domain(self) -> str:
        """The sender's domain as ASCII (IDNA), for the right side of a Message-ID."""
        try:
            return str(email_validator.validate_email(self.sender, check_deliverability=False).ascii_domain)
        except email_validator.EmailNotValidError:  # checked when the settings were made
            return "localhost"

"""What a fake platform saw and what a route may answer: the request record and the refusal a handler raises.

A connector's test asserts on what went over the wire, so the record keeps the request as sent (the raw path,
every query value, the body's bytes) and offers the decoded views a test wants (``json``, ``form``, the path's
parameters, the bearer or basic credentials). It also keeps the answer the platform gave, so a test can check
that the connector sent back the page token it was handed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

FORM = "application/x-www-form-urlencoded"


class Refused(Exception):
    """Raised by a route to answer with an error in the platform's error shape, from however deep it is.

    ``Refused(404, "The review was not found.")`` reaches the connector as the platform writes its errors
    (the ``error_shape`` the :class:`~closedloop.testing.platform.FakePlatform` was given), so a handler needs
    no reference to the platform to refuse. ``headers`` go out with it (``{"Retry-After": "30"}``).
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@attrs.define
class Request:
    """One request as it reached the fake platform, with the answer it got once it was answered.

    ``path`` is as sent (still percent-encoded: ``gp%3Aabc``), ``params`` the route's path parameters decoded
    (``{"review": "gp:abc"}``). ``query`` holds the last value of each query parameter, ``query_lists`` all of
    them; header names are lower-case. ``status`` and ``answer`` (the JSON or bytes sent back, ``None`` for a dropped
    connection) are filled in when the platform answers.
    """

    method: str
    path: str
    query_lists: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = attrs.field(factory=dict)
    status: int | None = None
    answer: Any = None

    @property
    def query(self) -> dict[str, str]:
        """Each query parameter's last value: what a platform reads when the parameter is not repeated."""
        return {name: values[-1] for name, values in self.query_lists.items() if values}

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced), for messages and loose assertions."""
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON; ``None`` when it is empty or not JSON, so an assertion on it simply fails."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str]:
        """A form-encoded body (what OAuth token endpoints take) as a dict; empty for any other body."""
        if not self.headers.get("content-type", "").startswith(FORM):
            return {}
        return {name: values[-1] for name, values in parse_qs(self.text, keep_blank_values=True).items()}

    @property
    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header, or ``None``."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """The (user, password) of an ``Authorization: Basic`` header, as OAuth clients send their key and secret."""
        scheme, _, encoded = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if colon else None

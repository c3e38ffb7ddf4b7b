"""Fixtures of the integration suites: a real SMTP server on loopback (see smtp_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from smtp_server import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 and a free port, started; stopped at the end of the test."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()

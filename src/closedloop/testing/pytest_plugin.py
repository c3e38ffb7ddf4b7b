"""Pytest fixtures for applications that embed closedloop, published through the ``pytest11`` entry point.

``clock`` is a :class:`FakeClock`, ``email_channel`` a :class:`RecordingChannel` named ``email``,
``desk`` an in-memory desk wired to both, and ``outbox`` that desk's :class:`Outbox`. ``smtp_server`` is a
real SMTP server on loopback (:class:`~closedloop.testing.smtp.SmtpServer`); it needs the ``test`` extra, so it
is imported only when a test asks for it. ``fake_platform`` is a started
:class:`~closedloop.testing.platform.FakePlatform` with no routes, stopped after the test. Define a fixture of
the same name in your own ``conftest.py`` to replace any of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from closedloop.desk import Desk
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock
from closedloop.testing.outbox import Outbox
from closedloop.testing.platform import FakePlatform

if TYPE_CHECKING:
    from closedloop.testing.smtp import SmtpServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def email_channel() -> RecordingChannel:
    return RecordingChannel("email")


@pytest.fixture
def desk(clock: FakeClock, email_channel: RecordingChannel) -> Iterator[Desk]:
    with Desk.open(clock=clock, plugins=[email_channel], business_name="Test Business") as opened:
        yield opened


@pytest.fixture
def outbox(desk: Desk) -> Outbox:
    return Outbox(desk)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 and a free port, started; stopped at the end of the test."""
    from closedloop.testing.smtp import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_platform() -> Iterator[FakePlatform]:
    """A fake review platform on loopback with no routes and no bearer check yet: the test describes it."""
    with FakePlatform() as platform:
        yield platform

"""Pytest fixtures for applications that embed closedloop, published through the ``pytest11`` entry point.

``clock`` is a :class:`FakeClock`, ``email_channel`` a :class:`RecordingChannel` named ``email``,
``desk`` an in-memory desk wired to both, and ``outbox`` that desk's :class:`Outbox`. Define a fixture of
the same name in your own ``conftest.py`` to replace any of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from closedloop.desk import Desk
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock
from closedloop.testing.outbox import Outbox


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

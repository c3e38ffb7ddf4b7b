"""Fixtures: Trustpilot described on the fake-platform kit, a fake clock, and a SQLite desk that loads the
plugin module as its entry point would, configured through ``extra["trustpilot"]``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from trustpilot_api import TrustpilotApi, settings

import closedloop_trustpilot
from closedloop import Desk, Place, Role, User
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def trustpilot(fake_platform: FakePlatform, clock: FakeClock) -> TrustpilotApi:
    return TrustpilotApi(fake_platform, now=clock.now)


@pytest.fixture
def desk(tmp_path: Path, fake_platform: FakePlatform, trustpilot: TrustpilotApi, clock: FakeClock) -> Iterator[Desk]:
    with Desk.open(
        f"sqlite:///{tmp_path}/d.db",
        plugins=[closedloop_trustpilot],
        extra={"trustpilot": settings(fake_platform, page_size=20)},
        load_entry_points=False,
        clock=clock,
    ) as opened:
        opened.add_place(Place(id="paris", name="Chez Nous Paris"))
        opened.add_place(Place(id="lyon", name="Chez Nous Lyon"))
        opened.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"paris", "lyon"}))
        yield opened

"""Fixtures: a fake Business Profile API per test, a fake clock, and a SQLite desk wired to the connector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_google import LOCATION, OTHER_LOCATION, FakeGoogle

from closedloop import Desk, Place, Role, User
from closedloop.testing.clock import FakeClock
from closedloop_google_business import GoogleBusinessPlugin, GoogleBusinessProfile


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeGoogle]:
    server = FakeGoogle(now=clock.now).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def connector(fake: FakeGoogle) -> Iterator[GoogleBusinessProfile]:
    built = GoogleBusinessProfile(
        token=lambda: fake.token, locations={LOCATION: "paris", OTHER_LOCATION: "lyon"}, base_url=fake.url
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def desk(tmp_path: Path, connector: GoogleBusinessProfile, clock: FakeClock) -> Iterator[Desk]:
    opened = Desk.open(
        f"sqlite:///{tmp_path}/d.db", plugins=[GoogleBusinessPlugin(connector)], load_entry_points=False, clock=clock
    )
    opened.add_place(Place(id="paris", name="Chez Nous Paris"))
    opened.add_place(Place(id="lyon", name="Chez Nous Lyon"))
    opened.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"paris", "lyon"}))
    try:
        yield opened
    finally:
        opened.close()

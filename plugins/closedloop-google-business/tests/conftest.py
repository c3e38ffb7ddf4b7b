"""Fixtures: the Business Profile API described on the fake-platform kit, a fake clock, and a SQLite desk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from business_api import LOCATION, OTHER_LOCATION, TOKEN, BusinessProfile, google_platform

from closedloop import Desk, Place, Role, User
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_google_business import GoogleBusinessPlugin, GoogleBusinessProfile


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform() -> Iterator[FakePlatform]:
    with google_platform() as started:
        yield started


@pytest.fixture(autouse=True)
def google(platform: FakePlatform, clock: FakeClock) -> BusinessProfile:
    """The API's routes on the platform, for every test: a test that only reads the record still needs them."""
    return BusinessProfile(platform, now=clock.now)


@pytest.fixture
def connector(platform: FakePlatform) -> Iterator[GoogleBusinessProfile]:
    built = GoogleBusinessProfile(
        token=lambda: TOKEN, locations={LOCATION: "paris", OTHER_LOCATION: "lyon"}, base_url=platform.url
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

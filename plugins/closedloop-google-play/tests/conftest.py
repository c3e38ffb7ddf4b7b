"""Fixtures of the closedloop-google-play suite: the Play API on the fake-platform kit, the connector, a desk.

Every request the connector made in a test is checked against the androidpublisher v3 discovery document when
the fake server stops, so no test passes on a request the real API would not understand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from play_api import APP, OTHER_APP, TOKEN, PlayReviews, play_platform
from play_discovery import DiscoveryChecker, load_document

import closedloop_google_play.plugin
from closedloop import Desk, Place, Role, User
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_google_play import GooglePlay


@pytest.fixture(scope="session")
def checker() -> DiscoveryChecker:
    return DiscoveryChecker(load_document(), "reviews")


@pytest.fixture
def platform(checker: DiscoveryChecker) -> Iterator[FakePlatform]:
    with play_platform() as started:
        yield started
    assert checker.all_problems(started.requests) == []


@pytest.fixture(autouse=True)
def play(platform: FakePlatform, clock: FakeClock) -> PlayReviews:
    """The API's routes on the platform, for every test: a test that only reads the record still needs them."""
    reviews = PlayReviews(platform, now=clock.now)
    reviews.known = {APP, OTHER_APP}
    return reviews


@pytest.fixture
def connector(platform: FakePlatform, clock: FakeClock) -> Iterator[GooglePlay]:
    google_play = GooglePlay(
        token=lambda: TOKEN,
        apps={APP: "paris", OTHER_APP: "lyon"},
        base_url=platform.url,
        page_size=2,
        clock=clock.now,
    )
    yield google_play
    google_play.close()


@pytest.fixture
def desk(tmp_path: Path, connector: GooglePlay, clock: FakeClock) -> Iterator[Desk]:
    with Desk.open(
        f"sqlite:///{tmp_path}/d.db",
        plugins=[closedloop_google_play.plugin],
        extra={"google_play": {"connector": connector}},
        clock=clock,
        load_entry_points=False,
    ) as opened:
        opened.add_place(Place(id="paris", name="Chez Nous Paris"))
        opened.add_place(Place(id="lyon", name="Chez Nous Lyon"))
        opened.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN))
        yield opened

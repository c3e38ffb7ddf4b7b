"""The installed package: found through its entry point, configured from settings or the environment."""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from business_api import LOCATION, TOKEN, BusinessProfile

from closedloop import Desk, InvalidInput, NotConfigured, Place
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_google_business import GoogleBusinessProfile
from closedloop_google_business.plugin import (
    LOCATIONS_VARIABLE,
    TOKEN_VARIABLE,
    URL_VARIABLE,
    parse_locations,
)

PLATFORM = "google_business"


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (TOKEN_VARIABLE, LOCATIONS_VARIABLE, URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)


def test_the_entry_point_is_installed() -> None:
    found = {entry.name: entry.value for entry in entry_points(group="closedloop")}
    assert found.get("google_business") == "closedloop_google_business.plugin"


def test_a_desk_finds_source_and_channel_through_the_entry_point(
    tmp_path: Path, platform: FakePlatform, google: BusinessProfile, clock: FakeClock
) -> None:
    google.add_review(LOCATION, "r1", comment="Great", at=clock.now() - timedelta(hours=1))
    config = {"token": lambda: TOKEN, "locations": {LOCATION: "paris"}, "base_url": platform.url}
    with Desk.open(f"sqlite:///{tmp_path}/d.db", extra={"google_business": config}, clock=clock) as desk:
        assert "google_business" in desk.plugin_names
        source = desk.registry.source(PLATFORM)
        assert isinstance(source, GoogleBusinessProfile)
        assert desk.channel(PLATFORM) is source  # one connector: one token, one HTTP client
        assert source.now() == clock.now(), "a Retry-After date is read on the desk's clock"
        desk.add_place(Place(id="paris", name="Chez Nous Paris"))
        assert desk.sync(PLATFORM).added == 1


def test_a_built_connector_can_be_given(tmp_path: Path, connector: GoogleBusinessProfile) -> None:
    with Desk.open(extra={"google_business": {"connector": connector}}) as desk:
        assert desk.registry.source(PLATFORM) is connector and desk.channel(PLATFORM) is connector


def test_the_environment_configures_it(monkeypatch: pytest.MonkeyPatch, platform: FakePlatform) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    monkeypatch.setenv(LOCATIONS_VARIABLE, f"{LOCATION}=paris, accounts/1/locations/3=lyon")
    monkeypatch.setenv(URL_VARIABLE, platform.url)
    with Desk.open() as desk:
        source = desk.registry.source(PLATFORM)
        assert isinstance(source, GoogleBusinessProfile)
        assert source.locations == {LOCATION: "paris", "accounts/1/locations/3": "lyon"}
        assert source.base_url == platform.url and source.token() == TOKEN


def test_unconfigured_it_registers_nothing_and_closedloop_still_works() -> None:
    with Desk.open() as desk:
        assert PLATFORM not in desk.registry.sources and PLATFORM not in desk.registry.channels
        with pytest.raises(NotConfigured, match="no review source for platform 'google_business'"):
            desk.sync(PLATFORM)


def test_mistakes_in_the_configuration_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="unknown google_business setting"):
        Desk.open(extra={"google_business": {"token": "t", "locations": {}, "tokken": 1}})
    with pytest.raises(InvalidInput, match="page_size must lie between 1 and 50"):
        Desk.open(extra={"google_business": {"token": "t", "locations": {}, "page_size": 100}})
    with pytest.raises(InvalidInput, match="accounts/<id>/locations/<id>"):
        Desk.open(extra={"google_business": {"token": "t", "locations": {"locations/2": "paris"}}})
    with pytest.raises(InvalidInput, match="pairs separated by commas"):
        parse_locations("accounts/1/locations/2")
    monkeypatch.setenv(LOCATIONS_VARIABLE, f"{LOCATION}=paris")
    with pytest.raises(NotConfigured, match=TOKEN_VARIABLE):
        Desk.open()

"""How a desk finds the connector: the installed entry point, settings.extra, or the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from play_api import APP, TOKEN, PlayReviews

import closedloop_google_play.plugin
from closedloop import Desk, InvalidInput, NotConfigured, Place
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_google_play import GooglePlay
from closedloop_google_play.plugin import parse_apps

VARIABLES = ("CLOSEDLOOP_GOOGLE_PLAY_TOKEN", "CLOSEDLOOP_GOOGLE_PLAY_APPS", "CLOSEDLOOP_GOOGLE_PLAY_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_installed_package_is_an_entry_point_plugin() -> None:
    [found] = [point for point in entry_points(group="closedloop") if point.name == "google_play"]
    assert found.load() is closedloop_google_play.plugin


def test_installed_and_configured_through_the_environment_it_syncs(
    monkeypatch: pytest.MonkeyPatch, platform: FakePlatform, play: PlayReviews, clock: FakeClock
) -> None:
    play.add_review(APP, "gp:1", text="Great app", stars=5, modified=clock.now() - timedelta(hours=1))
    monkeypatch.setenv("CLOSEDLOOP_GOOGLE_PLAY_TOKEN", TOKEN)
    monkeypatch.setenv("CLOSEDLOOP_GOOGLE_PLAY_APPS", f"{APP}=paris, com.example.other=lyon")
    monkeypatch.setenv("CLOSEDLOOP_GOOGLE_PLAY_URL", platform.url)

    with Desk.open(clock=clock) as desk:
        assert "google_play" in desk.plugin_names
        assert desk.channel("google_play").limits.max_chars == 350
        desk.add_place(Place(id="paris", name="Paris"))
        desk.add_place(Place(id="lyon", name="Lyon"))
        assert desk.sync("google_play").added == 1
        for connector in {
            id(c): c for c in (desk.registry.sources["google_play"], desk.channel("google_play"))
        }.values():
            assert isinstance(connector, GooglePlay)
            assert connector.now() == clock.now(), "a Retry-After date is read on the desk's clock"
            connector.close()


def test_nothing_configured_registers_nothing(clock: FakeClock) -> None:
    with Desk.open(clock=clock) as desk:
        assert "google_play" not in desk.registry.sources
        assert "google_play" not in desk.registry.channels


def test_half_configured_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSEDLOOP_GOOGLE_PLAY_TOKEN", TOKEN)
    with pytest.raises(NotConfigured, match="set CLOSEDLOOP_GOOGLE_PLAY_APPS too"):
        Desk.open()


def test_settings_in_extra_build_the_connector(platform: FakePlatform) -> None:
    given = {"token": TOKEN, "apps": {APP: "paris"}, "base_url": platform.url, "platform": "play_store"}
    with Desk.open(
        plugins=[closedloop_google_play.plugin], extra={"google_play": given}, load_entry_points=False
    ) as desk:
        source = desk.registry.sources["play_store"]
        assert isinstance(source, GooglePlay)
        assert (source.token(), source.apps, source.base_url) == (TOKEN, {APP: "paris"}, platform.url)
        assert desk.channel("play_store") is source  # one client and token for sync and replies


def test_a_built_connector_is_both_source_and_channel(connector: GooglePlay) -> None:
    with Desk.open(
        plugins=[closedloop_google_play.plugin],
        extra={"google_play": {"connector": connector}},
        load_entry_points=False,
    ) as desk:
        assert desk.registry.sources["google_play"] is connector
        assert desk.channel("google_play") is connector


def test_apps_are_read_as_package_place_pairs() -> None:
    assert parse_apps("com.a=paris, com.b = lyon,") == {"com.a": "paris", "com.b": "lyon"}
    with pytest.raises(InvalidInput, match=r"'com\.example\.app=place-id' pairs"):
        parse_apps("com.a")


def test_the_command_line_syncs_with_progress_and_a_report(
    tmp_path: Path, platform: FakePlatform, play: PlayReviews, clock: FakeClock
) -> None:
    """``closedloop sync google_play`` in its own process, configured by the environment alone."""
    for number in range(5):
        play.add_review(APP, f"gp:{number}", text=f"Review {number}", stars=4, modified=clock.now())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Desk.open(url, load_entry_points=False) as desk:
        desk.add_place(Place(id="paris", name="Paris"))
    environment = {
        **os.environ,
        "CLOSEDLOOP_GOOGLE_PLAY_TOKEN": TOKEN,
        "CLOSEDLOOP_GOOGLE_PLAY_APPS": f"{APP}=paris",
        "CLOSEDLOOP_GOOGLE_PLAY_URL": platform.url,
    }

    def sync() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "closedloop", "sync", "google_play", "--url", url]
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)

    first, second = sync(), sync()

    assert first.returncode == 0, first.stderr
    assert first.stdout.count("  ... ") >= 1, "progress is shown as pages arrive"
    assert first.stdout.splitlines()[-1].startswith("google_play: 5 added, 0 updated")
    assert second.returncode == 0 and "0 added" in second.stdout.splitlines()[-1]

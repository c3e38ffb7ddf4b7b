"""The entry point of closedloop-google-play: registers the connector, review source and reply channel in one.

Settings come from ``Desk.open(extra={"google_play": {...}})`` (the keyword arguments of ``GooglePlay``, or
a ready one under ``"connector"``), else from the ``CLOSEDLOOP_GOOGLE_PLAY_TOKEN``, ``_APPS`` and ``_URL``
variables. With neither, nothing is registered, so an installed but unused connector costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import attrs
import httpx

import closedloop
from closedloop import InvalidInput, Registry, Settings
from closedloop.connectors import pairs, settings_for, variable
from closedloop_google_play.connector import DEFAULT_BASE_URL, GooglePlay

SETTINGS_KEY = "google_play"


@attrs.frozen
class GooglePlaySettings:
    """The connector's settings: a token (or a function giving fresh ones) and each app's place."""

    token: Callable[[], str] | str
    apps: Mapping[str, str]
    base_url: str = attrs.field(default=DEFAULT_BASE_URL, metadata={"variable": "url"})
    platform: str = SETTINGS_KEY
    http: httpx.Client | None = None
    page_size: int | None = None
    clock: Callable[[], datetime] | None = None


def parse_apps(text: str) -> dict[str, str]:
    """``"com.example.app=place-id,com.example.other=other-place"`` as a mapping of package to place."""
    return pairs(text, variable(SETTINGS_KEY, "apps"), example="com.example.app=place-id")


def connector_for(settings: Settings) -> GooglePlay | None:
    """The connector the desk's settings (or else the environment) describe; None when neither does."""
    given = settings.extra.get(SETTINGS_KEY)
    if isinstance(given, GooglePlay):
        return given
    if isinstance(given, Mapping) and "connector" in given:
        if not isinstance(given["connector"], GooglePlay):
            raise InvalidInput(f"extra['google_play']['connector'] must be a GooglePlay; got {given['connector']!r}")
        return given["connector"]
    found = settings_for(GooglePlaySettings, settings, SETTINGS_KEY)
    if found is None:
        return None
    token = found.token
    return GooglePlay(**attrs.asdict(found, recurse=False) | {"token": token if callable(token) else lambda: token})


@closedloop.hookimpl
def closedloop_register_connectors(registry: Registry, settings: Settings) -> None:
    connector = connector_for(settings)
    if connector is not None:
        registry.add_connector(connector)

"""The entry point of closedloop-google-play: registers the connector, review source and reply channel in one.

Settings come from ``Desk.open(extra={"google_play": {...}})`` (the keyword arguments of ``GooglePlay``, or
a ready one under ``"connector"``), else from the environment. With neither, nothing is registered, so an
installed but unused connector costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import closedloop
from closedloop import InvalidInput, NotConfigured, Registry, Settings
from closedloop_google_play.connector import DEFAULT_BASE_URL, GooglePlay

TOKEN_VARIABLE = "CLOSEDLOOP_GOOGLE_PLAY_TOKEN"
APPS_VARIABLE = "CLOSEDLOOP_GOOGLE_PLAY_APPS"
URL_VARIABLE = "CLOSEDLOOP_GOOGLE_PLAY_URL"


def parse_apps(text: str) -> dict[str, str]:
    """``"com.example.app=place-id,com.example.other=other-place"`` as a mapping of package to place."""
    apps: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        package, equals, place = item.partition("=")
        if not equals or not package.strip() or not place.strip():
            raise InvalidInput(f"{APPS_VARIABLE} lists 'com.example.app=place-id' pairs, comma-separated; got {item!r}")
        apps[package.strip()] = place.strip()
    return apps


def _from_mapping(given: Mapping[str, Any]) -> GooglePlay:
    if "connector" in given:
        connector = given["connector"]
        if not isinstance(connector, GooglePlay):
            raise InvalidInput(f"extra['google_play']['connector'] must be a GooglePlay; got {connector!r}")
        return connector
    options = dict(given)
    token = options.get("token")
    if isinstance(token, str):
        options["token"] = lambda: token
    return GooglePlay(**options)


def _from_environment() -> GooglePlay | None:
    token = os.environ.get(TOKEN_VARIABLE, "")
    apps = os.environ.get(APPS_VARIABLE, "")
    if not token and not apps:
        return None
    if not token or not apps:
        missing = TOKEN_VARIABLE if not token else APPS_VARIABLE
        raise NotConfigured(f"the Google Play connector is half configured: set {missing} too, or neither")
    return GooglePlay(
        token=lambda: token, apps=parse_apps(apps), base_url=os.environ.get(URL_VARIABLE) or DEFAULT_BASE_URL
    )


def connector_for(settings: Settings) -> GooglePlay | None:
    """The connector the desk's settings (or else the environment) describe; None when neither does."""
    given = settings.extra.get("google_play")
    if given is not None:
        if isinstance(given, GooglePlay):
            return given
        if not isinstance(given, Mapping):
            raise InvalidInput(f"extra['google_play'] must be a dict of GooglePlay settings; got {given!r}")
        return _from_mapping(given)
    return _from_environment()


@closedloop.hookimpl
def closedloop_register_connectors(registry: Registry, settings: Settings) -> None:
    connector = connector_for(settings)
    if connector is not None:
        registry.add_connector(connector)

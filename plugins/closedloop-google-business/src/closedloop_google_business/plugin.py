"""The entry point: registers the connector, the review source and reply channel in one, when it is configured.

Configuration comes from ``Desk.open(extra={"google_business": {...}})`` (the keyword arguments of
:class:`GoogleBusinessProfile`, or a built one under ``"connector"``), else from the environment. Without
either, nothing is registered, so a desk opens as if the package were not installed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import closedloop
from closedloop import InvalidInput, NotConfigured, Registry, Settings
from closedloop_google_business.connector import GoogleBusinessProfile

SETTINGS_KEY = "google_business"
TOKEN_VARIABLE = "CLOSEDLOOP_GOOGLE_BUSINESS_TOKEN"
LOCATIONS_VARIABLE = "CLOSEDLOOP_GOOGLE_BUSINESS_LOCATIONS"
URL_VARIABLE = "CLOSEDLOOP_GOOGLE_BUSINESS_URL"
KEYS = frozenset({"connector", "token", "locations", "base_url", "platform", "page_size", "http"})


def parse_locations(text: str) -> dict[str, str]:
    """ "accounts/1/locations/2=place-id,accounts/1/locations/3=other" as a mapping."""
    locations: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        location, equals, place_id = item.partition("=")
        if not equals or not location.strip() or not place_id.strip():
            raise InvalidInput(
                f"{LOCATIONS_VARIABLE} takes 'accounts/1/locations/2=place-id' pairs separated by commas; got {item!r}"
            )
        locations[location.strip()] = place_id.strip()
    return locations


def from_config(config: Mapping[str, Any]) -> GoogleBusinessProfile:
    unknown = sorted(set(config) - KEYS)
    if unknown:
        raise InvalidInput(f"unknown {SETTINGS_KEY} setting(s): {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    if "connector" in config:
        if not isinstance(config["connector"], GoogleBusinessProfile):
            raise InvalidInput(f"{SETTINGS_KEY}['connector'] must be a GoogleBusinessProfile")
        return config["connector"]
    if "token" not in config:
        raise NotConfigured(f"{SETTINGS_KEY} needs token= (a callable returning an OAuth access token)")
    return GoogleBusinessProfile(**{key: value for key, value in config.items() if key != "connector"})


def from_environment(environ: Mapping[str, str]) -> GoogleBusinessProfile | None:
    token = environ.get(TOKEN_VARIABLE, "")
    locations = environ.get(LOCATIONS_VARIABLE, "")
    if not token:
        if locations:
            raise NotConfigured(f"{LOCATIONS_VARIABLE} is set but {TOKEN_VARIABLE} is not; set both")
        return None
    return GoogleBusinessProfile(
        token=token,
        locations=parse_locations(locations),
        base_url=environ.get(URL_VARIABLE) or "https://mybusiness.googleapis.com",
    )


def connector_for(settings: Settings) -> GoogleBusinessProfile | None:
    """The connector the desk's settings (or else the environment) describe; None when neither does."""
    config = settings.extra.get(SETTINGS_KEY)
    if config is not None and not isinstance(config, Mapping):
        raise InvalidInput(f"extra[{SETTINGS_KEY!r}] must be a dict; got {config!r}")
    return from_config(config) if config is not None else from_environment(os.environ)


@closedloop.hookimpl
def closedloop_register_connectors(registry: Registry, settings: Settings) -> None:
    connector = connector_for(settings)
    if connector is not None:
        registry.add_connector(connector)


class GoogleBusinessPlugin:
    """The connector as a plugin object, for ``Desk.open(plugins=[GoogleBusinessPlugin(connector)])``."""

    def __init__(self, connector: GoogleBusinessProfile) -> None:
        self.connector = connector

    @closedloop.hookimpl
    def closedloop_register_connectors(self, registry: Registry) -> None:
        registry.add_connector(self.connector)

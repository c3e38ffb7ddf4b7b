"""The entry point: registers the connector, the review source and reply channel in one, when it is configured.

Configuration comes from ``Desk.open(extra={"google_business": {...}})`` (the keyword arguments of
:class:`GoogleBusinessProfile`, or a built one under ``"connector"``), else from the environment. Without
either, nothing is registered, so a desk opens as if the package were not installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import httpx

import closedloop
from closedloop import InvalidInput, Registry, Settings
from closedloop.connectors import pairs, settings_for, variable
from closedloop_google_business.connector import DEFAULT_URL, MAX_PAGE_SIZE, GoogleBusinessProfile

SETTINGS_KEY = "google_business"
TOKEN_VARIABLE = variable(SETTINGS_KEY, "token")
LOCATIONS_VARIABLE = variable(SETTINGS_KEY, "locations")
URL_VARIABLE = variable(SETTINGS_KEY, "url")


@attrs.frozen
class GoogleBusinessSettings:
    """The connector's settings: a token (or a function giving fresh ones) and the locations' places."""

    token: Callable[[], str] | str
    locations: Mapping[str, str] = attrs.field(factory=dict)
    base_url: str = attrs.field(default=DEFAULT_URL, metadata={"variable": "url"})
    platform: str = SETTINGS_KEY
    page_size: int = MAX_PAGE_SIZE
    http: httpx.Client | None = None


def parse_locations(text: str) -> dict[str, str]:
    """ "accounts/1/locations/2=place-id,accounts/1/locations/3=other" as a mapping."""
    return pairs(text, LOCATIONS_VARIABLE, example="accounts/1/locations/2=place-id")


def connector_for(settings: Settings) -> GoogleBusinessProfile | None:
    """The connector the desk's settings (or else the environment) describe; None when neither does."""
    given = settings.extra.get(SETTINGS_KEY)
    if isinstance(given, Mapping) and "connector" in given:
        if not isinstance(given["connector"], GoogleBusinessProfile):
            raise InvalidInput(f"{SETTINGS_KEY}['connector'] must be a GoogleBusinessProfile")
        return given["connector"]
    found = settings_for(GoogleBusinessSettings, settings, SETTINGS_KEY)
    return None if found is None else GoogleBusinessProfile(**attrs.asdict(found, recurse=False))


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

"""closedloop-trustpilot: the reviews of some Trustpilot business units for ``desk.sync``, and replies to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import attrs
import httpx

import closedloop
from closedloop import OutboundMessage, PlatformReview, Registry, Settings
from closedloop.connectors import HttpConnector, PlatformError, numbered_pages, older_than, settings_for
from closedloop_trustpilot.mapping import parse_time, to_review

TOKEN = "v1/oauth/oauth-business-users-for-applications/accesstoken"
REPLY = "v1/private/reviews/{}/reply"


@attrs.frozen(kw_only=True)
class TrustpilotSettings:
    """From ``Desk.open(extra={"trustpilot": {...}})`` or ``CLOSEDLOOP_TRUSTPILOT_*`` variables."""

    api_key: str
    api_secret: str
    username: str  # the Trustpilot Business login the replies are posted as
    password: str
    business_units: dict[str, str]  # business unit id -> the desk's place id
    base_url: str = "https://api.trustpilot.com"
    platform: str = "trustpilot"
    page_size: int = 100  # Trustpilot's largest
    look_back: timedelta = timedelta(days=30)


class Trustpilot(HttpConnector):
    """Reviews of the mapped business units and replies to them; Trustpilot lists reviews by creation only."""

    title = "Trustpilot"
    lists_by_creation = True

    def __init__(self, settings: TrustpilotSettings) -> None:
        super().__init__(platform=settings.platform, base_url=settings.base_url, token=self.access_token)
        self.settings, self.look_back, self.cached = settings, settings.look_back, ""

    def access_token(self) -> str:
        """The password grant's token, asked for on first use and again after a 401 (:meth:`refresh`)."""
        if not self.cached:
            login = {"grant_type": "password", "username": self.settings.username, "password": self.settings.password}
            auth = (self.settings.api_key, self.settings.api_secret)
            answer = self.http.post(f"{self.base_url}/{TOKEN}", data=login, auth=auth)
            if answer.status_code != 200:
                raise PlatformError(self.explain(answer, "an access token"), status=answer.status_code)
            self.cached = str(answer.json()["access_token"])
        return self.cached

    def refresh(self) -> None:
        self.cached = ""

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[Any]]:
        """Each unit's reviews (each marked with that unit), newest first, until a page is all past ``since``."""
        stop: Callable[[Sequence[Any]], bool] = older_than(since, lambda raw: parse_time(raw["createdAt"], "createdAt"))
        for unit in self.settings.business_units:
            yield from numbered_pages(partial(self.page, unit), size=self.settings.page_size, stop=stop)

    def page(self, unit: str, number: int) -> list[Any]:
        query = {"orderBy": "createdat.desc", "page": number, "perPage": self.settings.page_size}
        what = f"page {number} of the reviews of business unit {unit}"
        data = self.get_json(f"v1/private/business-units/{quote(unit, safe='')}/reviews", what, params=query)
        if not isinstance(data, dict) or not isinstance(data.get("reviews"), list):
            raise PlatformError(f"{what} could not be read: Trustpilot sent no list of reviews")
        return [{**item, "businessUnit": {"id": unit}} if isinstance(item, dict) else item for item in data["reviews"]]

    def review(self, raw: Any) -> PlatformReview:
        return to_review(raw, platform=self.platform, places=self.settings.business_units)

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        review_id = quote(message.external_id or "", safe="")
        return self.request("POST", REPLY.format(review_id), json={"message": message.body})

    def delete_reply(self, review_id: str) -> None:
        answer = self.request("DELETE", REPLY.format(quote(review_id, safe="")))
        if answer.status_code >= 300:
            raise PlatformError(self.explain(answer, f"the reply to {review_id}"), status=answer.status_code)


@closedloop.hookimpl
def closedloop_register_connectors(registry: Registry, settings: Settings) -> None:
    if configured := settings_for(TrustpilotSettings, settings, "trustpilot"):
        registry.add_connector(Trustpilot(configured))

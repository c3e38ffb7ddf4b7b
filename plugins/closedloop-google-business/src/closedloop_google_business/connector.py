"""The Google Business Profile connector: the review source for ``desk.sync`` and the channel for public replies.

One object plays both parts so that reading reviews and answering them share one token and one HTTP client;
:class:`closedloop.connectors.HttpConnector` does the HTTP, this module says what Google's API looks like.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from closedloop import ChannelLimits, InvalidInput, NotFound, OutboundMessage, PlatformReview
from closedloop.channels import parse_retry_after
from closedloop.connectors import HttpConnector, PlatformError, Token, older_than, token_pages
from closedloop_google_business.mapping import parse_time, to_review

DEFAULT_URL = "https://mybusiness.googleapis.com"
#: The API refuses a larger page.
MAX_PAGE_SIZE = 50
#: Google's limit on a reply's comment, in bytes of UTF-8.
MAX_REPLY_BYTES = 4096

#: What a person can do about a refusal, where the status says it.
ADVICE = {
    401: "; the access token was refused twice: check the token provider",
    403: "; the account lacks permission: check the OAuth scope (business.manage) and that it manages the location",
    404: "; the review or location no longer exists there",
}
#: What a sync pages through: a location's review as the API gave it, with the location it was listed under.
Raw = tuple[str, Mapping[str, Any]]


class GoogleBusinessError(PlatformError):
    """The API refused or could not be reached; ``status`` is the HTTP status (``None``: no answer at all)."""


def google_message(response: httpx.Response) -> str:
    """The platform's own explanation, from its error JSON {"error": {"code", "message", "status"}}."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error.get("message"):
        status = f" ({error['status']})" if error.get("status") else ""
        return f"{error['message']}{status}"
    return response.text.strip()[:200] or response.reason_phrase


def retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    """The response's Retry-After as a wait from ``now``."""
    return parse_retry_after(response.headers.get("Retry-After"), now)


class GoogleBusinessProfile(HttpConnector):
    """Reviews of the mapped locations, and replies to them, through the Business Profile API v4.

    ``token`` is called before every request (and again once after a 401), so it can hand out a refreshed
    OAuth access token; ``locations`` maps each location's resource name to the desk's place id.
    """

    title = "Google Business Profile"
    limits = ChannelLimits(max_bytes=MAX_REPLY_BYTES)
    error = GoogleBusinessError

    def __init__(
        self,
        *,
        token: Token,
        locations: Mapping[str, str],
        base_url: str = DEFAULT_URL,
        platform: str = "google_business",
        page_size: int = MAX_PAGE_SIZE,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(platform=platform, base_url=base_url, token=token, http=http)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"page_size must lie between 1 and {MAX_PAGE_SIZE} (the API's maximum); got {page_size}")
        for location in locations:
            parts = location.split("/")
            if len(parts) != 4 or parts[0] != "accounts" or parts[2] != "locations":
                raise InvalidInput(f"location {location!r} must look like 'accounts/<id>/locations/<id>'")
        self.locations = dict(locations)
        self.page_size = page_size

    def reviews(self, *, since: datetime | None) -> Iterator[list[PlatformReview | Raw]]:
        """One page per API page, location after location, most recently changed first; a location stops after
        a page wholly older than ``since``. A review that cannot be read stays as the API gave it."""
        for location in self.locations:
            for page in token_pages(self._pages_of(location), stop=older_than(since, _changed)):
                yield self.mapped(page)

    def _pages_of(self, location: str) -> Callable[[str | None], tuple[list[Raw], str | None]]:
        numbers = itertools.count(1)

        def fetch(token: str | None) -> tuple[list[Raw], str | None]:
            params = {"pageSize": str(self.page_size), "orderBy": "updateTime desc"}
            what = f"page {next(numbers)} of the reviews of {location}"
            data = self.get_json(
                f"v4/{location}/reviews", what, params=params | ({"pageToken": token} if token else {})
            )
            return [(location, item) for item in data.get("reviews") or []], data.get("nextPageToken") or None

        return fetch

    def review(self, raw: Raw) -> PlatformReview:
        location, item = raw
        return to_review(item, platform=self.platform, location=location, place_id=self.locations[location])

    def review_id(self, raw: Raw) -> str:
        location, item = raw
        return str(item.get("name") or f"{location}/reviews/{item.get('reviewId', '')}")

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        """PUT the reply (an upsert: it replaces an earlier reply) on the review the message names."""
        if not message.external_id:
            raise InvalidInput("the message names no review")
        return self.request("PUT", f"v4/{message.external_id}/reply", json={"comment": message.body})

    def delete_reply(self, review_name: str) -> None:
        """Take the business's public reply off a review (``review_name``: accounts/../locations/../reviews/..)."""
        try:
            response = self.request("DELETE", f"v4/{review_name}/reply")
        except httpx.HTTPError as error:
            raise GoogleBusinessError(f"Google Business Profile could not be reached: {error!r}") from error
        if response.status_code == 404:
            raise NotFound(f"Google Business Profile has no review {review_name!r}: {google_message(response)}")
        if not response.is_success:
            raise GoogleBusinessError(
                self.explain(response, f"the reply to {review_name}"), status=response.status_code
            )

    def describe(self, response: httpx.Response) -> str:
        return google_message(response)

    def advice(self, status: int) -> str:
        return ADVICE.get(status, "")


def _changed(raw: Raw) -> datetime:
    return parse_time(str(raw[1]["updateTime"]), "updateTime")


__all__ = ["GoogleBusinessError", "GoogleBusinessProfile"]

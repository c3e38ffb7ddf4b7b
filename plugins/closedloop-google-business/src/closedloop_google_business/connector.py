"""The Google Business Profile connector: the review source for ``desk.sync`` and the channel for public replies.

One object plays both parts so that reading reviews and answering them share one token and one HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from closedloop import (
    ChannelLimits,
    ChannelUnavailable,
    ClosedLoopError,
    InvalidInput,
    MessageKind,
    NotFound,
    OutboundMessage,
    PlatformReview,
    SendResult,
)
from closedloop.channels import parse_retry_after
from closedloop_google_business.mapping import to_review

DEFAULT_URL = "https://mybusiness.googleapis.com"
#: The API refuses a larger page.
MAX_PAGE_SIZE = 50
#: Google's limit on a reply's comment, in bytes of UTF-8.
MAX_REPLY_BYTES = 4096

TokenProvider = Callable[[], str]


class GoogleBusinessError(ClosedLoopError):
    """The API refused or could not be reached; ``status`` is the HTTP status (``None``: no answer at all)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def google_message(response: httpx.Response) -> str:
    """The platform's own explanation, from its error JSON {"error": {"code", "message", "status"}}."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if isinstance(error, dict) and error.get("message"):
        status = f" ({error['status']})" if error.get("status") else ""
        return f"{error['message']}{status}"
    return response.text.strip()[:200] or response.reason_phrase


def retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    """The response's Retry-After as a wait from ``now``."""
    return parse_retry_after(response.headers.get("Retry-After"), now)


class GoogleBusinessProfile:
    """Reviews of the mapped locations, and replies to them, through the Business Profile API v4.

    ``token`` is called before every request (and again once after a 401), so it can hand out a refreshed
    OAuth access token; ``locations`` maps each location's resource name to the desk's place id.
    """

    kinds = frozenset({MessageKind.REVIEW_REPLY})
    limits = ChannelLimits(max_bytes=MAX_REPLY_BYTES)

    def __init__(
        self,
        *,
        token: TokenProvider | str,
        locations: Mapping[str, str],
        base_url: str = DEFAULT_URL,
        platform: str = "google_business",
        page_size: int = MAX_PAGE_SIZE,
        http: httpx.Client | None = None,
    ) -> None:
        provider = _fixed(token) if isinstance(token, str) else token
        if not callable(provider):
            raise InvalidInput("token must be a callable returning an OAuth access token, or the token itself")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"page_size must lie between 1 and {MAX_PAGE_SIZE} (the API's maximum); got {page_size}")
        for location in locations:
            parts = location.split("/")
            if len(parts) != 4 or parts[0] != "accounts" or parts[2] != "locations":
                raise InvalidInput(f"location {location!r} must look like 'accounts/<id>/locations/<id>'")
        if not platform:
            raise InvalidInput("platform must be a non-empty name, e.g. 'google_business'")
        self.token: TokenProvider = provider
        self.locations = dict(locations)
        self.base_url = base_url.rstrip("/")
        self._platform = platform
        self.page_size = page_size
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=httpx.Timeout(30.0))

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    # -- as a review source and a channel, both named after the platform --------------------------------------

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def name(self) -> str:
        return self._platform

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One call with a fresh token; a 401 asks the provider once more, as the token may have just expired."""
        url = f"{self.base_url}/v4/{path}"
        response = self.http.request(method, url, headers={"Authorization": f"Bearer {self.token()}"}, **options)
        if response.status_code == 401:
            response = self.http.request(method, url, headers={"Authorization": f"Bearer {self.token()}"}, **options)
        return response

    # -- reading reviews -------------------------------------------------------------------------------------

    def reviews(self, *, since: datetime | None) -> Iterator[list[PlatformReview]]:
        """One list per API page, location after location; a location stops at the first page that reaches
        back past ``since`` (the API lists the most recently changed first)."""
        for location, place_id in self.locations.items():
            yield from self._location_reviews(location, place_id, since)

    def _location_reviews(self, location: str, place_id: str, since: datetime | None) -> Iterator[list[PlatformReview]]:
        page_token: str | None = None
        page = 0
        while True:
            page += 1
            params = {"pageSize": str(self.page_size), "orderBy": "updateTime desc"}
            if page_token:
                params["pageToken"] = page_token
            data = self._get_page(location, params, page)
            reviews = [
                to_review(item, platform=self.platform, location=location, place_id=place_id)
                for item in data.get("reviews") or []
            ]
            if reviews:
                yield reviews
            page_token = data.get("nextPageToken") or None
            if page_token is None or not reviews:
                return
            if since is not None and min(review.updated_at for review in reviews) < since:
                return

    def _get_page(self, location: str, params: dict[str, str], page: int) -> dict[str, Any]:
        where = f"page {page} of the reviews of {location}"
        try:
            response = self._request("GET", f"{location}/reviews", params=params)
        except httpx.TransportError as error:
            raise GoogleBusinessError(
                f"Google Business Profile could not be reached for {where}: {error!r}; run the sync again later"
            ) from error
        if response.status_code != 200:
            raise GoogleBusinessError(
                f"Google Business Profile answered {response.status_code} for {where}: {google_message(response)}"
                + _advice(response.status_code),
                response.status_code,
            )
        try:
            data = response.json()
        except ValueError as error:
            raise GoogleBusinessError(f"Google Business Profile sent no JSON for {where}") from error
        if not isinstance(data, dict):
            raise GoogleBusinessError(f"Google Business Profile sent unexpected JSON for {where}: {data!r:.200}")
        return data

    # -- posting replies -------------------------------------------------------------------------------------

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        """PUT each reply (an upsert: it replaces an earlier reply); failures become results, never exceptions."""
        for message in messages:
            if message.kind not in self.kinds:
                raise ChannelUnavailable(
                    f"the {self.name} channel posts public review replies only; it cannot carry a "
                    f"{message.kind.value} message ({message.id})"
                )
        return [self._send_one(message) for message in messages]

    def _send_one(self, message: OutboundMessage) -> SendResult:
        if not message.external_id:
            return SendResult(message_id=message.id, ok=False, error="the message names no review", permanent=True)
        try:
            response = self._request("PUT", f"{message.external_id}/reply", json={"comment": message.body})
        except httpx.TransportError as error:
            return SendResult(message_id=message.id, ok=False, error=f"Google Business Profile unreachable: {error!r}")
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(message_id=message.id, ok=True)
        reason = f"Google Business Profile answered {status}: {google_message(response)}"
        if status == 429:
            wait = retry_after(response, datetime.now(UTC))
            return SendResult(message_id=message.id, ok=False, error=reason, retry_after=wait)
        if status == 401:
            return SendResult(message_id=message.id, ok=False, error=reason + _advice(status))
        if status >= 500 or status == 408:
            return SendResult(message_id=message.id, ok=False, error=reason)
        return SendResult(message_id=message.id, ok=False, error=reason + _advice(status), permanent=True)

    def delete_reply(self, review_name: str) -> None:
        """Take the business's public reply off a review (``review_name``: accounts/../locations/../reviews/..)."""
        try:
            response = self._request("DELETE", f"{review_name}/reply")
        except httpx.TransportError as error:
            raise GoogleBusinessError(f"Google Business Profile could not be reached: {error!r}") from error
        if response.status_code == 404:
            raise NotFound(f"Google Business Profile has no review {review_name!r}: {google_message(response)}")
        if not 200 <= response.status_code < 300:
            raise GoogleBusinessError(
                f"Google Business Profile refused to delete the reply to {review_name}: {response.status_code} "
                f"{google_message(response)}" + _advice(response.status_code),
                response.status_code,
            )


def _fixed(token: str) -> TokenProvider:
    """A token given as text: a provider that never refreshes, for scripts and the environment."""

    def provide() -> str:
        return token

    return provide


def _advice(status: int) -> str:
    """What a person can do about a refusal, where the status says it."""
    if status == 401:
        return "; the access token was refused twice: check the token provider"
    if status == 403:
        return (
            "; the account lacks permission: check the OAuth scope (business.manage) and that it manages the location"
        )
    if status == 404:
        return "; the review or location no longer exists there"
    return ""


__all__ = ["GoogleBusinessError", "GoogleBusinessProfile"]

"""What a platform's HTTP answer means, the same for every connector: delivered, try again later, or refused.

A 2xx is done; a 429 (waiting as long as its ``Retry-After`` says), a 408, a 5xx and a connection that failed
or timed out pass with time; any other 4xx is a refusal, told in the platform's own words. A 401 has been
answered by asking for a fresh token once (:meth:`closedloop.connectors.HttpConnector.request`), so one
that remains is the token's fault. Replies get a ``SendResult`` per message; a sync gets a
:class:`PlatformError` to stop on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from closedloop.channels import parse_retry_after
from closedloop.domain.errors import ClosedLoopError
from closedloop.ports.outside import SendResult

#: An answer: the platform's response, or the error of a request that got none.
Answer = httpx.Response | httpx.HTTPError
#: The sentence that explains an error response, in the platform's words and with its status, given what was
#: being read (``None`` for a reply being posted).
Explain = Callable[[httpx.Response, str | None], str]


class PlatformError(ClosedLoopError):
    """A platform refused, or could not be reached, while reviews were read. ``status`` is the HTTP status
    (``None``: no answer at all); ``temporary`` says running the sync again later can help, not before
    ``retry_after`` when the platform said so."""

    def __init__(
        self, message: str, *, status: int | None = None, temporary: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.temporary = temporary
        self.retry_after = retry_after


def plain_message(response: httpx.Response, what: str | None = None) -> str:
    """The explanation of a platform whose error shape is unknown: the status and the start of the body."""
    text = response.text.strip()[:200] or response.reason_phrase
    reading = f" for {what}" if what else ""
    return f"HTTP {response.status_code}{reading}: {text}" if text else f"HTTP {response.status_code}{reading}"


def is_temporary(status: int) -> bool:
    """Rate limits, time-outs and the server's own trouble pass with time; a refusal does not."""
    return status in (408, 429) or status >= 500


def send_result(
    message_id: str,
    answer: Answer,
    *,
    now: datetime,
    explain: Explain = plain_message,
    unreachable: str = "the platform is unreachable",
) -> SendResult:
    """The result of posting one message: ``ok``, temporary (with the platform's ``Retry-After`` as
    ``retry_after``) or ``permanent``, with ``explain(response, None)`` as the error."""
    if isinstance(answer, httpx.HTTPError):
        return SendResult(message_id=message_id, ok=False, error=f"{unreachable}: {answer!r}")
    status = answer.status_code
    if 200 <= status < 300:
        return SendResult(message_id=message_id, ok=True)
    error = explain(answer, None)
    if status == 401:
        return SendResult(message_id=message_id, ok=False, error=error)  # a token provider can be mended
    if is_temporary(status):
        wait = parse_retry_after(answer.headers.get("Retry-After"), now)
        return SendResult(message_id=message_id, ok=False, error=error, retry_after=wait)
    return SendResult(message_id=message_id, ok=False, error=error, permanent=True)


def read_error(
    answer: Answer,
    what: str,
    *,
    now: datetime,
    explain: Explain = plain_message,
    unreachable: str = "the platform is unreachable",
    error: type[PlatformError] = PlatformError,
) -> PlatformError | None:
    """The error a sync stops on when reading ``what`` (``"page 2 of the reviews of shop 7"``) failed, or
    ``None`` for a 2xx; a temporary one says to run the sync again, and when."""
    if isinstance(answer, httpx.HTTPError):
        return error(f"{unreachable} for {what}: {answer!r}; run the sync again later", temporary=True)
    status = answer.status_code
    if 200 <= status < 300:
        return None
    message = explain(answer, what)
    if not is_temporary(status):
        return error(message, status=status)
    wait = parse_retry_after(answer.headers.get("Retry-After"), now)
    later = f"in {wait} or later" if wait else "later"
    return error(f"{message}; run the sync again {later}", status=status, temporary=True, retry_after=wait)

"""The connector author's kit: what every review platform's connector needs, so that one is mostly its mapping.

- :func:`settings_for`: settings declared once as an attrs class, read from the desk's ``extra`` or from
  ``CLOSEDLOOP_<PLATFORM>_<FIELD>`` variables (:func:`variable` names one, :func:`pairs` reads a dict's);
- :class:`HttpConnector`: a review source and reply channel over one HTTP client, with the bearer token
  refreshed once after a 401 and the standard reading of the platform's answers;
- :func:`send_result` and :func:`read_error`: that reading on its own, for a connector without the base;
- :func:`token_pages`, :func:`numbered_pages` and :func:`older_than`: paging as generators of pages.

It needs ``httpx`` (``pip install closedloop[connectors]``), which the rest of closedloop does without.
See ``docs/connectors.md``.
"""

try:
    import httpx  # noqa: F401 - only to say what is missing
except ImportError as missing:  # pragma: no cover - httpx is installed wherever the tests run
    raise ImportError(
        "closedloop.connectors needs httpx: pip install 'closedloop[connectors]' (or httpx itself)"
    ) from missing

from closedloop.connectors.base import HttpConnector, Token
from closedloop.connectors.http import PlatformError, is_temporary, plain_message, read_error, send_result
from closedloop.connectors.paging import numbered_pages, older_than, token_pages
from closedloop.connectors.settings import pairs, settings_for, variable

__all__ = [
    "HttpConnector",
    "PlatformError",
    "Token",
    "is_temporary",
    "numbered_pages",
    "older_than",
    "pairs",
    "plain_message",
    "read_error",
    "send_result",
    "settings_for",
    "token_pages",
    "variable",
]

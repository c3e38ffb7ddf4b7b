"""Fixtures of the closedloop-web suite: a real browser, Debian's chromium driven through Playwright's sync API
(``closedloop.testing.web`` launches it; .ci/run installs it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from closedloop.testing.web import browsing, chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium for the whole run: starting it takes longer than most tests."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a new context, so that no cookie or storage of another test is carried over."""
    with browsing(browser) as opened:
        yield opened

"""Fixtures of the closedloop-web suite: a real browser, Debian's chromium driven through Playwright's sync API.

Playwright's own browser download is not used: the tests run the chromium that the Debian package installs
(.ci/run installs it), so nothing is fetched at test time and the browser is the one the system keeps patched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox (CI runs as root), no GPU, and none of the traffic a browser starts on its own, so that a test
#: waits only for the requests it made.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(reason: str) -> None:
    """Skip on a developer's machine without the browser; fail in CI, where every suite must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every suite (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium for the whole run: starting it takes longer than most tests."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} (Debian package chromium) is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a new context, so that no cookie or storage of another test is carried over."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()

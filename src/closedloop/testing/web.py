"""Testing a web front end built on closedloop (a reply page, a console) as its users meet it: the app served by
uvicorn on loopback, Debian's chromium driven through Playwright, a watch on what injected markup would leave in
a page, and a still clock for the app's rate limits.

The browser is the one the system's chromium package installs, not Playwright's own download, so nothing is
fetched at test time and the browser is the one the system keeps patched. Playwright and uvicorn are imported
only when a browser is launched or an app served: import this module from tests only (closedloop-web and
closedloop-console test their pages with it).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

    from closedloop.desk import Desk
    from closedloop.testing.smtp import Received, SmtpServer

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "EVIL",
    "HOST",
    "PAYLOADS",
    "PageWatch",
    "Ticker",
    "browsing",
    "chromium",
    "dispatched_email",
    "link_in",
    "missing",
    "screenshots",
    "serving",
]

HOST = "127.0.0.1"
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
#: Each would set ``window.__pwned`` if a page ever ran it.
PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "</textarea><script>window.__pwned=1</script>",
)
#: Every payload in one text, for a name, a comment or a reply that a page must show as text.
EVIL = " ".join(PAYLOADS)


def missing(reason: str) -> None:
    """Skip on a developer's machine without the browser; fail in CI (``CI`` set), where every suite must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every suite (install the chromium package)")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium, closed at the end; the test is skipped (failed in CI) where it is not installed."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} (Debian package chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def browsing(browser: Browser, width: int = 1280, height: int = 800) -> Iterator[Page]:
    """A page in a fresh context of that viewport: no cookie or storage of another test or person."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def serving(app: Callable[..., Awaitable[None]], port: int) -> Iterator[str]:
    """``app`` in uvicorn on a background thread on loopback, as a command would run it; its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn stopped before it started on port {port}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port} in 15 s")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@attrs.define
class PageWatch:
    """Dialogs, script errors, policy violations and requests a page met: what injected markup would leave.

    A Content-Security-Policy blocks inline scripts even if markup got through, so ``window.__pwned`` alone proves
    little: a blocked script still shows as a policy violation, and an injected image as a request. ``expected``
    says which requests are the page's own, given as ``"<resource type> <url>"`` (``"stylesheet http://..."``).
    """

    expected: Callable[[str], bool]
    dialogs: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    violations: list[str] = attrs.field(factory=list)
    requests: list[str] = attrs.field(factory=list)

    def attach(self, page: Page) -> Page:
        def dialog(opened: Dialog) -> None:
            self.dialogs.append(opened.message)
            opened.dismiss()

        page.on("dialog", dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console_said(message.text))
        page.on("request", lambda request: self.requests.append(f"{request.resource_type} {request.url}"))
        return page

    def console_said(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.violations.append(text)

    def assert_nothing_ran(self, page: Page) -> None:
        """Fails when a payload ran, was blocked, opened a dialog or made a request the page would not make."""
        ran = page.evaluate("typeof window.__pwned")
        if ran != "undefined":
            raise AssertionError(f"a payload ran: window.__pwned is {ran}")
        if self.dialogs or self.errors:
            raise AssertionError(f"dialogs {self.dialogs}, script errors {self.errors}")
        if self.violations:
            raise AssertionError(f"policy violations: {self.violations}")
        strangers = [request for request in self.requests if not self.expected(request)]
        if strangers:
            raise AssertionError(f"requests the page would not make (an injected <img>?): {strangers}")


class Ticker:
    """A monotonic clock, for an app's rate limits, that moves only when the test sets ``now``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dispatched_email(desk: Desk, smtp: SmtpServer, to: str) -> Received:
    """Send what the desk's outbox holds, which must be one email to ``to``; that email as the server got it."""
    before = len(smtp.received)
    sent = desk.dispatch().sent
    received = smtp.received[before:]
    if sent != 1 or [message.rcpt_tos for message in received] != [(to,)]:
        raise AssertionError(f"{sent} sent, and to {[message.rcpt_tos for message in received]}, not one to {to}")
    return received[0]


def link_in(text: str, base: str) -> str:
    """The first link in ``text`` that starts with ``base`` (a reply link in an email, say)."""
    found = re.search(re.escape(base) + r"\S+", text)
    if found is None:
        raise AssertionError(f"no link starting with {base} in {text!r}")
    return found.group(0)


def screenshots(tmp_path: Path) -> Path:
    """The folder named by ``CLOSEDLOOP_SCREENSHOTS``, else the test's temporary folder; made if needed."""
    folder = Path(os.environ.get("CLOSEDLOOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder

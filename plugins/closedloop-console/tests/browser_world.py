"""What the console's browser tests share: a desk that emails through the loopback SMTP server, the console and
closedloop-web's reply page each served by uvicorn on its own loopback port, Debian's chromium, and a watch on
what injected markup would leave behind in a page.

Playwright's own browser download is not used: the tests run the chromium that the Debian package installs, as
closedloop-web's do. The fixtures are in test_browser.py.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
import uvicorn
from console_world import CHEAP
from playwright.sync_api import Browser, Dialog, Page
from starlette.types import ASGIApp

from closedloop import Contact, Conversation, Desk, Feedback, Rating, RatingKind, Source
from closedloop.testing import FakeClock
from closedloop.testing.smtp import HOST, SmtpServer

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox (CI runs as root), no GPU, and none of the traffic a browser starts on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {"ana": "ana's morning passphrase", "bruno": "bruno's morning passphrase"}
#: Each would set ``window.__pwned`` if a page ever ran it.
PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "</textarea><script>window.__pwned=1</script>",
)
EVIL = " ".join(PAYLOADS)


def missing(reason: str) -> None:
    """Skip on a developer's machine without the browser; fail in CI, where every suite must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every suite (.ci/run installs it)")
    pytest.skip(reason)


def password_hashes() -> dict[str, str]:
    """The built-in sign-in's argon2 hashes, made here (cheap parameters: they verify as real ones do)."""
    return {user: CHEAP.hash(password) for user, password in PASSWORDS.items()}


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    """``app`` in uvicorn on a background thread, as ``closedloop console`` or ``serve`` runs it; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start in 15 s"
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@attrs.define
class Morning:
    """The desk, its clock, the SMTP server its email goes to, and where the console and the reply page are."""

    desk: Desk
    clock: FakeClock
    smtp: SmtpServer
    console: str  # the console's base URL, no trailing slash
    numbers: int = 0

    def survey(
        self,
        place: str = "opera",
        *,
        name: str = "Claire Dupont",
        nps: int = 9,
        comments: str = "Lovely evening.",
        email: str | None = None,
    ) -> Conversation:
        """Survey feedback, a minute after the previous one, so the inbox's order is the order made."""
        self.numbers += 1
        self.clock.advance(timedelta(minutes=1))
        return self.desk.ingest(
            Feedback(
                source=Source.SURVEY,
                external_id=f"survey-{self.numbers}",
                place_id=place,
                received_at=self.clock.now(),
                contact=Contact(name=name, email=email or f"guest{self.numbers}@example.com", tel="+33 6 12 34 56 78"),
                ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
                comments=comments,
            )
        )

    def read(self, conversation_id: str) -> Conversation:
        return self.desk.conversation(conversation_id, by="ana")

    def emailed_link(self, to: str, reply_base: str) -> str:
        """Send what the outbox holds, and the reply link in the one email that reached ``to``."""
        before = len(self.smtp.received)
        assert self.desk.dispatch().sent == 1
        [received] = self.smtp.received[before:]
        assert received.rcpt_tos == (to,)
        found = re.search(re.escape(reply_base) + r"\S+", received.text)
        assert found is not None, received.text
        return found.group(0)


@attrs.define
class Watch:
    """Dialogs, script errors and policy violations a page met: what injected markup would leave.

    The console's Content-Security-Policy blocks inline scripts even if markup got through, so ``window.__pwned``
    alone proves little: a blocked script still shows as a policy violation, and an injected image as a request.
    """

    console: str  # its base URL: its own stylesheets and scripts are expected
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
        page.on("console", lambda message: self._console(message.text))
        page.on("request", lambda request: self.requests.append(f"{request.resource_type} {request.url}"))
        return page

    def _console(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.violations.append(text)

    def assert_nothing_ran(self, page: Page) -> None:
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert self.dialogs == [] and self.errors == []
        assert self.violations == [], self.violations
        strangers = [
            request
            for request in self.requests
            if not request.startswith("document ") and not request.split(" ")[1].startswith(f"{self.console}/static/")
        ]
        assert strangers == [], strangers  # an injected <img> would show here


@contextmanager
def browsing(browser: Browser, width: int = 1280, height: int = 800) -> Iterator[Page]:
    """A page in a fresh context of that viewport: no cookie of another test or person."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, console: str, user: str) -> None:
    """Open the console and sign in through its form, as an agent starting the day would."""
    page.goto(f"{console}/")
    assert page.get_by_role("heading", name="Sign in to the console").is_visible()
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url == f"{console}/", page.url


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CLOSEDLOOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder

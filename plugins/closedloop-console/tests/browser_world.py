"""What the console's browser tests share: a desk that emails through the loopback SMTP server, the console and
closedloop-web's reply page each served by uvicorn on its own loopback port (``closedloop.testing.web`` serves
them and drives Debian's chromium), and a watch on what injected markup would leave behind in a page.
The fixtures are in test_browser.py.
"""

from __future__ import annotations

import attrs
from console_world import CHEAP
from pages_world import Surveys
from playwright.sync_api import Page

from closedloop import Conversation, Desk
from closedloop.testing import FakeClock
from closedloop.testing.smtp import SmtpServer
from closedloop.testing.web import PageWatch, dispatched_email, link_in

PASSWORDS = {"ana": "ana's morning passphrase", "bruno": "bruno's morning passphrase"}


def password_hashes() -> dict[str, str]:
    """The built-in sign-in's argon2 hashes, made here (cheap parameters: they verify as real ones do)."""
    return {user: CHEAP.hash(password) for user, password in PASSWORDS.items()}


@attrs.define
class Morning(Surveys):
    """The desk, its clock, the SMTP server its email goes to, and where the console and the reply page are."""

    desk: Desk
    clock: FakeClock
    smtp: SmtpServer
    console: str  # the console's base URL, no trailing slash
    numbers: int = 0

    def read(self, conversation_id: str) -> Conversation:
        return self.desk.conversation(conversation_id, by="ana")

    def emailed_link(self, to: str, reply_base: str) -> str:
        """Send what the outbox holds, and the reply link in the one email that reached ``to``."""
        return link_in(dispatched_email(self.desk, self.smtp, to).text, reply_base)


def watch_console(console: str) -> PageWatch:
    """A watch on a console page at ``console`` (its base URL): documents and its own static files are expected."""
    return PageWatch(
        lambda request: request.startswith("document ") or request.split(" ")[1].startswith(f"{console}/static/")
    )


def sign_in(page: Page, console: str, user: str) -> None:
    """Open the console and sign in through its form, as an agent starting the day would."""
    page.goto(f"{console}/")
    assert page.get_by_role("heading", name="Sign in to the console").is_visible()
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url == f"{console}/", page.url

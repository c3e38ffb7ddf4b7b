"""The reply page end to end, in headless chromium against the app served by uvicorn on loopback.

The desk sends its email over real SMTP to the loopback server of ``closedloop.testing.smtp``; each test takes
the link from the email the server received, as the customer would, and opens it in the browser.
Screenshots go to the folder named by ``CLOSEDLOOP_SCREENSHOTS``, else to the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from customers import CUSTOMER_EMAIL, Customers
from playwright.sync_api import Browser

from closedloop import Desk, Place, Role, Status, User
from closedloop.testing import FakeClock
from closedloop.testing.smtp import HOST, SmtpServer, free_port
from closedloop.testing.web import EVIL, PageWatch, browsing, dispatched_email, link_in, screenshots, serving
from closedloop_web.plugin import standalone_app

SENDER = "feedback@chez-nous.example"
PLACE = "Chez Nous Opéra"
LIMIT = 5000


# -- the app, served for real --------------------------------------------------------------------------------------


@attrs.define
class Site(Customers):
    """A desk that emails through the loopback SMTP server, and its reply page served on loopback."""

    desk: Desk
    clock: FakeClock
    smtp: SmtpServer
    base: str
    numbers: int = 0

    def reply_by_email(self, conversation_id: str, body: str) -> str:
        """Ana answers by email; the link in the email the SMTP server received."""
        self.desk.reply(conversation_id, by="ana", body=body, channel="email")
        received = dispatched_email(self.desk, self.smtp, CUSTOMER_EMAIL)
        assert body in received.text.replace("\r\n", "\n")
        return link_in(received.text, self.base)


@pytest.fixture
def site(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Site]:
    """The reply page as ``closedloop serve`` runs it, in uvicorn on loopback, on a desk emailing through SMTP."""
    port = free_port()
    base = f"http://{HOST}:{port}/reply/"
    clock = FakeClock()
    with Desk.open(
        f"sqlite:///{tmp_path}/f.db",
        smtp=smtp_server.settings(sender=SENDER),
        clock=clock,
        business_name="Chez Nous",
        reply_link_base=base,
        load_entry_points=False,
    ) as desk:
        desk.add_place(Place(id="opera", name=PLACE))
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"opera"}))
        with serving(standalone_app(desk), port):
            yield Site(desk, clock, smtp_server, base)


# -- what the browser did --------------------------------------------------------------------------------------


@pytest.fixture
def watch(site: Site) -> PageWatch:
    """The page's own requests: the reply page's documents and its stylesheet; anything else came from markup."""
    origin = site.base.split("/reply/")[0] + "/"
    stylesheet = f"stylesheet {origin}reply/assets/closedloop.css"
    return PageWatch(lambda request: request == stylesheet or request.startswith(f"document {origin}reply/"))


# -- the whole loop --------------------------------------------------------------------------------------------------


def test_the_customer_closes_the_loop_from_the_email_link(browser: Browser, site: Site, watch: PageWatch) -> None:
    """Issue's loop: an emailed reply, the link opened in a browser, an answer sent, the team sees it unread."""
    conversation_id = site.feedback()
    link = site.reply_by_email(conversation_id, "Claire, we are sorry about the soup. Dinner is on us.")

    with browsing(browser) as page:
        watch.attach(page)
        page.goto(link)
        assert page.title() == "Your conversation with Chez Nous"
        main = page.locator("main")
        assert "2 out of 5 stars" in main.inner_text()
        assert "3 on a scale from 0 to 10" in main.inner_text()
        assert "The soup was cold." in main.inner_text()
        assert "Claire, we are sorry about the soup. Dinner is on us." in main.inner_text()

        # the label names the textarea (its section is named by the same words, hence the textarea filter)
        answer = page.get_by_label("Your answer", exact=True).and_(page.locator("textarea"))
        answer.fill("Thank you!\nWe will come on Friday.")
        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Thank you").is_visible()
        assert PLACE in main.inner_text()
        watch.assert_nothing_ran(page)

        assert site.read(conversation_id).status is Status.UNREAD_CUSTOMER_REPLY
        said = site.customer_said(conversation_id)
        assert [text.replace("\r\n", "\n") for text in said] == ["Thank you!\nWe will come on Friday."]
        assert site.desk.mark_read(conversation_id, by="ana").status is Status.PENDING_ACTION

        response = page.goto(link)
        assert response is not None and response.status == 410
        assert page.get_by_role("heading", name="This link was already used").is_visible()
        assert page.locator("form").count() == 0


def test_a_message_of_the_announced_length_with_line_breaks_is_accepted(browser: Browser, site: Site) -> None:
    """The textarea lets a customer type 5000 characters, line breaks counting one; the server must agree."""
    conversation_id = site.feedback()
    link = site.reply_by_email(conversation_id, "Tell us more?")
    line = "x" * 99 + "\n"
    message = (line * (LIMIT // len(line)))[:-1] + "!"
    assert len(message) == LIMIT

    with browsing(browser) as page:
        page.goto(link)
        box = page.get_by_role("textbox", name="Your answer")
        box.fill(message)
        assert box.evaluate("element => element.value.length") == LIMIT  # what the browser let through
        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert page.locator(".error").count() == 0, page.locator(".error").inner_text()
        assert page.get_by_role("heading", name="Thank you").is_visible()
    assert [text.replace("\r\n", "\n") for text in site.customer_said(conversation_id)] == [message]


# -- how it looks ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 800)])
def test_the_page_fits_the_screen(browser: Browser, site: Site, tmp_path: Path, width: int, height: int) -> None:
    """On a small phone as on a desktop, nothing scrolls sideways and the form is there to use."""
    conversation_id = site.feedback(
        comment="The soup was cold and we waited forty minutes for the main course, which is a long time."
    )
    link = site.reply_by_email(
        conversation_id,
        "Dear Claire,\n\nWe are sorry about the soup and the wait. Please come back as our guests.\n\nAna",
    )
    with browsing(browser, width, height) as page:
        page.goto(link)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_role("textbox", name="Your answer").is_visible()
        assert page.get_by_role("button", name="Send my answer").is_visible()
        path = screenshots(tmp_path) / f"reply-{width}x{height}.png"
        page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    print(f"screenshot: {path}")


# -- what people wrote never runs ------------------------------------------------------------------------------------


def test_script_payloads_never_execute(browser: Browser, site: Site, watch: PageWatch) -> None:
    """Names, comments, replies and the customer's own text show as text, on every page that shows them."""
    conversation_id = site.feedback(name=f"Claire {EVIL}", comment=f"Cold soup. {EVIL}")
    link = site.reply_by_email(conversation_id, f"Sorry! {EVIL}")
    message = f"Thanks {EVIL}"

    with browsing(browser) as page:
        watch.attach(page)
        page.goto(link)
        watch.assert_nothing_ran(page)
        text = page.locator("main").inner_text()
        assert f"Claire {EVIL}" in text
        assert f"Cold soup. {EVIL}" in text
        assert f"Sorry! {EVIL}" in text

        # too long: refused and shown again, payload and all (the page's own maxlength taken off first)
        box = page.get_by_role("textbox", name="Your answer")
        box.evaluate("element => element.removeAttribute('maxlength')")
        box.fill(message + "x" * LIMIT)
        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert page.locator(".error").is_visible()
        assert page.get_by_role("textbox", name="Your answer").input_value() == message + "x" * LIMIT
        watch.assert_nothing_ran(page)

        # the form expired (no cookie any more): refused and shown again
        page.context.clear_cookies()
        page.get_by_role("textbox", name="Your answer").fill(message)
        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert "This form had expired" in page.locator(".error").inner_text()
        assert page.get_by_role("textbox", name="Your answer").input_value() == message
        watch.assert_nothing_ran(page)

        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Thank you").is_visible()
        watch.assert_nothing_ran(page)
        assert site.customer_said(conversation_id) == [message]

        # the customer's message, on the page of the next reply
        page.goto(site.reply_by_email(conversation_id, "Noted, thank you."))
        watch.assert_nothing_ran(page)
        assert page.locator(".message.mine .body").inner_text() == message
        assert page.get_by_role("textbox", name="Your answer").input_value() == ""

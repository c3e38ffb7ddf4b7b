"""An agent's morning in the console, end to end in headless chromium: the console and closedloop-web's reply page
served by uvicorn on loopback, the email going through the loopback SMTP server, the customer answering from the
link in it. Screenshots go to the folder named by ``CLOSEDLOOP_SCREENSHOTS``, else to the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_world import Morning, password_hashes, sign_in, watch_console
from console_world import SECRET
from pages_world import PARIS, USERS
from playwright.sync_api import Browser, Page
from starlette.routing import Route

from closedloop import Desk, InteractionKind, Status
from closedloop.testing import FakeClock
from closedloop.testing.smtp import HOST, SmtpServer, free_port
from closedloop.testing.web import EVIL, browsing, screenshots, serving
from closedloop_console import create_app
from closedloop_console.pages.actions import ACTIONS
from closedloop_web.plugin import standalone_app

NOTHING_HERE = "There is nothing here, or nothing you may see."
SORRY = "We are sorry your evening fell short of what you came for; dinner is on us next time you visit."


@pytest.fixture
def reply_base() -> str:
    return f"http://{HOST}:{free_port()}/reply/"


@pytest.fixture
def morning(tmp_path: Path, smtp_server: SmtpServer, reply_base: str) -> Iterator[Morning]:
    """Two places with an agent each, the console and the reply page served, nothing in the inbox yet."""
    clock = FakeClock()
    with Desk.open(
        f"sqlite:///{tmp_path}/morning.db",
        smtp=smtp_server.settings(sender="feedback@chez-nous.example"),
        clock=clock,
        business_name="Chez Nous",
        reply_link_base=reply_base,
        load_entry_points=False,
    ) as desk:
        for place in PARIS:
            desk.add_place(place)
        for agent in USERS[:2]:  # Ana at the Opéra, Bruno at the Gare
            desk.add_user(agent)
        console = create_app(desk, passwords=password_hashes(), secret_key=SECRET)
        reply_port = int(reply_base.split(":")[2].split("/")[0])
        with serving(standalone_app(desk), reply_port), serving(console, free_port()) as console_base:
            yield Morning(desk, clock, smtp_server, console_base)


def overnight(morning: Morning) -> str:
    """What came in overnight at the Opéra (one detractor among happy guests) and at the Gare; the alert's id."""
    morning.survey(name="Louis Martin", comments="Perfect duck, lovely staff.")
    alert = morning.survey(
        name="Claire Dupont",
        nps=1,
        comments="We waited forty minutes for a cold soup and nobody apologised.",
        email="claire@example.com",
    ).id
    morning.survey(name="Sofia Bianchi", nps=10, comments="Best tiramisu in Paris.")
    morning.survey("gare", name="Hugo Weber", nps=8, comments="Quick lunch before the train.")
    return alert


def flash(page: Page) -> str:
    return page.locator(".flash").inner_text()


def kinds(morning: Morning, conversation_id: str) -> list[InteractionKind]:
    history = morning.read(conversation_id).history
    return [entry.kind for entry in history if entry.kind is not InteractionKind.STATUS_CHANGE]


# -- the morning -----------------------------------------------------------------------------------------------------


def test_an_agent_handles_an_alert_from_sign_in_to_done(browser: Browser, morning: Morning, reply_base: str) -> None:
    """Issue 20's morning: sign in, first alert, the file, a call, a common reply by email, the customer's answer
    back through the reply page as unread, then read and done."""
    alert = overnight(morning)
    morning.desk.common_replies("ana").add(SORRY)  # kept on an earlier day
    morning.desk.common_replies("ana").add("Thank you for your kind words; we hope to see you again soon.")
    with browsing(browser) as page:
        sign_in(page, morning.console, "ana")
        assert page.locator("tbody tr").count() == 3  # the Opéra's three, never the Gare's

        page.get_by_role("navigation", name="Categories").get_by_role("link", name="Alerts").click()
        page.locator("tbody tr.has-alert a").first.click()
        page.wait_for_load_state()
        assert page.url == f"{morning.console}/conversations/{alert}"
        main = page.locator("main").inner_text()
        assert "Claire Dupont" in main and "cold soup and nobody apologised" in main
        assert "claire@example.com" in main and "+33 6 12 34 56 78" in main
        assert page.get_by_role("heading", name="Alert · To process").is_visible()

        page.get_by_label("What was said").fill("Called Claire, she was upset about the wait; we apologised.")
        page.get_by_label("Outcome").fill("Invited back as our guests")
        page.get_by_label("Length in minutes").fill("6")
        page.locator("#call-alert").select_option("in_progress")
        page.get_by_role("button", name="Log call").click()
        page.wait_for_load_state()
        assert flash(page) == "Call logged."
        assert page.get_by_role("heading", name="Alert · In progress").is_visible()

        common = page.locator(".common-replies li", has_text=SORRY[:40])
        common.get_by_role("link", name="Use").click()
        page.wait_for_load_state()
        assert page.get_by_label("Message to Claire Dupont").input_value() == SORRY
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_load_state()
        assert flash(page) == "Your reply is on its way."
        assert morning.read(alert).status is Status.AWAITING_CUSTOMER
        link = morning.emailed_link("claire@example.com", reply_base)

        with browsing(browser, 390, 844) as customer:
            customer.goto(link)
            assert "dinner is on us next time" in customer.locator("main").inner_text()
            customer.get_by_role("textbox", name="Your answer").fill("Thank you, we will come on Friday.")
            customer.get_by_role("button", name="Send my answer").click()
            customer.wait_for_load_state()
            assert customer.get_by_role("heading", name="Thank you").is_visible()

        page.get_by_role("link", name="← Inbox").click()
        page.wait_for_load_state()
        row = page.locator("tbody tr", has_text="Claire Dupont")
        assert row.locator(".status").inner_text() == "Unread customer reply"
        row.get_by_role("link", name="Claire Dupont").click()
        page.wait_for_load_state()
        assert "Thank you, we will come on Friday." in page.get_by_role("region", name="History").inner_text()

        page.get_by_role("button", name="Mark read").click()
        page.wait_for_load_state()
        assert flash(page) == "Marked as read."
        page.get_by_role("button", name="Mark done").click()
        page.wait_for_load_state()
        assert flash(page) == "Marked done."
        assert page.locator(".file-head .status").inner_text() == "Done"

        page.get_by_role("link", name="← Inbox").click()
        page.wait_for_load_state()
        assert page.locator("tbody tr", has_text="Claire Dupont").count() == 0
    assert morning.read(alert).status is Status.DONE
    recorded = kinds(morning, alert)
    assert recorded == [InteractionKind.CALL_LOG, InteractionKind.EMAIL_REPLY, InteractionKind.CUSTOMER_MESSAGE]


# -- another place's agent -------------------------------------------------------------------------------------------


def routed_urls(desk: Desk, conversation_id: str) -> set[tuple[str, str]]:
    """(method, path) of every console route about one conversation; an ``{action}`` as each of ``actions.py``."""
    console = create_app(desk, passwords={}, secret_key=SECRET)
    urls: set[tuple[str, str]] = set()
    for route in console.routes:
        if isinstance(route, Route) and "{conversation_id}" in route.path:
            path = route.path.replace("{conversation_id}", conversation_id)
            for method in (route.methods or set()) - {"HEAD"}:
                names = sorted(ACTIONS) if "{action}" in path else [""]
                urls |= {(method, path.replace("{action}", name)) for name in names}
    return {(method, path) for method, path in urls if "{" not in path}


def offered_urls(page: Page, conversation_ids: list[str]) -> set[tuple[str, str]]:
    """(method, path and query) of every link, form and form button on the page that leads to one of these
    conversations: what its agent can reach from it."""
    found = page.evaluate(
        """() => [
            ...Array.from(document.querySelectorAll('a[href]'), link => ['GET', link.href]),
            ...Array.from(document.querySelectorAll('form'), form => [form.method.toUpperCase(), form.action]),
            ...Array.from(document.querySelectorAll('button[formaction]'), button => ['POST', button.formAction]),
        ]"""
    )
    urls = {(method, url.split("#")[0].split("://", 1)[1].split("/", 1)[1]) for method, url in found}
    return {
        ("GET" if method == "GET" else "POST", "/" + path)
        for method, path in urls
        if any(conversation in path for conversation in conversation_ids)
    }


def submit(page: Page, action: str, fields: dict[str, str]) -> int:
    """Post a form to ``action`` from the page, with the page's own CSRF token, as a crafted link or a tampered
    form would; the status of the answer."""
    with page.expect_navigation() as navigation:
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = action;
                const token = document.querySelector('input[name=csrf_token]').cloneNode();
                form.append(token);
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement('input');
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }""",
            [action, fields],
        )
    response = navigation.value
    return response.status if response is not None else 0


def test_an_agent_of_another_place_gets_404_on_every_url_of_the_conversations(
    browser: Browser, morning: Morning
) -> None:
    """Bruno (the Gare) signed in, opening or posting to every URL Ana's pages offer about the Opéra's
    conversations, and every route about them: the page of a conversation that does not exist, and nothing
    changes."""
    overnight(morning)
    opera = [conversation.id for conversation in morning.desk.inbox("ana")]
    assert len(opera) == 3
    before = [morning.read(conversation) for conversation in opera]
    offered: set[tuple[str, str]] = set()
    with browsing(browser) as page:
        sign_in(page, morning.console, "ana")
        for conversation in opera:
            page.goto(f"{morning.console}/conversations/{conversation}")
            offered |= offered_urls(page, opera) | {("GET", f"/conversations/{conversation}")}
    file = f"/conversations/{opera[0]}"
    assert {("POST", f"{file}/note"), ("POST", f"{file}/call"), ("POST", f"{file}/done")} <= offered
    urls = offered.union(*(routed_urls(morning.desk, conversation) for conversation in opera))
    fields = {"body": "Hello", "summary": "Spoke.", "channel": "email", "to": "bruno", "addresses": "x@example.com"}
    with browsing(browser) as page:
        sign_in(page, morning.console, "bruno")
        assert "Hugo Weber" in page.locator("tbody").inner_text()
        assert not any(conversation in page.content() for conversation in opera)
        for method, path in sorted(urls):
            if method == "GET":
                response = page.goto(morning.console + path)
                status = response.status if response is not None else 0
            else:
                page.goto(f"{morning.console}/")
                status = submit(page, path, fields)
            assert status == 404, (method, path)
            assert page.get_by_role("heading", name=NOTHING_HERE).is_visible(), (method, path)
    assert [morning.read(conversation) for conversation in opera] == before


# -- what people wrote never runs ------------------------------------------------------------------------------------


def test_script_payloads_in_every_field_stay_text(browser: Browser, morning: Morning, reply_base: str) -> None:
    """The customer's name, comment and answer, and the agent's note, call and reply: shown as typed everywhere."""
    conversation = morning.survey(name=f"Eve {EVIL}", nps=2, comments=f"Cold soup. {EVIL}", email="eve@example.com").id
    watch = watch_console(morning.console)
    with browsing(browser) as page:
        watch.attach(page)
        sign_in(page, morning.console, "ana")
        assert f"Eve {EVIL}" in page.locator("tbody").inner_text()
        watch.assert_nothing_ran(page)
        page.locator("tbody tr a").first.click()
        page.wait_for_load_state()

        page.get_by_label("Internal note (never shown to the customer)").fill(f"note {EVIL}")
        page.get_by_role("button", name="Add note").click()
        page.wait_for_load_state()
        page.get_by_label("What was said").fill(f"call {EVIL}")
        page.get_by_label("Outcome").fill(f"outcome {EVIL}")
        page.get_by_role("button", name="Log call").click()
        page.wait_for_load_state()
        page.get_by_label(f"Message to Eve {EVIL}").fill(f"reply {EVIL}")
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_load_state()
        assert flash(page) == "Your reply is on its way."

        with browsing(browser) as customer:
            customer.goto(morning.emailed_link("eve@example.com", reply_base))
            customer.get_by_role("textbox", name="Your answer").fill(f"answer {EVIL}")
            customer.get_by_role("button", name="Send my answer").click()
            customer.wait_for_load_state()
            assert customer.get_by_role("heading", name="Thank you").is_visible()

        for path in ["/", f"/conversations/{conversation}"]:
            page.goto(morning.console + path)
            watch.assert_nothing_ran(page)
        text = page.locator("main").inner_text()
        for written in ["Eve", "Cold soup.", "note", "call", "outcome", "reply", "answer"]:
            assert f"{written} {EVIL}" in text, written


# -- how it looks ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_the_inbox_and_the_file_fit_the_screen(
    browser: Browser, morning: Morning, tmp_path: Path, width: int, height: int
) -> None:
    """On a phone as on a desktop nothing scrolls sideways; the screenshots are the README's pictures."""
    alert = overnight(morning)
    morning.desk.note(alert, by="ana", body="Claire is a regular: Tuesday lunches with her team.")
    morning.desk.common_replies("ana").add(SORRY)
    morning.desk.hold(morning.survey(name="Jeanne Moreau", nps=6, comments="Noisy room, good food.").id, by="ana")
    folder = screenshots(tmp_path)
    with browsing(browser, width, height) as page:
        sign_in(page, morning.console, "ana")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(folder / f"console-inbox-{width}.png"), full_page=True)

        page.goto(f"{morning.console}/conversations/{alert}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_role("button", name="Send reply").is_visible()
        page.screenshot(path=str(folder / f"console-file-{width}.png"), full_page=True)
    for name in ("inbox", "file"):
        assert (folder / f"console-{name}-{width}.png").stat().st_size > 0

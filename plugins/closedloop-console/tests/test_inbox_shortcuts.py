"""The inbox's keyboard shortcuts: listed on the page, run from static/ under the page's nonce, and in chromium
j/k and the arrows choose a row, x ticks it for the bulk buttons, o and Enter open it; the page works without
them (its links and forms are the same)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from browser_world import password_hashes, sign_in, watch_console
from console_world import SECRET
from console_world import sign_in as sign_in_client
from playwright.sync_api import Browser, Page, expect
from starlette.testclient import TestClient

from closedloop import Contact, Desk, Feedback, Place, Rating, RatingKind, Role, Source, User
from closedloop.testing import FakeClock
from closedloop.testing.smtp import free_port
from closedloop.testing.web import browsing, serving
from closedloop_console import create_app


def test_the_inbox_lists_its_shortcuts_and_loads_their_script_with_the_page_nonce(client: TestClient) -> None:
    sign_in_client(client, "ana")
    page = client.get("/")
    assert page.status_code == 200
    script = re.search(r'<script src="(/static/inbox_shortcuts\.js)" nonce="([^"]+)" defer></script>', page.text)
    assert script is not None
    assert f"'nonce-{script.group(2)}'" in page.headers["content-security-policy"]
    assert client.get(script.group(1)).status_code == 200
    listed = re.findall(r"<dt><kbd>([^<]+)</kbd></dt><dd>([^<]+)</dd>", page.text)
    assert [key for key, _ in listed] == ["j or ↓", "k or ↑", "Enter or o", "x", "/", "?"]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[str]:
    """Ana's inbox with three new conversations, newest first: Chloé, then Bruno, then Alice."""
    clock = FakeClock()
    with Desk.open(f"sqlite:///{tmp_path}/keys.db", clock=clock, load_entry_points=False) as desk:
        desk.add_place(Place(id="opera", name="Chez Nous Opéra"))
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"opera"}))
        for number, name in enumerate(["Alice Aubert", "Bruno Blanc", "Chloé Colin"]):
            clock.advance(timedelta(minutes=1))
            contact = Contact(name=name, email=f"guest{number}@example.com")
            rating = Rating(key="nps", kind=RatingKind.NPS, value=9)
            desk.ingest(
                Feedback(
                    source=Source.SURVEY, external_id=f"k-{number}", place_id="opera", received_at=clock.now(),
                    contact=contact, ratings=[rating], comments="Lovely evening.",
                )
            )  # fmt: skip
        with serving(create_app(desk, passwords=password_hashes(), secret_key=SECRET), free_port()) as base:
            yield base


def chosen(page: Page) -> str:
    return page.locator("tr.row.chosen td.customer a").inner_text()


def test_rows_are_chosen_ticked_and_opened_from_the_keyboard(browser: Browser, console: str) -> None:
    with browsing(browser) as page:
        watch = watch_console(console)
        watch.attach(page)
        sign_in(page, console, "ana")
        page.keyboard.press("j")
        assert chosen(page) == "Chloé Colin"
        page.keyboard.press("j")
        page.keyboard.press("ArrowDown")
        assert chosen(page) == "Alice Aubert"
        page.keyboard.press("k")
        assert chosen(page) == "Bruno Blanc"
        page.keyboard.press("x")
        ticked = page.locator('input[name="conversation"]:checked')
        assert ticked.count() == 1
        assert ticked.get_attribute("aria-label") == "Select Bruno Blanc"
        page.keyboard.press("?")
        assert page.locator("#shortcuts").get_attribute("open") is not None
        page.keyboard.press("/")
        page.keyboard.type("j")  # typed into the search box, not taken as a shortcut
        assert page.locator("#q").input_value() == "j"
        assert chosen(page) == "Bruno Blanc"
        page.keyboard.press("Escape")
        page.keyboard.press("ArrowUp")
        assert chosen(page) == "Bruno Blanc"  # the arrows scroll the page until a row has the focus again
        page.keyboard.press("k")
        page.keyboard.press("o")
        page.wait_for_url(re.compile(r"/conversations/"))
        assert "Chloé Colin" in page.content()
        page.go_back()
        page.wait_for_load_state()
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/conversations/"))
        assert "Chloé Colin" in page.content()
        watch.assert_nothing_ran(page)


def test_j_and_k_on_a_file_walk_the_list_it_was_opened_from(browser: Browser, console: str) -> None:
    """From the inbox, j on Chloé's file goes on to Bruno; from a search that finds only Chloé, j has nowhere to go
    and returns to the results, saying so."""
    with browsing(browser) as page:
        watch = watch_console(console)
        watch.attach(page)
        sign_in(page, console, "ana")
        page.keyboard.press("j")
        page.keyboard.press("o")
        page.wait_for_url(re.compile(r"/conversations/"))
        page.keyboard.press("j")
        expect(page.locator("h1")).to_have_text("Bruno Blanc")  # waits for the page j leads to
        page.keyboard.press("k")
        expect(page.locator("h1")).to_have_text("Chloé Colin")

        page.goto(f"{console}/?q=colin")
        page.keyboard.press("j")
        page.keyboard.press("o")
        page.wait_for_url(re.compile(r"/conversations/.*\?q=colin$"))
        assert page.locator("h1").inner_text() == "Chloé Colin"
        page.keyboard.press("j")
        page.wait_for_url(f"{console}/?q=colin")
        assert "There is no next conversation in the search results from here." in page.content()
        assert page.locator("#q").input_value() == "colin"
        watch.assert_nothing_ran(page)

"""A customer file opened from the inbox's search results walks those results: its previous and next links (the
j and k keys follow them) go through the search's conversations in the order the results page lists them, and
its way back returns to that page; opened from the inbox, it walks the inbox. The search travels in the links'
query string, and a bad or hostile one gets a 4xx, never a 500."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pages_world import Seen, Shop, post_form
from starlette.testclient import TestClient


@pytest.fixture
def ninas(shop: Shop) -> list[str]:
    """Three Ninas among other guests at the Opéra, one of them with an alert (first in the inbox, not in the
    search's newest-first order), made oldest first."""
    made = [
        shop.survey(name="Nina Aubert"),
        shop.survey(name="Hugo Moreau"),
        shop.survey(name="Nina Colin", nps=1),
        shop.survey(name="Léa Roux"),
        shop.survey(name="Nina Durand"),
    ]
    return [conversation.id for conversation in made if conversation.feedback.contact.name.startswith("Nina")]


def file_links(seen: Seen) -> list[str]:
    """The links of the listed rows to their customer files, in the page's order."""
    return [a["href"] for tag, a in seen.tags if tag == "a" and a.get("href", "").startswith("/conversations/")]


def conversation_of(link: str) -> str:
    return urlsplit(link).path.removeprefix("/conversations/")


def walk(browser: TestClient, start: str, rel: str) -> list[str]:
    """The files met following ``rel`` links from the file at ``start`` until the walk ends, and where it ends."""
    met, at = [start], start
    for _ in range(20):
        answer = browser.get(Seen(browser.get(at).text).rel[rel])
        assert answer.status_code == 303
        at = answer.headers["location"]
        if not at.startswith("/conversations/"):
            return [*met, at]
        met.append(at)
    raise AssertionError("the walk went round in circles")


def test_from_the_search_results_next_and_previous_follow_the_results(shop: Shop, ninas: list[str]) -> None:
    ana = shop.client("ana")
    results = Seen(ana.get("/", params={"q": "nina"}).text)
    assert results.rows == ninas[::-1]
    inbox_order = Seen(ana.get("/").text).rows
    assert [row for row in inbox_order if row in ninas] != results.rows  # the two orders differ: the test shows which
    links = file_links(results)
    assert [parse_qs(urlsplit(link).query) for link in links] == [{"q": ["nina"]}] * 3

    forward = walk(ana, links[0], "next")
    assert [conversation_of(link) for link in forward[:-1]] == results.rows
    assert forward[-1] == "/?q=nina"  # past the last result: back to the results, saying so
    ended = Seen(ana.get(forward[-1]).text)
    assert ended.flash() == (False, "There is no next conversation in the search results from here.")
    assert ended.rows == results.rows

    backward = walk(ana, links[-1], "prev")
    assert [conversation_of(link) for link in backward[:-1]] == results.rows[::-1]
    assert backward[-1] == "/?q=nina"

    middle = Seen(ana.get(links[1]).text)
    back = next(a for tag, a in middle.tags if tag == "a" and a.get("href") == "/?q=nina")
    assert (
        back is not None and "← Search results" in middle.text and "Previous and next follow the search" in middle.text
    )


def test_from_the_inbox_next_and_previous_follow_the_inbox(shop: Shop, ninas: list[str]) -> None:
    ana = shop.client("ana")
    inbox = Seen(ana.get("/").text)
    links = file_links(inbox)
    assert [urlsplit(link).query for link in links] == [""] * 5

    forward = walk(ana, links[0], "next")
    assert [conversation_of(link) for link in forward[:-1]] == inbox.rows and forward[-1] == "/"
    backward = walk(ana, links[-1], "prev")
    assert [conversation_of(link) for link in backward[:-1]] == inbox.rows[::-1] and backward[-1] == "/"
    seen = Seen(ana.get(links[0]).text)
    assert "← Inbox" in seen.text and "Previous and next follow the search" not in seen.text


def test_the_walk_keeps_the_searchs_folder_and_place(shop: Shop) -> None:
    at_opera = shop.survey("opera", name="Nina Opéra").id
    first = shop.survey("gare", name="Nina Gare").id
    shop.survey("gare", name="Hugo Gare")
    second = shop.survey("gare", name="Nina Gare Encore").id
    for conversation in (at_opera, first, second):
        shop.clock.advance(timedelta(minutes=1))
        shop.desk.mark_done(conversation, by="mia")
    paula = shop.client("paula")  # the manager of Paris, who sees both places

    results = Seen(paula.get("/", params={"q": "nina", "folder": "done", "place": "gare"}).text)
    assert results.rows == [second, first]
    start = file_links(results)[0]
    assert parse_qs(urlsplit(start).query) == {"q": ["nina"], "folder": ["done"], "place": ["gare"]}
    forward = walk(paula, start, "next")
    assert [conversation_of(link) for link in forward[:-1]] == [second, first]
    assert forward[-1] == "/?folder=done&place=gare&q=nina"
    assert Seen(paula.get(forward[-1]).text).rows == [second, first]


def test_acting_on_a_file_opened_from_a_search_keeps_the_search(shop: Shop, ninas: list[str]) -> None:
    ana = shop.client("ana")
    link = file_links(Seen(ana.get("/", params={"q": "nina"}).text))[1]
    seen = Seen(ana.get(link).text)
    actions = [a["action"] for tag, a in seen.tags if tag == "form" and a.get("method") == "post"]
    note = next(action for action in actions if action.endswith("/note?q=nina"))
    assert all(action.endswith("?q=nina") for action in actions if "/conversations/" in action)
    assert any(action.endswith("/done?q=nina") for action in actions)

    answer = post_form(ana, link, note, {"body": "Called back, all fine."})

    assert answer.status_code == 303 and answer.headers["location"] == link
    assert Seen(ana.get(link).text).rel["next"].endswith("/step/next?q=nina")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": "nina", "folder": "nowhere"}, 400),  # no such folder
        ({"q": "nina", "place": "lyon"}, 400),  # a place Ana does not see
        ({"q": "nina", "place": "<script>"}, 400),  # no place's id at all
        ({"q": "?! ..."}, 400),  # text the desk refuses to search for
        ({"q": "nina\x00\x07"}, 400),  # control characters
        ({"q": "nina", "after": "forged"}, 303),  # a cursor is no part of the walk: ignored
    ],
)
def test_a_bad_or_hostile_search_gets_a_clear_4xx(
    shop: Shop, ninas: list[str], query: dict[str, str], status: int
) -> None:
    ana = shop.client("ana")
    answer = ana.get(f"/conversations/{ninas[0]}/step/next", params=query)
    assert answer.status_code == status
    if status == 400:
        reason = "There is no such folder or category." if "folder" in query else "This search cannot be walked"
        assert reason in answer.text and "Back to the inbox" in answer.text


def test_a_hostile_search_in_the_files_address_stays_text_or_is_refused(shop: Shop, ninas: list[str]) -> None:
    ana = shop.client("ana")
    payload = '"><script>alert(1)</script>'
    answer = ana.get(f"/conversations/{ninas[0]}", params={"q": payload})
    assert answer.status_code == 200
    seen = Seen(answer.text)
    assert "<script>alert" not in answer.text and payload in seen.text
    assert all("nonce" in a for tag, a in seen.tags if tag == "script")
    assert parse_qs(urlsplit(seen.rel["next"]).query)["q"] == [payload]

    assert ana.get(f"/conversations/{ninas[0]}", params={"q": "nina", "folder": "nowhere"}).status_code == 400
    blank = Seen(ana.get(f"/conversations/{ninas[0]}", params={"q": "   "}).text)
    assert blank.rel["next"] == f"/conversations/{ninas[0]}/step/next"  # no search: the inbox walk
    long = Seen(ana.get(f"/conversations/{ninas[0]}", params={"q": "nina " * 100}).text)
    assert len(parse_qs(urlsplit(long.rel["next"]).query)["q"][0]) <= 200


def test_another_places_agent_gets_the_same_404_with_or_without_a_search(shop: Shop, ninas: list[str]) -> None:
    bruno = shop.client("bruno")
    for ending in ["", "/step/next", "/step/previous"]:
        assert bruno.get(f"/conversations/{ninas[0]}{ending}", params={"q": "nina"}).status_code == 404, ending

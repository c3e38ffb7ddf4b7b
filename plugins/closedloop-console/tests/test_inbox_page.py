"""The inbox page over HTTP: what each user lists per folder, category and place, its counts, its paging, and
marking ticked rows done or spam."""

from __future__ import annotations

import re

import pytest
from console_world import CHEAP, SECRET, csrf_of
from pages_world import PASSWORD, Seen, Shop, post_form
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from closedloop import Folder, Status
from closedloop_console import create_app


def counts_shown(seen: Seen) -> dict[str, int]:
    """Each tab's label and the count beside it, as the page shows them ("Inbox 3", "Alerts 1")."""
    found = re.findall(r'class="tab[^"]*"[^>]*>([^<]+?) <span class="count">(\d+)</span>', seen.source)
    return {label: int(count) for label, count in found}


def test_the_inbox_lists_the_users_conversations_in_priority_order_with_their_counts(shop: Shop) -> None:
    """On hold first, then alerts, then new messages, newest first within each; another place's never."""
    calm = shop.survey(name="Calm Carla").id
    detractor = shop.survey(name="Angry Albert", nps=2).id
    held = shop.survey(name="Held Hugo").id
    newest = shop.survey(name="Newest Nina").id
    elsewhere = shop.survey("gare", name="Gare Gaston").id
    done = shop.survey(name="Done Dora").id
    spam = shop.survey(name="Spam Sam").id
    shop.desk.hold(held, by="ana")
    shop.desk.mark_done(done, by="ana")
    shop.desk.mark_spam(spam, by="ana")

    seen = Seen(shop.client("ana").get("/").text)

    assert seen.rows == [held, detractor, newest, calm]
    assert elsewhere not in seen.source and "Gare Gaston" not in seen.text
    assert counts_shown(seen) == {
        "Inbox": 4, "Done": 1, "Spam": 1, "All": 4, "On hold": 1, "Alerts": 1, "New messages": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?category=on_hold", ["held"]),
        ("?category=alert", ["detractor"]),
        ("?category=new_message", ["calm"]),
        ("?folder=done", ["done"]),
        ("?folder=spam", ["spam"]),
    ],
)
def test_each_folder_and_category_lists_its_own_rows(shop: Shop, query: str, expected: list[str]) -> None:
    made = {
        "calm": shop.survey().id,
        "detractor": shop.survey(nps=1).id,
        "held": shop.survey().id,
        "done": shop.survey().id,
        "spam": shop.survey().id,
    }
    shop.desk.hold(made["held"], by="ana")
    shop.desk.mark_done(made["done"], by="ana")
    shop.desk.mark_spam(made["spam"], by="ana")

    seen = Seen(shop.client("ana").get("/" + query).text)

    assert seen.rows == [made[name] for name in expected]
    assert 'aria-current="page"' in seen.source


def test_a_row_shows_customer_ratings_alert_status_place_and_who_updated_it_last(shop: Shop) -> None:
    conversation = shop.survey(name="Claire Dupont", nps=3).id
    shop.desk.note(conversation, by="ana", body="Calling her tomorrow.")

    seen = Seen(shop.client("ana").get("/").text)
    row = re.search(r'<tr class="row [^"]*">.*?</tr>', seen.source, flags=re.DOTALL)

    assert row is not None
    text = Seen(row.group(0)).text
    assert "Claire Dupont" in text and "NPS 3/10" in text
    assert 'aria-label="Alert"' in row.group(0) and "has-alert" in row.group(0)
    assert "status-pending_action" in row.group(0) and "Pending action" in text
    assert "Chez Nous Opéra" in text and "by Ana Roux" in text
    assert f'href="/conversations/{conversation}"' in row.group(0)


def test_the_place_filter_offers_the_users_places_and_groups_and_narrows_the_list(shop: Shop) -> None:
    opera, gare, lyon = shop.survey("opera").id, shop.survey("gare").id, shop.survey("lyon").id
    paula = shop.client("paula")  # a manager of the Paris group: the Opéra and the Gare

    everything = Seen(paula.get("/").text)
    options = re.findall(r'<option value="([^"]*)"', everything.source)

    assert everything.rows == [gare, opera]
    assert options == ["", "paris", "gare", "opera"]  # every place, the group, then each place by name
    assert Seen(paula.get("/?place=gare").text).rows == [gare]
    assert Seen(paula.get("/?place=paris").text).rows == [gare, opera]
    assert counts_shown(Seen(paula.get("/?place=opera").text))["Inbox"] == 1
    assert Seen(shop.client("mia").get("/?place=lyon").text).rows == [lyon]


def test_a_place_the_user_does_not_see_gets_the_same_404_as_one_that_does_not_exist(shop: Shop) -> None:
    shop.survey("lyon")
    ana = shop.client("ana")

    other, unknown = ana.get("/?place=lyon"), ana.get("/?place=atlantis")

    assert other.status_code == unknown.status_code == 404
    assert Seen(other.text).text == Seen(unknown.text).text
    assert "Lyon" not in other.text


@pytest.mark.parametrize("query", ["?folder=archive", "?category=urgent", "?after=not-a-cursor"])
def test_a_query_the_console_never_makes_is_a_400_not_a_crash(shop: Shop, query: str) -> None:
    shop.survey()
    assert shop.client("ana").get("/" + query).status_code == 400


def test_paging_walks_every_conversation_once_through_the_next_page_links(shop: Shop) -> None:
    made = [shop.survey(name=f"Guest {number}").id for number in range(112)]
    ana = shop.client("ana")

    pages, listed, path = [], [], "/"
    while path:
        seen = Seen(ana.get(path).text)
        pages.append(len(seen.rows))
        listed.extend(seen.rows)
        path = seen.rel.get("next", "").replace("&amp;", "&")

    assert pages == [50, 50, 12]
    assert listed == list(reversed(made))  # newest first, none twice, none left out


def test_paging_keeps_the_filter(shop: Shop) -> None:
    alerts = [shop.survey(nps=0).id for _ in range(55)]
    for _ in range(5):
        shop.survey()
    ana = shop.client("ana")

    first = Seen(ana.get("/?category=alert").text)
    second = Seen(ana.get(first.rel["next"]).text)

    assert "category=alert" in first.rel["next"]
    assert first.rows + second.rows == list(reversed(alerts))
    assert "next" not in second.rel and second.rel["first"] == "/?category=alert"


def test_bulk_marks_the_ticked_conversations_done_and_says_how_many(shop: Shop) -> None:
    first, second, untouched = shop.survey().id, shop.survey().id, shop.survey().id
    ana = shop.client("ana")

    answer = post_form(ana, "/", "/bulk", {"action": "done", "conversation": [first, second]})

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert shop.read(first).folder is shop.read(second).folder is Folder.DONE
    assert shop.read(untouched).folder is Folder.INBOX
    shown = Seen(ana.get("/").text)
    assert shown.flash() == (True, "2 conversations marked done.")
    assert shown.rows == [untouched]
    assert Seen(ana.get("/").text).flash() is None  # said once


def test_bulk_spam_returns_to_the_same_view(shop: Shop) -> None:
    alert = shop.survey(nps=0).id
    ana = shop.client("ana")

    answer = post_form(ana, "/?category=alert", "/bulk", {"action": "spam", "conversation": alert, "category": "alert"})

    assert answer.headers["location"] == "/?category=alert"
    assert shop.read(alert).status is Status.SPAM


def test_bulk_never_changes_a_conversation_the_user_does_not_see_nor_names_it(shop: Shop) -> None:
    own, foreign = shop.survey("opera").id, shop.survey("gare").id
    ana = shop.client("ana")

    post_form(ana, "/", "/bulk", {"action": "done", "conversation": [own, foreign, "no-such-id"]})

    assert shop.read(own).status is Status.DONE
    assert shop.read(foreign).status is Status.NEW
    flash = Seen(ana.get("/?folder=done").text).flash()
    assert flash is not None and flash[0] is False
    assert flash[1].startswith("1 conversation marked done. 2 could not be changed")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "done"}, "Tick at least one conversation first."),
        ({"action": "archive", "conversation": "x"}, "Choose done or spam for the ticked conversations."),
    ],
)
def test_a_bulk_post_without_rows_or_action_changes_nothing(shop: Shop, fields: dict[str, str], message: str) -> None:
    kept = shop.survey().id
    ana = shop.client("ana")

    assert post_form(ana, "/", "/bulk", fields).status_code == 303
    assert Seen(ana.get("/").text).flash() == (False, message)
    assert shop.read(kept).status is Status.NEW


def test_a_bulk_post_without_the_csrf_token_changes_nothing(shop: Shop) -> None:
    kept = shop.survey().id
    answer = shop.client("ana").post("/bulk", data={"action": "done", "conversation": kept})
    assert answer.status_code == 403
    assert shop.read(kept).status is Status.NEW


def test_mounted_under_a_path_every_link_form_and_redirect_stays_under_it(shop: Shop) -> None:
    conversation = shop.survey().id
    hashes = {"ana": CHEAP.hash(PASSWORD)}
    outer = Starlette(routes=[Mount("/console", app=create_app(shop.desk, passwords=hashes, secret_key=SECRET))])
    browser = TestClient(outer, follow_redirects=False)
    form = browser.get("/console/sign-in")
    browser.post("/console/sign-in", data={"user": "ana", "password": PASSWORD, "csrf_token": csrf_of(form.text)})

    inbox = Seen(browser.get("/console/").text)
    file_page = Seen(browser.get(f"/console/conversations/{conversation}").text)
    token = csrf_of(file_page.source)
    noted = browser.post(f"/console/conversations/{conversation}/note", data={"csrf_token": token, "body": "Hi"})
    bulk = browser.post("/console/bulk", data={"csrf_token": token, "action": "done", "conversation": conversation})

    addresses = [
        attributes.get("href") or attributes.get("action") or ""
        for seen in (inbox, file_page)
        for tag, attributes in seen.tags
        if tag in ("a", "form", "link")
    ]
    assert addresses and all(address.startswith("/console/") for address in addresses), addresses
    assert noted.headers["location"] == f"/console/conversations/{conversation}"
    assert bulk.headers["location"] == "/console/"
    assert shop.read(conversation).status is Status.DONE

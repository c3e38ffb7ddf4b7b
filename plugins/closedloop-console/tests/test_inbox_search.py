"""The inbox's search box over HTTP: a GET form that needs no script, results in the inbox's own rows and paging,
only ever the signed-in user's conversations, and whatever is typed shown as text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pages_world import Seen, Shop

from closedloop import Comment


def search_form(seen: Seen) -> dict[str, str]:
    """The search form's tag, which must be a GET form to the inbox, and its search field."""
    forms = [attributes for tag, attributes in seen.tags if tag == "form" and attributes.get("role") == "search"]
    assert len(forms) == 1
    fields = [attributes for tag, attributes in seen.tags if tag == "input" and attributes.get("name") == "q"]
    assert fields and fields[0]["type"] == "search"
    return forms[0]


def test_the_search_box_is_a_plain_get_form_and_finds_by_name_email_phone_or_words(shop: Shop) -> None:
    claire = shop.survey(name="Claire Lefèvre", comments="The soufflé was perfect").id
    other = shop.survey(name="Hugo Moreau", comments="Too noisy").id
    browser = shop.client("ana")

    form = search_form(Seen(browser.get("/").text))
    assert (form["method"], form["action"]) == ("get", "/")

    for text in ("claire", "LEFEVRE", "clai", "guest1@example.com", "souffle perfect"):
        seen = Seen(browser.get("/", params={"q": text}).text)
        assert seen.rows == [claire], text
        assert "Claire Lefèvre" in seen.text
    both = Seen(browser.get("/", params={"q": "+33 6 12 34 56 78"}).text)
    assert both.rows == [other, claire]  # newest activity first
    assert Seen(browser.get("/", params={"q": "nobody"}).text).rows == []


def test_another_places_conversations_never_show(shop: Shop) -> None:
    shop.survey(name="Claire Opéra")
    gare = shop.survey("gare", name="Claire Gare").id
    lyon = shop.survey("lyon", name="Claire Lyon").id

    ana = Seen(shop.client("ana").get("/", params={"q": "claire"}).text)
    assert len(ana.rows) == 1 and gare not in ana.source and lyon not in ana.source
    assert "Claire Gare" not in ana.text and "Claire Lyon" not in ana.text
    assert shop.client("ana").get("/", params={"q": "claire", "place": "gare"}).status_code == 404
    assert Seen(shop.client("bruno").get("/", params={"q": "claire"}).text).rows == [gare]
    assert Seen(shop.client("paula").get("/", params={"q": "claire gare"}).text).rows == [gare]


def test_results_page_through_next_links_that_keep_the_search(shop: Shop) -> None:
    made = [shop.survey(name=f"Guest {number}", comments="Birthday dinner").id for number in range(53)]
    shop.survey(name="Someone Else", comments="Business lunch")
    browser = shop.client("ana")

    first = Seen(browser.get("/", params={"q": "birthday"}).text)
    assert len(first.rows) == 50
    assert parse_qs(urlsplit(first.rel["next"]).query)["q"] == ["birthday"]
    second = Seen(browser.get(first.rel["next"]).text)
    assert "next" not in second.rel
    assert first.rows + second.rows == made[::-1]


def test_the_search_keeps_to_the_folder_shown_and_the_tabs_keep_it(shop: Shop) -> None:
    open_one = shop.survey(name="Nina Petit").id
    done = shop.survey(name="Nina Durand").id
    shop.desk.mark_done(done, by="ana")
    browser = shop.client("ana")

    inbox = Seen(browser.get("/", params={"q": "nina"}).text)
    assert inbox.rows == [open_one]
    done_tab = next(a["href"] for tag, a in inbox.tags if tag == "a" and "folder=done" in a.get("href", ""))
    assert parse_qs(urlsplit(done_tab).query)["q"] == ["nina"]
    assert Seen(browser.get(done_tab).text).rows == [done]
    cleared = next(a["href"] for tag, a in inbox.tags if tag == "a" and a.get("href") == "/")
    assert Seen(browser.get(cleared).text).rows == [open_one]


def test_text_the_desk_refuses_shows_why_with_no_rows(shop: Shop) -> None:
    shop.survey(name="Claire Dupont")
    answer = shop.client("ana").get("/", params={"q": "?! ..."})
    assert answer.status_code == 200
    seen = Seen(answer.text)
    assert seen.rows == [] and "a letter or a digit" in seen.text
    assert shop.client("ana").get("/", params={"q": "claire", "after": "forged"}).status_code == 400


def test_a_script_payload_as_search_text_stays_text(shop: Shop) -> None:
    payload = '<script>alert("q")</script><img src=x onerror=alert(1)>'
    shop.survey(name="Script Kiddie", comments=[Comment(text=f"I typed {payload} here")])
    seen = Seen(shop.client("ana").get("/", params={"q": payload}).text)

    assert "<script>alert" not in seen.source and "<img src=x" not in seen.source
    assert not any(tag == "img" for tag, _ in seen.tags)
    assert all("nonce" in attributes or "src" in attributes for tag, attributes in seen.tags if tag == "script")
    assert payload in seen.text  # shown as typed, in the box and in the line saying what was searched
    field = next(attributes for tag, attributes in seen.tags if tag == "input" and attributes.get("name") == "q")
    assert field["value"] == payload
    assert len(seen.rows) == 1  # its words are searched for, and the comment that holds them is found

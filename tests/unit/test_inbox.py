"""The inbox: priority order, keyset paging, folder / category / place filters, and counts."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

import closedloop as cl

PLAIN = {"ratings": [cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=9)]}
ALERTING = {"ratings": [cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=2)]}


@pytest.fixture
def arrive(seeded_desk, make_feedback, clock) -> Callable[..., str]:
    """``arrive(alert=False, place_id="paris")``: a minute later, new feedback arrives; returns its id."""

    def arrive_(alert: bool = False, place_id: str = "paris", tick: bool = True) -> str:
        if tick:
            clock.advance(minutes=1)
        return seeded_desk.ingest(make_feedback(place_id=place_id, **(ALERTING if alert else PLAIN))).id

    return arrive_


def ids(page: cl.Page[cl.Conversation]) -> list[str]:
    return [conversation.id for conversation in page]


def test_on_hold_then_alert_then_new_message_each_most_recent_first(seeded_desk, arrive, clock):
    a, b, c, d, e = arrive(), arrive(alert=True), arrive(), arrive(alert=True), arrive()
    clock.advance(minutes=1)
    seeded_desk.hold(e, by="admin")
    clock.advance(minutes=1)
    seeded_desk.hold(a, by="admin")
    clock.advance(minutes=1)
    seeded_desk.note(c, by="admin", body="Touched last, so first of its category.")
    f = arrive()

    page = seeded_desk.inbox("admin")

    assert ids(page) == [a, e, d, b, f, c]
    assert [conversation.category for conversation in page] == [cl.Category.ON_HOLD] * 2 + [cl.Category.ALERT] * 2 + [
        cl.Category.NEW_MESSAGE
    ] * 2
    assert page.next is None


def test_a_processed_alert_drops_to_new_messages(seeded_desk, arrive):
    plain, alerting = arrive(), arrive(alert=True)
    assert ids(seeded_desk.inbox("admin")) == [alerting, plain]

    seeded_desk.note(alerting, by="admin", body="Sorted.", alert_status="processed")

    assert ids(seeded_desk.inbox("admin")) == [alerting, plain]  # updated last, so first among new messages
    assert seeded_desk.conversation(alerting, by="admin").category is cl.Category.NEW_MESSAGE
    assert seeded_desk.counts("admin").alert == 0


def test_releasing_a_hold_puts_it_back_in_its_category(seeded_desk, arrive):
    first, second = arrive(), arrive()
    seeded_desk.hold(first, by="admin")
    assert ids(seeded_desk.inbox("admin")) == [first, second]

    seeded_desk.release(first, by="admin")

    assert ids(seeded_desk.inbox("admin", category="on_hold")) == []
    assert seeded_desk.conversation(first, by="admin").category is cl.Category.NEW_MESSAGE


# -- paging --------------------------------------------------------------------------------------------------


def walk(desk: cl.Desk, limit: int, **filters: object) -> list[list[str]]:
    pages, after = [], None
    while True:
        page = desk.inbox("admin", limit=limit, after=after, **filters)
        pages.append(ids(page))
        if page.next is None:
            return pages
        after = page.next


@pytest.fixture
def crowded(seeded_desk, arrive) -> list[str]:
    """25 conversations across all three categories, some arriving in the same instant."""
    made = []
    for n in range(25):
        made.append(arrive(alert=n % 3 == 0, place_id="lyon" if n % 2 else "paris", tick=n % 4 != 0))
        if n % 5 == 0:
            seeded_desk.hold(made[-1], by="admin")
    return made


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 24, 25, 26])
def test_paging_covers_every_item_exactly_once_in_order(seeded_desk, crowded, limit):
    everything = ids(seeded_desk.inbox("admin", limit=500))

    pages = walk(seeded_desk, limit)

    assert [item for page in pages for item in page] == everything
    assert sorted(everything) == sorted(crowded)
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit


def test_paging_breaks_ties_of_the_same_instant(seeded_desk, arrive):
    made = [arrive(tick=False) for _ in range(9)]

    pages = walk(seeded_desk, 4)

    flat = [item for page in pages for item in page]
    assert flat == sorted(made, reverse=True)
    assert [len(page) for page in pages] == [4, 4, 1]


def test_paging_with_filters(seeded_desk, crowded):
    everything = ids(seeded_desk.inbox("admin", category="alert", places="lyon", limit=500))

    pages = walk(seeded_desk, 2, category="alert", places="lyon")

    assert [item for page in pages for item in page] == everything
    assert everything


def test_the_last_page_has_no_next(seeded_desk, arrive):
    arrive()
    arrive()

    assert seeded_desk.inbox("admin", limit=2).next is None
    assert seeded_desk.inbox("admin", limit=1).next is not None


def test_an_empty_inbox_is_one_empty_page(seeded_desk):
    page = seeded_desk.inbox("admin")

    assert (page.items, page.next) == ([], None)


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "after",
    [
        "",
        "not a cursor",
        "!!!",
        cursor({"rank": 0}),
        cursor([0, "yesterday", "abc"]),
        cursor([0, "2026-01-05T09:00:00+00:00"]),
        cursor("text"),
        123,
    ],
)
def test_an_invalid_cursor_is_refused(seeded_desk, arrive, after):
    arrive()

    with pytest.raises(cl.InvalidInput, match="cursor"):
        seeded_desk.inbox("admin", after=after)


@pytest.mark.parametrize("limit", [0, -1, 501, 1.5, "10", None, True])
def test_an_invalid_limit_is_refused(seeded_desk, limit):
    with pytest.raises(cl.InvalidInput, match="limit"):
        seeded_desk.inbox("admin", limit=limit)


# -- filters -------------------------------------------------------------------------------------------------


@pytest.fixture
def spread(seeded_desk, arrive) -> dict[str, str]:
    """One conversation of each kind: paris plain / alert / held / done, lyon spam (alert left open) / plain."""
    made = {
        "paris plain": arrive(),
        "paris alert": arrive(alert=True),
        "paris held": arrive(),
        "paris done": arrive(alert=True),
        "lyon spam": arrive(alert=True, place_id="lyon"),
        "lyon plain": arrive(place_id="lyon"),
    }
    seeded_desk.hold(made["paris held"], by="admin")
    seeded_desk.mark_done(made["paris done"], by="admin")
    seeded_desk.mark_spam(made["lyon spam"], by="admin")
    return made


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (cl.Folder.INBOX, {"paris plain", "paris alert", "paris held", "lyon plain"}),
        ("inbox", {"paris plain", "paris alert", "paris held", "lyon plain"}),
        (cl.Folder.DONE, {"paris done"}),
        ("spam", {"lyon spam"}),
    ],
)
def test_folder_filter(seeded_desk, spread, folder, expected):
    assert set(ids(seeded_desk.inbox("admin", folder=folder))) == {spread[name] for name in expected}


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (cl.Category.ON_HOLD, {"paris held"}),
        ("alert", {"paris alert"}),
        (cl.Category.NEW_MESSAGE, {"paris plain", "lyon plain"}),
    ],
)
def test_category_filter(seeded_desk, spread, category, expected):
    assert set(ids(seeded_desk.inbox("admin", category=category))) == {spread[name] for name in expected}


def test_category_filter_within_another_folder(seeded_desk, spread):
    assert ids(seeded_desk.inbox("admin", folder="spam", category="alert")) == [spread["lyon spam"]]


@pytest.mark.parametrize(("folder", "category"), [("archive", None), ("inbox", "urgent")])
def test_unknown_folder_or_category_is_refused(seeded_desk, folder, category):
    with pytest.raises(cl.InvalidInput):
        seeded_desk.inbox("admin", folder=folder, category=category)


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        ("lyon", {"lyon plain"}),
        (["paris"], {"paris plain", "paris alert", "paris held"}),
        ("france", {"paris plain", "paris alert", "paris held", "lyon plain"}),
        (["lyon", "france"], {"paris plain", "paris alert", "paris held", "lyon plain"}),
        ([], set()),
    ],
)
def test_places_filter_by_place_or_group(seeded_desk, spread, places, expected):
    assert set(ids(seeded_desk.inbox("admin", places=places))) == {spread[name] for name in expected}


def test_a_group_filter_yields_only_the_places_the_user_sees(seeded_desk, spread):
    assert ids(seeded_desk.inbox("agent", places="france")) == [spread["lyon plain"]]


def test_an_unknown_place_or_group_filter_is_refused(seeded_desk, spread):
    with pytest.raises(cl.InvalidInput, match="marseille"):
        seeded_desk.inbox("admin", places=["marseille"])


# -- counts --------------------------------------------------------------------------------------------------


def test_counts_per_folder_and_per_inbox_category(seeded_desk, spread):
    counts = seeded_desk.counts("admin")

    assert (counts.inbox, counts.done, counts.spam) == (4, 1, 1)
    assert (counts.on_hold, counts.alert, counts.new_message) == (1, 1, 2)
    assert counts["inbox"] == 4
    assert counts[cl.Category.ALERT] == 1  # the spam's open alert is not counted: it is not in the inbox
    assert counts.folders == {cl.Folder.INBOX: 4, cl.Folder.DONE: 1, cl.Folder.SPAM: 1}
    with pytest.raises(KeyError):
        counts["archive"]


def test_counts_agree_with_the_listing(seeded_desk, spread):
    counts = seeded_desk.counts("admin")

    for folder in cl.Folder:
        assert counts.folders[folder] == len(seeded_desk.inbox("admin", folder=folder))
    for category in cl.Category:
        assert counts.categories[category] == len(seeded_desk.inbox("admin", category=category))


@pytest.mark.parametrize(("user", "places"), [("agent", None), ("admin", "lyon"), ("manager", ["lyon"])])
def test_counts_follow_the_users_scope_and_filter(seeded_desk, spread, user, places):
    counts = seeded_desk.counts(user, places=places)

    assert (counts.inbox, counts.done, counts.spam) == (1, 0, 1)
    assert (counts.on_hold, counts.alert, counts.new_message) == (0, 0, 1)

"""No stored document can poison a page (issue 13), on SQLite and PostgreSQL, with rows really altered in the
database as someone editing it by hand (or a faulty release) would leave them:

- asking for a conversation that cannot be read back raises :class:`UnreadableRecord` naming it and the fix,
  without repeating what it holds;
- an inbox page shows every other conversation and names the unreadable one in ``page.unreadable``, in its
  place: walking the inbox page by page meets each conversation once, and the counts stay as they are;
- a template, group, user or outbound message that cannot be read back is named the same way when a list
  holding it is read: a desk never decides who sees what, or what a customer is told, from a list with a
  member left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from closedloop import (
    Desk,
    Feedback,
    Place,
    PlaceGroup,
    Role,
    Template,
    UnreadableRecord,
    User,
)

SECRET = "the customer's private words"
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

Document = dict[str, Any]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    return str(request.getfixturevalue("postgres_url"))


def build(url: str, conversations: int = 5) -> list[str]:
    """A place, its manager in a group, an organisation template, and conversations received a minute
    apart; returns their ids, newest first (the inbox's order)."""
    with Desk.open(url) as desk:
        desk.add_place(Place(id="lyon", name="Lyon"))
        desk.add_group(PlaceGroup(id="south", name="South", place_ids={"lyon"}))
        desk.add_user(User(id="root", name="Rose", role=Role.ADMIN))
        desk.add_user(User(id="ana", name="Ana", role=Role.MANAGER, groups={"south"}))
        desk.templates("root").add(Template(id="sorry", name="Apology", body="We are sorry, {first_name}."))
        ids = [
            desk.ingest(
                Feedback(
                    source="survey",
                    external_id=f"survey-{number}",
                    place_id="lyon",
                    received_at=START + timedelta(minutes=number),
                    comments=SECRET,
                )
            ).id
            for number in range(conversations)
        ]
    inbox_order = sorted(ids, key=lambda conversation_id: ids.index(conversation_id), reverse=True)
    with Desk.open(url) as desk:
        assert [conversation.id for conversation in desk.inbox("ana")] == inbox_order, "the sample's order moved"
    return inbox_order


def alter(url: str, table: str, key: str, value: str, change: Callable[[str], str]) -> None:
    """Rewrite one stored document in place, through the database itself."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            found = connection.execute(text(f"SELECT document FROM {table} WHERE {key} = :value"), {"value": value})
            document = found.scalar_one()
            connection.execute(
                text(f"UPDATE {table} SET document = :document WHERE {key} = :value"),
                {"document": change(document), "value": value},
            )
    finally:
        engine.dispose()


def edited(edit: Callable[[Document], None]) -> Callable[[str], str]:
    def change(document: str) -> str:
        data = json.loads(document)
        edit(data)
        return json.dumps(data)

    return change


ALTERATIONS: dict[str, Callable[[str], str]] = {
    "not JSON any more": lambda document: document[: len(document) // 2],
    "a status nobody knows": edited(lambda data: data.update(status="teleported")),
    "a date that is no date": edited(lambda data: data["feedback"].update(received_at={"day": "Monday"})),
    "its feedback gone": edited(lambda data: data.pop("feedback")),
}


@pytest.mark.parametrize("alteration", sorted(ALTERATIONS))
def test_an_unreadable_conversation_is_named_with_the_fix_and_the_inbox_shows_the_rest(
    alteration: str, url: str
) -> None:
    ids = build(url)
    bad = ids[2]
    alter(url, "cl_conversations", "id", bad, ALTERATIONS[alteration])

    with Desk.open(url) as desk:
        for read in (desk.conversation, desk.customer_file, desk.export_file):
            with pytest.raises(UnreadableRecord) as refused:
                read(bad, by="ana")
            said = str(refused.value)
            assert said.startswith(f"conversation {bad!r} cannot be read back: its stored document ")
            assert said.endswith(
                "restore its row in cl_conversations from a backup, or delete that row if the conversation is lost"
            )
            assert SECRET not in said and "Monday" not in said and "teleported" not in said

        page = desk.inbox("ana")
        assert [conversation.id for conversation in page] == [ids[0], ids[1], ids[3], ids[4]]
        assert page.unreadable == (bad,)
        assert page.next is None
        assert desk.counts("ana").inbox == len(ids), "the counts count the unreadable conversation still"

        for limit in (1, 2, 3):
            shown, unreadable = walk(desk, limit)
            assert shown == [ids[0], ids[1], ids[3], ids[4]], limit
            assert unreadable == [bad], limit

        desk.note(ids[3], by="ana", body="Called back")  # the others go on as usual
        assert "Called back" in [entry.body for entry in desk.conversation(ids[3], by="ana").history]


def walk(desk: Desk, limit: int) -> tuple[list[str], list[str]]:
    """Every page of the inbox, ``limit`` at a time: the conversations shown and those reported unreadable."""
    shown: list[str] = []
    unreadable: list[str] = []
    after = None
    while True:
        page = desk.inbox("ana", limit=limit, after=after)
        assert len(page) + len(page.unreadable) <= limit
        shown += [conversation.id for conversation in page]
        unreadable += page.unreadable
        if page.next is None:
            return shown, unreadable
        after = page.next


def test_a_healthy_page_reports_nothing_unreadable_and_equals_a_page_built_by_hand(url: str) -> None:
    ids = build(url, conversations=2)
    with Desk.open(url) as desk:
        page = desk.inbox("ana")
        assert [conversation.id for conversation in page] == ids and page.unreadable == ()
        assert page == type(page)(list(page.items), None)


def test_an_unreadable_conversation_on_the_last_place_of_a_page_moves_the_cursor_past_it(url: str) -> None:
    ids = build(url, conversations=3)
    alter(url, "cl_conversations", "id", ids[1], ALTERATIONS["not JSON any more"])
    with Desk.open(url) as desk:
        first = desk.inbox("ana", limit=2)
        assert [conversation.id for conversation in first] == [ids[0]] and first.unreadable == (ids[1],)
        second = desk.inbox("ana", limit=2, after=first.next)
        assert [conversation.id for conversation in second] == [ids[2]] and second.unreadable == ()


def test_a_page_of_nothing_but_unreadable_conversations_still_leads_to_the_next(url: str) -> None:
    ids = build(url, conversations=3)
    for conversation_id in ids[:2]:
        alter(url, "cl_conversations", "id", conversation_id, ALTERATIONS["its feedback gone"])
    with Desk.open(url) as desk:
        first = desk.inbox("ana", limit=2)
        assert list(first) == [] and first.unreadable == tuple(ids[:2]) and first.next is not None
        assert [conversation.id for conversation in desk.inbox("ana", limit=2, after=first.next)] == [ids[2]]


def test_an_unreadable_template_is_named_when_the_library_is_listed(url: str) -> None:
    build(url, conversations=1)
    alter(url, "cl_templates", "id", "sorry", edited(lambda data: data.update(body=["not", "a", "text"], level=7)))
    with Desk.open(url) as desk:
        for read in (lambda: desk.templates("ana").list(), lambda: desk.templates("ana").get("sorry")):
            with pytest.raises(UnreadableRecord) as refused:
                read()
            assert str(refused.value).startswith("template 'sorry' cannot be read back: its stored document ")
            assert str(refused.value).endswith("restore its row in cl_templates from a backup, or delete that row")


def test_an_unreadable_group_is_named_rather_than_left_out_of_who_sees_what(url: str) -> None:
    build(url, conversations=1)
    alter(url, "cl_groups", "id", "south", lambda document: "{" + document)
    with Desk.open(url) as desk, pytest.raises(UnreadableRecord) as refused:
        desk.inbox("ana")
    assert str(refused.value) == (
        "group 'south' cannot be read back: its stored document is not valid JSON; restore its row in cl_groups "
        "from a backup, or delete that row"
    )


def test_an_unreadable_user_is_named(url: str) -> None:
    build(url, conversations=1)
    alter(url, "cl_users", "id", "ana", edited(lambda data: data.pop("id")))
    with Desk.open(url) as desk, pytest.raises(UnreadableRecord) as refused:
        desk.inbox("ana")
    assert str(refused.value).startswith("user 'ana' cannot be read back: its stored document does not describe a User")

"""``desk.places(user)``: the places and groups a user is offered, within their scope, and current at once
after any change to the directory, made through this desk, another desk on the same file, or rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from closedloop import (
    AccessDenied,
    Contact,
    Desk,
    Feedback,
    InvalidInput,
    NotFound,
    Place,
    PlaceGroup,
    PlacesSeen,
    Role,
    Source,
    User,
)


def seed(desk: Desk) -> Desk:
    desk.add_place(Place(id="paris", name="Paris Opera"))
    desk.add_place(Place(id="lyon", name="Lyon Centre"))
    desk.add_place(Place(id="nice", name="nice Port"))
    desk.add_group(PlaceGroup(id="south", name="South", place_ids={"lyon", "nice"}))
    desk.add_group(PlaceGroup(id="capital", name="Capital", place_ids={"paris"}))
    desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
    desk.add_user(User(id="max", name="Max Manager", role=Role.MANAGER, groups={"south"}))
    desk.add_user(User(id="alice", name="Alice Agent", places={"paris"}))
    return desk


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/places.db"
    with Desk.open(url, load_entry_points=False) as opened:
        yield seed(opened)


def names(seen: PlacesSeen) -> tuple[list[str], list[str]]:
    return [place.name for place in seen.places], [group.name for group in seen.groups]


def test_each_user_is_offered_the_places_of_their_scope_and_their_own_groups_in_order_of_name(desk: Desk) -> None:
    assert names(desk.places("admin")) == (["Lyon Centre", "nice Port", "Paris Opera"], ["Capital", "South"])
    assert names(desk.places("max")) == (["Lyon Centre", "nice Port"], ["South"])
    assert names(desk.places("alice")) == (["Paris Opera"], [])
    assert desk.places(desk.user("alice")) == desk.places("alice")


def test_a_place_is_named_by_its_name_and_one_out_of_sight_by_its_id(desk: Desk) -> None:
    seen = desk.places("max")
    assert seen.name_of("lyon") == "Lyon Centre"
    assert seen.name_of("paris") == "paris"
    assert seen.offers("lyon") and seen.offers("south")
    assert not seen.offers("paris") and not seen.offers("capital") and not seen.offers("nowhere")


def test_places_groups_and_rights_changed_through_the_desk_are_seen_at_once(desk: Desk) -> None:
    assert names(desk.places("alice")) == (["Paris Opera"], [])
    desk.add_place(Place(id="lille", name="Lille Gare"))
    desk.add_group(PlaceGroup(id="north", name="North", place_ids={"lille", "paris"}))
    desk.add_user(User(id="alice", name="Alice Agent", groups={"north"}), replace=True)
    assert names(desk.places("alice")) == (["Lille Gare", "Paris Opera"], ["North"])
    desk.add_place(Place(id="lille", name="Lille Flandres"), replace=True)
    desk.add_user(User(id="alice", name="Alice Agent", places={"nice"}), replace=True)
    assert names(desk.places("alice")) == (["nice Port"], [])
    assert desk.user("alice").places == frozenset({"nice"})
    assert names(desk.places("admin"))[0] == ["Lille Flandres", "Lyon Centre", "nice Port", "Paris Opera"]


def test_a_change_made_by_another_desk_on_the_same_file_is_seen_by_the_next_call(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    with Desk.open(url, load_entry_points=False) as console, Desk.open(url, load_entry_points=False) as admin_tool:
        seed(console)
        assert names(console.places("alice")) == (["Paris Opera"], [])
        admin_tool.add_user(User(id="alice", name="Alice Agent", places={"lyon"}), replace=True)
        admin_tool.add_place(Place(id="lyon", name="Lyon Part-Dieu"), replace=True)
        assert names(console.places("alice")) == (["Lyon Part-Dieu"], [])
        assert console.user("alice").places == frozenset({"lyon"})
        with pytest.raises(NotFound):
            console.conversation("nothing", by="alice")
        admin_tool.add_user(User(id="newcomer", name="New Comer", places={"paris"}))
        assert names(console.places("newcomer")) == (["Paris Opera"], [])


def test_a_directory_write_that_is_rolled_back_leaves_nothing_behind(tmp_path: Path) -> None:
    with Desk.open(f"sqlite:///{tmp_path}/rollback.db", load_entry_points=False) as desk:
        seed(desk)
        assert names(desk.places("alice")) == (["Paris Opera"], [])
        with pytest.raises(RuntimeError), desk.store.transaction() as tx:
            tx.directory.put_place(Place(id="paris", name="Renamed In Vain"))
            tx.directory.put_user(User(id="alice", name="Alice Agent", role=Role.ADMIN))
            assert tx.directory.places()["paris"].name == "Renamed In Vain"  # the transaction sees its own write
            raise RuntimeError("the use case failed")
        assert names(desk.places("alice")) == (["Paris Opera"], [])
        assert desk.user("alice").role is Role.AGENT


def test_an_unknown_or_malformed_user_is_refused_with_what_to_do(desk: Desk) -> None:
    with pytest.raises(NotFound, match="add_user"):
        desk.places("nobody")
    with pytest.raises(InvalidInput):
        desk.places("")
    with pytest.raises(InvalidInput):
        desk.places(42)  # type: ignore[arg-type]


def test_colleagues_are_the_others_with_an_email_who_see_the_conversations_place(desk: Desk) -> None:
    desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN, email="ada@example.com"), replace=True)
    desk.add_user(User(id="zoe", name="Zoé Zola", places={"lyon"}, email="zoe@example.com"))
    desk.add_user(User(id="bea", name="Béa Blanc", groups={"south"}, email="bea@example.com"))
    desk.add_user(User(id="paula", name="Paula Paris", places={"paris"}, email="paula@example.com"))
    conversation = desk.ingest(
        Feedback(
            source=Source.SURVEY, external_id="c-1", place_id="lyon", received_at=datetime(2026, 1, 1, tzinfo=UTC),
            contact=Contact(name="Claire", email="claire@example.com"),
        )
    ).id  # fmt: skip
    # max sees lyon but has no email; paula and alice do not see lyon
    assert [user.id for user in desk.colleagues(conversation, by="zoe")] == ["admin", "bea"]
    assert [user.id for user in desk.colleagues(conversation, by="admin")] == ["bea", "zoe"]
    with pytest.raises(AccessDenied):
        desk.colleagues(conversation, by="paula")
    with pytest.raises(NotFound):
        desk.colleagues("no-such-conversation", by="zoe")
    with pytest.raises(InvalidInput):
        desk.colleagues("", by="zoe")

"""Values of the caller's own classes, which may raise anything, are refused with closedloop errors; found by
the fuzz suite (tests/fuzz) and kept here as plain regression tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import closedloop as cl


class Hostile:
    """Every method a library might call raises, as a broken or malicious object of the caller's would."""

    def __iter__(self) -> object:
        raise RuntimeError("iterated")

    def __hash__(self) -> int:
        raise RuntimeError("hashed")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("compared")

    def __repr__(self) -> str:
        raise RuntimeError("shown")


class Subtext(str):
    """A subclass of str, as web frameworks hand out, whose own __str__ must never be relied on."""

    def __str__(self) -> str:
        raise RuntimeError("str() of a Subtext")


@pytest.mark.parametrize(
    "settings",
    [{"plugins": [Hostile()]}, {"token_ttl": {"k": Hostile()}}, {"token_ttl": timedelta.max}, {"extra": [Hostile()]}],
    ids=["plugin", "token_ttl of a dict", "token_ttl too long", "extra"],
)
def test_desk_open_refuses_hostile_settings(settings: dict[str, object]) -> None:
    with pytest.raises(cl.ClosedLoopError):
        cl.Desk.open(**settings)


def test_hostile_iterables_are_refused_by_entry_points_and_records() -> None:
    with cl.Desk.open() as desk:
        desk.add_place(cl.Place(id="p", name="P"))
        desk.add_user(cl.User(id="admin", name="Ada", role="admin"))
        with pytest.raises(cl.InvalidInput):
            desk.inbox("admin", places=Hostile())
        with pytest.raises(cl.InvalidInput):
            desk.ingest_many(Hostile())
        with pytest.raises(cl.InvalidInput):
            cl.User(id="u", name="U", groups=Hostile())
        with pytest.raises(cl.InvalidInput):
            cl.RatingAtMost(kind=Hostile(), threshold=3)


def test_subclasses_of_str_are_stored_as_the_text_they_hold(tmp_path: Path) -> None:
    with cl.Desk.open(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        desk.add_place(cl.Place(id="p", name="P"))
        desk.add_group(cl.PlaceGroup(id="g", name="G", place_ids=[Subtext("p")]))
        desk.add_user(cl.User(id="admin", name="Ada", role="admin"))
        assert desk.common_replies("admin").add(Subtext("Thank you!")) == ["Thank you!"]
    with cl.Desk.open(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        assert desk.common_replies("admin").list() == ["Thank you!"]

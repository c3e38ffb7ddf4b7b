"""The fuzz suite can fail: each way an entry point can break the property is caught, on purpose, here.

A desk method is replaced by a broken one (raising a ValueError, writing before it refuses, storing what no
page can show), and the judge must say so; a clean refusal and a read must pass, and leave the world as it was.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import attrs
import pytest
from sqlalchemy import text

import closedloop as cl
from closedloop.storage.sql.store import SqlStore

from . import tally
from .entries import BY_NAME
from .judge import PropertyBroken, World
from .profiles import explore
from .test_email_headers import unexpected
from .test_records import judge_constructor
from .world import Ref

HOLD = BY_NAME["Desk.hold"]
ON_EMAIL = {"conversation_id": Ref("email"), "by": "admin"}


@pytest.fixture(autouse=True)
def tally_left_alone() -> Iterator[None]:
    """What these tests break on purpose stays out of the run's report."""
    kept = tally.TRIED.copy(), tally.ENDINGS.copy(), dict(tally.FINDINGS)
    yield
    tally.TRIED.clear(), tally.ENDINGS.clear(), tally.FINDINGS.clear()
    tally.TRIED.update(kept[0]), tally.ENDINGS.update(kept[1]), tally.FINDINGS.update(kept[2])


def test_an_error_that_is_not_a_closedloop_error_breaks_the_property(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hold(desk: cl.Desk, conversation_id: str, *, by: object) -> object:
        raise ValueError("a bare ValueError")

    monkeypatch.setattr(cl.Desk, "hold", hold)

    with pytest.raises(PropertyBroken, match="raised ValueError") as caught:
        world.attempt("Desk.hold", HOLD.invoke, ON_EMAIL)
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_refusal_that_wrote_first_breaks_the_property(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def hold(desk: cl.Desk, conversation_id: str, *, by: object) -> object:
        desk.add_place(cl.Place(id="written-before-refusing", name="Oops"))
        raise cl.InvalidInput("refused, but too late")

    monkeypatch.setattr(cl.Desk, "hold", hold)

    with pytest.raises(PropertyBroken, match=r"refused \(InvalidInput\) but changed the store"):
        world.attempt("Desk.hold", HOLD.invoke, ON_EMAIL)


def test_accepting_what_no_page_can_show_breaks_the_property(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def hold(desk: cl.Desk, conversation_id: str, *, by: object) -> object:
        if isinstance(desk.store, SqlStore):
            with desk.store.engine.begin() as connection:
                connection.execute(
                    text("UPDATE cl_conversations SET document = '{' WHERE id = :id"), {"id": conversation_id}
                )
            return None
        with desk.store.transaction() as tx:
            stored = tx.conversations.get(conversation_id)
            damaged = attrs.evolve(stored)
            object.__setattr__(damaged, "last_updated_at", "not a time")  # past the constructor, as a bug might
            tx.conversations.save(damaged)
        return None

    monkeypatch.setattr(cl.Desk, "hold", hold)

    with pytest.raises(PropertyBroken, match="cannot be shown again"):
        world.attempt("Desk.hold", HOLD.invoke, ON_EMAIL)


def test_a_clean_refusal_and_a_read_pass_and_leave_the_world_as_it_was(world: World) -> None:
    assert world.attempt("Desk.hold", HOLD.invoke, {"conversation_id": "no-such-id", "by": "admin"}) == "refused"
    assert world.attempt("Desk.hold", HOLD.invoke, {"conversation_id": Ref("email"), "by": "nobody"}) == "refused"
    read = BY_NAME["Desk.conversation"]
    assert world.attempt("Desk.conversation", read.invoke, ON_EMAIL) == "succeeded"
    assert not world.dirty, "nothing changed, so the world need not be copied again"

    assert world.attempt("Desk.hold", HOLD.invoke, ON_EMAIL) == "succeeded"
    assert world.dirty, "a change makes the next example start from a fresh copy"


@pytest.mark.parametrize("world", ["memory"], indirect=True)  # one store is enough to show the run fails
def test_a_fuzz_run_finds_an_entry_point_that_trusts_its_argument_types(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_note = cl.Desk.note

    def note(desk: cl.Desk, conversation_id: str, *, by: object, body: Any, **rest: Any) -> object:
        if len(body) > 5000:  # a TypeError for numbers and None: the bug the suite is there to find
            raise cl.InvalidInput("too long")
        return real_note(desk, conversation_id, by=by, body=body, **rest)

    monkeypatch.setattr(cl.Desk, "note", note)
    point = BY_NAME["Desk.note"]

    with pytest.raises(PropertyBroken, match="TypeError"):
        explore(point.arguments, lambda values: world.attempt(point.name, point.invoke, values))


def test_a_constructor_that_raises_a_bare_error_or_keeps_a_lone_surrogate_breaks_the_property() -> None:
    def bare(**fields: object) -> object:
        raise TypeError("a bare TypeError")

    with pytest.raises(PropertyBroken, match="raised TypeError"):
        judge_constructor("Broken()", bare, {})

    @attrs.frozen
    class Lenient:
        name: str

    with pytest.raises(PropertyBroken, match="lone surrogate"):
        judge_constructor("Lenient()", Lenient, {"name": "a\udc80b"})
    assert judge_constructor("Lenient()", Lenient, {"name": "fine"}) == "succeeded"


def test_a_header_added_by_a_value_is_seen() -> None:
    sent = (
        "Message-ID: <1@example.com>\r\nDate: Mon, 05 Jan 2026 09:00:00 +0000\r\nFrom: Care <care@example.com>\r\n"
        "To: jo@example.com\r\nSubject: Your feedback to Shop\r\nBcc: victim@example.com\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain\r\n\r\nHello\r\n"
    )
    message = email.message_from_string(sent, policy=email.policy.default)
    assert isinstance(message, EmailMessage)

    assert "Bcc" in unexpected(message, ("jo@example.com",))
    del message["Bcc"]
    assert unexpected(message, ("jo@example.com",)) == ""
    assert unexpected(message, ("jo@example.com", "victim@example.com"))

"""A use case is all or nothing, and two desks on one store never overwrite each other."""

from __future__ import annotations

import pytest

from closedloop import ConcurrentUpdate, Contact, Desk, Feedback, Place, User
from closedloop.storage.memory import MemoryOutbox, MemoryStore
from closedloop.testing import FakeClock, RecordingChannel


def open_desk(store: MemoryStore | None = None) -> Desk:
    return Desk.open(store=store, clock=FakeClock(), plugins=[RecordingChannel("email")])


def seed(desk: Desk) -> str:
    desk.add_place(Place(id="p", name="Shop"))
    desk.add_user(User(id="ana", name="Ana", places={"p"}))
    feedback = Feedback(
        source="survey", external_id="1", place_id="p", received_at=desk.clock.now(),
        contact=Contact(name="Jo", email="jo@example.com"),
    )  # fmt: skip
    return desk.ingest(feedback).id


def test_a_failure_after_the_change_is_saved_undoes_all_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = open_desk()
    conversation_id = seed(desk)
    before = desk.conversation(conversation_id, by="ana")

    def broken(self: MemoryOutbox, messages: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(MemoryOutbox, "add", broken)
    with pytest.raises(OSError, match="disk full"):
        desk.reply(conversation_id, by="ana", body="Thanks!")
    monkeypatch.undo()

    assert desk.conversation(conversation_id, by="ana") == before
    assert desk.outbox() == []
    store = desk.store
    assert isinstance(store, MemoryStore)
    assert store.tokens == {}, "the reply link's token must not outlive the failed reply"


def test_a_stale_conversation_cannot_overwrite_a_newer_one() -> None:
    store = MemoryStore()
    first, second = open_desk(store), open_desk(store)
    conversation_id = seed(first)
    stale = second.conversation(conversation_id, by="ana")
    first.note(conversation_id, by="ana", body="first note")
    with store.transaction() as tx, pytest.raises(ConcurrentUpdate, match="load it again"):
        tx.conversations.save(stale)
    history = second.conversation(conversation_id, by="ana").history
    assert [entry.body for entry in history if entry.kind == "note"] == ["first note"]


def test_ingest_of_known_feedback_returns_the_stored_conversation_unchanged() -> None:
    desk = open_desk()
    conversation_id = seed(desk)
    desk.note(conversation_id, by="ana", body="seen")
    again = desk.ingest(
        Feedback(source="survey", external_id="1", place_id="p", received_at=desk.clock.now(), comments="edited")
    )
    assert again.id == conversation_id
    assert again.feedback.comments == ()
    assert desk.counts("ana").inbox == 1

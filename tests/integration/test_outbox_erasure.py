"""The outbox never sends to an erased customer (issue 18), against the loopback SMTP server
(closedloop.testing.smtp), on a memory and a SQLite desk:

- a message a dispatcher claimed, then cancelled by an erasure before its channel gets it, is never sent;
- a send that succeeds while the erasure runs is recorded as sent, on the emptied message;
- a send that fails while the erasure runs leaves the message cancelled, and nobody can retry it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

import closedloop.app.outbox
from closedloop import (
    Contact,
    Delivery,
    Desk,
    DispatchReport,
    Feedback,
    InteractionKind,
    InvalidTransition,
    OutboundMessage,
    Place,
    Rating,
    RatingKind,
    Role,
    Source,
    User,
)
from closedloop.ports import SendResult
from closedloop.testing import FakeClock
from closedloop.testing.smtp import SmtpServer

SENDER = "feedback@chez-nous.example"
CUSTOMER = "claire.dupont@example.com"
NAME = "Claire Dupont"
BODY = "Claire, we are sorry about the soup. Dinner is on us."


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path, smtp_server: SmtpServer, clock: FakeClock) -> Iterator[Desk]:
    url = None if request.param == "memory" else f"sqlite:///{tmp_path / 'desk.db'}"
    with Desk.open(
        url,
        clock=clock,
        smtp=smtp_server.settings(sender=SENDER),
        reply_link_base="https://chez-nous.example/reply/",
        load_entry_points=False,
    ) as opened:
        opened.add_place(Place(id="opera", name="Chez Nous Opéra"))
        opened.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN, email="ana@chez-nous.example"))
        yield opened


def replied(desk: Desk, clock: FakeClock) -> OutboundMessage:
    """A customer's survey, answered by email: the message waiting in the outbox."""
    feedback = Feedback(
        source=Source.SURVEY,
        external_id="survey-1",
        place_id="opera",
        received_at=clock.now(),
        contact=Contact(name=NAME, email=CUSTOMER),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=3)],
        comments="The soup was cold.",
    )
    conversation_id = desk.ingest(feedback).id
    desk.reply(conversation_id, by="ana", body=BODY)
    [message] = desk.outbox()
    return message


def erase(desk: Desk) -> None:
    """The erasure, in transactions of its own, as another process would run it."""
    desk.erase_customer(by="ana", email=CUSTOMER, reason="asked to be forgotten")


def assert_holds_nothing_of_the_customer(desk: Desk, message: OutboundMessage) -> None:
    stored = desk.outbox()[0]
    assert stored.id == message.id
    assert (stored.recipients, stored.body, stored.reply_link) == ((), "", None)
    assert "soup" not in repr(stored)  # the team's reply stays in the history, without the customer's name
    for held in (repr(stored), repr(desk.conversation(message.conversation_id, by="ana"))):
        for personal in (CUSTOMER, "Claire", "Dupont"):
            assert personal not in held


def dispatch_for_a_day(desk: Desk, clock: FakeClock) -> DispatchReport:
    total = DispatchReport()
    for _ in range(24 * 6):
        clock.advance(minutes=10)
        total += desk.dispatch()
    return total


def test_a_message_erased_after_its_claim_never_reaches_the_server(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = replied(desk, clock)
    recheck = closedloop.app.outbox.still_claimed

    def erased_meanwhile(ctx: object, batch: Sequence[OutboundMessage]) -> list[OutboundMessage]:
        held = desk.outbox()[0]
        assert (held.status, held.attempts) == (Delivery.SENDING, 1), "the dispatcher claimed it first"
        erase(desk)
        return recheck(ctx, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(closedloop.app.outbox, "still_claimed", erased_meanwhile)
    assert desk.dispatch() == DispatchReport()
    monkeypatch.undo()

    assert smtp_server.received == [] and smtp_server.events == []
    assert desk.outbox()[0].status is Delivery.CANCELLED
    assert dispatch_for_a_day(desk, clock) == DispatchReport()  # its lease ran out long ago: still not sent
    assert smtp_server.received == []
    assert desk.outbox()[0].status is Delivery.CANCELLED
    assert_holds_nothing_of_the_customer(desk, message)


def sending_then(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]
) -> Callable[[object, str, list[OutboundMessage]], dict[str, SendResult]]:
    """The channel sends, and the erasure commits before the dispatcher records what happened."""
    send = closedloop.app.outbox.send

    def racing(ctx: object, name: str, batch: list[OutboundMessage]) -> dict[str, SendResult]:
        results = send(ctx, name, batch)  # type: ignore[arg-type]
        meanwhile()
        return results

    monkeypatch.setattr(closedloop.app.outbox, "send", racing)
    return racing


def test_a_send_racing_the_erasure_is_recorded_as_sent_without_the_customers_data(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = replied(desk, clock)
    sending_then(monkeypatch, lambda: erase(desk))

    report = desk.dispatch()
    monkeypatch.undo()

    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    [received] = smtp_server.received
    assert received.rcpt_tos == (CUSTOMER,)  # it did leave, before the erasure
    stored = desk.outbox()[0]
    assert (stored.status, stored.sent_at, stored.attempts) == (Delivery.SENT, clock.now(), 1)
    assert_holds_nothing_of_the_customer(desk, message)
    assert dispatch_for_a_day(desk, clock) == DispatchReport()
    assert len(smtp_server.received) == 1


def test_a_failed_send_racing_the_erasure_stays_cancelled_and_cannot_be_retried(
    desk: Desk, smtp_server: SmtpServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = replied(desk, clock)
    smtp_server.answer_rcpt(f"550 5.1.1 <{CUSTOMER}> no such user")
    sending_then(monkeypatch, lambda: erase(desk))

    assert desk.dispatch() == DispatchReport()  # neither failed nor to retry: it was cancelled
    monkeypatch.undo()

    stored = desk.outbox()[0]
    assert stored.status is Delivery.CANCELLED
    history = desk.conversation(message.conversation_id, by="ana").history
    assert InteractionKind.DELIVERY_FAILED not in [entry.kind for entry in history]
    assert_holds_nothing_of_the_customer(desk, message)
    with pytest.raises(InvalidTransition, match="erased"):
        desk.retry(message.id, by="ana")
    assert desk.outbox()[0] == stored
    smtp_server.mend()
    assert dispatch_for_a_day(desk, clock) == DispatchReport()
    assert smtp_server.received == []

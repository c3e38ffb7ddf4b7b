"""The erasure rules of the domain: what an erased conversation keeps and loses, and how data is masked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from closedloop import (
    Actor,
    ActorKind,
    Contact,
    Conversation,
    ErasureMark,
    Feedback,
    Interaction,
    InteractionKind,
    InvalidInput,
    OutboundMessage,
    Rating,
    RatingKind,
    RetentionPolicy,
    Source,
    Status,
)
from closedloop.domain.alerts import Alert
from closedloop.domain.conversation import Concept
from closedloop.domain.messages import Delivery, MessageKind
from closedloop.domain.privacy import (
    CANCELLED_REASON,
    PersonalData,
    erase_conversation,
    erase_message,
    fingerprint,
    holds_personal_data,
    mask_email,
    mask_phone,
    masked,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
JANE = PersonalData(
    names=frozenset({"Jane Doe"}),
    emails=frozenset({"jane.doe@example.com"}),
    phones=frozenset({"+33612345678"}),
    phone_digits=frozenset({"612345678"}),
)
AGENT = Actor(kind=ActorKind.USER, id="anna", name="Anna")
CUSTOMER = Actor(kind=ActorKind.CUSTOMER, id="customer", name="Jane Doe")


def conversation() -> Conversation:
    feedback = Feedback(
        source=Source.SURVEY,
        external_id="r1",
        place_id="paris",
        received_at=NOW - timedelta(days=3),
        contact=Contact(name="Jane Doe", email="Jane.Doe@Example.com", tel="06 12 34 56 78"),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=2)],
        comments=["The waiter was rude to me, Jane Doe"],
        answers={"visit": "lunch with my husband"},
        metadata={"segment": "gold", "age": "41"},
    )
    history = (
        Interaction(kind=InteractionKind.STATUS_CHANGE, at=NOW, author=AGENT, to_status=Status.NEW),
        Interaction(
            kind=InteractionKind.EMAIL_REPLY,
            at=NOW,
            author=AGENT,
            body="Dear Jane, call us back; we wrote to jane.doe@example.com",
            recipients=("Jane.Doe@Example.com",),
        ),
        Interaction(kind=InteractionKind.CUSTOMER_MESSAGE, at=NOW, author=CUSTOMER, body="My number is 0612345678"),
        Interaction(kind=InteractionKind.NOTE, at=NOW, author=AGENT, body="Mrs DOE called from +33 6 12 34 56 78."),
        Interaction(
            kind=InteractionKind.CALL_LOG, at=NOW, author=AGENT, body="spoke", details={"outcome": "Jane happy"}
        ),
    )
    return Conversation(
        id="c1",
        feedback=feedback,
        status=Status.AWAITING_CUSTOMER,
        created_at=NOW,
        last_updated_at=NOW,
        last_updated_by="anna",
        alert=Alert(raised_at=NOW, reasons=("keyword from Jane Doe",)),
        analysis=(Concept(name="staff", sentiment=-0.8),),
        history=history,
    )


MARK = ErasureMark(at=NOW + timedelta(days=1), erasure_id="e1")


def test_an_erased_conversation_keeps_its_skeleton_for_the_statistics() -> None:
    before = conversation()
    after = erase_conversation(before, JANE, mark=MARK, by=AGENT)
    assert after.feedback.ratings == before.feedback.ratings
    assert after.feedback.received_at == before.feedback.received_at
    assert after.place_id == "paris" and after.status is before.status and after.feedback.key == before.feedback.key
    assert [entry.kind for entry in after.history[:-1]] == [entry.kind for entry in before.history]
    assert [entry.at for entry in after.history[:-1]] == [entry.at for entry in before.history]
    assert after.history[-1].kind is InteractionKind.ERASURE and after.history[-1].details == {"erasure": "e1"}
    assert after.erasure == MARK and after.last_updated_at == MARK.at


def test_an_erased_conversation_holds_none_of_the_customers_data() -> None:
    after = erase_conversation(conversation(), JANE, mark=MARK, by=AGENT)
    assert after.feedback.contact == Contact()
    assert after.feedback.comments == () and after.feedback.answers == {} and after.feedback.metadata == {}
    assert after.analysis == ()
    text = repr(after).casefold()
    for trace in ("jane", "doe", "example.com", "612345678", "12 34 56 78", "husband", "gold", "rude"):
        assert trace not in text, trace
    assert after.history[1].body == "Dear [name], call us back; we wrote to [email]"
    assert after.history[1].recipients == ()
    assert after.history[2].body == "" and after.history[2].author.name == "customer"
    assert after.history[3].body == "Mrs [name] called from [phone]."
    assert after.history[4].details == {"outcome": "[name] happy"}


def test_redaction_leaves_other_numbers_and_words_alone() -> None:
    text = "Order 123456 for Janet at 01 98 76 54 32, see doe-eyed notes"
    assert JANE.redact(text) == "Order 123456 for Janet at 01 98 76 54 32, see doe-eyed notes".replace(
        "doe-eyed", "[name]-eyed"
    )


def test_erasing_again_changes_nothing_but_adds_an_entry() -> None:
    once = erase_conversation(conversation(), JANE, mark=MARK, by=AGENT)
    twice = erase_conversation(once, JANE, mark=MARK, by=AGENT)
    assert twice.history[:-1] == once.history and twice.feedback == once.feedback
    assert not holds_personal_data(once)
    assert holds_personal_data(conversation())


def test_a_review_written_again_after_the_erasure_holds_personal_data_again() -> None:
    once = erase_conversation(conversation(), JANE, mark=MARK, by=AGENT)
    again = Interaction(
        kind=InteractionKind.CUSTOMER_MESSAGE, at=MARK.at + timedelta(hours=1), author=CUSTOMER, body="x"
    )
    assert holds_personal_data(attrs.evolve(once, history=(*once.history, again)))


def message(status: Delivery, kind: MessageKind = MessageKind.CUSTOMER_REPLY) -> OutboundMessage:
    return OutboundMessage(
        id="m1",
        conversation_id="c1",
        channel="email",
        kind=kind,
        recipients=("jane.doe@example.com",) if kind is not MessageKind.HANDOFF else ("boss@shop.example",),
        subject="Your visit, Jane Doe",
        body="Dear Jane ...",
        created_at=NOW,
        reply_link="https://shop.example/reply/abc",
        status=status,
    )


@pytest.mark.parametrize("status", [Delivery.PENDING, Delivery.SENDING])
def test_a_message_that_has_not_left_is_cancelled_and_emptied(status: Delivery) -> None:
    erased = erase_message(message(status), JANE)
    assert erased.status is Delivery.CANCELLED and erased.last_error == CANCELLED_REASON
    assert erased.recipients == () and erased.body == "" and erased.reply_link is None
    assert erased.subject == "Your visit, [name]"
    assert erased.due_at is None


def test_a_sent_message_stays_sent_without_its_content_and_a_handoff_keeps_its_colleagues() -> None:
    sent = erase_message(message(Delivery.SENT), JANE)
    assert sent.status is Delivery.SENT and sent.recipients == () and sent.body == ""
    handoff = erase_message(message(Delivery.SENT, MessageKind.HANDOFF), JANE)
    assert handoff.recipients == ("boss@shop.example",) and handoff.body == ""


def test_masks_show_too_little_to_reach_anyone() -> None:
    assert mask_email("jane.doe@example.com") == "j***@e***.com"
    assert mask_phone("+33612345678") == "+33*******78"
    assert masked(JANE) == "j***@e***.com, +33*******78"
    assert masked(PersonalData()) == "(no contact details)"


def test_a_fingerprint_depends_on_the_key_and_the_text_but_not_its_spacing() -> None:
    assert fingerprint(b"k1", "Great  food\n") == fingerprint(b"k1", "Great food")
    assert fingerprint(b"k1", "Great food") != fingerprint(b"k2", "Great food")
    assert "Great" not in fingerprint(b"k1", "Great food")


@pytest.mark.parametrize(
    "given", [{"done_after": timedelta(0)}, {"spam_after": 30}, {"records_for": None}, {"done_after": timedelta(-1)}]
)
def test_a_retention_policy_refuses_what_is_not_a_positive_duration(given: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="retention policy"):
        RetentionPolicy(**given)  # type: ignore[arg-type]


def test_a_retention_policy_may_keep_done_or_spam_conversations_forever() -> None:
    policy = RetentionPolicy(done_after=None, spam_after=None)
    assert policy.records_for == timedelta(days=365)

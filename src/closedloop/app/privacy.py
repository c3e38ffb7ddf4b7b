"""A customer's personal data: erase it on request, or hand over everything held on them.

The customer is found by email address or phone number, compared in normalised form (an address in any case,
a number however it is written), or through one of their conversations, whose contact details then stand for
them. Both calls need an admin or a user with the ``privacy`` right, and both are refused whole when the
caller cannot see every one of the customer's conversations: an erasure that silently left some behind, or an
export that left some out, would be worse than none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import attrs

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.app.customers import Customer, personal_data
from closedloop.app.erasing import Erasure, erase
from closedloop.domain.errors import AccessDenied, InvalidInput
from closedloop.domain.people import Right, User
from closedloop.domain.privacy import ErasureRecord, PersonalData, masked
from closedloop.domain.transitions import user_actor
from closedloop.ports import ContactRow, StoreTransaction
from closedloop.serialization import to_data

#: How many conversations' contact details one read of the search takes.
SEARCH_PAGE = 10_000
#: The longest reason an erasure record keeps.
LONGEST_REASON = 1000


@attrs.frozen(kw_only=True)
class ErasureReport:
    """What ``desk.erase_customer`` did: its record's id, how many conversations it erased and how many
    outbox messages it cancelled, and the masked identifier the record keeps."""

    erasure_id: str
    conversations: int
    cancelled_messages: int
    subject: str


def _asked(email: object, tel: object, conversation_id: object) -> tuple[str, str, str]:
    given = {
        name: arguments.text(value, name).strip()
        for name, value in (("email", email), ("tel", tel), ("conversation_id", conversation_id))
        if value is not None
    }
    if not any(given.values()):
        raise InvalidInput("say whose data this is: give email=..., tel=... or conversation_id=...")
    return given.get("email", ""), given.get("tel", ""), given.get("conversation_id", "")


def _privacy_officer(tx: StoreTransaction, by: access.UserRef, what: str) -> User:
    member = access.user(tx, arguments.user_ref(by, "by"))
    if not member.has(Right.PRIVACY):
        raise AccessDenied(
            f"only an admin or a user with the privacy right may {what}; user {member.id!r} has neither "
            "(give it with User(..., rights={Right.PRIVACY}))"
        )
    return member


def find(
    ctx: Context, tx: StoreTransaction, member: User, email: str, tel: str, conversation_id: str
) -> tuple[list[ContactRow], PersonalData]:
    """Every conversation of the customer, checked to be all within what ``member`` sees, and their data."""
    customer = Customer.asked(ctx.contacts, [email], [tel])
    if conversation_id:
        customer = customer.joined(ctx.contacts, access.visible(tx, conversation_id, member)[0].feedback.contact)
    rows = [
        row
        for row in _every_contact(tx)
        if row.conversation_id == conversation_id or customer.matches(row, ctx.contacts)
    ]
    scope = access.scope(tx, member)
    hidden = sorted({row.place_id for row in rows if not scope.allows(row.place_id)})
    if hidden:
        raise AccessDenied(
            f"this customer has conversations at places user {member.id!r} cannot see ({', '.join(hidden)}); "
            "nothing was done: ask an admin, who sees every place"
        )
    return rows, personal_data(ctx.contacts, customer, rows)


def _every_contact(tx: StoreTransaction) -> Iterable[ContactRow]:
    after = None
    while page := tx.privacy.contacts(after, SEARCH_PAGE):
        yield from page
        after = page[-1].conversation_id


def erase_customer(
    ctx: Context, by: access.UserRef, email: object, tel: object, conversation_id: object, reason: object
) -> ErasureReport:
    """Erase the customer's personal data from every conversation of theirs, keeping a masked record."""
    asked = _asked(email, tel, conversation_id)
    reason = arguments.text(reason, "reason").strip() or "the customer's request"
    if len(reason) > LONGEST_REASON:
        raise InvalidInput(f"reason may be at most {LONGEST_REASON} characters; this one has {len(reason)}")
    with ctx.reading() as tx:
        member = _privacy_officer(tx, by, "erase a customer's personal data")
        rows, person = find(ctx, tx, member, *asked)
    now = ctx.now()
    record = ErasureRecord(
        id=ctx.new_id(),
        at=now,
        by=member.id,
        reason=reason,
        subject=masked(person),
        conversations=len(rows),
        keep_until=now + ctx.settings.retention.records_for,
    )
    cancelled = erase(
        ctx,
        Erasure(record=record, actor=user_actor(member), person_of=_same(person)),
        [row.conversation_id for row in rows],
    )
    return ErasureReport(
        erasure_id=record.id, conversations=len(rows), cancelled_messages=cancelled, subject=record.subject
    )


def _same(person: PersonalData) -> Callable[[object], PersonalData]:
    return lambda _conversation: person


def customer_data(ctx: Context, by: access.UserRef, email: object, tel: object, conversation_id: object) -> str:
    """Everything held on the customer as JSON: their conversations whole (feedback, status, alert, analysis,
    history) with their places' names, and the outbox's messages of those conversations."""
    asked = _asked(email, tel, conversation_id)
    with ctx.reading() as tx:
        member = _privacy_officer(tx, by, "export a customer's personal data")
        rows, person = find(ctx, tx, member, *asked)
        places = tx.directory.places()
        conversations = [tx.conversations.get(row.conversation_id) for row in rows]
        messages = [
            message
            for row in rows
            for message in tx.outbox.list(status=None, conversation_id=row.conversation_id, limit=None)
        ]
    document = {
        "generated_at": ctx.now().isoformat(),
        "customer": {
            "names": sorted(person.names),
            "emails": sorted(person.emails),
            "phones": sorted(person.phones),
        },
        "conversations": [
            {"place_name": places[c.place_id].name if c.place_id in places else "", **to_data(c)} for c in conversations
        ],
        "messages": [to_data(message) for message in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)

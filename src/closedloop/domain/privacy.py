"""Personal data: what erasing a customer leaves of a conversation, and the record an erasure keeps.

An erased conversation keeps its skeleton for the statistics (ratings, dates, place, status, alert, the kinds
and times of its history) and loses what tells who the customer is or what they said: contact details,
comments, answers, metadata, the customer's own messages, the analysis of their words. What the team wrote
(replies, notes, call logs, hand-offs) stays, with the customer's name, email addresses and phone numbers
replaced by ``[name]``, ``[email]`` and ``[phone]``.

A synced review stays on its platform, and a later sync sees it again. The conversation therefore keeps a keyed
hash of the review's text and of the business's public reply (:func:`fingerprint`), never the text: a sync that
finds the same review records nothing, and only a review the customer wrote again comes back.

Everything here is pure: the app finds the conversations and hands in the customer's
:class:`PersonalData`, already normalised with the contact checks.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from closedloop.domain.alerts import Alert
from closedloop.domain.conversation import Actor, ActorKind, Conversation, ErasureMark, Interaction, InteractionKind
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Contact
from closedloop.domain.messages import Delivery, MessageKind, OutboundMessage
from closedloop.domain.text import shown
from closedloop.domain.values import id_field, text_field, time_field, whole_field

NAME, EMAIL, PHONE = "[name]", "[email]", "[phone]"
#: What an erasure writes in place of a customer's details, which no search should find.
ERASURE_MARKS = (NAME, EMAIL, PHONE)
#: What a customer's own message becomes; the entry stays, so the history keeps its shape.
ERASED_TEXT = ""
#: The shortest part of a name that is replaced on its own: initials would blank every "J" in a note.
SHORTEST_NAME_PART = 2
#: Words that join the parts of a name ("Jean de La Fontaine"): replaced within the full name only, as on
#: their own they are everyday words of the notes around it.
NAME_PARTICLES = frozenset({
    "a", "al", "af", "av", "bin", "ben", "d", "da", "das", "de", "del", "dela", "della", "den", "der", "des", "di",
    "do", "dos", "du", "e", "el", "la", "le", "lo", "ten", "ter", "van", "von", "y", "zu",
})  # fmt: skip
#: A phone number as people write it: digits with spaces, dots, dashes, slashes or brackets between them.
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s./()\-]{4,}\d")
#: The details of a customer's review edit that a sync still needs: when the platform changed it.
KEPT_DETAILS = frozenset({"review_updated_at", "stars"})
#: The longest a retention policy may keep data: longer is a mistake in units, not a policy.
LONGEST_RETENTION = timedelta(days=36525)


@attrs.frozen(kw_only=True)
class PersonalData:
    """What identifies one customer: the names, normalised email addresses and phone numbers found on their
    conversations, and each phone number's national digits (how it is written without its country code)."""

    names: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    phone_digits: frozenset[str] = frozenset()

    def redact(self, text: str) -> str:
        """``text`` with this customer's email addresses, phone numbers and names replaced, whatever their case
        or Unicode form (``STRASSMANN`` for "Straßmann")."""
        if not text:
            return text
        text = unicodedata.normalize("NFC", text)
        for email in sorted(_variants(self.emails), key=len, reverse=True):
            text = re.sub(re.escape(email), EMAIL, text, flags=re.IGNORECASE)
        if self.phone_digits:
            text = _PHONE_LIKE.sub(self._phone, text)
        words = sorted(_variants(self.name_parts), key=len, reverse=True)
        if words:
            pattern = r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)"
            text = re.sub(pattern, NAME, text, flags=re.IGNORECASE)
        return text

    @property
    def name_parts(self) -> frozenset[str]:
        """Each full name and each of its words long enough to be a name: "Jane Doe", "Jane" and "Doe"."""
        parts = set()
        for name in self.names:
            words = name.split()
            if words:
                parts.add(" ".join(words))
            parts.update(
                word for word in words if len(word) >= SHORTEST_NAME_PART and word.casefold() not in NAME_PARTICLES
            )
        return frozenset(parts)

    def _phone(self, found: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", found.group())
        return PHONE if any(digits.endswith(national) for national in self.phone_digits) else found.group()


def _variants(texts: Iterable[str]) -> set[str]:
    """Each text as written, composed (NFC) and case-folded, so that a case-blind search also finds the forms
    that differ by more than case (ß and SS)."""
    found = set()
    for text in texts:
        composed = unicodedata.normalize("NFC", text)
        found.update({composed, composed.casefold(), composed.upper()})
    return {variant for variant in found if variant}


def key_id(key: bytes) -> str:
    """A short name of a privacy key, kept with the hashes it made, that tells keys apart and gives none away."""
    return hashlib.sha256(b"closedloop privacy key\n" + key).hexdigest()[:16]


def fingerprint(key: bytes, text: str) -> str:
    """A keyed hash of a review's text: the same text always gives it, and it gives the text back to no one
    without the desk's key."""
    return hmac.new(key, " ".join(text.split()).encode("utf-8"), hashlib.sha256).hexdigest()


def erase_conversation(
    conversation: Conversation, person: PersonalData, *, mark: ErasureMark, by: Actor
) -> Conversation:
    """The conversation without the customer's personal data, with an erasure entry at the end of its history.

    Erasing it again changes nothing more than a new entry: what is gone stays gone.
    """
    feedback = attrs.evolve(conversation.feedback, contact=Contact(), comments=(), answers={}, metadata={})
    history = tuple(_erased_entry(entry, person) for entry in conversation.history)
    entry = Interaction(kind=InteractionKind.ERASURE, at=mark.at, author=by, details={"erasure": mark.erasure_id})
    return attrs.evolve(
        conversation,
        feedback=feedback,
        alert=_erased_alert(conversation.alert, person),
        analysis=(),
        history=(*history, entry),
        erasure=mark,
        last_updated_at=mark.at,
        last_updated_by=by.id,
    )


#: Why an erased customer's message never left.
CANCELLED_REASON = "cancelled: its customer's personal data was erased"


def erase_message(message: OutboundMessage, person: PersonalData) -> OutboundMessage:
    """The outbox's copy of a message without the customer's data: its body and, for messages to the customer,
    its addresses and reply link are emptied. One that has not left yet is cancelled, never to be sent; one a
    dispatcher holds is cancelled too, and the dispatcher checks before it sends (:mod:`closedloop.app.outbox`)."""
    to_customer = message.kind is not MessageKind.HANDOFF
    erased = attrs.evolve(
        message,
        recipients=() if to_customer else message.recipients,
        subject=person.redact(message.subject),
        body=ERASED_TEXT,
        reply_link=None,
        file_link=None,
        last_error=None if message.last_error is None else person.redact(message.last_error),
    )
    if message.status in (Delivery.PENDING, Delivery.SENDING):
        return attrs.evolve(
            erased, status=Delivery.CANCELLED, last_error=CANCELLED_REASON, next_attempt_at=None, lease_until=None
        )
    return erased


def holds_personal_data(conversation: Conversation) -> bool:
    """Whether erasing the conversation would take anything away: never erased, or given new personal data
    since (a review the customer wrote again, contact details added)."""
    mark = conversation.erasure
    if mark is None:
        return True
    feedback = conversation.feedback
    if feedback.contact != Contact() or feedback.comments or feedback.answers or feedback.metadata:
        return True
    return any(
        entry.kind is InteractionKind.CUSTOMER_MESSAGE and entry.at >= mark.at and entry.body
        for entry in conversation.history
    )


def _erased_alert(alert: Alert | None, person: PersonalData) -> Alert | None:
    if alert is None:
        return None
    return attrs.evolve(alert, reasons=tuple(person.redact(reason) for reason in alert.reasons))


def _erased_entry(entry: Interaction, person: PersonalData) -> Interaction:
    author = entry.author
    if author.kind is ActorKind.CUSTOMER:
        author = Actor(kind=ActorKind.CUSTOMER, id=author.id, name="customer")
    if entry.kind is InteractionKind.CUSTOMER_MESSAGE:
        details = {key: value for key, value in entry.details.items() if key in KEPT_DETAILS}
        return attrs.evolve(entry, author=author, body=ERASED_TEXT, details=details, recipients=())
    recipients = entry.recipients
    if entry.kind is InteractionKind.EMAIL_REPLY:
        recipients = ()  # the customer's own addresses
    return attrs.evolve(
        entry,
        author=author,
        body=person.redact(entry.body),
        recipients=tuple(person.redact(recipient) for recipient in recipients),
        details=_redacted(entry.details, person),
    )


def _redacted(details: Mapping[str, str], person: PersonalData) -> dict[str, str]:
    return {key: person.redact(value) for key, value in details.items()}


def mask_email(address: str) -> str:
    """``jane.doe@example.com`` as ``j***@e***.com``: enough to tell erasures apart, too little to write to."""
    local, _at, domain = address.partition("@")
    label, dot, top = domain.rpartition(".")
    if not dot:
        label, top = domain, ""
    shown_domain = f"{label[:1]}***" + (f".{top}" if top else "")
    return f"{local[:1]}***@{shown_domain}"


def mask_phone(number: str) -> str:
    """``+33612345678`` as ``+33*******78``: the country and the last two digits."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def masked(person: PersonalData) -> str:
    """The masked identifier an erasure record keeps: its email addresses, then its phone numbers."""
    items = [mask_email(email) for email in sorted(person.emails)] + [
        mask_phone(phone) for phone in sorted(person.phones)
    ]
    return ", ".join(items) or "(no contact details)"


@attrs.frozen(kw_only=True)
class ErasureRecord:
    """What an erasure leaves behind, kept until ``keep_until``: who erased how many conversations of whom
    (masked), when and why. ``by`` is a user id, or ``"retention"`` for the desk's retention policy."""

    id: str = attrs.field(validator=id_field("erasure record"))
    at: datetime = attrs.field(validator=time_field("erasure record"))
    by: str = attrs.field(validator=id_field("erasure record"))
    reason: str = attrs.field(validator=text_field("erasure record"))
    subject: str = attrs.field(validator=text_field("erasure record"))
    conversations: int = attrs.field(validator=whole_field("erasure record", 0, 10**12))
    keep_until: datetime = attrs.field(validator=time_field("erasure record"))


@attrs.frozen(kw_only=True)
class RetentionPolicy:
    """How long a desk keeps personal data: of conversations done (and untouched) for ``done_after``, of those
    marked as spam for ``spam_after``; ``None`` keeps them. Erasure records are kept for ``records_for``."""

    done_after: timedelta | None = timedelta(days=730)
    spam_after: timedelta | None = timedelta(days=30)
    records_for: timedelta = timedelta(days=365)

    def __attrs_post_init__(self) -> None:
        for name in ("done_after", "spam_after", "records_for"):
            value = getattr(self, name)
            if value is None and name != "records_for":
                continue
            if not isinstance(value, timedelta) or not timedelta(0) < value <= LONGEST_RETENTION:
                raise InvalidInput(
                    f"a retention policy's {name} must be a positive timedelta of at most 100 years, "
                    f"e.g. timedelta(days=730); got {shown(value)}"
                    + (" (or None to keep them)" if name != "records_for" else "")
                )


def names_of(contacts: Iterable[Contact]) -> frozenset[str]:
    """The customer's names as their conversations give them, white space tidied."""
    return frozenset(" ".join(contact.name.split()) for contact in contacts if contact.name.strip())

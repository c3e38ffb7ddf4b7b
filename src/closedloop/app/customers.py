"""Who a privacy request is about, and which stored contact details are theirs.

Email addresses are compared composed (NFC) and in lower case, so ``JÖRG@Example.de`` is ``jörg@example.de``
but ``straße@`` is not ``strasse@``: those are two mailboxes. Phone numbers are compared as numbers: a stored
number the desk can read (international, or national in its ``default_region``) matches when it is the same
number; one it cannot read matches only when its digits are exactly one usual way of writing the customer's
number, never because it ends the same way, which another country's number may.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from closedloop.contacts import ContactChecker
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Contact
from closedloop.domain.privacy import PersonalData, names_of
from closedloop.ports import ContactRow

#: The fewest digits a phone number of a customer's own conversations is redacted by in the team's notes.
MIN_PHONE_DIGITS = 6


def normal_email(address: str) -> str:
    return unicodedata.normalize("NFC", address.strip()).lower()


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


@attrs.frozen(kw_only=True)
class Customer:
    """The customer as a request names them: addresses in normal form, numbers in E.164, and the digits of
    each usual way of writing those numbers."""

    emails: frozenset[str]
    phones: frozenset[str]
    digit_forms: frozenset[str]

    @classmethod
    def asked(cls, checks: ContactChecker, emails: Iterable[str], phones: Iterable[str]) -> Customer:
        """The customer a caller names; an address or number that cannot be one is refused, so that a typo
        never passes for an erasure of nobody."""
        for email in emails:
            if email.strip() and checks.email(email.strip()) is None:
                raise InvalidInput(f"email {email!r} is not an email address; give the customer's address")
        numbers = [number for number in phones if number.strip()]
        for number in numbers:
            if checks.phone(number) is None:
                raise InvalidInput(
                    f"tel {number!r} is not a phone number closedloop can read: write it in international form "
                    "(+33 6 12 34 56 78), or open the desk with default_region= (on the command line, --region) "
                    "so that national numbers are read"
                )
        return cls(
            emails=frozenset(normal_email(email) for email in emails if email.strip()),
            phones=frozenset(str(checks.phone(number)) for number in numbers),
            digit_forms=frozenset(form for number in numbers for form in checks.digit_forms(number)),
        )

    def joined(self, checks: ContactChecker, contact: Contact) -> Customer:
        """The customer with the details one of their conversations holds, as far as they can be read."""
        email = {normal_email(contact.email)} if contact.email.strip() else set()
        phone = checks.phone(contact.tel) if contact.tel.strip() else None
        return Customer(
            emails=self.emails | email,
            phones=self.phones | ({phone} if phone is not None else set()),
            digit_forms=self.digit_forms | checks.digit_forms(contact.tel),
        )

    def matches(self, row: ContactRow, checks: ContactChecker) -> bool:
        if row.email and normal_email(row.email) in self.emails:
            return True
        if not row.tel or not self.phones:
            return False
        digits = _digits(row.tel)
        if not any(digits.endswith(form[-6:]) for form in self.digit_forms):
            return False  # cheap: most numbers end otherwise
        normal = checks.phone(row.tel)
        return normal in self.phones if normal is not None else digits in self.digit_forms


def personal_data(checks: ContactChecker, customer: Customer, rows: Sequence[ContactRow]) -> PersonalData:
    """What identifies the customer across their conversations: what the request named and every name,
    address and number those conversations hold, to be taken out of them."""
    numbers = [row.tel for row in rows if row.tel.strip()]
    phones = {normal for number in numbers if (normal := checks.phone(number)) is not None}
    national = {checks.national_digits(number) or _digits(number) for number in numbers}
    national |= {digits for phone in customer.phones if (digits := checks.national_digits(phone))}
    return PersonalData(
        names=names_of(Contact(name=row.name) for row in rows),
        emails=customer.emails | {normal_email(row.email) for row in rows if row.email.strip()},
        phones=frozenset(customer.phones | phones),
        phone_digits=frozenset(digits for digits in national if len(digits) >= MIN_PHONE_DIGITS),
    )

"""Checks contact details with the libraries of the field: email-validator and phonenumbers."""

from __future__ import annotations

import attrs
import email_validator
import phonenumbers


@attrs.frozen
class ContactChecker:
    """Validates addresses and numbers without network look-ups (intake must stay fast and offline).

    ``default_region`` (e.g. ``"FR"``) lets national numbers like ``06 12 34 56 78`` pass; without it a
    number must be international (``+33 6 12 34 56 78``).
    """

    default_region: str | None = None

    def email(self, address: str) -> str | None:
        try:
            result = email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError:
            return None
        return str(result.normalized)

    def phone(self, number: str) -> str | None:
        parsed = self._parsed(number)
        return None if parsed is None else str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))

    def national_digits(self, number: str) -> str | None:
        """The number's digits without its country code or trunk prefix, as it ends however it is written
        (``+33 6 12 34 56 78`` and ``06 12 34 56 78`` both end in ``612345678``); None when it is not valid."""
        parsed = self._parsed(number)
        return None if parsed is None else str(phonenumbers.national_significant_number(parsed))

    def digit_forms(self, number: str) -> frozenset[str]:
        """The digits of each usual way to write the number: international (``33612345678``, and with ``00``
        before it) and national with its trunk prefix (``0612345678``); empty when it is not valid."""
        parsed = self._parsed(number)
        if parsed is None:
            return frozenset()
        international = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)).lstrip("+")
        national = "".join(
            filter(str.isdigit, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
        )
        return frozenset({international, f"00{international}", national})

    def _parsed(self, number: str) -> phonenumbers.PhoneNumber | None:
        try:
            parsed = phonenumbers.parse(number, self.default_region)
        except phonenumbers.NumberParseException:
            return None
        return parsed if phonenumbers.is_valid_number(parsed) else None

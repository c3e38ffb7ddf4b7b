"""Personal data never leaves for the model: email addresses, phone numbers and the customer's surname are
replaced by placeholders (``[EMAIL_1]``, ``[PHONE_1]``, ``[SURNAME]``) before a prompt is sent, and the
placeholders the model writes back are replaced by what they stood for.

One :class:`Masker` serves one call, so the same address gets the same placeholder everywhere in its prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

# An address as people write it: a dot-atom local part, then dot-separated domain labels (letters of any
# script, digits and inner hyphens) ending in a top-level domain of letters.
EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]{2,59})"
    r"(?![\w-])"
)
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE)_\d+\]|\[SURNAME\]")
SURNAME = "[SURNAME]"


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _phone_key(raw: str, regions: Iterable[str | None]) -> str:
    """One key per number however it is written: its E.164 form in the first region where it is a valid
    number, else its digits."""
    for region in regions:
        try:
            parsed = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return _e164(parsed)
    return re.sub(r"\D", "", raw)


def _home_regions(values: Iterable[str]) -> list[str]:
    regions = []
    for value in values:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(value, None))
        except phonenumbers.NumberParseException:
            continue
        if region and region != "ZZ":
            regions.append(str(region))
    return regions


class Masker:
    """Hides and restores one customer's personal data; ``regions`` are where national numbers are read."""

    def __init__(
        self,
        *,
        surname: str = "",
        known: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> None:
        self.known = tuple(value.strip() for value in known if value and value.strip())
        # the customer's own number tells where they live: their national numbers are written that way
        self.regions: tuple[str | None, ...] = tuple(dict.fromkeys([*_home_regions(self.known), *regions, None]))
        self.surname = " ".join(surname.split())
        self.placeholders: dict[str, str] = {}  # (kind, key) joined by ":" -> placeholder
        self.originals: dict[str, str] = {}  # placeholder -> the text it stands for
        self.counts: dict[str, int] = {}
        self._surname_pattern = self._surname_regex()

    def _placeholder(self, kind: str, key: str, original: str) -> str:
        slot = f"{kind}:{key}"
        if slot not in self.placeholders:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{self.counts[kind]}]"
            self.placeholders[slot] = placeholder
            self.originals[placeholder] = original
        return self.placeholders[slot]

    def _email(self, match: re.Match[str]) -> str:
        return self._placeholder("EMAIL", match.group().lower(), match.group())

    def _phone_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where phone numbers are in ``text``, each with its key; the earliest and longest win overlaps."""
        found: list[tuple[int, int, str]] = []
        for region in self.regions:
            matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
            found.extend((match.start, match.end, _e164(match.number)) for match in matcher)
        for value in self.known:  # the contact's own number, even written in a way the matcher misses
            if EMAIL.fullmatch(value) is None:
                key = _phone_key(value, self.regions)
                found.extend((hit.start(), hit.end(), key) for hit in re.finditer(re.escape(value), text))
        chosen: list[tuple[int, int, str]] = []
        for start, end, key in sorted(found, key=lambda span: (span[0], -span[1])):
            if not chosen or start >= chosen[-1][1]:
                chosen.append((start, end, key))
        return chosen

    def _surname_regex(self) -> re.Pattern[str] | None:
        if not self.surname:
            return None
        parts = [part for part in re.split(r"[\s-]+", self.surname) if len(part) >= 2 and part[0].isupper()]
        forms = sorted({self.surname, *parts}, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(form) for form in forms) + r")(?!\w)", re.IGNORECASE)

    def _surname(self, match: re.Match[str]) -> str:
        if match.group().islower() and not self.surname.islower():  # "price" in a comment is no Mr Price
            return match.group()
        self.originals[SURNAME] = self.surname
        return SURNAME

    def mask(self, text: str) -> str:
        """``text`` with every email address, phone number and the surname replaced by a placeholder."""
        text = EMAIL.sub(self._email, text)
        for value in self.known:
            if EMAIL.fullmatch(value) is not None:
                text = re.sub(re.escape(value), lambda hit: self._email(hit), text, flags=re.IGNORECASE)
        pieces: list[str] = []
        last = 0
        for start, end, key in self._phone_spans(text):
            pieces += [text[last:start], self._placeholder("PHONE", key, text[start:end])]
            last = end
        text = "".join([*pieces, text[last:]])
        if self._surname_pattern is not None:
            text = self._surname_pattern.sub(self._surname, text)
        return text

    def restore(self, text: str) -> str:
        """``text`` with the placeholders this masker made put back; any other bracketed text is left alone."""
        return PLACEHOLDER.sub(lambda match: self.originals.get(match.group(), match.group()), text)

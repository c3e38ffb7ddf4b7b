"""Language codes as a prompt names them, and the regions whose phone numbers a customer writing in a language
is likely to give (so national numbers, written without +, are found and masked too)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    phone_regions: tuple[str, ...]


@cache
def _table() -> dict[str, Language]:
    text = (resources.files("closedloop_llm") / "data" / "languages.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return {
        row["code"]: Language(code=row["code"], name=row["name"], phone_regions=tuple(row["phone_regions"].split()))
        for row in rows
    }


def split_locale(locale: str) -> tuple[str, str]:
    """``"fr-CA"`` or ``"fr_CA"`` as ``("fr", "CA")``; the region is ``""`` when not given."""
    language, _, region = locale.strip().replace("_", "-").partition("-")
    region = region.split("-")[-1] if region else ""
    return language.lower(), region.upper() if len(region) == 2 and region.isalpha() else ""


def language_name(locale: str) -> str:
    """How a prompt names the language of ``locale``: ``"French"``; an unknown code is named as a code."""
    code, _ = split_locale(locale)
    known = _table().get(code)
    if known is not None:
        return known.name
    return f"the language whose ISO 639 code is {code!r}" if code else ""


def phone_regions(*locales: str) -> tuple[str, ...]:
    """The regions to read national phone numbers in, for text written in these locales, most likely first."""
    regions: list[str] = []
    for locale in locales:
        code, region = split_locale(locale)
        if region:
            regions.append(region)
        known = _table().get(code)
        if known is not None:
            regions.extend(known.phone_regions)
    return tuple(dict.fromkeys(regions))

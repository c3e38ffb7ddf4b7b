"""The fixed phrase bank offline rephrasing works from, one data file per language (``data/phrases/``).

Rephrasing offline can only recognise and swap what is listed here: greetings, sign-offs, an apology, the
phrases each tone swaps. Keeping them as data makes that limit visible and easy to extend.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import attrs

from closedloop.domain.drafts import TONES

#: The languages the phrase bank has entries for; others get the spacing and punctuation fixes only.
PHRASE_LANGUAGES: tuple[str, ...] = ("en", "fr")
APOSTROPHES = "'\u2019"


def normalised(phrase: str) -> str:
    """How a phrase is looked up: lower case, one kind of apostrophe, single spaces."""
    return " ".join(phrase.replace("\u2019", "'").casefold().split())


def phrase_pattern(phrases: Mapping[str, str] | tuple[str, ...]) -> str:
    """A regular expression matching any of ``phrases`` as whole words, longest first, any apostrophe."""
    any_apostrophe = f"[{APOSTROPHES}]"
    alternatives = []
    for phrase in sorted(phrases, key=len, reverse=True):
        words = [
            "".join(any_apostrophe if char in APOSTROPHES else re.escape(char) for char in word)
            for word in phrase.split()
        ]
        alternatives.append(r"[ \t]+".join(words))
    return "|".join(alternatives) or r"(?!x)x"


def with_case_of(model: str, replacement: str) -> str:
    """``replacement`` in the case of the text it replaces: ``THANKS`` -> ``THANK YOU``, ``Thanks`` ->
    ``Thank you``, ``thanks`` -> ``thank you`` (the pronoun ``I`` stays a capital)."""
    if not replacement:
        return replacement
    letters = [char for char in model if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return replacement.upper()
    if model[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    if replacement == "I" or replacement.startswith(("I ", "I'", "I\u2019")):
        return replacement
    return replacement[:1].lower() + replacement[1:]


@attrs.frozen
class PhraseBank:
    """What rephrasing recognises and swaps in one language."""

    language: str
    greetings: tuple[str, ...]
    sign_offs: tuple[str, ...]
    apology: str
    apology_markers: tuple[str, ...]
    abbreviations: tuple[str, ...]
    swaps: Mapping[str, Mapping[str, str]]  # tone -> phrase -> what it becomes ("" removes it)

    @classmethod
    def from_table(cls, language: str, table: Mapping[str, Any]) -> PhraseBank:
        swaps = table.get("swaps", {})
        return cls(
            language=language,
            greetings=tuple(table["greetings"]),
            sign_offs=tuple(table["sign_offs"]),
            apology=table["apology"],
            apology_markers=tuple(normalised(marker) for marker in table["apology_markers"]),
            abbreviations=tuple(table["abbreviations"]),
            swaps={tone: {normalised(k): v for k, v in swaps.get(tone, {}).items()} for tone in TONES},
        )

    def is_sign_off(self, line: str) -> bool:
        return normalised(line.strip().rstrip(",.!")) in {normalised(sign_off) for sign_off in self.sign_offs}

    def apologises(self, text: str) -> bool:
        words = re.findall(r"\w+", normalised(text))
        return any(word.startswith(self.apology_markers) for word in words)

    @functools.cached_property
    def greeting_pattern(self) -> re.Pattern[str]:
        """A greeting at the very start of a text, its optional name of up to three words, and its mark."""
        word = r"[^\W\d_][\w.'\u2019-]*"
        return re.compile(
            rf"(?P<greeting>{phrase_pattern(self.greetings)})(?:[ \t]+(?P<name>{word}(?:[ \t]+{word}){{0,2}}))?"
            r"[ \t]*(?P<mark>[,!:]|(?=\n)|$)",
            re.IGNORECASE,
        )

    def swapper(self, tone: str) -> Callable[[str], str]:
        """A function that makes the tone's swaps in a text; a removed phrase takes its commas with it."""
        swaps = self.swaps.get(tone, {})
        if not swaps:
            return lambda text: text
        pattern = re.compile(
            rf"(?P<before>,[ \t]*)?(?<!\w)(?P<phrase>{phrase_pattern(tuple(swaps))})(?!\w)(?P<after>[ \t]*,)?",
            re.IGNORECASE,
        )

        def swap(match: re.Match[str]) -> str:
            before, after = match["before"] or "", match["after"] or ""
            replacement = with_case_of(match["phrase"], swaps[normalised(match["phrase"])])
            if replacement:
                return f"{before}{replacement}{after}"
            ends_sentence = match.string[match.end() :].lstrip(" \t")[:1] in ("", ".", "!", "?", "\n")
            if before and after:
                return " "
            if after or (before and ends_sentence):
                return ""
            return before

        return lambda text: pattern.sub(swap, text)


@functools.cache
def phrase_bank(language: str) -> PhraseBank | None:
    """The phrase bank of ``language`` (a primary code such as ``"fr"``), or None when there is none."""
    if language not in PHRASE_LANGUAGES:
        return None
    data = (
        resources.files("closedloop.assistance")
        .joinpath("data", "phrases", f"{language}.toml")
        .read_text(encoding="utf-8")
    )
    return PhraseBank.from_table(language, tomllib.loads(data))

"""The concepts the offline analyzer looks for, and the terms that name them in each language.

A desk uses the default taxonomy (``data/taxonomy.toml``) unless its ``taxonomy=`` setting gives another:
a :class:`Taxonomy` built in code (``Taxonomy({...})`` replaces the default, ``Taxonomy.default().extended({...})``
adds to it) or the path of a TOML file laid out like the default one.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from closedloop.analysis.language import language_of
from closedloop.analysis.sentences import fold, words
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown

# a stem this short would match too many words ("in*" matches "inedible" and "incredible")
SHORTEST_STEM = 3
# a term marked "~" gives way to a plain term of another concept in its clause, and "~~" to any term marked
# less: "~~service" is about staff in "great service", but "~slow" makes "slow service" about waiting
WEAKEST = 2
LAYOUT = 'a taxonomy maps concept names to {language: [terms]}, e.g. {"parking": {"en": ["parking", "car park"]}}'


# a concept a term names, with how plainly: 0 for a plain term, 1 or 2 for a term written with one or two "~"
Naming = tuple[str, int]


@attrs.frozen
class Matcher:
    """One language's terms, folded as the analyzer reads words: what a word or phrase names."""

    words: Mapping[str, tuple[Naming, ...]]
    stems: Mapping[str, tuple[Naming, ...]]
    phrases: Mapping[tuple[str, ...], tuple[Naming, ...]]

    def concepts_of(self, word: str) -> tuple[Naming, ...]:
        """The concepts a folded word names: as a word of the taxonomy, else through the longest stem it starts
        with (so "hygienist*" wins over "hygien*")."""
        found = self.words.get(word)
        if found is not None:
            return found
        for end in range(len(word), SHORTEST_STEM - 1, -1):
            found = self.stems.get(word[:end])
            if found is not None:
                return found
        return ()


def _add(table: dict[Any, tuple[Naming, ...]], key: object, naming: Naming) -> None:
    known = table.get(key, ())
    if naming not in known:
        table[key] = (*known, naming)


def weakness(term: str) -> tuple[str, int]:
    """A term without its leading "~" marks, and how many it had (two at most)."""
    bare = term.lstrip("~")
    return bare, len(term) - len(bare)


class Taxonomy:
    """Concept name -> {language -> terms}. A term is a word, a phrase, or a stem ending in ``*``; matching
    ignores case and accents. A term starting with ``~`` is weak: it names its concept only when its clause names
    no other concept with a plain term (``~~``: with a plain or ``~`` term). Immutable: :meth:`extended` returns a new
    taxonomy."""

    def __init__(self, concepts: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        self._concepts = _checked(concepts)
        self._matchers: dict[str, Matcher | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> Taxonomy:
        """closedloop's own concepts (staff, waiting, product, price, cleanliness, ambience, delivery, booking) in
        English and French."""
        return _default()

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Taxonomy:
        """A taxonomy read from a TOML file: a table per concept, an array of terms per language."""
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(
                f"the taxonomy file {str(path)!r} cannot be read ({error}); give a UTF-8 TOML file"
            ) from error
        try:
            return cls(tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            raise InvalidInput(f"the taxonomy file {str(path)!r} is not valid TOML ({error})") from error

    @classmethod
    def from_setting(cls, value: object) -> Taxonomy:
        """The taxonomy a desk's ``taxonomy=`` setting names: ``None`` for the default, a :class:`Taxonomy`,
        or the path of a TOML file."""
        if value is None:
            return cls.default()
        if isinstance(value, Taxonomy):
            return value
        if isinstance(value, str | os.PathLike):
            return cls.from_toml(value)
        if isinstance(value, Mapping):
            raise InvalidInput(
                "taxonomy= takes a Taxonomy, not a dict: give Taxonomy({...}) to replace the default concepts or "
                "Taxonomy.default().extended({...}) to add to them"
            )
        raise InvalidInput(
            f"taxonomy= is a closedloop.analysis.Taxonomy, the path of a TOML file, or None for the default; "
            f"got {shown(value)}"
        )

    def extended(self, concepts: Mapping[str, Mapping[str, Iterable[str]]]) -> Taxonomy:
        """A taxonomy with these concepts added, or these terms added to concepts it has."""
        merged = {
            name: {language: list(terms) for language, terms in languages.items()}
            for name, languages in self._concepts.items()
        }
        for name, languages in _checked(concepts).items():
            for language, terms in languages.items():
                merged.setdefault(name, {}).setdefault(language, []).extend(terms)
        return Taxonomy(merged)

    @property
    def concepts(self) -> tuple[str, ...]:
        return tuple(self._concepts)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(language for languages in self._concepts.values() for language in languages)

    def terms(self, concept: str, language: str) -> tuple[str, ...]:
        """The terms naming ``concept`` in ``language`` (empty when it has none)."""
        return self._concepts.get(concept, {}).get(language_of(language), ())

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {
            name: {language: list(terms) for language, terms in languages.items()}
            for name, languages in self._concepts.items()
        }

    def matcher(self, language: str) -> Matcher | None:
        """The terms of ``language`` ready for look-ups, built once; ``None`` when the taxonomy has none."""
        if language not in self._matchers:
            with self._lock:
                if language not in self._matchers:
                    self._matchers[language] = self._build_matcher(language)
        return self._matchers[language]

    def _build_matcher(self, language: str) -> Matcher | None:
        single: dict[str, tuple[Naming, ...]] = {}
        stems: dict[str, tuple[Naming, ...]] = {}
        phrases: dict[tuple[str, ...], tuple[Naming, ...]] = {}
        for name, languages in self._concepts.items():
            for term in languages.get(language, ()):
                bare, level = weakness(term)
                if bare.endswith("*"):
                    _add(stems, fold(bare[:-1]), (name, level))
                    continue
                key = tuple(words(bare))
                _add(single if len(key) == 1 else phrases, key[0] if len(key) == 1 else key, (name, level))
        if not (single or stems or phrases):
            return None
        return Matcher(words=single, stems=stems, phrases=phrases)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Taxonomy) and self._concepts == other._concepts

    def __hash__(self) -> int:
        return hash(tuple((name, tuple(sorted(languages.items()))) for name, languages in self._concepts.items()))

    def __repr__(self) -> str:
        return f"Taxonomy({', '.join(self._concepts)}; languages {', '.join(sorted(self.languages))})"


@cache
def _default() -> Taxonomy:
    text = resources.files("closedloop.analysis").joinpath("data", "taxonomy.toml").read_text("utf-8")
    return Taxonomy(tomllib.loads(text))


def _checked(concepts: object) -> dict[str, dict[str, tuple[str, ...]]]:
    """The concepts with names, languages and terms checked and tidied, or an InvalidInput saying what is wrong."""
    if not isinstance(concepts, Mapping):
        raise InvalidInput(f"{LAYOUT}; got {shown(concepts)}")
    checked: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, languages in concepts.items():
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise InvalidInput(f"a concept name is a non-empty text without surrounding spaces; got {shown(name)}")
        if not isinstance(languages, Mapping):
            raise InvalidInput(f"concept {name!r}: {LAYOUT}; got {shown(languages)}")
        checked[name] = {}
        for language, terms in languages.items():
            code = _language_code(name, language)
            checked[name][code] = tuple(
                dict.fromkeys(_term(name, code, term) for term in _term_list(name, code, terms))
            )
    return checked


def _language_code(concept: str, language: object) -> str:
    code = language_of(language) if isinstance(language, str) else ""
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
        raise InvalidInput(
            f"concept {concept!r}: terms are grouped by language code such as 'en' or 'fr'; got {shown(language)}"
        )
    return code


def _term_list(concept: str, language: str, terms: object) -> list[object]:
    if isinstance(terms, str) or not isinstance(terms, Iterable) or isinstance(terms, Mapping):
        raise InvalidInput(
            f'concept {concept!r}, language {language!r}: give a list of terms, e.g. ["parking", "car park"]; '
            f"got {shown(terms)}"
        )
    return list(terms)


def _term(concept: str, language: str, term: object) -> str:
    where = f"concept {concept!r}, language {language!r}"
    if not isinstance(term, str):
        raise InvalidInput(f"{where}: a term is a text; got {shown(term)}")
    tidy = " ".join(term.lower().split())
    bare, level = weakness(tidy)
    if level > WEAKEST or bare.startswith(" "):
        raise InvalidInput(f"{where}: a term starts with at most {WEAKEST} '~' and then its word; got {term!r}")
    pieces = words(bare.removesuffix("*"))
    if not pieces:
        raise InvalidInput(f"{where}: the term {term!r} holds no word; remove it")
    if "*" in bare.removesuffix("*") or "~" in bare:
        raise InvalidInput(f"{where}: in {term!r}, * may only end a term, as in 'friendl*'")
    if bare.endswith("*") and (len(pieces) > 1 or len(pieces[0]) < SHORTEST_STEM):
        raise InvalidInput(
            f"{where}: the stem {term!r} must be one word of at least {SHORTEST_STEM} letters before the *, "
            "so that it does not match unrelated words"
        )
    return tidy

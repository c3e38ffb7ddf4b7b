"""The sentiment lexicons: how positive or negative a word is, and the words that turn others around.

English is VADER's: its lexicon file, shipped in the vaderSentiment wheel, and its rule constants (negations,
boosters and dampeners with their empirically derived increments, the negation scalar), with a few review words
VADER lacks added from ``data/en/``. French is ours, as data in ``data/fr/``: ``lexicon.tsv`` in VADER's format
(word, tab, valence from -4 to 4) and ``rules.toml`` (negations, boosters, contrast words, idioms). In a lexicon,
an entry ending in ``*`` is a prefix ("délicieu*"), one with spaces a phrase.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import attrs
from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    B_DECR,
    B_INCR,
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SENTIMENT_LADEN_IDIOMS,
    SPECIAL_CASES,
)

from closedloop.analysis.sentences import fold, words

NEGATION_SCALAR: float = N_SCALAR
# VADER's emphasis per exclamation mark (at most four count)
EXCLAMATION = 0.292
# what is left of "n't" once an apostrophe splits the word: "didn't" reads as "didn" and "t"
ENGLISH_NOT = "t"


@attrs.frozen
class Meaning:
    """What one word or phrase does to the sentiment of a clause."""

    valence: float = 0.0  # VADER's scale, -4 to 4
    booster: float = 0.0  # added to the size of a valence that follows within three words
    negation: bool = False  # turns a valence within the next three words around
    contrast: bool = False  # "but": ends a clause, and what follows weighs more than what came before
    ends_clause: bool = False  # "and": ends a clause, no more
    # a negation just before it does not turn the sentiment around ("never so good", "jamais aussi bien")
    stops_negation: bool = False


NOTHING = Meaning()


@attrs.frozen
class Lexicon:
    """One language's sentiment words, prefixes, phrases and rules, every key folded (see ``sentences.fold``)."""

    language: str
    entries: Mapping[str, Meaning]
    prefixes: Mapping[str, float]
    phrases: Mapping[tuple[str, ...], Meaning]

    def meaning(self, word: str) -> Meaning:
        """What a folded word does: its own entry, else the longest prefix entry it starts with."""
        found = self.entries.get(word)
        if found is not None:
            return found
        for end in range(len(word), 2, -1):
            valence = self.prefixes.get(word[:end])
            if valence is not None:
                return Meaning(valence=valence)
        return NOTHING


def _data(*path: str) -> str:
    return resources.files("closedloop.analysis").joinpath("data", *path).read_text("utf-8")


def _has_data(language: str) -> bool:
    return resources.files("closedloop.analysis").joinpath("data", language, "rules.toml").is_file()


def valences(text: str) -> dict[str, float]:
    """The entries of a lexicon in VADER's format: word, tab, valence (more columns are ignored); ``#`` starts a
    comment line."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        found[columns[0].strip()] = float(columns[1])
    return found


class _Builder:
    """Collects entries folded and split as the scorer will read them; later entries refine earlier ones."""

    def __init__(self) -> None:
        self.entries: dict[str, Meaning] = {}
        self.prefixes: dict[str, float] = {}
        self.phrases: dict[tuple[str, ...], Meaning] = {}

    def _update(self, term: str, **change: Any) -> None:
        if term.endswith("*"):
            if "valence" in change:
                self.prefixes[fold(term[:-1])] = change["valence"]
            return
        key = tuple(words(term))
        if not key:
            return
        if len(key) == 1:
            self.entries[key[0]] = attrs.evolve(self.entries.get(key[0], NOTHING), **change)
        else:
            self.phrases[key] = attrs.evolve(self.phrases.get(key, NOTHING), **change)

    def add_valences(self, entries: Mapping[str, float]) -> None:
        for term, valence in entries.items():
            self._update(term, valence=valence)

    def add_rules(self, rules: Mapping[str, Any]) -> None:
        self.add_negations(rules.get("negations", ()))
        self.add_boosters(dict.fromkeys(rules.get("boosters", ()), B_INCR))
        self.add_boosters(dict.fromkeys(rules.get("dampeners", ()), B_DECR))
        self.add_contrasts(rules.get("contrasts", ()))
        for term in rules.get("clause_breaks", ()):
            self._update(term, ends_clause=True)
        for term in rules.get("negation_stoppers", ()):
            self._update(term, stops_negation=True)
        self.add_valences(rules.get("idioms", {}))

    def add_negations(self, terms: Iterable[str]) -> None:
        for term in terms:
            self._update(term, negation=True, valence=0.0)

    def add_boosters(self, boosters: Mapping[str, float]) -> None:
        for term, increment in boosters.items():
            self._update(term, booster=increment, valence=0.0)

    def add_contrasts(self, terms: Iterable[str]) -> None:
        for term in terms:
            self._update(term, contrast=True)

    def build(self, language: str) -> Lexicon:
        return Lexicon(language=language, entries=self.entries, prefixes=self.prefixes, phrases=self.phrases)


def english(*, reviews: bool = True) -> Lexicon:
    """VADER's lexicon and rules, with the review wording of ``data/en/`` unless ``reviews`` is False (VADER's
    alone, to compare the scorer with VADER itself)."""
    builder = _Builder()
    vader_words = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    # entries holding no letters (emoticons such as ":)") cannot be met once comments are cut into words
    builder.add_valences({term: valence for term, valence in valences(vader_words).items() if words(term)})
    # VADER's negations, less those that only an apostrophe made ("can't" reads as "can" and "t")
    builder.add_negations(term for term in NEGATE if "'" not in term and "-" not in term)
    builder.add_negations([ENGLISH_NOT])
    builder.add_boosters(BOOSTER_DICT)
    builder.add_contrasts(["but"])
    builder.add_rules({"negation_stoppers": ["so", "this"]})
    # VADER's idioms: those it checks ("to die for") and those it lists for future work ("cut the mustard")
    builder.add_valences({**SENTIMENT_LADEN_IDIOMS, **SPECIAL_CASES})
    if reviews:
        builder.add_valences(valences(_data("en", "lexicon.tsv")))
        builder.add_rules(tomllib.loads(_data("en", "rules.toml")))
    return builder.build("en")


def _ours(language: str) -> Lexicon:
    builder = _Builder()
    builder.add_valences(valences(_data(language, "lexicon.tsv")))
    builder.add_rules(tomllib.loads(_data(language, "rules.toml")))
    return builder.build(language)


@cache
def lexicon_for(language: str) -> Lexicon | None:
    """The lexicon of an ISO 639-1 language, read once per process; ``None`` for a language closedloop has none
    for (its concepts are still found, with a neutral sentiment)."""
    if language == "en":
        return english()
    if language.isalpha() and language.isascii() and _has_data(language):
        return _ours(language)
    return None

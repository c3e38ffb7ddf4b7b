"""closedloop's built-in analyzer: concepts and their sentiment found offline, in English and French.

It runs at intake on every new feedback, so it is built for speed (see ``scoring``); ``desk.analyze`` runs it
again over stored conversations after the taxonomy changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

from closedloop.analysis.language import detect_language_of_words
from closedloop.analysis.lexicon import lexicon_for
from closedloop.analysis.scoring import Reading, read
from closedloop.analysis.sentences import chunks
from closedloop.analysis.taxonomy import Taxonomy
from closedloop.analysis.vocabulary import Vocabulary
from closedloop.domain.conversation import Concept
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown
from closedloop.hookspecs import hookimpl
from closedloop.registry import Registry
from closedloop.settings import Settings

NAME = "offline"

#: How much of one text the analyzer reads: far more than any review or survey answer.
LONGEST_READ = 20_000


class OfflineAnalyzer:
    """Finds the taxonomy's concepts in comments and scores each from -1 to 1, without leaving the process.

    Each text's language is detected, the language the feedback gave as the hint; a text in a language the
    taxonomy has no terms for gives no concepts, and one whose language has no sentiment lexicon gives its
    concepts a neutral 0.
    """

    name = NAME

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        if taxonomy is not None and not isinstance(taxonomy, Taxonomy):
            raise InvalidInput(f"OfflineAnalyzer takes a closedloop.analysis.Taxonomy or None; got {shown(taxonomy)}")
        self.taxonomy = taxonomy if taxonomy is not None else Taxonomy.default()
        self._vocabularies: dict[str, Vocabulary | None] = {}
        self._lock = threading.Lock()

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        """The concepts of each text, in order; ``languages[i]`` is the hint for text ``i``. Only a text's first
        ``LONGEST_READ`` characters are read, so one pasted document cannot hold up an import."""
        found: list[list[Concept]] = []
        concept = _concept
        vocabularies = self._vocabularies
        for text, hint in zip(texts, languages, strict=True):  # what ``reading`` does, without its calls
            if not text or text.isspace():
                found.append([])
                continue
            text = text[:LONGEST_READ]
            cut = chunks(text)
            language = detect_language_of_words(text, cut, hint=hint)
            vocabulary = vocabularies[language] if language in vocabularies else self.vocabulary(language)
            if vocabulary is None:
                found.append([])
                continue
            found.append([concept(name, sentiment) for name, sentiment in read(cut, vocabulary).concepts().items()])
        return found

    def concepts(self, text: str, *, hint: str = "") -> dict[str, float]:
        """Each concept ``text`` names, once, with its mean sentiment rounded to 3 places."""
        reading = self.reading(text, hint=hint)
        return reading.concepts() if reading is not None else {}

    def reading(self, text: str, *, hint: str = "") -> Reading | None:
        """The full reading of ``text``; ``None`` when its language is one the taxonomy has no terms for."""
        if not text or text.isspace():
            return None
        cut = chunks(text)
        language = detect_language_of_words(text, cut, hint=hint)
        vocabulary = self.vocabulary(language)
        return read(cut, vocabulary) if vocabulary is not None else None

    def vocabulary(self, language: str) -> Vocabulary | None:
        """The vocabulary of ``language``, built on first use; ``None`` when the taxonomy has no terms in it."""
        if language not in self._vocabularies:
            with self._lock:
                if language not in self._vocabularies:
                    matcher = self.taxonomy.matcher(language) if language else None
                    self._vocabularies[language] = (
                        Vocabulary(lexicon_for(language), matcher) if matcher is not None else None
                    )
        return self._vocabularies[language]

    def __repr__(self) -> str:
        return f"OfflineAnalyzer({self.taxonomy!r})"


@lru_cache(maxsize=20_000)
def _concept(name: str, sentiment: float) -> Concept:
    """Concepts are immutable and their sentiments rounded, so the same one is made once and shared."""
    return Concept(name=name, sentiment=sentiment)


@hookimpl
def closedloop_register_analyzers(registry: Registry, settings: Settings) -> None:
    registry.add_analyzer(OfflineAnalyzer(Taxonomy.from_setting(settings.taxonomy)))

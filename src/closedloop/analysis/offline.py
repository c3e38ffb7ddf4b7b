"""closedloop's built-in analyzer: concepts and their sentiment found offline, in English and French.

It runs at intake on every new feedback, so it is built for speed (see ``scoring``); ``desk.analyze`` runs it
again over stored conversations after the taxonomy changed.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from functools import lru_cache

from closedloop.analysis.language import detect_language_of_words
from closedloop.analysis.lexicon import lexicon_for
from closedloop.analysis.offprocess import ANSWER_WITHIN, AnalysisProcess, Found, Share, cores_available
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
logger = logging.getLogger("closedloop.analysis")

#: How much of one text the analyzer reads: far more than any review or survey answer.
LONGEST_READ = 20_000
#: Batches sent ahead to the second process and not yet asked for; older ones are let go (their feedback was
#: found stored already, so nobody asks).
AHEAD = 3
#: The second process starts once this many texts were announced ahead: about a fifth of a second of analysis,
#: so small intakes (and test suites) never pay for a process that would not pay off, while a big one has it
#: soon (until it is ready, every text is analysed here).
START_AFTER = 2_000


class OfflineAnalyzer:
    """Finds the taxonomy's concepts in comments and scores each from -1 to 1, without leaving the process.

    Each text's language is detected, the language the feedback gave as the hint; a text in a language the
    taxonomy has no terms for gives no concepts, and one whose language has no sentiment lexicon gives its
    concepts a neutral 0.
    """

    name = NAME

    def __init__(self, taxonomy: Taxonomy | None = None, *, second_process: bool | None = None) -> None:
        """``second_process``: whether bulk intake may analyse its next batch in a second process while it
        stores the current one; ``None`` (the default) when this process may run on two cores or more."""
        if taxonomy is not None and not isinstance(taxonomy, Taxonomy):
            raise InvalidInput(f"OfflineAnalyzer takes a closedloop.analysis.Taxonomy or None; got {shown(taxonomy)}")
        if second_process is not None and not isinstance(second_process, bool):
            raise InvalidInput(f"second_process must be True, False or None; got {shown(second_process)}")
        self.taxonomy = taxonomy if taxonomy is not None else Taxonomy.default()
        self._vocabularies: dict[str, Vocabulary | None] = {}
        self._lock = threading.Lock()
        if second_process is None:
            second_process = cores_available() >= 2 and bool(sys.executable)
        self._process = AnalysisProcess(self.taxonomy.as_dict()) if second_process else None
        self._ahead: deque[tuple[Future[Found], dict[tuple[str, str], int]]] = deque(maxlen=AHEAD)
        self._announced = 0
        self._share = Share()

    def analyze_ahead(self, texts: Sequence[str], *, languages: Sequence[str]) -> None:
        """Start analysing texts that ``analyze`` will soon be asked for, in the second process if there is one
        (started once ``START_AFTER`` texts were announced): a part of them (:class:`Share`), the rest being
        analysed here when asked for; without one, or before it is ready, this does nothing."""
        process = self._process
        self._announced += len(texts)
        if process is None or self._announced < START_AFTER or not process.usable:
            return
        count = self._share.of(len(texts))
        if not count:
            return
        texts, languages = texts[:count], languages[:count]
        positions = {(text, hint): index for index, (text, hint) in enumerate(zip(texts, languages, strict=True))}
        future = process.submit(texts, languages)
        with self._lock:
            self._ahead.append((future, positions))

    def close(self) -> None:
        """End the second process, if one was started; the analyzer works on without it."""
        if self._process is not None:
            self._process.close()

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        """The concepts of each text, in order; ``languages[i]`` is the hint for text ``i``. Only a text's first
        ``LONGEST_READ`` characters are read, so one pasted document cannot hold up an import. Texts sent ahead
        are taken from the second process's answer."""
        if self._ahead:
            return self._answered_ahead(texts, languages)
        return self._analyze_here(texts, languages)

    def _answered_ahead(self, texts: Sequence[str], languages: Sequence[str]) -> list[list[Concept]]:
        """The texts not sent ahead analysed here first, while the second process works on the others; then
        those taken from its answers (waited for if need be), and any it failed to answer analysed here."""
        keys = list(zip(texts, languages, strict=True))
        with self._lock:
            matching = [entry for entry in self._ahead if not entry[1].keys().isdisjoint(keys)]
            for entry in matching:
                self._ahead.remove(entry)
        sent = {key for _future, positions in matching for key in positions}
        mine = [key for key in dict.fromkeys(keys) if key not in sent]
        answers = dict(
            zip(mine, self._analyze_here([text for text, _ in mine], [hint for _, hint in mine]), strict=True)
        )
        for future, positions in matching:
            self._share.answered(ready=future.done())
            try:
                distinct, found = future.result(timeout=ANSWER_WITHIN)
            except Exception:  # the process failed or is late: these texts are analysed here
                if self._process is not None:
                    self._process.close()
                continue
            concepts = [_concept(name, sentiment) for name, sentiment in distinct]
            for key, index in positions.items():
                answers[key] = [concepts[position] for position in found[index]]
            logger.debug("%d texts analysed in the second process", len(positions))
        missing = [key for key in keys if key not in answers]
        if missing:
            here = self._analyze_here([text for text, _ in missing], [hint for _, hint in missing])
            answers.update(zip(missing, here, strict=True))
        return [answers[key] for key in keys]

    def _analyze_here(self, texts: Sequence[str], languages: Sequence[str]) -> list[list[Concept]]:
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
    registry.add_analyzer(
        OfflineAnalyzer(Taxonomy.from_setting(settings.taxonomy), second_process=settings.analysis_process)
    )

"""One language's words as the scorer meets them: the sentiment lexicon and the taxonomy merged, looked up once
per distinct chunk of text.

Looking a word up means folding it, trying the lexicon's entries and prefixes and the taxonomy's words and stems;
a vocabulary does that the first time it meets a chunk and remembers the answer (up to ``MEMO_SIZE`` chunks,
then it starts over), so reading a comment costs about one dictionary look-up per word.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from closedloop.analysis.lexicon import NOTHING, Lexicon, Meaning
from closedloop.analysis.sentences import Piece, pieces
from closedloop.analysis.taxonomy import Matcher, Naming

MEMO_SIZE = 200_000


class Token:
    """A word, phrase or punctuation mark with everything the scorer needs to know about it."""

    __slots__ = (
        "booster",
        "concepts",
        "contrast",
        "exclaims",
        "immune",
        "kind",
        "negation",
        "phrases",
        "stops_negation",
        "valence",
        "word",
    )

    def __init__(self, kind: Piece, word: str, meaning: Meaning = NOTHING, concepts: tuple[Naming, ...] = ()) -> None:
        self.kind = kind
        self.word = word
        self.valence = meaning.valence
        self.booster = meaning.booster
        self.negation = meaning.negation
        self.contrast = meaning.contrast
        self.stops_negation = meaning.stops_negation
        self.concepts = concepts
        # the phrases starting with this word, longest first: (the words after this one, the phrase's token)
        self.phrases: tuple[tuple[tuple[str, ...], Token], ...] = ()
        self.immune = False  # a phrase holding a negation of its own ("pas terrible") is not turned around again
        self.exclaims = min(word.count("!"), 4) if kind is Piece.SENTENCE_END else 0


@attrs.frozen
class _PhraseEntry:
    meaning: Meaning
    concepts: tuple[Naming, ...]


class Vocabulary:
    """The lexicon (may be None: concepts are then found with a neutral sentiment) and the taxonomy's matcher of
    one language, with the memo of chunks already read."""

    def __init__(self, lexicon: Lexicon | None, matcher: Matcher) -> None:
        self._lexicon = lexicon
        self._matcher = matcher
        self._negations = frozenset(
            word for word, meaning in (lexicon.entries if lexicon else {}).items() if meaning.negation
        )
        self._phrases = self._phrase_tokens(lexicon.phrases if lexicon else {}, matcher)
        self._chunks: dict[str, tuple[Token, ...]] = {}

    def _phrase_tokens(
        self, lexicon_phrases: Mapping[tuple[str, ...], Meaning], matcher: Matcher
    ) -> dict[str, tuple[tuple[tuple[str, ...], Token], ...]]:
        """Lexicon and taxonomy phrases by first word. A lexicon phrase names the concepts its words name ("long
        wait" is about waiting); a taxonomy phrase carries the sentiment of the same lexicon phrase, if any."""
        entries: dict[tuple[str, ...], _PhraseEntry] = {}
        for key, meaning in lexicon_phrases.items():
            concepts = tuple(dict.fromkeys(c for word in key for c in matcher.concepts_of(word)))
            entries[key] = _PhraseEntry(meaning, concepts)
        for key, concepts in matcher.phrases.items():
            found = entries.get(key)
            meaning = found.meaning if found else NOTHING
            entries[key] = _PhraseEntry(meaning, tuple(dict.fromkeys((*concepts, *(found.concepts if found else ())))))
        by_first: dict[str, list[tuple[tuple[str, ...], Token]]] = {}
        for key, entry in entries.items():
            token = Token(Piece.WORD, " ".join(key), entry.meaning, entry.concepts)
            token.immune = entry.meaning.negation or any(word in self._negations for word in key)
            by_first.setdefault(key[0], []).append((key[1:], token))
        return {first: tuple(sorted(found, key=lambda item: -len(item[0]))) for first, found in by_first.items()}

    def _word(self, word: str) -> Token:
        meaning = self._lexicon.meaning(word) if self._lexicon else NOTHING
        token = Token(Piece.WORD, word, meaning, self._matcher.concepts_of(word))
        token.phrases = self._phrases.get(word, ())
        return token

    def chunk(self, chunk: str) -> tuple[Token, ...]:
        """The tokens of one chunk of lower-case text (what lies between two spaces)."""
        found = self._chunks.get(chunk)
        if found is None:
            found = tuple(
                self._word(piece) if kind is Piece.WORD else Token(kind, piece) for kind, piece in pieces(chunk)
            )
            if len(self._chunks) >= MEMO_SIZE:
                self._chunks.clear()
            self._chunks[chunk] = found
        return found

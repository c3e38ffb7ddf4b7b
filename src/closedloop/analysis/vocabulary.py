"""One language's words as the scorer meets them: the sentiment lexicon and the taxonomy merged, looked up once
per distinct chunk of text.

Looking a word up means folding it, trying the lexicon's entries and prefixes and the taxonomy's words and stems;
a vocabulary does that the first time it meets a chunk and remembers the answer (up to ``MEMO_SIZE`` chunks,
then it starts over), so reading a comment costs a dictionary look-up per chunk, made at C speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain, islice
from operator import attrgetter

from closedloop.analysis.lexicon import NOTHING, Lexicon, Meaning
from closedloop.analysis.sentences import Piece, pieces
from closedloop.analysis.taxonomy import Matcher, Naming

MEMO_SIZE = 200_000
_WORD = attrgetter("word")


class Token:
    """A word, phrase or punctuation mark with everything the scorer needs to know about it."""

    __slots__ = (
        "booster",
        "concepts",
        "contrast",
        "ends_clause",
        "exclaims",
        "immune",
        "kind",
        "matters",
        "modifies",
        "negation",
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
        self.ends_clause = meaning.ends_clause or meaning.contrast
        self.stops_negation = meaning.stops_negation
        self.concepts = concepts
        self.immune = False  # a phrase holding a negation of its own ("pas terrible") is not turned around again
        self.exclaims = min(word.count("!"), 4) if kind is Piece.SENTENCE_END else 0
        # whether a sentiment word after it must know of it, and whether the scorer needs to look at it at all
        self.modifies = bool(self.valence or self.booster or self.negation or self.stops_negation)
        self.matters = kind is not Piece.WORD or self.modifies or self.ends_clause or bool(concepts)


LINE_END = Token(Piece.SENTENCE_END, "\n")


class Vocabulary:
    """The lexicon (may be None: concepts are then found with a neutral sentiment) and the taxonomy's matcher of
    one language, with the memo of chunks already read."""

    def __init__(self, lexicon: Lexicon | None, matcher: Matcher) -> None:
        self._lexicon = lexicon
        self._matcher = matcher
        entries = lexicon.entries if lexicon else {}
        negations = frozenset(word for word, meaning in entries.items() if meaning.negation)
        # each phrase under its first two words, longest first: (the words after those two, the phrase's token)
        self._phrases: dict[tuple[str, str], list[tuple[tuple[str, ...], Token]]] = {}
        for key, token in _phrase_tokens(lexicon.phrases if lexicon else {}, matcher, negations).items():
            self._phrases.setdefault(key[:2], []).append((key[2:], token))  # type: ignore[arg-type]
        for found in self._phrases.values():
            found.sort(key=lambda entry: -len(entry[0]))
        self._starts = frozenset(self._phrases)
        self._chunks: dict[str, tuple[Token, ...]] = {"\n": (LINE_END,)}

    def tokens(self, chunks: list[str]) -> list[Token]:
        """The tokens of a comment cut by ``sentences.chunks``; a line break ends a sentence, and a phrase is one
        token."""
        known = list(map(self._chunks.get, chunks))
        if None in known:
            known = [
                found if found is not None else self._read(chunk) for found, chunk in zip(known, chunks, strict=True)
            ]
        tokens: list[Token] = list(chain.from_iterable(known))  # type: ignore[arg-type]
        words = list(map(_WORD, tokens))
        starts = self._starts.intersection(zip(words, islice(words, 1, None), strict=False))
        return self._join_phrases(tokens, words, starts) if starts else tokens

    def _join_phrases(self, tokens: list[Token], words: list[str], starts: frozenset[tuple[str, str]]) -> list[Token]:
        """``tokens`` with the words of each phrase replaced by the phrase, the longest where several start at one
        place; only called when two words that start a phrase follow each other, and only looking there."""
        found: list[tuple[int, int, Token]] = []
        count = len(words)
        for first, second in starts:
            index = words.index(first)
            while True:
                if index + 1 < count and words[index + 1] == second:
                    for rest, phrase in self._phrases[first, second]:
                        end = index + 2 + len(rest)
                        if end <= count and tuple(words[index + 2 : end]) == rest:
                            found.append((index, end, phrase))
                            break
                try:
                    index = words.index(first, index + 1)
                except ValueError:
                    break
        if not found:
            return tokens
        found.sort(key=lambda match: (match[0], -match[1]))
        joined: list[Token] = []
        done = 0
        for start, end, phrase in found:
            if start >= done:  # a phrase inside or across one already joined is left alone
                joined.extend(tokens[done:start])
                joined.append(phrase)
                done = end
        joined.extend(tokens[done:])
        return joined

    def _read(self, chunk: str) -> tuple[Token, ...]:
        found = tuple(
            self._word(piece) if kind is Piece.WORD else Token(kind, piece) for kind, piece in pieces(chunk.strip())
        )
        if len(self._chunks) >= MEMO_SIZE:
            self._chunks.clear()
            self._chunks["\n"] = (LINE_END,)
        self._chunks[chunk] = found
        return found

    def _word(self, word: str) -> Token:
        meaning = self._lexicon.meaning(word) if self._lexicon else NOTHING
        return Token(Piece.WORD, word, meaning, self._matcher.concepts_of(word))


def _phrase_tokens(
    lexicon_phrases: Mapping[tuple[str, ...], Meaning], matcher: Matcher, negations: frozenset[str]
) -> dict[tuple[str, ...], Token]:
    """Lexicon and taxonomy phrases by their words. A lexicon phrase names the concepts its words name ("long
    wait" is about waiting); a taxonomy phrase carries the sentiment of the same lexicon phrase, if any; a
    phrase holding a negation is not turned around by another."""
    concepts: dict[tuple[str, ...], tuple[Naming, ...]] = {
        key: tuple(dict.fromkeys(naming for word in key for naming in matcher.concepts_of(word)))
        for key in lexicon_phrases
    }
    for key, named in matcher.phrases.items():
        concepts[key] = tuple(dict.fromkeys((*named, *concepts.get(key, ()))))
    tokens: dict[tuple[str, ...], Token] = {}
    for key, named in concepts.items():
        meaning = lexicon_phrases.get(key, NOTHING)
        token = Token(Piece.WORD, " ".join(key), meaning, named)
        token.immune = meaning.negation or any(word in negations for word in key)
        tokens[key] = token
    return tokens

"""Which language a comment is written in: the feedback's locale is a hint, often missing or wrong.

The detector is py3langid, a maintained naive-Bayes model shipped in its wheel. Loading it takes most of a second
and classifying a comment tens of microseconds, so the model is loaded once per process on first use, and a
comment made mostly of one listed language's common function words (the hinted one first) is taken to be in it
without asking the model: most comments left at a wrong default locale never need it.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Collection, Sequence
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from closedloop.analysis.sentences import fold

if TYPE_CHECKING:
    from closedloop.domain.feedback import Feedback

WORD = re.compile(r"[^\W\d_]+")

# a text with fewer words or characters than these is too short to tell: the hint stands
MIN_WORDS = 2
MIN_LETTERS = 8
# the model's answer is kept when it gives this probability or more; below, the hint is kept unless the model's
# first choice is a language of the function-word lists rated this many times above the hint (short comments
# make the model unsure, and its unsure first choice is often a language nobody wrote in)
CONFIDENT = 0.5
FAR_ABOVE = 2.0
# when the model is unsure over every language, a language of the function-word lists rated this many times above
# the hint is taken instead of it
FAR_ABOVE_AMONG_KNOWN = 4.0
# the function-word check: at least this many of the hint's function words, making this share of the words,
# and this many times more than the other languages' together
AGREE_HITS = 2
AGREE_SHARE = 0.2
AGREE_MARGIN = 2.0
# a language nobody hinted at needs this share of the words to be its function words
PLAIN_SHARE = 0.3
# the model reads this many characters first (it costs about half a microsecond a character), and this many
# more when that was not enough to be sure; a long comment costs no more
QUICK_PREFIX = 120
DETECT_PREFIX = 300

_model_lock = threading.Lock()
_model: Any = None


@lru_cache(maxsize=1024)
def language_of(locale: str) -> str:
    """The language part of a locale, lower case: ``"fr-CA"`` and ``"fr_CA"`` are ``"fr"``; ``""`` stays ``""``."""
    return re.split(r"[-_.@]", locale.strip(), maxsplit=1)[0].lower()


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """Each language's function words, as typed and without accents."""
    text = resources.files("closedloop.analysis").joinpath("data", "function_words.toml").read_text("utf-8")
    return {
        language: frozenset({*words, *map(fold, words)}) for language, words in tomllib.loads(text)["words"].items()
    }


@cache
def common_words() -> frozenset[str]:
    """The function words of every language listed, as typed and without accents: words met in most comments."""
    return frozenset().union(*_function_words().values())


def _identifier() -> Any:
    """py3langid's identifier, loaded once per process; a private instance so no caller's settings reach it."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

                _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _model


@lru_cache(maxsize=64)
def _others(language: str) -> frozenset[str]:
    """The function words of the other languages that are not also the language's own."""
    lists = _function_words()
    return frozenset().union(*(words for name, words in lists.items() if name != language)) - lists[language]


def _function_words_agree(words: Sequence[str], hint: str) -> bool:
    """Whether the text's common function words clearly belong to the hinted language: set look-ups at C
    speed, the other languages' words counted together."""
    own_words = _function_words().get(hint)
    if own_words is None:
        return False
    own = sum(map(own_words.__contains__, words))
    if own < AGREE_HITS or own < AGREE_SHARE * len(words):
        return False
    return own >= AGREE_MARGIN * sum(map(_others(hint).__contains__, words))


@lru_cache(maxsize=64)
def _own(language: str) -> frozenset[str]:
    """The function words of the language that no other language listed has."""
    lists = _function_words()
    return lists[language].difference(*(words for name, words in lists.items() if name != language))


def _plainly_in(words: Sequence[str], language: str) -> bool:
    """Whether the text is plainly in ``language`` though nobody said so: a larger share of its function words,
    words no other listed language has among them, and none of the other languages' words, since languages
    share many ("de", "la", "a") and the lists are short."""
    own = _function_words()[language]
    return (
        sum(map(_own(language).__contains__, words)) >= AGREE_HITS
        and sum(map(own.__contains__, words)) >= PLAIN_SHARE * len(words)
        and not any(map(_others(language).__contains__, words))
    )


def detect_language(text: str, *, hint: str = "") -> str:
    """The ISO 639-1 code of the language ``text`` is written in (``"en"``, ``"fr"``, ``"de"``, ...).

    ``hint`` is the language or locale the text is said to be in; it is the answer when the text is empty or too
    short to tell, or when the detector is unsure and does not rate another language far above it.
    """
    return detect_language_of_words(text, WORD.findall(text.lower()), hint=hint)


def detect_language_of_words(text: str, words: Sequence[str], *, hint: str = "") -> str:
    """:func:`detect_language` for a caller that has already cut ``text`` into its lower-case words (whitespace
    chunks will do: a word with punctuation attached is merely not counted as a function word)."""
    hint = language_of(hint)
    if len(words) < MIN_WORDS or len(text) < MIN_LETTERS:
        return hint
    if hint and _function_words_agree(words, hint):
        return hint
    for language in _function_words():  # most comments left at a wrong default are plainly in another language
        if language != hint and _plainly_in(words, language):
            return language
    identifier = _identifier()
    best, probability = identifier.classify(text[:QUICK_PREFIX])
    if probability >= CONFIDENT:
        return str(best)
    ranked: list[tuple[str, float]] = identifier.rank(text[:DETECT_PREFIX])
    best, probability = ranked[0]
    if probability >= CONFIDENT:
        return best
    known = _function_words()
    if not hint:
        return next((language for language, _ in ranked if language in known), best)
    if best in known and probability >= FAR_ABOVE * dict(ranked).get(hint, 0.0):
        return best
    return _likeliest_known(ranked, known, hint)


def _likeliest_known(ranked: Sequence[tuple[str, float]], known: Collection[str], hint: str) -> str:
    """The hint, unless the model rates a language closedloop knows far above it: a short French comment left at
    the default locale ("Super accueil, merci !") leaves the model unsure between French and Latin, but it
    still rates French ten times above English."""
    probabilities = dict(ranked)
    others = [(probability, language) for language, probability in ranked if language in known and language != hint]
    if not others:
        return hint
    probability, likeliest = max(others)
    return likeliest if probability >= FAR_ABOVE_AMONG_KNOWN * probabilities.get(hint, 0.0) else hint


def feedback_language(feedback: Feedback) -> str:
    """The language the feedback's comments are written in, its ``locale`` as the hint."""
    return detect_language(feedback.text, hint=feedback.locale)

"""Finding conversations by their customer or their text: the words a conversation is found by, and a search.

Both sides are folded alike (compatibility decomposition, accents dropped, case folded) and split into words of
letters and digits, so ``Élodie`` is found by ``elodie`` and ``jane.doe@example.com`` by its four words. A word
of the search matches a word of the conversation that begins with it, and every word of the search must match.
An email address and a phone number are also kept whole, as their letters and digits run together
(:func:`joined`: ``jane.doe@example.com`` as ``janedoeexamplecom``, ``+33 6 12 34 56 78`` as ``33612345678``), so
one typed whole is one rare word to look up rather than several common ones (``example``, ``com``).

Results come newest activity first, by *position*: a number a store gives a conversation when it stores it,
and again whenever it saves it with a new last update, higher each time. The index keeps its entries in that
order, so a search reads matches from the newest down and stops at a page, whatever the number of matches;
the keyset cursor holds the last position of a page. (A change that keeps the last update, such as analysing
again, keeps the position; conversations taken in together keep the order they were given in.)
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable

import attrs

from closedloop.domain.conversation import CUSTOMER_VISIBLE, Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.inbox import UnreadableConversation, stored_integer
from closedloop.domain.privacy import ERASURE_MARKS
from closedloop.domain.text import shown

#: The longest search text taken: a name, an address, a few words of a comment.
MAX_SEARCH_TEXT = 200
#: The most words one search may hold.
MAX_SEARCH_WORDS = 12
#: Words are kept and compared up to this many characters; a longer word is cut on both sides alike.
MAX_WORD = 60

_WORD = re.compile(r"[^\W_]+")
#: Each ASCII byte that is no letter or digit as a space: ASCII text (most of it, once folded) is split into the
#: words :data:`_WORD` finds by a byte translation and ``split``, about four times faster than the expression.
_ASCII_WORD_BYTES = bytes(byte if byte < 0x80 and chr(byte).isalnum() else 0x20 for byte in range(256))
LAST_MARK_PLANE_END = 0x20000
#: Anything but ASCII and the combining accents of Latin letters (U+0300 to U+036F)
_BEYOND_LATIN_ACCENTS = re.compile("[^\x00-\x7f\u0300-\u036f]")
#: Any character beyond Latin-1, the characters that are one byte in ``latin-1``
_BEYOND_LATIN_1 = re.compile("[^\x00-\xff]")


def fold(text: str) -> str:
    """The text without accents and case, as the search compares it. Every search is folded here (and so is a
    conversation :func:`searchable_words` cannot fold a character at a time), so plain ASCII (most text) is only
    lowered and accents are dropped by one ``str.translate``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    if not _BEYOND_LATIN_ACCENTS.search(decomposed):  # Latin letters and their accents: the accents simply go
        return decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return decomposed.translate(_combining_marks()).casefold()


@functools.cache
def _combining_marks() -> dict[int, None]:
    """Every combining mark (a nonzero combining class) mapped to nothing, made on first use. Unicode has none
    from U+20000 on (the planes of ideographs and private use), so the search stops there."""
    return {point: None for point in range(LAST_MARK_PLANE_END) if unicodedata.combining(chr(point))}


def _latin_word_byte(byte: int) -> int:
    """The byte a Latin-1 character becomes in :data:`_LATIN_WORD_BYTES`; it is folded as :func:`fold` folds it
    (the same alone as in any text), but without making :func:`_combining_marks` on import."""
    decomposed = unicodedata.normalize("NFKD", chr(byte))
    folded = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    if len(folded) == 1 and folded.isascii() and folded.isalnum():
        return ord(folded)
    return 0x20 if folded and not _WORD.search(folded) else 0x80


#: Each Latin-1 character (one byte of ``latin-1``, as ASCII and most accented Latin letters are) as the byte of
#: the one ASCII letter or digit it folds to (``É`` as ``e``), as a space if it folds to no letter or digit, and
#: otherwise (``ß`` as ``ss``, ``æ``) as a byte that is no ASCII: text encoded in Latin-1 and so translated is
#: split into its folded words by ``split``, unless it then holds such a byte and is left to the expression.
_LATIN_WORD_BYTES = bytes(map(_latin_word_byte, range(256)))
#: Every byte of translated text but a space as an ``x``: a text holds a word too long when it holds this run.
_WORDS_AS_X = bytes(0x20 if byte == 0x20 else 0x78 for byte in range(256))
_LONG_WORD = b"x" * (MAX_WORD + 1)
#: The Latin-1 characters that are no digit (``str.isdigit``: ``²`` is one), left out of a phone number whole.
_NOT_DIGIT_BYTES = bytes(byte for byte in range(256) if not chr(byte).isdigit())


def words_of(text: str) -> list[str]:
    """The folded words of a text, in order, each cut to :data:`MAX_WORD` characters."""
    return [word[:MAX_WORD] for word in _split(fold(text))]


def _split(folded: str) -> list[str]:
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split()
    return _WORD.findall(folded)


def _distinct_words(text: str) -> dict[str, None]:
    """The distinct words of :func:`words_of`, in the order they first occur; cut only when one is too long."""
    distinct = dict.fromkeys(_split(fold(text)))
    if max(map(len, distinct), default=0) > MAX_WORD:
        return dict.fromkeys(word[:MAX_WORD] for word in distinct)
    return distinct


def joined(text: str) -> str:
    """An address or a number as one word: its folded letters and digits run together."""
    return "".join(words_of(text))[:MAX_WORD]


def _texts(conversation: Conversation) -> list[str]:
    """What a conversation is found by: its customer (name, email and phone first, in this order), their comments
    and answers, and what was said between them and the team (notes and other internal entries are left out)."""
    feedback = conversation.feedback
    contact = feedback.contact
    texts = [contact.name, contact.email, contact.tel]
    for comment in feedback.comments:  # loops: cheaper than comprehensions on every conversation taken in
        texts.append(comment.text)
    texts += feedback.answers.values()
    for entry in conversation.history:
        if entry.kind in CUSTOMER_VISIBLE:
            texts.append(_without_marks(entry.body))
    return texts


def _without_marks(body: str) -> str:
    """A reply without the marks an erasure leaves in place of the customer's details: searching ``name`` should
    not find every conversation whose customer was erased."""
    if "[" not in body:
        return body
    for mark in ERASURE_MARKS:
        body = body.replace(mark, " ")
    return body


def searchable_words(conversation: Conversation) -> str:
    """The distinct words a conversation is found by, separated by spaces, in the order they first occur:
    what a store indexes, and compares again when the conversation is saved. Its email and phone number whole
    (:func:`joined`, and the phone's digits) come last, unless they are already there."""
    texts = _texts(conversation)
    text = "\n".join(texts)  # folded and cut together: a line break is no word
    encoded = _latin_1(text)
    if encoded is None or not (spaced := encoded.translate(_LATIN_WORD_BYTES)).isascii():
        return _words_of_any_text(text, texts[1], texts[2])  # a character folds to several, or beyond ASCII
    seen = dict.fromkeys(spaced.split())  # most text is split here, as bytes: see _LATIN_WORD_BYTES
    if _LONG_WORD in spaced.translate(_WORDS_AS_X):
        seen = dict.fromkeys(word[:MAX_WORD] for word in seen)
    email_start = len(texts[0]) + 1  # one byte a character: the email's folded letters and digits are these
    tel_start = email_start + len(texts[1]) + 1
    email = spaced[email_start : tel_start - 1].replace(b" ", b"")[:MAX_WORD]
    tel = encoded[tel_start : tel_start + len(texts[2])].translate(None, _NOT_DIGIT_BYTES)[:MAX_WORD]
    for whole in (email, tel):
        if whole:
            seen[whole] = None
    return b" ".join(seen).decode("latin-1")  # ASCII but the phone's digits, which are kept as they are (²)


def _latin_1(text: str) -> bytes | None:
    """The text in Latin-1, one byte a character, each character beyond it (few, if any) replaced by one that
    folds alike (:func:`_stand_in`); ``None`` if one has none."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        for char in set(_BEYOND_LATIN_1.findall(text)):
            stand_in = _stand_in(char)
            if stand_in is None:
                return None
            text = text.replace(char, stand_in)
        return text.encode("latin-1")


@functools.cache
def _stand_in(char: str) -> str | None:
    """A character beyond Latin-1 as one of ASCII that folds alike, in any text: a space for one that folds to no
    letter or digit (a typographic apostrophe, ``…``, an emoji), the letter for one that folds to one ASCII letter
    (``ș`` as ``s``); ``None`` for any other (``œ``, ``ﬁ``, a mark, which folds to nothing), and for digits, which a
    phone number keeps as they are (``①``, not ``1``)."""
    if char.isdigit():
        return None
    folded = fold(char)
    if len(folded) == 1 and folded.isascii() and folded.isalnum():
        return folded
    return " " if folded and not _WORD.search(folded) else None


def _words_of_any_text(text: str, email: str, tel: str) -> str:
    """:func:`searchable_words` of texts in any script (all of them joined in ``text``), by regular expression."""
    seen = _distinct_words(text)
    for whole in (joined(email), "".join(filter(str.isdigit, tel))[:MAX_WORD]):
        if whole:
            seen[whole] = None
    return " ".join(seen)


def matches_words(indexed: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether every wanted word begins one of the indexed words."""
    words = tuple(indexed)
    return all(any(word.startswith(prefix) for word in words) for prefix in wanted)


@attrs.frozen
class Found:
    """A conversation a search found (or one a store holds but cannot read back), with its position: a number
    the store gives a conversation when it is added, and again each time it is saved with a new last update, so
    that the higher comes first."""

    position: int
    entry: Conversation | UnreadableConversation


@attrs.frozen
class SearchCursor:
    """Where a page of results ended: the position of its last item, and a fingerprint of the search (its words,
    folders and places), since a position only means something in the search that gave it."""

    position: int
    search: str

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(["s", self.position, self.search]).encode("utf-8")).decode("ascii")

    @classmethod
    def decode(cls, text: object, *, search: str) -> SearchCursor:
        """The cursor ``text`` encodes, refused unless it comes from the search whose fingerprint is ``search``."""
        try:
            if not isinstance(text, str):
                raise TypeError("not a cursor")
            mark, position, fingerprint = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
            if mark != "s" or not stored_integer(position) or not isinstance(fingerprint, str):
                raise TypeError("not a cursor")
        except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError):
            raise InvalidInput(
                f"{shown(text)} is not a search cursor; pass the .next of a previous page of the same search as after="
            ) from None
        if fingerprint != search:
            raise InvalidInput(
                "this cursor continues another search (other words, folder or places); pass the .next of a previous "
                "page of this same search as after=, or leave after out to start from the first page"
            )
        return cls(position, fingerprint)


def fingerprint(words: Iterable[str], folders: Iterable[Folder], places: Iterable[str] | None) -> str:
    """A short fingerprint of what a search looks for and where, that its cursors carry."""
    described = [list(words), sorted(folder.value for folder in folders), None if places is None else sorted(places)]
    return hashlib.sha256(json.dumps(described).encode("utf-8")).hexdigest()[:16]


@attrs.frozen(kw_only=True)
class SearchQuery:
    """One page of a search, already narrowed to the place ids the user may see (``None``: all) and to its
    folders. ``words`` are folded (:func:`words_of`); stores return up to ``limit`` items, highest position
    first, below ``after``."""

    place_ids: frozenset[str] | None
    folders: frozenset[Folder]
    words: tuple[str, ...]
    limit: int = 50
    after: SearchCursor | None = None

    def matches(self, conversation: Conversation, position: int) -> bool:
        if self.place_ids is not None and conversation.place_id not in self.place_ids:
            return False
        if conversation.folder not in self.folders:
            return False
        if self.after is not None and position >= self.after.position:
            return False
        return matches_words(searchable_words(conversation).split(), self.words)

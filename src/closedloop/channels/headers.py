"""Email headers written as closedloop means them, whatever the Python version.

The email package parses every header value it is given, and it decodes the RFC 2047 encoded words it finds
there. Before the fix of gh-121650 (CVE-2024-6923: Python 3.11.10, 3.12.5, 3.13) it then wrote what it had
decoded back out as raw text, so a place called ``=?utf-8?q?=0D=0AReply-To:_evil@example.com?=`` ended the
Subject line and added a header of its own. The fixed versions encode the line break instead, but the
customer then sees a name that is not the one written.

So the headers that carry what people wrote (display names, subjects) and the address lists never go
through that parser: they are header objects of our own, which the email package stores and writes as they
are (an object with a ``name`` is taken as a finished header). A text that is plain words of printable ASCII
is written as it is; any other text is written whole as base64 encoded words, which every reader decodes back
to exactly the text given, and in which no byte can end a line.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence
from email.policy import Policy

__all__ = ["ReadyHeader", "address_list", "mailbox", "one_line", "unstructured"]

#: Characters a display name may hold unencoded: RFC 5322 atext and the space between words.
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+")
#: Characters a subject may hold unencoded: printable ASCII.
_PLAIN_TEXT = re.compile(r"[\x20-\x7e]+")
#: Longest plain word, so that a header can always fold between words within 78 characters.
_LONGEST_WORD = 60
#: UTF-8 bytes per encoded word: 39 make 52 base64 characters, 64 with ``=?utf-8?b?`` and ``?=``, so that
#: even after ``Subject: `` a line stays within the 76 characters RFC 2047 allows.
_WORD_BYTES = 39


def one_line(value: str) -> str:
    """A name or subject from stored data, on one line: every control character and run of white space
    (line breaks of any kind included) becomes one space."""
    spaced = "".join(" " if unicodedata.category(character) in ("Cc", "Zl", "Zp") else character for character in value)
    return " ".join(spaced.split())


class ReadyHeader(str):
    """A header the email package keeps and writes as it is: its text is what it shows (``str(header)``),
    its words are what goes over the wire, folded between words only."""

    name: str
    words: tuple[str, ...]

    def __new__(cls, name: str, shown: str, words: Sequence[str]) -> ReadyHeader:
        header = super().__new__(cls, shown)
        header.name = name
        header.words = tuple(words)
        return header

    def __getnewargs__(self) -> tuple[str, str, tuple[str, ...]]:  # type: ignore[override]
        """What copying and pickling need to make the header again (a str subclass gives only its text)."""
        return self.name, str(self), self.words

    def fold(self, *, policy: Policy) -> str:
        """The header's lines, each within the policy's line length wherever the words allow it."""
        limit = policy.max_line_length or 0
        lines = [f"{self.name}:"]
        for word in self.words:
            if limit and len(lines[-1]) + 1 + len(word) > limit and lines[-1] != f"{self.name}:":
                lines.append("")
            lines[-1] += " " + word
        return policy.linesep.join(lines) + policy.linesep


def encoded_words(text: str) -> list[str]:
    """``text`` as base64 UTF-8 encoded words of whole characters (RFC 2047 section 5), each ending after a
    space of the text where one is near: readers that wrongly show a space between two encoded words (as
    Python's own does in a display name) then at worst double a space rather than cut a word."""
    chunks: list[bytes] = [b""]
    for piece in re.findall(r"[^ ]* ?", text):
        encoded = piece.encode("utf-8")
        if chunks[-1] and len(chunks[-1]) + len(encoded) > _WORD_BYTES:
            chunks.append(b"")
        for character in piece if len(encoded) > _WORD_BYTES else [piece]:
            raw = character.encode("utf-8")
            if len(chunks[-1]) + len(raw) > _WORD_BYTES:
                chunks.append(b"")
            chunks[-1] += raw
    return [f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in chunks if chunk]


def _words(text: str, plain: re.Pattern[str]) -> list[str]:
    """Plain words when the text allows it, else the whole text as encoded words."""
    split = text.split(" ")
    if plain.fullmatch(text) and "=?" not in text and all(0 < len(word) <= _LONGEST_WORD for word in split):
        return split
    return encoded_words(text)


def unstructured(name: str, text: str) -> ReadyHeader:
    """A Subject-like header showing exactly ``text`` (already on one line)."""
    return ReadyHeader(name, text, _words(text, _PLAIN_TEXT) if text else [])


def mailbox(name: str, display_name: str, address: str) -> ReadyHeader:
    """A From-like header: ``display_name`` shown exactly, then the address (already checked) in brackets."""
    if not display_name:
        return ReadyHeader(name, address, [address])
    return ReadyHeader(name, f"{display_name} <{address}>", [*_words(display_name, _PLAIN_PHRASE), f"<{address}>"])


def address_list(name: str, addresses: Sequence[str]) -> ReadyHeader:
    """A To-like header of bare addresses (already checked), folded between them."""
    words = [address + "," for address in addresses[:-1]] + list(addresses[-1:])
    return ReadyHeader(name, ", ".join(addresses), words)

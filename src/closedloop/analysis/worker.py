"""The second process of the offline analyzer: ``python -m closedloop.analysis.worker``.

Bulk intake spends about as long analysing comments as storing them, and Python runs one thread at a time, so
on a machine with a free core the analysis of the next batch runs here while the desk's process stores the
current one (see :mod:`closedloop.analysis.offprocess`). The two talk over the child's standard input and output
in frames: a four-byte big-endian length, then a MessagePack body.

- The parent's first frame is the taxonomy (``Taxonomy.as_dict()``); the child answers ``["ready"]`` once its
  analyzer is built.
- Each later frame is ``[number, texts, languages]``; the answer is ``[number, concepts, found]``: the distinct
  ``[name, sentiment]`` pairs of the batch, and for each text the positions of its own among them (a batch names
  a few hundred, so each is decoded once); or ``[number, None, reason]`` when the analyzer failed.
- The child ends when its input ends, as it does when the parent exits.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from closedloop.domain.conversation import Concept

HEADER = struct.Struct(">I")


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's body, or None once the stream ends (also mid-frame: the other side is gone)."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    body = stream.read(size)
    return body if len(body) == size else None


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def numbered(found: Iterable[Iterable[Concept]]) -> tuple[list[tuple[str, float]], list[list[int]]]:
    """The distinct concepts of a batch, and each text's as positions among them."""
    positions: dict[Concept, int] = {}
    of_texts = [[positions.setdefault(concept, len(positions)) for concept in concepts] for concepts in found]
    return [(concept.name, concept.sentiment) for concept in positions], of_texts


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer the parent's frames until its input ends."""
    from closedloop.analysis.offline import OfflineAnalyzer  # after the frames' helpers: a failed import is told
    from closedloop.analysis.taxonomy import Taxonomy

    encode, decode = msgspec.msgpack.encode, msgspec.msgpack.decode
    first = read_frame(requests)
    if first is None:
        return
    analyzer = OfflineAnalyzer(Taxonomy(decode(first)), second_process=False)
    write_frame(answers, encode(["ready"]))
    while (frame := read_frame(requests)) is not None:
        number, texts, languages = decode(frame)
        answer: list[Any]
        try:
            answer = [number, *numbered(analyzer.analyze(texts, languages=languages))]
        except Exception as error:  # any failure is the parent's to report; this process goes on
            answer = [number, None, f"{type(error).__name__}: {error}"]
        write_frame(answers, encode(answer))


def main() -> None:
    # the frames keep the real standard output; anything a library prints goes to standard error instead
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()

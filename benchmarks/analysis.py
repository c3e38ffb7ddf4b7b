"""The offline analyzer: its throughput in comments per second, and intake into SQLite with it on against off.

Both read realistic review comments (``review_text.review_comments``, about half English, half French). For the
intake rates, three desks ingest the same kind of feedback (two comments each, ratings, a contact): the analyzer
as it comes (its second process used on two cores or more), the analyzer kept to the desk's own process, and
the analyzer blocked; they take turns a round at a time, each first in turn, as ``intake.py`` does, so a
processor that changes speed during the run slows all alike. Most feedback gives its language as ``locale``;
every tenth leaves it at the default "en", as survey tools often do, so the detector has work to do.

    python benchmarks/analysis.py 100000 /tmp/bench     # items for the intake rounds, where the databases go
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedback_data import place_ids
from review_text import review_comments

import closedloop.analysis.offline
from closedloop import Comment, Contact, Desk, Feedback, Place, Rating, RatingKind
from closedloop.analysis.offline import OfflineAnalyzer
from closedloop.plugins import BUILTINS

ROUND = 10_000
BATCH = 1_000
ANALYZER = "closedloop.analysis.offline"
START = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_LOCALE_EVERY = 10  # every tenth feedback leaves its locale at the default "en"


def items(count: int, places: Sequence[str], *, start: int) -> list[Feedback]:
    """``count`` feedback, two comments each in one language, made before the clock starts."""
    generator = random.Random(start)
    pools: dict[str, list[str]] = {"en": [], "fr": []}
    for language, text in review_comments(count * 2 + 100, seed=start):
        pools[language].append(text)
    made = []
    for number in range(start, start + count):
        language = "en" if generator.random() < 0.5 else "fr"
        pool = pools[language] if len(pools[language]) >= 2 else pools["en"] + pools["fr"]
        first, second = pool.pop(), pool.pop()
        made.append(
            Feedback(
                source="survey",
                external_id=f"response-{number:08}",
                place_id=places[number % len(places)],
                received_at=START + timedelta(seconds=number * 7),
                contact=Contact(name="Claire Martin", email=f"claire.martin{number}@example.com"),
                ratings=(Rating(key="nps", kind=RatingKind.NPS, value=generator.randint(0, 10)),),
                comments=(
                    Comment(text=first, question="What did you think of your visit?"),
                    Comment(text=second, question="What could we do better?"),
                ),
                locale="en" if number % DEFAULT_LOCALE_EVERY == 0 else language,
            )
        )
    return made


def new_desk(path: Path, places: Sequence[str], *, analyzer: bool, second_process: bool | None = None) -> Desk:
    path.unlink(missing_ok=True)
    desk = Desk.open(
        f"sqlite:///{path}",
        load_entry_points=False,
        plugins=[] if ANALYZER in BUILTINS else [closedloop.analysis.offline],  # a built-in from now on
        blocked_plugins=[] if analyzer else [ANALYZER],
        **({} if second_process is None else {"analysis_process": second_process}),
    )
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id))
    return desk


def intake_rates(count: int, folder: Path, places: Sequence[str]) -> tuple[dict[str, float], float]:
    """Items per second ingested with the analyzer on (as it comes, and kept to the desk's own process) and off,
    in turns; and the concepts per item stored."""
    desks = {
        "on": new_desk(folder / "analysis-on.db", places, analyzer=True),
        "alone": new_desk(folder / "analysis-alone.db", places, analyzer=True, second_process=False),
        "off": new_desk(folder / "analysis-off.db", places, analyzer=False),
    }
    seconds = dict.fromkeys(desks, 0.0)
    for number, start in enumerate(range(0, count, ROUND)):
        batch = items(min(ROUND, count - start), places, start=start)
        names = list(desks)
        for name in names[number % 3 :] + names[: number % 3]:  # each side goes first in turn
            began = time.perf_counter()
            report = desks[name].ingest_many(batch, batch_size=BATCH)
            seconds[name] += time.perf_counter() - began
            assert report.ingested == len(batch), report
    for desk in desks.values():
        desk.close()
    with sqlite3.connect(folder / "analysis-on.db") as stored:
        (concepts,) = stored.execute(
            "SELECT sum(json_array_length(document, '$.analysis')) FROM cl_conversations"
        ).fetchone()
    return {name: count / taken for name, taken in seconds.items()}, concepts / count


def analyzer_throughput(count: int) -> tuple[float, float]:
    """Comments per second through ``OfflineAnalyzer.analyze`` in batches of ``BATCH``, and words per second."""
    comments = review_comments(count, seed=11)
    texts = [text for _, text in comments]
    languages = [language for language, _ in comments]
    analyzer = OfflineAnalyzer()
    analyzer.analyze(texts[:BATCH], languages=languages[:BATCH])  # the detector's model and the lexicons load
    began = time.perf_counter()
    for offset in range(0, count, BATCH):
        analyzer.analyze(texts[offset : offset + BATCH], languages=languages[offset : offset + BATCH])
    elapsed = time.perf_counter() - began
    return count / elapsed, sum(len(text.split()) for text in texts) / elapsed


def main(count: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    comments_per_second, words_per_second = analyzer_throughput(max(count, 1_000))
    print(f"offline analyzer on {max(count, 1_000):,} review comments (English and French, 15 to 45 words)")
    print(f"  throughput             {comments_per_second:>10,.0f} comments/s  ({words_per_second:,.0f} words/s)")
    rates, concepts = intake_rates(count, folder, place_ids(50))
    print(f"intake of {count:,} items (two review comments each) into SQLite, in rounds of {ROUND:,} taken in turn")
    print(f"  analyzer on            {rates['on']:>10,.0f} items/s  ({concepts:.1f} concepts stored per item)")
    print(f"  on, in one process     {rates['alone']:>10,.0f} items/s  (analysis_process=False)")
    print(f"  analyzer off           {rates['off']:>10,.0f} items/s")
    print(f"  ratio on / off           {rates['on'] / rates['off']:.2f}  (target at least 0.50)")
    print(f"  ratio one process / off  {rates['alone'] / rates['off']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))

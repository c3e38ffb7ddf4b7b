"""Bulk, idempotent intake with ``desk.ingest_many`` on every built-in store (issue 3, "Durable storage").

Each test runs on the memory store, SQLite and PostgreSQL, except two: the constant-memory check runs on SQLite
(the memory store keeps everything in this process by design), and the check that two imports at once do not
deadlock runs on PostgreSQL (the other stores let one writer in at a time).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import threading
import time
import tracemalloc
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import closedloop
from closedloop import (
    Category,
    Concept,
    Conversation,
    Desk,
    Feedback,
    IngestReport,
    InvalidInput,
    KeywordsInComments,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    Registry,
    Role,
    Settings,
    Source,
    StoreUnavailable,
    User,
)
from closedloop.app.batches import PausedCollector
from closedloop.ports import ReadsBesideWrites, StoreTransaction
from closedloop.serialization import to_data
from closedloop.storage.sql import SqlStore
from survey_answers import survey_answers

RECEIVED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
PLACES = ("p1", "p2", "p3")

OpenDesk = Callable[..., Desk]


# -- stores and helpers --------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "sqlite-in-memory", "postgresql"])
def open_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenDesk]:
    """Opens desks on one store of the parametrized kind; every desk a test opens shares that store.

    The first desk gets the places p1, p2, p3 (p1 and p2 form the group "north"), an admin and an agent who
    sees the group "north".
    """
    kind = request.param
    url = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'intake.db'}"
    elif kind == "sqlite-in-memory":  # one connection for every thread: batches are written one after the other
        url = "sqlite://"
    elif kind == "postgresql":
        url = request.getfixturevalue("postgres_url")
    opened: list[Desk] = []

    def open_(**settings: Any) -> Desk:
        settings.setdefault("load_entry_points", False)
        if kind in ("memory", "sqlite-in-memory") and opened:
            desk = Desk.open(store=opened[0].store, **settings)
        else:
            desk = Desk.open(url, **settings)
        if not opened:
            for place_id in PLACES:
                desk.add_place(Place(id=place_id, name=f"Place {place_id}"))
            desk.add_group(PlaceGroup(id="north", name="North", place_ids=["p1", "p2"]))
            desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
            desk.add_user(User(id="agent", name="Alan Agent", groups=["north"]))
        opened.append(desk)
        return desk

    yield open_
    for desk in reversed(opened):
        desk.close()


def feedback(number: int, *, place: str = "", nps: int = 9, comment: str = "", **fields: Any) -> Feedback:
    """Survey feedback ``fb-<number>``, at a place chosen from the number unless given."""
    return Feedback(
        source=fields.pop("source", Source.SURVEY),
        external_id=fields.pop("external_id", f"fb-{number}"),
        place_id=place or PLACES[number % len(PLACES)],
        received_at=RECEIVED + timedelta(minutes=number),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
        comments=comment or f"comment {number}",
        **fields,
    )


def as_json_dict(item: Feedback) -> dict[str, Any]:
    """What an application reads from a JSON export: plain strings, numbers, lists and dicts."""
    data: dict[str, Any] = json.loads(json.dumps(to_data(item)))
    return data


def all_conversations(desk: Desk, user: str = "admin", folder: str = "inbox", limit: int = 500) -> list[Conversation]:
    """Every conversation of the folder, page by page, in inbox order."""
    found: list[Conversation] = []
    after = None
    while True:
        page = desk.inbox(user, folder=folder, limit=limit, after=after)
        found.extend(page.items)
        if page.next is None:
            return found
        after = page.next


def stored_ids(desk: Desk) -> list[str]:
    return [conversation.feedback.external_id for conversation in all_conversations(desk)]


class Recorder:
    """A plugin that records what ``closedloop_feedback_ingested`` receives."""

    def __init__(self) -> None:
        self.calls: list[list[Conversation]] = []
        self.lock = threading.Lock()

    @closedloop.hookimpl
    def closedloop_feedback_ingested(self, desk: Desk, conversations: Sequence[Conversation]) -> None:
        with self.lock:
            self.calls.append(list(conversations))

    @property
    def seen(self) -> list[Conversation]:
        return [conversation for call in self.calls for conversation in call]


class WordAnalyzer:
    """Finds one concept per comment, named after the comment itself, so a mix-up between items shows."""

    name = "words"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.fail_on_call: int | None = None

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        self.calls.append(list(texts))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise RuntimeError("the analysis service is down")
        return [[Concept(name=f"about {text}", sentiment=-0.5)] for text in texts]


class AnalyzerPlugin:
    def __init__(self, analyzer: WordAnalyzer) -> None:
        self.analyzer = analyzer

    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: Registry, settings: Settings) -> None:
        registry.add_analyzer(self.analyzer)


class RudeRulePlugin:
    @closedloop.hookimpl
    def closedloop_register_alert_rules(self, registry: Registry, settings: Settings) -> None:
        registry.add_alert_rule(KeywordsInComments(words=["rude"], name="rude staff"))


class Stop(Exception):
    """Raised from a progress callback or an input to interrupt an import."""


class Counted:
    """Wraps items in a generator and counts how many were pulled from it."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items
        self.pulled = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.pulled += 1
            yield item


# -- items of every kind -------------------------------------------------------------------------------------


def test_feedback_objects_and_dicts_are_taken_in_together(open_desk: OpenDesk) -> None:
    desk = open_desk()
    originals = [feedback(number, nps=number % 11) for number in range(12)]
    originals.append(
        Feedback(
            source=Source.REVIEW,
            platform="google",
            external_id="g-1",
            place_id="p2",
            received_at=RECEIVED,
            ratings=[Rating(key="stars", kind=RatingKind.STARS, value=4)],
            comments="Nice terrace",
            metadata={"lang": "en"},
        )
    )
    # Feedback objects, to_data() output as it is, and dicts read back from JSON, interleaved
    kinds = itertools.cycle([lambda item: item, to_data, as_json_dict])
    items = [kind(item) for kind, item in zip(kinds, originals, strict=False)]
    assert {type(item) for item in items} == {Feedback, dict}

    report = desk.ingest_many(items, batch_size=5)

    assert (report.ingested, report.duplicates, report.rejected_count, report.rejected) == (13, 0, 0, [])
    stored = {conversation.feedback.external_id: conversation.feedback for conversation in all_conversations(desk)}
    assert stored == {item.external_id: item for item in originals}


def test_dicts_read_as_rows_of_a_file_give_empty_columns_as_none(open_desk: OpenDesk) -> None:
    """A None leaves a field at its default; numbers become text; a value that cannot be text is rejected,
    saying where, and the rest go in."""
    desk = open_desk()
    row = {**to_data(feedback(1)), "locale": None, "platform": None, "test": "false"}
    row["contact"] = {"name": "Claire", "email": None, "tel": 33612345678.0}
    row["metadata"] = {"order": 17}
    bad = {**to_data(feedback(2)), "metadata": {"order": [17]}}

    report = desk.ingest_many([row, bad])

    assert report.ingested == 1
    (rejection,) = report.rejected
    assert (rejection.position, rejection.external_id) == (1, bad["external_id"])
    assert "the value must be text; got [17] @ $.metadata['order']" in rejection.reason
    (stored,) = [conversation.feedback for conversation in all_conversations(desk)]
    assert (stored.locale, stored.platform, stored.test) == ("en", "", False)
    assert (stored.contact.email, stored.contact.tel, stored.metadata) == ("", "33612345678", {"order": "17"})


# -- streaming ------------------------------------------------------------------------------------------------


def test_a_generator_is_read_at_most_two_batches_ahead_and_each_batch_is_committed_before_its_progress_call(
    open_desk: OpenDesk,
) -> None:
    desk = open_desk()
    source = Counted(feedback(number) for number in range(23))
    seen: list[tuple[int, int, int]] = []

    def progress(report: IngestReport) -> None:
        # what was pulled from the input so far, what the report says, and what is stored for everyone to see
        seen.append((source.pulled, report.ingested, desk.counts("admin").inbox))

    desk.ingest_many(source, batch_size=5, progress=progress)

    committed = [5, 10, 15, 20, 23]
    assert [(ingested, stored) for _pulled, ingested, stored in seen] == [(number, number) for number in committed]
    # the input is read a batch early, for the analyzers, and a store that reads beside its writer prepares the
    # next batch while this one is stored: one batch more
    ahead = 10 if isinstance(desk.store, ReadsBesideWrites) and desk.store.reader() is not None else 5
    assert [pulled for pulled, _ingested, _stored in seen] == [min(23, number + ahead) for number in committed]


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_batch_boundaries_do_not_change_the_outcome(open_desk: OpenDesk, batch_size: int) -> None:
    desk = open_desk()
    items: list[Any] = [feedback(number) for number in range(20)]
    items[4] = feedback(3)  # a duplicate right after the original, inside one batch of 7
    items[15] = feedback(2)  # a duplicate in a later batch of 7
    items[9] = {"source": "survey", "external_id": "broken"}  # rejected
    progress: list[int] = []

    report = desk.ingest_many(items, batch_size=batch_size, progress=lambda r: progress.append(r.seen))

    assert (report.ingested, report.duplicates, report.rejected_count) == (17, 2, 1)
    assert [rejection.position for rejection in report.rejected] == [9]
    assert len(progress) == math.ceil(len(items) / batch_size)
    assert progress == [min(len(items), batch_size * (n + 1)) for n in range(len(progress))]
    expected = {f"fb-{number}" for number in range(20)} - {"fb-4", "fb-9", "fb-15"}
    assert sorted(stored_ids(desk)) == sorted(expected)


# -- duplicates and re-runs -----------------------------------------------------------------------------------


def test_duplicates_inside_the_input_and_against_stored_feedback_are_counted_and_skipped(open_desk: OpenDesk) -> None:
    desk = open_desk()
    already = desk.ingest(feedback(1, comment="first version"))
    items = [
        feedback(1, comment="sent again"),  # already stored
        feedback(2, comment="first version"),
        feedback(3),
        as_json_dict(feedback(2, comment="second version")),  # same key as an item before it, as a dict
        # the same external id from another source or platform is other feedback
        feedback(90, external_id="fb-2", source=Source.RATING),
        feedback(91, external_id="fb-2", source=Source.REVIEW, platform="google"),
        feedback(92, external_id="fb-2", source=Source.REVIEW, platform="trustpilot"),
        feedback(93, external_id="fb-2", source=Source.REVIEW, platform="google"),  # duplicate of the one above
    ]

    report = desk.ingest_many(items, batch_size=3)

    assert (report.ingested, report.duplicates, report.rejected_count) == (5, 3, 0)
    stored = {conversation.feedback.key: conversation for conversation in all_conversations(desk)}
    assert sorted(stored) == sorted(
        [
            ("survey", "", "fb-1"),
            ("survey", "", "fb-2"),
            ("survey", "", "fb-3"),
            ("rating", "", "fb-2"),
            ("review", "google", "fb-2"),
            ("review", "trustpilot", "fb-2"),
        ]
    )
    # the stored conversation is untouched, and the first of two duplicates in one input wins
    assert stored[("survey", "", "fb-1")] == already
    assert stored[("survey", "", "fb-2")].feedback.text == "first version"
    assert stored[("review", "google", "fb-2")].feedback.received_at == RECEIVED + timedelta(minutes=91)


def test_running_the_same_import_again_adds_nothing(open_desk: OpenDesk) -> None:
    recorder = Recorder()
    desk = open_desk(plugins=[recorder])

    def items() -> Iterator[Feedback | dict[str, Any]]:
        for number in range(30):
            item = feedback(number, nps=number % 11)
            yield as_json_dict(item) if number % 2 else item

    first = desk.ingest_many(items(), batch_size=8)
    counts_after_first = desk.counts("admin")
    conversations_after_first = all_conversations(desk)
    hook_calls_after_first = len(recorder.calls)

    second = desk.ingest_many(items(), batch_size=8)

    assert (first.ingested, first.duplicates, first.rejected_count) == (30, 0, 0)
    assert (second.ingested, second.duplicates, second.rejected_count) == (0, 30, 0)
    assert desk.counts("admin") == counts_after_first
    assert all_conversations(desk) == conversations_after_first
    assert len(recorder.calls) == hook_calls_after_first


def test_an_import_interrupted_after_two_batches_resumes_without_double_intake(open_desk: OpenDesk) -> None:
    recorder = Recorder()
    desk = open_desk(plugins=[recorder])
    batch_size = 6
    total = 40
    # the input repeats a few items, as exports that overlap do
    numbers = [*range(total), 3, 17, 39]

    def stop_after_two_batches(report: IngestReport) -> None:
        if report.seen >= 2 * batch_size:
            raise Stop

    with pytest.raises(Stop):
        desk.ingest_many((feedback(n) for n in numbers), batch_size=batch_size, progress=stop_after_two_batches)

    # exactly two whole batches are stored: no batch is half-stored, nothing after the interruption is
    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(2 * batch_size))
    assert desk.counts("admin").inbox == 2 * batch_size

    resumed = desk.ingest_many((feedback(n) for n in numbers), batch_size=batch_size)

    assert (resumed.ingested, resumed.duplicates, resumed.rejected_count) == (total - 2 * batch_size, 15, 0)
    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(total))
    assert desk.counts("admin").inbox == total
    assert sorted(c.feedback.external_id for c in recorder.seen) == sorted(f"fb-{n}" for n in range(total))


def test_an_input_that_fails_half_way_through_a_batch_stores_only_the_whole_batches_before(
    open_desk: OpenDesk,
) -> None:
    desk = open_desk()

    def failing() -> Iterator[Feedback]:
        for number in range(10):
            yield feedback(number)
        raise Stop("the export file is truncated")

    with pytest.raises(Stop):
        desk.ingest_many(failing(), batch_size=4)

    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(8))
    assert desk.counts("admin").inbox == 8

    report = desk.ingest_many((feedback(number) for number in range(12)), batch_size=4)
    assert (report.ingested, report.duplicates) == (4, 8)
    assert desk.counts("admin").inbox == 12


def test_a_batch_that_fails_inside_its_transaction_is_not_stored_at_all(open_desk: OpenDesk) -> None:
    analyzer = WordAnalyzer()
    recorder = Recorder()
    desk = open_desk(plugins=[AnalyzerPlugin(analyzer), recorder])
    analyzer.fail_on_call = 3

    with pytest.raises(RuntimeError, match="analysis service is down"):
        desk.ingest_many((feedback(number) for number in range(25)), batch_size=5)

    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(10))
    assert desk.counts("admin").inbox == 10
    assert len(recorder.seen) == 10

    analyzer.fail_on_call = None
    report = desk.ingest_many((feedback(number) for number in range(25)), batch_size=5)

    assert (report.ingested, report.duplicates) == (15, 10)
    assert desk.counts("admin").inbox == 25
    assert sorted(c.feedback.external_id for c in recorder.seen) == sorted(f"fb-{n}" for n in range(25))


class ElsewhereAnalyzer(WordAnalyzer):
    """Has another desk take in one item of the batch it is analysing, as a second process could."""

    def __init__(self, elsewhere: Callable[[], Desk], item: Feedback) -> None:
        super().__init__()
        self.elsewhere, self.item = elsewhere, item

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        if self.item.text in texts:
            self.elsewhere().ingest(self.item)
        return super().analyze(texts, languages=languages)


@pytest.mark.parametrize("open_desk", ["sqlite", "postgresql"], indirect=True)
def test_feedback_stored_elsewhere_while_its_batch_is_prepared_is_counted_as_a_duplicate(open_desk: OpenDesk) -> None:
    items = [feedback(number) for number in range(25)]
    recorder = Recorder()
    others: list[Desk] = []
    analyzer = ElsewhereAnalyzer(lambda: others[0], items[7])
    desk = open_desk(plugins=[AnalyzerPlugin(analyzer), recorder])
    others.append(open_desk())

    report = desk.ingest_many(items, batch_size=5)

    assert (report.ingested, report.duplicates, report.rejected_count) == (24, 1, 0)
    assert sorted(stored_ids(desk)) == sorted(item.external_id for item in items)
    assert desk.counts("admin").inbox == 25
    assert sorted(c.feedback.external_id for c in recorder.seen) == sorted(f"fb-{n}" for n in range(25) if n != 7)


FAIL_ON_FB_12 = {
    "sqlite": [
        "CREATE TRIGGER closedloop_test_fail BEFORE INSERT ON cl_conversations WHEN NEW.external_id = 'fb-12' "
        "BEGIN SELECT abs(-9223372036854775807 - 1); END"  # integer overflow: an error that is not a conflict
    ],
    "postgresql": [
        "CREATE FUNCTION closedloop_test_fail() RETURNS trigger AS $$ BEGIN "
        "IF NEW.external_id = 'fb-12' THEN RAISE EXCEPTION 'the disk is on fire'; END IF; RETURN NEW; "
        "END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER closedloop_test_fail BEFORE INSERT ON cl_conversations "
        "FOR EACH ROW EXECUTE FUNCTION closedloop_test_fail()",
    ],
}


@pytest.mark.parametrize("open_desk", ["sqlite", "postgresql"], indirect=True)
def test_a_batch_the_database_refuses_stops_the_import_after_the_batches_before(open_desk: OpenDesk) -> None:
    recorder = Recorder()
    desk = open_desk(plugins=[recorder])
    store = desk.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as connection:
        for statement in FAIL_ON_FB_12[store.engine.dialect.name]:
            connection.exec_driver_sql(statement)
    source = Counted(feedback(number) for number in range(25))

    with pytest.raises(StoreUnavailable, match=r"refused this action|failed"):
        desk.ingest_many(source, batch_size=5)

    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(10))
    assert desk.counts("admin").inbox == 10
    assert sorted(c.feedback.external_id for c in recorder.seen) == sorted(f"fb-{n}" for n in range(10))
    # the batch after the refused one was prepared and the one after that read early for the analyzers: dropped
    assert source.pulled == 25


@pytest.mark.parametrize("open_desk", ["sqlite"], indirect=True)
def test_the_thread_switch_interval_is_short_while_a_batch_is_written_and_restored_after(
    open_desk: OpenDesk,
) -> None:
    desk = open_desk()
    before = sys.getswitchinterval()
    during: list[float] = []

    def progress(_report: IngestReport) -> None:
        during.append(sys.getswitchinterval())

    desk.ingest_many((feedback(number) for number in range(12)), batch_size=5, progress=progress)

    assert during and all(interval < before for interval in during)
    assert sys.getswitchinterval() == before
    with pytest.raises(Stop):
        desk.ingest_many((feedback(number) for number in range(12, 30)), batch_size=5, progress=stop_after_first)
    assert sys.getswitchinterval() == before


def stop_after_first(report: IngestReport) -> None:
    raise Stop("the user pressed Ctrl-C")


def test_two_desks_importing_the_same_items_at_once_store_each_item_once(open_desk: OpenDesk) -> None:
    recorder = Recorder()
    desks = [open_desk(plugins=[recorder]), open_desk(plugins=[recorder])]
    items = [feedback(number) for number in range(120)]
    start = threading.Barrier(2)

    def paced() -> Iterator[Feedback]:
        """The items, handed over slowly enough that the two imports take turns."""
        start.wait(timeout=30)
        for item in items:
            time.sleep(0.0005)
            yield item

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda desk: desk.ingest_many(paced(), batch_size=10), desks))

    assert sum(report.ingested for report in reports) == 120
    assert all(report.ingested + report.duplicates == 120 for report in reports)
    assert sorted(stored_ids(desks[0])) == sorted(item.external_id for item in items)
    assert desks[1].counts("admin").inbox == 120
    seen = Counter(conversation.feedback.external_id for conversation in recorder.seen)
    assert seen == Counter(item.external_id for item in items)


SLOW_ROWS = """
CREATE FUNCTION closedloop_test_slow_row() RETURNS trigger AS $$
BEGIN
    PERFORM pg_sleep(0.1);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER closedloop_test_slow_insert BEFORE INSERT ON cl_conversations
    FOR EACH ROW EXECUTE FUNCTION closedloop_test_slow_row();
CREATE TRIGGER closedloop_test_slow_count BEFORE UPDATE ON cl_inbox_counts
    FOR EACH ROW EXECUTE FUNCTION closedloop_test_slow_row();
"""


@pytest.mark.parametrize(
    "overlap",
    [
        pytest.param(False, id="different feedback for the same places"),
        pytest.param(True, id="the same feedback in opposite orders"),
    ],
)
def test_two_imports_at_once_on_postgresql_both_finish(postgres_url: str, overlap: bool) -> None:
    """Two workers taking in feedback at the same time must not deadlock each other.

    A trigger makes every row written to cl_conversations and cl_inbox_counts take 0.1 s, as a busy server
    might, so that the two imports' transactions reliably overlap row by row.
    """
    with Desk.open(postgres_url, load_entry_points=False) as setup:
        for place_id in PLACES:
            setup.add_place(Place(id=place_id, name=f"Place {place_id}"))
        setup.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
        setup.ingest_many([feedback(100 + number, nps=9) for number in range(3)])  # every place has a counter
        with setup.store.engine.begin() as connection:
            connection.exec_driver_sql(SLOW_ROWS)
    if overlap:
        first = [feedback(number, place="p1") for number in range(4)]
        inputs = [first, first[::-1]]
    else:
        inputs = [
            [feedback(number, place=place, nps=9) for number, place in enumerate(PLACES)],
            [feedback(10 + number, place=place, nps=9) for number, place in enumerate(reversed(PLACES))],
        ]
    start = threading.Barrier(2)

    def run(items: list[Feedback]) -> IngestReport:
        with Desk.open(postgres_url, load_entry_points=False) as desk:
            start.wait(timeout=30)
            return desk.ingest_many(items, batch_size=100)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [future.result() for future in [pool.submit(run, items) for items in inputs]]

    distinct = {item.key for items in inputs for item in items}
    assert sum(report.ingested for report in reports) == len(distinct)
    with Desk.open(postgres_url, load_entry_points=False) as desk:
        assert desk.counts("admin").inbox == len(distinct) + 3


# -- rejections -----------------------------------------------------------------------------------------------


def rejected_items() -> list[Any]:
    """Two good items around one of each kind of bad item, at known positions."""
    out_of_scale = as_json_dict(feedback(1))
    out_of_scale["ratings"][0]["value"] = 11
    no_place = as_json_dict(feedback(2))
    del no_place["place_id"]
    naive = as_json_dict(feedback(5))
    naive["received_at"] = "2026-01-05T08:00:00"
    return [
        feedback(0),
        out_of_scale,
        no_place,
        feedback(3, place="atlantis"),
        42,
        naive,
        feedback(6),
    ]


def test_invalid_items_are_rejected_with_position_and_external_id_and_the_rest_are_taken_in(
    open_desk: OpenDesk,
) -> None:
    desk = open_desk()

    report = desk.ingest_many(rejected_items(), batch_size=3)

    assert (report.ingested, report.duplicates, report.rejected_count) == (2, 0, 5)
    assert sorted((rejection.position, rejection.external_id) for rejection in report.rejected) == [
        (1, "fb-1"),
        (2, "fb-2"),
        (3, "fb-3"),
        (4, None),
        (5, "fb-5"),
    ]
    assert sorted(stored_ids(desk)) == ["fb-0", "fb-6"]
    assert report.ingested + report.duplicates + report.rejected_count == len(rejected_items())


@pytest.mark.parametrize(
    ("position", "says"),
    [
        pytest.param(1, r"(?=.*\bnps\b)(?=.*\b11\b)(?=.*\b0 and 10\b)", id="rating out of scale"),
        pytest.param(2, r"place_id", id="dict without place_id"),
        pytest.param(3, r"atlantis", id="unknown place"),
        pytest.param(4, r"\bint\b", id="an int"),
        pytest.param(5, r"timezone|aware|naive", id="naive received_at"),
    ],
)
def test_a_rejection_reason_says_what_is_wrong(open_desk: OpenDesk, position: int, says: str) -> None:
    desk = open_desk()

    report = desk.ingest_many(rejected_items(), batch_size=100)

    reasons = {rejection.position: rejection.reason for rejection in report.rejected}
    assert re.search(says, reasons[position], re.IGNORECASE), reasons[position]


def test_report_counts_add_up_to_the_number_of_items(open_desk: OpenDesk) -> None:
    desk = open_desk()
    desk.ingest(feedback(0))
    items = [*rejected_items(), *rejected_items(), feedback(7), feedback(7)]

    report = desk.ingest_many(iter(items), batch_size=4)

    assert (report.ingested, report.duplicates, report.rejected_count) == (2, 4, 10)
    assert report.ingested + report.duplicates + report.rejected_count == len(items) == report.seen
    assert str(report) == "2 ingested, 4 duplicates, 10 rejected"


@pytest.mark.parametrize("batch_size", [0, -1, 50_001, 2.5, True, "10", None])
def test_an_invalid_batch_size_is_refused_before_anything_is_read(open_desk: OpenDesk, batch_size: Any) -> None:
    desk = open_desk()
    source = Counted(feedback(number) for number in range(3))

    with pytest.raises(InvalidInput, match="batch_size"):
        desk.ingest_many(source, batch_size=batch_size)

    assert source.pulled == 0
    assert desk.counts("admin").inbox == 0


# -- alert rules, hooks and analyzers -------------------------------------------------------------------------


def test_alert_rules_raise_alerts_for_detractors_in_bulk(open_desk: OpenDesk) -> None:
    desk = open_desk(plugins=[RudeRulePlugin()])
    items = [
        feedback(number, nps=number % 11, comment="rude waiter" if number % 10 == 9 else f"comment {number}")
        for number in range(44)
    ]
    expected_alerts = {item.external_id for item in items if item.ratings[0].value <= 6 or "rude" in item.text}

    report = desk.ingest_many(items, batch_size=10)

    assert report.ingested == 44
    conversations = all_conversations(desk)
    alerted = {c.feedback.external_id for c in conversations if c.alert is not None}
    assert alerted == expected_alerts
    for conversation in conversations:
        if conversation.alert is None:
            continue
        reasons = " ".join(conversation.alert.reasons)
        assert ("nps detractor" in reasons) == (conversation.feedback.ratings[0].value <= 6)
        assert ("rude staff" in reasons) == ("rude" in conversation.feedback.text)
    counts = desk.counts("admin")
    assert (counts.alert, counts.new_message, counts.inbox) == (len(expected_alerts), 44 - len(expected_alerts), 44)
    # the inbox shows alerts first
    categories = [conversation.category for conversation in conversations]
    assert categories == sorted(categories, key=[Category.ON_HOLD, Category.ALERT, Category.NEW_MESSAGE].index)


def test_the_ingest_hook_sees_every_new_conversation_once_a_batch_at_a_time(open_desk: OpenDesk) -> None:
    recorder = Recorder()
    desk = open_desk(plugins=[recorder])
    desk.ingest(feedback(0))
    assert len(recorder.seen) == 1
    numbers = [0, 1, 2, 3, 1, 4, 5, 6, 7, 8, 9, 10, 5, 11]
    items: list[Any] = [feedback(n) for n in numbers]
    items.insert(6, feedback(50, place="atlantis"))  # rejected: never reaches the hook

    desk.ingest_many(items, batch_size=4)
    desk.ingest_many(items, batch_size=4)

    new = recorder.seen[1:]
    assert [c.feedback.external_id for c in new] == [f"fb-{n}" for n in range(1, 12)]  # intake order, once each
    assert len({c.id for c in recorder.seen}) == len(recorder.seen) == 12
    assert all(1 <= len(call) <= 4 for call in recorder.calls)
    assert len(recorder.calls) == 1 + 4  # one call per batch with something new; none for the rerun
    assert {c.id: c for c in recorder.seen} == {c.id: c for c in all_conversations(desk)}


def test_analyzers_run_once_per_batch_on_the_new_feedback(open_desk: OpenDesk) -> None:
    analyzer = WordAnalyzer()
    desk = open_desk(plugins=[AnalyzerPlugin(analyzer)])
    desk.ingest(feedback(3, comment="already here"))
    analyzer.calls.clear()
    items = [feedback(number, comment=f"topic {number}") for number in range(25)]

    report = desk.ingest_many(items, batch_size=10)

    assert report.ingested == 24
    assert [len(call) for call in analyzer.calls] == [9, 10, 5]
    assert sorted(text for call in analyzer.calls for text in call) == sorted(f"topic {n}" for n in range(25) if n != 3)
    for conversation in all_conversations(desk):
        assert conversation.analysis == (Concept(name=f"about {conversation.feedback.text}", sentiment=-0.5),)


class HeldWrites:
    """A store whose writes from other threads wait until ``release`` is set: a batch stays in flight."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.release = threading.Event()

    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        if threading.current_thread() is not threading.main_thread():
            assert self.release.wait(30)
        return self.store.transaction()

    def reader(self) -> AbstractContextManager[StoreTransaction] | None:
        return self.store.reader()

    def encode_new(self, conversations: Sequence[Conversation]) -> Sequence[Conversation]:
        return self.store.encode_new(conversations)

    def close(self) -> None:
        self.store.close()


class ReleasingAnalyzer(WordAnalyzer):
    def __init__(self, store: HeldWrites) -> None:
        super().__init__()
        self.store = store

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        if len(self.calls) == 1:  # the second batch is being prepared: the first may now be written
            self.store.release.set()
        return super().analyze(texts, languages=languages)


@pytest.mark.parametrize("open_desk", ["sqlite", "postgresql"], indirect=True)
def test_a_duplicate_of_the_batch_in_flight_is_skipped_without_preparing_its_batch_twice(
    open_desk: OpenDesk,
) -> None:
    first = open_desk()
    assert isinstance(first.store, SqlStore)
    held = HeldWrites(first.store)
    analyzer = ReleasingAnalyzer(held)
    desk = Desk.open(store=held, plugins=[AnalyzerPlugin(analyzer)], load_entry_points=False)
    numbers = [0, 1, 2, 3, 4, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13]  # the second batch repeats one of the first

    report = desk.ingest_many([feedback(number) for number in numbers], batch_size=5)

    assert (report.ingested, report.duplicates) == (14, 1)
    assert [len(call) for call in analyzer.calls] == [5, 4, 5]
    assert sorted(stored_ids(desk)) == sorted(f"fb-{n}" for n in range(14))


def test_analyzers_are_not_called_for_a_batch_that_brings_nothing_new(open_desk: OpenDesk) -> None:
    analyzer = WordAnalyzer()
    desk = open_desk(plugins=[AnalyzerPlugin(analyzer)])
    items = [feedback(number) for number in range(12)]
    desk.ingest_many(items, batch_size=4)
    analyzer.calls.clear()

    report = desk.ingest_many(items, batch_size=4)

    assert (report.ingested, report.duplicates) == (0, 12)
    assert analyzer.calls == []


# -- the inbox and counts after a bulk import -----------------------------------------------------------------


def test_inbox_and_counts_agree_with_what_was_ingested(open_desk: OpenDesk) -> None:
    desk = open_desk()
    items = [feedback(number, nps=number % 11) for number in range(90)]
    detractors = {item.external_id for item in items if item.ratings[0].value <= 6}

    report = desk.ingest_many((as_json_dict(item) if n % 3 else item for n, item in enumerate(items)), batch_size=16)

    assert report.ingested == 90
    counts = desk.counts("admin")
    assert (counts.inbox, counts.done, counts.spam) == (90, 0, 0)
    assert (counts.on_hold, counts.alert, counts.new_message) == (0, len(detractors), 90 - len(detractors))

    # paging through the whole inbox, a few at a time, shows every conversation once, alerts first
    paged = all_conversations(desk, limit=7)
    assert sorted(c.feedback.external_id for c in paged) == sorted(item.external_id for item in items)
    assert len({c.id for c in paged}) == 90
    assert {c.feedback.external_id for c in paged[: len(detractors)]} == detractors

    # an agent sees the places of their group, and can narrow to one place
    north = [item for item in items if item.place_id in {"p1", "p2"}]
    agent = desk.counts("agent")
    assert agent.inbox == len(north)
    assert agent.alert == sum(item.external_id in detractors for item in north)
    assert sorted(c.feedback.external_id for c in all_conversations(desk, "agent", limit=9)) == sorted(
        item.external_id for item in north
    )
    assert desk.counts("agent", places="p2").inbox == sum(item.place_id == "p2" for item in items)
    assert desk.counts("admin", places="north") == agent


# -- constant memory -------------------------------------------------------------------------------------------


def test_memory_does_not_grow_with_the_number_of_items(tmp_path: Path) -> None:
    """The peak of Python allocations while taking in 20,000 items is about that of 2,000 items."""

    with Desk.open(f"sqlite:///{tmp_path / 'memory.db'}", load_entry_points=False) as desk:
        desk.add_place(Place(id="p1", name="Place 1"))
        desk.ingest_many(survey_answers("warm-up", 600), batch_size=500)  # first-use caches are not what we measure

        peaks: dict[int, int] = {}
        tracemalloc.start()
        try:
            for count in (2_000, 20_000):
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                report = desk.ingest_many(survey_answers(f"run-{count}", count), batch_size=500)
                peaks[count] = tracemalloc.get_traced_memory()[1] - before
                assert report.ingested == count
        finally:
            tracemalloc.stop()

    assert peaks[20_000] < 1.5 * peaks[2_000], peaks


class Page:
    """Something a feedback source makes that refers to itself, as a parsed page with links back may."""

    def __init__(self) -> None:
        self.itself = self


def test_cycles_made_during_a_long_intake_are_freed_as_it_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cycle collector is paused while a bulk intake runs; what a source makes in cycles meanwhile, kept
    alive a while and then dropped, is still freed every so many items, not only once the intake ends."""
    monkeypatch.setattr(PausedCollector, "COLLECT_EVERY_ITEMS", 1000)
    pages: weakref.WeakSet[Page] = weakref.WeakSet()
    recent: deque[Page] = deque(maxlen=50)  # alive for a while, as a source's page of results is
    most_alive = 0

    def with_pages(items: Iterable[Feedback]) -> Iterator[Feedback]:
        nonlocal most_alive
        for item in items:
            page = Page()
            pages.add(page)
            recent.append(page)
            most_alive = max(most_alive, len(pages))
            yield item

    with Desk.open(f"sqlite:///{tmp_path / 'cycles.db'}", load_entry_points=False) as desk:
        desk.add_place(Place(id="p1", name="Place 1"))
        assert desk.ingest_many(with_pages(survey_answers("cycles", 12_000)), batch_size=500).ingested == 12_000
    assert most_alive < 3000, most_alive  # collected every 1,000 items, read a batch or two ahead

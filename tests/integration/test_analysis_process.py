"""The offline analyzer's second process: bulk intake finds the same concepts with it as without it, it starts
only for a big intake, it ends with its desk, and a process that fails is done without."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from closedloop import Comment, Desk, Feedback, InvalidInput, Place, Rating, RatingKind
from closedloop.analysis import offline

PARTS = (
    "The staff were lovely",
    "we waited forty minutes for a table",
    "Le personnel était adorable",
    "l'attente était beaucoup trop longue",
    "the food was cold and overpriced",
    "les plats étaient délicieux mais chers",
    "the room was spotless",
    "la livraison est arrivée en retard",
)
BATCH = 100
#: the texts after which the process starts, lowered from thousands to keep the tests short
START_AFTER = 300
COUNT = START_AFTER * 3


@pytest.fixture(autouse=True)
def start_sooner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offline, "START_AFTER", START_AFTER)


def feedback(count: int, start: int = 0) -> Iterator[Feedback]:
    """Feedback whose comments mix the parts differently, English and French, some with a wrong locale."""
    for number in range(start, start + count):
        first, second = PARTS[number % len(PARTS)], PARTS[(number // len(PARTS)) % len(PARTS)]
        yield Feedback(
            source="survey",
            external_id=f"r{number}",
            place_id="p1",
            received_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=number),
            ratings=(Rating(key="nps", kind=RatingKind.NPS, value=number % 11),),
            comments=(Comment(text=f"{first}, {number % 7} times. {second}!"),),
            locale="fr" if number % 3 == 0 else "en",
        )


def open_desk(path: Path, **settings: object) -> Desk:
    desk = Desk.open(f"sqlite:///{path}", load_entry_points=False, **settings)
    desk.add_place(Place(id="p1", name="Rue de Rivoli"))
    return desk


def analyses(path: Path) -> dict[str, str]:
    """Each stored conversation's concepts, by its feedback's id, as the database holds them."""
    with sqlite3.connect(path) as database:
        rows = database.execute(
            "SELECT json_extract(document, '$.feedback.external_id'), json_extract(document, '$.analysis') "
            "FROM cl_conversations"
        ).fetchall()
    database.close()
    return dict(rows)


def workers() -> list[int]:
    """This process's children running the analyzer's second process."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"closedloop.analysis.worker" in command:
                found.append(int(child))
    return found


def gone(pids: list[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except (FileNotFoundError, IndexError):
        return "X"


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the children from /proc")


def answered_by_the_process(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for record in caplog.records if "analysed in the second process" in record.getMessage())


def ingest_until_answered(desk: Desk, caplog: pytest.LogCaptureFixture, *, start: int) -> int:
    """Take in rounds of COUNT until the second process answered some (it takes a moment to start); the next
    round's start."""
    deadline = time.monotonic() + 60
    while not answered_by_the_process(caplog) and time.monotonic() < deadline:
        desk.ingest_many(feedback(COUNT, start=start), batch_size=BATCH)
        start += COUNT
    assert answered_by_the_process(caplog), "the second process never answered"
    return start


def test_a_big_intake_finds_the_same_concepts_with_the_second_process_as_without(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="closedloop.analysis")
    with open_desk(tmp_path / "helped.db", analysis_process=True) as helped:
        helped.ingest_many(feedback(START_AFTER // 2), batch_size=BATCH)
        assert workers() == [], "a small intake starts no process"
        end = ingest_until_answered(helped, caplog, start=START_AFTER // 2)
        started = workers()
        assert len(started) == 1, "a big intake starts one second process"
        helped.ingest_many(feedback(COUNT, start=end), batch_size=BATCH)
        assert workers() == started, "the process is kept for the desk's next intakes"
        end += COUNT
    assert gone(started), "the process ends with its desk"
    with open_desk(tmp_path / "alone.db", analysis_process=False) as alone:
        alone.ingest_many(feedback(end), batch_size=BATCH)
        assert workers() == []
    found, expected = analyses(tmp_path / "helped.db"), analyses(tmp_path / "alone.db")
    assert found == expected
    assert "[]" not in found.values()  # every comment names concepts


def test_a_second_process_that_dies_is_done_without(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="closedloop.analysis")
    with open_desk(tmp_path / "killed.db", analysis_process=True) as desk:
        end = ingest_until_answered(desk, caplog, start=0)
        (pid,) = workers()
        os.kill(pid, signal.SIGKILL)
        report = desk.ingest_many(feedback(COUNT, start=end), batch_size=BATCH)
        assert report.ingested == COUNT and report.analysis_failures == []
        assert workers() == [], "a failed process is not started again"
        end += COUNT
    with open_desk(tmp_path / "alone.db", analysis_process=False) as alone:
        alone.ingest_many(feedback(end), batch_size=BATCH)
    assert analyses(tmp_path / "killed.db") == analyses(tmp_path / "alone.db")


def test_a_second_process_that_cannot_start_is_done_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with open_desk(tmp_path / "helped.db", analysis_process=True) as desk:
        report = desk.ingest_many(feedback(COUNT), batch_size=BATCH)
        assert report.ingested == COUNT and report.analysis_failures == []
    assert "[]" not in analyses(tmp_path / "helped.db").values()


@pytest.mark.parametrize("value", ["yes", 1, 0.5])
def test_the_setting_takes_only_true_false_or_none(value: object) -> None:
    with pytest.raises(InvalidInput, match="analysis_process must be True or False"):
        Desk.open(analysis_process=value)


def test_analysing_stored_conversations_again_uses_the_second_process_with_the_same_findings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="closedloop.analysis")
    for name in ("helped.db", "alone.db"):
        with open_desk(tmp_path / name, blocked_plugins=["closedloop.analysis.offline"]) as unanalysed:
            unanalysed.ingest_many(feedback(COUNT), batch_size=BATCH)
    with Desk.open(f"sqlite:///{tmp_path / 'helped.db'}", load_entry_points=False, analysis_process=True) as desk:
        report = desk.analyze(batch_size=BATCH)
        assert (report.analyzed, report.changed) == (COUNT, COUNT)
        deadline = time.monotonic() + 60
        while not answered_by_the_process(caplog) and time.monotonic() < deadline:
            assert desk.analyze(batch_size=BATCH).changed == 0
        assert answered_by_the_process(caplog), "the second process never answered"
    with Desk.open(f"sqlite:///{tmp_path / 'alone.db'}", load_entry_points=False, analysis_process=False) as desk:
        desk.analyze(batch_size=BATCH)
    found = analyses(tmp_path / "helped.db")
    assert found == analyses(tmp_path / "alone.db")
    assert "[]" not in found.values()

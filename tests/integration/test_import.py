"""Importing feedback from files (issue 16): each format, the mapping, duplicates, rejects with their line,
files cut short or in another encoding, standard input, and an import killed midway then run again.

Every test stores into a real SQLite file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from closedloop import Conversation, Desk, Folder, InvalidInput, Place, RatingKind
from closedloop.cli import main
from closedloop.domain.inbox import InboxQuery

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"

MAPPING: dict[str, Any] = {
    "external_id": "Response ID",
    "received_at": "Submitted at",
    "place": "Store",
    "zone": "Europe/Paris",
    "ratings": {"Recommend (0-10)": "nps", "Satisfaction": {"kind": "csat", "key": "visit"}},
    "comments": {"What could we do better?": "improve"},
    "contact": {"name": "Name", "email": "Email"},
    "ignore": ["Browser"],
}
COLUMNS = ["Response ID", "Submitted at", "Store", "Recommend (0-10)", "Satisfaction", "What could we do better?"]
COLUMNS += ["Name", "Email", "Browser", "Campaign"]
ROWS = [
    ["A1", "2026-03-01 12:30", "p1", "9", "5", "Lovely.", "Ana", "ana@example.com", "Firefox", "spring"],
    ["A2", "02/03/2026 18:05", "p2", "3", "", "Cold soup,\nand a long wait.", "", "", "Safari", ""],
    ["A3", "1772470800", "p1", "", "4", "", "Léo Faure", "", "Edge", "spring"],
]


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """An SQLite file with the places p1, p2 and p3."""
    address = f"sqlite:///{tmp_path / 'feedback.db'}"
    with Desk.open(address) as desk:
        for place_id in ("p1", "p2", "p3"):
            desk.add_place(Place(id=place_id, name=place_id.upper()))
    yield address


def stored(url: str) -> dict[str, Any]:
    """Every stored conversation by its feedback's external id."""
    with Desk.open(url) as desk:
        found = {}
        for folder in Folder:
            with desk.store.transaction() as tx:
                for conversation in tx.conversations.page(InboxQuery(place_ids=None, folder=folder, limit=500)):
                    assert isinstance(conversation, Conversation)
                    found[conversation.feedback.external_id] = conversation
        return found


def count_rows(url: str) -> tuple[int, int]:
    """How many conversations the database holds, and how many distinct feedback keys among them."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        total = connection.execute("SELECT count(*) FROM cl_conversations").fetchone()[0]
        distinct = connection.execute(
            "SELECT count(*) FROM (SELECT DISTINCT source, platform, external_id FROM cl_conversations)"
        ).fetchone()[0]
    return total, distinct


def write_csv(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def objects(columns: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def write_in(file_format: str, path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    if file_format == "csv":
        return write_csv(path, columns, rows)
    items = objects(columns, rows)
    if file_format == "jsonl":
        path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    else:
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# -- formats and the mapping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "jsonl", "json"])
def test_each_format_gives_the_same_feedback_as_the_mapping_says(url: str, tmp_path: Path, file_format: str) -> None:
    source = write_in(file_format, tmp_path / f"responses.{file_format}", COLUMNS, ROWS)

    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=MAPPING)

    assert (report.ingested, report.duplicates, report.rejected) == (3, 0, 0)
    found = stored(url)
    first, second, third = found["A1"].feedback, found["A2"].feedback, found["A3"].feedback
    assert first.place_id == "p1" and first.source.value == "survey"
    assert first.received_at == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)  # 12:30 in Paris
    assert second.received_at == datetime(2026, 3, 2, 17, 5, tzinfo=UTC)  # day first
    assert third.received_at == datetime.fromtimestamp(1772470800, UTC)  # seconds since 1970
    assert [(r.key, r.kind, r.value) for r in first.ratings] == [
        ("nps", RatingKind.NPS, 9),
        ("visit", RatingKind.CSAT, 5),
    ]
    assert [r.key for r in third.ratings] == ["visit"], "an empty cell is no rating"
    assert [(c.question, c.text) for c in second.comments] == [("improve", "Cold soup,\nand a long wait.")]
    assert (first.contact.name, first.contact.email) == ("Ana", "ana@example.com")
    assert third.contact.name == "Léo Faure"
    assert dict(first.metadata) == {"Campaign": "spring"}, "unmapped columns, less the ignored and the empty"
    assert dict(second.metadata) == {}


def test_a_mapping_file_in_toml_or_json_reads_as_the_dict(url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "responses.csv", COLUMNS, ROWS)
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=tmp_path / "mapping.json", source="rating")
    assert report.ingested == 3
    assert {conversation.feedback.source.value for conversation in stored(url).values()} == {"rating"}


def test_a_mapping_naming_a_column_the_file_lacks_is_refused_before_any_row(url: str, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "responses.csv", COLUMNS, ROWS)
    code = main(["import", str(source), "--url", url, "--mapping", str(write_mapping(tmp_path, place="Shop"))])
    assert code == 2
    assert count_rows(url) == (0, 0)


def write_mapping(tmp_path: Path, **changes: str) -> Path:
    lines = [f"{key} = {json.dumps(value)}" for key, value in {**MAPPING, **changes}.items() if isinstance(value, str)]
    lines += ['ignore = ["Browser"]', "[ratings]", '"Recommend (0-10)" = "nps"', '"Satisfaction" = "csat"']
    lines += ["[comments]", '"What could we do better?" = "improve"', "[contact]", 'name = "Name"', 'email = "Email"']
    path = tmp_path / "mapping.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def readme_commands(heading: str) -> list[str]:
    """The lines of the first shell block under ``heading`` in the README, as a reader would type them."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = text.split(heading, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_imports_a_survey_tools_csv_in_two_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSEDLOOP_DATABASE_URL", raising=False)
    commands = readme_commands("### Feedback from your own files")
    assert len(commands) == 2 and commands[1].startswith("python -m closedloop import "), commands
    for command in commands:
        assert main(shlex.split(command.removeprefix("python -m closedloop"))) == 0, capsys.readouterr().err

    assert "8 ingested, 0 already stored, 0 rejected" in capsys.readouterr().out
    found = stored("sqlite:///closedloop-demo.db")
    sarah = found["R-20260302-0005"].feedback
    assert sarah.place_id == "paris-opera" and sarah.platform == "formly" and sarah.locale == "en"
    assert sarah.received_at == datetime(2026, 3, 2, 19, 14, tzinfo=UTC)
    assert {rating.key: rating.value for rating in sarah.ratings} == {"nps": 0, "csat": 1}
    assert found["R-20260302-0005"].alert is not None, "a detractor raises an alert as at any intake"
    assert "Device" not in found["R-20260301-0001"].feedback.metadata
    assert found["R-20260301-0001"].feedback.metadata["Campaign"] == "march-newsletter"


# -- duplicates, rejects, broken files -------------------------------------------------------------------------


def test_a_second_run_stores_nothing_twice(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "responses.csv", COLUMNS, ROWS)
    mapping = str(write_mapping(tmp_path))
    assert main(["import", str(source), "--mapping", mapping, "--url", url]) == 0
    assert main(["import", str(source), "--mapping", mapping, "--url", url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 ingested, 3 already stored, 0 rejected"
    assert count_rows(url) == (3, 3)


def test_refused_rows_go_to_a_csv_rejects_file_with_their_line_and_import_again_once_fixed(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ROWS[0],
        ["B1", "2026-03-01 12:30", "p1", "11", "5", "Too high a score", "", "", "", ""],  # line 3
        ["B2", "yesterday", "p2", "5", "", "Two\nlines", "", "", "", "x"],  # line 4, over two lines
        ["B3", "2026-03-01 12:30", "p9", "5", "", "", "", "", "", ""],  # line 6: unknown place
        ROWS[1],
    ]
    source = write_csv(tmp_path / "responses.csv", COLUMNS, rows)
    mapping = str(write_mapping(tmp_path))

    assert main(["import", str(source), "--mapping", mapping, "--url", url]) == 1
    out = capsys.readouterr().out
    assert "2 ingested, 0 already stored, 3 rejected" in out
    rejects = tmp_path / "responses.rejects.csv"
    assert str(rejects) in out
    with rejects.open(encoding="utf-8", newline="") as file:
        refused = list(csv.DictReader(file))
    assert list(refused[0]) == [*COLUMNS, "_line", "_reason"]
    assert [(row["Response ID"], row["_line"]) for row in refused] == [("B1", "3"), ("B2", "4"), ("B3", "6")]
    assert "between 0 and 10" in refused[0]["_reason"]
    assert "yesterday" in refused[1]["_reason"] and refused[1]["What could we do better?"] == "Two\nlines"
    assert "unknown place 'p9'" in refused[2]["_reason"]

    refused[0]["Recommend (0-10)"] = "10"
    refused[1]["Submitted at"] = "2026-03-01 08:00"
    refused[2]["Store"] = "p3"
    with rejects.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, [*COLUMNS, "_line", "_reason"])
        writer.writeheader()
        writer.writerows(refused)
    assert main(["import", str(rejects), "--mapping", mapping, "--url", url]) == 0
    assert "3 ingested, 0 already stored, 0 rejected" in capsys.readouterr().out
    found = stored(url)
    assert len(found) == 5 and found["B3"].place_id == "p3"
    assert "_line" not in found["B2"].feedback.metadata and "_reason" not in found["B2"].feedback.metadata


def test_json_lines_rejects_keep_each_object_with_its_line_and_reason(url: str, tmp_path: Path) -> None:
    items = objects(COLUMNS, ROWS)
    items[1]["Satisfaction"] = "9"  # off the CSAT scale
    source = tmp_path / "responses.jsonl"
    source.write_text("\n".join(json.dumps(item) for item in items) + "\nnot json\n", encoding="utf-8")
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=MAPPING, rejects=tmp_path / "refused.jsonl")
    assert (report.ingested, report.rejected) == (2, 2)
    refused = [json.loads(line) for line in (tmp_path / "refused.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(item.get("Response ID"), item["_line"]) for item in refused] == [("A2", 2), (None, 4)]
    assert {key: value for key, value in refused[0].items() if not key.startswith("_")} == items[1]
    assert [(rejection.line, rejection.file) for rejection in report.rejections] == [(2, str(source)), (4, str(source))]


@pytest.mark.parametrize(
    ("file_format", "cut_at", "line"),
    [
        ("csv", 'A3,2026-03-01 12:30,p1,,4,"Half a comm', 5),
        ("jsonl", '{"Response ID": "A3", "Sub', 3),
        ("json", None, 3),
    ],
)
def test_a_file_cut_mid_row_imports_the_whole_rows_and_rejects_the_last(
    url: str, tmp_path: Path, file_format: str, cut_at: str | None, line: int
) -> None:
    source = write_in(file_format, tmp_path / f"cut.{file_format}", COLUMNS, ROWS[:2])
    text = source.read_text(encoding="utf-8")
    if file_format == "json":
        text = text.rstrip().removesuffix("]") + ', {"Response ID": "A3", "Submitted'
    else:
        text += cut_at or ""
    source.write_text(text, encoding="utf-8")

    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=MAPPING, rejects=tmp_path / f"rejects.{file_format}")

    assert (report.ingested, report.rejected) == (2, 1)
    [rejection] = report.rejections
    assert rejection.line == line and "cut short" in rejection.reason
    assert (tmp_path / f"rejects.{file_format}").exists()


def test_a_file_in_another_encoding_is_refused_naming_the_line_then_read_with_encoding(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "excel.csv"
    rows = [*ROWS[:1], ["A4", "2026-03-01 12:30", "p1", "8", "4", "Très bien", "Zoé", "", "", ""]]
    with source.open("w", encoding="cp1252", newline="") as file:
        csv.writer(file).writerows([COLUMNS, *rows])
    mapping = str(write_mapping(tmp_path))

    assert main(["import", str(source), "--mapping", mapping, "--url", url]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("closedloop: ") and len(error.splitlines()) == 1
    assert "line 3" in error and "--encoding" in error

    assert main(["import", str(source), "--mapping", mapping, "--url", url, "--encoding", "cp1252"]) == 0
    found = stored(url)
    assert found["A4"].feedback.contact.name == "Zoé" and found["A4"].feedback.comments[0].text == "Très bien"


def test_standard_input_is_read_as_a_file(url: str, tmp_path: Path) -> None:
    data = "".join(json.dumps(item) + "\n" for item in objects(COLUMNS, ROWS))
    mapping = str(write_mapping(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "closedloop", "import", "-", "--mapping", mapping, "--url", url],
        input=data,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "3 ingested" in result.stdout
    assert count_rows(url) == (3, 3)


# -- an interrupted import -------------------------------------------------------------------------------------


def big_import(url: str, tmp_path: Path, total: int) -> list[str]:
    """The command importing a JSON Lines file of ``total`` rows, long enough to be stopped midway."""
    source = tmp_path / "big.jsonl"
    with source.open("w", encoding="utf-8") as file:
        for number in range(total):
            item = {"external_id": f"r{number}", "place_id": f"p{number % 3 + 1}", "nps": number % 11}
            item |= {"received_at": "2026-03-01T10:00:00+00:00", "comment": f"Visit number {number}, all fine."}
            file.write(json.dumps(item) + "\n")
    return [sys.executable, "-m", "closedloop", "import", str(source), "--url", url, "--batch-size", "500"]


def stopped_midway(command: list[str], url: str, cwd: Path, stop: signal.Signals) -> tuple[int, str]:
    """The import run, sent ``stop`` once it stored a few batches: its exit status and what it wrote on stderr."""
    errors = cwd / f"stopped-{stop.name}.err"
    with errors.open("w") as error_file:
        running = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=error_file)
        try:
            deadline = time.monotonic() + 120
            while count_stored(url) < 2000 and running.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert running.poll() is None, "the import ended before it could be interrupted; make the file larger"
            os.kill(running.pid, stop)
        finally:
            running.wait(timeout=30)
    return running.returncode, errors.read_text()


def test_an_import_killed_midway_stores_every_row_exactly_once_when_run_again(url: str, tmp_path: Path) -> None:
    total = 20_000
    command = big_import(url, tmp_path, total)
    stopped_midway(command, url, tmp_path, signal.SIGKILL)
    interrupted = count_rows(url)
    assert 0 < interrupted[0] < total and interrupted[0] == interrupted[1]

    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert count_rows(url) == (total, total)
    assert f"{total - interrupted[0]:,} ingested, {interrupted[0]:,} already stored, 0 rejected" in again.stdout


def test_an_import_stopped_by_a_termination_signal_says_how_far_it_got(url: str, tmp_path: Path) -> None:
    status, errors = stopped_midway(big_import(url, tmp_path, 20_000), url, tmp_path, signal.SIGTERM)
    stored = count_rows(url)[0]
    assert status == 128 + signal.SIGTERM
    assert errors.strip() == (
        f"closedloop: stopped after storing {stored:,} rows; run the same command again to import the rest (rows "
        "already stored are skipped)"
    )


def count_stored(url: str) -> int:
    try:
        return count_rows(url)[0]
    except sqlite3.OperationalError:  # locked for a moment by the writer
        return 0


def test_the_python_example_of_the_import_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    guide = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/import.md", "exec"), {"__name__": "example_import"})
    assert (tmp_path / "conversations.jsonl").exists()


def test_rows_the_intake_refuses_reach_the_rejects_file_with_their_own_line(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the import's own checks (here switched off), the intake refuses a row for an unknown place; it reports
    it batches later, and the right row still goes to the rejects file."""
    from closedloop.app import importing
    from closedloop.files.building import FeedbackBuilder

    def unchecked(mapping: Any, *, zone: Any = None, place_ids: Any = None) -> FeedbackBuilder:
        return FeedbackBuilder(mapping, zone=zone, place_ids=None)

    monkeypatch.setattr(importing, "FeedbackBuilder", unchecked)
    stores = ["p1", "p9", "p2", "p2", "nowhere", "p3", "p1", "p8", "p1"]
    rows = [[f"C{n}", "2026-03-01 12:30", store, "7", "", "", "", "", "", ""] for n, store in enumerate(stores)]
    source = write_csv(tmp_path / "responses.csv", COLUMNS, rows)
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=MAPPING, batch_size=2, rejects=tmp_path / "refused.csv")
    assert (report.ingested, report.rejected) == (6, 3)
    with (tmp_path / "refused.csv").open(encoding="utf-8", newline="") as file:
        refused = [(row["Response ID"], row["Store"], row["_line"]) for row in csv.DictReader(file)]
    assert refused == [("C1", "p9", "3"), ("C4", "nowhere", "6"), ("C7", "p8", "9")]


def test_every_rejection_reaches_the_intakes_callback_past_those_the_report_keeps() -> None:
    from closedloop.app import intake
    from closedloop.app.batches import MAX_REPORTED_REJECTIONS

    heard: list[tuple[int, str]] = []
    items = [{"source": "survey", "external_id": f"x{n}", "place_id": "p9", "received_at": "bad"} for n in range(1010)]
    with Desk.open() as desk:
        report = intake.ingest_many(
            desk.context, items, batch_size=300, progress=None, on_reject=lambda at, item, why: heard.append((at, why))
        )
    assert report.rejected_count == 1010 and len(report.rejected) == MAX_REPORTED_REJECTIONS
    assert [position for position, _ in heard] == list(range(1010))


def test_files_with_other_columns_refuse_rows_each_into_a_rejects_file_of_its_own(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_csv(tmp_path / "march.csv", COLUMNS, [ROWS[0], ["M1", "never", "p1", "", "", "", "", "", "", ""]])
    columns = [*COLUMNS[:-1], "Survey"]  # April's export has a column of its own
    second = write_csv(tmp_path / "april.csv", columns, [["P1", "soon", "p2", "", "", "", "", "", "", "x"], ROWS[2]])
    mapping = str(write_mapping(tmp_path))

    assert main(["import", str(first), str(second), "--mapping", mapping, "--url", url]) == 1
    assert "2 ingested, 0 already stored, 2 rejected" in capsys.readouterr().out
    with (tmp_path / "april.rejects.csv").open(encoding="utf-8", newline="") as file:
        [refused] = list(csv.DictReader(file))
    assert refused["Survey"] == "x" and refused["_line"] == "2"
    assert "M1" in (tmp_path / "march.rejects.csv").read_text(encoding="utf-8")


def test_one_rejects_file_for_several_files_says_which_file_each_row_came_from_and_imports_again(
    url: str, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "march.csv", COLUMNS, [ROWS[0], ["M1", "never", "p1", "", "", "", "", "", "", ""]])
    second = write_csv(tmp_path / "april.csv", COLUMNS, [ROWS[1], ["A1", "soon", "p2", "", "", "", "", "", "", ""]])
    mapping, rejects = str(write_mapping(tmp_path)), tmp_path / "refused.csv"
    command = ["import", str(first), str(second), "--mapping", mapping, "--url", url, "--rejects", str(rejects)]

    assert main(command) == 1
    with rejects.open(encoding="utf-8", newline="") as file:
        refused = list(csv.DictReader(file))
    lines = [(row["_file"], row["_line"]) for row in refused]
    assert lines == [(str(first), "3"), (str(second), "4")]  # a quoted line break in the row before

    fixed = rejects.read_text(encoding="utf-8").replace("never", "2026-03-02").replace("soon", "2026-04-02")
    (tmp_path / "fixed.csv").write_text(fixed, encoding="utf-8")
    assert main(["import", str(tmp_path / "fixed.csv"), "--mapping", mapping, "--url", url]) == 0
    assert {"M1", "A1"} <= set(stored(url))


@pytest.mark.parametrize("command", ["import", "export"])
def test_the_help_of_each_command_shows_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert "Examples:" in shown and f"  closedloop {command} " in shown and "docs/import.md" in shown


# -- what a newcomer ran into ---------------------------------------------------------------------------------


def test_a_value_past_the_csv_modules_limit_is_read_and_an_unreadable_row_is_refused_with_its_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "a" * 200_000
    source = tmp_path / "long.csv"
    source.write_text(
        f'external_id,received_at,place_id,comment\nx1,2026-03-01,p1,{long}\nx2,2026-03-01,p1,"bad"quote\n'
        "x3,2026-03-01,p1,fine\n",
        encoding="utf-8",
    )
    assert main(["import", str(source), "--url", url]) == 1
    out = capsys.readouterr().out
    assert "2 ingested, 0 already stored, 1 rejected" in out and "line 3:" in out
    assert stored(url)["x1"].feedback.text == long


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_the_separator_is_taken_from_the_header_line(url: str, tmp_path: Path, separator: str) -> None:
    source = tmp_path / "semi.csv"
    source.write_text(
        separator.join(["external_id", "received_at", "place_id", "nps", "comment"])
        + "\n"
        + separator.join(["s1", "2026-03-01 10:00", "p1", "9", "Good, really"])
        + "\n",
        encoding="utf-8",
    )
    assert main(["import", str(source), "--url", url]) == 0
    assert stored(url)["s1"].feedback.text == "Good, really"


def test_a_single_column_header_holding_a_separator_names_the_likely_cause(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "semi.csv"
    source.write_text("external_id;received_at;place_id\ns1;2026-03-01;p1\n", encoding="utf-8")
    assert main(["import", str(source), "--delimiter", ",", "--url", url]) == 2
    assert "--delimiter" in capsys.readouterr().err
    assert main(["import", str(source), "--delimiter", ";", "--url", url]) == 0


def test_without_a_mapping_the_platform_column_is_read_and_platform_overrides_it(url: str, tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    write_csv(
        source,
        ["external_id", "received_at", "place_id", "platform", "stars"],
        [["r1", "2026-03-01", "p1", "google", "4"]],
    )
    assert main(["import", str(source), "--source", "review", "--url", url]) == 0
    found = stored(url)["r1"].feedback
    assert (found.source.value, found.platform, found.metadata) == ("review", "google", {})
    assert main(["import", str(source), "--source", "review", "--platform", "maps", "--url", url]) == 0
    assert count_rows(url) == (2, 2), "another platform, another feedback"


def test_a_rejects_file_is_never_overwritten_and_left_out_of_a_glob(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [["B1", "yesterday", "p1", "5", "", "", "", "", "", ""]]
    source = write_csv(tmp_path / "responses.csv", COLUMNS, bad)
    mapping = str(write_mapping(tmp_path))
    assert main(["import", str(source), "--mapping", mapping, "--url", url]) == 1
    first = tmp_path / "responses.rejects.csv"
    kept = first.read_text(encoding="utf-8") + "being fixed\n"
    first.write_text(kept, encoding="utf-8")
    capsys.readouterr()
    other = write_csv(tmp_path / "more.csv", COLUMNS, ROWS[:1])
    assert main(["import", str(source), str(first), str(other), "--mapping", mapping, "--url", url]) == 1
    out = capsys.readouterr().out
    assert f"Leaving out {first}" in out
    assert "1 ingested, 0 already stored, 1 rejected" in out
    assert first.read_text(encoding="utf-8") == kept
    assert f"went to {tmp_path / 'responses.rejects-2.csv'}" in out
    with (tmp_path / "responses.rejects-2.csv").open(encoding="utf-8", newline="") as file:
        assert [row["Response ID"] for row in csv.DictReader(file)] == ["B1"]


def test_a_mapped_column_no_row_had_is_reported(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_in("jsonl", tmp_path / "responses.jsonl", COLUMNS, ROWS)
    mapping = dict(MAPPING, comments={"What could we do better?": "improve", "Nope": "other"})
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=mapping)
    assert report.ingested == 3
    assert report.warnings == [f"{source}: column 'Nope' of the mapping was in no row"]
    (tmp_path / "mapping.json").write_text(json.dumps(mapping), encoding="utf-8")
    assert main(["import", str(source), "--mapping", str(tmp_path / "mapping.json"), "--url", url]) == 0
    assert "Warning: " + report.warnings[0] in capsys.readouterr().out


def test_a_mapped_column_a_csv_header_lacks_is_refused_before_any_row_is_stored(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "responses.csv", COLUMNS, ROWS)
    misspelt = dict(MAPPING, ratings={"Recommend (0-10) ": "nps", "Satisfaction": "csat"})
    (tmp_path / "mapping.json").write_text(json.dumps(misspelt), encoding="utf-8")
    assert main(["import", str(source), "--mapping", str(tmp_path / "mapping.json"), "--url", url]) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and "has no column 'Recommend (0-10) '" in said and "fix the mapping" in said
    assert count_rows(url) == (0, 0)  # imported without it, the ratings would be lost for good
    with Desk.open(url) as desk, pytest.raises(InvalidInput, match="has no column 'Recommend"):
        desk.import_file(source, mapping=misspelt)
    assert main(["import", str(source), "--mapping", str(write_mapping(tmp_path)), "--url", url]) == 0
    assert count_rows(url) == (3, 3)


def test_without_a_mapping_a_file_lacking_the_default_columns_is_told_which_they_are(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "responses.csv", COLUMNS, ROWS)
    assert main(["import", str(source), "--url", url]) == 2
    said = capsys.readouterr().err
    assert "without --mapping a file needs the columns external_id, received_at, place_id" in said
    assert "--mapping" in said and "fix the mapping" not in said


def test_an_empty_file_is_refused_naming_it(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    assert main(["import", str(source), "--url", url]) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and f"{source} is empty" in said


def test_an_open_stream_is_refused_saying_to_give_a_path(url: str) -> None:
    with Desk.open(url) as desk, pytest.raises(InvalidInput, match="by their paths"):
        desk.import_file(io.StringIO("external_id,received_at,place_id\n"))  # type: ignore[arg-type]


def test_a_header_without_rows_is_still_checked(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "header.csv"
    source.write_text("Response;Time;Store\n", encoding="utf-8")
    assert main(["import", str(source), "--url", url]) == 2
    assert "has no column 'external_id'" in capsys.readouterr().err

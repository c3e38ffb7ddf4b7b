"""Exporting conversations (issue 16): JSON Lines and CSV, filtered by places, folder and dates, scoped to
what the user may see, and in constant memory. Every test reads a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from closedloop import (
    AccessDenied,
    Comment,
    Contact,
    Desk,
    Feedback,
    InvalidInput,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    Role,
    User,
)
from closedloop.cli import main
from closedloop.files.conversation_rows import CSV_COLUMNS

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def feedback(number: int, place_id: str, *, nps: int = 9, days: int = 0) -> Feedback:
    return Feedback(
        source="survey",
        external_id=f"f{number}",
        place_id=place_id,
        received_at=START + timedelta(days=days, minutes=number),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
        comments=f"Comment number {number}",
        contact=Contact(name=f"Customer {number}", email=f"c{number}@example.com"),
        metadata={"order": str(number)},
    )


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """Paris and Lyon, an admin, and Léo who sees Lyon only; four conversations on four days, one of them done."""
    address = f"sqlite:///{tmp_path / 'feedback.db'}"
    with Desk.open(address) as desk:
        desk.add_place(Place(id="paris", name="Paris"))
        desk.add_place(Place(id="lyon", name="Lyon"))
        desk.add_group(PlaceGroup(id="france", name="France", place_ids={"paris", "lyon"}))
        desk.add_user(User(id="admin", name="Admin", role=Role.ADMIN))
        desk.add_user(User(id="leo", name="Léo", places={"lyon"}))
        desk.ingest_many([feedback(1, "paris", nps=2), feedback(2, "lyon", days=1)])
        desk.ingest_many([feedback(3, "paris", days=2), feedback(4, "lyon", nps=0, days=3)])
        done = next(c for c in desk.inbox("admin") if c.feedback.external_id == "f2")
        desk.mark_done(done.id, by="admin")
    yield address


def exported(url: str, **filters: object) -> list[dict[str, object]]:
    out = io.StringIO()
    with Desk.open(url) as desk:
        report = desk.export(out, **filters)  # type: ignore[arg-type]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert report.exported == len(lines)
    return lines


def ids(lines: list[dict[str, object]]) -> set[str]:
    return {line["feedback"]["external_id"] for line in lines}  # type: ignore[index]


def test_json_lines_hold_each_conversation_whole(url: str) -> None:
    lines = exported(url, user="admin")
    assert ids(lines) == {"f1", "f2", "f3", "f4"}
    first = next(line for line in lines if line["feedback"]["external_id"] == "f1")  # type: ignore[index]
    assert first["folder"] == "inbox" and first["category"] == "alert" and first["status"] == "new"
    assert first["feedback"]["ratings"][0]["value"] == 2  # type: ignore[index]
    assert first["feedback"]["contact"]["email"] == "c1@example.com"  # type: ignore[index]
    assert first["feedback"]["metadata"] == {"order": "1"}  # type: ignore[index]
    assert first["alert"]["status"] == "to_process"  # type: ignore[index]
    done = next(line for line in lines if line["feedback"]["external_id"] == "f2")  # type: ignore[index]
    assert done["folder"] == "done"
    assert [entry["to_status"] for entry in done["history"]] == ["new", "done"]  # type: ignore[attr-defined]


def test_filters_by_folder_places_dates_and_what_the_user_may_see(url: str) -> None:
    assert ids(exported(url, user="admin", folder="done")) == {"f2"}
    assert ids(exported(url, user="admin", places="paris")) == {"f1", "f3"}
    assert ids(exported(url, user="admin", places=["france"], folder="inbox")) == {"f1", "f3", "f4"}
    assert ids(exported(url, user="admin", since=date(2026, 3, 2), until=date(2026, 3, 4))) == {"f2", "f3"}
    assert ids(exported(url, since=START + timedelta(days=3))) == {"f4"}, "no user: every conversation"
    assert ids(exported(url, user="leo")) == {"f2", "f4"}
    with pytest.raises(AccessDenied):
        exported(url, user="leo", places="paris")
    with pytest.raises(InvalidInput, match="since must come before until"):
        exported(url, since=date(2026, 3, 4), until=date(2026, 3, 2))


def test_csv_has_one_flat_row_per_conversation_with_the_documented_columns(url: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert main(["export", "--url", url, "--user", "admin", "--format", "csv", "--output", str(target)]) == 0
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_id = {row["external_id"]: row for row in rows}
    assert set(by_id) == {"f1", "f2", "f3", "f4"}
    assert by_id["f1"]["ratings"] == "nps=2" and by_id["f1"]["alert_status"] == "to_process"
    assert by_id["f2"]["folder"] == "done" and by_id["f2"]["customer_email"] == "c2@example.com"
    assert json.loads(by_id["f3"]["metadata"]) == {"order": "3"}
    assert by_id["f3"]["comments"] == "Comment number 3"
    docs = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    assert all(f"`{column}`" in docs for column in CSV_COLUMNS), "every CSV column is described"


def test_the_command_writes_to_standard_output_and_refuses_a_missing_database(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--url", url, "--places", "lyon", "--since", "2026-03-03"]) == 0
    captured = capsys.readouterr()
    assert ids([json.loads(line) for line in captured.out.splitlines()]) == {"f4"}
    assert "1 conversation exported" in captured.err, "one, in the singular"
    assert main(["export", "--url", f"sqlite:///{tmp_path / 'nope.db'}"]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()


def test_an_export_reads_in_constant_memory(tmp_path: Path) -> None:
    """Exporting three times as many conversations takes about the same peak memory: a page at a time, not the
    whole. (Both counts are past the few thousand decoded conversations the SQL store keeps in its cache.)"""
    peaks = []
    for count in (5000, 15000):
        address = f"sqlite:///{tmp_path / f'{count}.db'}"
        with Desk.open(address) as desk:
            desk.add_place(Place(id="paris", name="Paris"))
            desk.ingest_many(feedback(number, "paris") for number in range(count))
            target = tmp_path / f"{count}.jsonl"
            tracemalloc.start()
            try:
                report = desk.export(target)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        assert report.exported == count
        assert target.read_text(encoding="utf-8").count("\n") == count
    assert peaks[1] < peaks[0] * 1.25, f"peak memory grew with the number of conversations: {peaks}"


def test_an_export_imports_into_another_desk_as_the_same_feedback(url: str, tmp_path: Path) -> None:
    target = tmp_path / "all.jsonl"
    with Desk.open(url) as desk:
        desk.export(target)
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    with Desk.open(copy) as desk:
        desk.add_place(Place(id="paris", name="Paris"))
        desk.add_place(Place(id="lyon", name="Lyon"))
        report = desk.import_file(target)
        assert (report.ingested, report.rejected) == (4, 0)
        again = io.StringIO()
        desk.export(again)
    before = {line["feedback"]["external_id"]: line["feedback"] for line in exported(url)}  # type: ignore[index]
    after = {
        line["feedback"]["external_id"]: line["feedback"] for line in map(json.loads, again.getvalue().splitlines())
    }
    assert after == before


def test_a_csv_export_imports_back_as_the_same_feedback_and_again_as_duplicates(url: str, tmp_path: Path) -> None:
    with Desk.open(url) as desk:
        desk.ingest(
            Feedback(
                source="review",
                platform="google",
                external_id="g1",
                place_id="paris",
                received_at=START,
                ratings=[
                    Rating(key="visit", kind=RatingKind.CSAT, value=4),
                    Rating(key="value", kind=RatingKind.CUSTOM, scale=(1, 10), value=7.5),
                ],
                comments=[Comment(text="Faster,\nplease", question="improve"), Comment(text="x: y", question="other")],
            )
        )
        desk.ingest(  # comments that question: text lines would not keep apart
            Feedback(
                source="survey",
                external_id="s1",
                place_id="lyon",
                received_at=START,
                comments=[
                    Comment(text="Lovely.\nimprove: nothing", question="What did you think of your visit?"),
                    Comment(text="[sic]", question="comment"),
                ],
            )
        )
        desk.export(tmp_path / "all.csv", file_format="csv")
        again = desk.import_file(tmp_path / "all.csv")
    assert (again.ingested, again.duplicates, again.rejected) == (0, 6, 0), "every row is already stored"
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    with Desk.open(copy) as desk:
        desk.add_place(Place(id="paris", name="Paris"))
        desk.add_place(Place(id="lyon", name="Lyon"))
        report = desk.import_file(tmp_path / "all.csv")
        assert (report.ingested, report.rejected) == (6, 0)
        copied = io.StringIO()
        desk.export(copied)
    before = {line["feedback"]["external_id"]: line["feedback"] for line in exported(url)}  # type: ignore[index]
    after = {
        line["feedback"]["external_id"]: line["feedback"] for line in map(json.loads, copied.getvalue().splitlines())
    }
    assert after == before


@pytest.mark.parametrize(("name", "first"), [("out.csv", "id,place_id,folder"), ("out.jsonl", '{"id":')])
def test_the_command_takes_the_format_from_the_output_extension(
    url: str, tmp_path: Path, name: str, first: str
) -> None:
    assert main(["export", "--url", url, "--output", str(tmp_path / name)]) == 0
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(first)


@pytest.mark.parametrize(
    ("options", "said"),
    [(["--format", "jsonl", "--output", "x.csv"], "does not match"), (["--output", "x.json"], "name the file .jsonl")],
)
def test_the_command_refuses_a_format_the_extension_contradicts(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], said: str
) -> None:
    options = [str(tmp_path / option) if option.startswith("x.") else option for option in options]
    assert main(["export", "--url", url, *options]) == 2
    assert said in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))


def test_a_binary_stream_is_refused_saying_to_pass_a_text_stream(url: str) -> None:
    with Desk.open(url) as desk, pytest.raises(InvalidInput, match="binary stream; pass a text stream"):
        desk.export(io.BytesIO())

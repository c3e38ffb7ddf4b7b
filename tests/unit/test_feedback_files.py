"""Reading feedback files, row by row: where each row is, times in the usual formats, and the column mapping."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from closedloop import InvalidInput, RatingKind
from closedloop.files import reading
from closedloop.files.building import FeedbackBuilder
from closedloop.files.dates import TimeReader, zone_named
from closedloop.files.exported_rows import comments_of, exported_feedback, ratings_of
from closedloop.files.mapping import load_mapping
from closedloop.files.reading import MAX_CSV_FIELD, InputFile, delimiter_of
from closedloop.files.rejects import RejectsWriter, free_path

PARIS = zone_named("Europe/Paris")


def rows_of(tmp_path: Path, name: str, data: bytes) -> list[tuple[int, dict[str, object], str | None]]:
    path = tmp_path / name
    path.write_bytes(data)
    with InputFile(path) as source:
        return [(row.line, row.record, row.problem) for row in source.rows()]


def test_a_csv_row_is_placed_on_the_line_it_starts_on(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, "a.csv", b'id,text\r\n1,"two\r\nlines"\r\n2,plain\r\n\r\n3,"x""y"\r\n')
    assert [(line, record["id"]) for line, record, _ in rows] == [(2, "1"), (4, "2"), (6, "3")]
    assert rows[0][1]["text"] == "two\r\nlines" and rows[2][1]["text"] == 'x"y'


def test_a_byte_order_mark_and_the_rejects_columns_are_not_read_as_data(tmp_path: Path) -> None:
    [(_, record, problem)] = rows_of(tmp_path, "a.csv", b"\xef\xbb\xbfid,_line,_reason,text\n7,3,bad,hello\n")
    assert record == {"id": "7", "text": "hello"} and problem is None


def test_a_files_own_file_column_is_data_but_that_of_a_rejects_file_is_not(tmp_path: Path) -> None:
    [(_, own, _)] = rows_of(tmp_path, "a.csv", b"id,_file,text\n7,scan-3.pdf,hello\n")
    [(_, rejects, _)] = rows_of(tmp_path, "b.csv", b"id,text,_line,_reason,_file\n7,hello,3,bad,a.csv\n")
    [(_, listed, _)] = rows_of(tmp_path, "c.jsonl", b'{"id": 7, "_file": "scan-3.pdf"}\n')
    assert own == {"id": "7", "_file": "scan-3.pdf", "text": "hello"} and rejects == {"id": "7", "text": "hello"}
    assert listed == {"id": 7, "_file": "scan-3.pdf"}


def test_a_broken_csv_row_is_a_row_with_its_problem_and_the_next_rows_are_read(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, "a.csv", b'id,text\n1,"a"b\n2,ok\n3,too,many\n4\n5,"cut sh')
    assert [(line, problem is None) for line, _, problem in rows] == [
        (2, False),
        (3, True),
        (4, False),
        (5, False),
        (6, False),
    ]
    assert "quote" in (rows[0][2] or "")
    assert "3 values where the header has 2" in (rows[2][2] or "")
    assert "cut short" in (rows[4][2] or "") and rows[4][1]["text"] == "cut sh"


def test_json_rows_are_placed_by_line_or_by_position_in_the_array(tmp_path: Path) -> None:
    lines = rows_of(tmp_path, "a.jsonl", b'{"id": 1}\n\n[2]\n{"id": 4}\n')
    assert [(line, problem is None) for line, _, problem in lines] == [(1, True), (3, False), (4, True)]
    array = rows_of(tmp_path, "a.json", b'[\n {"id": 1},\n {"id": 2}\n]\n')
    assert [(line, record) for line, record, _ in array] == [(1, {"id": 1}), (2, {"id": 2})]
    with pytest.raises(InvalidInput, match="one array of objects"):
        rows_of(tmp_path, "b.json", b'{"id": 1}')


def test_a_wrong_encoding_names_the_line_far_into_a_large_file(tmp_path: Path) -> None:
    data = b"id,text\n" + b"".join(b"%d,plain text\n" % number for number in range(20_000)) + b"20000,caf\xe9\n"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with InputFile(path) as source, pytest.raises(InvalidInput, match=r"line 20002: .*--encoding"):
        list(source.rows())
    with InputFile(path, encoding="cp1252") as source:
        assert list(source.rows())[-1].record["text"] == "café"
    with pytest.raises(InvalidInput, match="unknown encoding"):
        InputFile(path, encoding="klingon")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T14:30:00+01:00", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("2026-03-01T13:30:00Z", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("2026-03-01 14:30", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("2026-03-01 14:30:15", datetime(2026, 3, 1, 13, 30, 15, tzinfo=UTC)),
        ("2026-07-01", datetime(2026, 6, 30, 22, 0, tzinfo=UTC)),  # summer time in Paris
        ("01/03/2026 14:30", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("01/03/2026", datetime(2026, 2, 28, 23, 0, tzinfo=UTC)),
        ("1772375400", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),  # seconds since 1970 are UTC
        ("1772375400000", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
    ],
)
def test_times_in_the_usual_formats_take_the_default_zone_when_they_say_none(text: str, expected: datetime) -> None:
    assert TimeReader(PARIS)(text) == expected


def test_a_time_in_no_known_format_is_refused_saying_which_are(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="date_format"):
        TimeReader(UTC)("March 1st")
    with pytest.raises(InvalidInput, match="DD/MM/YYYY"):
        TimeReader(UTC)("13/13/2026 10:00")
    assert TimeReader(UTC, "%m/%d/%Y %H:%M")("03/01/2026 10:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert TimeReader(timezone(timedelta(hours=2)))(1772375400) == datetime(2026, 3, 1, 14, 30, tzinfo=UTC)


def test_the_mapping_builds_feedback_from_a_row() -> None:
    mapping = load_mapping(
        {
            "source": "review",
            "platform": "google",
            "external_id": "id",
            "received_at": "at",
            "place": "shop",
            "places": {"Opéra": "paris"},
            "ratings": {"Stars": "stars", "Value": {"kind": "custom", "scale": [1, 10]}},
            "comments": {"Text": "review"},
            "contact": {"name": "Who"},
            "metadata": ["Channel"],
        }
    )
    build = FeedbackBuilder(mapping, place_ids={"paris"})
    feedback = build(
        {"id": 12, "at": "2026-03-01 10:00", "shop": "Opéra", "Stars": "4", "Value": "7,5"}
        | {"Text": "Good", "Who": "Ana", "Channel": "app", "Other": "dropped"}
    )
    assert feedback.key == ("review", "google", "12") and feedback.place_id == "paris"
    assert [(r.key, r.kind, r.value) for r in feedback.ratings] == [
        ("stars", RatingKind.STARS, 4),
        ("value", RatingKind.CUSTOM, 7.5),
    ]
    assert dict(feedback.metadata) == {"Channel": "app"}
    with pytest.raises(InvalidInput, match="unknown place 'Lyon'"):
        build({"id": 1, "at": "2026-03-01", "shop": "Lyon"})
    with pytest.raises(InvalidInput, match="'Stars' must hold a number"):
        build({"id": 1, "at": "2026-03-01", "shop": "Opéra", "Stars": "four"})


NPS_MAPPING = {"external_id": "id", "received_at": "at", "place_id": "paris", "ratings": {"nps": "nps"}}


#: Digits Python reads too: an Arabic-Indic 7 and 7,5, a fullwidth 7, a superscript 2.
OTHER_DIGITS = ["\u0667", "\u0667,\u0665", "\uff17", "\u00b2"]


@pytest.mark.parametrize("answer", OTHER_DIGITS)
def test_a_rating_written_with_other_digits_than_0_to_9_is_refused_saying_so(answer: str) -> None:
    build = FeedbackBuilder(load_mapping(NPS_MAPPING))
    row = {"id": "1", "at": "2026-03-01 10:00", "nps": answer}
    with pytest.raises(InvalidInput, match=r"column 'nps' must hold a number written with the ASCII digits 0-9; got '"):
        build(row)
    assert [r.value for r in build(row | {"nps": " 7 "}).ratings] == [7]
    with pytest.raises(InvalidInput, match=re.escape("column 'nps' must hold a number; got 'sept (7) \u00e9toiles'")):
        build(row | {"nps": "sept (7) \u00e9toiles"})  # not a number in any script: refused as before


def test_an_nps_answer_between_two_whole_numbers_is_refused_from_a_file() -> None:
    build = FeedbackBuilder(load_mapping(NPS_MAPPING))
    message = "rating 'nps' of kind nps must be a whole number from 0 to 10; got 7.5"
    with pytest.raises(InvalidInput, match=re.escape(message)):
        build({"id": "1", "at": "2026-03-01 10:00", "nps": "7,5"})


def test_a_row_without_an_id_column_gets_the_same_id_each_time() -> None:
    build = FeedbackBuilder(load_mapping({"received_at": "at", "place_id": "paris"}))
    row = {"at": "2026-03-01", "comment": "Nice"}
    assert build(row).external_id == build(dict(row)).external_id != build({**row, "comment": "Nicer"}).external_id


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"received_at": "at", "colums": {}}, "unknown key 'colums'"),
        ({"received_at": "at", "source": "letter"}, "source must be survey"),
        ({"received_at": "at", "ratings": {"Score": "percent"}}, "use nps, csat, ces, stars or custom"),
        ({"received_at": "at", "ratings": {"Score": "custom"}}, "needs scale"),
        ({"received_at": "at", "place": "Shop", "place_id": "paris"}, "not both"),
        ({"received_at": "at", "contact": {"mail": "E"}}, "contact"),
        ({"place": "Shop"}, "received_at must name"),
    ],
)
def test_a_mapping_that_cannot_be_right_is_refused_saying_why(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_mapping(mapping)


def test_a_mapping_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text("received_at = \n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_mapping(path)


def test_a_json_rejects_file_is_one_array_that_reads_back(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text('[{"id": 1}, {"id": 2}]', encoding="utf-8")
    with InputFile(source) as reading, RejectsWriter(tmp_path / "out.json") as writer:
        for row in reading.rows():
            writer.write(row, f"reason {row.line}", reading.format, None, source.name)
    with InputFile(tmp_path / "out.json") as again:
        assert [row.record for row in again.rows()] == [{"id": 1}, {"id": 2}]


def test_a_row_holding_serialized_feedback_is_read_as_such_and_checked_as_strictly() -> None:
    build = FeedbackBuilder(load_mapping(None), place_ids={"paris"})
    data = {
        "source": "survey",
        "external_id": "s1",
        "place_id": "paris",
        "received_at": "2026-03-01T10:00:00+00:00",
        "ratings": [{"key": "nps", "kind": "nps", "value": 9}],
        "comments": [{"text": "Fine", "question": "comment"}],
        "contact": {"name": "Ana", "email": "", "tel": ""},
    }
    feedback = build(data)
    assert (feedback.external_id, feedback.ratings[0].value, feedback.comments[0].text) == ("s1", 9, "Fine")
    assert build({"id": "c1", "folder": "inbox", "feedback": data}) == feedback, "a line of closedloop export"
    with pytest.raises(InvalidInput, match="unknown key 'ratins'"):
        build({**data, "ratins": []})
    with pytest.raises(InvalidInput, match="must lie between 0 and 10"):
        build({**data, "ratings": [{"key": "nps", "kind": "nps", "value": 11}]})
    with pytest.raises(InvalidInput, match=r"offset|zone"):
        build({**data, "received_at": "2026-03-01T10:00:00"})


def test_serialized_feedback_with_a_text_that_cannot_be_stored_is_refused(tmp_path: Path) -> None:
    """A JSON escape can make half a character, which no database stores; stdlib JSON (the array reader) lets it
    through, so the row is checked as the records' own constructors check it."""
    path = tmp_path / "in.json"
    row = '{"source": "survey", "external_id": "s1", "place_id": "p", "received_at": "2026-03-01T10:00:00+00:00"'
    path.write_text(f'[{row}, "contact": {{"name": "A\\udc80"}}, "ratings": []}}]', encoding="utf-8")
    with InputFile(path) as source:
        [read] = list(source.rows())
    with pytest.raises(InvalidInput, match="lone surrogate"):
        FeedbackBuilder(load_mapping(None))(read.record)


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb\tc", "\t"),
        ("a|b|c", "|"),
        ('"Name, first";"Score, 0-10";"Email"', ";"),
        ("single", ","),
    ],
)
def test_the_separator_is_the_one_the_header_holds_most_outside_quotes(header: str, separator: str) -> None:
    assert delimiter_of(header + "\n") == separator


def test_a_broken_row_past_the_field_limit_is_a_row_with_its_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_CSV_FIELD > 131_072 * 100, "well past the csv module's default"
    monkeypatch.setattr(reading, "MAX_CSV_FIELD", 1000)  # as a 64 MiB value would, without the memory
    previous = csv.field_size_limit()
    try:
        rows = rows_of(tmp_path, "huge.csv", f'a,b\n1,"{"x" * 1010}\n2,fine\n'.encode())
    finally:
        csv.field_size_limit(previous)
    assert rows[0][0] == 2 and rows[0][2] is not None and "longer than" in rows[0][2]


def test_a_rejects_file_that_holds_rows_is_kept_and_the_next_free_name_taken(tmp_path: Path) -> None:
    (tmp_path / "in.rejects.csv").write_text("kept\n", encoding="utf-8")
    (tmp_path / "in.rejects-2.csv").write_text("kept too\n", encoding="utf-8")
    (tmp_path / "in.rejects-3.csv").write_text("", encoding="utf-8")
    assert free_path(tmp_path / "in.rejects.csv") == tmp_path / "in.rejects-3.csv", "an empty file holds nothing"
    assert free_path(tmp_path / "new.rejects.csv") == tmp_path / "new.rejects.csv"


def test_an_exported_csv_cell_reads_back_as_ratings_and_comments() -> None:
    ratings = ratings_of("nps=9; visit=4 (csat); value=7.5 (custom 1-10)")
    assert [(r.key, r.kind, r.value, r.scale) for r in ratings] == [
        ("nps", RatingKind.NPS, 9, None),
        ("visit", RatingKind.CSAT, 4, None),
        ("value", RatingKind.CUSTOM, 7.5, (1.0, 10.0)),
    ]
    assert [(c.question, c.text) for c in comments_of("improve: Faster,\nplease\nother: x: y")] == [
        ("improve", "Faster,\nplease"),
        ("other", "x: y"),
    ]
    assert [(c.question, c.text) for c in comments_of("Note: a lone comment")] == [("comment", "Note: a lone comment")]
    with pytest.raises(InvalidInput, match="names no rating kind"):
        ratings_of("visit=4")


def test_an_export_cell_nested_too_deeply_is_a_comment_or_a_refusal_never_a_crash() -> None:
    row = {"source": "survey", "external_id": "x1", "place_id": "p1", "received_at": "2026-03-01T10:00:00+00:00"}
    assert comments_of("[" * 100_000)[0].text == "[" * 100_000  # a comment's own text, as it always read
    assert comments_of("[]")[0].text == "[]"
    with pytest.raises(InvalidInput, match="column 'metadata' must hold a JSON object"):
        exported_feedback({**row, "metadata": "[" * 100_000})

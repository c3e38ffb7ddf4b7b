"""Imports refused in plain words, with nothing stored, where a newcomer's mistakes or odd files used to end in a
traceback or in data kept nowhere: an encoding that cannot read the file or is no text encoding at all, values
nested deeper than JSON can be read, a rejects path that is a folder or no path, a database that lives in
memory, and a place the mapping names that the desk does not have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import ClosedLoopError, Desk, InvalidInput, Place
from closedloop.cli import main

ROW = {"external_id": "r1", "place_id": "p1", "received_at": "2026-03-01T10:00:00+00:00", "nps": 9}


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    address = f"sqlite:///{tmp_path / 'feedback.db'}"
    with Desk.open(address) as desk:
        desk.add_place(Place(id="p1", name="Opéra"))
    yield address


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "responses.csv"
    path.write_text("external_id,place_id,received_at,nps\nr1,p1,2026-03-01T10:00:00+00:00,9\n", encoding="utf-8")
    return path


def stored(url: str) -> int:
    """How many conversations the desk holds."""
    with Desk.open(url) as desk, desk.store.transaction() as tx:
        return sum(tx.conversations.counts(None).values())


def one_line_refusal(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(list(arguments)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-16", "cannot be read as utf-16"),
        ("rot13", "'rot13' is not a text encoding"),
        ("base64", "'base64' is not a text encoding"),
    ],
)
def test_an_encoding_that_cannot_read_the_file_is_refused_in_one_line(
    url: str, csv_file: Path, capsys: pytest.CaptureFixture[str], encoding: str, said: str
) -> None:
    assert said in one_line_refusal(capsys, "import", str(csv_file), "--encoding", encoding, "--url", url)
    with Desk.open(url) as desk, pytest.raises(ClosedLoopError, match=said):
        desk.import_file(csv_file, mapping=None, encoding=encoding)
    assert stored(url) == 0


@pytest.mark.parametrize("suffix", ["jsonl", "json"])
def test_values_nested_too_deeply_refuse_their_row_and_keep_the_others(url: str, tmp_path: Path, suffix: str) -> None:
    deep = dict(ROW, external_id="r2", extra="@")
    lines = [json.dumps(ROW), json.dumps(deep).replace('"@"', "[" * 3000 + "]" * 3000)]
    source = tmp_path / f"responses.{suffix}"
    source.write_text("\n".join(lines) + "\n" if suffix == "jsonl" else f"[{', '.join(lines)}]", encoding="utf-8")
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=None, rejects=tmp_path / f"refused.{suffix}")
    assert (report.ingested, report.rejected) == (1, 1)
    assert report.rejections[0].line == 2 and "nested too deeply" in report.rejections[0].reason
    assert "[[[[" in (tmp_path / f"refused.{suffix}").read_text(encoding="utf-8")  # kept, to be fixed


def test_a_rejects_path_that_is_a_folder_or_no_path_is_refused(url: str, csv_file: Path, tmp_path: Path) -> None:
    with Desk.open(url) as desk:
        with pytest.raises(InvalidInput, match="is a folder; give a file's path"):
            desk.import_file(csv_file, mapping=None, rejects=tmp_path)
        with pytest.raises(InvalidInput, match="rejects= is the path of the file refused rows go to; got 5"):
            desk.import_file(csv_file, mapping=None, rejects=5)  # type: ignore[arg-type]
    assert stored(url) == 0
    assert sorted(path.name for path in tmp_path.parent.iterdir() if path.name.startswith(tmp_path.name)) == [
        tmp_path.name
    ]  # nothing written beside the folder


@pytest.mark.parametrize("memory", ["memory://", "sqlite://", "sqlite:///:memory:"])
def test_importing_into_a_database_that_lives_in_memory_is_refused(
    csv_file: Path, capsys: pytest.CaptureFixture[str], memory: str
) -> None:
    said = one_line_refusal(capsys, "import", str(csv_file), "--url", memory)
    assert "lives in memory" in said and "sqlite:///feedback.db" in said
    assert not (csv_file.parent / "responses.rejects.csv").exists()


def test_a_place_the_mapping_names_is_told_by_its_id(url: str, tmp_path: Path) -> None:
    source = tmp_path / "responses.csv"
    source.write_text("id,time,store\nr1,2026-03-01T10:00:00+00:00,Chez Opéra\n", encoding="utf-8")
    mapping = {"external_id": "id", "received_at": "time", "place": "store", "places": {"Chez Opéra": "opera"}}
    with Desk.open(url) as desk:
        report = desk.import_file(source, mapping=mapping)
    assert report.rejected == 1
    assert "unknown place 'opera', which the mapping's [places] gives for 'Chez Opéra'" in report.rejections[0].reason


def test_empty_standard_input_is_refused_like_an_empty_file(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(b""))))
    assert "standard input is empty" in one_line_refusal(capsys, "import", "-", "--format", "csv", "--url", url)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"date_format": "%Q"}, "date_format '%Q' cannot read times"),
        ({"ratings": {"nps": {"kind": "custom", "scale": [10, 1]}}}, "give it as [lowest, highest]"),
    ],
)
def test_a_mapping_that_could_read_no_row_is_refused_before_any_is_read(
    url: str, csv_file: Path, change: dict[str, object], said: str
) -> None:
    mapping = {"external_id": "external_id", "received_at": "received_at", "place": "place_id", **change}
    with Desk.open(url) as desk, pytest.raises(InvalidInput, match=re.escape(said)):
        desk.import_file(csv_file, mapping=mapping)
    assert stored(url) == 0


def test_a_file_given_twice_is_imported_once_with_one_rejects_file(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "a.csv"
    source.write_text(
        "external_id,place_id,received_at\nq1,p1,2026-03-01T10:00:00+00:00\nq2,nowhere,2026-03-01T11:00:00+00:00\n",
        encoding="utf-8",
    )
    assert main(["import", "a.csv", str(source), "./a.csv", "--url", url]) == 1
    out = capsys.readouterr().out
    assert "given more than once" in out and "1 ingested, 0 already stored, 1 rejected" in out
    assert sorted(path.name for path in tmp_path.glob("a.rejects*")) == ["a.rejects.csv"]

"""``closedloop places`` and ``closedloop users``: a database made with ``closedloop db upgrade`` gets its places
and people from the command line, then takes an import and shows an inbox, with no Python written; mistakes
are refused in one line with status 2 and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from closedloop import Desk
from closedloop.cli import main


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    address = f"sqlite:///{tmp_path / 'feedback.db'}"
    assert run(capsys, "db", "upgrade", "--url", address)[0] == 0
    return address


def test_a_new_database_gets_places_and_users_then_takes_an_import_and_shows_an_inbox(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "places", "add", "opera", "Chez Opéra", "--url", url) == (0, "place opera: Chez Opéra\n", "")
    assert run(capsys, "places", "add", "lyon", "Lyon", "--url", url)[0] == 0
    status, out, _ = run(capsys, "users", "add", "ana", "Ana Roux", "--place", "opera", "--url", url)
    assert (status, out) == (0, "user ana: Ana Roux, agent, opera\n")
    assert run(capsys, "users", "add", "ada", "Ada", "--role", "admin", "--url", url)[1].endswith("every place\n")
    assert run(capsys, "places", "list", "--user", "ana", "--url", url)[1] == "opera\tChez Opéra\n"
    assert run(capsys, "places", "list", "--user", "ada", "--url", url)[1] == "opera\tChez Opéra\nlyon\tLyon\n"
    source = tmp_path / "responses.csv"
    source.write_text(
        "external_id,place_id,received_at,nps,comment\n"
        "r1,opera,2026-03-01T10:00:00+00:00,3,Cold soup\n"
        "r2,lyon,2026-03-01T11:00:00+00:00,9,Lovely\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(source), "--url", url)[0] == 0
    status, out, _ = run(capsys, "inbox", "--user", "ana", "--url", url)
    assert status == 0 and "Cold soup" in out and "Lovely" not in out  # Ana sees her place only


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["users", "add", "ana", "Ana", "--place", "nowhere"], "'nowhere'"),
        (["users", "add", "ana", "Ana", "--role", "boss"], "'boss' is not one of"),
        (["users", "add", "ana", ""], "must be a non-empty text"),
        (["places", "add", "", "Name"], "must be a non-empty text"),
        (["places", "list", "--user", "nobody"], "'nobody'"),
        (["places", "add", "p1"], "Missing argument 'NAME'"),
    ],
)
def test_a_mistake_is_refused_in_one_line_and_changes_nothing(
    url: str, capsys: pytest.CaptureFixture[str], arguments: list[str], said: str
) -> None:
    status, out, err = run(capsys, *arguments, "--url", url)
    assert status == 2 and out == "" and said in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    with Desk.open(url) as desk, desk.store.transaction() as tx:
        assert tx.directory.place_ids() == frozenset()

"""``closedloop inbox`` and ``closedloop show`` as a person works from them: a table with headers that fits the
width, pages that follow one another, JSON Lines for scripts, and one customer file."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from closedloop import Contact, Desk, Feedback, Place, Rating, RatingKind, User
from closedloop.cli import main
from closedloop.commands.inbox import COLUMNS, inbox_table, layout
from closedloop.terminal import console
from closedloop.testing import FakeClock

LONG_COMMENT = "The terrace was lovely but " + "the music was far too loud, " * 8 + "and we left early."
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Seven pieces of feedback at "Le Jardin d'Hiver" (id jardin) for manager mia; the third has a long
    comment, the fifth a note written after it came in."""
    url = f"sqlite:///{tmp_path_factory.mktemp('inbox') / 'feedback.db'}"
    clock = FakeClock(START)
    with Desk.open(url, clock=clock) as desk:
        desk.add_place(Place(id="jardin", name="Le Jardin d'Hiver"))
        desk.add_place(Place(id="port", name="Café du Port"))
        desk.add_user(User(id="mia", name="Mia Lenoir", role="admin"))
        ids = []
        for number in range(7):
            clock.set(START + timedelta(hours=number))
            comment = LONG_COMMENT if number == 2 else f"Visit number {number} [bold]was[/bold] fine."
            feedback = Feedback(source="survey", external_id=f"f{number}", place_id="jardin" if number < 6 else "port",
                                received_at=START + timedelta(hours=number), comments=comment,
                                contact=Contact(name=f"Customer {number}"),
                                ratings=[Rating(key="csat", kind=RatingKind.CSAT, value=4)])  # fmt: skip
            ids.append(desk.ingest(feedback).id)
        clock.set(START + timedelta(days=1))
        desk.note(ids[4], by="mia", body="Called back")
    yield url


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed width, as a terminal of 160 columns would have: the table's layout depends on it."""
    monkeypatch.setenv("COLUMNS", "160")


def table_rows(out: str) -> list[str]:
    """The table's body: the lines between the header rule and the line that offers the next page."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if set(line.strip()) == {"─"})
    return [line for line in lines[start + 1 :] if line.strip() and not line.startswith("Next page:")]


def test_the_table_has_headers_and_a_row_per_conversation(seven: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "inbox", "--user", "mia", "--url", seven)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Inbox 7  (on hold 0, alerts 0, new messages 7)")
    assert lines[1].split() == ["Conversation", "Category", "Status", "Place", "Customer", "Ratings", "Latest",
                                "message", "Updated", "(UTC)"]  # fmt: skip
    rows = table_rows(out)
    assert len(rows) == 7
    assert all(len(line.rstrip()) <= 160 for line in lines)
    note_row = next(row for row in rows if "Customer 4" in row)
    assert "Le Jardin d'Hiv" in note_row and "jardin" not in note_row, "the place by name, not its id"
    assert "Mia Lenoir (note): Called back" in note_row, "the latest message, not the first comment"
    assert note_row.rstrip().endswith("2026-03-03 09:00") and rows[0] == note_row, "updated last, shown first"
    long_row = next(row for row in rows if "Customer 2" in row)
    assert "The terrace was lovely" in long_row and long_row.rstrip().endswith("2026-03-02 11:00")
    assert "…" in long_row and "we left early" not in long_row, "a long comment is cut with an ellipsis"
    assert "[bold]was[/bold]" in out, "customers' text is shown as written, never read as markup"
    assert "Café du Port" in out and "Next page" not in out


def test_the_next_page_follows_with_no_overlap_and_nothing_left_out(
    seven: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven)
    everyone = [row.split()[0] for row in table_rows(out)]
    seen: list[str] = []
    arguments = ["inbox", "--user", "mia", "--url", seven, "--limit", "3"]
    for _page in range(5):
        status, out, err = run(capsys, *arguments)
        assert (status, err) == (0, "")
        seen += [row.split()[0] for row in table_rows(out)]
        offered = re.search(r"^Next page: (closedloop inbox .*) --next (\S+)$", out, flags=re.MULTILINE)
        if offered is None:
            break
        assert offered.group(1) == shlex.join(["closedloop", "inbox", "--user", "mia", "--limit", "3", "--url", seven])
        arguments = [*shlex.split(offered.group(1))[1:], "--next", offered.group(2)]  # pasted as printed
    assert seen == everyone and len(set(seen)) == 7


def test_json_lines_hold_every_field_in_full_and_page_too(seven: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "inbox", "--user", "mia", "--url", seven, "--json", "--limit", "4")
    assert status == 0
    first = [json.loads(line) for line in out.splitlines()]
    assert len(first) == 4
    cursor = re.fullmatch(r"next page: --next (\S+)\n", err)
    assert cursor is not None
    status, out, err = run(capsys, "inbox", "--user", "mia", "--url", seven, "--json", "--next", cursor.group(1))
    rest = [json.loads(line) for line in out.splitlines()]
    assert (status, err, len(rest)) == (0, "", 3)
    rows = {row["customer"]["name"]: row for row in first + rest}
    assert len(rows) == 7
    assert rows["Customer 2"]["latest"] == {"kind": "feedback", "by": "Customer 2", "at": "2026-03-02T11:00:00+00:00",
                                            "text": LONG_COMMENT}  # fmt: skip
    assert rows["Customer 4"]["latest"]["text"] == "Called back"
    assert rows["Customer 6"]["place"] == "Café du Port" and rows["Customer 6"]["place_id"] == "port"
    assert rows["Customer 0"]["ratings"] == [{"key": "csat", "kind": "csat", "value": 4}]
    assert rows["Customer 0"]["category"] == "new_message" and rows["Customer 0"]["status"] == "new"


def test_the_inbox_narrows_to_places_and_categories(seven: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven, "--json", "--places", "port")
    assert [json.loads(line)["customer"]["name"] for line in out.splitlines()] == ["Customer 6"]
    _, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven, "--places", "port,jardin", "--json")
    assert len(out.splitlines()) == 7
    status, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven, "--category", "alert")
    assert status == 0 and "Nothing in inbox." in out


def test_the_counts_above_the_table_are_those_of_the_places_asked_for(
    seven: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven, "--places", "port")
    assert out.splitlines()[0].startswith("Inbox 1  (on hold 0, alerts 0, new messages 1)")
    assert len(table_rows(out)) == 1


def test_show_prints_one_customer_file(seven: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "inbox", "--user", "mia", "--url", seven, "--json", "--places", "jardin")
    found = next(json.loads(line) for line in out.splitlines() if json.loads(line)["customer"]["name"] == "Customer 4")
    status, out, err = run(capsys, "show", found["id"], "--user", "mia", "--url", seven)
    assert (status, err) == (0, "")
    out = "\n".join(line.rstrip() for line in out.splitlines())
    assert out.splitlines()[0] == f"Conversation {found['id']}"
    assert re.search(r"^Place\s+Le Jardin d'Hiver \(jardin\)$", out, flags=re.MULTILINE)
    assert re.search(r"^Customer\s+Customer 4$", out, flags=re.MULTILINE)
    assert re.search(r"^Ratings\s+csat 4$", out, flags=re.MULTILINE)
    assert "Visit number 4 [bold]was[/bold] fine." in out
    assert re.search(r"^\s+2026-\d\d-\d\d \d\d:\d\d\s+Mia Lenoir \(note\)\s+Called back$", out, re.MULTILINE)
    status, out, _ = run(capsys, "show", found["id"], "--user", "mia", "--url", seven, "--json")
    exported = json.loads(out)
    assert status == 0 and exported["conversation"]["id"] == found["id"]


def test_the_demo_database_is_read_when_no_url_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSEDLOOP_DATABASE_URL", raising=False)
    assert main(["demo"]) == 0
    capsys.readouterr()
    status, out, _ = run(capsys, "inbox", "--user", "ana")
    assert status == 0 and len(table_rows(out)) == 3
    assert "Chez Closedloop" in out and "Marc D." in out


@pytest.mark.parametrize("width", [80, 100, 120, 160, 240])
def test_the_table_fits_the_width_and_never_cuts_the_id(width: int, seven: str) -> None:
    with Desk.open(seven) as desk:
        page = desk.inbox("mia")
    places = {"jardin": Place(id="jardin", name="Le Jardin d'Hiver"), "port": Place(id="port", name="Café du Port")}
    out = console()
    out.width = width
    with out.capture() as captured:
        out.print(inbox_table(page.items, places, width))
    lines = captured.get().splitlines()
    assert all(len(line.rstrip()) <= width for line in lines)
    assert all(any(line.startswith(conversation.id) for line in lines) for conversation in page.items)
    assert "Latest message" in lines[0]
    shown = [COLUMNS[index].header for index in layout([["x" * 32] * 8], width)]
    assert all(header[:5] in lines[0] for header in shown), "a header may be cut, never left out"
    if width >= 160:
        assert len(shown) == len(COLUMNS)

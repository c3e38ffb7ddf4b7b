"""A customer's text never steers the agent's terminal: escape codes, BEL, NUL and the other control characters
in a comment or a name are shown as visible escapes (``\\x1b``) by ``inbox`` and ``show``, plain or on a
terminal, and ``--json`` keeps the text whole but escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from closedloop import Contact, Desk, Feedback, Place, Rating, RatingKind, User
from closedloop.cli import main
from closedloop.testing import FakeClock

TITLE = "\x1b]0;pwned\x07"
LINK = "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\"
COMMENT = f"Lovely staff{TITLE} but {LINK} the soup\x1b[31m was cold\x00 and\x9b late.\nSecond line\tstays."
NAME = "Eve\x1b[2J Mallory"
STEERING = ("\x1b]", "\x1b[31m", "\x1b[2J", "\x07", "\x00", "\x9b")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A database with one feedback whose comment and customer name hold control characters, and its id."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'feedback.db'}"
    received = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with Desk.open(url, clock=FakeClock(received)) as desk:
        desk.add_place(Place(id="jardin", name="Le Jardin"))
        desk.add_user(User(id="mia", name="Mia", role="admin"))
        feedback = Feedback(source="survey", external_id="f1", place_id="jardin", received_at=received,
                            comments=COMMENT, contact=Contact(name=NAME),
                            ratings=[Rating(key="csat", kind=RatingKind.CSAT, value=2)])  # fmt: skip
        yield url, desk.ingest(feedback).id


@pytest.fixture(params=["plain", "terminal"])
def output(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Output to a pipe, or as to a terminal (rich writes its own colour codes then)."""
    monkeypatch.setenv("COLUMNS", "400")
    if request.param == "terminal":
        monkeypatch.setenv("FORCE_COLOR", "1")
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    return str(request.param)


def printed(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    status = main(list(arguments))
    captured = capsys.readouterr()
    assert (status, captured.err) == (0, "")
    return captured.out


def assert_harmless(out: str) -> None:
    assert [code for code in STEERING if code in out] == []


def test_the_inbox_shows_the_comment_without_its_control_characters(
    hostile: tuple[str, str], output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _conversation = hostile
    out = printed(capsys, "inbox", "--user", "mia", "--url", url)
    assert_harmless(out)
    assert "Lovely staff\\x1b]0;pwned\\x07 but" in out, "the escape is shown, not obeyed"
    assert "Eve\\x1b[2J Mallory" in out
    assert "the soup\\x1b[31m was cold\\x00 and\\x9b late." in out


def test_show_prints_the_comment_visible_and_harmless(
    hostile: tuple[str, str], output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, conversation = hostile
    out = printed(capsys, "show", conversation, "--user", "mia", "--url", url)
    assert_harmless(out)
    assert "Lovely staff\\x1b]0;pwned\\x07 but \\x1b]8;;http://evil.example\\x1b\\click me" in out
    assert "late.\n" in out and "Second line" in out, "the comment's line break stays"
    assert "Eve\\x1b[2J Mallory" in out


@pytest.mark.parametrize("command", ["inbox", "show"])
def test_json_keeps_the_text_whole_and_escaped(
    hostile: tuple[str, str], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, conversation = hostile
    arguments = ["inbox", "--json"] if command == "inbox" else ["show", conversation, "--json"]
    out = printed(capsys, *arguments, "--user", "mia", "--url", url)
    assert_harmless(out)
    assert COMMENT in strings(json.loads(out)), "the JSON reads back as the customer wrote it"
    assert NAME in strings(json.loads(out))


def strings(value: object) -> list[str]:
    """Every text in a JSON document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in strings(item)] if isinstance(value, list) else []

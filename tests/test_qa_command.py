"""``closedloop qa`` as a manager uses it: a month's summary with figures worked out by hand, a reproducible
sample, a cycle handed out and followed, a chart file, and every mistake refused in one line with status 2."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from closedloop import CategoryRating, Contact, Desk, Feedback, Place, Rating, RatingKind, Role, User
from closedloop.cli import main


def rated(**choices: int | None) -> list[CategoryRating]:
    """Ratings on the default scorecard; a comment on ``solution`` when it fails, as reviewers write."""
    return [
        CategoryRating(category_id=category, choice=choice, comment="Wrong refund policy." if choice == 1 else "")
        for category, choice in choices.items()
    ]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """March 2026 at one restaurant: Ana and Tom each called back four guests (Ana's CSAT 5, 5, 5, 2; Tom's all
    4), one guest each also rated the call. Mia reviewed two of Ana's calls (95 and a critical failure, 0) and
    one of Tom's (100); in February, one of Ana's (50)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('qa') / 'feedback.db'}"
    with Desk.open(url) as desk:
        desk.add_place(Place(id="paris", name="Chez Nous Paris"))
        desk.add_user(User(id="mia", name="Mia Lenoir", role=Role.MANAGER, places={"paris"}, rights={"reviewer"}))
        desk.add_user(User(id="sam", name="Sam Petit", places={"paris"}, rights={"reviewer"}))
        desk.add_user(User(id="ana", name="Ana Roux", places={"paris"}))
        desk.add_user(User(id="tom", name="Tom Blanc", places={"paris"}))
        handled: dict[str, list[str]] = {"ana": [], "tom": []}

        def called_back(number: int, when: datetime, agent: str, csat: int, handling: bool = False) -> str:
            ratings = [Rating(key="csat", kind=RatingKind.CSAT, value=csat)]
            ratings += [Rating(key="handling", kind=RatingKind.CSAT, value=5)] if handling else []
            guest = Contact(name=f"Guest {number}", tel="+33612345678")
            feedback = Feedback(source="survey", external_id=f"visit-{number}", place_id="paris", received_at=when,
                                contact=guest, ratings=ratings)  # fmt: skip
            conversation_id = desk.ingest(feedback).id
            desk.log_call(conversation_id, by=agent, summary="Called back.")
            return conversation_id

        for number in range(8):
            agent = "ana" if number % 2 == 0 else "tom"
            csat = (5 if number != 6 else 2) if agent == "ana" else 4
            when = datetime(2026, 3, 2 + number, 12, tzinfo=UTC)
            handled[agent].append(called_back(number, when, agent, csat, handling=number in (0, 1)))
        february = called_back(99, datetime(2026, 2, 10, 12, tzinfo=UTC), "ana", 4)
        desk.qa.review(february, by="mia", ratings=rated(tone=3, spelling=2, empathy=3))  # 2750 / 55 = 50
        desk.qa.review(handled["ana"][1], by="mia", ratings=rated(tone=5, solution=4, spelling=3, empathy=4, closing=2))
        desk.qa.review(handled["ana"][2], by="mia", ratings=rated(tone=4, solution=1, spelling=2, empathy=2, closing=1))
        desk.qa.review(handled["tom"][1], by="mia", ratings=rated(tone=5, solution=4, spelling=3, empathy=5, closing=2))
    yield url


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def section(out: str, title: str) -> list[str]:
    """The lines of one section of the output: from its title to the next empty line."""
    parts = out.split("\n\n")
    found = next(part for part in parts if part.startswith(title))
    return found.splitlines()[1:]


def cells(lines: list[str], first: str) -> list[str]:
    return next(line.split() for line in lines if line.split()[:1] == [first])


def test_the_summary_shows_the_figures_worked_out_by_hand(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "qa", "summary", "--user", "mia", "--period", "2026-03", "--url", month)
    assert (status, err) == (0, "")
    # the places Mia sees are named, as closedloop report names them, not "all places"
    assert out.startswith("closedloop qa summary: 2026-03 (2026-03-01 to 2026-03-31), place paris\n")
    iqs = section(out, "Internal quality score")
    assert iqs[0].split() == ["agent", "IQS", "reviews", "previous", "IQS", "change", "CSAT", "NPS"]
    # team: (95 + 0 + 100) / 3 = 65.0 against February's 50; CSAT 7 of 8 guests gave 4 or 5
    assert cells(iqs, "team") == ["team", "65.0", "3", "50.0", "+15.0", "87.5%", "-"]
    assert cells(iqs, "ana") == ["ana", "47.5", "2", "50.0", "-2.5", "75.0%", "-"]
    assert cells(iqs, "tom") == ["tom", "100.0", "1", "-", "-", "100.0%", "-"], "no February review: no change"
    categories = section(out, "Category averages")
    assert categories[0].split() == ["category", "team", "ana", "tom"]
    # the critical failure zeroes Ana's review, not her categories: solution averages (100 + 0) / 2
    assert cells(categories, "Solution") == ["Solution", "66.7", "50.0", "100.0"]
    assert cells(categories, "Closing") == ["Closing", "66.7", "50.0", "100.0"]
    weakest = section(out, "Weakest categories (team)")
    # three categories average 200 / 3, taken in the order of their ids; only solution has a comment
    assert [line.strip() for line in weakest if not line.startswith("    ")] == [
        "Closing: 66.7",
        "Empathy: 66.7",
        "Solution: 66.7",
    ]
    assert weakest[weakest.index("  Solution: 66.7") + 1] == "    - Wrong refund policy."


def test_the_summary_of_one_agent(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run(
        capsys, "qa", "summary", "--user", "mia", "--period", "2026-03", "--agent", "ana", "--places", "paris",
        "--url", month,
    )  # fmt: skip
    assert status == 0
    assert "2026-03 (2026-03-01 to 2026-03-31), place paris" in out.splitlines()[0]
    iqs = section(out, "Internal quality score")
    assert [line.split()[0] for line in iqs[1:]] == ["ana"], "one agent's figures are not labelled the team's"
    assert cells(iqs, "ana")[1:3] == ["47.5", "2"]
    assert section(out, "Weakest categories (ana)")


def test_an_agent_reads_only_their_own_reviews(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run(capsys, "qa", "summary", "--user", "tom", "--period", "2026-03", "--url", month)
    assert status == 0
    iqs = section(out, "Internal quality score")
    assert [line.split()[0] for line in iqs[1:]] == ["tom"]


def test_the_chart_is_written_with_its_title(month: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    svg, png = tmp_path / "charts" / "quality.svg", tmp_path / "quality.png"
    for path in (svg, png):
        status, out, err = run(
            capsys, "qa", "summary", "--user", "mia", "--period", "2026-03", "--chart", str(path), "--url", month
        )
        assert (status, err) == (0, "")
        assert out.rstrip().endswith(f"Chart: {path}")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    text = svg.read_text(encoding="utf-8")
    assert "Conversation quality reviews" in text and "2026-03 (2026-03-01 to 2026-03-31), place paris" in text
    assert "team IQS 65.0" in text and "Tone of voice" in text


def test_without_matplotlib_the_chart_says_how_to_install_it(
    month: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    chart = tmp_path / "quality.png"
    status, out, err = run(
        capsys, "qa", "summary", "--user", "mia", "--period", "2026-03", "--chart", str(chart), "--url", month
    )
    assert status == 2 and "Internal quality score" in out, "the tables come first, the chart cannot"
    assert err.count("\n") == 1 and "pip install 'closedloop[plots]'" in err
    assert not chart.exists()


def test_the_sample_is_the_same_every_time(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["qa", "sample", "--user", "mia", "--period", "2026-03", "--share", "0.5", "--url", month]
    status, out, err = run(capsys, *arguments)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    # three unrated calls each (the guests who rated the handling are left out), half of them rounded up
    assert lines[0] == "4 conversations to review in 2026-03, from 2 agents"
    assert lines[1].split() == ["conversation", "place", "agent", "received", "(UTC)"]
    assert sorted(line.split()[2] for line in lines[2:]) == ["ana", "ana", "tom", "tom"]
    assert run(capsys, *arguments)[1] == out
    assert run(capsys, *arguments, "--seed", "12345")[1].splitlines()[0] == lines[0]


def test_a_cycle_is_handed_out_and_followed(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "qa", "assign", "--user", "mia", "--period", "2026-03", "--reviewers", "mia,sam", "--share", "0.5",
        "--url", month,
    )  # fmt: skip
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(r"Cycle 2026-03: 4 conversations for 2 reviewers \(share 0\.5, seed \d+\)", lines[0])
    assert sorted(line.split()[0] for line in lines[2:]) == ["mia", "mia", "sam", "sam"]
    assigned = {line.split()[1]: line.split()[0] for line in lines[2:]}
    with Desk.open(month) as desk:
        reviewed = {(review.reviewer_id, review.conversation_id) for review in desk.qa.reviews(by="mia")}
    # Sam has reviewed nothing yet; Mia's reviews of the fixture count where the draw gave her those calls
    done = sum(("mia", conversation) in reviewed for conversation, who in assigned.items() if who == "mia")
    status, out, err = run(capsys, "qa", "progress", "--user", "mia", "--cycle", "2026-03", "--url", month)
    assert (status, err) == (0, "")
    progress = out.splitlines()
    assert progress[0] == "Cycle 2026-03"
    assert progress[1].split() == ["reviewer", "done", "assigned", "to", "do", "done", "%"]
    assert cells(progress, "mia")[1:4] == [str(done), "2", str(2 - done)]
    assert cells(progress, "sam") == ["sam", "0", "2", "2", "0.0%"]
    assert cells(progress, "all")[1:4] == [str(done), "4", str(4 - done)]


def test_a_reviewer_lists_what_is_left_and_rated_conversations_can_be_drawn(
    month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(
        capsys, "qa", "assign", "--user", "mia", "--period", "2026-03", "--reviewers", "sam", "--share", "0.1",
        "--include-rated", "--cycle", "sam-only", "--url", month,
    )  # fmt: skip
    assert (status, err) == (0, "")
    # eight calls with the two rated ones, 10% of four each rounds to one per agent; one reviewer, said singly
    assert re.fullmatch(r"Cycle sam-only: 2 conversations for 1 reviewer \(share 0\.1, seed \d+\)", out.splitlines()[0])
    status, out, err = run(capsys, "qa", "todo", "--user", "sam", "--cycle", "sam-only", "--url", month)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Cycle sam-only: 2 reviews left of 2"
    assert sorted(line.split()[1] for line in lines[2:]) == ["ana", "tom"]
    status, out, _err = run(capsys, "qa", "todo", "--user", "mia", "--cycle", "sam-only", "--url", month)
    assert out.splitlines()[0] == "Cycle sam-only: 2 reviews left of 2", "the manager sees every reviewer's"
    unrated = ["qa", "sample", "--user", "mia", "--period", "2026-03", "--share", "1", "--url", month]
    assert run(capsys, *unrated)[1].splitlines()[0] == "6 conversations to review in 2026-03, from 2 agents"
    every = run(capsys, *unrated, "--rated-key", "nothing-such")[1].splitlines()[0]
    assert every == "8 conversations to review in 2026-03, from 2 agents"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["summary", "--user", "nobody", "--period", "2026-03"], "nobody"),
        (["summary", "--user", "mia", "--period", "March"], "March"),
        (["summary", "--user", "mia", "--period", "2026-03", "--chart", "quality.txt"], ".png or .svg"),
        (["sample", "--user", "mia", "--period", "2026-03", "--share", "2"], "share"),
        (["sample", "--user", "mia", "--period", "2026-03", "--share", "lots"], "--share"),
        (["assign", "--user", "mia", "--period", "2026-03"], "--reviewers"),
        (["assign", "--user", "ana", "--period", "2026-03", "--reviewers", "mia"], "ana"),
        (["progress", "--user", "mia", "--cycle", "1999-01"], "1999-01"),
        (["todo", "--user", "mia", "--cycle", "1999-01"], "1999-01"),
        (["summary", "--user", "mia", "--period", "9999-12"], "1970 to 9998"),
        (["summary", "--user", "mia", "--period", "0001-01"], "1970 to 9998"),
        (["summary", "--user", "mia", "--period", "2026-03", "--agent", "ghost"], "ghost"),
    ],
)
def test_a_mistake_is_one_line_and_status_2(
    month: str, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    status, out, err = run(capsys, "qa", *arguments, "--url", month)
    assert (status, out) == (2, "")
    assert err.startswith("closedloop: ") and err.count("\n") == 1
    assert message in err


def test_a_mistyped_database_is_refused_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    status, _out, err = run(capsys, "qa", "summary", "--user", "mia", "--period", "2026-03", "--url",
                            f"sqlite:///{missing}")  # fmt: skip
    assert status == 2 and "no database at" in err
    assert not missing.exists()


def test_the_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("summary", "sample", "assign", "progress", "todo"):
        status, out, _err = run(capsys, "qa", command, "--help")
        assert status == 0
        assert f"closedloop qa {command} --user " in out

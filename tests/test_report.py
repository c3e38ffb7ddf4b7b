"""The metrics as people read them: the tables, the ``closedloop report`` command and the charts, on the demo
and on a small set whose figures are worked out by hand below."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from closedloop import InvalidInput, NotConfigured
from closedloop.cli import main
from closedloop.demo import run as run_demo
from closedloop.desk import Desk
from closedloop.domain.feedback import Contact, Feedback, Rating, RatingKind, Source
from closedloop.domain.people import Place, Role, User
from closedloop.domain.reports import Report
from closedloop.reporting import render, write_charts
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = ["closed-loop", "concepts", "nps-trend", "ratings"]


def march(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def known() -> Iterator[Desk]:
    """Four pieces of feedback at one place, 2 to 4 March 2026 (UTC):

    - a, 2 March 09:00, NPS 10; a note at 12:00 (a response after 3 hours, but no contact);
    - b, 2 March 10:00, NPS 3 (an alert); a call at 11:00 (a response and a contact after 1 hour);
    - d, 3 March 23:30 UTC, which is 4 March 00:30 in Paris, CSAT 2 (an alert), never answered;
    - c, 4 March 12:00, NPS 9 and CSAT 5, never answered.

    By hand: NPS (2 promoters - 1 detractor) / 3 = +33.3; CSAT 1 of 2 = 50.0%; reply rate 2 of 4 = 50.0%;
    first response times [1h, 3h]: nearest-rank median 1h, 90th percentile 3h; alerts 2, closed in time 1.
    """
    clock = FakeClock(march(2, 8))
    desk = Desk.open(None, clock=clock, plugins=[RecordingChannel("email")])
    desk.add_place(Place(id="paris", name="Paris"))
    desk.add_user(User(id="ana", name="Ana", role=Role.MANAGER, email="ana@example.com", places={"paris"}))

    def received(ref: str, when: datetime, *ratings: Rating) -> str:
        clock.set(when)
        contact = Contact(name=ref, email=f"{ref}@example.com", tel="+33 6 12 34 56 78")
        feedback = Feedback(source=Source.SURVEY, external_id=ref, place_id="paris", received_at=when,
                            contact=contact, ratings=list(ratings))  # fmt: skip
        return desk.ingest(feedback).id

    def nps(value: int) -> Rating:
        return Rating(key="nps", kind=RatingKind.NPS, value=value)

    def csat(value: int) -> Rating:
        return Rating(key="csat", kind=RatingKind.CSAT, value=value)

    a = received("a", march(2, 9), nps(10))
    b = received("b", march(2, 10), nps(3))
    clock.set(march(2, 11))
    desk.log_call(b, by="ana", summary="Apologised")
    clock.set(march(2, 12))
    desk.note(a, by="ana", body="A happy one")
    received("d", march(3, 23, 30), csat(2))
    received("c", march(4, 12), nps(9), csat(5))
    clock.set(march(5, 0))
    yield desk
    desk.close()


def by_day(desk: Desk, zone: str = "UTC") -> Report:
    return desk.metrics("ana", since=date(2026, 3, 2), until=date(2026, 3, 5), by="day", zone=zone)


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def row(text: str, *first: str) -> list[str]:
    """The one table row that starts with these cells."""
    found = [cells for cells in rows(text) if cells[: len(first)] == list(first)]
    assert len(found) == 1, f"{len(found)} rows start with {first} in:\n{text}"
    return found[0]


def section(text: str, title: str) -> str:
    """One section of the report: from its title to the blank line after it."""
    start = text.index(f"\n{title}") + 1
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


# -- the tables ------------------------------------------------------------------------------------------------


def test_the_tables_show_the_hand_computed_figures(known: Desk) -> None:
    text = render(by_day(known))
    assert text.startswith("closedloop report: 2026-03-02 to 2026-03-04 (UTC), place paris\n")
    scores = section(text, "Scores")
    assert row(scores, "nps")[:6] == ["nps", "nps", "3", "NPS", "+33.3", "7.33"]
    assert "promoters 2, passives 0, detractors 1" in scores
    assert row(scores, "csat")[:6] == ["csat", "csat", "2", "CSAT", "50.0%", "3.50"]
    answered = section(text, "Responsiveness")
    assert row(answered, "reply", "rate")[-1] == "50.0%"
    assert row(answered, "first", "response,", "median")[-2:] == ["1h", "00m"]
    assert row(answered, "first", "response,", "90th", "percentile")[-2:] == ["3h", "00m"]
    assert row(answered, "time", "to", "done,", "median")[-1] == "-", "nothing is done: no figure, not zero"
    loop = section(text, "Closed loop")
    assert loop.startswith("Closed loop (a reply or call within 48 hours of the feedback)")
    assert row(loop, "alerts")[1:] == ["2", "1", "50.0%"]
    assert row(loop, "NPS", "detractors")[2:] == ["1", "1", "100.0%"]
    volume = section(text, "Volume")
    assert "backlog (not done) 4: on hold 0, alert 2, new message 2" in volume
    assert "left out: tests 0, spam 0" in volume


def test_the_trend_keeps_empty_days_and_cuts_days_in_the_zone(known: Desk) -> None:
    utc = section(render(by_day(known)), "By day")
    assert row(utc, "day") == [
        "day",
        "feedback",
        "NPS",
        "answers",
        "CSAT",
        "answers",
        "reply",
        "rate",
        "closed",
        "loop",
    ]
    assert row(utc, "2026-03-02") == ["2026-03-02", "2", "+0.0", "2", "-", "0", "100.0%", "100.0%"]
    assert row(utc, "2026-03-03") == ["2026-03-03", "1", "-", "0", "0.0%", "1", "0.0%", "0.0%"]
    assert row(utc, "2026-03-04") == ["2026-03-04", "1", "+100.0", "1", "100.0%", "1", "0.0%", "-"]
    paris = render(by_day(known, "Europe/Paris"))
    assert "(Europe/Paris)" in paris.splitlines()[0]
    trend = section(paris, "By day")
    assert row(trend, "2026-03-03") == ["2026-03-03", "0", "-", "0", "-", "0", "-", "-"], "an empty day is kept"
    assert row(trend, "2026-03-04")[:6] == ["2026-03-04", "2", "+100.0", "1", "50.0%", "2"]


def test_the_tables_show_the_demo_with_its_spam_left_out() -> None:
    desk = run_demo(out=lambda line: None)
    try:
        text = render(desk.metrics("ana", by="agent"))
        leo = render(desk.metrics("leo"))
    finally:
        desk.close()
    assert text.splitlines()[0].endswith("places lyon-centre, paris-opera")
    assert row(section(text, "Scores"), "stars")[-5:] == ["1*:1", "2*:0", "3*:0", "4*:0", "5*:0"]
    assert row(section(text, "Responsiveness"), "first", "response,", "median")[-2:] == ["5h", "05m"]
    assert "left out: tests 0, spam 1" in text
    assert row(section(text, "Concepts"), "staff")[1:] == ["3", "+0.17"]
    agents = section(text, "By agent")
    assert row(agents, "(no", "response)")[2] == "2" and row(agents, "ana")[1] == "2"
    assert leo.splitlines()[0].endswith("place lyon-centre"), "a scoped user sees their places only"
    assert "feedback 2: rating 1, review 1" in leo


# -- the charts ------------------------------------------------------------------------------------------------


def svg_text(path: Path) -> str:
    """Every piece of text an SVG shows, joined; parsing it proves it is well-formed XML."""
    return " ".join(" ".join(element.itertext()) for element in ElementTree.parse(path).getroot().iter())


def test_the_charts_are_real_png_and_svg_files_with_their_titles(known: Desk, tmp_path: Path) -> None:
    written = write_charts(by_day(known), tmp_path / "charts")
    assert sorted(path.name for path in written) == sorted(
        f"{name}.{kind}" for name in CHARTS for kind in ("png", "svg")
    )
    for path in written:
        assert path.stat().st_size > 1000
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE
    shown = svg_text(tmp_path / "charts" / "nps-trend.svg")
    assert "NPS trend, with its answers" in shown
    assert "2026-03-02 to 2026-03-04 (UTC), place paris" in shown
    assert "Rating distribution" in svg_text(tmp_path / "charts" / "ratings.svg")
    assert "Closed-loop rate: a reply or call within 48 hours" in svg_text(tmp_path / "charts" / "closed-loop.svg")
    assert "no concepts found in this period" in svg_text(tmp_path / "charts" / "concepts.svg")


def test_charts_in_one_format_only(known: Desk, tmp_path: Path) -> None:
    written = write_charts(by_day(known), tmp_path, formats=["svg"])
    assert {path.suffix for path in written} == {".svg"} and len(written) == 4


@pytest.mark.parametrize(
    ("by", "formats", "reason"),
    [(None, ("png",), "by='day', 'week' or 'month'"), ("place", ("png",), "trends over time"),
     ("day", ("gif",), "formats must be some of png, svg")],
)  # fmt: skip
def test_charts_refuse_what_they_cannot_draw(
    known: Desk, tmp_path: Path, by: str | None, formats: tuple[str, ...], reason: str
) -> None:
    report = known.metrics("ana", since=date(2026, 3, 2), until=date(2026, 3, 5), by=by)
    with pytest.raises(InvalidInput, match=re.escape(reason)):
        write_charts(report, tmp_path, formats=formats)
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_the_charts_say_how_to_install_it(
    known: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(NotConfigured, match=re.escape("pip install 'closedloop[plots]'")):
        write_charts(by_day(known), tmp_path)


# -- the command -----------------------------------------------------------------------------------------------


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "CLOSEDLOOP_DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "closedloop", *arguments], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd, env=environment)  # fmt: skip


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    made = run_cli("demo", "--url", url, cwd=folder)
    assert made.returncode == 0, made.stderr
    return url


def test_the_command_prints_the_tables_of_the_demo(demo_url: str, tmp_path: Path) -> None:
    shown = run_cli("report", "--user", "ana", "--url", demo_url, "--by", "week", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("closedloop report: ")
    assert row(section(shown.stdout, "Scores"), "nps")[:5] == ["nps", "nps", "2", "NPS", "+0.0"]
    assert row(section(shown.stdout, "Closed loop"), "alerts")[1:] == ["2", "1", "50.0%"]
    assert "left out: tests 0, spam 1" in shown.stdout
    assert "\nBy week (NPS of nps, CSAT of csat)\n" in shown.stdout


def test_the_command_narrows_to_a_place_and_draws_charts(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["report", "--user", "ana", "--url", demo_url, "--place", "lyon-centre", "--zone", "Europe/Paris",
                   "--window-hours", "1", "--charts", str(tmp_path / "charts")])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0].endswith("(Europe/Paris), place lyon-centre")
    assert "Closed loop (a reply or call within 1 hour of the feedback)" in out
    assert "\nBy day (" in out, "charts without --by follow days over the default 30 days"
    assert sorted(path.stem for path in (tmp_path / "charts").glob("*.png")) == CHARTS
    assert f"  {tmp_path / 'charts' / 'ratings.svg'}" in out.splitlines()


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--since", "2026-13-01"], "--since must be an ISO date such as 2026-03-01"),
        (["--until", "yesterday"], "--until must be an ISO date"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "since must come before until"),
        (["--zone", "Mars/Olympus"], "zone 'Mars/Olympus' is not a time zone"),
        (["--window-hours", "soon"], "--window-hours must be a number of hours"),
        (["--window-hours", "0"], "--window-hours must be a number of hours"),
        (["--by", "year"], "--by must be one of day, week, month, place, group, agent, source"),
        (["--by", "place", "--charts", "charts"], "--charts draws trends over time"),
        (["--place", "atlantis"], "atlantis"),
        (["--user", "nobody"], "user 'nobody' is not on this desk"),
    ],
)
def test_a_mistake_is_one_line_and_status_2(
    demo_url: str, arguments: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    user = [] if "--user" in arguments else ["--user", "ana"]
    status = main(["report", *user, "--url", demo_url, *arguments])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("closedloop: "), captured.err
    assert reason in captured.err


def test_a_mistyped_database_path_is_refused_not_created(tmp_path: Path) -> None:
    shown = run_cli("report", "--user", "ana", "--url", f"sqlite:///{tmp_path / 'typo.db'}", cwd=tmp_path)
    assert shown.returncode == 2
    assert shown.stderr.startswith("closedloop: no database at ") and "Traceback" not in shown.stderr
    assert not (tmp_path / "typo.db").exists()


# -- the documentation -----------------------------------------------------------------------------------------


def test_the_metrics_documentation_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    document = ROOT / "docs" / "metrics.md"
    blocks = re.findall(r"```python\n(.*?)```", document.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks, "docs/metrics.md has no python example"
    namespace: dict[str, object] = {"__name__": "example_metrics"}
    for block in blocks:
        exec(compile(block, str(document), "exec"), namespace)


def test_the_readme_chart_exists_and_is_a_png() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+\.png)\)", readme)
    assert images, "the README shows no chart"
    assert all((ROOT / image).read_bytes()[:8] == PNG_SIGNATURE for image in images)

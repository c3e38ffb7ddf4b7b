"""A report's period must be one its days, weeks and months can be counted in, and cut into no more buckets than
a person reads: the command refuses anything else in one line, and ``desk.metrics`` with InvalidInput."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from closedloop import Desk, InvalidInput, Place, Role, User
from closedloop.cli import main
from closedloop.demo import run as run_demo
from closedloop.domain.reports import MOST_PERIODS


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    run_demo(out=lambda line: None, url=url).close()
    return url


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    opened = Desk.open(None)
    opened.add_place(Place(id="paris", name="Paris"))
    opened.add_user(User(id="ana", name="Ana", role=Role.MANAGER, places={"paris"}))
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--until", "9999-12-31", "--by", "week"], "until must fall from 0002-01-01 to before 9999-01-01"),
        (["--until", "9999-12-31", "--by", "month"], "until must fall from 0002-01-01 to before 9999-01-01"),
        (["--until", "9999-12-31", "--by", "month", "--charts", "charts"], "until must fall from 0002-01-01"),
        (["--until", "0001-01-03"], "until must fall from 0002-01-01"),
        (["--since", "0001-01-01", "--by", "day"], "since must fall from 0002-01-01"),
        (["--since", "1900-01-01", "--by", "day"], f"more than the {MOST_PERIODS} a report may have"),
        (["--since", "1900-01-01", "--by", "week"], "or count by month"),
    ],
)
def test_an_extreme_period_is_one_line_and_status_2(
    demo_url: str, arguments: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["report", "--user", "ana", "--url", demo_url, *arguments])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("closedloop: "), captured.err
    assert reason in captured.err


@pytest.mark.parametrize(
    ("since", "until", "by"),
    [
        (None, date(9999, 12, 31), "week"),
        (None, date(9999, 12, 31), "month"),
        (date(1, 1, 1), date(1, 2, 1), "day"),
        (None, datetime(1, 1, 3, tzinfo=UTC), None),
        (datetime(9998, 12, 31, 23, tzinfo=UTC), datetime(9999, 1, 1, 1, tzinfo=UTC), "month"),
    ],
)
def test_the_python_call_refuses_a_period_off_the_calendar(
    desk: Desk, since: date | None, until: date, by: str | None
) -> None:
    with pytest.raises(InvalidInput, match=r"must fall from 0002-01-01 to before 9999-01-01, such as 2026-03-01"):
        desk.metrics("ana", since=since, until=until, by=by)


def test_the_python_call_refuses_more_periods_than_the_limit(desk: Desk) -> None:
    until = date(2026, 3, 1)
    most = desk.metrics("ana", since=until - timedelta(days=MOST_PERIODS), until=until, by="day")
    assert len(most.buckets) == MOST_PERIODS
    with pytest.raises(InvalidInput, match=rf"into {MOST_PERIODS + 1} days, more than the {MOST_PERIODS}"):
        desk.metrics("ana", since=until - timedelta(days=MOST_PERIODS + 1), until=until, by="day")
    with pytest.raises(InvalidInput, match="more than the"):
        desk.metrics("ana", since=date(1600, 1, 1), until=until, by="month")
    assert desk.metrics("ana", since=date(1600, 1, 1), until=until).figures.volume.feedback == 0, "no buckets: no limit"

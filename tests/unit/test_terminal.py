"""The progress bar as a log sees it: a plain line now and then with the count, rate and time left, nothing
for a short run, and never on standard output, which belongs to the command's result."""

from __future__ import annotations

import pytest

from closedloop.cli import progress_bar
from closedloop.terminal import PlainLines, format_seconds


class Ticks:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_at_most_every_interval_with_rate_and_time_left() -> None:
    clock, written = Ticks(), []
    lines = PlainLines(1000, "importing", written.append, interval=5.0, clock=clock)
    lines.advance(100)
    clock.now += 4.9
    lines.advance(100)
    assert written == [], "nothing before the interval is over"
    clock.now += 0.1
    lines.advance(50)
    assert written == ["importing: 250 of 1,000 (25%), 50/s, about 15 s left"]
    clock.now += 1
    lines.advance(10)
    assert len(written) == 1
    clock.now += 145
    lines.advance(740)
    lines.finish()
    assert written[1:] == ["importing: 1,000 of 1,000 (100%), 7/s", "importing: 1,000 in 2 min 31 s"]


def test_an_unknown_total_counts_without_a_share() -> None:
    clock, written = Ticks(), []
    lines = PlainLines(None, "reading", written.append, interval=1.0, clock=clock)
    clock.now += 2
    lines.advance(3000)
    assert written == ["reading: 3,000 so far, 1,500/s"]


def test_a_short_run_says_nothing_and_a_long_one_writes_to_standard_error(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(10, "quick") as bar:
        bar.advance(10)
    assert capsys.readouterr() == ("", "")
    with progress_bar(3, "slow", interval=0.0) as bar:
        for _ in range(3):
            bar.advance(1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[0].startswith("slow: 1 of 3 (33%)")
    assert captured.err.splitlines()[-1].startswith("slow: 3 in ")


@pytest.mark.parametrize(("seconds", "said"), [(0.4, "0 s"), (59, "59 s"), (61, "1 min 1 s"), (7380, "2 h 3 min")])
def test_times_are_as_precise_as_a_person_waiting_needs(seconds: float, said: str) -> None:
    assert format_seconds(seconds) == said

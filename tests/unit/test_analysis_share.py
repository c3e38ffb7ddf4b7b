"""How bulk intake splits each batch's analysis between the desk's process and the analyzer's second process:
the second process gets more while its answers are ready when asked for, less once one is waited for, and never
all or nothing of the desk's part, so both keep working whatever the load."""

from __future__ import annotations

from closedloop.analysis.offprocess import Share


def test_the_second_process_gets_more_while_it_keeps_up_and_less_once_waited_for() -> None:
    share = Share()
    first = share.of(1000)
    assert 0 < first < 1000
    for _ in range(100):
        share.answered(ready=True)
    assert share.of(1000) == 1000  # a second process that keeps up takes every text
    share.answered(ready=False)
    waited_once = share.of(1000)
    assert waited_once < 1000
    for _ in range(100):
        share.answered(ready=False)
    least = share.of(1000)
    assert 0 < least < waited_once  # a slow second process still gets some, so it is seen to speed up again
    share.answered(ready=True)
    assert share.of(1000) > least

"""The fixtures closedloop publishes for users' own suites, used from a separate pytest run."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
from datetime import timedelta

from closedloop import Contact, Feedback, Place, User


def test_reply_is_queued_and_delivered(desk, outbox, clock, email_channel):
    desk.add_place(Place(id="p", name="Shop"))
    desk.add_user(User(id="ana", name="Ana", places={"p"}))
    conversation = desk.ingest(Feedback(source="survey", external_id="1", place_id="p",
                                        received_at=clock.now(), contact=Contact(email="jo@example.com")))
    clock.advance(hours=1)
    updated = desk.reply(conversation.id, by="ana", body="Thanks!")
    assert updated.last_updated_at - conversation.created_at == timedelta(hours=1)
    assert len(outbox) == 1 and outbox.last.recipients == ("jo@example.com",)
    assert outbox.pending == [outbox.last]
    assert outbox.dispatch().sent == 1
    assert email_channel.sent[0].body == "Thanks!"
    assert outbox.pending == []


def test_each_test_gets_a_fresh_desk(desk):
    assert desk.outbox() == []
"""


def test_fixtures_reach_a_users_suite_through_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_plugin_loads_without_aiosmtpd() -> None:
    """pytest loads the plugin in every run of a user's suite, and aiosmtpd comes only with the test extra."""
    without_aiosmtpd = "import sys; sys.modules['aiosmtpd'] = None; import closedloop.testing.pytest_plugin"
    subprocess.run([sys.executable, "-c", without_aiosmtpd], check=True, timeout=60)

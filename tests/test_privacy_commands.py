"""The retention policy and the privacy commands as an operator uses them: a dry run that changes nothing, a run
that erases what the policy keeps no longer and nothing twice, records forgotten in time, and every mistake
refused in one line with status 2."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from closedloop import Contact, Desk, Feedback, Place, Rating, RatingKind, RetentionPolicy, Role, User
from closedloop.cli import main
from closedloop.testing.clock import FakeClock

START = datetime(2024, 1, 10, 9, tzinfo=UTC)
NOW = START + timedelta(days=800)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def url(tmp_path: Path) -> str:
    """Four conversations from January 2024: one done then, one marked as spam then, one still in the inbox,
    and one done 30 days before now; the desk's clock then moves to 800 days after."""
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    clock = FakeClock(START)
    with Desk.open(url, clock=clock) as desk:
        desk.add_place(Place(id="paris", name="Paris"))
        desk.add_user(User(id="admin", name="Ada", role=Role.ADMIN))
        desk.add_user(User(id="ana", name="Ana", places={"paris"}))
        ids = []
        for number, name in enumerate(["Old Done", "Old Spam", "Still Open", "Recent Done"]):
            feedback = Feedback(
                source="survey", external_id=f"s-{number}", place_id="paris", received_at=clock.now(),
                contact=Contact(name=name, email=f"guest{number}@example.com"), comments=[f"comment of {name}"],
                ratings=[Rating(key="nps", kind=RatingKind.NPS, value=number)],
            )  # fmt: skip
            ids.append(desk.ingest(feedback).id)
        desk.mark_done(ids[0], by="ana")
        desk.mark_spam(ids[1], by="ana")
        clock.set(NOW - timedelta(days=30))
        desk.mark_done(ids[3], by="ana")
    return url


def names(url: str) -> list[str]:
    with Desk.open(url) as desk:
        return sorted(
            item.feedback.contact.name
            for folder in ("inbox", "done", "spam")
            for item in desk.inbox("admin", folder=folder).items
        )


def test_a_dry_run_counts_and_changes_nothing(url: str) -> None:
    with Desk.open(url, clock=FakeClock(NOW)) as desk:
        report = desk.apply_retention(dry_run=True)
    assert (report.done, report.spam, report.records_forgotten, report.erasure_ids) == (1, 1, 0, ())
    assert names(url) == ["Old Done", "Old Spam", "Recent Done", "Still Open"]


def test_retention_erases_what_the_policy_keeps_no_longer_and_nothing_twice(url: str) -> None:
    clock = FakeClock(NOW)
    with Desk.open(url, clock=clock) as desk:
        first = desk.apply_retention()
        again = desk.apply_retention()
        assert (first.done, first.spam, len(first.erasure_ids)) == (1, 1, 2)
        assert (again.done, again.spam, again.erasure_ids) == (0, 0, ())
        kept = {item.feedback.external_id: item for item in desk.inbox("admin", folder="done").items}
        assert kept["s-0"].feedback.ratings[0].value == 0 and kept["s-0"].feedback.comments == ()
        assert kept["s-3"].feedback.comments[0].text == "comment of Recent Done"
        clock.advance(days=366)
        assert desk.apply_retention(dry_run=True).records_forgotten == 2
        assert desk.apply_retention().records_forgotten == 2
    assert names(url) == ["", "", "Recent Done", "Still Open"]


def test_a_policy_may_keep_spam_forever(url: str) -> None:
    with Desk.open(url, clock=FakeClock(NOW), retention=RetentionPolicy(spam_after=None)) as desk:
        report = desk.apply_retention()
    assert (report.done, report.spam) == (1, 0)
    assert "Old Spam" in names(url)


def test_the_retention_command_runs_the_policy_of_its_options(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "retention", "--url", url, "--dry-run", "--done-after", "10")
    assert status == 0
    assert "would erase the personal data of 2 done and 1 spam conversations" in out
    status, out, _ = run(capsys, "retention", "--url", url, "--spam-after", "never")
    assert status == 0 and "erased the personal data of 1 done and 0 spam" in out


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["retention", "--done-after", "0"], "whole number of days from 1 to 36525, or never"),
        (["retention", "--done-after", "two years"], "whole number of days"),
        (["erase", "--user", "admin", "--yes"], "give --email, --tel or --conversation"),
        (["erase", "--user", "admin", "--tel", "06 12 34 56 78", "--yes"], "--region"),
        (["customer-data", "--user", "admin", "--email", "not-an-address"], "is not an email address"),
        (["erase", "--user", "ana", "--email", "guest0@example.com", "--yes"], "privacy right"),
        (["customer-data", "--user", "nobody", "--email", "guest0@example.com"], "nobody"),
    ],
)
def test_mistakes_are_refused_in_one_line(
    url: str, capsys: pytest.CaptureFixture[str], arguments: list[str], said: str
) -> None:
    status, out, err = run(capsys, *arguments, "--url", url)
    assert status == 2
    assert said in err and "Traceback" not in err + out


def test_erase_and_customer_data_from_the_command_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "customer-data", "--url", url, "--user", "admin", "--email", "GUEST2@example.com")
    assert status == 0
    held = json.loads(out)
    assert [item["feedback"]["contact"]["name"] for item in held["conversations"]] == ["Still Open"]
    status, out, _ = run(capsys, "erase", "--url", url, "--user", "admin", "--email", "guest2@example.com", "--yes")
    assert status == 0 and "erased g***@e***.com: 1 conversation, 0 messages cancelled" in out
    assert "Still Open" not in names(url)


def test_saying_no_at_the_confirmation_erases_nothing(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["erase", "--url", url, "--user", "admin", "--email", "guest2@example.com"]) == 1
    assert "Still Open" in names(url)


def test_commands_read_national_numbers_in_the_region_given(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Desk.open(url, default_region="FR") as desk:
        desk.ingest(
            Feedback(source="survey", external_id="tel-1", place_id="paris", received_at=NOW,
                     contact=Contact(name="Tel Person", tel="+33 6 12 34 56 78"))
        )  # fmt: skip
    status, out, _ = run(capsys, "erase", "--url", url, "--user", "admin", "--tel", "06 12 34 56 78", "--region", "FR",
                         "--yes")  # fmt: skip
    assert status == 0 and "+33*******78: 1 conversation" in out


def test_commands_take_the_region_and_privacy_key_from_the_environment(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from closedloop.cli import open_desk

    monkeypatch.setenv("CLOSEDLOOP_PRIVACY_KEY", "k" * 32)
    monkeypatch.setenv("CLOSEDLOOP_DEFAULT_REGION", "FR")
    with open_desk(url) as desk:
        assert (desk.settings.privacy_key, desk.settings.default_region) == ("k" * 32, "FR")
    with open_desk(url, default_region="BE") as desk:  # an option given on the command line wins
        assert desk.settings.default_region == "BE"


def test_commands_take_the_desks_email_settings_from_the_environment(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from closedloop.cli import open_desk

    monkeypatch.setenv("CLOSEDLOOP_BUSINESS_NAME", "Café Lumière")
    monkeypatch.setenv("CLOSEDLOOP_REPLY_LINK_BASE", "https://shop.example/reply/")
    monkeypatch.setenv("CLOSEDLOOP_CUSTOMER_SERVICE_EMAIL", "care@shop.example")
    with open_desk(url) as desk:
        settings = desk.settings
        assert (settings.business_name, settings.reply_link_base, settings.customer_service_email) == (
            "Café Lumière", "https://shop.example/reply/", "care@shop.example",
        )  # fmt: skip
    monkeypatch.setenv("CLOSEDLOOP_CUSTOMER_SERVICE_EMAIL", "not an address")
    status, out, err = run(capsys, "retention", "--url", url, "--dry-run")
    assert status == 2 and out == "" and "customer_service_email is not a valid email address" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err

"""The README's main-job command, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

import closedloop
from closedloop import InvalidInput, Settings, plugins
from closedloop.cli import command_line, main
from closedloop.commands.worker import smtp_from_environment
from closedloop.storage.sql.migrate import head_revision


def run_cli(*arguments: str, cwd: Path | None = None, url: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "CLOSEDLOOP_DATABASE_URL"}
    if url is not None:
        environment["CLOSEDLOOP_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "closedloop", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=environment,
    )


def test_demo_shows_the_inbox_before_and_after_the_work(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    before, _, after = result.stdout.partition("== Closing the loop ==")
    assert "Inbox 5  (on hold 0, alerts 2, new messages 3)   Done 0   Spam 0" in before
    assert "Inbox 3  (on hold 1, alerts 1, new messages 1)   Done 1   Spam 1" in after
    assert "one-time link: http://localhost:8000/reply/" in after
    done = after.partition("\nDone:\n")[2].splitlines()
    assert done[0].split()[:3] == ["Conversation", "Category", "Status"], "the table closedloop inbox prints"
    assert "Claire Martin" in done[2] and "Chez Closedloop Opéra" in done[2], "names, not place ids"
    concepts = before.partition("== What customers talk about ==")[2].splitlines()
    assert any(line.split()[:2] == ["Claire", "Martin"] and "waiting -0." in line for line in concepts)
    assert any(line.startswith("  Ines Petit") and "ambience -0." in line for line in concepts)
    assert "Ana asks for a draft for Ines, who wrote in French (offline assistant, templates):" in after
    assert "    Bonjour Ines," in after


def test_the_demo_is_stored_and_another_process_sees_it(tmp_path: Path) -> None:
    assert run_cli("demo", cwd=tmp_path).returncode == 0
    assert (tmp_path / "closedloop-demo.db").exists()
    shown = run_cli("inbox", "--user", "ana", "--folder", "done", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "Inbox 3  (on hold 1, alerts 1, new messages 1)   Done 1   Spam 1"
    assert "Claire Martin" in shown.stdout
    again = run_cli("demo", cwd=tmp_path)
    assert again.returncode == 0, "the demo starts its own file afresh"
    refused = run_cli("demo", url=f"sqlite:///{tmp_path / 'closedloop-demo.db'}")
    assert refused.returncode == 2
    assert "the demo needs an empty database" in refused.stderr


def test_database_commands_take_the_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    assert "no database at" in run_cli("db", "status", url=url).stderr
    upgraded = run_cli("db", "upgrade", url=url)
    assert upgraded.returncode == 0 and f"-> {head_revision()}" in upgraded.stdout
    assert f"schema {head_revision()}, current" in run_cli("db", "status", url=url).stdout
    missing = run_cli("db", "status")
    assert missing.returncode == 2 and "CLOSEDLOOP_DATABASE_URL" in missing.stderr


def test_unknown_command_is_refused_in_one_line_saying_where_to_look() -> None:
    result = run_cli("nonsense")
    assert result.returncode == 2
    assert result.stderr == "closedloop: No such command 'nonsense'. (see `closedloop --help`)\n"


class Greeter:
    """A plugin that adds ``hello`` the way the docs show, and ``wave``, which returns its exit status."""

    @closedloop.hookimpl
    def closedloop_add_commands(self, cli: click.Group) -> None:
        @cli.command()
        @click.argument("name")
        @click.option("--fail", is_flag=True)
        def hello(name: str, fail: bool) -> None:
            """Greet someone."""
            if fail:
                raise InvalidInput(f"{name} is not here")
            print(f"hello {name}")

        cli.add_command(click.Command("wave", callback=lambda: 7))


@pytest.fixture
def greeter_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line as it starts when the Greeter plugin is installed (and nothing else is)."""
    make = plugins.make_plugin_manager
    monkeypatch.setattr(
        plugins, "make_plugin_manager", lambda settings: make(Settings(plugins=[Greeter()], load_entry_points=False))
    )


@pytest.mark.usefixtures("greeter_installed")
def test_a_plugin_command_runs_with_its_arguments_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hello", "Ana"]) == 0
    assert capsys.readouterr().out == "hello Ana\n"
    assert main(["wave"]) == 7
    assert main(["hello", "Hugo", "--fail"]) == 2
    assert capsys.readouterr().err == "closedloop: Hugo is not here\n"


def test_a_command_name_taken_twice_is_refused_saying_which() -> None:
    cli = command_line()
    cli.add_command(click.Command("serve"))
    with pytest.raises(InvalidInput, match="'serve'"):
        cli.add_command(click.Command("serve"))


def test_a_plugin_taking_a_builtin_name_is_refused_with_exit_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Squatter:
        @closedloop.hookimpl
        def closedloop_add_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("demo", help="not the demo"))

    make = plugins.make_plugin_manager
    monkeypatch.setattr(
        plugins, "make_plugin_manager", lambda settings: make(Settings(plugins=[Squatter()], load_entry_points=False))
    )
    assert main(["demo"]) == 2
    assert "two commands are called 'demo'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [("CLOSEDLOOP_SMTP_PORT", "five-eight-seven", "port number"), ("CLOSEDLOOP_SMTP_SMTPUTF8", "maybe", "yes or no")],
)
def test_smtp_settings_from_the_environment_are_refused_saying_what_to_give(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv("CLOSEDLOOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInput, match=f"{variable} must be a {said}|{variable} must be {said}"):
        smtp_from_environment()


def test_smtp_settings_from_the_environment_are_read_as_the_channel_takes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSEDLOOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CLOSEDLOOP_SMTP_PORT", "2525")
    monkeypatch.setenv("CLOSEDLOOP_SMTP_SMTPUTF8", "no")
    assert smtp_from_environment() == {"host": "127.0.0.1", "port": 2525, "smtputf8": False}


def test_analyze_runs_the_analyzers_again_over_a_stored_database_with_progress(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    received = datetime(2026, 3, 1, tzinfo=UTC)
    with closedloop.Desk.open(url, blocked_plugins=["closedloop.analysis.offline"]) as desk:  # taken in unanalysed
        desk.add_place(closedloop.Place(id="p", name="Shop"))
        for number, text in enumerate(["The staff were rude and the wait was endless.", "Personnel adorable !"]):
            desk.ingest(closedloop.Feedback(source="survey", external_id=str(number), place_id="p",
                                            received_at=received, comments=text))  # fmt: skip
        desk.add_user(closedloop.User(id="boss", name="Boss", role="admin"))

    result = run_cli("analyze", "--batch-size", "1", url=url)

    assert result.returncode == 0, result.stderr
    assert "analysed 1 of 2 (50%)" in result.stdout
    assert result.stdout.count("analysed 2 of 2") == 1  # one line per batch, none for an empty folder
    assert result.stdout.splitlines()[-1] == "2 of 2 analysed, 2 changed, 0 failures"
    with closedloop.Desk.open(url) as desk:
        found = {c.feedback.external_id: c.analysis for c in desk.inbox("boss").items}
    assert {concept.name for concept in found["0"]} == {"staff", "waiting"}
    assert all(concept.sentiment < 0 for concept in found["0"])
    assert [(concept.name, concept.sentiment > 0) for concept in found["1"]] == [("staff", True)]
    parking = tmp_path / "parking.toml"
    parking.write_text('[parking]\nen = ["parking", "car park"]\n', encoding="utf-8")
    with closedloop.Desk.open(url) as desk:
        desk.ingest(closedloop.Feedback(source="survey", external_id="2", place_id="p", received_at=received,
                                        comments="The car park was a nightmare."))  # fmt: skip
    assert run_cli("analyze", "--taxonomy", str(parking), url=url).returncode == 0
    with closedloop.Desk.open(url) as desk:
        found = {c.feedback.external_id: c.analysis for c in desk.inbox("boss").items}
    assert [concept.name for concept in found["2"]] == ["parking"]
    refused = run_cli("analyze", "--place", "nowhere", url=url)
    assert (refused.returncode, refused.stderr.strip()) == (
        2, "closedloop: 'nowhere' is neither a place id nor a group id known to this desk"
    )  # fmt: skip

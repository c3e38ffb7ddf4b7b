"""Every mistake a person can make on the command line ends in one line saying what to fix, exit status 2 and
no traceback; commands that only read never create a database; every command's help shows an example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from closedloop import Settings, plugins
from closedloop.cli import cli, command_line, main
from closedloop.demo import run as run_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    run_demo(out=lambda line: None, url=url).close()
    return url


@pytest.fixture(autouse=True)
def no_database_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLOSEDLOOP_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # where the demo's default file would be, and is not


def refusal(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """What the command line said when it refused ``arguments``; fails unless it is one line with status 2."""
    status = main(list(arguments))
    captured = capsys.readouterr()
    assert status == 2, (captured.out, captured.err)
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("closedloop: "), captured.err
    assert "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["inbox"], "Missing option '--user'"),
        (["inbox", "--user", "ana", "--limit", "0", "--url", "{url}"], "'--limit': 0 is not in the range 1<=x<=500"),
        (["inbox", "--user", "ana", "--next", "garbage", "--url", "{url}"], "'garbage' is not a cursor"),
        (["inbox", "--user", "ana", "--folder", "archive", "--url", "{url}"], "'archive' is not one of"),
        (["inbox", "--user", "ana", "--category", "urgent", "--url", "{url}"], "'urgent' is not one of"),
        (["inbox", "--user", "nobody", "--url", "{url}"], "'nobody'"),
        (["inbox", "--user", "ana", "--url", "not a url"], "is not a database URL"),
        (["show", "0123", "--user", "ana", "--url", "{url}"], "0123"),
        (["show", "--user", "ana", "--url", "{url}"], "Missing argument 'ID'"),
        (["analyze", "--batch-size", "0", "--url", "{url}"], "'--batch-size': 0 is not in the range x>=1"),
        (["analyze", "--taxonomy", "missing.toml", "--url", "{url}"], "'missing.toml' does not exist"),
        (["worker", "--poll", "0", "--url", "{url}"], "'--poll': 0.0 is not in the range x>0"),
        (["sync", "--url", "{url}"], "Missing argument 'PLATFORM'"),
        (["sync", "nowhere", "--url", "{url}"], "nowhere"),
        (["db", "status", "sqlite:///a.db", "--url", "sqlite:///b.db"], "two databases given"),
        (["db", "frobnicate"], "No such command 'frobnicate'"),
        (["db"], "`closedloop db` needs a command: status, upgrade (see `closedloop db --help`)"),
        ([], "`closedloop` needs a command: analyze, "),
        (["inbox", "--user", "ana", "--colour"], "No such option '--colour'"),
        (["--url", "{url}", "inbox"], "No such option '--url'"),
        (["report", "--user", "ana", "--by", "year", "--url", "{url}"], "--by must be one of"),
    ],
)
def test_a_mistake_is_one_line_with_status_2(
    demo_url: str, arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said_here = refusal(capsys, *(argument.replace("{url}", demo_url) for argument in arguments))
    assert said in said_here


@pytest.fixture
def no_plugin_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    make = plugins.make_plugin_manager
    monkeypatch.setattr(plugins, "make_plugin_manager", lambda settings: make(Settings(load_entry_points=False)))


@pytest.mark.usefixtures("no_plugin_installed")
def test_a_missing_plugins_command_says_how_to_install_it_from_a_clone(capsys: pytest.CaptureFixture[str]) -> None:
    said = refusal(capsys, "serve", "--port", "8000")
    assert "`serve` comes with the closedloop-web plugin" in said
    assert "(pip install -e plugins/closedloop-web)" in said
    assert (ROOT / "plugins" / "closedloop-web" / "pyproject.toml").is_file()


@pytest.fixture
def missing(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "typo.db"
    yield path
    assert not path.exists(), "a command that only reads created the database"


READING = [
    ["inbox", "--user", "ana"],
    ["show", "0123", "--user", "ana"],
    ["report", "--user", "ana"],
    ["analyze"],
    ["db", "status"],
    ["worker", "--once"],
]


@pytest.mark.parametrize("arguments", READING, ids=lambda arguments: " ".join(arguments[:2]))
@pytest.mark.parametrize("given", ["option", "environment"])
def test_a_command_that_reads_refuses_a_database_that_is_not_there(
    arguments: list[str], given: str, missing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{missing}"
    if given == "environment":
        monkeypatch.setenv("CLOSEDLOOP_DATABASE_URL", url)
    said = refusal(capsys, *arguments, *(["--url", url] if given == "option" else []))
    assert said == (
        f"closedloop: no database at {missing}; check the path, or create one with "
        f"`closedloop db upgrade --url {url}` (or `closedloop demo` for one with sample feedback)\n"
    )


def test_db_takes_the_url_as_an_argument_too(missing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no database at" in refusal(capsys, "db", "status", f"sqlite:///{missing}")
    made = missing.with_name("made.db")
    assert main(["db", "upgrade", f"sqlite:///{made}"]) == 0
    assert main(["db", "status", "--url", f"sqlite:///{made}"]) == 0
    assert ", current" in capsys.readouterr().out


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the command line, as the words that name it, subcommands of groups included."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        yield (*path, name)


def test_every_command_is_listed_and_reached() -> None:
    found = set(commands(command_line()))
    assert {("demo",), ("inbox",), ("show",), ("report",), ("worker",), ("sync",), ("analyze",)} <= found
    assert {("db",), ("db", "upgrade"), ("db", "status")} <= found


@pytest.mark.parametrize("path", sorted(commands(command_line())), ids=" ".join)
def test_every_command_says_what_it_does_with_an_example(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    shown = capsys.readouterr().out
    summary = shown.split("\n\n")[1].strip()
    assert summary and summary[0].isupper(), "the first paragraph says what the command does"
    assert "Examples:" in shown
    example = re.compile(rf"^\s+closedloop {' '.join(path)}\b", flags=re.MULTILINE)
    assert example.search(shown.partition("Examples:")[2]), "an example of this very command"


def test_the_help_of_the_command_line_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert "closedloop demo" in shown
    assert all(f"\n  {name} " in shown for name in ("demo", "inbox", "show", "report", "db"))


def test_clicks_own_test_runner_keeps_the_one_line_rule() -> None:
    result = CliRunner().invoke(cli, ["inbox", "--user", "ana", "--url", "sqlite:///nowhere/typo.db"])
    assert result.exit_code == 2
    assert result.stderr.startswith("closedloop: no database at ") and len(result.stderr.splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)

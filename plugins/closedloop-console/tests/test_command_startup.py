"""``closedloop console`` refuses, in one line with status 2 and before saying it is on, what could never work;
and it opens its desk with the worker's email settings, so a reply by email can be queued."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from console_world import CHEAP

from closedloop import Desk, Role, User
from closedloop.cli import main


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("closedloop: "), captured.err
    assert "console on" not in captured.out
    return captured.err


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A database with Ana on it and a password file for her; no secret key, no SMTP unless a test sets them."""
    for name in ("CLOSEDLOOP_CONSOLE_SECRET_KEY", "CLOSEDLOOP_SMTP_HOST", "CLOSEDLOOP_SMTP_SENDER"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path}/feedback.db"
    with Desk.open(url, load_entry_points=False) as desk:
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN))
    passwords = tmp_path / "passwords.toml"
    passwords.write_text(f'ana = "{CHEAP.hash("pw")}"\n', encoding="utf-8")
    return url, str(passwords)


def test_a_port_in_use_is_refused(capsys: pytest.CaptureFixture[str], setup: tuple[str, str]) -> None:
    url, passwords = setup
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        said = refusal(capsys, "console", "--url", url, "--passwords", passwords, "--port", port)
    assert "cannot listen" in said and port in said


def test_an_unknown_host_is_refused(capsys: pytest.CaptureFixture[str], setup: tuple[str, str]) -> None:
    url, passwords = setup
    said = refusal(capsys, "console", "--url", url, "--passwords", passwords, "--host", "no-such-host.invalid")
    assert "--host" in said


def test_a_short_secret_names_the_variable(
    capsys: pytest.CaptureFixture[str], setup: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, passwords = setup
    monkeypatch.setenv("CLOSEDLOOP_CONSOLE_SECRET_KEY", "short")
    said = refusal(capsys, "console", "--url", url, "--passwords", passwords)
    assert "$CLOSEDLOOP_CONSOLE_SECRET_KEY" in said and "secret_key" not in said


def test_an_empty_password_file_is_refused(
    capsys: pytest.CaptureFixture[str], setup: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = setup
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert "names nobody" in refusal(capsys, "console", "--url", url, "--passwords", str(empty))


def test_a_password_for_someone_off_the_desk_is_refused(
    capsys: pytest.CaptureFixture[str], setup: tuple[str, str], tmp_path: Path
) -> None:
    url, passwords = setup
    Path(passwords).write_text(f'ana = "{CHEAP.hash("pw")}"\nghost = "{CHEAP.hash("pw")}"\n', encoding="utf-8")
    assert "'ghost'" in refusal(capsys, "console", "--url", url, "--passwords", passwords)


def test_a_memory_database_is_refused(capsys: pytest.CaptureFixture[str], setup: tuple[str, str]) -> None:
    _, passwords = setup
    assert "memory://" in refusal(capsys, "console", "--url", "memory://", "--passwords", passwords)


def test_the_desk_gets_the_workers_email_channel(setup: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    url, passwords = setup
    monkeypatch.setenv("CLOSEDLOOP_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("CLOSEDLOOP_SMTP_SENDER", "care@example.com")
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setattr("gc.freeze", lambda: None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    assert main(["console", "--url", url, "--passwords", passwords, "--port", port]) == 0
    desk = served[0].state.desk  # type: ignore[attr-defined]
    assert "email" in desk.registry.channels

"""``closedloop console``: its refusals (one line, status 2), ``hash-password``, and the console it runs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from console_world import CHEAP

from closedloop import Desk, Role, User
from closedloop.cli import command_line, main


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line ``closedloop`` prints when it refuses ``argv`` with status 2."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("closedloop: "), err
    return err


@pytest.mark.parametrize("port", ["0", "65536", "-1", "eighty"])
def test_a_port_outside_1_to_65535_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, port: str) -> None:
    assert "--port" in refusal(capsys, "console", "--passwords", str(tmp_path / "p.toml"), "--port", port)


def test_the_console_needs_a_password_file(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOSEDLOOP_CONSOLE_PASSWORDS", raising=False)
    assert "hash-password" in refusal(capsys, "console")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read the password file"),
        ("ana = ", "is not TOML"),
        ('ana = "secret"', "'ana' is not an argon2 hash"),
        ("ana = 3", 'user = "argon2 hash"'),
    ],
)
def test_a_bad_password_file_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, said: str
) -> None:
    file = tmp_path / "passwords.toml"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    assert said in refusal(capsys, "console", "--passwords", str(file), "--url", f"sqlite:///{tmp_path}/x.db")


def test_a_missing_database_is_refused_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "passwords.toml"
    file.write_text(f'ana = "{CHEAP.hash("pw")}"\n', encoding="utf-8")
    said = refusal(capsys, "console", "--passwords", str(file), "--url", f"sqlite:///{tmp_path}/missing.db")
    assert "no database at" in said


def test_hash_password_reads_without_echo_and_prints_a_hash_that_verifies() -> None:
    result = CliRunner().invoke(command_line(), ["console", "hash-password"], input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()[-1]
    assert printed.startswith("$argon2id$")
    assert PasswordHasher().verify(printed, "correct horse")
    assert "correct horse" not in result.output


def test_hash_password_refuses_two_different_entries() -> None:
    result = CliRunner().invoke(command_line(), ["console", "hash-password"], input="one\ntwo\n")
    assert result.exit_code != 0
    assert "$argon2" not in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def running_console(tmp_path: Path) -> Iterator[str]:
    """``closedloop console`` in its own process on a database with Ana, until the test ends."""
    url = f"sqlite:///{tmp_path}/console.db"
    with Desk.open(url, load_entry_points=False) as desk:
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN))
    passwords = tmp_path / "passwords.toml"
    passwords.write_text(f'ana = "{PasswordHasher().hash("ana at work")}"\n', encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "closedloop", "console", "--url", url, "--passwords", str(passwords)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CLOSEDLOOP_CONSOLE_SECRET_KEY": ""},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx2.get(f"{base}/sign-in", timeout=1)
                break
            except httpx2.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else "it stopped"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_the_console_runs_alone_and_an_agent_signs_in(running_console: str) -> None:
    with httpx2.Client(base_url=running_console, timeout=10) as browser:
        form = browser.get("/sign-in")
        assert form.status_code == 200 and "Sign in to the console" in form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        fields = {"user": "ana", "password": "ana at work", "csrf_token": token.group(1)}
        signed = browser.post("/sign-in", data=fields)
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        assert "samesite=strict" in signed.headers["set-cookie"].lower()

"""The README's main-job command, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
    done_line = next(line for line in after.splitlines() if line.startswith("  [done ]"))
    assert "Claire Martin" in done_line


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
    assert "no closedloop schema yet" in run_cli("db", "status", url=url).stdout
    upgraded = run_cli("db", "upgrade", url=url)
    assert upgraded.returncode == 0 and "-> 0004" in upgraded.stdout
    assert "schema 0004, current" in run_cli("db", "status", url=url).stdout
    missing = run_cli("db", "status")
    assert missing.returncode == 2 and "CLOSEDLOOP_DATABASE_URL" in missing.stderr


def test_unknown_command_is_refused_with_usage() -> None:
    result = run_cli("nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr

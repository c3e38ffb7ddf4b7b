"""The README's main-job command, run as a user would."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "closedloop", *arguments], capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_shows_the_inbox_before_and_after_the_work() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    before, _, after = result.stdout.partition("== Closing the loop ==")
    assert "Inbox 5  (on hold 0, alerts 2, new messages 3)   Done 0   Spam 0" in before
    assert "Inbox 3  (on hold 1, alerts 1, new messages 1)   Done 1   Spam 1" in after
    assert "one-time link: http://localhost:8000/reply/" in after
    done_line = next(line for line in after.splitlines() if line.startswith("  [done ]"))
    assert "Claire Martin" in done_line


def test_unknown_command_is_refused_with_usage() -> None:
    result = run_cli("nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr

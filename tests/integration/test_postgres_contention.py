"""Actions on one conversation from several processes wait for each other on PostgreSQL (issue 13, point 9).

Each action locks the conversation's row for its transaction, so a second process acting on the same
conversation waits until the first commits, then works from what it stored, instead of losing the race and
giving up with ``ConcurrentUpdate`` after its retries. Four processes add fifteen notes each to one
conversation at the same moment: all sixty are kept, none refused.

The workers are ``sql_worker.py notes``, released together once each has opened its desk. The server is the
throwaway one of tests/conftest.py; without PostgreSQL the test is skipped, and in CI it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sql_worker

from closedloop import InteractionKind, Status

WORKER = Path(__file__).with_name("sql_worker.py")
PROCESS_TIMEOUT = 120
WORKERS, NOTES_EACH = 4, 15


def run_released_together(sync: Path, workers: dict[str, list[str]]) -> dict[str, Any]:
    """One process per worker, released at once when all are ready; what each printed. A worker that fails
    (any error it does not expect, ``ConcurrentUpdate`` aside, which it counts) fails the test."""
    sync.mkdir()
    environment = {key: value for key, value in os.environ.items() if key != "CLOSEDLOOP_DATABASE_URL"}
    processes = {
        name: subprocess.Popen(
            [sys.executable, str(WORKER), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for name, arguments in workers.items()
    }
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while not all((sync / f"ready-{name}").exists() for name in workers):
            failed = [name for name, process in processes.items() if process.poll() not in (None, 0)]
            assert not failed, f"workers {failed} failed before starting:\n{processes[failed[0]].communicate()[1]}"
            assert time.monotonic() < deadline, "the workers did not get ready in time"
            time.sleep(0.01)
        (sync / "go").touch()
        results = {}
        for name, process in processes.items():
            out, err = process.communicate(timeout=PROCESS_TIMEOUT)
            assert process.returncode == 0, f"worker {name} failed:\n{err}"
            results[name] = json.loads(out.splitlines()[-1])
        return results
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def test_notes_from_four_processes_on_one_conversation_all_wait_their_turn(postgres_url: str, tmp_path: Path) -> None:
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(postgres_url, clock) as desk:
        target = sql_worker.build_world(desk, clock)["s10"]
        notes_before = [e for e in desk.conversation(target, by="root").history if e.kind is InteractionKind.NOTE]
    assert notes_before == []

    sync = tmp_path / "sync"
    results = run_released_together(
        sync, {f"w{n}": ["notes", postgres_url, target, f"w{n}", str(NOTES_EACH), str(sync)] for n in range(WORKERS)}
    )

    assert max(r["started"] for r in results.values()) < min(r["ended"] for r in results.values()), (
        "the workers did not run at the same time, so this test showed nothing"
    )
    refused = {name: result["messages"] for name, result in results.items() if result["conflicts"]}
    assert refused == {}, "an action gave up with ConcurrentUpdate instead of waiting for the row"
    with sql_worker.open_desk(postgres_url) as desk:
        stored = desk.conversation(target, by="root")
    notes = [entry.body for entry in stored.history if entry.kind is InteractionKind.NOTE]
    assert len(notes) == WORKERS * NOTES_EACH
    for name, result in results.items():
        assert [body for body in notes if body.endswith(f"worker {name}")] == result["saved"]
        assert len(result["saved"]) == NOTES_EACH
    assert stored.version == 1 + WORKERS * NOTES_EACH
    assert stored.status is Status.PENDING_ACTION

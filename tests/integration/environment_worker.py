"""Shared by test_storage_errors.py and the processes it starts in a mount namespace of their own.

As a module it gives the tests a small desk to build and every public call to make on it, each reported as
what it raised. As a script (``python environment_worker.py read-only|full FOLDER``), run by ``unshare -rm``
with a small tmpfs mounted at FOLDER, it builds a desk there, makes the file system read-only or fills it,
then makes every call and prints one JSON object of what each did.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from closedloop import ClosedLoopError, Desk, Feedback, Place, Role, User

Outcome = dict[str, Any]


def feedback(external_id: str, comments: str = "Lovely dinner") -> Feedback:
    return Feedback(
        source="survey", external_id=external_id, place_id="lyon", received_at=datetime.now(UTC), comments=comments
    )


def build(url: str) -> str:
    """A desk with one place, one admin and one conversation; returns the conversation's id."""
    with Desk.open(url) as desk:
        desk.add_place(Place(id="lyon", name="Lyon"))
        desk.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
        return desk.ingest(feedback("first")).id


def outcome(call: Callable[[], object]) -> Outcome:
    """What a call did: nothing to report, or the class and message of what it raised."""
    try:
        call()
    except Exception as error:
        return {"raised": type(error).__name__, "closedloop": isinstance(error, ClosedLoopError), "message": str(error)}
    return {"raised": None}


def calls(desk: Desk, url: str, conversation_id: str, big: str = "") -> Mapping[str, Callable[[], object]]:
    """Every kind of public call: opening, intake one and many, an action, reading the inbox and one
    conversation. ``big`` is added to what is written, to need more room than a full disk has."""
    many = [
        {"source": "survey", "external_id": f"many-{n}", "place_id": "lyon", "received_at": "2026-01-05T12:00:00Z"}
        | ({"comments": big} if big else {})
        for n in range(3)
    ]
    return {
        "open": lambda: Desk.open(url).close(),
        "ingest": lambda: desk.ingest(feedback("second", comments=big or "Cold soup")),
        "ingest_many": lambda: desk.ingest_many(many),
        "note": lambda: desk.note(conversation_id, by="ana", body=big or "Called the customer back"),
        "inbox": lambda: desk.inbox("ana"),
        "conversation": lambda: desk.conversation(conversation_id, by="ana"),
    }


def cli(*arguments: str) -> Outcome:
    """A ``closedloop`` command, run as a user would: its exit status and what it printed as an error."""
    done = subprocess.run(
        [sys.executable, "-m", "closedloop", *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    return {"status": done.returncode, "stderr": done.stderr}


def cli_calls(url: str) -> dict[str, Outcome]:
    return {
        "db status": cli("db", "status", url),
        "db upgrade": cli("db", "upgrade", url),
        "inbox command": cli("inbox", "--user", "ana", "--url", url),
    }


def on_read_only_file_system(folder: Path) -> dict[str, Outcome]:
    """Every call once the file system holding the database became read-only under an open desk."""
    url = f"sqlite:///{folder / 'desk.db'}"
    conversation_id = build(url)
    desk = Desk.open(url)
    desk.store.engine.dispose()  # type: ignore[attr-defined]  # the connections open again, on a read-only disk
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    found = {name: outcome(call) for name, call in calls(desk, url, conversation_id).items()}
    return found | cli_calls(url)


def on_full_disk(folder: Path) -> dict[str, Any]:
    """Fill the disk through the desk, then every call that writes; and what the database holds after."""
    url = f"sqlite:///{folder / 'desk.db'}"
    conversation_id = build(url)
    desk = Desk.open(url)
    filled = {"raised": None}
    for number in range(10_000):
        filled = outcome(lambda number=number: desk.ingest(feedback(f"filler-{number}", comments="x" * 2000)))
        if filled["raised"] is not None:
            break
    big = "y" * 200_000
    found = {name: outcome(call) for name, call in calls(desk, url, conversation_id, big).items()}
    desk.close()
    return {"filling": filled, **found, "after": stored(url)}


def stored(url: str) -> dict[str, Any]:
    """What a full disk left in the database: whether it is whole, and whether its counts agree."""
    import sqlite3

    database = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        (check,) = database.execute("PRAGMA integrity_check").fetchone()
        (rows,) = database.execute("SELECT count(*) FROM cl_conversations").fetchone()
        (counted,) = database.execute("SELECT coalesce(sum(total), 0) FROM cl_inbox_counts").fetchone()
        ids = [row[0] for row in database.execute("SELECT external_id FROM cl_conversations")]
    finally:
        database.close()
    return {"integrity": check, "rows": rows, "counted": counted, "external_ids": ids}


if __name__ == "__main__":
    scenario, where = sys.argv[1], Path(sys.argv[2])
    result = on_read_only_file_system(where) if scenario == "read-only" else on_full_disk(where)
    print(json.dumps(result))

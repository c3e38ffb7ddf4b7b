"""What a user is told when the database's environment fails (issue 13, point 8), on SQLite and PostgreSQL.

- a missing folder, a file that is no database, a damaged file, a read-only file system or database, a full
  disk, a server that cannot be reached: every public call (opening a desk, intake one and many, an action,
  the inbox, one conversation) raises :class:`StoreUnavailable` saying what happened and what to do, never a
  driver's error; the command line prints it without a traceback and exits with status 2;
- a full disk refuses the write whole: nothing of it is stored, the database stays whole and readable;
- a database holding another application's tables is refused with :class:`ForeignDatabase`, and left as it
  was, unless its URL says ``adopt=yes``;
- the commands that only read (``db status``, ``inbox``) never create a database at a mistyped path.

The read-only file system and the full disk are real ones where the machine lets a process mount a small
tmpfs in a namespace of its own (``unshare -rm``); SQLite's own limits stand in for them everywhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import environment_worker as world
import pytest
from sqlalchemy import create_engine, event, inspect, text

from closedloop import ClosedLoopError, Desk, ForeignDatabase, StoreUnavailable
from closedloop.storage.sql.migrate import status, upgrade

WORKER = Path(__file__).with_name("environment_worker.py")
EVERY_CALL = ("open", "ingest", "ingest_many", "note", "inbox", "conversation")
WRITES = ("ingest", "ingest_many", "note")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: an SQLite file in tmp_path, or a database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    return str(request.getfixturevalue("postgres_url"))


def assert_refused_by_the_cli(found: dict[str, Any], said: str) -> None:
    assert found["status"] == 2, found
    assert found["stderr"].startswith("closedloop: "), found
    assert "Traceback" not in found["stderr"], found
    assert said in found["stderr"], found


def assert_unavailable(found: dict[str, Any], said: str) -> None:
    assert found["raised"] is not None and found["closedloop"], found
    assert found["raised"] in ("StoreUnavailable", "ForeignDatabase"), found
    assert said in found["message"], found


def open_on(url: str) -> tuple[Desk, str]:
    """A built desk, open, whose connections open again on the next call: the environment can change under it."""
    conversation_id = world.build(url)
    desk = Desk.open(url)
    desk.store.engine.dispose()  # type: ignore[attr-defined]
    return desk, conversation_id


# -- a damaged SQLite file, whichever way -------------------------------------------------------------------------


def remove_folder(path: Path) -> None:
    shutil.rmtree(path.parent)


def replace_with_text(path: Path) -> None:
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()
    path.write_text("name,total\nLyon,12\n" * 100)


def overwrite_pages(path: Path) -> None:
    """Garbage over every page but the first (which names the tables): a real file, really damaged."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\xa5" * (size - 4096))


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "its folder is gone": (remove_folder, "does not exist; check the path, or create the folder first"),
    "it is not a database": (replace_with_text, "is not an SQLite database"),
    "its pages are overwritten": (overwrite_pages, "is damaged (SQLite found a malformed page): restore it from"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_call_on_a_damaged_sqlite_file_says_what_happened_and_what_to_do(damage: str, tmp_path: Path) -> None:
    path = tmp_path / "data" / "desk.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    desk, conversation_id = open_on(url)
    change, said = DAMAGES[damage]
    change(path)
    left = contents(tmp_path)

    for name, call in world.calls(desk, url, conversation_id).items():
        with pytest.raises(StoreUnavailable) as refused:
            call()
        assert said in str(refused.value), (name, str(refused.value))
    for command, found in world.cli_calls(url).items():
        shown = "no database at" if damage == "its folder is gone" and command != "db upgrade" else said
        assert_refused_by_the_cli(found, shown)
    assert contents(tmp_path) == left, "a refused call changed the file, or made a folder or database"


def contents(folder: Path) -> dict[Path, bytes | None]:
    """Every folder and file under ``folder`` with what it holds, but SQLite's own -wal and -shm files."""
    return {
        path: path.read_bytes() if path.is_file() else None
        for path in folder.rglob("*")
        if not path.name.endswith(("-wal", "-shm"))
    }


def test_a_folder_that_does_not_exist_is_not_created_by_opening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'desk.db'}"
    with pytest.raises(StoreUnavailable) as refused:
        Desk.open(url)
    assert str(refused.value) == (
        f"cannot open the database at {tmp_path / 'no' / 'such' / 'desk.db'}: the folder {tmp_path / 'no' / 'such'} "
        "does not exist; check the path, or create the folder first"
    )
    assert list(tmp_path.iterdir()) == []


# -- read-only ------------------------------------------------------------------------------------------------------


def test_a_database_opened_read_only_refuses_writes_saying_so_and_shows_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    conversation_id = world.build(f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    before = path.read_bytes()
    with Desk.open(read_only) as desk:
        for name, call in world.calls(desk, read_only, conversation_id).items():
            if name in WRITES:
                with pytest.raises(StoreUnavailable) as refused:
                    call()
                assert f"the database at {path} is read-only" in str(refused.value), name
                assert "give this process write access to the file and its folder" in str(refused.value)
            else:
                call()
        assert [conversation.id for conversation in desk.inbox("ana")] == [conversation_id]
    assert path.read_bytes() == before


def test_on_a_read_only_file_system_every_call_says_so(tmp_path: Path) -> None:
    found = in_a_mount_namespace("read-only", tmp_path)
    for name in EVERY_CALL:
        assert_unavailable(found[name], "it is on a read-only file system")
        assert "move the database to a writable place, or mount the file system read-write" in found[name]["message"]
    for command in ("db status", "db upgrade", "inbox command"):
        assert_refused_by_the_cli(found[command], "is on a read-only file system")


# -- a full disk ---------------------------------------------------------------------------------------------------


def test_on_a_full_disk_a_write_is_refused_whole_and_the_rest_still_reads(tmp_path: Path) -> None:
    found = in_a_mount_namespace("full", tmp_path)
    full = "is full: nothing of this action was written. Free some space, then try again"
    assert_unavailable(found["filling"], full)
    for name in WRITES:
        assert_unavailable(found[name], full)
    for name in ("open", "inbox", "conversation"):
        assert found[name]["raised"] is None, found[name]
    after = found["after"]
    assert after["integrity"] == "ok"
    assert after["rows"] == after["counted"], "the inbox counts disagree with the conversations stored"
    refused = {"second", "many-0", "many-1", "many-2"}
    assert not refused & set(after["external_ids"]), "a refused write was stored in part"


def test_a_database_at_its_size_limit_refuses_the_write_whole(tmp_path: Path) -> None:
    """SQLite's page limit gives the same error as a full disk, on any machine."""
    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    desk, conversation_id = open_on(url)
    with contextlib.closing(sqlite3.connect(path)) as database:
        (pages,) = database.execute("PRAGMA page_count").fetchone()
    limit = pages + 6

    @event.listens_for(desk.store.engine, "connect")  # type: ignore[attr-defined]
    def _limit(database: Any, _record: Any) -> None:
        database.execute(f"PRAGMA max_page_count = {limit}")

    with pytest.raises(StoreUnavailable) as refused:
        for number in range(100):
            desk.ingest(world.feedback(f"filler-{number}", comments="x" * 3000))
    assert str(refused.value) == (
        f"the disk holding the database at {path} is full: nothing of this action was written. Free some space, "
        "then try again"
    )
    failed = f"filler-{number}"
    before = desk.conversation(conversation_id, by="ana")
    for name, call in world.calls(desk, url, conversation_id, big="y" * 100_000).items():
        if name in WRITES:
            with pytest.raises(StoreUnavailable, match="is full"):
                call()
        elif name != "open":
            call()
    stored = [conversation.feedback.external_id for conversation in desk.inbox("ana", limit=500)]
    assert failed not in stored and "second" not in stored and not any(item.startswith("many") for item in stored)
    assert desk.conversation(conversation_id, by="ana") == before, "the refused note changed the conversation"
    desk.close()
    checked = world.stored(url)
    assert checked["integrity"] == "ok" and checked["rows"] == checked["counted"] == len(stored)


def in_a_mount_namespace(scenario: str, tmp_path: Path) -> dict[str, Any]:
    """Run the worker's scenario on a small tmpfs of its own; skipped where no process may mount one."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount = 'mount -t tmpfs -o size=1m tmpfs "$1"'
    if (
        shutil.which("unshare") is None
        or subprocess.run(
            ["unshare", "-rm", "sh", "-c", mount, "sh", str(folder)], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("this machine lets no process mount a tmpfs in a namespace of its own (unshare -rm)")
    environment = {key: value for key, value in os.environ.items() if key != "CLOSEDLOOP_DATABASE_URL"}
    worker = (str(folder), sys.executable, str(WORKER), scenario)  # "$1" to "$4" of the shell line
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'{mount} && exec "$2" "$3" "$4" "$1"', "sh", *worker],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


# -- PostgreSQL ----------------------------------------------------------------------------------------------------


def test_a_server_that_cannot_be_reached_is_named_without_its_password(postgres_url: str) -> None:
    unreachable = "postgresql+psycopg://closedloop:secret@127.0.0.1:9/feedback"
    with pytest.raises(StoreUnavailable) as refused:
        Desk.open(unreachable)
    said = str(refused.value)
    assert said.startswith("cannot reach the database at postgresql+psycopg://closedloop:***@127.0.0.1:9/feedback")
    assert "check that the server is running" in said and "secret" not in said
    for command in (("db", "status", unreachable), ("db", "upgrade", unreachable), ("inbox", "--user", "ana")):
        arguments = command if command[0] == "db" else (*command, "--url", unreachable)
        assert_refused_by_the_cli(world.cli(*arguments), "cannot reach the database")


def test_a_postgresql_user_without_the_right_to_write_is_told_what_to_grant(postgres_url: str) -> None:
    conversation_id = world.build(postgres_url)
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE ROLE closedloop_reader LOGIN"))
        connection.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO closedloop_reader"))
    engine.dispose()
    reader = postgres_url.replace("://postgres@", "://closedloop_reader@")
    with Desk.open(reader) as desk:
        for name, call in world.calls(desk, reader, conversation_id).items():
            if name in WRITES:
                with pytest.raises(StoreUnavailable) as refused:
                    call()
                assert str(refused.value).startswith(f"the database user may not do what closedloop needs at {reader}")
                assert "grant it the rights on closedloop's tables (cl_*), or connect as their owner" in str(
                    refused.value
                )
            else:
                call()


# -- another application's database ------------------------------------------------------------------------------


def other_application(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO invoices VALUES (1, 1200)"))
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def tables_and_invoices(url: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            return names, [tuple(row) for row in connection.execute(text("SELECT * FROM invoices"))]
    finally:
        engine.dispose()


def test_another_applications_database_is_refused_and_left_as_it_was(url: str) -> None:
    other_application(url)
    before = tables_and_invoices(url)
    with pytest.raises(ForeignDatabase) as refused:
        Desk.open(url)
    assert isinstance(refused.value, StoreUnavailable)
    said = str(refused.value)
    assert "holds tables that are not closedloop's (invoices)" in said and "add ?adopt=yes to it" in said
    with pytest.raises(ForeignDatabase):
        upgrade(url)
    assert status(url).startswith("cannot be used: ")
    assert_refused_by_the_cli(world.cli("db", "upgrade", url), "not closedloop's (invoices)")
    assert_refused_by_the_cli(world.cli("inbox", "--user", "ana", "--url", url), "not closedloop's (invoices)")
    assert tables_and_invoices(url) == before


def test_asked_to_adopt_it_closedloop_adds_its_tables_beside_the_others(url: str) -> None:
    other_application(url)
    adopting = f"{url}{'&' if '?' in url else '?'}adopt=yes"
    conversation_id = world.build(adopting)
    with Desk.open(url) as desk:  # once adopted, it is closedloop's database too
        assert [conversation.id for conversation in desk.inbox("ana")] == [conversation_id]
    names, invoices = tables_and_invoices(url)
    assert "invoices" in names and "cl_conversations" in names
    assert invoices == [(1, 1200)]


def test_a_database_whose_schema_revisions_are_another_applications_is_never_adopted(url: str) -> None:
    other_application(url, "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    execute = create_engine(url)
    with execute.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    execute.dispose()
    before = tables_and_invoices(url)
    for asked in (url, f"{url}{'&' if '?' in url else '?'}adopt=yes"):
        with pytest.raises(ForeignDatabase, match="another application's schema revision"):
            Desk.open(asked)
    assert tables_and_invoices(url) == before


def test_an_adopt_option_that_is_neither_yes_nor_no_is_refused_listing_both(tmp_path: Path) -> None:
    with pytest.raises(ClosedLoopError, match="takes yes or no"):
        Desk.open(f"sqlite:///{tmp_path / 'desk.db'}?adopt=maybe")
    assert list(tmp_path.iterdir()) == []


# -- commands that only read ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("db", "status"), ("inbox", "--user", "ana")])
def test_a_reading_command_on_a_mistyped_path_creates_no_database(command: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "feedbak.db"
    url = f"sqlite:///{path}"
    arguments = (*command, url) if command[0] == "db" else (*command, "--url", url)
    refused = world.cli(*arguments)
    assert_refused_by_the_cli(refused, f"no database at {path}; check the path, or create one with ")
    assert f"closedloop db upgrade --url {url}" in refused["stderr"]
    assert list(tmp_path.iterdir()) == []

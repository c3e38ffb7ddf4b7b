"""Durable storage on SQLite and PostgreSQL, as users of the SQL store rely on it (issue 3).

- a desk reopened in another process sees everything the first one wrote;
- a new database is created at the current schema, an older one is refused with the command that upgrades it,
  and upgrading keeps every row; databases closedloop cannot use are refused;
- one transaction per use case: a failure injected in the middle of an action leaves every table as it was;
- no lost updates: desks in concurrent processes never overwrite each other, and a reply link is used once.

The worker processes run tests/integration/sql_worker.py, which also holds the sample world and the snapshot
of what a desk shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sql_worker
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from closedloop import (
    ClosedLoopError,
    Conversation,
    Desk,
    Feedback,
    InteractionKind,
    Place,
    Role,
    Status,
    Template,
    User,
    hookimpl,
)
from closedloop.domain.inbox import priority
from closedloop.serialization import decode
from closedloop.storage.sql import schema
from closedloop.storage.sql.conversations import SqlConversations
from closedloop.storage.sql.directory import STAMP_MARKER
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.migrate import (
    SchemaOutdated,
    SchemaUnknown,
    alembic_config,
    current_revision,
    head_revision,
    status,
)
from closedloop.storage.sql.outbox import SqlOutbox
from closedloop.storage.sql.records import SqlLibrary, SqlTokens

WORKER = Path(__file__).with_name("sql_worker.py")
PROCESS_TIMEOUT = 120


# -- fixtures and helpers --------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: an SQLite file in tmp_path, or a database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    return str(request.getfixturevalue("postgres_url"))


def worker_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "CLOSEDLOOP_DATABASE_URL"}


def run_worker(*arguments: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(WORKER), *arguments],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env=worker_environment(),
    )
    assert done.returncode == 0, f"worker {arguments[0]} failed:\n{done.stderr}"
    return json.loads(done.stdout.splitlines()[-1])


def run_together(sync: Path, workers: dict[str, list[str]]) -> dict[str, Any]:
    """Start one process per worker, wait until each says it is ready, release them all at once, and return
    what each printed. A worker that fails (any exception it does not expect) fails the test."""
    sync.mkdir(exist_ok=True)
    processes = {
        name: subprocess.Popen(
            [sys.executable, str(WORKER), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=worker_environment(),
        )
        for name, arguments in workers.items()
    }
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while not all((sync / f"ready-{name}").exists() for name in workers):
            dead = [name for name, process in processes.items() if process.poll() is not None]
            assert not dead, f"workers {dead} ended before starting: {processes[dead[0]].communicate()[1]}"
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
            process.communicate()


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "closedloop", *arguments],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env=worker_environment(),
    )


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every closedloop table (and the schema revision), ordered by primary key."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            tables = {}
            for name in sorted(found.get_table_names()):
                if not (name.startswith("cl_") or name == "alembic_version"):
                    continue
                if name.startswith("cl_search_index"):  # SQLite's full-text index: its layout depends on how it
                    continue  # was built, and what it indexes is cl_search, compared here
                key = found.get_pk_constraint(name)["constrained_columns"] or [
                    column["name"] for column in found.get_columns(name)
                ]
                order = ", ".join(f'"{column}"' for column in key)
                rows = connection.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}'))
                tables[name] = [tuple(row) for row in rows]
            return tables
    finally:
        engine.dispose()


def as_upgrades_keep(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """A count row of zero says the same as no row; an upgrade that recounts keeps only the others. An upgrade
    that fills the search index numbers its rows afresh (a row's id is its place in the order of results). The
    directory's stamp says only when the directory last changed, for the caches: a new one is made at need."""
    kept = dict(tables)
    kept["cl_markers"] = [row for row in tables.get("cl_markers", []) if STAMP_MARKER not in row]
    kept["cl_inbox_counts"] = [row for row in tables["cl_inbox_counts"] if row[-1] != 0]
    kept["cl_search"] = sorted(row[1:] for row in tables.get("cl_search", []))
    return kept


def execute(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def assert_counts_agree(url: str) -> None:
    """The kept inbox counts equal a fresh count of the conversations, and every conversation's indexed
    columns agree with its stored document."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            counted = {
                (row[0], row[1], row[2]): row[3]
                for row in connection.execute(
                    text(
                        "SELECT place_id, folder, priority, COUNT(*) FROM cl_conversations "
                        "GROUP BY place_id, folder, priority"
                    )
                )
            }
            kept = {
                (row[0], row[1], row[2]): row[3]
                for row in connection.execute(
                    text("SELECT place_id, folder, priority, total FROM cl_inbox_counts WHERE total <> 0")
                )
            }
            rows = connection.execute(text("SELECT id, place_id, folder, priority, document FROM cl_conversations"))
            for row in rows:
                stored = decode(row.document, Conversation)
                assert (row.id, row.place_id, row.folder, row.priority) == (
                    stored.id,
                    stored.place_id,
                    stored.folder.value,
                    priority(stored.category),
                )
    finally:
        engine.dispose()
    assert kept == counted


def by_external_id(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {conversation["feedback"]["external_id"]: conversation for conversation in shown["conversations"].values()}


# -- 1. reopening ------------------------------------------------------------------------------------------------


def test_a_desk_in_another_process_sees_everything_the_first_process_wrote(url: str) -> None:
    written = run_worker("populate", url)
    ids: dict[str, str] = written["ids"]
    external = {conversation_id: external_id for external_id, conversation_id in ids.items()}

    with sql_worker.open_desk(url) as desk:
        shown = sql_worker.snapshot(desk)
        assert shown == written["snapshot"]

        def inbox(user: str, **query: Any) -> list[str]:
            return [external[cid] for page in sql_worker.pages(desk, user, **query) for cid in page]

        assert inbox("ana") == ["s2", "s7", "s1", "s9", "s6", "s5", "s10", "s8"]
        assert inbox("ana", folder="done") == ["s3"] and inbox("ana", folder="spam") == ["s4"]
        assert inbox("leo") == ["s7", "s9", "s5"]
        assert inbox("zoe", category="alert") == ["s1"]
        counts = desk.counts("ana")
        assert (counts.inbox, counts.done, counts.spam) == (8, 1, 1)
        assert (counts.on_hold, counts.alert, counts.new_message) == (1, 3, 4)
        lyon = desk.counts("ana", places="lyon-centre")
        assert (lyon.inbox, lyon.done, lyon.spam, lyon.alert, lyon.new_message) == (3, 1, 0, 2, 1)

        conversations = by_external_id(shown)
        first = desk.conversation(ids["s1"], by="ana")
        assert [entry.kind for entry in first.history] == [
            InteractionKind.STATUS_CHANGE,
            InteractionKind.NOTE,
            InteractionKind.STATUS_CHANGE,
            InteractionKind.EMAIL_REPLY,
            InteractionKind.STATUS_CHANGE,
        ]
        assert first.history[1].body == "Calling the manager of Opéra."
        assert first.status is Status.AWAITING_CUSTOMER and first.alert is not None
        assert first.alert.status.value == "in_progress" and first.version == 3
        assert conversations["s2"]["on_hold"] is True
        assert conversations["s6"]["assignee"] == "zoe"
        assert [entry["kind"] for entry in conversations["s5"]["history"]][1] == "call_log"

        outbox = [(external[m.conversation_id], m.kind.value, m.status.value) for m in desk.outbox()]
        assert outbox == [
            ("s1", "customer_reply", "sent"),
            ("s3", "customer_reply", "pending"),
            ("s6", "handoff", "pending"),
            ("s7", "customer_reply", "pending"),
        ]
        assert desk.common_replies("ana").list() == ["See you soon!", "We are sorry.", "Thank you for your feedback."]
        assert desk.common_replies("leo").list() == ["Merci !"]
        assert [t.id for t in desk.templates("ana").list()] == ["t-org", "t-opera"]
        assert [t.id for t in desk.templates("leo").list()] == ["t-org"]

        token = written["tokens"][0]
        view = desk.customer_view(token)
        assert view.place_name == "Chez Test Opéra" and view.customer_name == "Claire Dupont"
        assert [message.body for message in view.messages] == ["Claire, we are sorry. Dinner is on us."]
        after = desk.customer_reply(token, body="Thank you, see you Friday.")
        assert [message.body for message in after.messages][-1] == "Thank you, see you Friday."
        assert desk.conversation(ids["s1"], by="ana").status is Status.UNREAD_CUSTOMER_REPLY
    assert_counts_agree(url)


def test_a_reopened_desk_reads_documents_an_earlier_release_stored_with_loosely_typed_values(url: str) -> None:
    """Earlier releases stored a number among texts or a null for a text as given; a desk that has not read
    such a conversation since must show it all the same, not fail on it and on every inbox page it is on."""
    with sql_worker.open_desk(url) as desk:
        desk.add_place(Place(id="lyon", name="Lyon"))
        desk.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
        opened = desk.ingest(
            Feedback(source="survey", external_id="loose", place_id="lyon", received_at=datetime.now(UTC))
        )
    engine = create_engine(url)
    with engine.begin() as connection:
        document = json.loads(connection.execute(text("SELECT document FROM cl_conversations")).scalar_one())
        document["feedback"]["metadata"] = {"order": 17, "vip": True}
        document["feedback"]["contact"] = {"name": "Claire", "email": None, "tel": ""}
        connection.execute(text("UPDATE cl_conversations SET document = :document"), {"document": json.dumps(document)})
    engine.dispose()

    with sql_worker.open_desk(url) as reopened:
        shown = reopened.conversation(opened.id, by="ana")
        assert [conversation.id for conversation in reopened.inbox("ana").items] == [opened.id]

    assert shown.feedback.metadata == {"order": "17", "vip": "True"}
    assert (shown.feedback.contact.name, shown.feedback.contact.email) == ("Claire", "")


# -- 2. schema -----------------------------------------------------------------------------------------------------


def test_a_new_database_is_created_at_the_current_schema(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).touch()  # db status creates no file: an empty one is a new database
    assert status(url).startswith("no closedloop schema yet")
    with Desk.open(url):
        pass
    head = head_revision()
    assert status(url) == f"schema {head}, current"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == head
            # the search indexes no Table describes: SQLite's full-text table (and its shadow tables), and the
            # expression PostgreSQL's GIN index is built on
            search = ("cl_search_index", "ix_cl_search_words")
            described = {"include_name": lambda name, _kind, _parent: not str(name).startswith(search)}
            differences = compare_metadata(MigrationContext.configure(connection, opts=described), schema.metadata)
    finally:
        engine.dispose()
    assert differences == [], "the migrations do not build the schema that schema.py describes"
    before = dump(url)
    with Desk.open(url):
        pass
    upgraded = run_cli("db", "upgrade", url)
    assert upgraded.returncode == 0 and f"already at {head}" in upgraded.stdout
    assert dump(url) == before, "opening or upgrading a current database changes nothing"


def test_an_older_database_is_refused_then_the_cli_upgrade_keeps_every_row(url: str) -> None:
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        ids = sql_worker.build_world(desk, clock)
        desk.customer_reply(sql_worker.reply_tokens(desk)[1], body="Thanks!")
        before = sql_worker.snapshot(desk)
    rows = dump(url)

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
    finally:
        engine.dispose()
    assert "cl_inbox_counts" not in table_names(url)
    assert "older than" in status(url)
    downgraded = dump(url)

    with pytest.raises(SchemaOutdated) as refused:
        Desk.open(url)
    assert isinstance(refused.value, ClosedLoopError)
    assert f"python -m closedloop db upgrade {url}" in str(refused.value)
    assert dump(url) == downgraded, "refusing the database changed it"

    upgraded = run_cli("db", "upgrade", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema 0001 -> {head_revision()}" in upgraded.stdout
    assert status(url) == f"schema {head_revision()}, current"
    assert as_upgrades_keep(dump(url)) == as_upgrades_keep(rows)
    assert_counts_agree(url)
    with sql_worker.open_desk(url) as desk:
        assert sql_worker.snapshot(desk) == before
        assert desk.conversation(ids["s3"], by="leo").status is Status.UNREAD_CUSTOMER_REPLY


def make_unknown_revision(url: str) -> None:
    execute(url, "UPDATE alembic_version SET version_num = '9999_from_the_future'")


def drop_revision_table(url: str) -> None:
    execute(url, "DROP TABLE alembic_version")


UNUSABLE = {"unknown revision": make_unknown_revision, "no revision table": drop_revision_table}


@pytest.fixture(params=sorted(UNUSABLE))
def unusable(request: pytest.FixtureRequest, url: str) -> str:
    """A populated closedloop database made unusable: at a revision nobody knows, or without a revision."""
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        sql_worker.build_world(desk, clock)
    UNUSABLE[request.param](url)
    return url


def test_a_database_closedloop_does_not_know_is_refused_and_left_alone(unusable: str) -> None:
    before = dump(unusable)
    with pytest.raises(SchemaUnknown) as refused:
        Desk.open(unusable)
    assert isinstance(refused.value, ClosedLoopError)
    message = str(refused.value)
    assert "does not know" in message or "no schema revision" in message
    assert "db upgrade" not in message, "upgrading cannot help with a database closedloop does not know"
    assert dump(unusable) == before


def test_db_status_does_not_advise_an_upgrade_that_cannot_work(unusable: str) -> None:
    said = status(unusable)
    assert "db upgrade" not in said, said
    assert "a desk creates" not in said, said


def test_db_upgrade_refuses_a_database_it_cannot_upgrade_with_a_clear_message(unusable: str) -> None:
    before = dump(unusable)
    refused = run_cli("db", "upgrade", unusable)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("closedloop: "), refused.stderr
    assert "Traceback" not in refused.stderr
    assert dump(unusable) == before


# -- 3. one transaction per use case ------------------------------------------------------------------------------


class Injected(Exception):
    """The failure a test injects in the middle of a use case."""


class ChangeRecorder:
    def __init__(self) -> None:
        self.told: list[str] = []

    @hookimpl
    def closedloop_conversation_changed(self, desk: Desk, changes: Any) -> None:
        self.told.extend(change.conversation.id for change in changes)

    @hookimpl
    def closedloop_feedback_ingested(self, desk: Desk, conversations: Any) -> None:
        self.told.extend(conversation.id for conversation in conversations)


#: The SQL store's repositories whose methods a test breaks, by their name on a transaction.
REPOSITORIES: dict[str, type] = {
    "conversations": SqlConversations,
    "outbox": SqlOutbox,
    "tokens": SqlTokens,
    "library": SqlLibrary,
}


def break_after(monkeypatch: pytest.MonkeyPatch, method: str, on_call: int = 1) -> list[int]:
    """Make ``tx.<repository>.<method>`` do its work and then fail, on its ``on_call``-th call."""
    repository, name = method.split(".")
    original = getattr(REPOSITORIES[repository], name)
    calls: list[int] = []

    def broken(self: object, *arguments: Any, **keywords: Any) -> Any:
        result = original(self, *arguments, **keywords)
        calls.append(1)
        if len(calls) == on_call:
            raise Injected(f"injected failure after tx.{method}")
        return result

    monkeypatch.setattr(REPOSITORIES[repository], name, broken)
    return calls


def more_feedback(count: int) -> list[dict[str, Any]]:
    return [
        {
            "source": "survey",
            "external_id": f"bulk-{number}",
            "place_id": "lyon-centre",
            "received_at": "2026-01-05T09:00:00+00:00",
            "ratings": [{"key": "nps", "kind": "nps", "value": number % 11}],
            "comments": [{"text": f"bulk comment {number}"}],
        }
        for number in range(count)
    ]


Action = Callable[[Desk, dict[str, str], list[str]], object]

# (method that fails after doing its work, on which call, the action)
FAILURES: dict[str, tuple[str, int, Action]] = {
    "email reply, after queueing the message": (
        "outbox.add",
        1,
        lambda desk, ids, tokens: desk.reply(ids["s8"], by="ana", body="Nina, thank you!"),
    ),
    "email reply, after storing the link": (
        "tokens.add",
        1,
        lambda desk, ids, tokens: desk.reply(ids["s9"], by="leo", body="Yann, we are sorry."),
    ),
    "customer reply, after using the link": (
        "tokens.use",
        1,
        lambda desk, ids, tokens: desk.customer_reply(tokens[2], body="It was the noise."),
    ),
    "customer reply, after saving the conversation": (
        "conversations.save",
        1,
        lambda desk, ids, tokens: desk.customer_reply(tokens[1], body="Reopen please."),
    ),
    "note that processes the alert, after saving": (
        "conversations.save",
        1,
        lambda desk, ids, tokens: desk.note(ids["s9"], by="leo", body="Called back.", alert_status="processed"),
    ),
    "hold, after saving": ("conversations.save", 1, lambda desk, ids, tokens: desk.hold(ids["s8"], by="zoe")),
    "mark done, after saving": ("conversations.save", 1, lambda desk, ids, tokens: desk.mark_done(ids["s1"], by="ana")),
    "forward, after queueing the hand-off": (
        "outbox.add",
        1,
        lambda desk, ids, tokens: desk.forward(ids["s10"], by="ana", to="zoe", note="For you."),
    ),
    "bulk intake, after inserting the first batch": (
        "conversations.add",
        1,
        lambda desk, ids, tokens: desk.ingest_many(more_feedback(5), batch_size=10),
    ),
    # dispatch is not here on purpose: it commits its claim before sending, so that a crash later re-sends
    # rather than loses; tests/integration/test_email.py shows a failure while recording and what follows
    "common reply, after storing the list": (
        "library.put_common_replies",
        1,
        lambda desk, ids, tokens: desk.common_replies("ana").add("A new one."),
    ),
    "template, after storing it": (
        "library.put_template",
        1,
        lambda desk, ids, tokens: desk.templates("root").add(Template(id="t-new", name="New", body="Hello.")),
    ),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failure_in_the_middle_of_a_use_case_leaves_the_database_as_it_was(
    url: str, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, on_call, action = FAILURES[failure]
    clock = sql_worker.start_clock()
    recorder = ChangeRecorder()
    with sql_worker.open_desk(url, clock, plugins=[recorder]) as desk:
        ids = sql_worker.build_world(desk, clock)
        tokens = sql_worker.reply_tokens(desk)
        clock.advance(minutes=5)
        recorder.told.clear()
        before = dump(url)

        calls = break_after(monkeypatch, method, on_call)
        with pytest.raises(Injected):
            action(desk, ids, tokens)
        assert len(calls) == on_call, "the failure was not injected where the test meant it"
        assert dump(url) == before
        assert recorder.told == [], "plugins were told about a change that was undone"

        monkeypatch.undo()
        action(desk, ids, tokens)
        assert dump(url) != before, "the action, run again without the failure, changes the database"
    assert_counts_agree(url)


def test_bulk_intake_interrupted_mid_way_keeps_whole_batches_and_resumes(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        sql_worker.add_people(desk)
        reports: list[int] = []
        break_after(monkeypatch, "conversations.add", on_call=2)
        with pytest.raises(Injected):
            desk.ingest_many(more_feedback(7), batch_size=3, progress=lambda report: reports.append(report.ingested))
        assert reports == [3]
        monkeypatch.undo()
        stored = [
            desk.conversation(cid, by="root").feedback.external_id
            for page in sql_worker.pages(desk, "root")
            for cid in page
        ]
        assert sorted(stored) == ["bulk-0", "bulk-1", "bulk-2"]
        assert_counts_agree(url)
        again = desk.ingest_many(more_feedback(7), batch_size=3)
        assert (again.ingested, again.duplicates) == (4, 3)
        assert desk.counts("root").inbox == 7
    assert_counts_agree(url)


# -- 4. concurrent processes ----------------------------------------------------------------------------------------


def test_notes_from_four_concurrent_processes_are_never_lost(url: str, tmp_path: Path) -> None:
    workers, notes_each = 4, 15
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        ids = sql_worker.build_world(desk, clock)
    target = ids["s10"]

    results = run_together(
        tmp_path / "sync",
        {f"w{n}": ["notes", url, target, f"w{n}", str(notes_each), str(tmp_path / "sync")] for n in range(workers)},
    )

    saved = [body for result in results.values() for body in result["saved"]]
    conflicts = [body for result in results.values() for body in result["conflicts"]]
    assert len(saved) + len(conflicts) == workers * notes_each
    assert saved, "no note was saved at all"
    for result in results.values():
        assert all("changed by someone else" in message for message in result["messages"])
    assert max(r["started"] for r in results.values()) < min(r["ended"] for r in results.values()), (
        "the workers did not run at the same time, so this test showed nothing"
    )

    with sql_worker.open_desk(url) as desk:
        stored = desk.conversation(target, by="root")
    notes = [entry.body for entry in stored.history if entry.kind is InteractionKind.NOTE]
    assert len(notes) == len(set(notes)), "a note was stored twice"
    assert sorted(notes) == sorted(saved), "a saved note was lost, or a refused one stored"
    for name, result in results.items():
        assert [body for body in notes if body.endswith(f"worker {name}")] == result["saved"]
    assert stored.version == 1 + len(saved)
    assert stored.status is Status.PENDING_ACTION
    assert_counts_agree(url)
    spans = [round(r["ended"] - r["started"], 2) for r in results.values()]
    print(f"{url.split(':')[0]}: {len(saved)} notes saved, {len(conflicts)} refused with ConcurrentUpdate {spans}")


def test_a_save_from_a_stale_version_in_another_process_is_refused_whole(url: str, tmp_path: Path) -> None:
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        ids = sql_worker.build_world(desk, clock)
    target = ids["s8"]
    sync = str(tmp_path / "sync")

    results = run_together(
        tmp_path / "sync",
        {role: ["race-save", url, target, role, sync] for role in ("first", "second")},
    )

    first, second = results["first"], results["second"]
    assert first["loaded"] == second["loaded"] == 1, "both processes loaded the same version"
    assert first == {"loaded": 1, "result": "saved", "version": 2}
    assert second["result"] == "conflict", "the stale save overwrote the first one"
    assert target in second["message"]
    with sql_worker.open_desk(url) as desk:
        stored = desk.conversation(target, by="root")
        assert stored.version == 2 and stored.on_hold and stored.status is Status.PENDING_ACTION
        assert [entry.kind for entry in stored.history] == [
            InteractionKind.STATUS_CHANGE,
            InteractionKind.HOLD,
            InteractionKind.STATUS_CHANGE,
        ]
        assert desk.common_replies("root").list() == [], "the loser's other write in its transaction was kept"
        assert desk.counts("root").done == 1 and desk.counts("root").on_hold == 2
    assert_counts_agree(url)


def test_several_processes_opening_a_new_database_at_once_all_succeed(url: str, tmp_path: Path) -> None:
    sync = str(tmp_path / "sync")
    run_together(tmp_path / "sync", {f"w{n}": ["open-new", url, f"w{n}", sync] for n in range(4)})
    assert status(url) == f"schema {head_revision()}, current"
    tables = dump(url)
    assert tables["alembic_version"] == [(head_revision(),)]
    assert [row[0] for row in tables["cl_places"]] == ["place-w0", "place-w1", "place-w2", "place-w3"]


# -- 5. one reply link, two processes ---------------------------------------------------------------------------------


def test_one_reply_link_posted_from_two_processes_at_once_is_taken_once(url: str, tmp_path: Path) -> None:
    clock = sql_worker.start_clock()
    with sql_worker.open_desk(url, clock) as desk:
        ids = sql_worker.build_world(desk, clock)
        for external_id in ("s2", "s6", "s8", "s9", "s10"):
            desk.reply(ids[external_id], by="root", body=f"Hello {external_id}")
        tokens = sql_worker.reply_tokens(desk)
        linked = [message.conversation_id for message in desk.outbox() if message.reply_link]
        versions = {cid: desk.conversation(cid, by="root").version for cid in linked}
    assert len(tokens) == len(set(linked)) == 8
    sync = str(tmp_path / "sync")

    results = run_together(
        tmp_path / "sync", {name: ["customer-replies", url, name, sync, "2", *tokens] for name in ("a", "b")}
    )

    outcomes = list(zip(results["a"]["outcome"], results["b"]["outcome"], strict=True))
    assert all(sorted(pair) == ["posted", "used"] for pair in outcomes), outcomes
    with sql_worker.open_desk(url) as desk:
        for (first, _second), conversation_id in zip(outcomes, linked, strict=True):
            winner = "a" if first == "posted" else "b"
            stored = desk.conversation(conversation_id, by="root")
            messages = [e.body for e in stored.history if e.kind is InteractionKind.CUSTOMER_MESSAGE]
            assert messages == [f"answer from worker {winner}"]
            assert stored.version == versions[conversation_id] + 1
            assert stored.status is Status.UNREAD_CUSTOMER_REPLY
    assert_counts_agree(url)
    wins = Counter(first for first, _second in outcomes)
    print(f"{url.split(':')[0]}: worker a took {wins['posted']} links, worker b {wins['used']}")

"""What the SQL store makes of a row the database refuses, on SQLite and PostgreSQL.

- only a taken key is a duplicate (:class:`closedloop.AlreadyStored`), which the use case may catch and carry on;
- any other refusal (a rule of the database: a CHECK constraint, a trigger) goes up as the database's own error,
  so that it is never taken for feedback stored already, nor retried as a conflict;
- inserting one row takes no savepoint, even on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import event

from closedloop import AlreadyStored, Desk, DuplicateFeedback, Place, StoreUnavailable
from closedloop.storage.sql import SqlStore
from closedloop.testing import FakeClock
from closedloop.testing.contract.base import ContractBase

#: A rule refusing the rows of a table whose key begins with "refused", as a CHECK constraint would.
RULE = {
    "sqlite": [
        "CREATE TRIGGER closedloop_test_refuse_{table} BEFORE INSERT ON {table} "
        "WHEN substr(NEW.{key}, 1, 7) = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION closedloop_test_refuse() RETURNS trigger AS $$ BEGIN "
        "IF starts_with(to_jsonb(NEW) ->> TG_ARGV[0], 'refused') THEN "
        "RAISE EXCEPTION 'refused by a rule' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; "
        "END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER closedloop_test_refuse_{table} BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION closedloop_test_refuse('{key}')",
    ],
}
RECORDS = ContractBase()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A new store whose tokens, messages and conversations refuse keys beginning with "refused"."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    opened = SqlStore.from_url(url)
    with opened.engine.begin() as connection:
        for table, key in (("cl_tokens", "token_hash"), ("cl_messages", "id"), ("cl_conversations", "external_id")):
            for statement in RULE[opened.engine.dialect.name]:
                connection.exec_driver_sql(statement.format(table=table, key=key))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_reply_link_refused_by_a_rule_is_no_duplicate(store: SqlStore, clock: FakeClock) -> None:
    with pytest.raises(StoreUnavailable, match="refused this action"), store.transaction() as tx:
        tx.tokens.add(RECORDS.token("refused-1", clock))
    with store.transaction() as tx:
        tx.tokens.add(RECORDS.token("h1", clock))
        with pytest.raises(AlreadyStored):
            tx.tokens.add(RECORDS.token("h1", clock))
        tx.tokens.add(RECORDS.token("h2", clock))  # the transaction goes on after the duplicate
    with store.transaction() as tx:
        assert tx.tokens.get("refused-1") is None
        assert tx.tokens.get("h1") is not None and tx.tokens.get("h2") is not None


@pytest.mark.parametrize("count", [1, 2])
def test_messages_refused_by_a_rule_are_no_duplicate(store: SqlStore, clock: FakeClock, count: int) -> None:
    refused = attrs.evolve(RECORDS.message(9, clock), id="refused-9")
    batch = [RECORDS.message(number, clock) for number in range(1, count)] + [refused]
    with pytest.raises(StoreUnavailable, match="refused this action"), store.transaction() as tx:
        tx.outbox.add(batch)
    with store.transaction() as tx:
        assert tx.outbox.list(status=None, conversation_id=None, limit=None) == []
        tx.outbox.add([RECORDS.message(1, clock)])
        with pytest.raises(AlreadyStored):
            tx.outbox.add([RECORDS.message(1, clock)])
        tx.outbox.add([RECORDS.message(3, clock)])
    with store.transaction() as tx:
        assert [m.id for m in tx.outbox.list(status=None, conversation_id=None, limit=None)] == ["m1", "m3"]


def test_conversations_refused_by_a_rule_are_no_duplicate_feedback(store: SqlStore, clock: FakeClock) -> None:
    refused = RECORDS.conversation(2, clock)
    refused = attrs.evolve(refused, feedback=attrs.evolve(refused.feedback, external_id="refused-2"))
    with pytest.raises(StoreUnavailable, match="refused this action") as raised, store.transaction() as tx:
        tx.conversations.add([RECORDS.conversation(1, clock), refused])
    assert not isinstance(raised.value, DuplicateFeedback)
    with store.transaction() as tx:
        assert tx.conversations.find([RECORDS.feedback(1, clock).key]) == {}


def test_an_import_the_database_refuses_by_a_rule_stops_and_is_not_counted_as_duplicates(
    store: SqlStore, clock: FakeClock
) -> None:
    desk = Desk.open(store=store, clock=clock, load_entry_points=False)
    desk.add_place(Place(id="p01", name="Place 1"))
    refused = attrs.evolve(RECORDS.feedback(2, clock), external_id="refused-2")

    with pytest.raises(StoreUnavailable, match="refused this action"):
        desk.ingest_many([RECORDS.feedback(1, clock), refused], batch_size=5)

    with store.transaction() as tx:
        assert tx.conversations.find([RECORDS.feedback(1, clock).key, refused.key]) == {}


def test_one_row_is_inserted_without_a_savepoint(store: SqlStore, clock: FakeClock) -> None:
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *call: statements.append(call[2]))
    with store.transaction() as tx:
        tx.tokens.add(RECORDS.token("h1", clock))
        tx.outbox.add([RECORDS.message(1, clock)])
        with pytest.raises(AlreadyStored):
            tx.tokens.add(RECORDS.token("h1", clock))
        with pytest.raises(AlreadyStored):
            tx.outbox.add([RECORDS.message(1, clock)])
    assert not [statement for statement in statements if "SAVEPOINT" in statement.upper()]
    with store.transaction() as tx:
        assert [m.id for m in tx.outbox.list(status=None, conversation_id=None, limit=None)] == ["m1"]

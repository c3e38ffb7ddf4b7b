"""The inbox and its counts read the indexes designed for them (issue 3, "A fast inbox at a million conversations").

A few thousand conversations over a hundred places stand in for a million: the statements the SQL store really
executes for ``desk.inbox`` and ``desk.counts`` are captured with a ``before_cursor_execute`` event and explained
with the same parameters. Pages are found by keyset on ``ix_cl_conversations_inbox`` (every place, or more places
than the store merges) or ``ix_cl_conversations_place_inbox`` (one query per place, merged); documents are fetched
by primary key; counts read ``cl_inbox_counts`` and never ``cl_conversations``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Engine, event

from closedloop import Desk, Feedback, Page, Place, PlaceGroup, Rating, RatingKind, Role, Source, User
from closedloop.domain.conversation import Conversation

PLACES = [f"p{number:03}" for number in range(100)]
#: 50 conversations a place, about two thirds of them NPS detractors (alerts).
CONVERSATIONS = 5_000
LIMIT = 25

INBOX_INDEX = "ix_cl_conversations_inbox"
PLACE_INDEX = "ix_cl_conversations_place_inbox"
RECEIVED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
#: How each database shows the cursor's row comparison as a condition of the index search itself.
SQLITE_KEYSET = r"\(priority,updated_us,id\)<\(\?,\?,\?\)"
POSTGRES_KEYSET = r"Index Cond: [^;]*ROW\(priority, updated_us"


class Scope(NamedTuple):
    user: str
    places: str | None
    index: str  # the index that finds the page's keys
    place_count: int | None  # how many places the store merges, None when it reads one index for all


SCOPES = {
    "admin, every place": Scope("admin", None, INBOX_INDEX, None),
    "agent of one place": Scope("solo", None, PLACE_INDEX, 1),
    "manager of a group of 20 places": Scope("regional", None, PLACE_INDEX, 20),
    "manager of 80 places": Scope("wide", None, INBOX_INDEX, None),
    "admin filtering by a group": Scope("admin", "g20", PLACE_INDEX, 20),
    "admin filtering by a place": Scope("admin", "p042", PLACE_INDEX, 1),
}


def feedback(number: int) -> Feedback:
    return Feedback(
        source=Source.SURVEY,
        external_id=f"fb-{number}",
        place_id=PLACES[number % len(PLACES)],
        received_at=RECEIVED + timedelta(seconds=number),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=number % 11)],
        comments=f"comment {number}",
    )


def _postgres_url(request: pytest.FixtureRequest) -> str:
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"closedloop_plans_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return str(server.url(name))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A desk with CONVERSATIONS conversations over 100 places, some on hold, done or spam, and users of every
    scope; shared by the tests of this module, which only read."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.db'}"
    else:
        url = _postgres_url(request)
    with Desk.open(url, load_entry_points=False) as opened:
        for place_id in PLACES:
            opened.add_place(Place(id=place_id, name=f"Place {place_id}"))
        opened.add_group(PlaceGroup(id="g20", name="Twenty", place_ids=PLACES[:20]))
        opened.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
        opened.add_user(User(id="solo", name="Sam Solo", places=["p000"]))
        opened.add_user(User(id="regional", name="Rita Regional", role=Role.MANAGER, groups=["g20"]))
        opened.add_user(User(id="wide", name="Walt Wide", role=Role.MANAGER, places=PLACES[:80]))
        report = opened.ingest_many((feedback(number) for number in range(CONVERSATIONS)), batch_size=1000)
        assert report.ingested == CONVERSATIONS
        # a little of every folder and category, at several places
        for index, conversation in enumerate(opened.inbox("admin", limit=60).items):
            if index % 4 == 0:
                opened.hold(conversation.id, by="admin")
            elif index % 4 == 1:
                opened.mark_done(conversation.id, by="admin")
            elif index % 4 == 2:
                opened.mark_spam(conversation.id, by="admin")
            else:
                opened.note(conversation.id, by="admin", body="Called the customer back")
        if request.param == "postgresql":
            # Autovacuum would analyze these tables in production; do it now so the plans don't depend on when
            # autovacuum last ran. No enable_seqscan = off is needed: with statistics, PostgreSQL picks the
            # indexes by itself even on these small tables.
            with opened.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        yield opened


# -- capturing and explaining ---------------------------------------------------------------------------------


class Statement(NamedTuple):
    sql: str
    parameters: Any


@contextmanager
def capture(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement the engine sends to the database meanwhile, with its parameters."""
    statements: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _executemany: bool) -> None:
        statements.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Node(NamedTuple):
    """One step of a plan, the same way for both databases."""

    text: str  # SQLite: the detail line; PostgreSQL: node type, relation, index and conditions
    table: str | None
    index: str | None
    top_level: bool  # directly in the outermost query, not in a subquery
    sorts_conversations: bool  # a sort whose input scans cl_conversations (PostgreSQL)
    node_type: str


def explain(engine: Engine, statement: Statement) -> list[Node]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters).all()
            return [_sqlite_node(parent, detail) for _id, parent, _unused, detail in rows]
        (document,) = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement.sql}", statement.parameters).one()
        connection.rollback()
    return list(_postgres_nodes(document[0]["Plan"], depth=0))


def _sqlite_node(parent: int, detail: str) -> Node:
    found = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
    if found is None:
        return Node(detail, None, None, parent == 0, False, detail)
    index = found.group(3) or ("PRIMARY KEY" if "PRIMARY KEY" in detail else None)
    return Node(detail, found.group(2), index, parent == 0, False, found.group(1))


def _postgres_nodes(plan: dict[str, Any], depth: int) -> Iterator[Node]:
    children = plan.get("Plans", [])
    below = [node for child in children for node in _postgres_nodes(child, depth + 1)]
    conditions = "".join(f"; {key}: {plan[key]}" for key in ("Index Cond", "Filter", "Recheck Cond") if key in plan)
    text = f"{plan['Node Type']} on {plan.get('Relation Name')} using {plan.get('Index Name')}{conditions}"
    sorts = plan["Node Type"] in ("Sort", "Incremental Sort") and any(
        node.table == "cl_conversations" for node in below
    )
    yield Node(text, plan.get("Relation Name"), plan.get("Index Name"), depth <= 1, sorts, plan["Node Type"])
    yield from below


def key_statement(statements: list[Statement]) -> Statement:
    """The one statement that finds the page's conversation ids in inbox order."""
    found = [s for s in statements if "cl_conversations" in s.sql and re.search(r"\bORDER BY\b", s.sql)]
    assert len(found) == 1, [s.sql for s in statements]
    return found[0]


def fetch_statements(statements: list[Statement]) -> list[Statement]:
    """The statements that load the page's conversations by id."""
    return [s for s in statements if "cl_conversations" in s.sql and not re.search(r"\bORDER BY\b", s.sql)]


def conversation_scans(plan: list[Node]) -> list[Node]:
    """The steps that read cl_conversations or one of its indexes."""
    return [node for node in plan if node.table == "cl_conversations" or "cl_conversations" in (node.index or "")]


def pages(desk: Desk, scope: Scope) -> Iterator[tuple[str, Page[Conversation], list[Statement]]]:
    """The first page, the page after it, and (on SQLite) the last page, with the statements of each."""
    engine = desk.store.engine
    with capture(engine) as statements:
        first = desk.inbox(scope.user, places=scope.places, limit=LIMIT)
    yield "first page", first, statements
    assert first.next is not None
    with capture(engine) as statements:
        second = desk.inbox(scope.user, places=scope.places, limit=LIMIT, after=first.next)
    yield "second page", second, statements
    if engine.dialect.name != "sqlite":
        # On tables this small, PostgreSQL estimates a row comparison by its first column only; for a cursor in
        # the lowest category (new messages) it then expects no rows either way and may walk the inbox index
        # with a filter instead of the per-place index. At 200,000 conversations it picks the per-place index
        # there too, so only the first two pages, whose cursor lies among the alerts, are checked here.
        return
    last = second
    while last.next is not None:
        with capture(engine) as statements:
            last = desk.inbox(scope.user, places=scope.places, limit=LIMIT, after=last.next)
    if last is not second:
        yield "last page", last, statements


# -- the inbox ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", list(SCOPES.values()), ids=list(SCOPES))
def test_inbox_pages_find_their_keys_on_the_inbox_indexes_without_sorting(desk: Desk, scope: Scope) -> None:
    engine = desk.store.engine
    sqlite = engine.dialect.name == "sqlite"
    shapes: dict[str, list[str | None]] = {}
    shown: list[str] = []
    for name, page, statements in pages(desk, scope):
        assert page.items, name
        shown.extend(conversation.id for conversation in page.items)
        statement = key_statement(statements)
        plan = explain(engine, statement)
        scans = conversation_scans(plan)
        described = "\n".join(node.text for node in plan)

        # every look at cl_conversations is a search on the expected index: never a full scan
        assert scans, described
        assert all(node.index == scope.index for node in scans), described
        if sqlite:
            assert all(node.node_type == "SEARCH" for node in scans), described
        else:
            assert all(node.node_type in ("Index Scan", "Index Only Scan") for node in scans), described
        if scope.place_count is not None:
            # one search per place, each on its own place
            assert len(scans) == scope.place_count, described
            in_index = r"\(place_id=\?" if sqlite else r"Index Cond: [^;]*\bplace_id\b[^;=]*= "
            assert all(re.search(in_index, node.text) for node in scans), described

        # the order comes from the index: a sort happens at most to merge the places' first rows
        if sqlite:
            temp_sorts = [node for node in plan if "USE TEMP B-TREE FOR ORDER BY" in node.text]
            assert all(node.top_level and scope.place_count is not None for node in temp_sorts), described
        else:
            assert not any(node.sorts_conversations for node in plan), described

        # past the first page, the cursor bounds the index search itself: the page starts where the last one ended
        if name != "first page":
            keyset = SQLITE_KEYSET if sqlite else POSTGRES_KEYSET
            assert all(re.search(keyset, node.text) for node in scans), described
        shapes[name] = sorted(node.index or "" for node in scans)

        # the page's documents are loaded by primary key
        for fetch in fetch_statements(statements):
            fetch_plan = explain(engine, fetch)
            fetched = conversation_scans(fetch_plan)
            text = "\n".join(node.text for node in fetch_plan)
            assert fetched, text
            if sqlite:
                assert all(node.node_type == "SEARCH" and "(id=?)" in node.text for node in fetched), text
            else:
                assert all(node.node_type != "Seq Scan" for node in fetched), text
                assert {node.index for node in fetched if node.index} == {"cl_conversations_pkey"}, text

    # a deep page costs what the first page costs: the same searches on the same indexes
    assert all(shape == shapes["first page"] for shape in shapes.values()), shapes
    assert len(shown) == len(set(shown))


@pytest.mark.parametrize("scope", list(SCOPES.values()), ids=list(SCOPES))
def test_counts_read_the_counters_and_never_the_conversations(desk: Desk, scope: Scope) -> None:
    engine = desk.store.engine
    with capture(engine) as statements:
        counts = desk.counts(scope.user, places=scope.places)

    assert counts.inbox > 0
    assert not [s.sql for s in statements if "cl_conversations" in s.sql]
    counting = [s for s in statements if "cl_inbox_counts" in s.sql]
    assert len(counting) == 1, [s.sql for s in statements]
    plan = explain(engine, counting[0])
    described = "\n".join(node.text for node in plan)
    tables = {node.table for node in plan if node.table}
    assert tables == {"cl_inbox_counts"}, described


@pytest.mark.parametrize("scope", list(SCOPES.values()), ids=list(SCOPES))
def test_counts_agree_with_the_inbox(desk: Desk, scope: Scope) -> None:
    counts = desk.counts(scope.user, places=scope.places)

    seen: dict[str, int] = {}
    for folder in ("inbox", "done", "spam"):
        after = None
        while True:
            page = desk.inbox(scope.user, folder=folder, places=scope.places, limit=500, after=after)
            for conversation in page.items:
                key = conversation.category.value if folder == "inbox" else folder
                seen[key] = seen.get(key, 0) + 1
            if page.next is None:
                break
            after = page.next
    assert (counts.on_hold, counts.alert, counts.new_message, counts.done, counts.spam) == (
        seen.get("on_hold", 0),
        seen.get("alert", 0),
        seen.get("new_message", 0),
        seen.get("done", 0),
        seen.get("spam", 0),
    )


def test_no_statement_skips_rows_with_offset(desk: Desk) -> None:
    engine = desk.store.engine
    statements: list[Statement] = []
    for scope in SCOPES.values():
        for _name, _page, page_statements in pages(desk, scope):
            statements.extend(page_statements)
        with capture(engine) as counting:
            desk.counts(scope.user, places=scope.places)
        statements.extend(counting)

    assert statements
    for statement in statements:
        if engine.dialect.name != "sqlite":
            assert not re.search(r"\bOFFSET\b", statement.sql, re.IGNORECASE), statement.sql
            continue
        # SQLAlchemy's SQLite dialect writes every LIMIT as "LIMIT ? OFFSET ?", with the offset bound to 0: such
        # an OFFSET skips nothing. Any other offset would be paging by skipping rows.
        for found in re.finditer(r"\bOFFSET\s+(\?|\d+)", statement.sql, re.IGNORECASE):
            value = found.group(1)
            if value == "?":
                value = statement.parameters[statement.sql[: found.start()].count("?")]
            assert int(value) == 0, statement.sql

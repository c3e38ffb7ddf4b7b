"""The facts tables the SQL store's metrics read: filled from the stored conversations by the upgrade that adds
them, and kept in step with every write, so a report says the same before and after an upgrade."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
from alembic import command
from sqlalchemy import text

from closedloop import Concept, Rating, RatingKind
from closedloop.domain.conversation import Status
from closedloop.domain.facts import facts_of
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.reports import report_of
from closedloop.domain.rules import opening_entry
from closedloop.storage.sql import SqlStore
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.facts import FactRows
from closedloop.storage.sql.migrate import alembic_config, upgrade
from closedloop.testing.contract.reports import GROUPS, START, sample_conversation


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'facts.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("older", ["0004", "0005"])  # before the facts, and with 0005's facts tables
def test_the_upgrade_fills_the_facts_of_stored_conversations_and_skips_unreadable_ones(url: str, older: str) -> None:
    generator = random.Random(5)
    conversations = [sample_conversation(number, generator) for number in range(40)]
    store = SqlStore.from_url(url)
    with store.transaction() as tx:
        tx.conversations.add(conversations)
    query = MetricsQuery(place_ids=None, since=START, until=START + timedelta(days=100), zone=ZoneInfo("UTC"))
    with store.transaction() as tx:
        written = tx.reports.metrics(query, Bucketing.WEEK, GROUPS)
    store.close()
    assert written == report_of([facts_of(item) for item in conversations], query, Bucketing.WEEK, GROUPS)

    engine = make_engine(url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), older)
        connection.execute(text("UPDATE cl_conversations SET document = 'not json' WHERE id = :id"), {"id": "m0003"})
    engine.dispose()
    assert upgrade(url)[0] == older

    store = SqlStore.from_url(url)
    try:
        with store.transaction() as tx:
            upgraded = tx.reports.metrics(query, Bucketing.WEEK, GROUPS)
    finally:
        store.close()
    readable = [facts_of(item) for item in conversations if item.id != "m0003"]
    assert upgraded == report_of(readable, query, Bucketing.WEEK, GROUPS)
    assert upgraded.figures.volume.feedback + sum(upgraded.figures.left_out.values()) == len(readable)


def test_keys_and_names_holding_separators_quotes_or_accents_are_counted_as_given(url: str) -> None:
    """What a report joins and splits (control characters, quotes, commas) may be part of a rating key or a
    concept name; a key given in two kinds is reported under the kind with more answers, in every store."""
    generator = random.Random(8)
    odd_keys = ["a\x1eb", "c\x1fd", 'quote"d', "comma,semi;", "été"]
    conversations = []
    for number in range(30):
        item = sample_conversation(number, generator)
        key = odd_keys[number % len(odd_keys)]
        kind = RatingKind.STARS if number % 3 else RatingKind.CSAT  # the same key in two kinds
        feedback = attrs.evolve(
            item.feedback, ratings=(*item.feedback.ratings, Rating(key=key, kind=kind, value=1 + number % 5))
        )
        analysis = (*item.analysis, Concept(name=key, sentiment=generator.uniform(-1, 1)))
        conversations.append(attrs.evolve(item, feedback=feedback, analysis=analysis))
    store = SqlStore.from_url(url)
    try:
        with store.transaction() as tx:
            tx.conversations.add(conversations)
        query = MetricsQuery(place_ids=None, since=START, until=START + timedelta(days=100), zone=ZoneInfo("UTC"))
        with store.transaction() as tx:
            report = tx.reports.metrics(query, Bucketing.MONTH, GROUPS)
    finally:
        store.close()
    assert report == report_of([facts_of(item) for item in conversations], query, Bucketing.MONTH, GROUPS)
    scores = {score.key: score for score in report.figures.scores}
    assert set(odd_keys) <= set(scores)
    assert set(odd_keys) <= {concept.name for concept in report.figures.concepts}


def test_a_new_conversations_row_is_the_row_its_facts_give() -> None:
    """Intake builds the row of a conversation whose history holds only its opening straight from it; it must
    say what :func:`facts_of` says, whatever its status, alert, ratings and concepts."""
    generator = random.Random(9)
    opened = opening_entry(START)
    fresh = [
        attrs.evolve(sample_conversation(number, generator), history=(opened,) if number % 2 else ())
        for number in range(300)
    ]
    assert {item.status for item in fresh} >= {Status.DONE, Status.SPAM} and any(item.alert for item in fresh)
    assert FactRows.of(fresh).rows == FactRows(facts_of(item) for item in fresh).rows

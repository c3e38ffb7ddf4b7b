"""The facts tables the SQL store's metrics read: filled from the stored conversations by the upgrade that adds
them, and kept in step with every write, so a report says the same before and after an upgrade."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import text

from closedloop.domain.facts import facts_of
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.reports import report_of
from closedloop.storage.sql import SqlStore
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.migrate import alembic_config, upgrade
from closedloop.testing.contract.reports import GROUPS, START, sample_conversation


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'facts.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_the_upgrade_fills_the_facts_of_stored_conversations_and_skips_unreadable_ones(url: str) -> None:
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
        command.downgrade(alembic_config(connection), "0004")
        connection.execute(text("UPDATE cl_conversations SET document = 'not json' WHERE id = :id"), {"id": "m0003"})
    engine.dispose()
    assert upgrade(url)[0] == "0004"

    store = SqlStore.from_url(url)
    try:
        with store.transaction() as tx:
            upgraded = tx.reports.metrics(query, Bucketing.WEEK, GROUPS)
    finally:
        store.close()
    readable = [facts_of(item) for item in conversations if item.id != "m0003"]
    assert upgraded == report_of(readable, query, Bucketing.WEEK, GROUPS)
    assert upgraded.figures.volume.feedback + sum(upgraded.figures.left_out.values()) == len(readable)

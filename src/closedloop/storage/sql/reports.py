"""The read side of the SQL store: the figures of ``desk.metrics``.

For now the conversations of the covered places are read back and their facts computed as the memory store
does; aggregates over a facts table, computed where the data is, replace this.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy import Connection, select

from closedloop.domain.facts import Facts, facts_of
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.people import PlaceGroup
from closedloop.domain.reports import Report, report_of
from closedloop.storage.sql import schema
from closedloop.storage.sql.cache import TransactionDecodings

_table = schema.conversations


class SqlReports:
    def __init__(self, connection: Connection, decodings: TransactionDecodings) -> None:
        self.connection = connection
        self.decodings = decodings

    def metrics(self, query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]) -> Report:
        return report_of(self._facts(query), query, by, groups)

    def _facts(self, query: MetricsQuery) -> Iterator[Facts]:
        statement = select(_table.c.id, _table.c.version, _table.c.document)
        if query.place_ids is not None:
            statement = statement.where(_table.c.place_id.in_(sorted(query.place_ids)))
        for row in self.connection.execute(statement):
            yield facts_of(self.decodings.conversation(row.id, row.version, row.document))

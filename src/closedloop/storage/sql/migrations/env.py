"""Alembic's entry point: runs migrations on the connection closedloop hands it, inside its transaction."""

from __future__ import annotations

from alembic import context

from closedloop.storage.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("closedloop migrations run through closedloop.storage.sql.migrate, with a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

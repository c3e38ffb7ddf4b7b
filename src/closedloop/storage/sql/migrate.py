"""Schema migrations with alembic, shipped inside the package.

A new, empty database is brought to the current schema when a desk opens it. An older one is refused with
the command that upgrades it, because an upgrade should be a decision (and a backup) of its owner, not a
side effect of starting an application. For the same reason a database holding another application's
tables is left alone unless its URL says ``adopt=yes``: a mistyped URL must not change someone else's data.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from closedloop.domain.errors import ForeignDatabase, StoreUnavailable
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.failures import translating
from closedloop.storage.sql.urls import ADOPT_OPTION, adoption_asked, parsed, require_existing

#: Serializes schema creation between processes on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
SCHEMA_LOCK_KEY = 0x636C6F73
#: Where alembic keeps a database's schema revision; another application using alembic keeps its own there.
VERSION_TABLE = "alembic_version"
#: How many of another application's tables a refusal names.
TABLES_NAMED = 5


class SchemaOutdated(StoreUnavailable):
    """The database was made by an older closedloop and must be upgraded before use."""


class SchemaUnknown(StoreUnavailable):
    """The database is not one this closedloop can use: newer, or not a closedloop database."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "closedloop.storage.sql:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("closedloop's migrations are missing from this installation; reinstall closedloop")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def _refuse_unknown(connection: Connection, revision: str | None, url: str, adopt: bool) -> None:
    """Refuse a database this closedloop cannot use or upgrade: newer, made by closedloop but without its
    revision, or another application's (unless ``adopt``, and never when that application keeps its own
    schema revisions where closedloop keeps its own)."""
    tables = inspect(connection).get_table_names()
    if not any(name.startswith("cl_") for name in tables):
        if revision is not None:
            raise ForeignDatabase(
                f"the database at {url} holds another application's schema revision ({revision!r} in "
                f"{VERSION_TABLE}) and none of closedloop's tables; closedloop keeps its own revision in that "
                "table, so it cannot share this database: give closedloop a database of its own"
            )
        others = sorted(name for name in tables if name != VERSION_TABLE)
        if others and not adopt:
            named = ", ".join(others[:TABLES_NAMED]) + (
                f" and {len(others) - TABLES_NAMED} more" if len(others) > TABLES_NAMED else ""
            )
            raise ForeignDatabase(
                f"the database at {url} holds tables that are not closedloop's ({named}) and none of "
                f"closedloop's; check the URL, or add ?{ADOPT_OPTION}=yes to it to add closedloop's tables "
                "beside them"
            )
        return
    if revision is None:
        raise SchemaUnknown(f"{url} has closedloop tables but no schema revision; it was not made by closedloop")
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise SchemaUnknown(
            f"the database at {url} is at schema {revision}, which this closedloop does not know; "
            "it was probably made by a newer closedloop: upgrade closedloop"
        )


def ensure_current(engine: Engine, *, adopt: bool = False) -> None:
    """Create the schema in an empty database (or, when ``adopt``, beside another application's tables);
    refuse one at another revision, saying what to do."""
    url = engine.url.render_as_string(hide_password=True)
    with engine.begin() as connection:
        _lock(connection)
        revision = current_revision(connection)
        _refuse_unknown(connection, revision, url, adopt)
        if revision is None:
            command.upgrade(alembic_config(connection), "head")
            return
    head = head_revision()
    if revision != head:
        raise SchemaOutdated(
            f"the database at {url} uses an older closedloop schema ({revision}; this version needs {head}). "
            f"Back it up, then run: python -m closedloop db upgrade {url}"
        )


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at ``url`` to the current schema, keeping every row; returns (from, to). A new
    SQLite file is created; a database holding another application's tables is refused unless the URL says
    ``adopt=yes``."""
    engine = make_engine(url)
    try:
        with translating(engine.url), engine.begin() as connection:
            _lock(connection)
            before = current_revision(connection)
            shown = engine.url.render_as_string(hide_password=True)
            _refuse_unknown(connection, before, shown, adoption_asked(parsed(url)))
            command.upgrade(alembic_config(connection), "head")
            return before, head_revision()
    finally:
        engine.dispose()


def status(url: str) -> str:
    """A person-readable word on the schema of the database at ``url``; :class:`StoreUnavailable` when
    there is no database there (an SQLite file that does not exist is not created) or it cannot be read."""
    require_existing(url)
    engine = make_engine(url)
    try:
        with translating(engine.url), engine.connect() as connection:
            revision = current_revision(connection)
            try:
                shown = engine.url.render_as_string(hide_password=True)
                _refuse_unknown(connection, revision, shown, adoption_asked(parsed(url)))
            except (SchemaUnknown, ForeignDatabase) as error:
                return f"cannot be used: {error}"
    finally:
        engine.dispose()
    head = head_revision()
    if revision is None:
        return f"no closedloop schema yet (a desk creates schema {head} when it opens the database)"
    if revision == head:
        return f"schema {revision}, current"
    return f"schema {revision}, older than this closedloop's {head}: run python -m closedloop db upgrade {url}"

"""The SQL schema: a few indexed columns per row for queries, and the whole object as a JSON document.

Conversations carry the columns the inbox filters and sorts on, with two indexes that match its order
(``priority, updated_us, id`` descending): one for every place, one per place. ``inbox_counts`` keeps the
number of conversations per place, folder and priority, updated in the same transaction as the
conversations, so counts cost the same at ten thousand conversations as at a million.

The metrics read facts (:mod:`closedloop.domain.facts`), kept beside each conversation in the same
transaction as one row of ``cl_facts``: columns to filter and bucket by, and what a report counts written as
short JSON tokens (the row's ``signature``, one per rating, one per concept) that a report concatenates per
bucket and counts (:mod:`.reports`). The rows are kept in the order of their primary key, place then time
received (``WITHOUT ROWID`` on SQLite), so the rows of a report's places and months lie together on disk.

Quality reviews keep, beside their document, the columns a listing filters on: the place and the time the
reviewed conversation's feedback was received (a period's reviews of some places), the agent, the reviewer and
the conversation. Scorecards and review cycles are documents by id.

Reply links are indexed by conversation, so an erasure removes a conversation's links without a scan. Erasure
records keep, beside their document, when they were made (the order they are listed in) and until when they
are kept (what forgetting them looks up).

``cl_search`` holds each conversation's words for searching, and an index over them that the migration makes
per database (:mod:`.search`); its ``id`` is what SQLite's full-text index knows each row by, so it is kept
as an ``INTEGER PRIMARY KEY`` there, which no ``VACUUM`` renumbers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _documents(name: str, key: str) -> Table:
    """A table of JSON documents by key, for what is only ever read whole."""
    return Table(name, metadata, Column(key, String, primary_key=True), Column("document", Text, nullable=False))


places = Table(
    "cl_places",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
)

groups = _documents("cl_groups", "id")

users = _documents("cl_users", "id")

conversations = Table(
    "cl_conversations",
    metadata,
    Column("id", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("platform", String, nullable=False),
    Column("external_id", String, nullable=False),
    Column("place_id", String, nullable=False),
    Column("folder", String, nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    UniqueConstraint("external_id", "source", "platform", name="uq_cl_conversations_key"),
    Index("ix_cl_conversations_inbox", "folder", "priority", "updated_us", "id"),
    Index("ix_cl_conversations_place_inbox", "place_id", "folder", "priority", "updated_us", "id"),
)

inbox_counts = Table(
    "cl_inbox_counts",
    metadata,
    Column("place_id", String, nullable=False),
    Column("folder", String, nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    PrimaryKeyConstraint("place_id", "folder", "priority", name="pk_cl_inbox_counts"),
)

common_replies = _documents("cl_common_replies", "user_id")

templates = _documents("cl_templates", "id")

messages = Table(
    "cl_messages",
    metadata,
    Column("id", String, primary_key=True),
    Column("conversation_id", String, nullable=False, index=True),
    Column("status", String, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    Column("due_us", BigInteger, nullable=True),
    Index("ix_cl_messages_status", "status", "created_us"),
    Index("ix_cl_messages_due", "status", "due_us"),
)

markers = Table(
    "cl_markers",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
)

tokens = Table(
    "cl_tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("conversation_id", String, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("used_us", BigInteger, nullable=True),
    Index("ix_cl_tokens_conversation", "conversation_id"),
)

facts = Table(
    "cl_facts",
    metadata,
    Column("place_id", String, nullable=False),
    Column("received_us", BigInteger, nullable=False),
    Column("conversation_id", String, nullable=False),
    Column("source", String, nullable=False),
    Column("platform", String, nullable=False),
    Column("status", String, nullable=False),
    Column("category", String, nullable=False),
    Column("test", SmallInteger, nullable=False),
    Column("counted", SmallInteger, nullable=False),
    Column("alert_status", String, nullable=True),
    Column("first_response_us", BigInteger, nullable=True),
    Column("first_responder", String, nullable=True),
    Column("first_contact_us", BigInteger, nullable=True),
    Column("done_us", BigInteger, nullable=True),
    Column("customer_messages", Integer, nullable=False),
    Column("detractor", SmallInteger, nullable=False),
    Column("signature", Text, nullable=False),
    Column("ratings", Text, nullable=True),
    Column("concepts", Text, nullable=True),
    PrimaryKeyConstraint("place_id", "received_us", "conversation_id", name="pk_cl_facts"),
    Index("ix_cl_facts_conversation", "conversation_id", unique=True),
    Index("ix_cl_facts_received", "received_us"),
    sqlite_with_rowid=False,
)

scorecards = _documents("cl_scorecards", "id")

review_cycles = _documents("cl_review_cycles", "id")

reviews = Table(
    "cl_reviews",
    metadata,
    Column("id", String, primary_key=True),
    Column("conversation_id", String, nullable=False),
    Column("place_id", String, nullable=False),
    Column("agent_id", String, nullable=False),
    Column("reviewer_id", String, nullable=False),
    Column("received_us", BigInteger, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    Index("ix_cl_reviews_place_received", "place_id", "received_us"),
    Index("ix_cl_reviews_received", "received_us"),
    Index("ix_cl_reviews_agent_received", "agent_id", "received_us"),
    Index("ix_cl_reviews_conversation", "conversation_id"),
)

erasures = Table(
    "cl_erasures",
    metadata,
    Column("id", String, primary_key=True),
    Column("at_us", BigInteger, nullable=False),
    Column("keep_until_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    Index("ix_cl_erasures_keep_until", "keep_until_us"),
)

search = Table(
    "cl_search",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("conversation_id", String, nullable=False),
    Column("words", Text, nullable=False),
    UniqueConstraint("conversation_id", name="uq_cl_search_conversation"),
)

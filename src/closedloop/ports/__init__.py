"""The interfaces the core needs: the store with one repository per aggregate (:mod:`closedloop.ports.store`),
and the clock, channels, review sources, assistants and analyzers (:mod:`closedloop.ports.outside`)."""

from closedloop.ports.outside import (
    Analyzer,
    Assistant,
    Channel,
    Clock,
    Connector,
    ReviewSource,
    SendResult,
)
from closedloop.ports.store import (
    Conversations,
    Directory,
    FeedbackKey,
    Library,
    Markers,
    Outbox,
    ReadsBesideWrites,
    Reports,
    Store,
    StoreTransaction,
    Tokens,
    WritesInBulk,
)

__all__ = [
    "Analyzer",
    "Assistant",
    "Channel",
    "Clock",
    "Connector",
    "Conversations",
    "Directory",
    "FeedbackKey",
    "Library",
    "Markers",
    "Outbox",
    "ReadsBesideWrites",
    "Reports",
    "ReviewSource",
    "SendResult",
    "Store",
    "StoreTransaction",
    "Tokens",
    "WritesInBulk",
]

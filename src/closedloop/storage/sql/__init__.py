"""The SQL store, registered for the ``sqlite`` and ``postgresql`` URL schemes."""

from __future__ import annotations

from closedloop.hookspecs import hookimpl
from closedloop.registry import Registry
from closedloop.storage.sql.store import SqlStore

__all__ = ["SqlStore"]


@hookimpl
def closedloop_register_stores(registry: Registry) -> None:
    registry.add_store("sqlite", SqlStore.from_url)
    registry.add_store("postgresql", SqlStore.from_url)

"""What every use case works with: the store, the registry of plugins' parts, settings, clock and hooks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import attrs

from closedloop.app.ids import new_ids
from closedloop.contacts import ContactChecker
from closedloop.domain.messages import NO_LIMITS, ChannelLimits
from closedloop.plugins import Hooks
from closedloop.ports import Clock, Store
from closedloop.ports.store import ReadsBesideWrites, StoreTransaction
from closedloop.registry import Registry
from closedloop.settings import Settings


class SystemClock:
    """The real time, in UTC; tests give ``Desk.open(clock=...)`` a fake one instead."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.frozen(kw_only=True)
class Context:
    """One desk's shared parts, handed to each use case function; it holds no state of its own."""

    store: Store
    registry: Registry
    settings: Settings
    clock: Clock
    contacts: ContactChecker
    hooks: Hooks
    #: Makes ``count`` new record ids at once; tests may give one that is predictable.
    ids: Callable[[int], list[str]] = new_ids

    @classmethod
    def assemble(cls, store: Store, registry: Registry, settings: Settings, hooks: Hooks) -> Context:
        """The context of a desk with these parts; the clock and contact checks come from the settings."""
        clock = settings.clock if settings.clock is not None else SystemClock()
        contacts = ContactChecker(settings.default_region)
        return cls(store=store, registry=registry, settings=settings, clock=clock, contacts=contacts, hooks=hooks)

    def now(self) -> datetime:
        return self.clock.now()

    def channel_limits(self, name: str) -> ChannelLimits:
        """What the named channel can carry, asked before a transaction opens (the email channel may ask its
        server); no limits when no such channel is registered, which the use case then reports itself."""
        channel = self.registry.channels.get(name)
        return channel.limits if channel is not None else NO_LIMITS

    def new_id(self) -> str:
        return self.ids(1)[0]

    def reading(self) -> AbstractContextManager[StoreTransaction]:
        """A transaction for a use case that only reads: a snapshot beside the writers where the store offers
        one, so a long read such as a report holds no writer up; else an ordinary transaction."""
        if isinstance(self.store, ReadsBesideWrites) and (reader := self.store.reader()) is not None:
            return reader
        return self.store.transaction()

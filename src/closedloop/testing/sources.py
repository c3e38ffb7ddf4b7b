"""A review platform in memory, for tests of ``desk.sync`` that need no HTTP: the pages of reviews a connector
would yield, which a test changes between two syncs as the platform would change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import attrs

from closedloop.domain.reviews import PlatformReview
from closedloop.hookspecs import hookimpl
from closedloop.registry import Registry


@attrs.define
class PlatformInMemory:
    """``pages`` of reviews, newest first, for the platform named ``platform``. Each sync's ``since`` is
    recorded in ``asked_since``; ``fail_on_page`` makes that page fail once, as a platform that goes away in
    the middle of a sync. Give it to a desk as a plugin: ``Desk.open(plugins=[platform])``."""

    platform: str
    pages: list[list[PlatformReview]] = attrs.field(factory=list)
    fail_on_page: int | None = None
    asked_since: list[datetime | None] = attrs.field(factory=list)

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[PlatformReview]]:
        self.asked_since.append(since)
        for number, page in enumerate(self.pages):
            if number == self.fail_on_page:
                self.fail_on_page = None
                raise ConnectionError("the platform went away in the middle of the sync")
            yield list(page)

    @hookimpl
    def closedloop_register_sources(self, registry: Registry) -> None:
        registry.add_source(self)

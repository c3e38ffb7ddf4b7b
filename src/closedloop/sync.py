"""Review sync: what ``desk.sync`` reports, and where it keeps how far it got."""

from __future__ import annotations

from datetime import timedelta

import attrs

from closedloop.domain.conversation import InteractionKind
from closedloop.events import ConversationChange

#: A sync asks for reviews changed since the last complete sync started, less this much: platforms index a
#: change a little after it happens, and seeing a review twice costs nothing.
OVERLAP = timedelta(minutes=10)


def marker_name(platform: str) -> str:
    return f"sync:{platform}"


@attrs.define
class SyncReport:
    """What ``desk.sync`` did, counted in reviews: ``added`` opened a conversation, ``updated`` changed one
    already there, ``unchanged`` had nothing new. ``edits`` and ``replies`` count what was recorded: edits
    by the customer, and replies the business made on the platform itself. ``rejected`` lists reviews that
    could not be taken in (their place is unknown, say) with the reason; ``complete`` is False until the
    whole platform was read."""

    platform: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    edits: int = 0
    replies: int = 0
    rejected: list[tuple[str, str]] = attrs.field(factory=list)
    complete: bool = False

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.rejected)

    def count(self, change: ConversationChange, *, new: bool) -> None:
        kinds = [entry.kind for entry in change.added]
        self.edits += kinds.count(InteractionKind.CUSTOMER_MESSAGE)
        self.replies += kinds.count(InteractionKind.REVIEW_REPLY)
        if not new:
            self.updated += 1

    def __str__(self) -> str:
        return (
            f"{self.platform}: {self.added} added, {self.updated} updated ({self.edits} edits, {self.replies} "
            f"replies made on the platform), {self.unchanged} unchanged, {len(self.rejected)} rejected"
        )

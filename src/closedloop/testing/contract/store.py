"""The whole store contract: one part per repository of the port, and the transaction that holds them."""

from __future__ import annotations

from closedloop.testing.contract.conversations import ConversationsContract
from closedloop.testing.contract.directory import DirectoryContract
from closedloop.testing.contract.inbox import InboxContract
from closedloop.testing.contract.library import LibraryContract
from closedloop.testing.contract.markers import MarkersContract
from closedloop.testing.contract.outbox import OutboxContract
from closedloop.testing.contract.privacy import PrivacyContract
from closedloop.testing.contract.quality import QualityContract
from closedloop.testing.contract.reports import ReportsContract
from closedloop.testing.contract.search import SearchContract
from closedloop.testing.contract.tokens import TokensContract
from closedloop.testing.contract.transactions import TransactionContract


class StoreContract(
    TransactionContract,
    DirectoryContract,
    ConversationsContract,
    InboxContract,
    OutboxContract,
    TokensContract,
    MarkersContract,
    LibraryContract,
    ReportsContract,
    QualityContract,
    PrivacyContract,
    SearchContract,
):
    """The behaviour closedloop relies on from a store. Not collected itself: its name lacks ``Test``."""

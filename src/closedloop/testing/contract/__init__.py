"""The contract every store passes: subclass :class:`StoreContract`, implement ``make_store``, let pytest run it.

It is shipped inside the package so that third-party stores run exactly the suite the built-in memory,
SQLite and PostgreSQL stores run::

    from closedloop.testing.contract import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self):
            return MyStore(...)

It exercises every method of every repository of :mod:`closedloop.ports.store`, one module per repository
(``directory``, ``conversations`` and ``inbox``, ``outbox``, ``tokens``, ``markers``, ``library``,
``reports``, ``quality``, ``privacy``, ``search``) and one for the transaction itself; each part can also be subclassed
alone while a store is being written.

A store that also offers :class:`closedloop.ports.ReadsBesideWrites` subclasses
:class:`ReadsBesideWritesContract` instead, which adds what that promise means; one that offers
:class:`closedloop.ports.WritesInBulk` adds :class:`WritesInBulkContract` as well.
"""

from closedloop.testing.contract.base import ContractBase, at_once
from closedloop.testing.contract.conversations import ConversationsContract
from closedloop.testing.contract.directory import DirectoryContract
from closedloop.testing.contract.extensions import ReadsBesideWritesContract, WritesInBulkContract
from closedloop.testing.contract.inbox import InboxContract
from closedloop.testing.contract.library import LibraryContract
from closedloop.testing.contract.markers import MarkersContract
from closedloop.testing.contract.outbox import OutboxContract
from closedloop.testing.contract.privacy import PrivacyContract
from closedloop.testing.contract.quality import QualityContract
from closedloop.testing.contract.reports import ReportsContract
from closedloop.testing.contract.search import SearchContract
from closedloop.testing.contract.store import StoreContract
from closedloop.testing.contract.tokens import TokensContract
from closedloop.testing.contract.transactions import TransactionContract

__all__ = [
    "ContractBase",
    "ConversationsContract",
    "DirectoryContract",
    "InboxContract",
    "LibraryContract",
    "MarkersContract",
    "OutboxContract",
    "PrivacyContract",
    "QualityContract",
    "ReadsBesideWritesContract",
    "ReportsContract",
    "SearchContract",
    "StoreContract",
    "TokensContract",
    "TransactionContract",
    "WritesInBulkContract",
    "at_once",
]

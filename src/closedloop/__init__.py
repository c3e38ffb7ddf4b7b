"""closedloop: take in customer feedback, triage it in an inbox, and close the loop with each customer.

Start with :class:`Desk`::

    from closedloop import Desk
    desk = Desk.open()

The domain's names are imported here at once (the domain is pure and quick to load); every other name is
imported on first use, so that ``import closedloop.domain``, which runs this module first, loads neither the
Desk nor the stores, plugins and validators behind it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from closedloop.domain import *  # noqa: F403 - the domain's public names are closedloop's public names
from closedloop.domain import __all__ as _domain_names

if TYPE_CHECKING:
    from closedloop.app.analysis import AnalysisReport
    from closedloop.app.batches import IngestReport, Rejection
    from closedloop.app.exporting import ExportReport
    from closedloop.app.importing import ImportReport, RowRejection
    from closedloop.app.library import CommonReplies, TemplateLibrary
    from closedloop.app.outbox import DispatchReport
    from closedloop.app.privacy import ErasureReport
    from closedloop.app.quality import QualityDesk
    from closedloop.app.retention import RetentionReport
    from closedloop.app.sync import SyncReport
    from closedloop.desk import Desk
    from closedloop.domain.inbox import Counts, Page
    from closedloop.events import ConversationChange
    from closedloop.hookspecs import hookimpl
    from closedloop.plugins import PluginRefused
    from closedloop.ports import Analyzer, Assistant, Channel, Connector, ReviewSource, SendResult
    from closedloop.registry import Registry
    from closedloop.settings import Settings

__version__ = "0.1.0"

#: Where each public name beyond the domain's lives; ``__getattr__`` imports it from there when asked.
_LAZY_NAMES: dict[str, str] = {
    "AnalysisReport": "closedloop.app.analysis",
    "Analyzer": "closedloop.ports",
    "Assistant": "closedloop.ports",
    "Channel": "closedloop.ports",
    "CommonReplies": "closedloop.app.library",
    "Connector": "closedloop.ports",
    "ConversationChange": "closedloop.events",
    "Counts": "closedloop.domain.inbox",
    "Desk": "closedloop.desk",
    "DispatchReport": "closedloop.app.outbox",
    "ErasureReport": "closedloop.app.privacy",
    "ExportReport": "closedloop.app.exporting",
    "ImportReport": "closedloop.app.importing",
    "IngestReport": "closedloop.app.batches",
    "Page": "closedloop.domain.inbox",
    "PluginRefused": "closedloop.plugins",
    "QualityDesk": "closedloop.app.quality",
    "Registry": "closedloop.registry",
    "Rejection": "closedloop.app.batches",
    "RetentionReport": "closedloop.app.retention",
    "ReviewSource": "closedloop.ports",
    "RowRejection": "closedloop.app.importing",
    "SendResult": "closedloop.ports",
    "Settings": "closedloop.settings",
    "SyncReport": "closedloop.app.sync",
    "TemplateLibrary": "closedloop.app.library",
    "hookimpl": "closedloop.hookspecs",
}

__all__ = [
    *_domain_names,
    "AnalysisReport",
    "Analyzer",
    "Assistant",
    "Channel",
    "CommonReplies",
    "Connector",
    "ConversationChange",
    "Counts",
    "Desk",
    "DispatchReport",
    "ErasureReport",
    "ExportReport",
    "ImportReport",
    "IngestReport",
    "Page",
    "PluginRefused",
    "QualityDesk",
    "Registry",
    "Rejection",
    "RetentionReport",
    "ReviewSource",
    "RowRejection",
    "SendResult",
    "Settings",
    "SyncReport",
    "TemplateLibrary",
    "hookimpl",
]


def _lazy_attribute(name: str) -> object:
    """Import a public name from its module the first time it is asked for, and keep it here."""
    home = _LAZY_NAMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if not TYPE_CHECKING:
    # Hidden from type checkers, which see the imports above instead: a misspelt name stays an error for them.
    __getattr__ = _lazy_attribute

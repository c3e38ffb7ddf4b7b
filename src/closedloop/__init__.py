"""closedloop: take in customer feedback, triage it in an inbox, and close the loop with each customer.

Start with :class:`Desk`::

    from closedloop import Desk
    desk = Desk.open()
"""

from closedloop.desk import Desk, DispatchReport
from closedloop.domain import *  # noqa: F403 - the domain's public names are closedloop's public names
from closedloop.domain import __all__ as _domain_names
from closedloop.domain.inbox import Counts, Page
from closedloop.events import ConversationChange
from closedloop.hookspecs import hookimpl
from closedloop.library import CommonReplies, TemplateLibrary
from closedloop.plugins import PluginRefused
from closedloop.ports import Connector, ReviewSource, SendResult
from closedloop.registry import Registry
from closedloop.settings import Settings
from closedloop.sync import SyncReport

__version__ = "0.1.0"

__all__ = [
    *_domain_names,
    "CommonReplies",
    "Connector",
    "ConversationChange",
    "Counts",
    "Desk",
    "DispatchReport",
    "Page",
    "PluginRefused",
    "Registry",
    "ReviewSource",
    "SendResult",
    "Settings",
    "SyncReport",
    "TemplateLibrary",
    "hookimpl",
]

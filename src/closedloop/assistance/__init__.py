"""closedloop's offline assistant: first replies from editable templates, rephrasing from a fixed phrase bank."""

from closedloop.assistance.offline import OfflineAssistant
from closedloop.assistance.templates import DraftTemplates

__all__ = ["DraftTemplates", "OfflineAssistant"]

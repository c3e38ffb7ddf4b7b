"""The errors closedloop raises: each says what was wrong and how to fix it.

Every refusal is a :class:`ClosedLoopError`, so an application can catch one class at its edge and show the
message to a person. A refused action never changes stored data.
"""

from __future__ import annotations


class ClosedLoopError(Exception):
    """Base class of every error closedloop raises on purpose."""


class InvalidInput(ClosedLoopError, ValueError):
    """A value given by the caller cannot be used as it is."""


class InvalidTransition(ClosedLoopError):
    """The conversation's status does not allow this action."""


class AccessDenied(ClosedLoopError):
    """The acting user may not see the place this concerns."""


class NotFound(ClosedLoopError, LookupError):
    """Nothing is stored under the id that was given."""


class ChannelUnavailable(ClosedLoopError):
    """No channel can carry this message: none is registered, or it cannot express what was asked."""


class NotConfigured(ClosedLoopError):
    """A desk setting this action needs was not given to ``Desk.open``."""


class ConcurrentUpdate(ClosedLoopError):
    """Someone else changed the conversation since it was loaded; load it again and retry."""


class InvalidToken(ClosedLoopError):
    """A customer reply link cannot be used; the subclass says why, and nothing about any conversation."""


class UnknownToken(InvalidToken):
    """The reply link is not one this desk issued."""


class ExpiredToken(InvalidToken):
    """The reply link is older than the desk's link lifetime."""


class UsedToken(InvalidToken):
    """The reply link was already used to post a message."""


class AlreadyStored(InvalidInput):
    """A record with the same identity is already stored: every store raises this for a duplicate insert."""


class DuplicateFeedback(AlreadyStored):
    """Feedback with the same (source, platform, external id) is already stored."""


class StoreUnavailable(ClosedLoopError):
    """The store cannot be opened, read or written as asked: a missing folder, a read-only file system, a full
    disk, a file that is not a database or is damaged. The message says which, and what to do."""


class ForeignDatabase(StoreUnavailable):
    """The database holds another application's tables; closedloop adds its own only when asked to."""


class UnreadableRecord(ClosedLoopError):
    """A stored record cannot be read back (altered outside closedloop, or written by a faulty release); the
    message names it. Other records stay readable."""


class AssistantFailed(ClosedLoopError):
    """An assistant could not write a draft: its provider failed, timed out or refused; nothing was recorded."""


class AnalysisFailed(ClosedLoopError):
    """An analyzer could not analyse a batch (its provider failed, or answered with something unreadable); the
    feedback is kept without that analyzer's concepts, and ``desk.analyze`` can run it again."""

"""The pure domain: the rules of closed-loop feedback handling, with no I/O and no framework.

It imports nothing but attrs, the standard library and itself (``tests/unit/test_architecture.py`` checks
it); adapters and the ``Desk`` facade use it. Status moves are listed once, in :mod:`.transitions`.
"""

from closedloop.domain.alerts import (
    Alert,
    AlertRule,
    AlertStatus,
    KeywordsInComments,
    RatingAtMost,
    default_rules,
    low_csat,
    low_stars,
    nps_detractor,
)
from closedloop.domain.conversation import (
    Actor,
    ActorKind,
    Category,
    Concept,
    Conversation,
    Folder,
    Interaction,
    InteractionKind,
    Status,
)
from closedloop.domain.customer import MAX_CUSTOMER_MESSAGE, CustomerView, ReplyToken
from closedloop.domain.customer_file import CustomerFile
from closedloop.domain.errors import (
    AccessDenied,
    AlreadyStored,
    ChannelUnavailable,
    ClosedLoopError,
    ConcurrentUpdate,
    DuplicateFeedback,
    ExpiredToken,
    InvalidInput,
    InvalidToken,
    InvalidTransition,
    NotConfigured,
    NotFound,
    UnknownToken,
    UsedToken,
)
from closedloop.domain.feedback import Comment, Contact, Feedback, Rating, RatingKind, Source
from closedloop.domain.messages import ChannelLimits, Delivery, MessageKind, OutboundMessage, RetryPolicy
from closedloop.domain.people import Place, PlaceGroup, Role, Scope, User
from closedloop.domain.reviews import PlatformReply, PlatformReview
from closedloop.domain.templates import PLACEHOLDERS, ScopeLevel, Template

__all__ = [
    "MAX_CUSTOMER_MESSAGE",
    "PLACEHOLDERS",
    "AccessDenied",
    "Actor",
    "ActorKind",
    "Alert",
    "AlertRule",
    "AlertStatus",
    "AlreadyStored",
    "Category",
    "ChannelLimits",
    "ChannelUnavailable",
    "ClosedLoopError",
    "Comment",
    "Concept",
    "ConcurrentUpdate",
    "Contact",
    "Conversation",
    "CustomerFile",
    "CustomerView",
    "Delivery",
    "DuplicateFeedback",
    "ExpiredToken",
    "Feedback",
    "Folder",
    "Interaction",
    "InteractionKind",
    "InvalidInput",
    "InvalidToken",
    "InvalidTransition",
    "KeywordsInComments",
    "MessageKind",
    "NotConfigured",
    "NotFound",
    "OutboundMessage",
    "Place",
    "PlaceGroup",
    "PlatformReply",
    "PlatformReview",
    "Rating",
    "RatingAtMost",
    "RatingKind",
    "ReplyToken",
    "RetryPolicy",
    "Role",
    "Scope",
    "ScopeLevel",
    "Source",
    "Status",
    "Template",
    "UnknownToken",
    "UsedToken",
    "User",
    "default_rules",
    "low_csat",
    "low_stars",
    "nps_detractor",
]

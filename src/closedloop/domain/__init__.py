"""The pure domain: the rules of closed-loop feedback handling, with no I/O and no framework.

It imports nothing but attrs and the standard library; adapters and the ``Desk`` facade use it.
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
from closedloop.domain.customer import CustomerView, ReplyToken
from closedloop.domain.customer_file import CustomerFile
from closedloop.domain.errors import (
    AccessDenied,
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
from closedloop.domain.messages import ChannelLimits, Delivery, MessageKind, OutboundMessage
from closedloop.domain.people import Place, PlaceGroup, Role, Scope, User
from closedloop.domain.reviews import PlatformReply, PlatformReview
from closedloop.domain.templates import PLACEHOLDERS, ScopeLevel, Template

__all__ = [
    "PLACEHOLDERS",
    "AccessDenied",
    "Actor",
    "ActorKind",
    "Alert",
    "AlertRule",
    "AlertStatus",
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

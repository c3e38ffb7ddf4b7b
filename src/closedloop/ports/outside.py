"""The ports to the world outside the store: the clock, channels, review sources, assistants, analyzers.

Adapters implement these; plugins hand them to a desk through the registration hooks. They are
``typing.Protocol`` classes, so an adapter needs no closedloop base class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from closedloop.domain.conversation import Concept
from closedloop.domain.drafts import Draft, DraftRequest
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.domain.reviews import PlatformReview
from closedloop.domain.values import flag_field, instance_field, text_field


class Clock(Protocol):
    """Where a desk gets the time, so tests can move it."""

    def now(self) -> datetime: ...


@attrs.frozen(kw_only=True)
class SendResult:
    """What happened to one message handed to a channel; ``permanent`` failures are not retried."""

    message_id: str = attrs.field(validator=text_field("send result"))  # empty when the platform gives none
    ok: bool = attrs.field(validator=flag_field("send result"))
    error: str | None = attrs.field(default=None, validator=text_field("send result", optional=True))
    permanent: bool = attrs.field(default=False, validator=flag_field("send result"))
    # the platform asked us to wait this long (e.g. HTTP Retry-After); the outbox waits a year at most
    retry_after: timedelta | None = attrs.field(
        default=None, validator=instance_field(timedelta, "send result", "a timedelta or None", optional=True)
    )


@runtime_checkable
class Channel(Protocol):
    """How messages leave: email, a review platform's reply API, ...

    ``kinds`` says which messages it can carry; a channel that cannot express something raises
    :class:`closedloop.ChannelUnavailable` rather than dropping it.
    """

    @property
    def name(self) -> str: ...
    @property
    def kinds(self) -> frozenset[MessageKind]: ...
    @property
    def limits(self) -> ChannelLimits: ...

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Deliver a batch, reusing one connection where it can; one result per message, in order."""


@runtime_checkable
class Assistant(Protocol):
    """An AI provider that drafts or rephrases replies; its text is only ever a suggestion.

    An assistant that cannot do what is asked (an unknown tone, a provider that fails or times out) raises a
    :class:`closedloop.ClosedLoopError` saying so, such as :class:`closedloop.AssistantFailed`.
    """

    @property
    def name(self) -> str: ...

    def suggest(self, request: DraftRequest) -> Draft:
        """A first reply to the conversation of ``request``, in ``request.language`` and ``request.tone``."""

    def rephrase(self, text: str, *, tone: str, language: str) -> Draft:
        """``text`` said again in ``tone``; ``language`` is the text's language (``""`` when unknown)."""


@runtime_checkable
class Analyzer(Protocol):
    """Finds concepts and their sentiment in comments, a batch at a time.

    An analyzer that fails for a reason outside the caller's data (a provider down, a malformed answer) raises
    :class:`closedloop.AnalysisFailed`: intake then stores the feedback without that analyzer's concepts and
    reports it, and ``desk.analyze`` can run it again later.
    """

    @property
    def name(self) -> str: ...

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> Sequence[Iterable[Concept]]:
        """The concepts of each text, one result per text and in order; ``languages[i]`` is the language the
        feedback gave for text ``i`` (``"en"``, ``"fr"``, or ``""`` when unknown), which may be wrong."""


@runtime_checkable
class ReviewSource(Protocol):
    """Where a review platform's reviews are read from, for ``desk.sync(platform)``.

    ``reviews(since=...)`` yields pages of reviews; ``since`` is when the last complete sync started (``None``
    the first time), and a source may stop once the rest is older, or yield everything: a review seen again
    records nothing. Each review's feedback names the desk's place it belongs to.

    Beyond the protocol, the desk reads a few members a source may have:

    - ``lists_by_creation = True`` says the platform lists reviews by creation, not by last change; ``since``
      is then earlier by ``look_back`` (a ``timedelta``, 30 days when the source has none), so that edits and
      replies on reviews written in that window are seen.
    - ``review(raw)`` and ``review_id(raw)``: a page may then hold what the platform gave, which the desk maps
      with ``review``; an item it cannot map is rejected alone, in the sync's report, under ``review_id``.
    """

    @property
    def platform(self) -> str: ...

    def reviews(self, *, since: datetime | None) -> Iterable[Sequence[PlatformReview | Any]]: ...


@runtime_checkable
class Connector(ReviewSource, Channel, Protocol):
    """A review platform's connector: the source of its reviews and the channel of its replies in one object,
    whose channel ``name`` is its ``platform``, so one desk's sync and replies share its state (a token, a
    client)."""

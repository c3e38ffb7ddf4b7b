"""Opening conversations for new feedback: telling a batch's new items from its duplicates, and opening each
new one with its alert and its analyzers' concepts. Intake and review sync both open conversations this way."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

from closedloop.analysis import language_of
from closedloop.app.batches import OpenedBatch
from closedloop.app.context import Context
from closedloop.domain import rules
from closedloop.domain.alerts import raise_alert
from closedloop.domain.conversation import Concept
from closedloop.domain.errors import AnalysisFailed
from closedloop.domain.feedback import Feedback
from closedloop.domain.text import shown
from closedloop.ports import FeedbackKey, StoreTransaction

logger = logging.getLogger("closedloop.analysis")


def sort_batch(
    tx: StoreTransaction, feedbacks: Sequence[tuple[int, Feedback]], in_flight: Collection[FeedbackKey]
) -> tuple[OpenedBatch, dict[FeedbackKey, Feedback]]:
    """Tell a batch's new feedback from its duplicates (of what is stored or ``in_flight``) and its feedback
    for unknown places."""
    batch = OpenedBatch()
    keyed = [(position, feedback, feedback.key) for position, feedback in feedbacks]
    places = tx.directory.place_ids()
    stored = batch.stored = tx.conversations.find(list({key for _position, _feedback, key in keyed}))
    fresh: dict[FeedbackKey, Feedback] = {}
    for position, feedback, key in keyed:
        if key in stored or key in fresh or key in in_flight:
            batch.duplicates += 1
        elif feedback.place_id not in places:
            batch.unknown_places.append((position, feedback))
        else:
            fresh[key] = feedback
    return batch, fresh


def open_fresh(ctx: Context, batch: OpenedBatch, fresh: Mapping[FeedbackKey, Feedback]) -> OpenedBatch:
    """Open a conversation for each new feedback, with its alert and its analyzers' concepts."""
    now = ctx.now()
    news = list(fresh.values())
    alert_rules = ctx.registry.alert_rules
    analyses = analyze(ctx, news, batch.analysis_failures)
    batch.opened = [
        rules.open_conversation(
            conversation_id, feedback, now=now, alert=raise_alert(feedback, alert_rules, now), analysis=analysis
        )
        for conversation_id, feedback, analysis in zip(ctx.ids(len(news)), news, analyses, strict=True)
    ]
    batch.keys = fresh.keys()
    return batch


def analyze_ahead(ctx: Context, batch: Sequence[Feedback]) -> None:
    """Tell the analyzers that can start early (an ``analyze_ahead`` method, as the offline analyzer's) what the
    next batch holds, so they work on it while this one is stored. A failure here is only a lost head start."""
    analyzers = ctx.registry.analyzers
    starters = [
        (analyzer, ahead) for analyzer in analyzers if callable(ahead := getattr(analyzer, "analyze_ahead", None))
    ]
    if not starters:  # nothing to compute the texts for
        return
    texts = [feedback.text for feedback in batch]
    languages = [language_of(feedback.locale) for feedback in batch]
    for analyzer, ahead in starters:
        try:
            ahead(texts, languages=languages)
        except Exception:  # ``analyze`` does the work and reports its failures
            logger.debug("analyzer %r could not start ahead", analyzer.name, exc_info=True)


def analyze(ctx: Context, batch: Sequence[Feedback], failures: list[str]) -> list[tuple[Concept, ...]]:
    """What every registered analyzer finds in each feedback's comments, in the order of ``batch``.

    An analyzer that raises :class:`AnalysisFailed` adds nothing to this batch and its reason to ``failures``:
    the feedback is kept all the same, and ``desk.analyze`` can run the analyzer again later.
    """
    analyzers = ctx.registry.analyzers
    if not batch or not analyzers:
        return [() for _ in batch]
    found: list[list[Concept]] = [[] for _ in batch]
    texts = [feedback.text for feedback in batch]
    languages = [language_of(feedback.locale) for feedback in batch]
    for analyzer in analyzers:
        try:
            results = list(analyzer.analyze(texts, languages=languages))
            if len(results) != len(texts):
                raise AnalysisFailed(f"it gave {len(results)} results for {len(texts)} texts")
            concepts_of = [tuple(concepts) for concepts in results]
            for concepts in concepts_of:
                for concept in concepts:
                    if not isinstance(concept, Concept):
                        raise AnalysisFailed(f"it gave {shown(concept)} where a Concept(name=..., sentiment=...) goes")
        except AnalysisFailed as error:
            failures.append(f"analyzer {analyzer.name!r} failed: {error}")
            logger.warning("analyzer %r failed on %d texts: %s", analyzer.name, len(texts), error)
            continue
        for index, concepts in enumerate(concepts_of):
            found[index].extend(concepts)
    return [tuple(concepts) for concepts in found]

"""The retention policy: personal data is kept only as long as the desk's policy says, then erased.

A run erases the personal data of conversations done, and left untouched, for longer than the policy's
``done_after``, and of those marked as spam for longer than ``spam_after``, each conversation losing its own
contact's data; then it forgets erasure records kept past their time. Running it again erases nothing more,
and a dry run only counts what a run would erase.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from closedloop.app import arguments
from closedloop.app.context import Context
from closedloop.app.customers import normal_email
from closedloop.app.erasing import ERASE_BATCH, Erasure
from closedloop.app.erasing import erase as erase_conversations
from closedloop.contacts import ContactChecker
from closedloop.domain.conversation import SYSTEM, Conversation, Folder
from closedloop.domain.privacy import ErasureRecord, PersonalData, holds_personal_data, names_of

#: Who the records of the policy's erasures name.
RETENTION = "retention"


@attrs.frozen(kw_only=True)
class RetentionReport:
    """What ``desk.apply_retention`` erased (or, in a dry run, would erase): conversations done or spam for
    longer than the policy keeps them, and erasure records past their time."""

    dry_run: bool
    done: int = 0
    spam: int = 0
    records_forgotten: int = 0
    erasure_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        records = "would forget" if self.dry_run else "forgot"
        return (
            f"retention {verb} the personal data of {self.done} done and {self.spam} spam conversations, "
            f"and {records} {self.records_forgotten} erasure records"
        )


def apply_retention(
    ctx: Context, dry_run: object, progress: Callable[[RetentionReport], object] | None
) -> RetentionReport:
    """Apply the desk's retention policy now; see the module's docstring."""
    dry_run = arguments.flag(dry_run, "dry_run")
    progress = arguments.callback(progress, "progress")
    policy, now = ctx.settings.retention, ctx.now()
    report = RetentionReport(dry_run=dry_run)
    for folder, kept in ((Folder.DONE, policy.done_after), (Folder.SPAM, policy.spam_after)):
        if kept is None:
            continue
        due = _due(ctx, folder, now - kept)
        if due and not dry_run:
            record = ErasureRecord(
                id=ctx.new_id(),
                at=now,
                by=RETENTION,
                reason=f"retention policy: {folder.value} for more than {_days(kept)}",
                subject=f"{len(due)} conversations",
                conversations=len(due),
                keep_until=now + policy.records_for,
            )
            erase_conversations(ctx, Erasure(record=record, actor=SYSTEM, person_of=_own_data(ctx.contacts)), due)
            report = attrs.evolve(report, erasure_ids=(*report.erasure_ids, record.id))
        report = attrs.evolve(report, done=len(due)) if folder is Folder.DONE else attrs.evolve(report, spam=len(due))
        if progress is not None:
            progress(report)
    with ctx.store.transaction() as tx:
        if dry_run:
            forgotten = sum(record.keep_until < now for record in tx.privacy.erasures())
        else:
            forgotten = tx.privacy.forget_erasures(now)
    return attrs.evolve(report, records_forgotten=forgotten)


def _days(kept: timedelta) -> str:
    return f"{kept.days} days" if kept.days != 1 else "1 day"


def _due(ctx: Context, folder: Folder, before: datetime) -> list[str]:
    """The conversations of ``folder`` untouched since ``before`` that still hold personal data."""
    due: list[str] = []
    after = None
    with ctx.reading() as tx:
        while ids := tx.privacy.untouched(folder, before, after, ERASE_BATCH * 10):
            due.extend(
                conversation_id for conversation_id in ids if holds_personal_data(tx.conversations.get(conversation_id))
            )
            after = ids[-1]
    return due


def _own_data(checks: ContactChecker) -> Callable[[Conversation], PersonalData]:
    """Each conversation loses its own contact's data: retention erases conversations, not customers."""

    def person_of(conversation: Conversation) -> PersonalData:
        contact = conversation.feedback.contact
        email = normal_email(contact.email) if contact.email.strip() else ""
        phone = checks.phone(contact.tel) if contact.tel.strip() else None
        digits = checks.national_digits(contact.tel) if contact.tel.strip() else None
        return PersonalData(
            names=names_of([contact]),
            emails=frozenset({email} - {""}),
            phones=frozenset(value for value in (phone,) if value),
            phone_digits=frozenset(value for value in (digits,) if value),
        )

    return person_of

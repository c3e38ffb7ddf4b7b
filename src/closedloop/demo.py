"""The whole loop on sample feedback, printed for a person: what ``python -m closedloop demo`` runs."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from closedloop.desk import Desk
from closedloop.domain.conversation import Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Contact, Feedback, Rating, RatingKind, Source
from closedloop.domain.people import Place, PlaceGroup, Role, User
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

Print = Callable[[str], None]


def sample_feedback(clock: FakeClock) -> list[Feedback]:
    """Five pieces of feedback received over the last hours: angry, delighted, lukewarm, a review, spam."""

    def received(
        source: Source, external_id: str, place_id: str, contact: Contact, rating: Rating, comment: str
    ) -> Feedback:
        hours_ago = 5 - len(items)
        platform = "google" if source.is_public else ""
        return Feedback(source=source, platform=platform, external_id=external_id, place_id=place_id,
                        received_at=clock.now() - timedelta(hours=hours_ago), contact=contact,
                        ratings=[rating], comments=comment)  # fmt: skip

    items: list[Feedback] = []
    for row in (
        (Source.SURVEY, "s-101", "paris-opera",
         Contact(name="Claire Martin", email="claire.martin@example.com", tel="+33 6 12 34 56 78"),
         Rating(key="nps", kind=RatingKind.NPS, value=3), "Waited 40 minutes and the order was wrong."),
        (Source.SURVEY, "s-102", "paris-opera", Contact(name="Hugo Bernard", email="hugo@example.com"),
         Rating(key="nps", kind=RatingKind.NPS, value=10), "Lovely staff, thank you!"),
        (Source.RATING, "r-201", "lyon-centre", Contact(name="Ines Petit", email="ines.petit@example.com"),
         Rating(key="csat", kind=RatingKind.CSAT, value=4), "Accueil adorable, mais un peu bruyant."),
        (Source.REVIEW, "g-301", "lyon-centre", Contact(name="Marc D."),
         Rating(key="stars", kind=RatingKind.STARS, value=1), "Rude at the counter."),
        (Source.SURVEY, "s-103", "lyon-centre", Contact(name="Win Prize", email="win@example.com"),
         Rating(key="csat", kind=RatingKind.CSAT, value=5), "Click here for free money"),
    ):  # fmt: skip
        items.append(received(*row))
    return items


def counts_line(desk: Desk, user: str, places: list[str] | None = None) -> str:
    """The counts of a user's folders, over ``places`` when given (as the page under them is)."""
    counts = desk.counts(user, places)
    return (
        f"Inbox {counts.inbox}  (on hold {counts.on_hold}, alerts {counts.alert}, new messages "
        f"{counts.new_message})   Done {counts.done}   Spam {counts.spam}"
    )


def show_inbox(desk: Desk, user: str, title: str, out: Print) -> None:
    """The counts and every folder, in the table ``closedloop inbox`` prints, before and after the work."""
    from rich.console import Console

    from closedloop.commands.inbox import inbox_table
    from closedloop.terminal import console

    out(f"\n== {title} ==")
    out(counts_line(desk, user))
    with desk.store.transaction() as tx:
        places = dict(tx.directory.places())
    width = console().width
    for folder in Folder:
        items = desk.inbox(user, folder=folder).items
        if items:
            text = io.StringIO()
            Console(file=text, width=width, highlight=False, no_color=True).print(inbox_table(items, places, width))
            out(f"{folder.value.capitalize()}:\n" + text.getvalue().rstrip("\n"))


def show_folder(desk: Desk, user: str, folder: str, out: Print) -> None:
    """The counts and the first page of one folder, for ``closedloop inbox``."""
    out(counts_line(desk, user))
    page = desk.inbox(user, folder=folder)
    for conversation in page.items:
        out(f"  {describe(conversation)}")
    if page.unreadable:
        out(f"  ({len(page.unreadable)} conversations could not be read back: {', '.join(page.unreadable)})")


def show_concepts(conversations: list[Conversation], out: Print) -> None:
    """What the offline analyzer found in each comment at intake, the sentiment from -1 to 1."""
    out("\n== What customers talk about ==")
    for conversation in conversations:
        found = ", ".join(f"{concept.name} {concept.sentiment:+.2f}" for concept in conversation.analysis)
        out(f"  {conversation.feedback.contact.name or 'anonymous':14} {found or '(no concept found)'}")


def describe(conversation: Conversation) -> str:
    feedback = conversation.feedback
    scores = ", ".join(f"{rating.key} {rating.value:g}" for rating in feedback.ratings)
    name = feedback.contact.name or "anonymous"
    return (
        f"{conversation.category.value:11} {conversation.status.value:21} {name:14} {scores:9} "
        f"{feedback.place_id}: {feedback.text[:38]}"
    )


def run(out: Print = print, url: str | None = None) -> Desk:
    """Open a desk on ``url`` (in memory by default), take in the samples, work them, and print the inbox
    before and after. The story starts six hours ago, so the clock can move on as people answer."""
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=6))
    email = RecordingChannel("email")
    desk = Desk.open(
        url, clock=clock, plugins=[email], business_name="Chez Closedloop", customer_service_email="care@example.com"
    )
    with desk.store.transaction() as tx:
        stored = sum(tx.conversations.counts(None).values())
    if stored:
        desk.close()
        raise InvalidInput(f"the demo needs an empty database, and {url} already holds {stored} conversations")
    desk.add_place(Place(id="paris-opera", name="Chez Closedloop Opéra"))
    desk.add_place(Place(id="lyon-centre", name="Chez Closedloop Lyon"))
    desk.add_group(PlaceGroup(id="france", name="France", place_ids={"paris-opera", "lyon-centre"}))
    desk.add_user(User(id="ana", name="Ana Roux", role=Role.MANAGER, email="ana@example.com", groups={"france"}))
    desk.add_user(User(id="leo", name="Léo Faure", email="leo@example.com", places={"lyon-centre"}))

    conversations = {item.external_id: desk.ingest(item) for item in sample_feedback(clock)}
    show_inbox(desk, "ana", "Ana's inbox after intake", out)
    show_concepts(list(conversations.values()), out)

    angry, happy, noisy = conversations["s-101"], conversations["s-102"], conversations["r-201"]
    out("\n== Closing the loop ==")
    clock.advance(minutes=5)
    desk.log_call(angry.id, by="ana", summary="Apologised, offered a free meal", alert_status="in_progress")
    out("Ana logs a call with Claire (alert in progress).")
    clock.advance(minutes=1)
    desk.reply(angry.id, by="ana", body="Claire, we are sorry. Your next meal is on us.")
    desk.dispatch()
    link = email.sent[-1].reply_link or ""
    out(f"Ana emails Claire; the email carries a one-time link: {link[:48]}...")
    clock.advance(hours=2)
    token = link.rsplit("/", 1)[-1]
    desk.customer_reply(token, body="Thank you, I will come back on Friday.")
    out("Claire answers through the link: her conversation is back in the inbox, unread.")
    desk.mark_read(angry.id, by="ana")
    desk.mark_done(angry.id, by="ana")
    out("Ana reads it and marks it done; the alert is processed.")
    replies = desk.common_replies("ana")
    replies.add("Thank you for your kind words, see you soon!")
    desk.reply(happy.id, by="ana", body=replies.pick(0))
    out("Ana thanks Hugo with one of her common replies.")
    draft = desk.suggest_reply(noisy.id, by="ana")
    out(f"Ana asks for a draft for Ines, who wrote in French ({draft.assistant} assistant, {draft.model}):")
    out("    " + draft.text.replace("\n", "\n    "))
    desk.forward(noisy.id, by="ana", to="leo", note="Lyon is yours: can you look at the noise?")
    desk.hold(noisy.id, by="leo")
    out("Ana forwards Ines's rating to Léo, who puts it on hold.")
    desk.mark_spam(conversations["s-103"].id, by="ana")
    out("Ana marks the 'free money' survey as spam.")
    report = desk.dispatch()
    out(f"The outbox delivered {report.sent} more message(s) ({len(email.sent)} in all).")
    hugo_link = next(message.reply_link for message in email.sent if message.conversation_id == happy.id)
    out(f"Hugo's reply link, unused yet (open it while `closedloop serve` runs): {hugo_link}")

    show_inbox(desk, "ana", "Ana's inbox after the work", out)
    return desk

"""One customer file as ``closedloop show`` prints it: the facts, the customer's words and the whole history,
as the person handling the feedback reads them. Apart from the command, so that rich is imported only when a
file is shown."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from closedloop.commands.rows import MESSAGES, author, ratings_text, when
from closedloop.domain.conversation import Interaction
from closedloop.domain.customer_file import CustomerFile
from closedloop.terminal import printable


def facts(file: CustomerFile) -> Table:
    """The facts, a label and a value per line; empty ones are left out. Every text from the store is shown
    :func:`printable`, here and in the sections: a customer's words must not steer the agent's terminal."""
    conversation, feedback = file.conversation, file.feedback
    contact = feedback.contact
    alert = file.alert
    rows = [
        ("Status", f"{conversation.status.value.replace('_', ' ')} ({conversation.folder.value} folder, "
                   f"{conversation.category.value.replace('_', ' ')})"),
        ("Place", f"{file.place.name} ({file.place.id})"),
        ("Customer", " · ".join(part for part in (contact.name, contact.email, contact.tel) if part) or "anonymous"),
        ("Received", f"{when(feedback.received_at)} UTC, {feedback.source.value}"
                     f"{' on ' + feedback.platform if feedback.platform else ''}, id {feedback.external_id}"),
        ("Ratings", ratings_text(feedback.ratings)),
        ("Alert", f"{alert.status.value.replace('_', ' ')}: {'; '.join(alert.reasons)}" if alert else ""),
        ("Concepts", ", ".join(f"{concept.name} {concept.sentiment:+.2f}" for concept in file.analysis)),
        ("Assigned to", conversation.assignee or ""),
        ("On hold", "yes" if conversation.on_hold else ""),
        ("Updated", f"{when(conversation.last_updated_at)} UTC by {conversation.last_updated_by}"),
        ("Language", feedback.locale),
        ("Test", "yes, left out of reports" if feedback.test else ""),
    ]  # fmt: skip
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        if value:
            table.add_row(label, Text(printable(value)))
    return table


def section(title: str, lines: list[tuple[str, str]]) -> RenderableType:
    """A titled list of label and text; the texts wrap, since here they are read in full."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for label, text in lines:
        grid.add_row(Text(printable(label)), Text(printable(text)))
    return Group(Text(f"\n{title}", style="bold"), Padding(grid, (0, 0, 0, 2), expand=False))


def history_line(entry: Interaction) -> tuple[str, str]:
    what = MESSAGES.get(entry.kind, entry.kind.value.replace("_", " "))
    said = entry.body
    if entry.to_status is not None and not said:
        said = f"status {entry.to_status.value.replace('_', ' ')}"
    if entry.recipients:
        said = f"to {', '.join(entry.recipients)}" + (f": {said}" if said else "")
    return f"{when(entry.at)}  {author(entry)} ({what})", said


def render(file: CustomerFile) -> RenderableType:
    feedback = file.feedback
    parts: list[RenderableType] = [Text(f"Conversation {file.conversation.id}", style="bold"), facts(file)]
    comments = [(comment.question, comment.text) for comment in feedback.comments if comment.text.strip()]
    if comments:
        parts.append(section("Comments", comments))
    if feedback.answers:
        parts.append(section("Answers", list(feedback.answers.items())))
    if feedback.metadata:
        parts.append(section("Metadata", list(feedback.metadata.items())))
    parts.append(section("History", [history_line(entry) for entry in file.history] or [("", "nothing yet")]))
    return Group(*parts)

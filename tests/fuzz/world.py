"""The world every fuzzed call runs in: a desk on one store, seeded so that each entry point can get past its
first checks (places and groups, users of every role, conversations of each kind and status, a sent reply
with a known link, a failed message, templates, common replies, a synced review platform, an assistant).

The seeded store is built once per kind of store and session; a world starts each example from a copy of it,
so every example sees the same world and a failure replays as it happened. Making that copy costs a few
milliseconds, so it is made only after a call that changed something (a refused call must not, and a read
does not).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

import closedloop as cl
from closedloop.domain.customer import hash_token
from closedloop.domain.inbox import MAX_PAGE, Cursor, InboxQuery, UnreadableConversation
from closedloop.storage.memory import MemoryStore
from closedloop.storage.sql.store import SqlStore
from closedloop.testing import FakeClock, RecordingChannel

STORE_KINDS = ("memory", "sqlite")
PLATFORM = "google"
RECEIVED = datetime(2026, 1, 4, 18, 30, tzinfo=UTC)

PLACES = (
    cl.Place(id="paris", name="Paris Opera"),
    cl.Place(id="lyon", name="Lyon Centre"),
    cl.Place(id="far", name="Far Away"),
)
GROUPS = (cl.PlaceGroup(id="france", name="France", place_ids={"paris", "lyon"}),)
USERS = (
    cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN, email="ada@example.com"),
    cl.User(id="manager", name="Max Manager", role=cl.Role.MANAGER, groups={"france"}, email="max@example.com"),
    cl.User(id="agent", name="Alex Agent", role=cl.Role.AGENT, places={"lyon"}, email="alex@example.com"),
    cl.User(id="newbie", name="Nina", role=cl.Role.AGENT, places={"far"}),
)
USER_IDS = tuple(user.id for user in USERS)
TEMPLATES = (
    cl.Template(
        id="org",
        name="Everyone",
        body="Dear {first_name} {last_name} ({customer_name}), {place_name} and {agent_name} "
        "({agent_first_name}) of {business_name} thank you.",
    ),
    cl.Template(id="paris-tpl", name="Paris", body="Merci {first_name}", level=cl.ScopeLevel.PLACE, target="paris"),
    cl.Template(id="france-tpl", name="France", body="Hello", level=cl.ScopeLevel.GROUP, target="france"),
    cl.Template(id="far-tpl", name="Far", body="Far away", level=cl.ScopeLevel.PLACE, target="far"),
)
COMMON_REPLIES = {"admin": ("Thanks for your feedback!", "Sorry about that."), "agent": ("On it.",)}
CLAIRE = cl.Contact(name="Claire Martin", email="claire@example.com", tel="+33 6 12 34 56 78")
#: The conversations of the seeded world, by the name a :class:`Ref` gives them.
CONVERSATIONS = ("email", "review", "phone", "replied", "failed", "done", "held", "used", "synced")
#: Everything else a :class:`Ref` can name.
OTHER_REFS = ("token", "used-token", "message:failed", "message:pending", "cursor")


@attrs.frozen
class Ref:
    """A record of the seeded world by name, replaced by its id when the call is made: ids are random, and
    drawn examples must mean the same world every time."""

    name: str

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"Ref({self.name!r})")


def feedback(external_id: str, place_id: str, **fields: Any) -> cl.Feedback:
    values: dict[str, Any] = {"source": cl.Source.SURVEY, "received_at": RECEIVED, "contact": CLAIRE}
    values.update(fields)
    return cl.Feedback(external_id=external_id, place_id=place_id, **values)


def review(external_id: str, stars: int = 2) -> cl.Feedback:
    return feedback(
        external_id,
        "paris",
        source=cl.Source.REVIEW,
        platform=PLATFORM,
        contact=cl.Contact(name="Marc D."),
        ratings=[cl.Rating(key="stars", kind=cl.RatingKind.STARS, value=stars)],
        comments="Slow service.",
    )


class ReviewPages:
    """The review platform ``desk.sync`` reads: whatever pages the example put here."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.pages: Sequence[Any] = []

    def reviews(self, *, since: datetime | None) -> Iterator[Any]:
        yield from self.pages

    @cl.hookimpl
    def closedloop_register_sources(self, registry: cl.Registry) -> None:
        registry.add_source(self)


class EchoAssistant:
    """An assistant that drafts from what it is given, as a real one would read it."""

    name = "echo"

    def suggest(self, request: cl.DraftRequest) -> cl.Draft:
        first_name, agent = request.conversation.feedback.contact.first_name, request.agent.first_name
        return cl.Draft(text=f"Hello {first_name}, {agent} here ({request.language}).", model="echo-1")

    def rephrase(self, text: str, *, tone: str, language: str) -> cl.Draft:
        return cl.Draft(text=f"[{tone}/{language}] {text}")

    @cl.hookimpl
    def closedloop_register_assistants(self, registry: cl.Registry) -> None:
        registry.add_assistant(self)


def open_desk(store: cl.ports.Store, source: ReviewPages) -> tuple[cl.Desk, RecordingChannel]:
    """A desk with the world's settings and plugins: channels that record, the review platform, an assistant."""
    email = RecordingChannel("email")
    reviews = RecordingChannel(PLATFORM, kinds=[cl.MessageKind.REVIEW_REPLY], limits=cl.ChannelLimits(max_bytes=4096))
    desk = cl.Desk.open(
        store=store,
        business_name="Fuzz Bistro",
        customer_service_email="care@example.com",
        file_link_template="https://files.example.com/{id}",
        reply_link_base="https://feedback.example.com/reply/",
        clock=FakeClock(),
        load_entry_points=False,
        plugins=[email, reviews, source, EchoAssistant()],
    )
    return desk, email


def token_of(desk: cl.Desk, conversation_id: str) -> str:
    (message,) = [m for m in desk.outbox(conversation_id=conversation_id) if m.reply_link]
    assert message.reply_link
    return message.reply_link.rsplit("/", 1)[-1]


def seed(desk: cl.Desk, email: RecordingChannel, source: ReviewPages) -> dict[str, str]:
    """Fill a new desk with the world; returns the id of everything a :class:`Ref` can name."""
    for place in PLACES:
        desk.add_place(place)
    for group in GROUPS:
        desk.add_group(group)
    for user in USERS:
        desk.add_user(user)
    for template in TEMPLATES:
        desk.templates("admin").add(template)
    for user_id, texts in COMMON_REPLIES.items():
        for text in reversed(texts):
            desk.common_replies(user_id).add(text)
    nps = cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=3)
    refs = {
        "email": desk.ingest(feedback("fb-email", "paris", ratings=[nps], comments="The soup was cold.")).id,
        "review": desk.ingest(review("fb-review")).id,
        "phone": desk.ingest(
            feedback("fb-phone", "lyon", source=cl.Source.RATING, contact=cl.Contact(tel=CLAIRE.tel))
        ).id,
        "replied": desk.ingest(feedback("fb-replied", "paris")).id,
        "failed": desk.ingest(feedback("fb-failed", "lyon")).id,
        "done": desk.ingest(feedback("fb-done", "lyon")).id,
        "held": desk.ingest(feedback("fb-held", "paris")).id,
        "used": desk.ingest(feedback("fb-used", "paris")).id,
    }
    source.pages = [[cl.PlatformReview(feedback=review("fb-synced", stars=5), updated_at=RECEIVED)]]
    desk.sync(PLATFORM)
    source.pages = []
    (synced,) = [c for c in desk.inbox("admin", limit=50) if c.feedback.external_id == "fb-synced"]
    refs["synced"] = synced.id
    desk.reply(refs["failed"], by="admin", body="We are sorry.")
    email.fail_with, email.permanent = "550 5.1.1 no such mailbox", True
    desk.dispatch()
    email.fail_with, email.permanent = None, False
    desk.reply(refs["used"], by="admin", body="What happened?")
    refs["used-token"] = token_of(desk, refs["used"])
    desk.customer_reply(refs["used-token"], body="The soup, again.")
    desk.dispatch()
    desk.reply(refs["replied"], by="admin", body="Sorry about the soup.")
    refs["token"] = token_of(desk, refs["replied"])
    desk.mark_done(refs["done"], by="admin")
    desk.hold(refs["held"], by="admin")
    (failed,) = desk.outbox(status=cl.Delivery.FAILED)
    (pending,) = desk.outbox(status=cl.Delivery.PENDING)
    refs["message:failed"], refs["message:pending"] = failed.id, pending.id
    next_page = desk.inbox("admin", limit=1).next
    assert next_page is not None
    refs["cursor"] = next_page
    return refs


@attrs.frozen
class Seeded:
    """A seeded store kept as it was built: the memory store's tables, or the SQLite file."""

    kind: str
    refs: dict[str, str]
    memory: MemoryStore | None = None
    sqlite_file: Path | None = None


def build_seeded(kind: str, folder: Path) -> Seeded:
    source = ReviewPages()
    if kind == "memory":
        store = MemoryStore()
        desk, email = open_desk(store, source)
        refs = seed(desk, email, source)
        desk.close()
        return Seeded(kind, refs, memory=store)
    path = folder / "seeded.db"
    desk, email = open_desk(SqlStore.from_url(f"sqlite:///{path}"), source)
    refs = seed(desk, email, source)
    desk.close()
    return Seeded(kind, refs, sqlite_file=path)


def copy_memory(seeded: MemoryStore) -> MemoryStore:
    """A new memory store holding the same records (records are immutable, so sharing them is safe)."""
    fresh = MemoryStore()
    for name, table in vars(seeded).items():
        if isinstance(table, dict):
            getattr(fresh, name).update(table)
    return fresh


def shown(value: object, limit: int = 200) -> str:
    """A short picture of any value, even one whose ``repr`` raises or recurses too deep."""
    try:
        text = repr(value)
    except Exception as error:
        text = f"<{type(value).__name__} that cannot be shown: {type(error).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} chars)"


class Pictures:
    """Each value in full, as text that compares equal when the values are equal (NaN included).

    Records are frozen, so the picture of one is kept by identity: the seeded records, shared by every copy
    of the world, are pictured once.
    """

    def __init__(self) -> None:
        self.kept: dict[int, tuple[object, str]] = {}

    def of(self, value: object) -> str:
        if not attrs.has(type(value)):
            return self._drawn(value)
        kept = self.kept.get(id(value))
        if kept is None or kept[0] is not value:
            kept = self.kept[id(value)] = (value, self._drawn(value))
        return kept[1]

    @staticmethod
    def _drawn(value: object) -> str:
        try:
            return repr(value)
        except Exception as error:
            return f"<{type(value).__name__} that cannot be shown: {type(error).__name__}>"


def memory_contents(store: MemoryStore, pictures: Pictures) -> dict[str, list[tuple[str, str]]]:
    """Every table of a memory store, each record in full."""
    return {
        name: sorted((pictures.of(key), pictures.of(value)) for key, value in table.items())
        for name, table in vars(store).items()
        if isinstance(table, dict)
    }


def sqlite_contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a SQLite file, read with a connection of its own, and its schema."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.text_factory = bytes
    try:
        tables = [name.decode() for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        contents = {"sqlite_master": sorted(connection.execute("SELECT type, name, sql FROM sqlite_master"), key=repr)}
        for table in tables:
            contents[table] = sorted(connection.execute(f'SELECT * FROM "{table}"'), key=repr)
        return contents
    finally:
        connection.close()


def read_back(store: cl.ports.Store, refs: dict[str, str], pictures: Pictures) -> dict[str, str]:
    """Everything the store holds, read through the repositories of the store port, as closedloop reads it."""
    with store.transaction() as tx:
        conversations = []
        for folder in cl.Folder:
            after: Cursor | None = None
            while True:
                page = tx.conversations.page(InboxQuery(place_ids=None, folder=folder, limit=MAX_PAGE, after=after))
                conversations.extend(page)
                if len(page) < MAX_PAGE:
                    break
                after = Cursor.after(page[-1])
        unreadable = [entry.id for entry in conversations if isinstance(entry, UnreadableConversation)]
        if unreadable:
            raise cl.UnreadableRecord(f"the inbox pages hold conversations that cannot be read back: {unreadable}")
        picture = {
            "places": sorted(tx.directory.places().items()),
            "groups": sorted(tx.directory.groups().items()),
            "users": [tx.directory.get_user(user_id) for user_id in USER_IDS],
            "conversations": sorted(conversations, key=lambda conversation: conversation.id),
            "counts": sorted(tx.conversations.counts(None).items()),
            "outbox": tx.outbox.list(status=None, conversation_id=None, limit=None),
            "tokens": [tx.tokens.get(hash_token(refs[name])) for name in ("token", "used-token")],
            "markers": tx.markers.get(f"sync:{PLATFORM}"),
            "common replies": [tx.library.common_replies(user_id) for user_id in USER_IDS],
            "templates": sorted(tx.library.templates(), key=lambda template: template.id),
        }
    return {
        name: "\n".join(pictures.of(item) for item in value) if isinstance(value, list) else pictures.of(value)
        for name, value in picture.items()
    }


def copy_sqlite(seeded: Path, folder: Path, number: int) -> Path:
    path = folder / f"world-{number}.db"
    shutil.copyfile(seeded, path)
    return path


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def conversation_ids(store: cl.ports.Store) -> list[str]:
    with store.transaction() as tx:
        return [
            conversation.id
            for folder in cl.Folder
            for conversation in tx.conversations.page(InboxQuery(place_ids=None, folder=folder, limit=MAX_PAGE))
        ]

"""Shared by test_sql_store.py and the worker processes it starts (``python sql_worker.py COMMAND ...``).

As a module it gives the tests a sample world to build on a desk, a snapshot of everything a user of the
desk can see, and the start/release protocol for workers. As a script it is one worker: it opens its own
desk on a database URL, waits for the test to release every worker at once, acts, and prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from closedloop import (
    AccessDenied,
    ConcurrentUpdate,
    Contact,
    Desk,
    Feedback,
    Folder,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    Role,
    Source,
    Template,
    UsedToken,
    User,
)
from closedloop.domain import rules
from closedloop.serialization import to_data
from closedloop.storage.sql import SqlStore
from closedloop.testing import FakeClock, RecordingChannel

USERS = ("root", "ana", "zoe", "leo")
FILTERS = (None, "paris-opera", "paris-bastille", "lyon-centre", "paris", "france")
START_TIMEOUT = 60.0


# -- the sample world ------------------------------------------------------------------------------------------


def open_desk(url: str, clock: FakeClock | None = None, plugins: Sequence[object] = ()) -> Desk:
    """A desk on ``url`` with a recording email channel (and ``plugins``), on ``clock`` or the real time."""
    return Desk.open(
        url,
        clock=clock,
        plugins=[RecordingChannel("email"), *plugins],
        business_name="Chez Test",
        load_entry_points=False,
    )


def start_clock() -> FakeClock:
    """Two hours ago, so reply links made now are still valid for a desk on the real clock."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))


def feedback(external_id: str, place_id: str, nps: int, comment: str, *, at: datetime, **contact: str) -> Feedback:
    return Feedback(
        source=Source.SURVEY,
        external_id=external_id,
        place_id=place_id,
        received_at=at,
        contact=Contact(**contact),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
        comments=comment,
    )


def add_people(desk: Desk) -> None:
    desk.add_place(Place(id="paris-opera", name="Chez Test Opéra"))
    desk.add_place(Place(id="paris-bastille", name="Chez Test Bastille"))
    desk.add_place(Place(id="lyon-centre", name="Chez Test Lyon"))
    desk.add_group(PlaceGroup(id="paris", name="Paris", place_ids={"paris-opera", "paris-bastille"}))
    desk.add_group(PlaceGroup(id="france", name="France", place_ids={"paris-opera", "paris-bastille", "lyon-centre"}))
    desk.add_user(User(id="root", name="Rose Admin", role=Role.ADMIN, email="root@example.com"))
    desk.add_user(User(id="ana", name="Ana Roux", role=Role.MANAGER, email="ana@example.com", groups={"france"}))
    desk.add_user(User(id="zoe", name="Zoé Martin", email="zoe@example.com", groups={"paris"}))
    desk.add_user(User(id="leo", name="Léo Faure", email="leo@example.com", places={"lyon-centre"}))


def build_world(desk: Desk, clock: FakeClock) -> dict[str, str]:
    """Places, groups, users, ten conversations worked in every way, common replies and templates.

    Returns the conversation id of each external id. What it leaves (see test_sql_store.py for the numbers):
    s1 alert in progress, replied, first reply sent; s2 on hold; s3 replied then done; s4 spam; s5 call logged;
    s6 forwarded to zoe; s7 replied, reply pending; s8, s9, s10 untouched.
    """
    add_people(desk)
    now = clock.now()
    items = [
        feedback("s1", "paris-opera", 2, "Cold food, rude.", at=now, name="Claire Dupont", email="claire@example.com"),
        feedback("s2", "paris-opera", 8, "Fine.", at=now, name="Hugo Bernard", email="hugo@example.com"),
        feedback("s3", "lyon-centre", 9, "Lovely.", at=now, name="Ines Petit", email="ines@example.com"),
        feedback("s4", "paris-bastille", 10, "Win money here", at=now, name="Spam Bot", email="win@example.com"),
        feedback("s5", "lyon-centre", 3, "Noisy room.", at=now, name="Marc Leroy", tel="+33 6 12 34 56 78"),
        feedback("s6", "paris-bastille", 7, "Slow service.", at=now, name="Léa Simon", email="lea@example.com"),
        feedback("s7", "lyon-centre", 6, "Could be better.", at=now, name="Paul Roche", email="paul@example.com"),
        feedback("s8", "paris-opera", 9, "Great!", at=now, name="Nina Blanc", email="nina@example.com"),
        feedback("s9", "lyon-centre", 1, "Never again.", at=now, name="Yann Morel", email="yann@example.com"),
        feedback("s10", "paris-bastille", 8, "Ok.", at=now, name="Eva Garnier", email="eva@example.com"),
    ]  # fmt: skip
    ids = {}
    for item in items:
        clock.advance(seconds=1)
        ids[item.external_id] = desk.ingest(item).id

    def step() -> None:
        clock.advance(minutes=1)

    step()
    desk.note(ids["s1"], by="ana", body="Calling the manager of Opéra.", alert_status="in_progress")
    step()
    desk.reply(ids["s1"], by="ana", body="Claire, we are sorry. Dinner is on us.")
    desk.dispatch()
    step()
    desk.hold(ids["s2"], by="zoe")
    step()
    desk.reply(ids["s3"], by="leo", body="Thank you Ines!")
    step()
    desk.mark_done(ids["s3"], by="leo")
    step()
    desk.mark_spam(ids["s4"], by="ana")
    step()
    desk.log_call(ids["s5"], by="leo", summary="Moved him to a quiet room", alert_status="processed")
    step()
    desk.forward(ids["s6"], by="ana", to="zoe", note="Can you look at this?")
    step()
    desk.reply(ids["s7"], by="leo", body="Paul, what could we do better?")

    ana = desk.common_replies("ana")
    for text in ("Thank you for your feedback.", "We are sorry.", "See you soon!"):
        ana.add(text)
    desk.common_replies("leo").add("Merci !")
    desk.templates("root").add(Template(id="t-org", name="Apology", body="Dear {first_name}, we are sorry."))
    desk.templates("ana").add(
        Template(
            id="t-opera", name="Opéra thanks", body="Thanks from {place_name}.", level="place", target="paris-opera"
        )
    )
    return ids


# -- what a desk shows -----------------------------------------------------------------------------------------


def pages(desk: Desk, user: str, **query: Any) -> Iterator[list[str]]:
    after = None
    while True:
        page = desk.inbox(user, limit=2, after=after, **query)
        yield [conversation.id for conversation in page.items]
        if page.next is None:
            return
        after = page.next


def snapshot(desk: Desk) -> dict[str, Any]:
    """Everything the desk shows its users, as plain JSON data: every page of every folder and category
    for every user, counts per user and filter, every conversation with its history, the outbox, common
    replies and templates."""
    shown: dict[str, Any] = {"inbox": {}, "counts": {}, "common_replies": {}, "templates": {}}
    for user in USERS:
        for folder in Folder:
            shown["inbox"][f"{user}/{folder.value}"] = list(pages(desk, user, folder=folder))
        for category in ("on_hold", "alert", "new_message"):
            shown["inbox"][f"{user}/inbox/{category}"] = list(pages(desk, user, category=category))
        for chosen in FILTERS:
            try:
                counts = desk.counts(user, places=chosen)
            except AccessDenied:
                shown["counts"][f"{user}/{chosen}"] = "denied"
                continue
            shown["counts"][f"{user}/{chosen}"] = {
                "folders": {str(key): value for key, value in sorted(counts.folders.items())},
                "categories": {str(key): value for key, value in sorted(counts.categories.items())},
            }
        shown["common_replies"][user] = desk.common_replies(user).list()
        shown["templates"][user] = [to_data(template) for template in desk.templates(user).list()]
    every = sorted(
        conversation_id for folder in Folder for page in pages(desk, "root", folder=folder) for conversation_id in page
    )
    shown["conversations"] = {cid: to_data(desk.conversation(cid, by="root")) for cid in every}
    shown["outbox"] = [to_data(message) for message in desk.outbox()]
    return shown


def reply_tokens(desk: Desk) -> list[str]:
    """The token of every reply link in the outbox, oldest first."""
    return [message.reply_link.rsplit("/", 1)[-1] for message in desk.outbox() if message.reply_link]


# -- starting workers together ----------------------------------------------------------------------------------


def wait_for(path: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.002)


def ready_then_wait(sync: Path, name: str) -> None:
    """Say this worker is ready, then wait until the test releases every worker at once."""
    (sync / f"ready-{name}").touch()
    wait_for(sync / "go")


def meet(sync: Path, meeting: str, name: str, peers: int, timeout: float = START_TIMEOUT) -> None:
    """Wait until all ``peers`` workers have reached this meeting point, so they go on together."""
    (sync / f"{meeting}-{name}").touch()
    deadline = time.monotonic() + timeout
    while len(list(sync.glob(f"{meeting}-*"))) < peers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the other workers did not reach {meeting} within {timeout} s")
        time.sleep(0.001)


# -- the workers -------------------------------------------------------------------------------------------------


def populate(url: str) -> dict[str, Any]:
    clock = start_clock()
    with open_desk(url, clock) as desk:
        ids = build_world(desk, clock)
        return {"ids": ids, "snapshot": snapshot(desk), "tokens": reply_tokens(desk)}


def notes(url: str, conversation_id: str, name: str, count: str, sync: str) -> dict[str, Any]:
    """Add ``count`` notes, each with its own text; count which were saved and which lost a race."""
    saved, conflicts, messages = [], [], []
    with open_desk(url) as desk:
        ready_then_wait(Path(sync), name)
        started = time.time()
        for number in range(int(count)):
            body = f"note {number} from worker {name}"
            try:
                desk.note(conversation_id, by="root", body=body)
            except ConcurrentUpdate as error:
                conflicts.append(body)
                messages.append(str(error))
            else:
                saved.append(body)
        return {"saved": saved, "conflicts": conflicts, "messages": messages, "started": started, "ended": time.time()}


def race_save(url: str, conversation_id: str, role: str, sync: str) -> dict[str, Any]:
    """Load the conversation through the store, wait for the other worker to load it too, then save a change.

    ``first`` puts it on hold and says when that is committed; ``second`` waits for that, then writes a common
    reply and saves its own change (mark as done) from the same, now stale, version in one transaction.
    """
    folder = Path(sync)
    store = SqlStore.from_url(url)
    try:
        with store.transaction() as tx:
            loaded = tx.conversations.get(conversation_id)
            user = tx.directory.get_user("root")
        assert user is not None
        ready_then_wait(folder, role)
        now = datetime.now(UTC)
        if role == "first":
            with store.transaction() as tx:
                saved = tx.conversations.save(rules.hold(loaded, by=user, now=now).conversation)
            (folder / "first-saved").touch()
            return {"loaded": loaded.version, "result": "saved", "version": saved.version}
        wait_for(folder / "first-saved")
        try:
            with store.transaction() as tx:
                tx.library.put_common_replies("root", ("written by the loser",))
                tx.conversations.save(rules.mark_done(loaded, by=user, now=now).conversation)
        except ConcurrentUpdate as error:
            return {"loaded": loaded.version, "result": "conflict", "message": str(error)}
        return {"loaded": loaded.version, "result": "saved"}
    finally:
        store.close()


def customer_replies(url: str, name: str, sync: str, peers: str, *tokens: str) -> dict[str, Any]:
    """Post a customer message through every reply link, in order, each at the same moment as the ``peers``
    other workers; say which were taken and which were found used."""
    folder = Path(sync)
    outcome = []
    with open_desk(url) as desk:
        ready_then_wait(folder, name)
        for number, token in enumerate(tokens):
            meet(folder, f"round-{number}", name, int(peers))
            try:
                view = desk.customer_reply(token, body=f"answer from worker {name}")
            except UsedToken:
                outcome.append("used")
            else:
                outcome.append("posted" if view.messages[-1].body == f"answer from worker {name}" else "wrong view")
    return {"outcome": outcome}


def open_new(url: str, name: str, sync: str) -> dict[str, Any]:
    """Open a desk on a database that may not have a schema yet, at the same time as other workers."""
    ready_then_wait(Path(sync), name)
    with open_desk(url) as desk:
        desk.add_place(Place(id=f"place-{name}", name=f"Place {name}"))
    return {"opened": True}


WORKERS = {
    "populate": populate,
    "notes": notes,
    "race-save": race_save,
    "customer-replies": customer_replies,
    "open-new": open_new,
}


def main(arguments: list[str]) -> int:
    command, *rest = arguments
    try:
        result = WORKERS[command](*rest)
    except BaseException:
        traceback.print_exc()
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

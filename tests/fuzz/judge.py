"""The property every fuzzed call is judged by.

A call either succeeds or raises a :class:`closedloop.ClosedLoopError`; anything else escaping is a failure.
A refused call changes nothing: the store's full contents (every table of the memory store or of the SQLite
file, compared in full) are the same before and after, and the store still opens a transaction. A call that
succeeded and changed the store must leave it readable: read back through the repositories, every
conversation exported and rendered through a template, every inbox folder listed.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from hypothesis.vendor.pretty import pretty

import closedloop as cl
from closedloop.storage.memory import MemoryStore
from closedloop.storage.sql.engine import make_engine
from closedloop.storage.sql.store import SqlStore

from . import tally
from .world import (
    Pictures,
    Ref,
    ReviewPages,
    Seeded,
    conversation_ids,
    copy_memory,
    copy_sqlite,
    memory_contents,
    open_desk,
    read_back,
    remove_sqlite,
    shown,
    sqlite_contents,
)

#: What a call is: the entry point's invocation on a world, with the drawn arguments (refs resolved).
Invoke = Callable[["World", dict[str, Any]], object]
#: Errors that say the store itself is in trouble: a read after an accepted call must never raise them.
STORE_TROUBLE = (cl.UnreadableRecord, cl.StoreUnavailable)


class PropertyBroken(AssertionError):
    """An entry point raised something other than a closedloop error, changed the store while refusing, or
    accepted something that the store cannot give back. ``kind`` tells one failure from another: the entry
    point, the error and where it was raised."""

    def __init__(self, message: str, kind: tuple[str, str, str]) -> None:
        super().__init__(message)
        self.kind = kind


def broken(entry: str, store: str, values: object, error: BaseException | None, what: str) -> NoReturn:
    """Count the failure in the run's report and raise :class:`PropertyBroken`, from ``error`` if any."""
    place = where(error) if error is not None else "-"
    name = type(error).__name__ if error is not None else "accepted"
    tally.found(entry, store, name, place, what, example(values))
    tally.ended(entry, "broke")
    on = "" if store == "-" else f" on the {store} store"
    raise PropertyBroken(f"{entry}{on} {what} [raised at {place}]", (entry, name, place)) from error


def where(error: BaseException) -> str:
    """Where an error was raised: the deepest frame in closedloop's own code, or else the deepest frame."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    own = [frame for frame in frames if "/closedloop/" in frame.filename and "/tests/" not in frame.filename]
    frame = (own or frames)[-1]
    path = frame.filename.split("/closedloop/", 1)[-1] if own else Path(frame.filename).name
    return f"{path}:{frame.lineno} ({frame.name})"


def example(values: object) -> str:
    """The drawn arguments as Hypothesis shows them (hostile objects by name), cut short."""
    try:
        text = pretty(values)
    except Exception:
        text = shown(values)
    return text if len(text) <= 400 else f"{text[:380]}...({len(text)} chars)"


def _first_difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            old, new = before.get(name), after.get(name)
            if isinstance(old, list) and isinstance(new, list):
                added = [row for row in new if row not in old]
                removed = [row for row in old if row not in new]
                return f"{name}: added {shown(added, 300)}, removed {shown(removed, 300)}"
            return f"{name}: {shown(old, 200)} became {shown(new, 200)}"
    return "nothing"


class World:
    """One store kind's seeded world, made afresh whenever a call changed it."""

    def __init__(self, seeded: Seeded, folder: Path) -> None:
        self.kind = seeded.kind
        self.seeded = seeded
        self.folder = folder
        self.source = ReviewPages()
        self.desk: cl.Desk | None = None
        self.path: Path | None = None
        self.pictures = Pictures()
        # the plugins and registry of one desk serve every copy of the world: opening a desk costs more
        # than copying a store
        self.opened, self.email = open_desk(MemoryStore(), self.source)
        self.copies = 0
        self.dirty = True

    @property
    def refs(self) -> dict[str, str]:
        return self.seeded.refs

    def ready(self) -> cl.Desk:
        """The desk, on a store exactly as seeded."""
        if self.dirty or self.desk is None:
            self.close()
            self.copies += 1
            if self.seeded.memory is not None:
                self.store: cl.ports.Store = copy_memory(self.seeded.memory)
            else:
                assert self.seeded.sqlite_file is not None
                self.path = copy_sqlite(self.seeded.sqlite_file, self.folder, self.copies)
                self.store = SqlStore(make_engine(f"sqlite:///{self.path}"))
            self.desk = cl.Desk(self.store, self.opened.settings, self.opened.plugins, self.opened.registry)
            self.before = self.contents()
            self.dirty = False
        self.source.pages = []
        return self.desk

    def close(self) -> None:
        if self.desk is not None:
            self.desk.store.close()
            self.desk = None
        if self.path is not None:
            remove_sqlite(self.path)
            self.path = None

    def dispose(self) -> None:
        """Close the last copy and the desk the plugins came with."""
        self.close()
        self.opened.close()

    def contents(self) -> dict[str, Any]:
        if isinstance(self.store, SqlStore):
            assert self.path is not None
            return sqlite_contents(self.path)
        assert self.seeded.memory is not None
        return memory_contents(self.store, self.pictures)  # type: ignore[arg-type]

    def resolve(self, value: Any) -> Any:
        """The drawn value with every :class:`Ref` replaced by the id it names."""
        if isinstance(value, Ref):
            return self.refs[value.name]
        if type(value) is list:
            return [self.resolve(item) for item in value]
        if type(value) is tuple:
            return tuple(self.resolve(item) for item in value)
        if type(value) is dict:
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    # -- the property ----------------------------------------------------------------------------------------

    def attempt(self, entry: str, invoke: Invoke, values: dict[str, Any]) -> str:
        """Call the entry point and judge the outcome; returns "succeeded" or "refused"."""
        self.ready()
        tally.tried(entry, self.kind)
        try:
            invoke(self, self.resolve(values))
        except cl.ClosedLoopError as error:
            changed = self.changes()
            if changed:
                self.broke(entry, values, error, f"refused ({type(error).__name__}) but changed the store: {changed}")
            tally.ended(entry, "refused")
            return "refused"
        except Exception as error:
            changed = self.changes()
            also = f"; and it changed the store: {changed}" if changed else ""
            self.broke(
                entry,
                values,
                error,
                f"raised {type(error).__name__}: {shown(str(error), 300)}, not a closedloop.ClosedLoopError{also}",
            )
        if self.changes():
            self.dirty = True
            trouble = self.unreadable()
            if trouble:
                self.broke(entry, values, None, f"succeeded, but what it stored cannot be shown again: {trouble}")
        tally.ended(entry, "succeeded")
        return "succeeded"

    def changes(self) -> str:
        """What changed in the store since it was seeded, in a few words; empty when nothing did."""
        try:
            after = self.contents()
        except Exception as error:
            self.dirty = True
            return f"its contents cannot be read any more ({type(error).__name__}: {shown(str(error))})"
        if after != self.before:
            self.dirty = True
            return _first_difference(self.before, after)
        try:  # the store still works: the refused call left no transaction or lock behind
            with self.store.transaction() as tx:
                tx.directory.place_ids()
        except Exception as error:
            self.dirty = True
            return f"it cannot open a transaction any more ({type(error).__name__}: {shown(str(error))})"
        return ""

    def unreadable(self) -> str:
        """Why the store cannot be shown after an accepted change, or empty when it can."""
        try:
            read_back(self.store, self.refs, self.pictures)
        except Exception as error:
            return f"reading the store back raised {type(error).__name__}: {shown(str(error))} at {where(error)}"
        desk = self.desk  # as the call left it: ready() would make a fresh copy
        assert desk is not None
        checks: list[tuple[str, Callable[[], object]]] = [
            (f"inbox {folder.value}", partial(desk.inbox, "admin", folder=folder, limit=500)) for folder in cl.Folder
        ]
        checks += [("counts", partial(desk.counts, "admin")), ("outbox", desk.outbox)]
        try:
            has_probe = any(template.id == "org" for template in desk.templates("admin").list())
        except Exception as error:
            return f"listing templates raised {type(error).__name__}: {shown(str(error))} at {where(error)}"
        for conversation_id in conversation_ids(self.store):
            checks.append((f"export_file({conversation_id})", partial(desk.export_file, conversation_id, by="admin")))
            if has_probe:
                render = partial(desk.templates("admin").render, "org", conversation_id)
                checks.append((f"render(org, {conversation_id})", render))
        for name, check in checks:
            try:
                shown_now = check()
            except STORE_TROUBLE as error:
                return f"{name} raised {type(error).__name__}: {shown(str(error))}"
            except cl.ClosedLoopError:
                continue  # the call may have changed who may see what
            except Exception as error:
                return f"{name} raised {type(error).__name__}: {shown(str(error))} at {where(error)}"
            if isinstance(shown_now, cl.Page) and shown_now.unreadable:
                return f"{name} cannot show the conversations {list(shown_now.unreadable)}"
        return ""

    def broke(self, entry: str, values: dict[str, Any], error: BaseException | None, what: str) -> NoReturn:
        broken(entry, self.kind, values, error, what)

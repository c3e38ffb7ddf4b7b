"""Desk.open with hostile settings and locations: it opens a desk or raises a closedloop error; a refused open
leaves behind no database file and changes no file it was pointed at, and another application's database is
never changed; a desk it opened does its work or refuses what it cannot do, with a closedloop error."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st

import closedloop as cl
from closedloop.storage.memory import MemoryStore
from closedloop.testing import FakeClock, RecordingChannel

from . import tally
from .arguments import Arg, arg, call_arguments, retry_policies, text_arg
from .hostile import anything, moments, numbers, texts
from .judge import broken
from .profiles import explore
from .world import shown

ENTRY = "Desk.open"
_folders = itertools.count(1)


@attrs.frozen
class Location:
    """Where a desk is opened, made afresh for each input: a new file, another application's database, a
    file that is not a database, a folder that does not exist; or an open store, given instead of a URL."""

    kind: str

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"Location({self.kind!r})")

    def made_in(self, folder: Path) -> tuple[str, Path]:
        path = folder / f"{self.kind}.db"
        if self.kind == "foreign":
            with sqlite3.connect(path) as connection:
                connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total TEXT)")
                connection.execute("INSERT INTO orders (total) VALUES ('12.50')")
            connection.close()
        elif self.kind == "not-a-database":
            path.write_bytes(b"these are somebody's notes, not a database\n" * 200)
        elif self.kind == "missing-folder":
            path = folder / "no" / "such" / "folder" / "feedback.db"
        return f"sqlite:///{path}", path


def picture(path: Path) -> object:
    """What a file holds (its tables, when it is a database closedloop did not make), or that there is none."""
    if not path.exists():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master ORDER BY name")]
            return {name: connection.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return path.read_bytes()


SMTP = {"host": "127.0.0.1", "port": 9, "security": "none", "sender": "care@example.com", "timeout": 1.0}


def smtp_settings() -> Arg:
    one_hostile = call_arguments({name: arg(value) for name, value in SMTP.items()})
    return arg(None, SMTP, hostile=st.one_of(one_hostile, anything()))


SETTINGS: dict[str, Arg] = {
    "business_name": text_arg("Fuzz Bistro", ""),
    "reply_link_base": text_arg("https://feedback.example.com/reply/"),
    "token_ttl": arg(timedelta(days=30), hostile=st.one_of(moments(), numbers(), anything())),
    "customer_service_email": text_arg("care@example.com", ""),
    "file_link_template": text_arg("https://files.example.com/{id}", ""),
    "default_region": text_arg(None, "FR"),
    "alert_rules": arg(None, (), (cl.low_stars(),), [cl.KeywordsInComments(words=["refund"])]),
    "plugins": arg(
        st.builds(lambda: [RecordingChannel("email")]), hostile=st.lists(anything(), min_size=1, max_size=2)
    ),
    "blocked_plugins": arg((), ["closedloop.channels.phone"], hostile=st.lists(anything(), min_size=1, max_size=2)),
    "load_entry_points": arg(False, True),
    "clock": arg(None, st.builds(FakeClock)),
    "smtp": smtp_settings(),
    "retry": arg(cl.RetryPolicy(), retry_policies()),
    "extra": arg({}, {"web": {}}),
}
LOCATIONS = [Location(kind) for kind in ("fresh", "foreign", "not-a-database", "missing-folder", "store")]


def arguments() -> st.SearchStrategy[Any]:
    required = {"url": text_arg(None, "memory://", st.sampled_from(LOCATIONS), "bogus://nowhere")}
    return call_arguments(required, SETTINGS)


def smoke(desk: cl.Desk) -> list[tuple[str, Callable[[], object]]]:
    """What every desk is used for first; each step works or refuses with a closedloop error."""
    found: dict[str, str] = {}
    feedback = cl.Feedback(
        source=cl.Source.SURVEY,
        external_id="smoke-1",
        place_id="p",
        received_at=datetime(2026, 1, 4, tzinfo=UTC),
        contact=cl.Contact(name="Jo Doe", email="jo@example.com", tel="+33 6 12 34 56 78"),
        ratings=[cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=2)],
        comments="I want a refund.",
    )

    def ingest() -> None:
        found["id"] = desk.ingest(feedback).id

    return [
        ("add_place", lambda: desk.add_place(cl.Place(id="p", name="Shop"))),
        ("add_user", lambda: desk.add_user(cl.User(id="ana", name="Ana", role=cl.Role.ADMIN, email="a@example.com"))),
        ("ingest", ingest),
        ("reply", lambda: desk.reply(found["id"], by="ana", body="Sorry about that.")),
        ("delegate", lambda: desk.delegate(found["id"], by="ana", note="Please call.")),
        ("log_call", lambda: desk.log_call(found["id"], by="ana", summary="Called back.")),
        ("inbox", lambda: desk.inbox("ana")),
        ("dispatch", lambda: desk.dispatch(limit=10)),
        ("export_file", lambda: desk.export_file(found["id"], by="ana")),
    ]


def judge_open(values: dict[str, Any], root: Path) -> str:
    folder = root / f"open-{next(_folders)}"
    folder.mkdir()
    settings = dict(values)
    url = settings.pop("url")
    target = None
    if url == Location("store"):
        url, settings["store"] = None, MemoryStore()
    elif isinstance(url, Location):
        url, target = url.made_in(folder)
    before = None if target is None else picture(target)
    tally.tried(ENTRY, "-")
    try:
        desk = cl.Desk.open(url, **settings)
    except cl.ClosedLoopError as error:
        if target is not None and picture(target) != before:
            broken(ENTRY, "-", values, error, f"refused ({type(error).__name__}) but changed {target.name}")
        tally.ended(ENTRY, "refused")
        return "refused"
    except Exception as error:
        broken(
            ENTRY,
            "-",
            values,
            error,
            f"raised {type(error).__name__}: {shown(str(error), 300)}, not a closedloop.ClosedLoopError",
        )
    try:
        if target is not None and isinstance(before, dict) and picture(target) != before:
            broken(ENTRY, "-", values, None, "opened another application's database and changed it")
        for step, run in smoke(desk):
            try:
                run()
            except cl.ClosedLoopError:
                break  # the desk cannot do it as opened, and says so; what follows needs it
            except Exception as error:
                what = f"opened a desk whose {step} raised {type(error).__name__}: {shown(str(error), 300)}"
                broken(ENTRY, "-", values, error, what)
    finally:
        desk.close()
    tally.ended(ENTRY, "succeeded")
    return "succeeded"


def test_open_refuses_with_a_closedloop_error_and_what_it_opens_works(tmp_path: Path) -> None:
    explore(arguments(), lambda values: judge_open(values, tmp_path))


@pytest.mark.parametrize("hostile", [texts(), numbers(), anything()], ids=["texts", "numbers", "anything"])
def test_open_with_an_unknown_setting_of_any_value_is_refused(tmp_path: Path, hostile: st.SearchStrategy[Any]) -> None:
    def judge(value: Any) -> None:
        assert judge_open({"url": None, "colour": value}, tmp_path) == "refused"

    explore(hostile, judge)


def test_open_on_something_that_is_not_a_store(tmp_path: Path) -> None:
    explore(
        st.one_of(anything(), st.builds(object)),
        lambda store: judge_open({"url": None, "store": store, "load_entry_points": False}, tmp_path),
    )

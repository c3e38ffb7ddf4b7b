"""What a database URL says besides where the database is: closedloop's own option, and the SQLite file it
names, so that a command that only reads never creates an empty database at a mistyped path."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from closedloop.domain.errors import InvalidInput, StoreUnavailable

#: The URL option (``?adopt=yes``) that lets closedloop add its tables to a database holding other tables.
ADOPT_OPTION = "adopt"
_YES = ("yes", "true", "1")
_NO = ("no", "false", "0")


def parsed(url: str) -> URL:
    """The URL, parsed; :class:`InvalidInput` when it is not a database URL at all."""
    if not isinstance(url, str):
        raise InvalidInput(f"a database URL is text such as sqlite:///feedback.db; got {type(url).__name__}")
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise InvalidInput(f"{url!r} is not a database URL; try sqlite:///feedback.db") from None


def adoption_asked(url: URL) -> bool:
    """Whether the URL carries ``adopt=yes``: closedloop may then add its tables to a database that holds
    another application's."""
    value = url.query.get(ADOPT_OPTION)
    if value is None:
        return False
    word = value if isinstance(value, str) else value[-1]
    if word.strip().lower() in _YES:
        return True
    if word.strip().lower() in _NO:
        return False
    raise InvalidInput(f"the URL option {ADOPT_OPTION}= takes yes or no (also true/false, 1/0); got {word!r}")


def for_driver(url: URL) -> URL:
    """The URL without closedloop's own option, which the database driver would not know."""
    return url.difference_update_query([ADOPT_OPTION])


def sqlite_file(url: URL) -> Path | None:
    """The file an SQLite URL names (``sqlite:///path``, or ``sqlite:///file:path?...&uri=true``); None for
    an in-memory database or another kind of database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if database.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def kept_only_in_memory(url: str) -> bool:
    """Whether a database URL names a database that ends with the process (``memory://``, in-memory SQLite):
    what a command stores there is gone when it returns."""
    if url.startswith("memory:"):
        return True
    address = parsed(url)
    return address.get_backend_name() == "sqlite" and sqlite_file(address) is None


def where(url: URL) -> str:
    """How messages name the database: its file for SQLite, else the URL without its password."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        return "the in-memory SQLite database" if path is None else str(path)
    return for_driver(url).render_as_string(hide_password=True)


def require_existing(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist, for what would otherwise create an empty database
    there; other databases are left to connect."""
    path = sqlite_file(parsed(url))
    if path is not None and not path.exists():
        raise StoreUnavailable(
            f"no database at {path}; check the path, or create one with `closedloop db upgrade --url {url}`"
        )

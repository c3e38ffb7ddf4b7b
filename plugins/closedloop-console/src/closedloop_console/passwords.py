"""The built-in sign-in's passwords: argon2 hashes, checked and made with argon2-cffi, and the file that holds
them (TOML, ``user = "hash"``)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from closedloop import InvalidInput

HASHER = PasswordHasher()
#: Checked against when the user has no password, so that an unknown user takes as long as a wrong password.
_UNKNOWN_USER_HASH = HASHER.hash("no user has this password")


def hash_password(password: str) -> str:
    """The argon2id hash to store for ``password`` (with the library's recommended cost and a random salt)."""
    if not password:
        raise InvalidInput("the password is empty; type the password to hash")
    return HASHER.hash(password)


class PasswordBook:
    """Who may sign in and with what: each user id's argon2 hash, refused at once when it is not one."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        for user, hashed in hashes.items():
            if not isinstance(user, str) or not user:
                raise InvalidInput(f"passwords maps user ids to hashes; {user!r} is not a user id")
            if not isinstance(hashed, str) or not hashed.startswith("$argon2"):
                raise InvalidInput(
                    f"the password of {user!r} is not an argon2 hash; make one with `closedloop console hash-password`"
                )
        self._hashes = dict(hashes)

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is the user's; slow on purpose (argon2), so call it off the event loop."""
        hashed = self._hashes.get(user, _UNKNOWN_USER_HASH)
        try:
            matched = HASHER.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and user in self._hashes


def read_password_file(path: str | Path) -> dict[str, str]:
    """The ``user = "argon2 hash"`` lines of a TOML file; any other shape is refused with the reason."""
    file = Path(path)
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"cannot read the password file {file}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the password file {file} is not TOML: {error}") from None
    hashes: dict[str, str] = {}
    for user, hashed in table.items():
        if not isinstance(hashed, str):
            raise InvalidInput(f'the password file {file} must hold lines user = "argon2 hash"; {user!r} does not')
        hashes[user] = hashed
    PasswordBook(hashes)  # refuses anything that is not a hash, naming the user
    return hashes

"""The desk's refusals in the agent's words: a few name Python calls (``desk.add_user(...)``) or arguments
(``alert_status``) that mean something to a developer and nothing to an agent. The rewordings live in
``wording.toml``; a refusal none of them matches is shown as the desk wrote it."""

from __future__ import annotations

import functools
import re
import tomllib
from importlib.resources import files


@functools.cache
def rewordings() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = tomllib.loads(files("closedloop_console.pages").joinpath("wording.toml").read_text(encoding="utf-8"))
    # the replacement is plain text: a backslash in it is a backslash, not a group reference
    return tuple((re.compile(entry["pattern"]), entry["say"].replace("\\", "\\\\")) for entry in data["plain"])


def plain(refusal: str) -> str:
    """``refusal`` with every known developer's phrase replaced by the agent's."""
    for pattern, say in rewordings():
        refusal = pattern.sub(say, refusal)
    return refusal

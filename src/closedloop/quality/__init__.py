"""Data for quality reviews that ships with closedloop: the default scorecard, kept in a TOML file so it can
be read and changed without touching code."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from closedloop.domain.errors import InvalidInput
from closedloop.domain.quality import Scorecard, ScorecardCategory

__all__ = ["default_scorecard", "scorecard_from_toml"]


@cache
def default_scorecard() -> Scorecard:
    """The scorecard reviews use when none is named: tone, solution (critical), spelling, empathy, closing."""
    return scorecard_from_toml(resources.files("closedloop.quality").joinpath("default_scorecard.toml").read_text())


def scorecard_from_toml(text: str) -> Scorecard:
    """A scorecard from TOML text: ``id``, ``name`` and a ``[[categories]]`` table per category."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"a scorecard file must be valid TOML: {error}") from None
    categories: Any = data.get("categories")
    if not isinstance(categories, list) or not all(isinstance(entry, dict) for entry in categories):
        raise InvalidInput("a scorecard file needs [[categories]] tables, each with id, name, weight and scale")
    known = {"id", "name", "description", "weight", "scale", "critical"}
    for entry in categories:
        unknown = sorted(set(entry) - known)
        if unknown:
            raise InvalidInput(f"unknown scorecard category field(s) {', '.join(unknown)}; known: {sorted(known)}")
    return Scorecard(
        id=data.get("id", ""),
        name=data.get("name", ""),
        categories=[ScorecardCategory(**entry) for entry in categories],
    )

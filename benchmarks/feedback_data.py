"""Realistic feedback for benchmarks: about 1 KB each, deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from closedloop import Comment, Contact, Desk, Feedback, Place, PlaceGroup, Rating, RatingKind, Role, User

WORDS = [
    "service",
    "staff",
    "friendly",
    "waited",
    "order",
    "wrong",
    "cold",
    "warm",
    "quick",
    "slow",
    "clean",
    "dirty",
    "price",
    "value",
    "table",
    "booking",
    "delivery",
    "late",
    "early",
    "manager",
    "polite",
    "rude",
    "menu",
    "choice",
    "dessert",
    "coffee",
    "noisy",
    "quiet",
    "parking",
    "music",
    "portion",
    "fresh",
    "salty",
    "sweet",
    "kind",
    "helpful",
    "recommend",
    "again",
    "never",
    "always",
    "evening",
    "lunch",
    "weekend",
    "family",
]
FIRST = ("Claire", "Hugo", "Ines", "Marc", "Lea", "Tom", "Nora", "Sami", "Jade", "Omar", "Zoe", "Paul")
LAST = ("Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia")
START = datetime(2026, 1, 1, tzinfo=UTC)


def place_ids(count: int) -> list[str]:
    return [f"place-{number:04}" for number in range(count)]


def add_directory(desk: Desk, places: list[str], group: int) -> None:
    """The places, a group "region" of the first ``group`` of them, an admin and an agent who sees the group."""
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id))
    desk.add_group(PlaceGroup(id="region", name="Region", place_ids=places[:group]))
    desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
    desk.add_user(User(id="agent", name="Al Agent", groups={"region"}))


def nps(generator: random.Random) -> int:
    """Mostly promoters and passives, a fifth detractors, as real surveys tend to be."""
    draw = generator.random()
    if draw < 0.5:
        return generator.choice((9, 10))
    if draw < 0.8:
        return generator.choice((7, 8))
    return generator.randint(0, 6)


def text(generator: random.Random, words: int) -> str:
    return " ".join(generator.choices(WORDS, k=words)).capitalize() + "."


def feedback_items(count: int, places: list[str], seed: int = 7, start: int = 0) -> Iterator[Feedback]:
    """``count`` survey answers spread over ``places``, each about 1 KB once stored."""
    generator = random.Random(seed + start)
    for number in range(start, start + count):
        first, last = generator.choice(FIRST), generator.choice(LAST)
        yield Feedback(
            source="survey",
            external_id=f"response-{number:08}",
            place_id=places[number % len(places)],
            received_at=START + timedelta(seconds=number * 7),
            contact=Contact(
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}{number}@example.com",
                tel=f"+33 6 {generator.randint(10, 99)} {generator.randint(10, 99)} {generator.randint(10, 99)} 00",
            ),
            ratings=(
                Rating(key="nps", kind=RatingKind.NPS, value=nps(generator)),
                Rating(key="csat", kind=RatingKind.CSAT, value=generator.randint(1, 5), journey_moment="visit"),
                Rating(key="cleanliness", kind=RatingKind.STARS, value=generator.randint(1, 5)),
            ),
            comments=(
                Comment(text=text(generator, 40), question="What did you think of your visit?"),
                Comment(text=text(generator, 12), question="What could we do better?"),
            ),
            answers={"visit_reason": generator.choice(("lunch", "dinner", "takeaway")), "first_visit": "no"},
            metadata={"segment": generator.choice(("gold", "silver", "new")), "order_total": "42.50"},
        )

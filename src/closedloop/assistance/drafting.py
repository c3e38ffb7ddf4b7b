"""A first reply put together from the templates: greeting, opening for the rating band, a sentence for each
of a few concepts (complaints before praise), an apology when the tone asks for one, closing and signature.

Everything said comes from the request or from the templates, so a draft states no fact and makes no promise
that neither holds; what it cannot know (what went wrong in detail, what will change) it leaves to the agent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from closedloop.assistance.templates import CONCEPT, Wording
from closedloop.domain.conversation import Concept
from closedloop.domain.drafts import TONES, Band, DraftRequest
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown

#: A sentiment this close to 0 is neither complaint nor praise, so it gets no sentence.
NEUTRAL = 0.2
#: How many concepts a draft names: a few, so the reply stays a reply and not a report.
MOST_CONCEPTS = 3
MOST_CONCEPTS_CONCISE = 2


def checked_tone(tone: object) -> str:
    """The tone as one of :data:`closedloop.TONES`, whatever its case; :class:`InvalidInput` listing them if not."""
    name = tone.strip().lower() if isinstance(tone, str) else None
    if name not in TONES:
        raise InvalidInput(f"unknown tone {shown(tone)}; the offline assistant knows {', '.join(TONES)}")
    return name


#: Words before a name that are no first name: a greeting then goes without a name rather than say "Hi Dr,".
TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "madam",
        "m", "mme", "mlle", "mm", "monsieur", "madame", "mademoiselle", "docteur", "pr",
    }
)  # fmt: skip
#: What review platforms and forms write where a reviewer gave no name.
NO_NAMES = frozenset(
    {"anonymous", "anonyme", "guest", "client", "customer", "user", "utilisateur", "invité", "invite", "visitor"}
)


def greeting_name(full_name: str) -> str:
    """The first name a greeting may use from a contact's whole name: titles and initials are no first names
    ("Dr. John Smith" is John, "M. Dupont" and "J. Smith" give none), nor are placeholders such as "A Google
    User"; a surname written in capitals before the first name ("MARTIN Claire") is passed over."""
    words = [word.strip(" \t,;:.!?\"'()") for word in full_name.split()]
    words = [word for word in words if word]
    if not words or any(word.lower() in NO_NAMES for word in words):
        return ""
    titled = words[0].lower() in TITLES
    while words and words[0].lower() in TITLES:
        words = words[1:]
    if titled and len(words) < 2:  # "M. Dupont": a title and a surname
        return ""
    if len(words) > 1 and words[0].isupper() and len(words[0]) > 1 and not words[1].isupper():
        words = words[1:]  # "MARTIN Claire"
    first = words[0] if words else ""
    if len(first.rstrip(".")) <= 1:  # an initial
        return ""
    return addressable_first_name(first)


def addressable_first_name(name: str) -> str:
    """The customer's first name as a greeting can use it: ``""`` for something that is no name (an address, a
    number), and ``"Claire"`` for ``"CLAIRE"`` or ``"claire"``, which look shouted or careless in a greeting."""
    name = name.strip(" \t,;:.!?\"'()")
    if not name or not any(char.isalpha() for char in name) or any(char.isdigit() or char in "@{}" for char in name):
        return ""
    if name.islower() or (name.isupper() and len(name) > 1):
        return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
    return name


def polarity(concept: Concept) -> str:
    if concept.sentiment <= -NEUTRAL:
        return "negative"
    return "positive" if concept.sentiment >= NEUTRAL else ""


def chosen_concepts(concepts: Iterable[Concept], wording: Wording, *, most: int) -> list[tuple[str, str]]:
    """(name, polarity) of the concepts the draft speaks of: each once, only those the language has a sentence
    for, complaints first (most negative first), then praise, keeping room for one praise when there is any."""
    seen: set[str] = set()
    complaints: list[tuple[str, str]] = []
    praise: list[tuple[str, str]] = []
    for concept in sorted(concepts, key=lambda concept: concept.sentiment):
        name, feeling = concept.name.strip().lower(), polarity(concept)
        if not feeling or name in seen or not wording.has(f"{CONCEPT}.{name}.{feeling}"):
            continue
        seen.add(name)
        (complaints if feeling == "negative" else praise).append((name, feeling))
    praise.reverse()  # the warmest praise first
    room_for_complaints = most - min(1, len(praise))
    picked = complaints[:room_for_complaints]
    return picked + praise[: most - len(picked)]


def placeholder_values(request: DraftRequest) -> dict[str, str]:
    place = request.place.name
    return {
        "first_name": greeting_name(request.feedback.contact.name),
        "place": place,
        "business": request.business_name.strip() or place,
        "agent": request.agent.first_name,
    }


def band_name(band: object) -> str:
    """The band's name; anything that is not one reads as unrated, whose opening assumes nothing."""
    names = {each.value for each in Band}
    return str(band) if isinstance(band, str) and str(band) in names else Band.UNRATED.value


def paragraphs(*blocks: Sequence[str]) -> str:
    """Non-empty pieces of each block joined by a space, blocks by a blank line."""
    joined = (" ".join(piece for piece in block if piece) for block in blocks)
    return "\n\n".join(block for block in joined if block)


def compose(request: DraftRequest, wording: Wording, tone: str) -> str:
    """The draft's text, in the language of ``wording`` and the tone ``tone`` (already checked)."""
    values: Mapping[str, str] = placeholder_values(request)
    concepts = list(request.concepts)
    most = MOST_CONCEPTS_CONCISE if tone == "concise" else MOST_CONCEPTS
    chosen = chosen_concepts(concepts, wording, most=most)
    complaints = [wording.fill(f"{CONCEPT}.{name}.negative", values) for name, kind in chosen if kind == "negative"]
    praise = [wording.fill(f"{CONCEPT}.{name}.positive", values) for name, kind in chosen if kind == "positive"]
    band = band_name(request.band)
    something_went_wrong = bool(complaints) or band in (Band.NEGATIVE.value, Band.MIXED.value)
    apology = wording.fill("apology", values) if tone == "apologetic" and something_went_wrong else ""
    greeting_key = f"greeting.{tone}" if values["first_name"] else f"greeting_without_name.{tone}"
    signature = "\n".join(line.strip() for line in wording.fill("signature", values).splitlines() if line.strip())
    return paragraphs(
        [wording.fill(greeting_key, values)],
        [wording.fill(f"opening.{band}", values), *complaints, apology, *praise],
        [wording.fill(f"closing.{tone}", values)],
        ["\n".join(part for part in (wording.fill(f"sign_off.{tone}", values), signature) if part)],
    )

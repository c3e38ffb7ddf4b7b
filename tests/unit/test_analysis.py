"""The offline analyzer as users rely on it: the language of comments, the taxonomy a desk gives it, and the
sentiment of what customers say about each concept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import closedloop as cl
from closedloop.analysis import Taxonomy, detect_language, feedback_language, language_of
from closedloop.analysis.offline import OfflineAnalyzer
from closedloop.testing import FakeClock

DEFAULT_CONCEPTS = ("staff", "waiting", "product", "price", "cleanliness", "ambience", "delivery", "booking")


@pytest.fixture(scope="module")
def analyzer() -> OfflineAnalyzer:
    return OfflineAnalyzer()


def sentiment_of(analyzer: OfflineAnalyzer, text: str, concept: str, language: str = "en") -> float:
    found = analyzer.concepts(text, hint=language)
    assert concept in found, found
    return found[concept]


# languages


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("The staff were lovely but we waited an hour for our food.", "fr", "en"),
        ("Le personnel était charmant mais l'attente était beaucoup trop longue.", "en", "fr"),
        ("Le personnel était charmant mais l'attente était beaucoup trop longue.", "", "fr"),
        ("Das Essen war sehr gut, aber der Service war langsam.", "en", "de"),
        ("The staff were lovely and the food was great.", "en", "en"),
        ("Super accueil, merci !", "en", "fr"),  # short, left at the default locale
        ("Personnel adorable !", "en", "fr"),
        ("Friendly staff, slow service", "fr", "en"),
        # words shared by several languages ("de", "la", "was") do not make a text English or French
        ("Het eten was heel lekker maar de bediening was traag.", "fr", "nl"),
        ("Servicio de la casa muy bien, la comida a la plancha.", "en", "es"),
    ],
)
def test_the_language_of_a_comment_is_detected_whatever_its_locale_says(text: str, hint: str, language: str) -> None:
    assert detect_language(text, hint=hint) == language


@pytest.mark.parametrize(("text", "hint"), [("", "fr"), ("   ", "fr-CA"), ("Super!", "fr"), ("Top", "en")])
def test_a_text_too_short_to_tell_keeps_the_language_it_was_given(text: str, hint: str) -> None:
    assert detect_language(text, hint=hint) == language_of(hint)


@pytest.mark.parametrize(("locale", "language"), [("fr-CA", "fr"), ("fr_CA", "fr"), ("EN", "en"), ("", "")])
def test_a_locale_names_its_language(locale: str, language: str) -> None:
    assert language_of(locale) == language


def test_the_language_of_feedback_is_that_of_its_comments(make_feedback: Callable[..., cl.Feedback]) -> None:
    french = make_feedback(comments="Le serveur était adorable et les plats délicieux.")  # locale left at "en"
    english = make_feedback(comments="The waiter was lovely and the dishes delicious.", locale="fr-CA")
    assert feedback_language(french) == "fr"
    assert feedback_language(english) == "en"
    assert feedback_language(make_feedback(comments=(), locale="fr-CA")) == "fr"


# the taxonomy


def test_the_default_taxonomy_has_the_stable_concepts_in_english_and_french() -> None:
    taxonomy = Taxonomy.default()
    assert set(taxonomy.concepts) == set(DEFAULT_CONCEPTS)
    for concept in DEFAULT_CONCEPTS:
        assert taxonomy.terms(concept, "en") and taxonomy.terms(concept, "fr"), concept


def test_a_taxonomy_given_in_code_replaces_the_default() -> None:
    analyzer = OfflineAnalyzer(Taxonomy({"parking": {"en": ["parking", "car park"], "fr": ["stationnement"]}}))
    assert list(analyzer.concepts("The car park was full and the staff were rude.", hint="en")) == ["parking"]
    assert set(analyzer.concepts("Stationnement impossible.", hint="fr")) == {"parking"}


def test_an_extended_taxonomy_keeps_the_default_concepts_and_adds_concepts_and_terms() -> None:
    taxonomy = Taxonomy.default().extended({"parking": {"en": ["car park"]}, "staff": {"en": ["deckhand*"]}})
    found = OfflineAnalyzer(taxonomy).concepts("The deckhands were great but the car park was awful.", hint="en")
    assert found["staff"] > 0 > found["parking"]
    assert "parking" not in Taxonomy.default().concepts  # the default itself is unchanged


def test_a_desk_takes_its_taxonomy_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text('[parking]\nen = ["car park", "parking*"]\nfr = ["stationnement"]\n', encoding="utf-8")
    assert Taxonomy.from_setting(str(path)) == Taxonomy.from_toml(path)
    assert Taxonomy.from_setting(path).terms("parking", "en") == ("car park", "parking*")
    assert Taxonomy.from_setting(None) == Taxonomy.default()
    given = Taxonomy({"parking": {"en": ["parking"]}})
    assert Taxonomy.from_setting(given) is given


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"parking": {"en": ["parking"]}}, "Taxonomy({...})"),
        (42, "a closedloop.analysis.Taxonomy, the path of a TOML file, or None"),
        ("/nowhere/taxonomy.toml", "cannot be read"),
    ],
)
def test_a_desk_setting_that_is_no_taxonomy_is_refused_saying_what_to_give(value: object, says: str) -> None:
    with pytest.raises(cl.InvalidInput, match=r".*" + says.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        Taxonomy.from_setting(value)


def test_a_taxonomy_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text("[parking\nen = ", encoding="utf-8")
    with pytest.raises(cl.InvalidInput, match="not valid TOML"):
        Taxonomy.from_toml(path)


@pytest.mark.parametrize(
    ("concepts", "says"),
    [
        (["parking"], "maps concept names to"),
        ({"": {"en": ["parking"]}}, "concept name is a non-empty text"),
        ({"parking": ["parking"]}, "maps concept names to"),
        ({"parking": {"english": ["parking"]}}, "language code such as 'en'"),
        ({"parking": {"en": "parking"}}, "give a list of terms"),
        ({"parking": {"en": [3]}}, "a term is a text"),
        ({"parking": {"en": ["..."]}}, "holds no word"),
        ({"parking": {"en": ["pa*rking"]}}, "may only end a term"),
        ({"parking": {"en": ["p*"]}}, "at least 3 letters"),
        ({"parking": {"en": ["car park*"]}}, "must be one word"),
        ({"parking": {"en": ["~~~parking"]}}, "at most 2 '~'"),
    ],
)
def test_a_malformed_taxonomy_is_refused_saying_what_is_wrong(concepts: object, says: str) -> None:
    with pytest.raises(cl.InvalidInput, match=says):
        Taxonomy(concepts)  # type: ignore[arg-type]
    with pytest.raises(cl.InvalidInput, match=says):
        Taxonomy.default().extended(concepts)  # type: ignore[arg-type]


# sentiment


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("The staff were not friendly at all.", "en", "staff"),
        ("The waiter wasn't helpful.", "en", "staff"),
        ("Le personnel n'était pas aimable.", "fr", "staff"),
        ("Je ne recommande pas ce restaurant, le service était lent.", "fr", "waiting"),
        ("La cuisine, pas terrible.", "fr", "product"),
        ("Ce n'est pas terrible, la nourriture.", "fr", "product"),
    ],
)
def test_a_negated_praise_is_negative(analyzer: OfflineAnalyzer, text: str, language: str, concept: str) -> None:
    assert sentiment_of(analyzer, text, concept, language) < 0


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("The food was not bad at all.", "en", "product"),
        ("The delivery was never so fast.", "en", "delivery"),
        ("Rien à redire sur l'accueil.", "fr", "staff"),
        ("Pas de souci avec la livraison.", "fr", "delivery"),
        ("Je n'ai jamais été aussi bien accueilli.", "fr", "staff"),
    ],
)
def test_a_negated_complaint_or_an_idiom_of_praise_is_positive(
    analyzer: OfflineAnalyzer, text: str, language: str, concept: str
) -> None:
    assert sentiment_of(analyzer, text, concept, language) > 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The food was delicious but the service was painfully slow.", "en"),
        ("Great food, however we waited far too long.", "en"),
        ("La nourriture était délicieuse mais l'attente interminable.", "fr"),
        ("Plats savoureux, par contre service très lent.", "fr"),
    ],
)
def test_each_side_of_a_contrast_keeps_its_own_sentiment(analyzer: OfflineAnalyzer, text: str, language: str) -> None:
    found = analyzer.concepts(text, hint=language)
    assert found["product"] > 0 > found["waiting"], found


def test_boosters_and_exclamation_marks_strengthen_a_sentiment(analyzer: OfflineAnalyzer) -> None:
    plain = sentiment_of(analyzer, "The staff were friendly.", "staff")
    assert plain < sentiment_of(analyzer, "The staff were very friendly.", "staff")
    assert plain < sentiment_of(analyzer, "The staff were friendly!!", "staff")
    assert sentiment_of(analyzer, "Le personnel est aimable.", "staff", "fr") < sentiment_of(
        analyzer, "Le personnel est vraiment très aimable.", "staff", "fr"
    )


def test_a_concept_named_without_sentiment_in_its_clause_takes_that_of_its_sentence(
    analyzer: OfflineAnalyzer,
) -> None:
    assert sentiment_of(analyzer, "Our booking, I must say, was a disaster.", "booking") < 0
    assert analyzer.concepts("We booked online.", hint="en") == {"booking": 0.0}


def test_a_concept_is_given_once_per_text_with_the_mean_of_its_mentions(analyzer: OfflineAnalyzer) -> None:
    found = analyzer.concepts("The waiter was rude. The manager was lovely.\nStaff were ok.", hint="en")
    assert list(found) == ["staff"]
    mentions = [sentiment_of(analyzer, text, "staff") for text in ("The waiter was rude.", "The manager was lovely.")]
    mentions.append(sentiment_of(analyzer, "Staff were ok.", "staff"))
    assert found["staff"] == pytest.approx(sum(mentions) / 3, abs=0.001)


def test_accents_may_be_left_out_and_typographic_apostrophes_are_apostrophes(analyzer: OfflineAnalyzer) -> None:
    with_accents = analyzer.concepts("Le personnel n\u2019était pas très aimable, la qualité médiocre.", hint="fr")
    without = analyzer.concepts("Le personnel n'etait pas tres aimable, la qualite mediocre.", hint="fr")
    assert with_accents == without
    assert with_accents["staff"] < 0 and with_accents["product"] < 0


# what analyze gives


def test_analyze_gives_one_result_per_text_in_order(analyzer: OfflineAnalyzer) -> None:
    texts = ["The food was delicious.", "", "   ", "Service rapide et personnel charmant.", "Nothing to say."]
    results = [list(result) for result in analyzer.analyze(texts, languages=["en", "en", "fr", "fr", ""])]
    assert [[concept.name for concept in result] for result in results] == [
        ["product"],
        [],
        [],
        ["waiting", "staff"],
        [],
    ]
    for result in results:
        for concept in result:
            assert -1 <= concept.sentiment <= 1
            assert concept.sentiment == round(concept.sentiment, 3)


def test_a_language_the_taxonomy_has_no_terms_for_gives_no_concepts(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.concepts("Das Personal war sehr freundlich und das Essen ausgezeichnet.", hint="de") == {}
    assert analyzer.concepts("El personal fue muy amable y la comida excelente.", hint="") == {}


def test_a_language_without_a_lexicon_still_gets_its_concepts_with_a_neutral_sentiment() -> None:
    taxonomy = Taxonomy.default().extended({"staff": {"de": ["personal"]}})
    found = OfflineAnalyzer(taxonomy).concepts("Das Personal war sehr freundlich und aufmerksam.", hint="de")
    assert found == {"staff": 0.0}


def test_the_analysis_is_deterministic(analyzer: OfflineAnalyzer) -> None:
    text = "Great pizza but the waiter forgot our drinks and the bill was steep!\nAmbiance sympa."
    first = analyzer.analyze([text, text], languages=["en", "en"])
    assert [list(result) for result in first] == [list(result) for result in first[::-1]]
    assert list(OfflineAnalyzer().analyze([text], languages=["en"])[0]) == list(first[0])


def test_the_offline_analyzer_refuses_what_is_not_a_taxonomy() -> None:
    with pytest.raises(cl.InvalidInput, match=r"takes a closedloop\.analysis\.Taxonomy"):
        OfflineAnalyzer({"staff": {"en": ["staff"]}})  # type: ignore[arg-type]


# on by default


def test_a_fresh_desk_analyses_the_comments_it_takes_in(make_feedback: Callable[..., cl.Feedback]) -> None:
    desk = cl.Desk.open(clock=FakeClock())
    desk.add_place(cl.Place(id="paris", name="Paris Opera"))
    try:
        conversation = desk.ingest(make_feedback(comments="Accueil chaleureux mais le plat était froid."))
    finally:
        desk.close()
    found = {concept.name: concept.sentiment for concept in conversation.analysis}
    assert found["staff"] > 0 > found["product"], found


def test_a_desk_uses_the_taxonomy_of_its_setting(make_feedback: Callable[..., cl.Feedback]) -> None:
    desk = cl.Desk.open(clock=FakeClock(), taxonomy=Taxonomy({"parking": {"en": ["car park"]}}))
    desk.add_place(cl.Place(id="paris", name="Paris Opera"))
    try:
        conversation = desk.ingest(make_feedback(comments="The car park was a nightmare, the staff were rude."))
    finally:
        desk.close()
    assert [concept.name for concept in conversation.analysis] == ["parking"]


def test_a_pasted_blob_in_a_comment_is_read_around_and_a_huge_comment_only_in_part(analyzer: OfflineAnalyzer) -> None:
    """One endless word (a pasted code, a key held down) is a plain word, looked up in no lexicon: reading it
    takes as long as its length, not its square; of a huge comment only the first 20,000 characters are read."""
    blob = "The staff were lovely. " + "y" * 300_000 + " We waited an hour."
    (found,) = analyzer.analyze([blob], languages=["en"])
    assert {concept.name for concept in found} == {"staff"}, "the sentence after the blob lies past what is read"
    (short,) = analyzer.analyze(["The staff were lovely. " + "y" * 5_000 + " We waited an hour."], languages=["en"])
    assert {concept.name for concept in short} == {"staff", "waiting"}

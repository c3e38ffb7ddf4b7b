"""The offline assistant: drafts in the customer's language from editable templates, honest offline rephrasing."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import closedloop as cl
from closedloop import Desk, InvalidInput
from closedloop.analysis import Taxonomy
from closedloop.assistance import DraftTemplates, OfflineAssistant
from closedloop.assistance.drafting import greeting_name
from closedloop.assistance.offline import closedloop_register_assistants
from closedloop.domain import rules
from closedloop.domain.drafts import Band, DraftRequest

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NBSP = "\u00a0"
ASSISTANT = OfflineAssistant()
BUILT_IN_CONCEPTS = ("staff", "waiting", "product", "price", "cleanliness", "ambience", "delivery", "booking")


def request(
    *,
    name: str = "Claire Martin",
    language: str = "en",
    tone: str = "friendly",
    band: Band = Band.NEGATIVE,
    concepts: tuple[tuple[str, float], ...] = (),
    business_name: str = "Chez Léon",
) -> DraftRequest:
    feedback = cl.Feedback(
        source="survey", external_id="fb-1", place_id="paris", received_at=NOW, locale=language,
        contact=cl.Contact(name=name, email="claire@example.com"), comments="(the comment)",
    )  # fmt: skip
    return DraftRequest(
        conversation=rules.open_conversation("c-1", feedback, now=NOW, alert=None),
        agent=cl.User(id="ana", name="Ana Roux"),
        place=cl.Place(id="paris", name="Paris Opéra"),
        business_name=business_name,
        language=language,
        tone=tone,
        band=band,
        concepts=tuple(cl.Concept(name=concept, sentiment=sentiment) for concept, sentiment in concepts),
    )


def test_a_french_feedback_gets_a_french_draft_with_the_name_the_place_and_the_complaint_answered_first() -> None:
    draft = ASSISTANT.suggest(request(language="fr", concepts=(("waiting", -0.8), ("staff", 0.7))))
    text = draft.text
    assert text.startswith("Bonjour Claire,\n\n")
    assert "Paris Opéra" in text
    assert text.index("attente") < text.index("Toute l\u2019équipe")  # the complaint, then the praise
    assert text.endswith("Ana\nChez Léon")
    assert not re.search(r"\b(thank|sorry|the|we)\b", text, flags=re.IGNORECASE)
    assert draft.model == "templates"


def test_a_draft_asked_in_a_regional_locale_uses_its_language_and_an_unknown_language_falls_back_to_english() -> None:
    assert ASSISTANT.suggest(request(language="fr-CA")).text.startswith("Bonjour Claire,")
    assert ASSISTANT.suggest(request(language="de")).text.startswith("Hi Claire,")
    assert (ASSISTANT.written_in("FR_fr"), ASSISTANT.written_in("de")) == ("fr", "en")


def test_a_promoter_is_thanked_and_nothing_is_apologised_for() -> None:
    text = ASSISTANT.suggest(request(band=Band.POSITIVE, concepts=(("product", 0.9), ("staff", 0.6)))).text
    assert "Thank you so much" in text
    assert "read your kind words" in text
    assert not re.search(r"sorry|apolog|regret", text, flags=re.IGNORECASE)


def test_a_detractor_hears_regret_and_an_apologetic_tone_apologises() -> None:
    friendly = ASSISTANT.suggest(request(band=Band.NEGATIVE, concepts=(("cleanliness", -0.9),))).text
    apologetic = ASSISTANT.suggest(request(band=Band.NEGATIVE, tone="apologetic", concepts=(("cleanliness", -0.9),)))
    assert "sorry" in friendly and "Cleanliness matters" in friendly
    assert "apologies" not in friendly and "Please accept our sincere apologies." in apologetic.text


def test_a_few_concepts_are_named_each_once_keeping_room_for_praise_and_a_neutral_one_is_not() -> None:
    concepts = (
        ("waiting", -0.9),
        ("waiting", -0.5),
        ("product", -0.7),
        ("price", -0.6),
        ("staff", 0.8),
        ("ambience", 0.0),
    )
    text = ASSISTANT.suggest(request(band=Band.MIXED, concepts=concepts)).text
    assert text.count("wait like that") == 1
    assert "quality you describe" in text and "read your kind words" in text
    assert "prices" not in text  # three concepts at most: two complaints and the praise
    assert "atmosphere" not in text
    concise = ASSISTANT.suggest(request(band=Band.MIXED, tone="concise", concepts=concepts)).text
    assert "quality you describe" not in concise and "read your kind words" in concise


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_tone_gives_a_different_draft(language: str) -> None:
    drafts = {
        tone: ASSISTANT.suggest(request(language=language, tone=tone, concepts=(("waiting", -0.6),))).text
        for tone in cl.TONES
    }
    assert len(set(drafts.values())) == len(cl.TONES)
    assert len(drafts["concise"]) < len(drafts["friendly"])
    assert drafts["formal"].splitlines()[0] != drafts["friendly"].splitlines()[0] or language == "fr"


@pytest.mark.parametrize(
    ("name", "language", "greeting"),
    [
        ("", "en", "Hello,"),
        ("", "fr", "Bonjour,"),
        ("claire@example.com", "en", "Hello,"),
        ("12345", "en", "Hello,"),
        ("CLAIRE MARTIN", "en", "Hi Claire,"),
        ("jean-pierre", "fr", "Bonjour Jean-Pierre,"),
    ],
)
def test_the_greeting_uses_the_first_name_when_there_is_one_and_is_neutral_without(
    name: str, language: str, greeting: str
) -> None:
    text = ASSISTANT.suggest(request(name=name, language=language)).text
    assert text.splitlines()[0] == greeting
    assert "{" not in text


def test_without_a_business_name_the_place_signs() -> None:
    assert ASSISTANT.suggest(request(business_name="")).text.endswith("Ana\nParis Opéra")


@pytest.mark.parametrize("tone", ["cheerful", "", None, 3])
def test_an_unknown_tone_is_refused_listing_the_tones(tone: object) -> None:
    with pytest.raises(cl.InvalidInput, match="friendly, formal, apologetic, concise"):
        ASSISTANT.suggest(request(tone=tone))  # type: ignore[arg-type]
    with pytest.raises(cl.InvalidInput, match="friendly, formal, apologetic, concise"):
        ASSISTANT.rephrase("Hello", tone=tone, language="en")  # type: ignore[arg-type]


def test_a_tone_is_read_whatever_its_case() -> None:
    assert ASSISTANT.suggest(request(tone=" Formal ")).text.startswith("Dear Claire,")


PROMISES = re.compile(
    r"refund|rembours|discount|remise|r[ée]duction|voucher|coupon|bon d.achat|free|gratuit|compensat|d[ée]dommag|"
    r"promis|promet|guarantee|garanti|we will|we.ll|nous allons|nous ferons",
    flags=re.IGNORECASE,
)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_draft_promises_a_refund_a_discount_or_anything_else(language: str) -> None:
    for band, tone, polarity in itertools.product(Band, cl.TONES, (-0.9, 0.9)):
        concepts = tuple((name, polarity) for name in BUILT_IN_CONCEPTS)
        for kept in range(0, len(concepts), 2):  # every concept's sentence shows in one of these drafts
            text = ASSISTANT.suggest(request(language=language, band=band, tone=tone, concepts=concepts[kept:])).text
            assert not PROMISES.search(text), (band, tone, text)


def test_every_built_in_concept_has_a_sentence_for_each_polarity_in_each_language() -> None:
    for language in ("en", "fr"):
        wording = DraftTemplates.built_in().wording(language)
        missing = [
            f"{language}: {name}.{polarity}"
            for name in BUILT_IN_CONCEPTS
            for polarity in ("negative", "positive")
            if not wording.has(f"concept.{name}.{polarity}")
        ]
        assert missing == []


# --- templates a desk overrides ---------------------------------------------------------------------------------

GERMAN = """
signature = "{agent}"
apology = "Entschuldigung."
[greeting]
friendly = "Hallo {first_name},"
formal = "Sehr geehrte(r) {first_name},"
apologetic = "Hallo {first_name},"
concise = "Hallo {first_name},"
[greeting_without_name]
friendly = "Hallo,"
formal = "Guten Tag,"
apologetic = "Hallo,"
concise = "Hallo,"
[opening]
negative = "Danke für Ihre Rückmeldung zu {place}."
mixed = "Danke für Ihre Rückmeldung zu {place}."
positive = "Vielen Dank für Ihr Lob für {place}!"
unrated = "Danke für Ihre Nachricht."
[closing]
friendly = "Bis bald."
formal = "Mit freundlichen Grüßen."
apologetic = "Danke für Ihr Verständnis."
concise = ""
[sign_off]
friendly = "Viele Grüße,"
formal = "Hochachtungsvoll,"
apologetic = "Viele Grüße,"
concise = "Grüße,"
"""


def test_a_desk_overrides_some_keys_adds_its_own_concept_and_a_new_language(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(
        '[greeting]\nfriendly = "Hey {first_name}!"\n'
        '[concept.parking]\nnegative = "Parking near {place} is hard, we know."\n',
        encoding="utf-8",
    )
    (tmp_path / "de.toml").write_text(GERMAN, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")
    assistant = OfflineAssistant(DraftTemplates.from_setting(tmp_path))
    text = assistant.suggest(request(concepts=(("parking", -0.7),))).text
    assert text.startswith("Hey Claire!\n\n")
    assert "Parking near Paris Opéra is hard, we know." in text
    assert "Thank you for taking the time" in text  # the keys not overridden stay built in
    assert assistant.suggest(request(language="de", tone="formal")).text == (
        "Sehr geehrte(r) Claire,\n\nDanke für Ihre Rückmeldung zu Paris Opéra.\n\nMit freundlichen Grüßen.\n\n"
        "Hochachtungsvoll,\nAna"
    )
    assert DraftTemplates.from_setting(str(tmp_path)).languages == ("de", "en", "fr")
    assert DraftTemplates.from_setting(None) is DraftTemplates.built_in()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"en.toml": '[greetings]\nfriendly = "Hi"'}, r"en\.toml: unknown key 'greetings'; the keys are apology, "),
        (
            {"en.toml": '[greeting]\ncheerful = "Hi"'},
            r"en\.toml: unknown tone 'cheerful' under \[greeting\]; the tones",
        ),
        ({"en.toml": '[opening]\ngreat = "Hi"'}, r"en\.toml: unknown band 'great' under \[opening\]"),
        (
            {"en.toml": '[concept.staff]\nbad = "x"'},
            r"unknown polarity 'bad' under \[concept\.staff\]; use negative or",
        ),
        ({"en.toml": 'greeting = "Hi"'}, r"greeting must be a table with one text per tone"),
        ({"en.toml": "[greeting]\nformal = 3"}, r"greeting\.formal must be a text in quotes"),
        (
            {"en.toml": '[greeting]\nformal = "Dear {name},"'},
            r"greeting\.formal uses the unknown placeholder \{name\}; greeting\.formal may use \{first_name\}",
        ),
        (
            {"fr.toml": 'signature = "{agent} {first_name}"'},
            r"fr\.toml: signature uses the unknown placeholder \{first_name\}",
        ),
        ({"en.toml": '[closing]\nformal = "Bye {place"'}, r"closing\.formal has a lone \{ or \}; write \{\{ or \}\}"),
        ({"en.toml": '[closing]\nformal = "{place!r}"'}, r"write the placeholder as \{place\}"),
        ({"en.toml": '[greeting\nformal = "x"'}, r"en\.toml is not valid TOML \(.*line 1.*\); check the quotes"),
        (
            {"de.toml": '[greeting]\nfriendly = "Hallo {first_name},"'},
            r"de\.toml: de is a new language, so it needs every piece; it lacks greeting\.formal, ",
        ),
        ({"English.toml": 'apology = ""'}, r"English\.toml: name each file after a language code in lower case"),
        ({}, r"holds no <language>\.toml file"),
    ],
)
def test_a_bad_template_folder_is_refused_naming_the_file_the_key_and_the_fix(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(cl.InvalidInput, match=message):
        DraftTemplates.from_setting(tmp_path)


def test_a_template_setting_that_is_no_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text("", encoding="utf-8")
    for value, message in [
        (tmp_path / "missing", "does not exist"),
        (tmp_path / "en.toml", "is a file, not a folder"),
        (42, "must be the path of a folder"),
        ("  ", "must be the path of a folder"),
    ]:
        with pytest.raises(cl.InvalidInput, match=message):
            DraftTemplates.from_setting(value)
    (tmp_path / "en.toml").write_bytes(b'apology = "\xff"')
    with pytest.raises(cl.InvalidInput, match="cannot be read as UTF-8"):
        DraftTemplates.from_setting(tmp_path)


def test_the_built_in_hook_registers_the_offline_assistant_with_the_desks_templates(tmp_path: Path) -> None:
    registry = cl.Registry()
    closedloop_register_assistants(registry, cl.Settings())
    assert registry.assistants["offline"].suggest(request()).text.startswith("Hi Claire,")
    (tmp_path / "en.toml").write_text('[greeting]\nfriendly = "Howdy {first_name},"', encoding="utf-8")
    closedloop_register_assistants(registry := cl.Registry(), cl.Settings(draft_templates=tmp_path))
    assert registry.assistants["offline"].suggest(request()).text.startswith("Howdy Claire,")
    (tmp_path / "en.toml").write_text('[greeting]\nfriendly = "Howdy {surname},"', encoding="utf-8")
    with pytest.raises(cl.InvalidInput, match=r"en\.toml: greeting\.friendly uses the unknown placeholder \{surname\}"):
        closedloop_register_assistants(cl.Registry(), cl.Settings(draft_templates=tmp_path))


# --- rephrasing ---------------------------------------------------------------------------------------------------


def rephrased(text: str, tone: str = "friendly", language: str = "en") -> str:
    draft = ASSISTANT.rephrase(text, tone=tone, language=language)
    assert draft.model == "phrase bank"
    return draft.text


def test_rephrasing_fixes_spacing_capitals_and_repeated_punctuation() -> None:
    assert rephrased("we loved it  , really!!! see you at 10:30 .. or later??  bye ,ana") == (
        "We loved it, really! See you at 10:30. Or later? Bye, ana"
    )
    assert rephrased("thanks e.g. for the cake.\n\n\n\nit was great ... truly") == (
        "Thanks e.g. for the cake.\n\nIt was great... truly"
    )


def test_rephrasing_french_puts_a_no_break_space_before_double_punctuation_and_leaves_addresses_alone() -> None:
    text = rephrased(
        "merci pour votre retour!!! à bientôt ?voir https://exemple.fr?id=3 à 10:30 ; «super»", language="fr"
    )
    assert (
        text
        == f"Merci pour votre retour{NBSP}! À bientôt ?voir https://exemple.fr?id=3 à 10:30{NBSP}; «{NBSP}super{NBSP}»"
    )


def test_rephrasing_detects_the_language_when_it_is_not_given() -> None:
    assert rephrased("Merci beaucoup pour votre retour sur notre restaurant, nous sommes ravis!", language="") == (
        f"Merci beaucoup pour votre retour sur notre restaurant, nous sommes ravis{NBSP}!"
    )


LETTER = "Hi Claire,\n\nThanks, we're glad you came on 12 May and we don't forget it!\n\nCheers,\nAna"


def test_rephrasing_in_a_formal_tone_swaps_the_greeting_the_sign_off_thanks_and_contractions() -> None:
    assert rephrased(LETTER, "formal") == (
        "Dear Claire,\n\nThank you, we are glad you came on 12 May and we do not forget it!\n\nKind regards,\nAna"
    )
    assert rephrased(rephrased(LETTER, "formal"), "friendly") == (
        "Hi Claire,\n\nThanks, we are glad you came on 12 May and we do not forget it!\n\nWarm regards,\nAna"
    )


def test_rephrasing_apologetically_adds_an_apology_only_when_there_is_none_and_something_went_wrong() -> None:
    assert "apologies" not in rephrased(LETTER, "apologetic")  # a plainly happy text: nothing to apologise for
    late = "Hi Sam,\n\nWe are looking into the late delivery.\n\nBest,\nLeo"
    assert rephrased(late, "apologetic").split("\n\n")[1] == (
        "We are looking into the late delivery. Please accept our sincere apologies."
    )
    sorry = "Hello,\n\nSorry about the cold soup.\n\nBest,\nAna"
    assert rephrased(sorry, "apologetic") == "Hello,\n\nSorry about the cold soup.\n\nSincerely,\nAna"
    assert rephrased("Hi Claire,\n\nBest,\nAna", "apologetic") == (
        "Dear Claire,\n\nPlease accept our sincere apologies.\n\nSincerely,\nAna"
    )
    assert rephrased("Salut Paul! merci", "apologetic", "fr") == (
        "Bonjour Paul, merci. Nous vous prions de bien vouloir nous excuser."
    )


def test_rephrasing_concisely_cuts_filler_phrases_and_keeps_the_rest() -> None:
    text = (
        "Hello Ms Martin,\nHonestly, we are really very happy, and please do not hesitate to call us at 04 72 00 00 00."
    )
    assert rephrased(text, "concise") == "Hi Ms Martin,\nWe are happy, and please call us at 04 72 00 00 00."
    assert rephrased("It was a very good day, thank you very much.", "concise") == (
        "It was a very good day, thank you very much."
    )


def test_rephrasing_keeps_a_greeting_it_does_not_recognise_and_a_language_without_phrase_bank_is_only_tidied() -> None:
    assert rephrased("Hello team, thanks.", "formal") == "Hello team, thank you."
    assert rephrased("Hallo  Anna ,danke!!! bis bald", "formal", "de") == "Hallo Anna, danke! Bis bald"


def test_an_empty_text_is_not_rephrased() -> None:
    with pytest.raises(cl.InvalidInput, match="empty"):
        ASSISTANT.rephrase("  \n", tone="formal", language="en")


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["hi", "Claire", "thanks", "we're", "really", "12", "May", "2026", "€45.50", "honestly", ",", ".", "!!",
             "?", ":", "\n", "Best regards", "don't", "very", "à", "10:30", "order", "#4471"]
        ),
        min_size=1,
        max_size=25,
    ),
    tone=st.sampled_from(cl.TONES),
    language=st.sampled_from(["en", "fr"]),
)  # fmt: skip
def test_rephrasing_never_changes_a_number_or_a_name(words: list[str], tone: str, language: str) -> None:
    text = " ".join(words)
    if not text.strip():
        return
    result = rephrased(text, tone, language)
    facts = re.compile(r"\d[\d.,:]*\d|\d|Claire|May|#4471|€45\.50")
    assert facts.findall(result) == facts.findall(text)


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("Dr. John Smith", "John"),
        ("Mme Claire Martin", "Claire"),
        ("MARTIN Claire", "Claire"),
        ("M. Dupont", ""),
        ("Mr Smith", ""),
        ("J. Smith", ""),
        ("A Google User", ""),
        ("Anonymous", ""),
    ],
)
def test_titles_initials_and_placeholders_are_never_greeted_as_first_names(name: str, greeted: str) -> None:
    assert greeting_name(name) == greeted


def test_a_sentence_for_a_concept_the_taxonomy_lacks_is_refused_when_the_desk_opens(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[concept.parkng]\nnegative = "Parking is hard."\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"\[concept\.parkng\] is not a concept of this desk's taxonomy"):
        Desk.open(draft_templates=str(tmp_path))
    parking = Taxonomy.default().extended({"parkng": {"en": ["parking"]}})
    Desk.open(draft_templates=str(tmp_path), taxonomy=parking).close()

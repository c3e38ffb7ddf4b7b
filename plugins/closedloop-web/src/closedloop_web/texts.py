"""The page's words in English and French, and which of them a visitor gets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Your conversation with {business}",
        "intro": "Hello {name}, here is what you told {place}, and the answers you received.",
        "intro_anonymous": "Here is what you told {place}, and the answers you received.",
        "your_feedback": "Your feedback",
        "sent_on": "Sent on {date}",
        "ratings": "Your ratings",
        "comments": "Your comments",
        "conversation": "The conversation",
        "you": "You",
        "answer_heading": "Write back to {place}",
        "answer": "Your answer",
        "answer_hint": "Your message goes to the team of {place}. At most {limit} characters.",
        "send": "Send my answer",
        "empty": "Please write a message before sending it.",
        "too_long": "Your message has {count} characters; please shorten it to at most {limit}.",
        "form_expired": "This form had expired. Your text is still here: please send it again.",
        "too_large": "This message is far too long to be sent. Please write a shorter one.",
        "unreadable": "Your message could not be read. Please write it again and send it.",
        "thanks_title": "Thank you",
        "thanks": "Your message was sent to {place}. They will read it soon; you can close this page.",
        "unknown_title": "This link does not work",
        "unknown": "We could not find this link. Please check that you copied the whole address from the email.",
        "expired_title": "This link has expired",
        "expired": "Reply links work for a limited time. If you still want to answer, reply to the business directly.",
        "used_title": "This link was already used",
        "used": "A message was already sent with this link, and each link works once. Thank you for your answer.",
        "busy_title": "Too many attempts",
        "busy": "Too many links were tried from your connection. Please wait a few minutes and try again.",
        "stars": "{value} out of {high} stars",
        "kind_nps": "How likely you are to recommend us",
        "kind_csat": "Your satisfaction",
        "kind_ces": "How easy it was",
        "kind_stars": "Your rating",
        "scale": "{value} on a scale from {low} to {high}",
        "months": "January February March April May June July August September October November December",
        "date": "{month} {day}, {year} at {time} UTC",
    },
    "fr": {
        "title": "Votre échange avec {business}",
        "intro": "Bonjour {name}, voici ce que vous avez dit à {place}, et les réponses reçues.",
        "intro_anonymous": "Voici ce que vous avez dit à {place}, et les réponses reçues.",
        "your_feedback": "Votre avis",
        "sent_on": "Envoyé le {date}",
        "ratings": "Vos notes",
        "comments": "Vos commentaires",
        "conversation": "L’échange",
        "you": "Vous",
        "answer_heading": "Répondre à {place}",
        "answer": "Votre réponse",
        "answer_hint": "Votre message sera transmis à l’équipe de {place}. {limit} caractères au plus.",
        "send": "Envoyer ma réponse",
        "empty": "Veuillez écrire un message avant de l’envoyer.",
        "too_long": "Votre message compte {count} caractères ; raccourcissez-le à {limit} au plus.",
        "form_expired": "Ce formulaire avait expiré. Votre texte est conservé : envoyez-le à nouveau.",
        "too_large": "Ce message est bien trop long pour être envoyé. Veuillez en écrire un plus court.",
        "unreadable": "Votre message n’a pas pu être lu. Veuillez l’écrire à nouveau et l’envoyer.",
        "thanks_title": "Merci",
        "thanks": "Votre message a été transmis à {place}. Il sera lu bientôt ; vous pouvez fermer cette page.",
        "unknown_title": "Ce lien ne fonctionne pas",
        "unknown": "Ce lien est introuvable. Vérifiez que vous avez copié l’adresse complète depuis l’e-mail.",
        "expired_title": "Ce lien a expiré",
        "expired": (
            "Les liens de réponse ont une durée limitée. Pour répondre encore, contactez directement l’établissement."
        ),
        "used_title": "Ce lien a déjà servi",
        "used": (
            "Un message a déjà été envoyé avec ce lien, et chaque lien ne sert qu’une fois. Merci de votre réponse."
        ),
        "busy_title": "Trop de tentatives",
        "busy": "Trop de liens ont été essayés depuis votre connexion. Patientez quelques minutes puis réessayez.",
        "stars": "{value} étoiles sur {high}",
        "kind_nps": "Probabilité de nous recommander",
        "kind_csat": "Votre satisfaction",
        "kind_ces": "Facilité de la démarche",
        "kind_stars": "Votre note",
        "scale": "{value} sur une échelle de {low} à {high}",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "date": "{day} {month} {year} à {time} UTC",
    },
}


def language_of(locale: str) -> str:
    """``fr``, ``fr-CA`` or ``fr_BE`` give French; anything we have no words for gives English."""
    language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def language_from_header(accept_language: str) -> str:
    """The first language of an ``Accept-Language`` header that we speak, for pages with no feedback."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                continue
        ranked.append((-weight, position, tag))
    for _weight, _position, tag in sorted(ranked):
        language = tag.split("-", 1)[0].strip().lower()
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def format_moment(moment: datetime, language: str) -> str:
    """A date as people of that language write it; times are shown in UTC, and say so."""
    texts = TEXTS[language]
    month = texts["months"].split()[moment.month - 1]
    return texts["date"].format(month=month, day=moment.day, year=moment.year, time=moment.strftime("%H:%M"))

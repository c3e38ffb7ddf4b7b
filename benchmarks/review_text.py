"""Bilingual review comments for the analysis benchmarks, deterministic for a given seed.

An analyzer's speed depends on what it reads: sentence splitting, term lookup and sentiment scoring all cost
more on real prose than on random words. These comments look like customers' reviews (one to three
sentences, praise, complaints and contrasts about the default concepts), about half English, half French.
Their wording is kept apart from the labelled test set, so a benchmark never doubles as a tuning set.

    python benchmarks/review_text.py    # prints a few samples
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# One line per group: "concept polarity business: clause; clause; ...". Polarity is + (praise), - (complaint) or 0
# (a plain mention); business "any" suits every kind of business. A group may run over several lines, and
# "{very} " is replaced by an intensifier or by nothing.
ENGLISH_CLAUSES = """
staff + any: the person at the desk went out of their way to help; the whole crew was {very} welcoming
staff + any: everyone we dealt with was {very} polite
staff + restaurant: our server was {very} patient with all our questions; the host greeted us like old friends
staff + shop: the assistant gave us honest, sensible advice; customer support sorted my question in one email
staff + salon: the stylist took time to understand what I was after
staff + garage: the technician clearly knew his trade
staff + hotel: the night porter was {very} helpful with our luggage
staff - any: the person at the desk was {very} dismissive; nobody seemed interested in helping
staff - restaurant: our server sighed at every simple question; the host barely acknowledged us
staff - shop: the assistants chatted among themselves and ignored the customers
staff - shop: customer support never replied to my emails
staff - salon: the stylist spent the whole appointment on her phone
staff - garage: the technician seemed unsure what he was doing
staff - hotel: the receptionist was {very} curt when we checked in
waiting + any: the whole visit was {very} quick and smooth
waiting + restaurant: our table was ready the moment we walked in; the order came out within a few minutes
waiting + shop: there was hardly any line at the till
waiting + salon: I was in the chair right on schedule
waiting + garage: the job was finished the same afternoon
waiting + hotel: check-out took barely two minutes
waiting - any: we hung around far longer than we should have
waiting - restaurant: the mains took well over an hour to appear; getting the check took longer than the meal itself
waiting - restaurant: we sat around for ages before anyone came over
waiting - shop: the line barely moved for half an hour
waiting - salon: I sat in the chair for forty minutes before anyone started
waiting - garage: the job dragged on for three extra days
waiting - hotel: our room was not ready until late afternoon
waiting 0 restaurant: the kitchen takes about twenty minutes on busy nights
product + restaurant: the lasagne was {very} generous and full of flavour; the pastries were {very} light and buttery
product + shop: the new jacket fits perfectly and feels solid
product + salon: the colour turned out exactly as I hoped
product + garage: the repair was done properly the first time
product + hotel: the breakfast spread was {very} generous
product - restaurant: the lasagne was watery and underseasoned; the pastries tasted like yesterday's batch
product - restaurant: the curry was {very} bland and barely warm
product - shop: the jacket started fraying after one wash
product - salon: the colour faded within a fortnight
product - garage: the repair failed again within a week
product - hotel: breakfast was a sad tray of dry rolls
product 0 restaurant: we both went for the fish of the day
price + any: it is excellent value for the quality
price + restaurant: the bill was {very} fair for what we had; the set lunch is a proper bargain
price + garage: the quote was honest and the invoice matched it
price + hotel: the room rate was {very} reasonable for the location
price - any: it is poor value for the quality
price - restaurant: the bill was {very} steep for what we had; drinks cost a small fortune; the set lunch is overpriced
price - garage: the final invoice came in well above the quote
price - salon: a simple colour cost more than a weekend away
price 0 any: prices are about what you would expect around here
cleanliness + any: the place was {very} clean
cleanliness + restaurant: the tables and floors were {very} clean
cleanliness + hotel: the bathroom was sparkling; the bedding was fresh and crisp
cleanliness + garage: the workshop was surprisingly tidy
cleanliness + salon: every brush and basin looked freshly washed
cleanliness - any: the floor was {very} grimy; there was dust on every shelf
cleanliness - restaurant: the cups were not properly washed
cleanliness - hotel: the bathroom had not been cleaned in days; the bedding had stains on it
ambience + restaurant: the dining room is bright and {very} welcoming; the garden seating is {very} peaceful
ambience + restaurant: the background music was just right
ambience + hotel: it was warm and snug inside; the decoration is tasteful
ambience + salon: the music and the lighting were {very} relaxing
ambience - restaurant: the dining room is cramped and {very} loud; the background music was painfully loud
ambience - hotel: the heating was stuck on full blast; it was chilly and draughty inside
ambience - hotel: the decoration is tired and gloomy
ambience - salon: the hairdryers and the radio made it impossible to relax
delivery + shop: the courier came early and handled everything with care; the box arrived intact and well protected
delivery + shop: shipping took just two days; the tracking updates were {very} accurate
delivery + restaurant: our takeaway turned up hot and ahead of time
delivery - shop: the courier threw the box over the gate; the box arrived crushed; shipping took nearly a month
delivery - shop: the parcel went to the wrong address
delivery - restaurant: the takeaway took ninety minutes to reach us
delivery 0 shop: the parcel came with the usual courier
booking + restaurant: reserving a table online took seconds
booking + shop: ordering through the website was {very} straightforward
booking + salon: the app made it {very} easy to pick a slot; changing my appointment was painless
booking + garage: booking the service online took a couple of clicks
booking + hotel: the booking confirmation came through instantly
booking - restaurant: our booking had vanished by the time we arrived; nobody answered when I tried to book
booking - shop: the checkout kept throwing errors
booking - salon: the app lost my appointment
booking - garage: they had no record of my appointment
booking - hotel: the reservation had been made for the wrong dates
booking 0 restaurant: we reserved a table through the website
booking 0 garage: I booked the slot by phone
"""

FRENCH_CLAUSES = """
staff + any: toute l'équipe a été {very} chaleureuse; tout le monde a été {very} aimable
staff + restaurant: l'hôtesse nous a reçus avec un grand sourire; le serveur a répondu à toutes nos questions
staff + shop: le vendeur a été {very} patient et de bon conseil
staff + salon: la coiffeuse a bien compris ce que je voulais
staff + garage: la technicienne connaissait son métier sur le bout des doigts
staff + hotel: le veilleur de nuit a été {very} serviable
staff - any: personne n'avait l'air d'avoir envie de nous aider
staff - restaurant: l'hôtesse nous a à peine regardés; le serveur nous a parlé sur un ton méprisant
staff - shop: le vendeur a été {very} désagréable; le service client n'a jamais répondu à mes mails
staff - salon: la coiffeuse a passé la séance au téléphone
staff - garage: le mécanicien ne savait pas répondre à mes questions
staff - hotel: le réceptionniste a été {very} sec à notre arrivée
waiting + any: tout s'est enchaîné {very} rapidement
waiting + restaurant: notre table était prête dès notre arrivée; les plats sont sortis en un rien de temps
waiting + shop: il n'y avait presque personne en caisse
waiting + salon: j'ai été prise pile à l'heure
waiting + garage: la voiture était prête le soir même
waiting + hotel: la chambre était disponible dès midi
waiting - any: on a attendu bien plus longtemps que prévu
waiting - restaurant: les plats ont mis plus d'une heure à arriver; l'addition s'est fait attendre vingt bonnes minutes
waiting - shop: la file n'avançait pas
waiting - salon: j'ai patienté quarante minutes avant qu'on s'occupe de moi
waiting - garage: les travaux ont pris trois jours de plus que prévu
waiting - hotel: la chambre n'était toujours pas prête à seize heures
waiting 0 restaurant: il faut compter une vingtaine de minutes le soir
product + restaurant: la blanquette était {very} fondante et bien assaisonnée
product + restaurant: les viennoiseries sont {very} légères et croustillantes
product + shop: la veste tombe parfaitement
product + salon: le balayage est exactement ce que je voulais
product + garage: la réparation a tenu sans le moindre souci
product + hotel: le petit-déjeuner était {very} copieux
product - restaurant: la blanquette manquait de goût; les viennoiseries avaient un goût de réchauffé
product - shop: la veste s'est décousue au premier lavage
product - salon: le balayage a viré à l'orange
product - garage: la réparation n'a tenu qu'une semaine
product - hotel: le petit-déjeuner était bien maigre
product 0 restaurant: on a pris tous les deux le poisson du jour
price + any: on en a pour son argent
price + restaurant: l'addition était {very} raisonnable; le menu du midi est une affaire
price + garage: le devis était clair et la facture identique
price + hotel: le prix de la chambre est {very} raisonnable pour l'emplacement
price - any: c'est bien trop cher pour la qualité
price - restaurant: l'addition était {very} salée; les boissons coûtent une fortune
price - garage: la facture dépassait largement le devis
price - salon: une simple couleur coûte le prix d'un week-end
price 0 any: les tarifs sont ceux du quartier
cleanliness + any: l'endroit était {very} propre
cleanliness + restaurant: la salle était impeccable
cleanliness + hotel: la salle de bain brillait; les draps sentaient le frais
cleanliness + garage: l'atelier était étonnamment bien rangé
cleanliness + salon: les bacs et les brosses étaient d'une propreté parfaite
cleanliness - any: le sol était {very} crasseux
cleanliness - restaurant: les verres étaient mal lavés
cleanliness - hotel: la salle de bain n'avait pas été nettoyée; il y avait des taches sur les draps
ambience + restaurant: la salle est lumineuse et {very} accueillante; la musique de fond était bien choisie
ambience + restaurant: le jardin est {very} paisible
ambience + hotel: il faisait bon dans la chambre; la décoration est soignée
ambience + salon: la lumière et la musique étaient {very} apaisantes
ambience - restaurant: la salle est exiguë et {very} bruyante; la musique était beaucoup trop forte
ambience - hotel: le chauffage était bloqué au maximum; il y avait des courants d'air partout
ambience - hotel: la décoration est triste et défraîchie
ambience - salon: entre les séchoirs et la radio, impossible de se détendre
delivery + shop: le livreur est passé en avance; le carton est arrivé intact et bien protégé
delivery + shop: l'expédition n'a pris que deux jours; le suivi du colis était {very} précis
delivery + restaurant: la commande à emporter est arrivée bien chaude
delivery - shop: le livreur a jeté le carton par-dessus le portail; le carton est arrivé écrasé
delivery - shop: l'expédition a pris presque un mois; le colis est parti à la mauvaise adresse
delivery - restaurant: le livreur a mis une heure et demie à arriver
delivery 0 shop: le colis est passé par le transporteur habituel
booking + restaurant: réserver une table en ligne prend quelques secondes
booking + shop: commander sur le site a été {very} simple
booking + salon: l'appli permet de choisir un créneau {very} facilement; déplacer mon rendez-vous a été simple
booking + garage: prendre rendez-vous en ligne m'a pris deux clics
booking + hotel: la confirmation de réservation est arrivée aussitôt
booking - restaurant: notre réservation avait disparu à notre arrivée; personne ne répondait pour réserver
booking - shop: le paiement en ligne affichait sans cesse des erreurs
booking - salon: l'appli a perdu mon rendez-vous
booking - garage: ils n'avaient aucune trace de mon rendez-vous
booking - hotel: la réservation avait été enregistrée aux mauvaises dates
booking 0 restaurant: nous avons réservé sur le site
booking 0 garage: j'ai pris rendez-vous par téléphone
"""


Clauses = dict[tuple[str, str, str], tuple[str, ...]]


@dataclass(frozen=True)
class Voice:
    """What one language needs to write a review: its clauses, and the words that tie them into sentences."""

    clauses: Clauses
    intensifiers: tuple[str, ...]
    openers: tuple[str, ...]
    and_word: str
    but_word: str
    visits: tuple[str, ...]
    companies: tuple[str, ...]
    days: tuple[str, ...]
    times: tuple[str, ...]
    closers: dict[str, tuple[str, ...]]


def parse_clauses(block: str) -> Clauses:
    groups: dict[tuple[str, str, str], list[str]] = {}
    for line in block.strip().splitlines():
        key, _, clauses = line.partition(":")
        concept, polarity, business = key.split()
        groups.setdefault((concept, polarity, business), []).extend(part.strip() for part in clauses.split(";"))
    return {key: tuple(clauses) for key, clauses in groups.items()}


ENGLISH = Voice(
    clauses=parse_clauses(ENGLISH_CLAUSES),
    intensifiers=("", "", "", "very ", "really ", "extremely ", "super "),
    openers=("", "", "", "Honestly, ", "Overall, ", "On our last visit, ", "This time ", "As usual, "),
    and_word="and",
    but_word="but",
    visits=("We came {company} on a {day} {time}.", "First time trying this place, {company}, on a {day} {time}."),
    companies=("with friends", "as a family", "with colleagues", "with my partner", "with the kids"),
    days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    times=("morning", "lunchtime", "afternoon", "evening"),
    closers={
        "positive": ("We will definitely be back.", "Highly recommended.", "Thanks again to everyone there."),
        "negative": ("We will not be returning.", "Such a shame.", "Avoid if you can."),
        "mixed": ("Might give it another go.", "Could be great with a few fixes.", "Hit and miss overall."),
    },
)

FRENCH = Voice(
    clauses=parse_clauses(FRENCH_CLAUSES),
    intensifiers=("", "", "", "très ", "vraiment ", "super "),
    openers=("", "", "", "Franchement, ", "Pour être honnête, ", "Lors de notre dernière visite, ", "Cette fois, "),
    and_word="et",
    but_word="mais",
    visits=("On est venus {company} un {day} {time}.", "Première visite {company}, un {day} {time}."),
    companies=("entre amis", "en famille", "avec des collègues", "en couple", "avec les enfants"),
    days=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    times=("matin", "midi", "après-midi", "soir"),
    closers={
        "positive": ("On reviendra avec plaisir.", "Je recommande vivement.", "Merci encore à toute l'équipe."),
        "negative": ("On ne reviendra pas.", "Quel dommage.", "À éviter."),
        "mixed": ("On retentera peut-être.", "Peut mieux faire.", "Des hauts et des bas."),
    },
)

VOICES = {"en": ENGLISH, "fr": FRENCH}
BUSINESSES = ("restaurant", "restaurant", "shop", "salon", "garage", "hotel")
FEWEST_WORDS, MOST_WORDS = 15, 45


def praised_and_blamed(voice: Voice, business: str) -> tuple[str, ...]:
    """The concepts a business can be praised and blamed for (a garage has no music, a salon no parcels)."""
    named = sorted({concept for concept, _, _ in voice.clauses})
    kinds = ("any", business)
    return tuple(
        concept
        for concept in named
        if all(any((concept, polarity, kind) in voice.clauses for kind in kinds) for polarity in "+-")
    )


JUDGED_ON = {
    (language, business): praised_and_blamed(voice, business)
    for language, voice in VOICES.items()
    for business in BUSINESSES
}


@dataclass(frozen=True)
class Visit:
    """One review being written: its language, the kind of business, what it can be judged on, the overall mood."""

    voice: Voice
    business: str
    concepts: tuple[str, ...]
    mood: str

    def options(self, concept: str, polarity: str) -> tuple[str, ...]:
        clauses = self.voice.clauses
        return clauses.get((concept, polarity, "any"), ()) + clauses.get((concept, polarity, self.business), ())


def clause(generator: random.Random, visit: Visit, concept: str, polarity: str) -> str:
    text = generator.choice(visit.options(concept, polarity))
    return text.replace("{very} ", generator.choice(visit.voice.intensifiers))


def sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def opinion(generator: random.Random, visit: Visit, unsaid: list[str], *, opening: bool) -> str:
    """One sentence about one or two concepts not yet mentioned: plain, paired with a second of the same feeling,
    or contrasted. Only the opening one may start with "Honestly," and the like, so none is said twice."""
    voice = visit.voice
    first, second = generator.sample(unsaid if len(unsaid) >= 2 else visit.concepts, 2)
    unsaid[:] = [concept for concept in unsaid if concept not in (first, second)]
    if visit.mood == "mixed" or generator.random() < 0.15:
        praise, complaint = clause(generator, visit, first, "+"), clause(generator, visit, second, "-")
        if generator.random() < 0.5:
            praise, complaint = complaint, praise
        return sentence(f"{praise}, {voice.but_word} {complaint}")
    feeling = "+" if visit.mood == "positive" else "-"
    polarity = "0" if generator.random() < 0.08 and visit.options(first, "0") else feeling
    text = clause(generator, visit, first, polarity)
    if generator.random() < 0.45:
        text = f"{text} {voice.and_word} {clause(generator, visit, second, feeling)}"
    opener = generator.choice(voice.openers) if opening else ""
    return sentence(opener + text)


def when_and_with_whom(generator: random.Random, voice: Voice) -> str:
    return generator.choice(voice.visits).format(
        company=generator.choice(voice.companies), day=generator.choice(voice.days), time=generator.choice(voice.times)
    )


def comment(generator: random.Random, language: str) -> str:
    """One to three sentences, mostly praise as real reviews are; when and with whom comes first, a farewell last."""
    mood = generator.choices(("positive", "negative", "mixed"), weights=(55, 30, 15))[0]
    voice, business = VOICES[language], generator.choice(BUSINESSES)
    visit = Visit(voice, business, JUDGED_ON[(language, business)], mood)
    unsaid = list(visit.concepts)
    setting, opinions, farewell = "", [opinion(generator, visit, unsaid, opening=True)], ""
    for _ in range(generator.choices((0, 1, 2), weights=(30, 45, 25))[0]):
        draw = generator.random()
        if draw < 0.25 and not setting:
            setting = when_and_with_whom(generator, voice)
        elif draw < 0.5 and not farewell:
            farewell = generator.choice(voice.closers[mood])
        else:
            opinions.append(opinion(generator, visit, unsaid, opening=False))
    return " ".join(part for part in (setting, *opinions, farewell) if part)


def review_comments(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(language, text) pairs, about half "en" and half "fr", each of 15 to 45 words; the same for the same seed."""
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    generator = random.Random(seed)
    comments: list[tuple[str, str]] = []
    for _ in range(count):
        language = "en" if generator.random() < 0.5 else "fr"
        text = comment(generator, language)
        while not FEWEST_WORDS <= len(text.split()) <= MOST_WORDS:
            text = comment(generator, language)
        comments.append((language, text))
    return comments


if __name__ == "__main__":
    for language, text in review_comments(8):
        print(f"{language}  {text}")

"""Comments for demo responses, composed from phrase templates so that their themes match their scores.

A detractor complains about the response's main theme (and maybe a second one), a passive praises one
thing and regrets another, a promoter praises.  Fragments carry slots ({employee}, {store}, {product},
{minutes}, {days}); openers, connectors, closers and a few writing habits (all lower case, no full stop,
exclamation marks) multiply them into many thousands of distinct texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from harken.analytics.nps import Category

Table = dict[str, tuple[str, ...]]  # theme → fragments

# Fragments start in lower case and have no final full stop; ``_sentence`` adds both.
NEGATIVE: Table = {
    "wait_time": (
        "I queued for {minutes} minutes at the till", "the queue at the till was ridiculous",
        "only one till was open and the line went round the shop", "I waited {minutes} minutes to be served",
        "nobody came to help even though I waited for {minutes} minutes", "it took far too long to be served",
        "the click and collect desk had a huge queue", "waiting times are getting worse every visit",
    ),
    "staff": (
        "the staff were rude and clearly didn't want to help", "{employee} was dismissive when I asked for help",
        "nobody on the shop floor knew anything about the {product}",
        "the assistant was more interested in their phone than in customers",
        "staff ignored me while chatting to each other", "{employee} gave me wrong advice about the {product}",
        "I felt like a nuisance for asking a simple question", "nobody offered to help me find my size",
    ),
    "price": (
        "prices have gone up a lot this year", "the {product} was much cheaper elsewhere",
        "far too expensive for what you get", "the discounts are never on anything I actually need",
        "I paid full price and it went on sale two days later", "delivery charges are too high",
        "the {product} is not worth the money", "other shops price match and you don't",
    ),
    "product_quality": (
        "the {product} fell apart after {days} days", "the zip on my {product} broke on the first trip",
        "the quality isn't what it used to be", "my {product} let me down on the first proper trip",
        "the stitching on the {product} came undone within a month", "the {product} felt cheap and flimsy",
        "the sizing was way off", "the {product} arrived faulty",
    ),
    "cleanliness": (
        "the store was messy and the changing rooms were dirty", "clothes were all over the floor",
        "the fitting rooms smelt awful", "the shop looked untidy and half the shelves were empty",
        "the toilets were out of order again", "rubbish by the entrance and dusty shelves",
        "the store looked neglected",
    ),
    "delivery": (
        "my order arrived {days} days late", "the parcel was left outside in the rain",
        "the courier said they tried to deliver but nobody rang the bell",
        "the tracking didn't update for days", "the box was crushed and the {product} was damaged",
        "I took a day off to wait for a delivery that never came",
        "half the order arrived and the rest came a week later",
        "delivery was promised for Saturday and came {days} days later",
        "the parcel went to the wrong address",
    ),
    "billing": (
        "I was charged twice for the same order", "my card was charged before the order was confirmed",
        "the invoice was wrong and it took weeks to fix", "the voucher code didn't work at checkout",
        "I was billed for a membership I had cancelled", "payment kept failing at the till",
        "the receipt didn't show the discount I was promised",
    ),
    "mobile_app": (
        "the app keeps crashing at checkout", "the website is slow and the filters don't work",
        "I couldn't log in to the app for a week", "the app lost my basket twice",
        "the new app update made everything harder to find", "stock shown on the website was wrong",
        "the checkout page froze when I tried to pay", "the search on the website is useless",
    ),
    "returns": (
        "the refund took {days} days to arrive", "returning the {product} was a complete hassle",
        "the store refused to take back an online order", "I still haven't had my refund",
        "I had to pay to send the {product} back", "the returns label never arrived",
        "they only offered a voucher, not a refund",
    ),
    "stock": (
        "the {product} was out of stock", "the website said in stock but the store had none",
        "the shelves were half empty", "my click and collect order was cancelled because of stock",
        "you never have the {product} in store any more", "the {product} has been out of stock for weeks",
    ),
    "loyalty": (
        "the Northwind Club rewards are not worth it any more", "my points expired without any warning",
        "membership renewal went up and the benefits went down", "I never get any useful member offers",
        "the rewards are impossible to redeem online", "the club discount doesn't apply to most items",
    ),
}

POSITIVE: Table = {
    "wait_time": (
        "I was served straight away", "no queue at all", "the tills were quick even on a Saturday",
        "in and out in no time", "they opened another till as soon as a queue formed",
        "the click and collect pickup took two minutes",
    ),
    "staff": (
        "{employee} was brilliant and really knew the {product} inside out", "the staff were friendly and helpful",
        "{employee} went out of their way to help me", "great advice on choosing a {product}",
        "the team at {store} are always welcoming", "{employee} sorted everything out quickly and kindly",
        "the assistant took time to find the right {product} for me", "lovely, knowledgeable staff",
        "{employee} was patient and explained everything clearly", "the staff know their stuff",
    ),
    "price": (
        "great value for money", "the {product} was a bargain in the sale", "fair prices for good quality",
        "the member discount makes a real difference", "cheaper than anywhere else I looked",
        "happy with the price match", "good deals on the {product}",
    ),
    "product_quality": (
        "the {product} is excellent quality", "my {product} has survived two winters and still looks new",
        "really well made gear", "the {product} does exactly what it should",
        "quality products that last", "the {product} is just what I needed", "top quality kit",
    ),
    "cleanliness": (
        "the store is always clean and tidy", "beautiful, well organised shop", "spotless changing rooms",
        "easy to find everything in the store", "the new layout at {store} is great",
    ),
    "delivery": (
        "delivery was fast, next day as promised", "the parcel arrived a day early", "the courier was really friendly",
        "great tracking and a one-hour delivery slot", "well packed and on time",
        "click and collect was ready in two hours", "quick delivery, even before Christmas",
    ),
    "billing": (
        "paying was quick and easy", "the refund showed up on my card straight away",
        "clear invoice with everything itemised", "paying by phone made it quick",
    ),
    "mobile_app": (
        "the app is really easy to use", "ordering online took two minutes", "the website is clear and fast",
        "the stock checker in the app is spot on", "checkout on the app is smooth",
        "I love the new app", "the size guide on the website was accurate",
    ),
    "returns": (
        "returning the {product} was easy", "refund within {days} days, no questions asked",
        "exchanged my {product} in store with no fuss", "the free returns label made it simple",
        "hassle-free returns", "the returns desk was quick and friendly",
    ),
    "stock": (
        "everything I wanted was in stock", "huge range to choose from", "they had the {product} I wanted",
        "great selection of outdoor gear", "the store had exactly what I needed",
    ),
    "loyalty": (
        "the Northwind Club pays for itself", "the member rewards are generous", "I love the member events",
        "my points bought me a new {product}", "free repairs with the membership are brilliant",
    ),
}

# Support happens on the phone and in chat, and the delivery "staff" are couriers: their own phrases.
STEP_NEGATIVE: dict[str, Table] = {
    "support": {
        "wait_time": (
            "I was on hold for {minutes} minutes before anyone answered", "the chat kept me waiting for ages",
            "nobody replied to my e-mail for {days} days", "I had to call three times to get an answer",
            "the callback I was promised never came", "it took {days} days to sort out a simple problem",
        ),
        "staff": (
            "the person on the phone was impatient and talked over me",
            "I was passed from one person to another and nobody took ownership",
            "the agent read from a script and didn't listen", "{employee} didn't seem to understand the problem",
            "the advisor gave me wrong information about my order",
            "I felt like a nuisance for asking a simple question",
        ),
    },
    "delivery": {
        "staff": (
            "the courier was rude", "the driver left the parcel with a neighbour I've never met",
            "the driver threw the parcel over the fence",
        ),
    },
}
STEP_POSITIVE: dict[str, Table] = {
    "support": {
        "wait_time": (
            "someone answered the phone in under a minute", "the chat replied within seconds",
            "they called me back the same day", "sorted in one call", "my e-mail was answered the same afternoon",
        ),
        "staff": (
            "{employee} sorted everything out quickly and kindly", "the person I spoke to really listened",
            "{employee} was patient and explained everything clearly", "the advisor knew exactly what to do",
            "really helpful and friendly agent", "{employee} followed up to check everything was fine",
        ),
    },
    "delivery": {
        "staff": (
            "the courier was really friendly", "the driver called ahead and was right on time",
            "the driver carried the box all the way in",
        ),
    },
}

OPENERS_NEGATIVE = ("", "", "", "Honestly, ", "Very disappointed. ", "Sorry to say it but ", "Not happy. ",
                    "Frustrating experience: ", "Where do I start? ", "Used to love this shop but ")
OPENERS_POSITIVE = ("", "", "", "Brilliant! ", "Great experience. ", "As always, ", "Really impressed: ",
                    "Can't fault it. ", "Lovely experience. ")
OPENERS_PASSIVE = ("", "", "", "Mostly fine. ", "Not bad overall. ", "OK experience. ", "Decent, ")
CLOSERS_NEGATIVE = ("", "", "", "Not impressed.", "I'll shop elsewhere next time.", "Please sort it out.",
                    "Won't be back in a hurry.", "Very poor.", "Expected better from Northwind.",
                    "I've been a customer for years and this is not good enough.")
CLOSERS_POSITIVE = ("", "", "", "Will definitely be back!", "Thank you!", "Highly recommend.",
                    "Keep it up.", "My favourite outdoor shop.", "10/10.", "Already told my friends.")
CLOSERS_PASSIVE = ("", "", "", "Could be better.", "Room for improvement.", "Fine, nothing special.",
                   "Would be a 10 if that was fixed.")



@dataclass(frozen=True)
class Language:
    """A smaller phrase set for customers who answer in Spanish, French or German."""

    negative: dict[str, tuple[str, ...]]
    positive: dict[str, tuple[str, ...]]
    closers_negative: tuple[str, ...]
    closers_positive: tuple[str, ...]
    but: str


FOREIGN: dict[str, Language] = {
    "es": Language(
        negative={
            "wait_time": ("esperé {minutes} minutos en la caja", "las colas son interminables"),
            "staff": ("el personal fue muy poco amable", "nadie sabía nada sobre el producto"),
            "price": ("los precios son demasiado altos", "el producto era más barato en otra tienda"),
            "product_quality": ("el producto se rompió a los {days} días", "la calidad ha bajado mucho"),
            "delivery": ("el pedido llegó con {days} días de retraso", "el paquete llegó dañado"),
            "mobile_app": ("la app se cierra al pagar", "la web es muy lenta"),
            "returns": ("el reembolso tardó {days} días", "devolver el producto fue un lío"),
            "stock": ("no tenían el producto en mi talla", "la mitad de las estanterías estaban vacías"),
            "billing": ("me cobraron dos veces", "el cupón no funcionó"),
            "cleanliness": ("la tienda estaba sucia y desordenada",),
            "loyalty": ("los puntos del club no valen la pena",),
        },
        positive={
            "wait_time": ("me atendieron enseguida", "sin colas"),
            "staff": ("{employee} fue muy amable y profesional", "el personal es encantador"),
            "price": ("buena relación calidad-precio", "precios justos"),
            "product_quality": ("el producto es de muy buena calidad", "productos que duran"),
            "delivery": ("la entrega fue rapidísima", "llegó un día antes"),
            "mobile_app": ("la app es muy fácil de usar",),
            "returns": ("la devolución fue muy fácil", "reembolso en {days} días sin problemas"),
            "stock": ("tenían todo lo que buscaba",),
            "billing": ("pagar fue rápido y sencillo",),
            "cleanliness": ("la tienda siempre está limpia",),
            "loyalty": ("el club Northwind merece la pena",),
        },
        closers_negative=("", "Muy decepcionado.", "No volveré."),
        closers_positive=("", "¡Gracias!", "¡Volveré seguro!", "Muy recomendable."),
        but=", pero ",
    ),
    "fr": Language(
        negative={
            "wait_time": ("j'ai attendu {minutes} minutes en caisse", "la file d'attente était interminable"),
            "staff": ("le personnel était désagréable", "personne ne connaissait l'article"),
            "price": ("les prix sont trop élevés", "l'article était moins cher ailleurs"),
            "product_quality": ("l'article s'est abîmé au bout de {days} jours", "la qualité a baissé"),
            "delivery": ("la commande est arrivée avec {days} jours de retard", "le colis était abîmé"),
            "mobile_app": ("l'application plante au paiement", "le site est très lent"),
            "returns": ("le remboursement a pris {days} jours", "retourner l'article a été compliqué"),
            "stock": ("l'article n'était pas disponible dans ma taille", "rayons à moitié vides"),
            "billing": ("j'ai été débité deux fois", "le code promo ne marchait pas"),
            "cleanliness": ("le magasin était sale et en désordre",),
            "loyalty": ("les avantages du club ne valent plus rien",),
        },
        positive={
            "wait_time": ("servi tout de suite", "aucune attente"),
            "staff": ("{employee} a été très aimable et de bon conseil", "personnel super sympa"),
            "price": ("très bon rapport qualité-prix", "des prix corrects"),
            "product_quality": ("l'article est d'excellente qualité", "du matériel solide"),
            "delivery": ("livraison très rapide", "colis arrivé un jour en avance"),
            "mobile_app": ("l'application est très pratique",),
            "returns": ("retour facile et rapide", "remboursé en {days} jours sans souci"),
            "stock": ("ils avaient tout ce que je cherchais",),
            "billing": ("paiement simple et rapide",),
            "cleanliness": ("magasin toujours propre et bien rangé",),
            "loyalty": ("le club Northwind vaut vraiment le coup",),
        },
        closers_negative=("", "Très déçu.", "Je n'y retournerai pas."),
        closers_positive=("", "Merci !", "Je reviendrai !", "Je recommande."),
        but=", mais ",
    ),
    "de": Language(
        negative={
            "wait_time": ("ich habe {minutes} Minuten an der Kasse gewartet", "die Schlange war endlos"),
            "staff": ("das Personal war unfreundlich", "niemand kannte sich mit der Ausrüstung aus"),
            "price": ("die Preise sind viel zu hoch", "die Jacke war woanders günstiger"),
            "product_quality": ("die Jacke war nach {days} Tagen kaputt", "die Qualität hat nachgelassen"),
            "delivery": ("die Bestellung kam {days} Tage zu spät", "das Paket war beschädigt"),
            "mobile_app": ("die App stürzt beim Bezahlen ab", "die Webseite ist sehr langsam"),
            "returns": ("die Rückerstattung hat {days} Tage gedauert", "die Rücksendung war kompliziert"),
            "stock": ("die Jacke war in meiner Größe nicht da", "die Regale waren halb leer"),
            "billing": ("mir wurde doppelt abgebucht", "der Gutscheincode hat nicht funktioniert"),
            "cleanliness": ("der Laden war schmutzig und unordentlich",),
            "loyalty": ("der Club lohnt sich nicht mehr",),
        },
        positive={
            "wait_time": ("sofort bedient", "keine Wartezeit"),
            "staff": ("{employee} war sehr freundlich und kompetent", "tolles, hilfsbereites Personal"),
            "price": ("gutes Preis-Leistungs-Verhältnis", "faire Preise"),
            "product_quality": ("die Jacke ist von super Qualität", "robuste Ausrüstung"),
            "delivery": ("sehr schnelle Lieferung", "das Paket kam einen Tag früher"),
            "mobile_app": ("die App ist sehr einfach zu bedienen",),
            "returns": ("Rückgabe ganz einfach", "Geld nach {days} Tagen zurück, ohne Probleme"),
            "stock": ("alles vorrätig, was ich gesucht habe",),
            "billing": ("Bezahlen ging schnell und einfach",),
            "cleanliness": ("der Laden ist immer sauber und ordentlich",),
            "loyalty": ("der Northwind Club lohnt sich wirklich",),
        },
        closers_negative=("", "Sehr enttäuscht.", "Nie wieder."),
        closers_positive=("", "Danke!", "Gerne wieder!", "Klare Empfehlung."),
        but=", aber ",
    ),
}


@dataclass(frozen=True)
class Slots:
    """The words a comment can mention."""

    store: str
    product: str
    employee: str | None
    minutes: int
    days: int


def compose(
    rng: random.Random, category: Category, themes: tuple[str, str], language: str, slots: Slots, step: str | None
) -> str:
    """A comment by a ``category`` customer after ``step`` whose main theme is ``themes[0]``.

    ``themes[1]`` is a second theme the customer may mention too (or, for a passive, the thing they liked).
    """
    if language in FOREIGN:
        return _compose_foreign(rng, category, themes, FOREIGN[language], slots)
    negative, positive = _tables(step)
    if category == Category.DETRACTOR:
        text = _detractor(rng, themes, slots, negative)
    elif category == Category.PASSIVE:
        text = _passive(rng, themes, slots, negative, positive)
    else:
        text = _promoter(rng, themes, slots, positive)
    return _habits(rng, text)


@cache
def _tables(step: str | None) -> tuple[Table, Table]:
    return ({**NEGATIVE, **STEP_NEGATIVE.get(step or "", {})}, {**POSITIVE, **STEP_POSITIVE.get(step or "", {})})


def _detractor(rng: random.Random, themes: tuple[str, str], slots: Slots, negative: Table) -> str:
    first = _fragment(rng, negative, themes[0], slots)
    opener, roll = rng.choice(OPENERS_NEGATIVE), rng.random()
    if roll < 0.35:
        body = _open(opener, first) + " " + _sentence(_fragment(rng, negative, themes[1], slots))
    elif roll < 0.55:
        body = _open(opener, first + ", and " + _fragment(rng, negative, themes[1], slots))
    else:
        body = _open(opener, first)
    return _close(body, rng.choice(CLOSERS_NEGATIVE))


def _passive(rng: random.Random, themes: tuple[str, str], slots: Slots, negative: Table, positive: Table) -> str:
    bad = _fragment(rng, negative, themes[0], slots)
    opener = rng.choice(OPENERS_PASSIVE)
    if rng.random() < 0.6:
        body = _open(opener, _fragment(rng, positive, themes[1], slots) + ", but " + bad)
    else:
        body = _open(opener, bad)
    return _close(body, rng.choice(CLOSERS_PASSIVE))


def _promoter(rng: random.Random, themes: tuple[str, str], slots: Slots, positive: Table) -> str:
    first = _fragment(rng, positive, themes[0], slots)
    opener, roll = rng.choice(OPENERS_POSITIVE), rng.random()
    if roll < 0.3:
        body = _open(opener, first) + " " + _sentence(_fragment(rng, positive, themes[1], slots))
    elif roll < 0.5:
        body = _open(opener, first + " and " + _fragment(rng, positive, themes[1], slots))
    else:
        body = _open(opener, first)
    return _close(body, rng.choice(CLOSERS_POSITIVE))


def _compose_foreign(
    rng: random.Random, category: Category, themes: tuple[str, str], words: Language, slots: Slots
) -> str:
    if category == Category.DETRACTOR:
        body = _sentence(_fragment(rng, words.negative, themes[0], slots))
        return _close(body, rng.choice(words.closers_negative))
    if category == Category.PASSIVE:
        good = _fragment(rng, words.positive, themes[1], slots)
        return _sentence(good + words.but + _fragment(rng, words.negative, themes[0], slots))
    body = _sentence(_fragment(rng, words.positive, themes[0], slots))
    return _close(body, rng.choice(words.closers_positive))


def _fragment(rng: random.Random, table: dict[str, tuple[str, ...]], theme: str, slots: Slots) -> str:
    choices = _usable(tuple(table[theme]), slots.employee is not None)
    return rng.choice(choices).format(
        store=slots.store, product=slots.product, employee=slots.employee or "",
        minutes=slots.minutes, days=slots.days,
    )


@cache
def _usable(fragments: tuple[str, ...], has_employee: bool) -> tuple[str, ...]:
    # A fragment naming an employee only fits a response about one.
    return fragments if has_employee else tuple(f for f in fragments if "{employee}" not in f)


def _sentence(fragment: str) -> str:
    return fragment[:1].upper() + fragment[1:] + "."


def _open(opener: str, fragment: str) -> str:
    """The first sentence: "Honestly, " continues into the fragment; "Not happy. " stands before it."""
    if opener.endswith(": "):
        return opener + fragment + "."
    if opener.rstrip().endswith((".", "!", "?")):
        return opener + _sentence(fragment)
    return _sentence(opener + fragment)


def _close(body: str, closer: str) -> str:
    return f"{body} {closer}" if closer else body


def _habits(rng: random.Random, text: str) -> str:
    # People write differently: some never capitalise, some drop the last full stop, some shout.
    roll = rng.random()
    if roll < 0.06:
        return text.lower().rstrip(".")
    if roll < 0.12:
        return text.rstrip(".")
    if roll < 0.15:
        return text.rstrip(".") + "!!"
    return text

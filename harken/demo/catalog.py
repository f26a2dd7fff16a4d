"""The fixed facts of the demo company: its regions and stores, journey, surveys, themes and people's names.

Northwind Outfitters sells outdoor gear online and in 40 stores in the UK, Ireland and continental
Europe, and services bikes and rents skis in some of them.  Everything here is plain data; the random
parts (store sizes, who answers what) are drawn in ``generator`` and ``scoring`` from one seeded
``random.Random``.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_NAME = "Northwind Outfitters"
COMPANY_CODE = "NW"
# Published on purpose: demo logins are for exploring a local demo, never for a reachable installation.
DEMO_PASSWORD = "harken-demo"  # noqa: S105
# Demo users are recognised by this e-mail domain (reserved by RFC 2606), so --force can remove them.
USER_DOMAIN = "northwind.example"
CONTACT_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class StoreFact:
    """A store: its city name, time zone, the main language of its customers and its teams."""

    name: str
    time_zone: str = "Europe/London"
    language: str = "en"
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionFact:
    """A region and its stores."""

    name: str
    code: str
    stores: tuple[StoreFact, ...]


WORKSHOP = "Bike workshop"
SERVICE_DESK = "Service desk"
RENTAL = "Ski & board rental"

REGIONS = (
    RegionFact("London & South East", "LSE", (
        StoreFact("London Covent Garden", teams=(SERVICE_DESK, WORKSHOP)),
        StoreFact("London Canary Wharf"),
        StoreFact("London Stratford", teams=(SERVICE_DESK,)),
        StoreFact("London Kensington"),
        StoreFact("Brighton"),
        StoreFact("Reading"),
        StoreFact("Oxford"),
        StoreFact("Cambridge", teams=(WORKSHOP,)),
        StoreFact("Guildford"),
        StoreFact("Canterbury"),
    )),
    RegionFact("Midlands & North", "MN", (
        StoreFact("Birmingham", teams=(SERVICE_DESK,)),
        StoreFact("Manchester", teams=(SERVICE_DESK, WORKSHOP)),
        StoreFact("Leeds"),
        StoreFact("Liverpool"),
        StoreFact("Sheffield", teams=(WORKSHOP,)),
        StoreFact("Nottingham"),
        StoreFact("Leicester"),
        StoreFact("Newcastle"),
        StoreFact("York"),
        StoreFact("Kendal", teams=(WORKSHOP,)),
    )),
    RegionFact("Scotland, Ireland & West", "SIW", (
        StoreFact("Edinburgh", teams=(SERVICE_DESK,)),
        StoreFact("Glasgow"),
        StoreFact("Aberdeen"),
        StoreFact("Inverness", teams=(RENTAL,)),
        StoreFact("Cardiff"),
        StoreFact("Bristol", teams=(WORKSHOP,)),
        StoreFact("Exeter"),
        StoreFact("Plymouth"),
        StoreFact("Belfast"),
        StoreFact("Dublin", time_zone="Europe/Dublin", teams=(SERVICE_DESK,)),
    )),
    RegionFact("Continental Europe", "EU", (
        StoreFact("Madrid", "Europe/Madrid", "es", (SERVICE_DESK,)),
        StoreFact("Barcelona", "Europe/Madrid", "es"),
        StoreFact("Valencia", "Europe/Madrid", "es"),
        StoreFact("Paris", "Europe/Paris", "fr", (SERVICE_DESK,)),
        StoreFact("Lyon", "Europe/Paris", "fr"),
        StoreFact("Annecy", "Europe/Paris", "fr", (RENTAL, WORKSHOP)),
        StoreFact("Berlin", "Europe/Berlin", "de", (SERVICE_DESK,)),
        StoreFact("Munich", "Europe/Berlin", "de", (WORKSHOP,)),
        StoreFact("Hamburg", "Europe/Berlin", "de"),
        StoreFact("Innsbruck", "Europe/Vienna", "de", (RENTAL,)),
    )),
)

# The storylines a demo user should be able to find: these stores get better or worse over the two years.
IMPROVING_STORES = ("Leeds", "Glasgow", "Valencia")
DECLINING_STORES = ("Brighton", "Lyon")


@dataclass(frozen=True)
class TouchpointFact:
    """A journey step, the offset of its quality (in the score model's units) and its survey's questions."""

    slug: str
    name: str
    description: str
    quality: float
    drivers: tuple[tuple[str, str, str, str], ...]  # (question key, text, driver label, theme it measures)
    themes: tuple[tuple[str, float], ...]  # themes people mention after this step, with weights


TOUCHPOINTS = (
    TouchpointFact(
        "online-purchase", "Online purchase", "Ordering on the website or in the app.", 0.05,
        (("ease_of_checkout", "How easy was it to find and order what you wanted?", "Ease of ordering", "mobile_app"),
         ("website_app", "How would you rate our website and app?", "Website and app", "mobile_app")),
        (("mobile_app", 3.0), ("price", 2.0), ("stock", 2.0), ("product_quality", 1.5), ("billing", 1.0),
         ("delivery", 0.8)),
    ),
    TouchpointFact(
        "in-store-visit", "In-store visit", "Shopping in one of our stores.", 0.28,
        (("staff_friendliness", "How friendly and helpful were our staff?", "Staff friendliness", "staff"),
         ("wait_time", "How would you rate the waiting time at the till?", "Waiting time", "wait_time")),
        (("staff", 3.0), ("wait_time", 2.5), ("cleanliness", 1.5), ("stock", 1.5), ("price", 1.0),
         ("product_quality", 1.0)),
    ),
    TouchpointFact(
        "delivery", "Delivery", "Receiving a parcel at home or collecting it in store.", -0.22,
        (("on_time", "How satisfied were you with the delivery time?", "On-time delivery", "delivery"),
         ("parcel_condition", "How was the condition of your parcel?", "Parcel condition", "product_quality")),
        (("delivery", 5.0), ("product_quality", 1.0), ("mobile_app", 0.6), ("staff", 0.4)),
    ),
    TouchpointFact(
        "support", "Support", "Contacting customer service by phone, chat or e-mail.", -0.30,
        (("resolution", "How well was your problem resolved?", "Problem resolution", "wait_time"),
         ("staff_friendliness", "How friendly and knowledgeable was the person who helped you?",
          "Staff friendliness", "staff")),
        (("staff", 3.0), ("wait_time", 3.0), ("billing", 1.5), ("returns", 1.0), ("delivery", 1.0)),
    ),
    TouchpointFact(
        "returns", "Returns", "Returning or exchanging a product and getting a refund.", -0.10,
        (("ease_of_return", "How easy was it to return your item?", "Ease of returning", "returns"),
         ("refund_speed", "How satisfied were you with the speed of your refund?", "Refund speed", "returns")),
        (("returns", 5.0), ("wait_time", 1.0), ("staff", 1.5), ("billing", 1.0)),
    ),
    TouchpointFact(
        "loyalty-renewal", "Loyalty renewal", "Renewing a Northwind Club membership.", 0.0,
        (("membership_value", "How would you rate the value of your Northwind Club membership?",
          "Membership value", "loyalty"),
         ("rewards", "How satisfied are you with the rewards you received?", "Rewards", "loyalty")),
        (("loyalty", 4.0), ("price", 3.0), ("billing", 1.5), ("mobile_app", 0.8)),
    ),
)

RELATIONSHIP_SLUG = "relationship"
RELATIONSHIP_NAME = "Customer relationship survey"


def survey_name(touchpoint_name: str) -> str:
    """The name of the transactional survey that follows a touchpoint."""
    return f"{touchpoint_name} survey"


SURVEY_NAMES = (RELATIONSHIP_NAME, *(survey_name(fact.name) for fact in TOUCHPOINTS))
RELATIONSHIP_DRIVERS = (
    ("value_for_money", "How would you rate Northwind's value for money?", "Value for money", "price"),
    ("product_quality", "How would you rate the quality of our products?", "Product quality", "product_quality"),
)
RELATIONSHIP_THEMES = (
    ("price", 2.0), ("product_quality", 2.0), ("staff", 2.0), ("delivery", 1.0), ("mobile_app", 1.0),
    ("stock", 1.0), ("loyalty", 1.0), ("cleanliness", 0.5),
)

# Root causes; the keys are also the choices of every survey's "main reason" question.
THEMES = {
    "wait_time": "Waiting time",
    "staff": "Staff friendliness and help",
    "price": "Price and value",
    "product_quality": "Product quality",
    "cleanliness": "Store cleanliness and tidiness",
    "delivery": "Delivery",
    "billing": "Billing and payment",
    "mobile_app": "Website and mobile app",
    "returns": "Returns and refunds",
    "stock": "Product availability",
    "loyalty": "Northwind Club rewards",
}
MAIN_REASON_KEY = "main_reason"
MAIN_REASON_TEXT = "What mattered most for your score?"

NPS_QUESTION = {
    "en": "How likely are you to recommend Northwind Outfitters to a friend or colleague?",
    "es": "¿Qué probabilidad hay de que recomiende Northwind Outfitters a un amigo o colega?",
    "fr": "Quelle est la probabilité que vous recommandiez Northwind Outfitters à un ami ou un collègue ?",
    "de": "Wie wahrscheinlich ist es, dass Sie Northwind Outfitters einem Freund oder Kollegen empfehlen?",
}
COMMENT_QUESTION = {
    "es": "¿Cuál es el motivo principal de su puntuación?",
    "fr": "Quelle est la principale raison de votre note ?",
    "de": "Was ist der Hauptgrund für Ihre Bewertung?",
}
LOW_LABEL = {"es": "Nada probable", "fr": "Pas du tout probable", "de": "Überhaupt nicht wahrscheinlich"}
HIGH_LABEL = {"es": "Muy probable", "fr": "Très probable", "de": "Äußerst wahrscheinlich"}
MAIN_REASON_TRANSLATIONS = {
    "es": "¿Qué fue lo más importante para su puntuación?",
    "fr": "Qu'est-ce qui a le plus compté dans votre note ?",
    "de": "Was war für Ihre Bewertung am wichtigsten?",
}

# Customers: (share, plan) and (share, segment); the score model gives premium members a small lift.
PLANS = (("basic", 0.58), ("plus", 0.29), ("premium", 0.13))
SEGMENTS = (("consumer", 0.86), ("business", 0.14))

FIRST_NAMES = {
    "en": ("Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Emily", "Chloe", "Ella", "Lucy",
           "Hannah", "Priya", "Aisha", "Niamh", "Siobhan", "Fiona", "Zara", "Ruth", "Megan", "Oliver",
           "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Oscar", "James", "William", "Thomas",
           "Samuel", "Daniel", "Ravi", "Mohammed", "Connor", "Ciaran", "Ewan", "Callum", "Dylan", "Owen",
           "Rhys", "Tom", "Ben", "Joe", "Kate", "Laura", "Rachel", "Sarah", "Helen"),
    "es": ("Lucía", "María", "Paula", "Carmen", "Elena", "Sofía", "Marta", "Alba", "Laura", "Ana",
           "Hugo", "Javier", "Pablo", "Alejandro", "Daniel", "Diego", "Carlos", "Sergio", "Jorge", "Álvaro"),
    "fr": ("Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Claire", "Emma", "Louise",
           "Lucas", "Hugo", "Théo", "Louis", "Nathan", "Julien", "Antoine", "Nicolas", "Thomas", "Maxime"),
    "de": ("Anna", "Lena", "Lea", "Hannah", "Sophie", "Laura", "Julia", "Katrin", "Sabine", "Mia",
           "Lukas", "Jonas", "Leon", "Felix", "Maximilian", "Paul", "Tobias", "Stefan", "Jan", "Florian"),
}
LAST_NAMES = {
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
           "Robinson", "Wood", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas",
           "Clarke", "Jackson", "Murphy", "Kelly", "O'Brien", "Byrne", "Campbell", "Stewart", "MacDonald",
           "Reid", "Hughes", "Edwards", "Lewis", "Khan", "Ali", "Shah", "Begum", "Turner", "Hill", "Moore"),
    "es": ("García", "Martínez", "López", "Sánchez", "González", "Pérez", "Rodríguez", "Fernández",
           "Gómez", "Ruiz", "Díaz", "Moreno", "Álvarez", "Romero", "Navarro", "Torres"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
           "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Fournier"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder"),
}

# Every product reads as one thing ("the pair of trail shoes was …"), so that fragments agree with it.
PRODUCTS = (
    "pair of hiking boots", "rain jacket", "tent", "sleeping bag", "backpack", "pair of running shoes", "fleece",
    "down jacket", "set of walking poles", "climbing harness", "bike helmet", "head torch", "camping stove",
    "pair of ski goggles", "pair of trail shoes", "pair of waterproof trousers", "base layer", "kayak paddle",
    "pair of gloves", "bike light", "hydration pack", "insulated bottle", "snowboard", "softshell jacket",
)

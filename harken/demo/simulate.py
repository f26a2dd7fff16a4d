"""The bulk of the demo: contacts, responses and invitations, drawn in Python from one seeded generator.

Nothing here touches the database: ``make_contacts`` returns contact rows and ``Simulator.draw`` returns
response and invitation rows (dicts of field names to values) for ``rows.insert``.  The order of calls
on the random generator is fixed, so a seed gives the same data.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import secrets
from dataclasses import dataclass, field
from itertools import accumulate

from harken.analytics.nps import Category, classify
from harken.contacts.models import Consent
from harken.demo import catalog, comments, scoring
from harken.demo.build import Place, Staff, Step, Store, ascii_slug, person_name
from harken.demo.rows import Row
from harken.distribution.models import Channel, Invitation

# Share of responses per survey (None: the relationship survey); returns peak in January, delivery in December.
STEP_VOLUME: dict[str | None, float] = {
    None: 14, "online-purchase": 22, "in-store-visit": 26, "delivery": 15, "support": 10, "returns": 7,
    "loyalty-renewal": 6,
}
MONTH_STEP_VOLUME = {(12, "delivery"): 1.5, (12, "online-purchase"): 1.3, (1, "returns"): 2.2}
CHANNELS: dict[str | None, tuple[tuple[str, float], ...]] = {
    None: (("email", 85), ("sms", 10), ("link", 5)),
    "online-purchase": (("email", 65), ("widget", 25), ("link", 5), ("sms", 5)),
    "in-store-visit": (("email", 40), ("kiosk", 32), ("sms", 16), ("link", 12)),
    "delivery": (("email", 70), ("sms", 25), ("link", 5)),
    "support": (("email", 60), ("widget", 20), ("sms", 15), ("link", 5)),
    "returns": (("email", 75), ("link", 15), ("sms", 10)),
    "loyalty-renewal": (("email", 80), ("widget", 15), ("link", 5)),
}
RESPONSE_RATE = {"email": 0.31, "sms": 0.42}  # of invitations sent on the channel
COMMENT_RATE = {Category.DETRACTOR: 0.85, Category.PASSIVE: 0.6, Category.PROMOTER: 0.68}
CONTEXT_KEYS = {None: "wave", "online-purchase": "order_id", "in-store-visit": "receipt_id", "delivery": "order_id",
                "support": "ticket_id", "returns": "return_id", "loyalty-renewal": "membership_id"}


@dataclass
class Customer:
    """A contact as the simulation sees it, and when it was last sent an invitation."""

    store: Store
    language: str
    plan: str
    segment: str
    mood: float  # some people are simply more generous than others
    has_phone: bool
    emailable: bool
    id: int = 0
    last_surveyed: dt.datetime | None = None


@dataclass
class Drawn:
    """One simulated response and its invitations: the one it answered first (if any), then unanswered ones."""

    response: Row
    invitations: list[Row] = field(default_factory=list)
    answered: bool = False


def make_contacts(
    rng: random.Random, stores: list[Store], count: int, first_id: int
) -> list[tuple[Row, Customer]]:
    """``count`` contact rows with ids from ``first_id``, spread over stores by size, with their traits."""
    weights = list(accumulate(store.size for store in stores))
    pairs = [_contact(rng, stores[bisect.bisect_right(weights, rng.random() * weights[-1])], number)
             for number in range(1, count + 1)]
    for offset, (contact, customer) in enumerate(pairs):
        contact["id"] = customer.id = first_id + offset
    return pairs


def _contact(rng: random.Random, store: Store, number: int) -> tuple[Row, Customer]:
    language = _language(rng, store)
    first, last = person_name(rng, language)
    customer = Customer(
        store=store, language=language, plan=_pick(rng, catalog.PLANS), segment=_pick(rng, catalog.SEGMENTS),
        mood=rng.gauss(0.0, 0.25), has_phone=rng.random() < 0.55, emailable=rng.random() > 0.03,
    )
    contact = dict(
        name=f"{first} {last}", language=language, home_unit_id=store.place.unit_id,
        email=f"{ascii_slug(first)}.{ascii_slug(last)}{number}@{rng.choice(catalog.CONTACT_DOMAINS)}",
        # Ofcom keeps 07700 900000–900999 for drama: these numbers reach nobody.
        phone=f"+447700900{rng.randrange(1000):03d}" if customer.has_phone else "",
        external_id=f"NW-C{number:06d}", time_zone=store.zone.key,
        attributes={"plan": customer.plan, "segment": customer.segment, "home_store": store.name,
                    "annual_revenue": _revenue(rng, customer.segment, customer.plan)},
        email_consent=Consent.GRANTED if customer.emailable else Consent.UNSUBSCRIBED,
        sms_consent=Consent.GRANTED if customer.has_phone else Consent.UNKNOWN,
    )
    return contact, customer


def _language(rng: random.Random, store: Store) -> str:
    # Continental stores serve mostly locals; a few UK and Irish customers prefer Spanish, French or German.
    if store.language != "en":
        return store.language if rng.random() < 0.75 else "en"
    return rng.choice(("es", "fr", "de")) if rng.random() < 0.04 else "en"


def _pick(rng: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([key for key, _ in shares], [share for _, share in shares])[0]


def _revenue(rng: random.Random, segment: str, plan: str) -> int:
    """What the customer spends with us per year, in euros."""
    median = 3500 if segment == "business" else {"basic": 180, "plus": 420, "premium": 950}[plan]
    return round(median * rng.lognormvariate(0.0, 0.6))


class Simulator:
    """Draws responses one at a time for the 730 days before ``today``."""

    def __init__(self, rng: random.Random, stores: list[Store], steps: list[Step], customers: list[Customer],
                 today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.end = dt.datetime.combine(today, dt.time(), dt.UTC)  # nothing happens after this
        self.days = [today - dt.timedelta(days=offset) for offset in range(730, 0, -1)]
        self.day_weights = list(accumulate(scoring.day_weights(self.days)))
        self.customers = customers
        self.by_store: dict[str, list[Customer]] = {}
        for customer in customers:
            self.by_store.setdefault(customer.store.name, []).append(customer)
        self.region_stores: dict[str, list[Store]] = {}
        for store in stores:
            self.region_stores.setdefault(store.region, []).append(store)
        self.steps = steps
        self.month_steps = {month: self._step_weights(month) for month in range(1, 13)}
        self.pickers = {step.slug: scoring.ThemePicker(step.themes) for step in steps}
        self.draw_score = scoring.ScoreDraw()
        self.incident = scoring.app_incident(today)

    def _step_weights(self, month: int) -> list[float]:
        return list(accumulate(STEP_VOLUME[step.slug] * MONTH_STEP_VOLUME.get((month, step.slug or ""), 1.0)
                               for step in self.steps))

    def draw(self) -> Drawn:
        """One response with its invitations."""
        rng = self.rng
        index = bisect.bisect_right(self.day_weights, rng.random() * self.day_weights[-1])
        day = self.days[index]
        weights = self.month_steps[day.month]
        step = self.steps[bisect.bisect_right(weights, rng.random() * weights[-1])]
        customer = rng.choice(self.customers)
        store = self._store_visited(customer, step)
        place, employee = self._place(store, step)
        channel = self._channel(customer, step)
        quality = self._quality(customer, store, step, day, index / (len(self.days) - 1), employee)
        score = self.draw_score(rng, quality)
        category = classify(score)
        themes = self.pickers[step.slug].pick(rng, self._boosts(store, day, step, category))
        submitted = self._moment(day, store, channel)
        response = dict(
            survey_id=step.survey_id, touchpoint_id=step.touchpoint_id, unit_id=place.unit_id,
            employee_id=employee.id if employee else None, score=score, channel=channel,
            contact_id=None if self._anonymous(channel) else customer.id, language=customer.language,
            comment=self._comment(customer, store, step, category, themes, employee, channel),
            answers=self._answers(step, score, themes[0]), submitted_at=submitted,
        )
        drawn = Drawn(response)
        if channel in RESPONSE_RATE:
            self._invite(drawn, customer, step, place, employee, channel, submitted)
        return drawn

    def _store_visited(self, customer: Customer, step: Step) -> Store:
        # Now and then people shop in another store of their region (a day out, a holiday).
        if step.slug == "in-store-visit" and self.rng.random() < 0.12:
            return self.rng.choice(self.region_stores[customer.store.region])
        return customer.store

    def _place(self, store: Store, step: Step) -> tuple[Place, Staff | None]:
        """Where the response is recorded and the employee it is about, if any."""
        rng = self.rng
        place = store.place
        if step.slug in ("support", "returns") and catalog.SERVICE_DESK in store.teams:
            place = store.teams[catalog.SERVICE_DESK]
        elif step.slug == "in-store-visit" and store.teams and rng.random() < 0.3:
            place = rng.choice([team for name, team in store.teams.items() if name != catalog.SERVICE_DESK]
                               or [place])
        chance = {"in-store-visit": 0.7, "support": 0.85, "returns": 0.5}.get(step.slug or "", 0.0)
        employee = rng.choice(place.staff) if rng.random() < chance else None
        return place, employee

    def _channel(self, customer: Customer, step: Step) -> str:
        options = CHANNELS[step.slug]
        channel = self.rng.choices([key for key, _ in options], [weight for _, weight in options])[0]
        if channel == Channel.SMS and not customer.has_phone:
            channel = Channel.EMAIL.value
        if channel == Channel.EMAIL and not customer.emailable:
            channel = Channel.LINK.value  # unsubscribed from e-mail: they can still answer on the website
        return channel

    def _anonymous(self, channel: str) -> bool:
        # Kiosks never know who answered; a shared link knows only when the customer was logged in.
        return channel == Channel.KIOSK or (channel == Channel.LINK and self.rng.random() < 0.4)

    def _quality(self, customer: Customer, store: Store, step: Step, day: dt.date, progress: float,
                 employee: Staff | None) -> float:
        """The sum of effects that sets this response's score distribution (see ``scoring``)."""
        return (
            scoring.BASE_QUALITY + store.base + store.slope * (progress - 0.5) + step.quality
            + scoring.seasonal_effect(day, step.slug) + self.incident.effect(day, step.slug)
            + scoring.PLAN_EFFECT[customer.plan] + scoring.SEGMENT_EFFECT[customer.segment]
            + customer.mood + (employee.effect if employee else 0.0)
        )

    def _boosts(self, store: Store, day: dt.date, step: Step, category: Category) -> dict[str, float]:
        """Context that makes a theme more likely: the store's weak or strong point, the peak, the incident."""
        if category == Category.PROMOTER:
            return {store.strength: 2.5}
        boosts = {store.weakness: 2.5}
        if scoring.is_peak(day):
            boosts["delivery"] = 3.0
        if self.incident.effect(day, step.slug):
            boosts[self.incident.theme] = 6.0
        return boosts

    def _comment(self, customer: Customer, store: Store, step: Step, category: Category, themes: tuple[str, str],
                 employee: Staff | None, channel: str) -> str:
        rng = self.rng
        rate = COMMENT_RATE[category] * (0.6 if channel == Channel.KIOSK else 1.0)
        if rng.random() >= rate:
            return ""
        # Most customers write in their own language; some answer a translated survey in English.
        language = customer.language if rng.random() < 0.8 else "en"
        slots = comments.Slots(
            store=store.name, product=rng.choice(catalog.PRODUCTS), employee=employee.first_name if employee else None,
            minutes=rng.choice((10, 15, 20, 25, 30, 40, 45)), days=rng.randint(3, 21),
        )
        return comments.compose(rng, category, themes, language, slots, step.slug)

    def _answers(self, step: Step, score: int, main_theme: str) -> dict[str, object]:
        answers: dict[str, object] = dict(scoring.driver_answers(self.rng, score, main_theme, step.drivers))
        if self.rng.random() < 0.95:
            choices = {key for key, _ in step.themes}
            answers[catalog.MAIN_REASON_KEY] = main_theme if main_theme in choices else "other"
        return answers

    def _moment(self, day: dt.date, store: Store, channel: str) -> dt.datetime:
        """A time of day on ``day`` in the store's time zone: kiosks in opening hours, the rest any time."""
        rng = self.rng
        hours = list(range(9, 20)) if channel == Channel.KIOSK else list(scoring.HOUR_WEIGHTS)
        weights = [1.0] * len(hours) if channel == Channel.KIOSK else list(scoring.HOUR_WEIGHTS.values())
        hour = rng.choices(hours, weights)[0]
        return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                           tzinfo=store.zone)

    def _invite(self, drawn: Drawn, customer: Customer, step: Step, place: Place, employee: Staff | None,
                channel: str, submitted: dt.datetime) -> None:
        """The invitation the response answered, then the invitations to others that went unanswered."""
        rng = self.rng
        lag = dt.timedelta(hours=min(150.0, 0.05 + rng.expovariate(1 / 9)))
        sent = submitted - lag
        answered = self._invitation(customer, step, place, employee, channel, sent)
        answered.update(status=Invitation.Status.ANSWERED.value, answered_at=submitted)
        if channel == Channel.EMAIL:
            answered["opened_at"] = max(sent, submitted - dt.timedelta(minutes=rng.uniform(0.5, 6)))
        if lag > dt.timedelta(days=3):
            answered.update(reminded_at=sent + dt.timedelta(days=3), reminder_count=1)
        drawn.invitations.append(answered)
        drawn.answered = True
        _surveyed(customer, sent)
        # Each answer stands for 1/rate invitations: draw the unanswered ones geometrically.
        while rng.random() >= RESPONSE_RATE[channel] and len(drawn.invitations) < 12:
            drawn.invitations.append(self._unanswered(customer, step, place, employee, channel, sent))

    def _unanswered(self, customer: Customer, step: Step, place: Place, employee: Staff | None, channel: str,
                    near: dt.datetime) -> Row:
        rng = self.rng
        other = rng.choice(self.by_store[customer.store.name])
        if channel == Channel.SMS and not other.has_phone:
            channel = Channel.EMAIL.value
        sent = near - dt.timedelta(hours=rng.uniform(0, 72))  # the same campaign, never in the future
        invitation = self._invitation(other, step, place, employee, channel, sent)
        if rng.random() < 0.015:
            invitation.update(status=Invitation.Status.FAILED.value, sent_at=None, attempts=3,
                              last_error="550 5.1.1 Recipient address rejected: mailbox unavailable")
            return invitation
        invitation["status"] = Invitation.Status.SENT.value
        _surveyed(other, sent)
        opened = sent + dt.timedelta(hours=rng.uniform(0.1, 30))
        if channel == Channel.EMAIL and opened < self.end and rng.random() < 0.25:
            invitation["opened_at"] = opened
        if sent + dt.timedelta(days=3) < self.end and rng.random() < 0.8:
            invitation.update(reminded_at=sent + dt.timedelta(days=3), reminder_count=1)
        return invitation

    def _invitation(self, customer: Customer, step: Step, place: Place, employee: Staff | None, channel: str,
                    sent: dt.datetime) -> Row:
        if step.slug is None:
            reference = f"{sent:%Y}-Q{(sent.month - 1) // 3 + 1}"  # the relationship survey's wave
        else:
            reference = f"{self.rng.randrange(10**7):07d}"
        return dict(
            survey_id=step.survey_id, contact_id=customer.id, channel=channel, unit_id=place.unit_id,
            touchpoint_id=step.touchpoint_id, employee_id=employee.id if employee else None,
            context={CONTEXT_KEYS[step.slug]: reference}, language=customer.language,
            scheduled_at=sent, sent_at=sent, attempts=1,
            # Tokens are secrets even in a demo (they answer surveys), so they do not come from the seed.
            token=secrets.token_urlsafe(18),
        )


def _surveyed(customer: Customer, sent: dt.datetime) -> None:
    if customer.last_surveyed is None or sent > customer.last_surveyed:
        customer.last_surveyed = sent

"""The few rows of the demo that are made one by one: units, employees, the journey, surveys and users.

Each function returns plain profiles (ids plus the hidden traits the score model uses), so that the
bulk part in ``simulate`` never has to query the database again.
"""

from __future__ import annotations

import random
import unicodedata
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from harken.demo import catalog
from harken.org.models import Employee, Membership, Unit
from harken.surveys.models import Question, Survey, Touchpoint

FLAGSHIPS = {"London Covent Garden", "Manchester", "Edinburgh", "Dublin", "Madrid", "Paris", "Berlin"}


@dataclass(frozen=True)
class Staff:
    """An employee as the simulation sees them: who they are and how good they are with customers."""

    id: int
    first_name: str
    effect: float


@dataclass
class Place:
    """A unit responses can be recorded on (a store or one of its teams) and its employees."""

    unit_id: int
    staff: list[Staff] = field(default_factory=list)


@dataclass
class Store:
    """A store and the traits the score model gives it."""

    name: str
    region: str
    language: str
    zone: zoneinfo.ZoneInfo
    size: float
    base: float  # quality over the whole period, relative to the company
    slope: float  # change of quality from the first day to the last
    weakness: str
    strength: str
    place: Place
    teams: dict[str, Place] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A survey to simulate: its id, touchpoint (None for the relationship survey) and driver questions."""

    survey_id: int
    touchpoint_id: int | None
    slug: str | None
    quality: float
    drivers: tuple[tuple[str, str, str, str], ...]
    themes: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Login:
    """A demo login to print: user name, what they can do, and whether we set the password."""

    username: str
    role: str
    created: bool


def build_org(rng: random.Random) -> tuple[Unit, list[Store]]:
    """Create the company, its regions, stores and teams, and their employees."""
    company = Unit.objects.create(name=catalog.COMPANY_NAME, kind=Unit.Kind.COMPANY, code=catalog.COMPANY_CODE)
    stores: list[Store] = []
    for region_fact in catalog.REGIONS:
        region = Unit.objects.create(
            name=region_fact.name, kind=Unit.Kind.REGION, parent=company, code=f"NW-{region_fact.code}"
        )
        for number, fact in enumerate(region_fact.stores, start=1):
            stores.append(_build_store(rng, region, fact, f"{region_fact.code}-{number:02d}"))
    _hire(rng, stores)
    return company, stores


def _build_store(rng: random.Random, region: Unit, fact: catalog.StoreFact, code: str) -> Store:
    unit = Unit.objects.create(
        name=fact.name, kind=Unit.Kind.STORE, parent=region, code=code, time_zone=fact.time_zone
    )
    teams = {
        team: Place(Unit.objects.create(name=team, kind=Unit.Kind.TEAM, parent=unit, code=f"{code}-T{i}").pk)
        for i, team in enumerate(fact.teams, start=1)
    }
    base, slope = _trajectory(rng, fact.name)
    weakness, strength = rng.sample(sorted(catalog.THEMES), 2)
    size = rng.lognormvariate(0.0, 0.3) * (1.7 if fact.name in FLAGSHIPS else 1.0)
    if fact.name in catalog.IMPROVING_STORES + catalog.DECLINING_STORES:
        size = max(size, 1.2)  # busy enough that their story stands out from the noise
    return Store(
        name=fact.name, region=region.name, language=fact.language, zone=zoneinfo.ZoneInfo(fact.time_zone),
        size=size, base=base, slope=slope, weakness=weakness, strength=strength, place=Place(unit.pk), teams=teams,
    )


def _trajectory(rng: random.Random, name: str) -> tuple[float, float]:
    """A store's level and trend: the named storylines move a lot, the others drift a little."""
    if name in catalog.IMPROVING_STORES:
        return -0.02 + rng.uniform(-0.03, 0.03), 1.5
    if name in catalog.DECLINING_STORES:
        return 0.08 + rng.uniform(-0.03, 0.03), -1.5
    return max(-0.22, min(0.22, rng.gauss(0.0, 0.11))), rng.gauss(0.0, 0.1)


def _hire(rng: random.Random, stores: list[Store]) -> None:
    """About 150 employees: two or three per store (two more in flagships), two or three per team."""
    places: list[tuple[Store, Place, int]] = []
    for store in stores:
        places.append((store, store.place, rng.randint(2, 3) + (2 if store.name in FLAGSHIPS else 0)))
        places.extend((store, team, rng.randint(2, 3)) for team in store.teams.values())
    rows: list[Employee] = []
    first_names: list[str] = []
    for store, place, headcount in places:
        for _ in range(headcount):
            first, last = person_name(rng, store.language if rng.random() < 0.8 else "en")
            number = len(rows) + 1
            rows.append(Employee(
                name=f"{first} {last}", email=f"{ascii_slug(first)}.{ascii_slug(last)}{number}@{catalog.USER_DOMAIN}",
                unit_id=place.unit_id, external_id=f"NW-E{number:04d}",
            ))
            first_names.append(first)
    Employee.objects.bulk_create(rows)
    staff_by_unit: dict[int, list[Staff]] = {}
    for row, first in zip(rows, first_names, strict=True):
        staff_by_unit.setdefault(row.unit_id, []).append(Staff(row.pk, first, rng.gauss(0.0, 0.12)))
    for _, place, _ in places:
        place.staff = staff_by_unit[place.unit_id]


def person_name(rng: random.Random, language: str) -> tuple[str, str]:
    """A first and last name typical of ``language``."""
    return rng.choice(catalog.FIRST_NAMES[language]), rng.choice(catalog.LAST_NAMES[language])


def ascii_slug(text: str) -> str:
    """"Álvarez" → "alvarez", "O'Brien" → "obrien": names as they appear in e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())


def build_journey() -> list[Step]:
    """Create the six touchpoints, the relationship survey and one transactional survey per touchpoint."""
    steps = [_survey(None, catalog.RELATIONSHIP_NAME, catalog.RELATIONSHIP_SLUG, Survey.Kind.RELATIONSHIP,
                     catalog.RELATIONSHIP_DRIVERS, catalog.RELATIONSHIP_THEMES, 0.0)]
    for position, fact in enumerate(catalog.TOUCHPOINTS, start=1):
        touchpoint = Touchpoint.objects.create(
            name=fact.name, slug=fact.slug, position=position, description=fact.description
        )
        steps.append(_survey(touchpoint, catalog.survey_name(fact.name), fact.slug, Survey.Kind.TRANSACTIONAL,
                             fact.drivers, fact.themes, fact.quality))
    return steps


def _survey(
    touchpoint: Touchpoint | None, name: str, slug: str, kind: str,
    drivers: tuple[tuple[str, str, str, str], ...], themes: tuple[tuple[str, float], ...], quality: float,
) -> Step:
    survey = Survey.objects.create(
        name=name, slug=slug, kind=kind, touchpoint=touchpoint, nps_question=catalog.NPS_QUESTION["en"],
        company_name=catalog.COMPANY_NAME, accent_color="#2f6b4f", translations=_survey_translations(),
        # Relationship surveys go out twice a year; after a transaction, ask at most once a month.
        min_days_between_invitations=180 if touchpoint is None else 30,
    )
    questions = [
        Question(survey=survey, key=key, kind=Question.Kind.RATING_0_10, text=text, driver=label, position=i)
        for i, (key, text, label, _theme) in enumerate(drivers, start=1)
    ]
    choices = [{"key": key, "label": catalog.THEMES[key]} for key, _ in themes]
    questions.append(Question(
        survey=survey, key=catalog.MAIN_REASON_KEY, kind=Question.Kind.SINGLE_CHOICE,
        text=catalog.MAIN_REASON_TEXT, choices=[*choices, {"key": "other", "label": "Something else"}],
        translations={lang: {"text": text} for lang, text in catalog.MAIN_REASON_TRANSLATIONS.items()},
        position=len(drivers) + 1,
    ))
    Question.objects.bulk_create(questions)
    return Step(survey.pk, touchpoint.pk if touchpoint else None, touchpoint.slug if touchpoint else None,
                quality, drivers, themes)


def _survey_translations() -> dict[str, dict[str, str]]:
    return {
        lang: {
            "nps_question": catalog.NPS_QUESTION[lang], "comment_question": catalog.COMMENT_QUESTION[lang],
            "low_label": catalog.LOW_LABEL[lang], "high_label": catalog.HIGH_LABEL[lang],
        }
        for lang in ("es", "fr", "de")
    }


DEMO_USERS = (
    # (user name, first name, last name, role, unit: None = company, else a region or store name)
    ("admin", "Alex", "Admin", Membership.Role.ADMIN, None),
    ("analyst", "Anika", "Sharma", Membership.Role.ANALYST, None),
    ("manager", "Morgan", "Hughes", Membership.Role.MANAGER, "Midlands & North"),
    ("frontline", "Fran", "Okafor", Membership.Role.FRONTLINE, "Leeds"),
)


def build_users(company: Unit) -> list[Login]:
    """Create the demo logins with their memberships; existing users of the same name are left alone."""
    user_model = get_user_model()
    # One hash for all: hashing is deliberately slow, and these accounts share a published password anyway.
    password = make_password(catalog.DEMO_PASSWORD)
    logins = []
    for username, first, last, role, unit_name in DEMO_USERS:
        unit = company if unit_name is None else company.subtree().get(name=unit_name)
        scope = f"{Membership.Role(role).label.split(' (')[0].lower()} of {unit.name}"
        if user_model.objects.filter(username=username).exists():
            logins.append(Login(username, f"existing user, not changed (demo role would be {scope})", False))
            continue
        user = user_model.objects.create(
            username=username, first_name=first, last_name=last, email=f"{username}@{catalog.USER_DOMAIN}",
            password=password, is_staff=role == Membership.Role.ADMIN, is_superuser=role == Membership.Role.ADMIN,
        )
        Membership.objects.create(user=user, unit=unit, role=role)
        logins.append(Login(username, scope, True))
    return logins

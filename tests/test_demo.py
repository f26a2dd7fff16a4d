"""The demo company: deterministic, the requested size, and with the stories it promises really in the data."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max, Min, Q

from harken.analytics import nps, queries
from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.demo import catalog
from harken.demo.generator import load_demo
from harken.demo.management.commands.demo import Command
from harken.distribution.models import Invitation
from harken.org.models import Membership, Unit
from harken.surveys.models import Survey, Touchpoint

TODAY = dt.date(2026, 6, 15)  # pinned, so that runs on different days give the same data
SMALL = 2_000
# Large enough that each storyline store has ~100 responses in its first and in its last six months.
TRENDS = 20_000


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Password hashing is deliberately slow; the demo's logins are not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """A small demo (2,000 responses) up to TODAY."""
    return load_demo(seed=7, responses=SMALL, today=TODAY)


def fingerprint() -> str:
    """A hash of everything the demo wrote, without database ids (which differ between loads)."""
    responses = Response.objects.values_list(
        "unit__name", "touchpoint__slug", "survey__slug", "employee__name", "contact__external_id", "score",
        "comment", "answers", "channel", "language", "submitted_at", "invitation__sent_at",
    )
    invitations = Invitation.objects.values_list(
        "contact__external_id", "unit__name", "survey__slug", "channel", "status", "sent_at", "opened_at",
        "reminded_at", "context",
    )
    contacts = Contact.objects.values_list("external_id", "name", "email", "phone", "language", "attributes")
    rows = [sorted(json.dumps(row, default=str) for row in table) for table in (responses, invitations, contacts)]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def period_counts(store: Unit, first_day: dt.date, last_day: dt.date) -> nps.Counts:
    return queries.total(Filters(start=first_day, end=last_day, unit=store))


def points(counts: nps.Counts) -> float:
    value = nps.nps(counts)
    assert value is not None
    return value


@pytest.mark.django_db
def test_the_same_seed_and_day_give_the_same_data() -> None:
    load_demo(seed=7, responses=SMALL, today=TODAY)
    first = fingerprint()
    load_demo(seed=7, responses=SMALL, today=TODAY, force=True)
    assert fingerprint() == first
    load_demo(seed=8, responses=SMALL, today=TODAY, force=True)
    assert fingerprint() != first


def test_it_creates_exactly_the_requested_number_of_responses(demo) -> None:
    assert Response.objects.count() == SMALL == demo.responses
    assert Contact.objects.count() == SMALL // 4 == demo.contacts
    scores = Response.objects.aggregate(low=Min("score"), high=Max("score"))
    assert (scores["low"], scores["high"]) == (0, 10)
    assert not Response.objects.filter(Q(score__isnull=True) | Q(score__lt=0) | Q(score__gt=10)).exists()


def test_responses_cover_the_two_years_before_today(demo) -> None:
    days = {moment.date() for moment in Response.objects.values_list("submitted_at", flat=True)}
    # Local times near midnight may fall on the next or previous day in UTC.
    assert TODAY - dt.timedelta(days=731) <= min(days) <= TODAY - dt.timedelta(days=700)
    assert TODAY - dt.timedelta(days=30) <= max(days) <= TODAY


def test_the_organisation_has_regions_stores_teams_and_employees(demo) -> None:
    company = Unit.objects.get(parent__isnull=True)
    assert company.name == "Northwind Outfitters"
    assert list(company.children.order_by("name").values_list("name", flat=True)) == sorted(
        region.name for region in catalog.REGIONS
    )
    assert Unit.objects.filter(kind=Unit.Kind.STORE, parent__kind=Unit.Kind.REGION).count() == 40
    assert Unit.objects.filter(kind=Unit.Kind.TEAM, parent__kind=Unit.Kind.STORE).count() == 20
    assert 130 <= demo.employees <= 180


def test_the_journey_has_six_touchpoints_in_order_each_with_a_survey(demo) -> None:
    assert list(Touchpoint.objects.values_list("slug", flat=True)) == [
        "online-purchase", "in-store-visit", "delivery", "support", "returns", "loyalty-renewal",
    ]
    assert list(Touchpoint.objects.values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]
    for touchpoint in Touchpoint.objects.all():
        assert touchpoint.surveys.get().kind == Survey.Kind.TRANSACTIONAL
    relationship = Survey.objects.get(kind=Survey.Kind.RELATIONSHIP)
    assert relationship.touchpoint is None
    assert relationship.text("nps_question", "es").startswith("¿Qué probabilidad hay")
    assert relationship.text("nps_question", "fr").startswith("Quelle est la probabilité")
    assert relationship.text("nps_question", "de").startswith("Wie wahrscheinlich")
    keys = list(relationship.questions.values_list("key", "kind"))
    assert keys == [("value_for_money", "rating_0_10"), ("product_quality", "rating_0_10"),
                    ("main_reason", "single_choice")]


def test_answers_are_keyed_by_question_and_agree_with_the_score(demo) -> None:
    main_reason = Survey.objects.get(slug="in-store-visit").questions.get(key="main_reason")
    choices = {choice["key"] for choice in main_reason.choices}
    ratings: dict[str, list[int]] = {"detractor": [], "promoter": []}
    for response in Response.objects.filter(survey__slug="in-store-visit"):
        assert set(response.answers) <= {"staff_friendliness", "wait_time", "main_reason"}
        assert response.answers.get("main_reason", "other") in choices
        if "staff_friendliness" in response.answers:
            assert 0 <= response.answers["staff_friendliness"] <= 10
            if response.category in ratings:
                ratings[response.category].append(response.answers["staff_friendliness"])
    mean = {category: sum(values) / len(values) for category, values in ratings.items()}
    assert mean["promoter"] - mean["detractor"] > 4


def test_most_but_not_all_responses_have_varied_comments(demo) -> None:
    with_comment = Response.objects.exclude(comment="")
    share = with_comment.count() / SMALL
    assert 0.55 < share < 0.85
    assert with_comment.values("comment").distinct().count() > 0.8 * with_comment.count()
    spanish = with_comment.filter(language="es").values_list("comment", flat=True)
    assert any(word in comment for comment in spanish for word in ("muy", "el ", "la "))


def test_detractors_complain_and_promoters_praise(demo) -> None:
    complaint = ("rude", "late", "queue", "expensive", "broke", "crashing", "refund", "never", "wrong", "worse")
    detractors = Response.objects.filter(category="detractor", language="en").exclude(comment="")
    promoters = Response.objects.filter(category="promoter", language="en").exclude(comment="")

    def complaining(responses):
        comments = list(responses.values_list("comment", flat=True))
        return sum(any(word in comment.lower() for word in complaint) for comment in comments) / len(comments)

    assert complaining(detractors) > 3 * complaining(promoters)


def test_every_email_and_sms_response_answered_an_earlier_invitation(demo) -> None:
    invited = Response.objects.filter(channel__in=["email", "sms"])
    assert invited.count() > SMALL / 2
    assert not invited.filter(invitation__isnull=True).exists()
    assert not Response.objects.exclude(channel__in=["email", "sms"]).filter(invitation__isnull=False).exists()
    for response in invited.select_related("invitation"):
        invitation = response.invitation
        assert invitation is not None and invitation.sent_at is not None
        assert invitation.status == Invitation.Status.ANSWERED
        assert invitation.sent_at < response.submitted_at == invitation.answered_at
        assert invitation.contact_id == response.contact_id


def test_the_response_rate_is_realistic(demo) -> None:
    answered = Invitation.objects.filter(status=Invitation.Status.ANSWERED).count()
    unanswered = Invitation.objects.filter(status=Invitation.Status.SENT, response__isnull=True).count()
    assert answered + unanswered <= Invitation.objects.count()
    assert 0.25 < answered / Invitation.objects.count() < 0.5


def test_contacts_know_when_they_were_last_sent_an_invitation(demo) -> None:
    contacts = Contact.objects.annotate(latest=Max("invitations__sent_at"))
    assert contacts.filter(latest__isnull=False).count() > demo.contacts / 2
    for contact in contacts:
        assert contact.last_surveyed_at == contact.latest
    end = dt.datetime.combine(TODAY, dt.time(), dt.UTC)
    assert not Invitation.objects.filter(Q(sent_at__gte=end) | Q(opened_at__gte=end) | Q(reminded_at__gte=end))


def test_channels_are_mostly_email_with_the_others_present(demo) -> None:
    channels = {group.key: group.counts.n for group in queries.nps_by("channel", Filters())}
    assert set(channels) == {"email", "sms", "link", "kiosk", "widget"}
    assert channels["email"] > SMALL / 2


def test_employees_are_named_on_in_store_and_support_responses_only(demo) -> None:
    with_employee = Response.objects.filter(employee__isnull=False)
    assert set(with_employee.values_list("touchpoint__slug", flat=True)) == {"in-store-visit", "support", "returns"}
    assert with_employee.filter(touchpoint__slug="support").count() > 0.7 * Response.objects.filter(
        touchpoint__slug="support").count()


def test_demo_users_have_the_memberships_their_roles_need(demo) -> None:
    company = Unit.objects.get(parent__isnull=True)
    expected = {
        "admin": (Membership.Role.ADMIN, company.name),
        "analyst": (Membership.Role.ANALYST, company.name),
        "manager": (Membership.Role.MANAGER, "Midlands & North"),
        "frontline": (Membership.Role.FRONTLINE, "Leeds"),
    }
    for username, (role, unit) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password(catalog.DEMO_PASSWORD)
        assert list(user.memberships.values_list("role", "unit__name")) == [(role, unit)]
        assert user.is_superuser == (username == "admin")
    assert [login.username for login in demo.logins] == list(expected)


@pytest.mark.django_db
def test_stores_touchpoints_and_seasons_differ_and_some_stores_really_change() -> None:
    load_demo(seed=7, responses=TRENDS, today=TODAY)
    overall = points(queries.total(Filters()))
    assert 25 < overall < 45
    by_touchpoint = {group.key: points(group.counts) for group in queries.nps_by("touchpoint", Filters())}
    assert by_touchpoint["in-store-visit"] > overall > by_touchpoint["support"]
    assert by_touchpoint["in-store-visit"] > by_touchpoint["delivery"] + 15

    months = queries.nps_by("month", Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)))
    december = next(month for month in months if month.key == "2025-12")
    rest_of_year = sum((month.counts for month in months if month.key != "2025-12"), nps.Counts(0, 0, 0))
    peak = nps.compare(rest_of_year, december.counts)
    assert peak is not None and peak.significant and peak.direction == "down", peak

    start, end = TODAY - dt.timedelta(days=730), TODAY - dt.timedelta(days=1)
    first_half_year, last_half_year = (start, start + dt.timedelta(days=182)), (end - dt.timedelta(days=182), end)
    stores = {store.name: store for store in Unit.objects.filter(kind=Unit.Kind.STORE)}
    for name in (*catalog.IMPROVING_STORES, *catalog.DECLINING_STORES):
        before, after = period_counts(stores[name], *first_half_year), period_counts(stores[name], *last_half_year)
        change = nps.compare(before, after)
        assert change is not None
        assert change.significant, f"{name}: {change}"
        assert change.direction == ("up" if name in catalog.IMPROVING_STORES else "down"), f"{name}: {change}"


def test_it_refuses_a_database_that_already_has_the_demo(demo) -> None:
    with pytest.raises(CommandError, match="already has the demo company; run with --force"):
        call_command("demo", responses=10, stdout=io.StringIO())
    assert Response.objects.count() == SMALL


def test_force_replaces_the_previous_demo_but_never_other_responses(demo) -> None:
    out = io.StringIO()
    call_command("demo", "--responses", "300", "--force", "--today", "2026-06-15", stdout=out)
    assert Response.objects.count() == 300
    assert Unit.objects.filter(parent__isnull=True).count() == 1
    assert "300 responses" in out.getvalue() and "harken-demo" in out.getvalue()

    other = Unit.objects.create(name="Acme")
    Response.objects.create(survey=Survey.objects.get(slug="relationship"), unit=other, score=9)
    with pytest.raises(CommandError, match=r"responses that are not demo data \(1\)"):
        call_command("demo", "--force", responses=10, stdout=io.StringIO())
    assert Response.objects.count() == 301


def test_the_summary_names_the_address_and_the_logins(demo, settings) -> None:
    out = io.StringIO()
    call_command("demo", "--responses", "100", "--force", stdout=out)
    text = out.getvalue()
    assert f"Open {settings.BASE_URL}/" in text
    for username in ("admin", "analyst", "manager", "frontline"):
        assert f"  {username}" in text


def test_help_explains_every_option() -> None:
    text = Command().create_parser("harken", "demo").format_help()
    for option in ("--responses", "--seed", "--today", "--force"):
        assert option in text
    assert "harken-demo" in text and "empty database" in text


def test_the_last_months_detractors_have_cases_in_every_state_with_owners(demo) -> None:
    from harken.loop.models import Action, Case, Status

    month_ago = dt.datetime.combine(TODAY, dt.time(), dt.UTC) - dt.timedelta(days=31)
    detractors = Response.objects.filter(category="detractor", submitted_at__gte=month_ago).count()
    cases = Case.objects.all()
    assert 0 < cases.count() <= detractors
    statuses = {case.status for case in cases}
    assert Status.CLOSED in statuses
    assert statuses & {Status.NEW, Status.IN_PROGRESS, Status.WAITING}
    assert not cases.filter(owner__isnull=True).exists()
    closed = cases.filter(status=Status.CLOSED)
    assert not closed.filter(root_cause__isnull=True).exists() and not closed.filter(outcome="").exists()
    assert all(case.opened_at <= case.closed_at for case in closed)
    assert Action.objects.get().units.count() == 3


def test_comments_are_analysed_and_tagged_with_the_default_themes(demo) -> None:
    from harken.text.models import CommentAnalysis, ResponseTheme

    assert CommentAnalysis.objects.count() == Response.objects.exclude(comment="").count()
    assert ResponseTheme.objects.exists()

"""Role scoping (harken.org.scoping): who sees which units and which responses.

The organisation is the ``org`` fixture: Acme → North (North 1, North 2), South (South 1).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from harken.analytics import queries
from harken.analytics.nps import Counts
from harken.collect.models import Response
from harken.org.models import Membership, Unit
from harken.org.scoping import root_units, scope_to_user, sees_everything, visible_units

EVERY_UNIT = {"Acme", "North", "South", "North 1", "North 2", "South 1"}


def names(units) -> set[str]:
    return {unit.name for unit in units}


def response_units(queryset) -> set[str]:
    return set(queryset.values_list("unit__name", flat=True))


@pytest.mark.parametrize(
    ("user", "units"),
    [
        ("admin", EVERY_UNIT),
        ("analyst", EVERY_UNIT),
        ("manager", {"North", "North 1", "North 2"}),
        ("frontline", {"North 1"}),
        ("outsider", {"South 1"}),
        ("newcomer", set()),
    ],
)
def test_it_shows_each_user_the_units_of_their_role(org, user, units):
    assert names(visible_units(org.users[user])) == units


@pytest.mark.parametrize(
    ("user", "roots"),
    [
        ("admin", ["Acme"]),
        ("analyst", ["Acme"]),
        ("manager", ["North"]),
        ("frontline", ["North 1"]),
        ("outsider", ["South 1"]),
        ("newcomer", []),
    ],
)
def test_it_starts_each_users_dashboards_at_their_highest_unit(org, user, roots):
    assert [unit.name for unit in root_units(org.users[user])] == roots


def test_it_hides_other_stores_from_frontline_staff(org):
    visible = scope_to_user(Response.objects.all(), org.users["frontline"])
    assert response_units(visible) == {"North 1"}
    assert visible.count() == 10


def test_it_gives_managers_every_store_in_their_region(org):
    visible = scope_to_user(Response.objects.all(), org.users["manager"])
    assert response_units(visible) == {"North 1", "North 2"}
    assert visible.count() == 22  # 10 in North 1, 11 scored and 1 skipped in North 2


def test_it_refuses_norths_responses_to_the_outsider(org):
    outsider = org.users["outsider"]
    norths = Response.objects.filter(unit__path__startswith=org.north.path)
    assert norths.count() == 22
    assert not scope_to_user(norths, outsider).exists()
    assert response_units(scope_to_user(Response.objects.all(), outsider)) == {"South 1"}


def test_it_refuses_norths_numbers_to_the_outsider_even_when_asked_for_north(org):
    outsider = org.users["outsider"]
    assert queries.total(queries.Filters(unit=org.north), outsider) == Counts(0, 0, 0)
    assert queries.total(queries.Filters(unit=org.north), org.users["manager"]) == Counts(7, 5, 9)


@pytest.mark.parametrize("user", ["admin", "analyst"])
def test_it_lets_analysts_and_administrators_see_everything(org, user):
    assert sees_everything(org.users[user])
    assert scope_to_user(Response.objects.all(), org.users[user]).count() == Response.objects.count() == 37


def test_it_lets_an_analyst_of_one_store_read_the_whole_organisation(org):
    newcomer = org.users["newcomer"]
    Membership.objects.create(user=newcomer, unit=org.south_1, role=Membership.Role.ANALYST)
    assert names(visible_units(newcomer)) == EVERY_UNIT


@pytest.mark.parametrize("user", ["newcomer", "anonymous"])
def test_it_shows_nothing_to_users_without_a_membership(org, user):
    viewer = AnonymousUser() if user == "anonymous" else org.users[user]
    assert not sees_everything(viewer)
    assert not visible_units(viewer).exists()
    assert not scope_to_user(Response.objects.all(), viewer).exists()
    assert root_units(viewer) == []


def test_it_adds_up_memberships_on_separate_branches(org):
    frontline = org.users["frontline"]
    Membership.objects.create(user=frontline, unit=org.south_1, role=Membership.Role.FRONTLINE)
    assert names(visible_units(frontline)) == {"North 1", "South 1"}
    assert [unit.name for unit in root_units(frontline)] == ["North 1", "South 1"]


def test_it_keeps_only_the_higher_unit_when_memberships_are_nested(org):
    manager = org.users["manager"]
    Membership.objects.create(user=manager, unit=org.north_1, role=Membership.Role.FRONTLINE)
    assert names(visible_units(manager)) == {"North", "North 1", "North 2"}
    assert [unit.name for unit in root_units(manager)] == ["North"]


def test_it_does_not_mistake_a_store_for_a_sibling_whose_id_starts_the_same(org):
    # Paths are "/1/2/4/": North 1 (say id 4) must not reach a unit 41, whose path "/1/2/41/" shares "/1/2/4".
    lookalike = Unit.objects.create(pk=int(f"{org.north_1.pk}1"), name="North 1 lookalike", parent=org.north)
    Response.objects.create(survey=org.survey, unit=lookalike, score=0)
    frontline = org.users["frontline"]
    assert names(visible_units(frontline)) == {"North 1"}
    assert response_units(scope_to_user(Response.objects.all(), frontline)) == {"North 1"}


def test_it_filters_other_models_through_their_unit_field(org):
    memberships = scope_to_user(Membership.objects.all(), org.users["manager"])
    assert {membership.user.username for membership in memberships} == {"manager", "frontline"}


def test_it_does_not_name_norths_stores_to_the_outsider_who_asks_for_north_by_unit(org):
    groups = queries.nps_by("unit", queries.Filters(unit=org.north), org.users["outsider"])
    assert not {group.label for group in groups} & {"North 1", "North 2"}

"""Recognition: promoter comments naming an employee or a store become shout-outs, emailed and shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.loop import alerts
from harken.loop.models import AlertRule, Case, LoopEmail, Shoutout
from harken.loop.recognition import Mention, Person, Place, find_mentions, shoutouts_for_units
from harken.org.models import Employee, Unit
from tests.conftest import Smtp

ANNA = Person(1, "Anna Schmidt", unit_id=10)
ANNA_ELSEWHERE = Person(2, "Anna Berg", unit_id=20)
BEN = Person(3, "Ben Okafor", unit_id=10)
LEEDS = Place(10, "Leeds Central")


@pytest.mark.parametrize(
    ("comment", "unit_id", "expected"),
    [
        ("Anna was wonderful!", 10, [Mention("Anna", 10, 1)]),  # first name, her own store
        ("anna SCHMIDT sorted it", 20, [Mention("anna SCHMIDT", 10, 1)]),  # full name, anywhere, any case
        ("Anna was wonderful!", 30, []),  # first name in a store where no Anna works
        ("Annabel helped", 10, []),  # whole words only
        (
            "Ben and Anna at Leeds Central",
            10,
            [Mention("Anna", 10, 1), Mention("Ben", 10, 3), Mention("Leeds Central", 10)],
        ),
        ("Great service at leeds   central today", 30, [Mention("leeds   central", 10)]),
        ("", 10, []),
    ],
)
def test_it_finds_employees_and_stores_named_in_a_comment(comment: str, unit_id: int, expected: list[Mention]) -> None:
    assert find_mentions(comment, unit_id, [ANNA, ANNA_ELSEWHERE, BEN], [LEEDS]) == expected


def test_a_first_name_two_colleagues_share_names_nobody() -> None:
    twin = Person(4, "Anna Meyer", unit_id=10)
    assert find_mentions("Anna was great", 10, [ANNA, twin], []) == []
    assert find_mentions("Anna Meyer was great", 10, [ANNA, twin], []) == [Mention("Anna Meyer", 10, 4)]


@pytest.fixture
def people(org: Any) -> dict[str, Any]:
    manager = org.users["manager"]
    manager.email = "mia@acme.example"
    manager.save()
    org.users["frontline"].email = "frank@acme.example"
    org.users["frontline"].save()
    Unit.objects.filter(pk=org.north_1.pk).update(name="Leeds Central")
    org.north_1.refresh_from_db()
    anna = Employee.objects.create(name="Anna Schmidt", email="anna@acme.example", unit=org.north_1)
    rule = AlertRule.objects.create(name="Excellence", categories=["promoter"], open_case=False, recognize=True)
    return {"anna": anna, "rule": rule}


def test_a_promoter_naming_an_employee_sends_her_and_her_manager_a_shout_out(
    org: Any, people: Any, smtp: Smtp, django_capture_on_commit_callbacks: Any, run_worker: Any
) -> None:
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = Response.objects.create(
            survey=org.survey, unit=org.north_1, score=10, comment="Anna went out of her way to help me!"
        )
    run_worker()
    shoutout = Shoutout.objects.get()
    assert (shoutout.employee, shoutout.unit, shoutout.mention, shoutout.rule) == (
        people["anna"],
        org.north_1,
        "Anna",
        people["rule"],
    )
    assert not Case.objects.exists()
    received = sorted((str(m["To"]), str(m["Subject"])) for m in smtp.inbox.messages)
    assert received == [
        ("anna@acme.example", "A customer named Anna Schmidt: a shout-out"),
        ("mia@acme.example", "A customer named Anna Schmidt: a shout-out"),
    ]
    body = smtp.inbox.messages[0].get_content()
    assert "“Anna went out of her way to help me!”" in body and "(10/10)" in body
    assert set(LoopEmail.objects.values_list("state", flat=True)) == {"sent"}
    assert alerts.do_apply_rules(response.pk) == []  # once per response


def test_a_store_shout_out_goes_to_its_team_and_manager(org: Any, people: Any) -> None:
    response = Response.objects.create(
        survey=org.survey, unit=org.south_1, score=9, comment="Leeds Central is my favourite shop."
    )
    alerts.do_apply_rules(response.pk)
    shoutout = Shoutout.objects.get()
    assert (shoutout.employee, shoutout.unit, shoutout.recipient_name) == (None, org.north_1, "Leeds Central")
    assert sorted(LoopEmail.objects.values_list("to", flat=True)) == ["frank@acme.example", "mia@acme.example"]


def test_detractors_naming_someone_are_not_shout_outs(org: Any, people: Any) -> None:
    response = Response.objects.create(survey=org.survey, unit=org.north_1, score=2, comment="Anna was rude.")
    alerts.do_apply_rules(response.pk)
    assert not Shoutout.objects.exists() and not LoopEmail.objects.exists()


def test_shoutouts_for_units_keeps_to_the_units_and_the_period(org: Any, people: Any) -> None:
    now = timezone.now()
    for days, unit, comment in [
        (1, org.north_1, "Anna Schmidt was great"),
        (2, org.north_1, "Leeds Central rocks"),
        (10, org.north_1, "Anna again, lovely"),
        (1, org.south_1, "Anna Schmidt helped me on the phone"),
    ]:
        response = Response.objects.create(
            survey=org.survey, unit=unit, score=10, comment=comment, submitted_at=now - dt.timedelta(days=days)
        )
        alerts.do_apply_rules(response.pk)
    week = shoutouts_for_units([org.north.pk], now - dt.timedelta(days=7), now)
    assert [s.response.comment for s in week] == [
        "Anna Schmidt helped me on the phone",  # about South 1's response, but Anna works in North 1
        "Anna Schmidt was great",
        "Leeds Central rocks",
    ]
    assert [s.response.comment for s in shoutouts_for_units([org.south.pk], now - dt.timedelta(days=30), now)] == []
    assert len(shoutouts_for_units([org.acme.pk], now - dt.timedelta(days=30), now, limit=2)) == 2
    assert shoutouts_for_units([], now - dt.timedelta(days=30), now) == []


def test_the_front_line_view_shows_the_units_shout_outs(org: Any, people: Any, login: Any) -> None:
    response = Response.objects.create(survey=org.survey, unit=org.north_1, score=10, comment="Anna made my day.")
    alerts.do_apply_rules(response.pk)
    page = login("frontline").get("/my-unit/").content.decode()
    assert 'id="shoutouts"' in page and "Anna Schmidt" in page and "Anna made my day." in page

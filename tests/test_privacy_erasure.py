"""Erasing a contact (GDPR): personal data and comments gone from every table, NPS counts kept, outsiders refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.collect.models import Response
from harken.contacts import erasure
from harken.contacts.models import Contact
from harken.distribution.models import EligibilityEntry, Invitation
from harken.integrations.models import CustomerEvent
from harken.loop.models import Case, CaseEvent
from harken.org.models import AuditEvent
from harken.text.models import CommentAnalysis
from tests.conftest import screenshot

SECRETS = ["zelda.quist@example.com", "Zelda Quist", "+447700900999", "my parcel came soaked in rain"]


@pytest.fixture
def zelda(org: Any) -> Contact:
    """A North 1 contact with an answer, a case note quoting her, an invitation, a ledger entry and an event."""
    contact = Contact.objects.create(
        email=SECRETS[0], name=SECRETS[1], phone=SECRETS[2], home_unit=org.north_1, attributes={"vip": SECRETS[1]}
    )
    invitation = Invitation.objects.create(
        survey=org.survey, contact=contact, unit=org.north_1, scheduled_at=timezone.now(), context={"to": SECRETS[0]}
    )
    response = Response.objects.create(
        survey=org.survey, unit=org.north_1, touchpoint=org.delivery, contact=contact, score=2,
        comment=SECRETS[3], answers={"why": SECRETS[3], "stars": 2}, invitation=invitation,
        submitted_at=timezone.now() - dt.timedelta(days=3),
    )  # fmt: skip
    CommentAnalysis.objects.create(response=response, sentiment_score=-0.5, sentiment_label="negative")
    case = Case.objects.create(response=response, unit=org.north_1, title=f"Detractor: {SECRETS[3]}")
    CaseEvent.objects.create(case=case, kind="note", text=f"Called {SECRETS[1]}: {SECRETS[3]}")
    EligibilityEntry.objects.create(
        contact=contact, survey=org.survey, channel="email", reason="too_soon", decided_at=timezone.now()
    )
    CustomerEvent.objects.create(contact=contact, kind="renewal", occurred_at=timezone.now(), external_id=SECRETS[0])
    return contact


def leftovers() -> list[str]:
    """Every (table, field) whose text or JSON still holds one of SECRETS, scanning all models generically."""
    found = []
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._default_manager.values_list(*(f.name for f in fields)) if fields else []:
            text = json.dumps(row, default=str, ensure_ascii=False).lower()
            found += [f"{model._meta.label}: {s}" for s in SECRETS if s.lower() in text]
    return found


def nps_counts() -> list[tuple[Any, ...]]:
    return sorted(Response.objects.values_list("unit_id", "touchpoint_id", "score", "submitted_at"), key=str)


def test_after_erasure_no_table_holds_the_contacts_data_or_comment(zelda: Contact) -> None:
    assert leftovers()
    before = nps_counts()
    erasure.do_erase_contact(zelda)
    assert leftovers() == []
    assert nps_counts() == before


def test_erasure_marks_the_responses_as_changed_for_the_warehouse(zelda: Contact) -> None:
    response = Response.objects.get(contact=zelda)
    Response.objects.filter(pk=response.pk).update(updated_at=timezone.now() - dt.timedelta(days=5))
    erasure.do_erase_contact(zelda)
    response.refresh_from_db()
    assert timezone.now() - response.updated_at < dt.timedelta(minutes=1)
    assert response.answers == {"stars": 2}


def test_the_api_erases_for_a_manager_and_records_it(org: Any, zelda: Contact, client: Any) -> None:
    token = do_create_key(org.users["manager"], "test", "write")[1]
    answer = client.post(f"/api/v1/contacts/{zelda.pk}/erase", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["responses"] == 1
    assert AuditEvent.objects.filter(action="erase_contact", actor=org.users["manager"]).exists()
    assert leftovers() == []


def test_the_api_refuses_an_outsider_and_a_read_key(org: Any, zelda: Contact, client: Any) -> None:
    for name, scope, status in (("outsider", "write", 404), ("frontline", "write", 403), ("manager", "read", 403)):
        token = do_create_key(org.users[name], "test", scope)[1]
        answer = client.post(f"/api/v1/contacts/{zelda.pk}/erase", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == status, name
    assert Contact.objects.get(pk=zelda.pk).email == SECRETS[0]


def test_the_command_erases_a_contact_by_email(zelda: Contact) -> None:
    call_command("erase", "contact", "--email", SECRETS[0].upper())
    assert leftovers() == []


def test_the_page_asks_for_confirmation_then_erases(login: Any, zelda: Contact) -> None:
    client = login("manager")
    assert "Erase this contact" in client.get(f"/contacts/{zelda.pk}/").content.decode()
    assert "cannot be undone" in client.get(f"/contacts/{zelda.pk}/erase/").content.decode()
    assert client.post(f"/contacts/{zelda.pk}/erase/").status_code == 302
    assert leftovers() == []


def test_the_page_refuses_erasure_to_front_line_staff(login: Any, zelda: Contact) -> None:
    client = login("frontline")
    assert "Erase this contact" not in client.get(f"/contacts/{zelda.pk}/").content.decode()
    assert client.post(f"/contacts/{zelda.pk}/erase/").status_code == 403
    assert Contact.objects.get(pk=zelda.pk).name == SECRETS[1]


def test_retention_anonymises_only_old_responses(org: Any, zelda: Contact) -> None:
    Response.objects.filter(contact=zelda).update(submitted_at=timezone.now() - dt.timedelta(days=400))
    before = nps_counts()
    assert erasure.do_erase_older_than(12).responses == 1
    assert not Response.objects.exclude(comment="").exists() and nps_counts() == before


@pytest.mark.browser
def test_the_erase_confirmation_reads_well_on_a_phone_and_a_desktop(browser_login: Any, zelda: Contact) -> None:
    page = browser_login("manager")
    page.goto(f"/contacts/{zelda.pk}/")
    page.get_by_role("link", name="Erase this contact…").click()
    for width, name in ((360, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"privacy-erase-confirmation-{name}")
    page.get_by_role("button", name="Erase personal data").click()
    page.get_by_text("were erased").wait_for()


def test_the_command_names_a_missing_contact_in_one_line(zelda: Contact) -> None:
    with pytest.raises(CommandError, match="no such contact"):
        call_command("erase", "contact", "--id", str(zelda.pk + 1000))


def test_the_retention_command_anonymises_old_answers_and_records_it(org: Any, zelda: Contact) -> None:
    Response.objects.filter(contact=zelda).update(submitted_at=timezone.now() - dt.timedelta(days=800))
    call_command("erase", "older-than", "24")
    assert Response.objects.filter(contact=zelda).count() == 0
    assert Invitation.objects.get(contact=zelda).context == {}
    assert AuditEvent.objects.filter(action="erase_older_than").exists()


def test_the_command_reports_a_missing_choice_in_one_line(db: None, capsys: Any) -> None:
    from harken import cli

    assert cli.main(["erase", "contact"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_erasing_a_contact_forgets_them_in_widget_answers_not_filed_yet(org: Any) -> None:
    from harken.collect import intake
    from harken.collect.models import ReceivedAnswer

    ada = Contact.objects.create(email="Ada@Example.com", external_id="cus_42", name="Ada")
    for key, visitor in (
        ("a" * 32, {"email": "ada@example.com", "attributes": {}}),
        ("b" * 32, {"id": "cus_42", "attributes": {}}),
        ("c" * 32, {"email": "grace@example.com", "attributes": {}}),
    ):
        intake.do_receive(
            survey_id=org.survey.pk, unit_id=org.north_2.pk, touchpoint_id=None, submission_key=key, score=9,
            comment=None, language="en", visitor=visitor,
        )  # fmt: skip
    erasure.do_erase_contact(ada)
    visitors = dict(ReceivedAnswer.objects.values_list("submission_key", "visitor"))
    assert visitors == {"a" * 32: None, "b" * 32: None, "c" * 32: {"email": "grace@example.com", "attributes": {}}}
    intake.do_file_batch()
    assert Response.objects.filter(submission_key="a" * 32, contact__isnull=True).exists()  # filed, anonymous

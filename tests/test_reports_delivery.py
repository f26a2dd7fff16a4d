"""Scheduled delivery of the executive report: by the worker, to a real SMTP server, once per period, retried."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from harken.reports import delivery
from harken.reports.models import ReportDelivery, ReportSchedule
from tests.conftest import Org
from tests.test_reports_executive import Q3, quarters  # noqa: F401 - the hand-built dataset fixture
from tests.test_reports_pdf import _need_poppler

UTC = dt.UTC


def test_the_next_run_is_the_start_of_the_next_period_at_the_chosen_hour() -> None:
    moment = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert delivery.next_run("quarter", moment, 7) == dt.datetime(2027, 1, 1, 7, 0, tzinfo=UTC)
    assert delivery.next_run("month", moment, 7) == dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert delivery.next_run("year", moment, 7) == dt.datetime(2027, 1, 1, 7, 0, tzinfo=UTC)
    early = dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # before 07:00 on the 1st: October can go out today
    assert delivery.next_run("month", early, 7) == dt.datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


def test_the_next_run_follows_the_installations_time_zone(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    moment = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert delivery.next_run("quarter", moment, 7) == dt.datetime(2027, 1, 1, 6, 0, tzinfo=UTC)  # 07:00 CET


def _schedule(org: Org, **extra: Any) -> ReportSchedule:
    manager = org.users["manager"]
    manager.email = "manager@acme.example"
    manager.save()
    values = {
        "name": "Board, quarterly",
        "unit": org.acme,
        "period_kind": "quarter",
        "emails": "board@acme.example",
        "next_run_at": timezone.now() + dt.timedelta(days=30),
        **extra,
    }
    schedule = ReportSchedule.objects.create(**values)
    schedule.recipients.add(manager)
    return schedule


def test_the_worker_sends_the_report_with_its_pdf_once(
    quarters: Org,  # noqa: F811
    smtp: Any,
    run_worker: Any,
    tmp_path: Path,
) -> None:
    _need_poppler()
    smtp.start()
    schedule = _schedule(quarters)
    delivery.do_queue(schedule, Q3, timezone.now())
    run_worker()
    [message] = [m for m in smtp.inbox.messages if "Executive report" in m["Subject"]]
    assert message["Subject"].strip() == "Executive report · Acme · Q3 2024: NPS +36.7 (n = 90)"
    assert message["To"] == "manager@acme.example, board@acme.example"
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    for part in (html, text):
        assert "It rose by 34.4 points from +2.2 in Q2 2024, a significant rise." in part
        assert "/reports/?unit=" in part
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "harken-report-acme-q3-2024.pdf"
    pdf = tmp_path / "attached.pdf"
    pdf.write_bytes(attachment.get_content())
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Acme · Q3 2024" in words and "Regions, ranked fairly" in words
    sent = ReportDelivery.objects.get()
    assert (sent.state, sent.attempts, sent.recipients) == ("sent", 1, "manager@acme.example\nboard@acme.example")
    delivery.do_queue(schedule, Q3, timezone.now())  # the same period again: nothing new
    run_worker()
    assert len([m for m in smtp.inbox.messages if "Executive report" in m["Subject"]]) == 1
    assert ReportDelivery.objects.count() == 1


def test_a_due_schedule_queues_the_last_complete_period_and_moves_on(org: Org) -> None:
    schedule = _schedule(org, next_run_at=dt.datetime(2026, 10, 1, 7, 0, tzinfo=UTC))
    now = dt.datetime(2026, 10, 1, 7, 1, tzinfo=UTC)
    assert delivery.do_queue_due(now) == 1
    assert delivery.do_queue_due(now) == 0  # not due any more
    queued = ReportDelivery.objects.get()
    assert (queued.period_start, queued.period_end, queued.state) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        "queued",
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2027, 1, 1, 7, 0, tzinfo=UTC)


def test_a_server_that_is_down_is_retried_later(org: Org, smtp: Any, settings: Any) -> None:
    settings.EMAIL_RETRY_SECONDS = 60
    schedule = _schedule(org)
    queued, _ = delivery.do_queue(schedule, Q3, timezone.now())
    now = timezone.now()
    assert delivery.do_send_due(now) == {"sent": 0, "retried": 1, "failed": 0}  # the SMTP server is not started
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("queued", 1)
    assert queued.next_attempt_at == now + dt.timedelta(seconds=60)
    assert queued.last_error
    assert delivery.do_send_due(now) == {"sent": 0, "retried": 0, "failed": 0}  # not yet due again
    smtp.start()
    assert delivery.do_send_due(now + dt.timedelta(seconds=61)) == {"sent": 1, "retried": 0, "failed": 0}
    assert len(smtp.inbox.messages) == 1


def test_a_refused_recipient_fails_at_once_and_says_why(org: Org, smtp: Any) -> None:
    smtp.start()
    schedule = ReportSchedule.objects.create(
        name="Nobody", unit=org.north, emails="nobody@example.com", next_run_at=timezone.now()
    )
    queued, _ = delivery.do_queue(schedule, Q3, timezone.now())
    assert delivery.do_send_due() == {"sent": 0, "retried": 0, "failed": 1}
    queued.refresh_from_db()
    assert queued.state == "failed"
    assert "nobody@example.com" in queued.last_error


# --- The schedules page ------------------------------------------------------------------------------------


def test_a_manager_schedules_a_report_for_their_region(org: Org, login: Any) -> None:
    client = login("manager")
    page = client.get("/reports/schedules/")
    assert page.status_code == 200
    assert [u.name for u in page.context["form"].fields["unit"].queryset] == ["North", "North 1", "North 2"]
    answer = client.post(
        "/reports/schedules/",
        {
            "name": "North monthly",
            "unit": org.north.pk,
            "period_kind": "month",
            "emails": "ops@acme.example\n",
            "send_hour": 7,
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.unit, schedule.period_kind, schedule.addresses()) == (org.north, "month", ["ops@acme.example"])
    assert schedule.next_run_at == delivery.next_run("month", timezone.now(), 7)
    assert schedule.created_by == org.users["manager"]


def test_bad_input_is_named_and_nothing_is_saved(org: Org, login: Any) -> None:
    client = login("manager")
    answer = client.post(
        "/reports/schedules/",
        {
            "name": "Bad",
            "unit": org.south.pk,
            "period_kind": "week",
            "emails": "ok@acme.example\nnot an address",
            "send_hour": 25,
        },
    )
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert "unit" in errors and "period_kind" in errors and "send_hour" in errors
    assert errors["emails"] == ["Line 2: 'not an address' is not an email address."]
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize("name", ["frontline", "analyst", "newcomer"])
def test_only_managers_and_admins_schedule_reports(org: Org, login: Any, name: str) -> None:
    assert login(name).get("/reports/schedules/").status_code == 403


def test_send_now_queues_the_last_period_once(org: Org, login: Any) -> None:
    schedule = _schedule(org)
    client = login("admin")
    for _ in range(2):
        assert client.post(f"/reports/schedules/{schedule.pk}/send/").status_code == 302
    assert ReportDelivery.objects.count() == 1
    outsider = login("manager")  # North's manager cannot touch Acme's schedule
    assert outsider.post(f"/reports/schedules/{schedule.pk}/send/").status_code == 404


def test_a_schedule_is_edited_and_deleted_on_its_page(org: Org, login: Any) -> None:
    schedule = _schedule(org, unit=org.north)
    client = login("manager")
    page = client.get(f"/reports/schedules/{schedule.pk}/")
    assert page.status_code == 200 and page.context["form"].instance == schedule
    answer = client.post(
        f"/reports/schedules/{schedule.pk}/",
        {
            "name": "North yearly",
            "unit": org.north.pk,
            "period_kind": "year",
            "emails": "",
            "send_hour": 6,
            "recipients": [org.users["manager"].pk],
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.period_kind, schedule.addresses()) == (
        "North yearly",
        "year",
        ["manager@acme.example"],
    )
    assert schedule.next_run_at == delivery.next_run("year", timezone.now(), 6)
    assert client.post(f"/reports/schedules/{schedule.pk}/", {"delete": "1"}).status_code == 302
    assert not ReportSchedule.objects.exists()

"""NPS economics: customer events linked to what customers answered, with intervals; accounts at risk."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.integrations.economics import accounts_at_risk, difference, mean, outcomes, wilson
from harken.integrations.models import CustomerEvent

FILES = Path(__file__).resolve().parent / "fixtures" / "imports"


@pytest.fixture
def customers(org):
    """Six customers who answered 40 days ago: 2 detractors, 2 passives, 2 promoters, and what they did next.

    Revenue in the 12 months after answering: detractors 0 and 100 (one churned), passives 200 and 300,
    promoters 500 and 700 (one renewed).  One old event before the answer does not count.
    """
    answered = timezone.now() - dt.timedelta(days=40)
    people = {}
    for name, score, unit in [
        ("d1", 2, org.north_1),
        ("d2", 5, org.north_1),
        ("a1", 7, org.north_2),
        ("a2", 8, org.north_2),
        ("p1", 9, org.south_1),
        ("p2", 10, org.south_1),
    ]:
        contact = Contact.objects.create(name=name, external_id=f"crm-{name}", home_unit=unit)
        Response.objects.create(survey=org.survey, unit=unit, contact=contact, score=score, submitted_at=answered)
        people[name] = contact
    later = answered + dt.timedelta(days=10)
    events = [
        ("d1", "churn", None),
        ("d2", "purchase", 100),
        ("a1", "purchase", 200),
        ("a2", "purchase", 300),
        ("p1", "purchase", 500),
        ("p2", "renewal", 700),
    ]
    for name, kind, value in events:
        CustomerEvent.objects.create(contact=people[name], kind=kind, occurred_at=later, value=value)
    CustomerEvent.objects.create(
        contact=people["d1"], kind="purchase", occurred_at=answered - dt.timedelta(days=5), value=9999
    )
    return people


def test_outcomes_per_category_come_from_the_events_after_each_answer(customers):
    report = outcomes(Filters(), None)
    detractor, passive, promoter = report.outcomes
    assert (detractor.n, detractor.churned, detractor.revenue.value) == (2, 1, 50.0)
    assert (passive.n, passive.churned, passive.revenue.value) == (2, 0, 250.0)
    assert (promoter.n, promoter.renewed, promoter.revenue.value) == (2, 1, 600.0)
    # s² of (0, 100) = 5000, SE = √(5000/2) = 50; of (200, 300) also 50 → Δ SE = √(50² + 50²) = 70.71
    assert report.detractor_to_passive.value == 200.0
    assert math.isclose(report.detractor_to_passive.standard_error, math.sqrt(5000), rel_tol=1e-9)
    assert report.passive_to_promoter.value == 350.0
    assert report.churn_detractor_minus_passive.value == 0.5


def test_outcomes_are_limited_to_what_the_user_sees(customers, org):
    detractor, passive, promoter = outcomes(Filters(), org.users["manager"]).outcomes
    assert (detractor.n, passive.n, promoter.n) == (2, 2, 0)
    assert promoter.revenue.value is None  # no data is None, never 0


def test_accounts_at_risk_are_detractors_by_value(customers, org):
    risky = accounts_at_risk(None)
    # d1 churned, but bought for 9,999 five days before answering: inside the last 12 months
    assert [(row.name, row.value) for row in risky] == [("d1", Decimal(9999)), ("d2", Decimal(100))]
    assert accounts_at_risk(org.users["outsider"]) == []


def test_wilson_interval_by_hand():
    # k=1, n=2, z=1.959964: centre (0.5 + 0.960365)/2.920729 = 0.5; half = z·√(0.125 + 0.240091)/2.920729 = 0.405
    rate = wilson(1, 2, 0.95)
    assert rate.value == 0.5
    assert math.isclose(rate.low, 0.5 - 0.40540, abs_tol=1e-4) and math.isclose(rate.high, 0.90540, abs_tol=1e-4)
    assert wilson(0, 0, 0.95).value is None


def test_mean_and_difference_by_hand():
    estimate = mean(total=300.0, squares=50000.0, n=2, confidence=0.95)  # values 100 and 200
    assert (estimate.value, estimate.standard_error) == (150.0, 50.0)
    assert mean(5.0, 25.0, 1, 0.95).standard_error is None
    delta = difference(mean(300.0, 50000.0, 2, 0.95), mean(100.0, 10000.0, 2, 0.95), 0.95)
    assert delta.value == 100.0


def test_customer_events_are_imported_by_csv_idempotently(org):
    Contact.objects.create(name="Ann", email="ann@example.com", home_unit=org.north_1)
    Contact.objects.create(name="Bo", external_id="C-2", home_unit=org.north_1)
    out = io.StringIO()
    call_command("import", "events", str(FILES / "events.csv"), stdout=out, stderr=io.StringIO())
    assert "created 3 events" in out.getvalue()
    assert CustomerEvent.objects.get(external_id="inv-1").value == Decimal("120.50")
    assert CustomerEvent.objects.get(external_id="ev-3").kind == "churn"
    out = io.StringIO()
    call_command("import", "events", str(FILES / "events.csv"), stdout=out, stderr=io.StringIO())
    assert "created 0 events" in out.getvalue() and "3 already imported" in out.getvalue()


def test_events_for_unknown_customers_are_reported_by_line(org, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,customer,event,date,amount\nx1,nobody@example.com,purchase,2026-01-02,5\nx2,,renewal,2026-01-03,\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "events", str(path), stdout=io.StringIO(), stderr=err)
    assert (
        "line 2, column 'customer' (B): no contact with the e-mail or external id 'nobody@example.com'"
        in err.getvalue()
    )
    assert "line 3, column 'customer' (B): empty" in err.getvalue()


def test_the_economics_command_prints_the_report(customers):
    out = io.StringIO()
    call_command("economics", stdout=out)
    text = out.getvalue()
    assert "Detractor → passive" in text and "+200" in text


def test_the_api_records_events_and_reports_economics(client, customers, org):
    from harken.api.keys import do_create_key

    headers = {"Authorization": f"Bearer {do_create_key(org.users['manager'], 'crm', 'write')[1]}"}
    data = {
        "contact_id": customers["a1"].pk,
        "kind": "renewal",
        "occurred_at": "2026-01-05T10:00:00Z",
        "value": "99.90",
        "external_id": "crm-77",
    }
    created = client.post("/api/v1/customer-events", data, content_type="application/json", headers=headers)
    assert created.status_code == 201 and created.json()["value"] == "99.90"
    again = client.post("/api/v1/customer-events", data, content_type="application/json", headers=headers)
    assert again.status_code == 409
    foreign = {**data, "contact_id": customers["p1"].pk, "external_id": "crm-78"}
    refused = client.post("/api/v1/customer-events", foreign, content_type="application/json", headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "contact_id"
    body = client.get("/api/v1/analytics/economics", headers=headers).json()
    assert [row["n"] for row in body["outcomes"]] == [2, 2, 0]
    assert body["detractor_to_passive"]["value"] == 200.0
    risky = client.get("/api/v1/analytics/accounts-at-risk", headers=headers).json()
    assert [row["name"] for row in risky] == ["d1", "d2"]


def test_accounts_at_risk_leave_out_detractors_whose_answer_has_a_closed_case(customers, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from harken.loop.models import Case

    d1_answer = Response.objects.get(contact=customers["d1"])
    d2_answer = Response.objects.get(contact=customers["d2"])
    Case.objects.create(response=d1_answer, unit=org.north_1, title="Call d1", status="closed")
    Case.objects.create(response=d2_answer, unit=org.north_1, title="Call d2", status="in_progress")
    with CaptureQueriesContext(connection) as queries:
        risky = accounts_at_risk(None)
    assert [row.name for row in risky] == ["d2"]  # an open case still leaves the account at risk
    assert len(queries) == 1

"""Importing contacts from CSV and XLSX: mapping, preview, upsert, typed attributes, errors, all or nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from harken.contacts import imports
from harken.contacts.models import Consent, Contact
from harken.io.tables import read_table
from tests.conftest import screenshot

GOOD = (
    "Email,Name,Unit,Plan,Revenue,Seats,Enterprise,Customer since,Email consent\n"
    "ann@example.com,Ann,North 1,gold,1200.50,12,yes,2024-03-01,granted\n"
    "bob@example.com,Bob,North 2,silver,300,3,no,2025-01-15,\n"
)


def table(text: str) -> Any:
    return read_table(text.encode(), "contacts.csv")


def test_the_mapping_guesses_fields_and_attribute_types() -> None:
    mapping = imports.guess_mapping(table(GOOD))
    assert mapping == {
        "Email": "email",
        "Name": "name",
        "Unit": "home_unit",
        "Plan": "attr:plan:text",
        "Revenue": "attr:revenue:number",
        "Seats": "attr:seats:integer",
        "Enterprise": "attr:enterprise:boolean",
        "Customer since": "attr:customer_since:date",
        "Email consent": "email_consent",
    }


def test_a_good_file_is_imported_with_typed_attributes(org: Any) -> None:
    t = table(GOOD)
    checked = imports.check_rows(org.users["manager"], t, imports.guess_mapping(t))
    report = imports.do_import(checked)
    assert (report.created, report.updated, report.problems) == (2, 0, [])
    ann = Contact.objects.get(email="ann@example.com")
    assert ann.home_unit == org.north_1 and ann.email_consent == Consent.GRANTED
    assert ann.attributes == {
        "plan": "gold",
        "revenue": 1200.5,
        "seats": 12,
        "enterprise": True,
        "customer_since": "2024-03-01",
    }
    assert Contact.objects.filter(attributes__plan="gold", attributes__seats__gte=10).get() == ann  # filterable


def test_importing_again_updates_by_email_and_keeps_other_attributes(org: Any) -> None:
    Contact.objects.create(email="ANN@example.com", name="A.", home_unit=org.north_1, attributes={"vip": True})
    t = table("email,name,plan\nann@example.com,Ann Example,platinum\n")
    report = imports.do_import(imports.check_rows(org.users["manager"], t, imports.guess_mapping(t)))
    assert (report.created, report.updated) == (0, 1)
    ann = Contact.objects.get()
    assert ann.name == "Ann Example" and ann.attributes == {"vip": True, "plan": "platinum"}


def test_external_id_matches_before_email(org: Any) -> None:
    Contact.objects.create(email="old@example.com", external_id="C-1", home_unit=org.north_1)
    t = table("customer_id,email\nC-1,new@example.com\n")
    imports.do_import(imports.check_rows(org.users["manager"], t, imports.guess_mapping(t)))
    assert list(Contact.objects.values_list("external_id", "email")) == [("C-1", "new@example.com")]


def test_a_rejected_file_writes_nothing_and_names_line_and_column(org: Any) -> None:
    text = GOOD + "not-an-email,Cy,North 1,gold,lots,1,maybe,yesterday,\n"
    t = table(text)
    checked = imports.check_rows(org.users["manager"], t, imports.guess_mapping(table(GOOD)))
    report = imports.do_import(checked)
    assert (report.created, report.updated) == (0, 0)
    assert Contact.objects.count() == 0
    assert [str(p) for p in report.problems] == [
        "line 4, column 'Email': 'not-an-email' is not an email address",
        "line 4, column 'Revenue': 'lots' is not a number",
        "line 4, column 'Enterprise': 'maybe' is not yes or no",
        "line 4, column 'Customer since': 'yesterday' is not a date like 2026-05-01",
    ]


def test_only_valid_rows_can_be_imported_by_choice(org: Any) -> None:
    t = table(GOOD + "carl@example.com,Carl,Nowhere,gold,1,1,yes,2024-01-01,\n")
    checked = imports.check_rows(org.users["manager"], t, imports.guess_mapping(t))
    report = imports.do_import(checked, only_valid=True)
    assert (report.created, report.skipped_rows) == (2, 1)
    assert str(report.problems[0]) == "line 4, column 'Unit': no unit 'Nowhere' that you may see"


def test_an_outsider_cannot_add_or_overwrite_another_units_contacts(org: Any) -> None:
    Contact.objects.create(email="ann@example.com", home_unit=org.north_1)
    t = table("email,name,unit\nann@example.com,Hacked,South 1\nnew@example.com,New,North 1\n")
    report = imports.do_import(imports.check_rows(org.users["outsider"], t, imports.guess_mapping(t)))
    assert [p.line for p in report.problems] == [2, 3]
    assert Contact.objects.get().name == ""


def test_a_duplicate_row_in_the_file_is_an_error(org: Any) -> None:
    t = table("email,unit\nann@example.com,North 1\nANN@example.com,North 1\n")
    checked = imports.check_rows(org.users["manager"], t, imports.guess_mapping(t))
    assert str(checked.problems[0]) == "line 3, column 'email': the same contact is already on line 2"


def test_a_mapping_must_identify_contacts() -> None:
    with pytest.raises(ValueError, match="email or external_id"):
        imports.check_mapping({"Name": "name"})
    with pytest.raises(ValueError, match="mapped twice"):
        imports.check_mapping({"a": "email", "b": "email"})


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_import_page_previews_an_xlsx_file_then_imports_it(login: Any, org: Any) -> None:
    client = login("manager")
    data = xlsx([["Email", "Unit", "Seats"], ["ann@example.com", "North 1", 5], ["bob@example.com", "North 2", 7]])
    upload = SimpleUploadedFile("contacts.xlsx", data)
    page = client.post("/contacts/import/", {"file": upload}).content.decode()
    assert "2 rows ready, 0 problems" in page and Contact.objects.count() == 0
    fields = dict(re.findall(r'name="(data|filename)" value="([^"]*)"', page))
    form = fields | {"map-0": "email", "map-1": "home_unit", "map-2": "attr:integer", "name-2": "licences"}
    done = client.post("/contacts/import/", form | {"step": "import"}).content.decode()
    assert "2 contacts added, 0 updated" in done
    assert Contact.objects.get(email="bob@example.com").attributes == {"licences": 7}


def test_the_import_page_refuses_a_file_with_problems_unless_asked_for_valid_rows(login: Any, org: Any) -> None:
    client = login("manager")
    upload = SimpleUploadedFile("c.csv", b"email,unit\nann@example.com,North 1\nbroken,North 1\n")
    page = client.post("/contacts/import/", {"file": upload}).content.decode()
    assert "Line 3, column “email”: &#x27;broken&#x27; is not an email address" in page
    fields = dict(re.findall(r'name="(data|filename)" value="([^"]*)"', page))
    form = fields | {"map-0": "email", "map-1": "home_unit"}
    refused = client.post("/contacts/import/", form | {"step": "import"}).content.decode()
    assert "Nothing was imported" in refused and Contact.objects.count() == 0
    partial = client.post("/contacts/import/", form | {"step": "import_valid"}).content.decode()
    assert "1 contact added" in partial and Contact.objects.count() == 1


@pytest.mark.browser
def test_the_import_page_reads_well_on_a_phone_and_a_desktop(browser_login: Any, tmp_path: Any) -> None:
    page = browser_login("manager")
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD + "broken,Cy,North 1,gold,lots,1,maybe,2024-01-01,\n")
    page.goto("/contacts/import/")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_text("2 rows ready").wait_for()
    for name, size in (("phone", {"width": 360, "height": 740}), ("desktop", {"width": 1280, "height": 800})):
        page.set_viewport_size(size)
        screenshot(page, f"contacts-import-{name}")
    page.get_by_role("button", name="Import only the 2 valid rows").click()
    page.get_by_text("2 contacts added").wait_for()
    screenshot(page, "contacts-import-done")

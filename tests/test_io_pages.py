"""The Import page (dry run, then import) and the Export page (dataset, format, filters, scope)."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
from django.core.files.uploadedfile import SimpleUploadedFile

from harken.collect.models import Response
from harken.org.models import AuditEvent
from tests.conftest import screenshot

SMALL_CSV = "id,date,score,comment\r\nr1,2026-01-05,10,Great staff\r\nr2,2026-01-06,3,Too slow\r\nr3,2026-01-07,8,\r\n"
BAD_CSV = "id,date,score\r\nr1,2026-01-05,10\r\nr2,2026-01-06,11\r\nr3,2026-01-06,4\r\nr4,2026-01-07,7\r\n"


def upload(client, org, text, step="dry_run", **extra):
    data = {"survey": org.survey.pk, "unit": org.north_1.pk, "step": step, **extra}
    if text is not None:
        data["file"] = SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")
    return client.post("/import/", data)


def test_the_import_page_refuses_everyone_but_staff_and_administrators(login, org):
    for name in ("analyst", "manager", "outsider"):
        assert login(name).get("/import/").status_code == 403
    assert login("admin").get("/import/").status_code == 200


def test_a_dry_run_reports_counts_and_writes_nothing_then_the_import_writes_once(login, org):
    client = login("admin")
    before = Response.objects.count()
    dry = upload(client, org, SMALL_CSV)
    assert dry.status_code == 200
    report, token = dry.context["report"], dry.context["upload"].token
    assert (report.dry_run, report.rows, report.created, report.problems) == (True, 3, 3, [])
    assert b"Import 3 responses" in dry.content and Response.objects.count() == before

    done = upload(client, org, None, step="import", token=token, filename="history.csv")
    assert done.context["report"].created == 3 and Response.objects.count() == before + 3
    assert set(Response.objects.filter(channel="import").values_list("unit__name", flat=True)) == {"North 1"}
    again = upload(client, org, SMALL_CSV)
    assert (again.context["report"].created, again.context["report"].already_imported) == (0, 3)


def test_problems_are_listed_by_line_and_column_and_block_the_import(login, org):
    response = upload(login("admin"), org, BAD_CSV)
    problems = response.context["report"].problems
    assert [(problem.line, "score" in problem.column) for problem in problems] == [(3, True)]
    assert b"Import " not in response.content.split(b"Check (dry run)")[1]


def test_an_upload_cannot_be_confirmed_by_another_user(login, org, client):
    token = upload(login("admin"), org, SMALL_CSV).context["upload"].token
    org.users["analyst"].is_staff = True
    org.users["analyst"].save()
    other = upload(login("analyst"), org, None, step="import", token=token, filename="history.csv")
    assert other.status_code == 422 and "not found" in other.context["error"]


def test_a_staff_member_cannot_import_into_a_unit_they_may_not_write(login, org):
    org.users["analyst"].is_staff = True
    org.users["analyst"].save()
    response = upload(login("analyst"), org, SMALL_CSV)
    assert response.status_code == 422 and "may not add data" in response.context["error"]


def test_the_export_page_downloads_the_chosen_dataset_for_the_users_units(login, org):
    client = login("outsider")
    page = client.get("/export/")
    assert page.status_code == 200 and b"Download" in page.content
    response = client.get("/export/", {"download": 1, "dataset": "responses", "format": "csv", "period": "all"})
    assert response["Content-Disposition"] == 'attachment; filename="harken-responses.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["unit"] for row in rows} == {"South 1"} and len(rows) == 15
    assert AuditEvent.objects.filter(action="export", details__via="web").count() == 1


def test_the_export_page_applies_the_dashboard_filters(login, org):
    client = login("manager")
    params = {"download": 1, "dataset": "responses", "format": "parquet", "unit": org.north_1.pk}
    table = pq.read_table(io.BytesIO(client.get("/export/", {**params, "category": "detractor"}).content))
    assert table.num_rows == 3 and set(table.column("category").to_pylist()) == {"detractor"}
    hidden = client.get("/export/", {**params, "unit": org.south_1.pk, "format": "csv"})
    assert {row["unit"] for row in csv.DictReader(io.StringIO(hidden.content.decode()))} == {"North 1", "North 2"}


def test_a_bad_export_choice_shows_the_form_again(login, org):
    response = login("manager").get("/export/", {"download": 1, "dataset": "everything", "format": "csv"})
    assert response.status_code == 200 and response.context["form"].errors


def test_the_nav_links_import_only_for_staff(login, org):
    assert b'href="/import/"' not in login("manager").get("/export/").content
    content = login("admin").get("/export/").content
    assert b'href="/import/"' in content and b'href="/export/"' in content


def test_in_the_browser_a_dry_run_then_an_import_of_a_small_csv(browser_login, org, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(SMALL_CSV)
    page = browser_login("admin")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File (CSV, XLSX or JSON)").set_input_files(str(path))
    page.get_by_label("Survey").select_option(label=org.survey.name)
    page.get_by_label("Unit", exact=True).select_option(label="North 1")
    page.get_by_role("button", name="Check (dry run)").click()
    page.get_by_role("heading", name="Dry run of history.csv").wait_for()
    assert Response.objects.filter(channel="import").count() == 0
    for width, name in ((360, "io-import-dry-run-360"), (1280, "io-import-dry-run-desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, name)
    page.get_by_role("button", name="Import 3 responses").click()
    page.get_by_role("heading", name="Imported").wait_for()
    assert Response.objects.filter(channel="import").count() == 3


def test_the_export_page_in_the_browser_at_phone_and_desktop_widths(browser_login, org):
    page = browser_login("manager")
    page.get_by_role("link", name="Export").click()
    page.get_by_label("Dataset").select_option("themes")
    for width, name in ((360, "io-export-360"), (1280, "io-export-desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, name)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "harken-themes.csv"

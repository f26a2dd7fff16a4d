"""The Import page (upload, column mapping, dry run, import) and the Export page (dataset, format, filters, scope)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
from django.core.files.uploadedfile import SimpleUploadedFile

from harken.collect.models import Response
from harken.org.models import AuditEvent, Membership
from harken.surveys.models import Question
from tests.conftest import screenshot

SMALL_CSV = "id,date,score,comment\r\nr1,2026-01-05,10,Great staff\r\nr2,2026-01-06,3,Too slow\r\nr3,2026-01-07,8,\r\n"
FILES = Path(__file__).resolve().parent / "fixtures" / "imports"
BAD_CSV = "id,date,score\r\nr1,2026-01-05,10\r\nr2,2026-01-06,11\r\nr3,2026-01-06,4\r\nr4,2026-01-07,7\r\n"


def upload(client, org, text, name="history.csv", **extra):
    """Step 1: post the file; the answer is the mapping form."""
    data = {"survey": org.survey.pk, "unit": org.north_1.pk, "step": "map", **extra}
    data["file"] = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post("/import/", data)


def again(client, org, previous, step="dry_run", mapping=None, **extra):
    """The next step: the previous page's form posted back (its mapping as shown, changed by ``mapping``)."""
    form = previous.context["mapping"]
    shown = {name: form[name].value() or "" for name in form.fields}
    data = {
        "survey": previous.context["form"].data["survey"],
        "unit": previous.context["form"].data["unit"],
        "step": step,
        "token": previous.context["upload"].token,
        "filename": previous.context["upload"].filename,
        "mapped_for": previous.context["mapped_for"],
        **shown,
        **(mapping or {}),
        **extra,
    }
    return client.post("/import/", data)


def test_the_import_page_refuses_everyone_but_administrators(login, org):
    for name in ("analyst", "manager", "outsider", "frontline"):
        assert login(name).get("/import/").status_code == 403
    assert login("admin").get("/import/").status_code == 200


def test_an_admin_member_who_is_not_staff_may_import_and_sees_the_link(login, org):
    Membership.objects.create(user=org.users["newcomer"], unit=org.north, role=Membership.Role.ADMIN)
    client = login("newcomer")
    assert not org.users["newcomer"].is_staff
    assert b'href="/import/"' in client.get("/export/").content
    mapped = upload(client, org, SMALL_CSV)
    assert again(client, org, mapped).context["report"].created == 3
    south = upload(client, org, SMALL_CSV, unit=org.south_1.pk)
    assert south.status_code == 422  # South is not among the units they administer


def test_the_upload_shows_the_recognised_format_and_columns_prefilled(login, org):
    response = upload(login("admin"), org, SMALL_CSV)
    assert response.status_code == 200 and "report" not in response.context
    mapping = response.context["mapping"]
    assert [mapping[f"col_{i}"].value() for i in range(4)] == ["id", "submitted", "score", "comment"]
    assert [column["samples"] for column in mapping.columns][3] == ["Great staff", "Too slow"]
    assert b"recognised as <strong>generic</strong>: 3 rows, 4 columns" in response.content
    assert b"Check (dry run)" in response.content and Response.objects.filter(channel="import").count() == 0


def test_a_dry_run_reports_counts_and_writes_nothing_then_the_import_writes_once(login, org):
    client = login("admin")
    before = Response.objects.count()
    dry = again(client, org, upload(client, org, SMALL_CSV))
    assert dry.status_code == 200
    report = dry.context["report"]
    assert (report.dry_run, report.rows, report.created, report.problems) == (True, 3, 3, [])
    assert b"Import 3 responses" in dry.content and Response.objects.count() == before

    done = again(client, org, dry, step="import")
    assert done.context["report"].created == 3 and Response.objects.count() == before + 3
    assert set(Response.objects.filter(channel="import").values_list("unit__name", flat=True)) == {"North 1"}
    repeat = again(client, org, upload(client, org, SMALL_CSV))
    assert (repeat.context["report"].created, repeat.context["report"].already_imported) == (0, 3)


MAPPED_CSV = (
    "Ticket;When;Rating;Why;How fast were we?;Store;Channel\r\n"
    "T-1;2026-02-01 09:00;9;Quick and kind;5;North 1;phone\r\n"
    "T-2;2026-02-02 10:30;4;Waited too long;1;North 2;chat\r\n"
    "T-3;2026-02-03 11:45;7;;3;north 2;phone\r\n"
)


def test_the_mapping_decides_score_unit_date_and_follow_up_answers(login, org):
    Question.objects.create(survey=org.survey, key="speed", kind="rating_1_5", text="How fast were we?")
    client = login("admin")
    mapped = upload(client, org, MAPPED_CSV, name="tickets.csv", unit=org.north.pk)
    form = mapped.context["mapping"]
    # "Rating" is no NPS word; the question's text names its column.
    assert (form["col_2"].value(), form["col_4"].value()) == ("", "answer:speed")
    missing = again(client, org, mapped)
    assert missing.status_code == 422 and b"Choose the column with the NPS score" in missing.content

    choice = {"col_0": "id", "col_1": "submitted", "col_2": "score", "col_3": "comment", "col_5": "unit"}
    dry = again(client, org, mapped, mapping=choice)
    assert (dry.context["report"].created, dry.context["report"].problems) == (3, [])
    again(client, org, dry, step="import")
    rows = Response.objects.filter(channel="import").order_by("external_id")
    assert [(r.external_id, r.score, r.unit.name, r.answers, r.comment) for r in rows] == [
        ("T-1", 9, "North 1", {"speed": "5"}, "Quick and kind"),
        ("T-2", 4, "North 2", {"speed": "1"}, "Waited too long"),
        ("T-3", 7, "North 2", {"speed": "3"}, ""),
    ]
    assert rows[1].submitted_at.isoformat() == "2026-02-02T10:30:00+00:00"


def test_a_column_used_twice_is_refused_naming_it_and_a_guess_can_be_undone(login, org):
    client = login("admin")
    mapped = upload(client, org, SMALL_CSV)
    twice = again(client, org, mapped, mapping={"col_0": "score"})
    assert twice.status_code == 422
    assert twice.context["mapping"].errors["col_2"] == ["NPS score (0–10) is column 'id' (A) already."]
    undone = again(client, org, mapped, mapping={"col_3": ""}, step="dry_run")
    again(client, org, undone, step="import", mapping={"col_3": ""})
    assert set(Response.objects.filter(channel="import").values_list("comment", flat=True)) == {""}


def test_problems_are_listed_by_line_and_column_and_block_the_import(login, org):
    client = login("admin")
    response = again(client, org, upload(client, org, BAD_CSV))
    problems = response.context["report"].problems
    assert [(problem.line, problem.column) for problem in problems] == [(3, "'score' (C)")]
    assert b"<td>3</td><td>&#x27;score&#x27; (C)</td>" in response.content
    assert b"Import " not in response.content.split(b"Check (dry run)")[1]


def test_a_1_to_11_export_is_recoded_and_the_dry_run_says_so(login, org):
    client = login("admin")
    text = (FILES / "qualtrics_1_11.csv").read_text()
    dry = again(client, org, upload(client, org, text, name="qualtrics_1_11.csv"))
    assert dry.context["report"].created == 10 and b"on a 1\xe2\x80\x9311 scale" in dry.content
    again(client, org, dry, step="import")
    scores = sorted(Response.objects.filter(channel="import").values_list("score", flat=True))
    assert scores == [0, 5, 7, 8, 9, 10, 10, 10, 10, 10]


def test_an_upload_cannot_be_confirmed_by_another_user(login, org, client):
    mapped = upload(login("admin"), org, SMALL_CSV)
    Membership.objects.filter(user=org.users["manager"]).update(role=Membership.Role.ADMIN)
    other = again(login("manager"), org, mapped, step="import")
    assert other.status_code == 422 and "not found" in other.context["error"]


def test_an_administrator_cannot_import_into_a_unit_they_may_not_write(login, org):
    Membership.objects.create(user=org.users["newcomer"], unit=org.south, role=Membership.Role.ADMIN)
    response = upload(login("newcomer"), org, SMALL_CSV)
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


def test_the_nav_links_import_only_for_administrators(login, org):
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
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("group", name="Columns of the file").wait_for()
    for width, name in ((360, "io-import-mapping-360"), (1280, "io-import-mapping-desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, name)
    page.get_by_label("'comment' (D)").select_option("Not imported")
    page.get_by_role("button", name="Check (dry run)").click()
    page.get_by_role("heading", name="Dry run of history.csv").wait_for()
    assert Response.objects.filter(channel="import").count() == 0
    for width, name in ((360, "io-import-dry-run-360"), (1280, "io-import-dry-run-desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, name)
    page.get_by_role("button", name="Import 3 responses").click()
    page.get_by_role("heading", name="Imported").wait_for()
    assert Response.objects.filter(channel="import").count() == 3
    assert set(Response.objects.filter(channel="import").values_list("comment", flat=True)) == {""}


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


def test_in_the_browser_a_qualtrics_1_to_11_export_is_mapped_and_recoded(browser_login, org):
    reason = "What is the main reason for your score?"
    Question.objects.create(survey=org.survey, key="reason", kind="text", text=reason)
    page = browser_login("admin")
    page.goto("/import/")
    page.get_by_label("File (CSV, XLSX or JSON)").set_input_files(str(FILES / "qualtrics_1_11.csv"))
    page.get_by_label("Survey").select_option(label=org.survey.name)
    page.get_by_label("Unit", exact=True).select_option(label="North 1")
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_label("'Q2' (L)").select_option("answer:reason")
    page.get_by_role("button", name="Check (dry run)").click()
    page.locator(".io-note").get_by_text("recoded to 0–10").wait_for()
    for width, name in ((360, "io-import-1-11-360"), (1280, "io-import-1-11-desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, name)
    page.get_by_role("button", name="Import 10 responses").click()
    page.get_by_role("heading", name="Imported").wait_for()
    lowest = Response.objects.get(external_id="R_4d11xQ")
    assert (lowest.score, lowest.answers, lowest.comment) == (0, {"reason": "The zip broke on the first night"}, "")

"""Response imports into the database: one transaction, idempotent, dry runs, units, contacts, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from harken.analytics import queries
from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.io.imports import Target, do_import
from harken.io.parse import Options, parse_file
from harken.org.models import Unit
from harken.surveys.models import Question

FILES = Path(__file__).resolve().parent / "fixtures" / "imports"
CARPENTRIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "carpentries_instructor_training_2018.csv"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "responses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def imported(org) -> int:
    return Response.objects.filter(survey=org.survey, channel="import").count()


def test_an_import_creates_responses_and_a_second_import_creates_nothing_new(org):
    out, _ = run(str(FILES / "qualtrics.csv"), "--survey", "relationship", "--unit", "North 1")
    assert "read as qualtrics" in out and "created 3 responses" in out and "1 unfinished" in out
    response = Response.objects.get(external_id="R_2YPOQ602ER1jkf1")
    assert (response.score, response.category, response.unit, response.channel) == (
        10,
        "promoter",
        org.north_1,
        "import",
    )
    assert response.contact.email == "anna@example.de"
    out, _ = run(str(FILES / "qualtrics.csv"), "--survey", "relationship", "--unit", "North 1")
    assert "created 0 responses" in out and "3 already imported" in out
    assert imported(org) == 3


def test_a_dry_run_reports_exactly_what_would_be_created_and_changes_nothing(org):
    before = (Response.objects.count(), Contact.objects.count(), Unit.objects.count())
    out, _ = run(str(FILES / "surveymonkey.csv"), "--survey", "relationship", "--unit", "North 1", "--dry-run")
    assert "would create 4 responses (1 without a score)" in out and "would create 1 contacts" in out
    assert "Dry run" in out
    assert (Response.objects.count(), Contact.objects.count(), Unit.objects.count()) == before


def test_one_bad_row_imports_nothing_and_names_line_and_column(org):
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        call_command(
            "import",
            "responses",
            str(FILES / "bad_rows.csv"),
            "--survey",
            "relationship",
            "--unit",
            "North 1",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "bad_rows.csv: line 3, column 'score' (C): '6.5' is not a whole number from 0 to 10" in err.getvalue()
    assert "line 4, column 'date' (B)" in err.getvalue()
    assert imported(org) == 0


def test_bad_rows_can_be_skipped_on_request(org):
    out, err = run(str(FILES / "bad_rows.csv"), "--survey", "relationship", "--unit", "North 1", "--skip-bad-rows")
    assert "line 3, column 'score' (C)" in err
    assert "created 2 responses" in out
    assert imported(org) == 2


def test_units_come_from_a_column_and_are_created_only_when_asked(org):
    args = [str(FILES / "typeform.csv"), "--survey", "relationship", "--unit", "North", "--unit-column", "plan"]
    with pytest.raises(CommandError, match="nothing was imported"):
        run(*args)
    out, _ = run(*args, "--create-units")
    assert "created 2 units: pro, free" in out
    assert set(Response.objects.filter(channel="import").values_list("unit__parent__name", flat=True)) == {"North"}


def test_an_existing_unit_is_found_by_name_in_the_subtree(org):
    data = b"id,score,store\nk1,9,north 2\nk2,3,North 1\n"
    parsed = parse_file(data, "x.csv", Options(unit_column="store"))
    report = do_import(parsed, Target(survey=org.survey, unit=org.north))
    assert report.ok and report.created == 2 and not report.units_created
    assert Response.objects.get(external_id="k1").unit == org.north_2


def test_answers_go_under_the_surveys_question_keys(org):
    Question.objects.create(survey=org.survey, key="materials", kind="text", text="Which materials?")
    out, _ = run(
        str(FILES / "google_forms.csv"),
        "--survey",
        "relationship",
        "--unit",
        "North 1",
        "--answer",
        "Which materials did you use?=materials",
    )
    assert "created 3 responses" in out
    assert Response.objects.filter(answers__materials="Replay, workbook").count() == 1
    with pytest.raises(CommandError, match="no question with the key 'nope'"):
        run(str(FILES / "google_forms.csv"), "--survey", "relationship", "--unit", "North 1", "--answer", "X=nope")


def test_touchpoints_are_mapped_by_name(org):
    data = b"id,score,step\nt1,9,Delivery\nt2,3,purchase\n"
    parsed = parse_file(data, "x.csv", Options(touchpoint_column="step"))
    do_import(parsed, Target(survey=org.survey, unit=org.north_1))
    assert Response.objects.get(external_id="t1").touchpoint == org.delivery
    bad = parse_file(b"id,score,step\nt3,9,Teleport\n", "x.csv", Options(touchpoint_column="step"))
    report = do_import(bad, Target(survey=org.survey, unit=org.north_1))
    assert [str(problem) for problem in report.problems] == ["line 2, column 'step' (C): no touchpoint 'Teleport'"]


def test_an_xlsx_export_imports_like_its_csv(org, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Response ID", "Date", "How likely are you to recommend us?", "Comment"])
    sheet.append(["x-1", dt.datetime(2026, 2, 3, 4, 5), 9.0, "Good"])
    sheet.append(["x-2", dt.datetime(2026, 2, 4, 4, 5), 6, None])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    out, _ = run(str(path), "--survey", "relationship", "--unit", "North 1")
    assert "created 2 responses" in out
    assert Response.objects.get(external_id="x-1").submitted_at.day == 3


def test_the_carpentries_file_imports_as_it_is_with_the_hand_computed_nps(org):
    if not CARPENTRIES.exists():
        pytest.skip(f"{CARPENTRIES} is not there")
    carpentries = Unit.objects.create(name="Carpentries", kind=Unit.Kind.COMPANY)
    args = [
        str(CARPENTRIES),
        "--survey",
        "relationship",
        "--unit",
        "Carpentries",
        "--unit-column",
        "MemberSite",
        "--create-units",
    ]
    out, _ = run(*args)
    assert "created 967 responses (78 without a score)" in out
    counts = queries.total(Filters(unit=carpentries))
    assert (counts.n, counts.detractors, counts.passives, counts.promoters) == (889, 71, 317, 501)
    assert round(queries.nps_by("total", Filters(unit=carpentries))[0].summary().nps, 2) == 48.37
    assert Unit.objects.filter(name="My training event is not listed").count() == 1  # NBSP and space agree
    out, _ = run(*args)
    assert "created 0 responses" in out and "967 already imported" in out


def test_the_harken_import_command_fails_in_one_line_for_a_new_user(org, tmp_path):
    harken = shutil.which("harken", path=str(Path(sys.executable).parent))
    if harken is None:
        pytest.skip("the harken script is not installed in this environment")
    result = subprocess.run(
        [
            harken,
            "import",
            "responses",
            str(tmp_path / "missing.csv"),
            "--survey",
            "x",
            "--unit",
            "y",
            "--time-zone",
            "Nowhere/Land",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown time zone 'Nowhere/Land'" in result.stderr


def test_the_api_import_defaults_to_a_dry_run_and_reports_problems_by_line(client, org):
    from harken.api.keys import do_create_key

    headers = {"Authorization": f"Bearer {do_create_key(org.users['manager'], 'importer', 'write')[1]}"}

    def upload(name: str, **form):
        with (FILES / name).open("rb") as file:
            data = {"survey_id": org.survey.pk, "unit_id": org.north_1.pk, "file": file, **form}
            return client.post("/api/v1/imports/responses", data, headers=headers)

    dry = upload("typeform.csv")
    assert dry.status_code == 200
    assert (dry.json()["format"], dry.json()["created"], dry.json()["dry_run"]) == ("typeform", 2, True)
    assert dry.json()["excluded"] == {"partial": 1}
    assert imported(org) == 0
    assert upload("typeform.csv", dry_run="false").json()["created"] == 2
    assert upload("typeform.csv", dry_run="false").json()["already_imported"] == 2
    bad = upload("bad_rows.csv", dry_run="false").json()
    assert bad["created"] == 0 and bad["problems"][0] == {
        "line": 3,
        "column": "'score' (C)",
        "message": "'6.5' is not a whole number from 0 to 10",
    }
    foreign = upload("typeform.csv", unit_id=org.south_1.pk)
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "unit_id"


def test_skipping_bad_rows_never_creates_units_that_were_not_asked_for(org):
    data = b"id,score,store\nk1,9,North 2\nk2,3,Atlantis\n"
    parsed = parse_file(data, "x.csv", Options(unit_column="store"))
    report = do_import(parsed, Target(survey=org.survey, unit=org.north, skip_bad_rows=True))
    assert [str(problem) for problem in report.problems] == [
        "line 3, column 'store' (C): no unit 'Atlantis' in North; create it first or use --create-units"
    ]
    assert report.created == 1 and not Unit.objects.filter(name="Atlantis").exists()


def test_a_customer_id_column_links_responses_to_contacts_by_their_crm_id(org, tmp_path):
    known = Contact.objects.create(email="old@shop.example", external_id="C-1", name="Known", home_unit=org.north_1)
    path = tmp_path / "crm.csv"
    path.write_text(
        "id,score,Customer ID,email\n"
        "r1,9,C-1,new-address@shop.example\n"  # the CRM id wins over a changed address
        "r2,3,C-2,bo@shop.example\n"
        "r3,7,,bo@shop.example\n"  # no id: found by address (the contact just created)
    )
    out, _ = run(str(path), "--survey", "relationship", "--unit", "North 1")
    assert "created 3 responses" in out
    rows = dict(Response.objects.filter(channel="import").values_list("external_id", "contact_id"))
    created = Contact.objects.get(external_id="C-2")
    assert rows == {"r1": known.pk, "r2": created.pk, "r3": created.pk}
    assert (created.email, created.home_unit) == ("bo@shop.example", org.north_1)
    assert Contact.objects.filter(email__iexact="new-address@shop.example").count() == 0

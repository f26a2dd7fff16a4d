"""Exports: CSV, XLSX and Parquet read back and matching the database; the incremental warehouse export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.collect.models import Response
from harken.io.exports import ANSWER_COLUMNS, CASE_COLUMNS, RESPONSE_COLUMNS, THEME_COLUMNS
from harken.io.warehouse import do_incremental_export, read_watermark

DICTIONARY = (Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md").read_text()


def export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def answered(org):
    """One response with a comment, answers and an awkward text, besides the fixture's scores."""
    return Response.objects.create(
        survey=org.survey,
        unit=org.north_1,
        touchpoint=org.support,
        score=3,
        comment='Slow, "very" slow\nreally',
        answers={"speed": 2, "reasons": ["price", "wait"]},
        channel="email",
    )


@pytest.mark.parametrize("column", RESPONSE_COLUMNS + ANSWER_COLUMNS, ids=lambda column: column.name)
def test_every_exported_column_is_in_the_data_dictionary(column):
    assert f"| `{column.name}` | {column.type} |" in DICTIONARY


def test_the_csv_export_has_every_response_with_nulls_as_empty_cells(org, answered):
    out, _ = export("responses")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == Response.objects.count() == 38
    row = next(row for row in rows if row["response_id"] == str(answered.pk))
    assert (row["score"], row["category"], row["touchpoint"], row["unit"]) == ("3", "detractor", "support", "North 1")
    assert row["comment"] == 'Slow, "very" slow\nreally'
    assert json.loads(row["answers"]) == {"reasons": ["price", "wait"], "speed": 2}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", row["submitted_at"])
    skipped = [row for row in rows if row["score"] == ""]
    assert len(skipped) == 1 and skipped[0]["category"] == ""


def test_the_parquet_export_reads_back_with_pyarrow_and_matches_the_database(org, answered, tmp_path):
    path = tmp_path / "responses.parquet"
    _, err = export("responses", "--output", str(path))
    assert "38 responses rows written" in err
    table = pq.read_table(path)
    assert table.schema.field("score").type == "int8"
    assert str(table.schema.field("submitted_at").type) == "timestamp[us, tz=UTC]"
    exported = {row["response_id"]: row for row in table.to_pylist()}
    for response in Response.objects.all():
        row = exported[response.pk]
        assert (row["score"], row["category"], row["unit_id"], row["comment"]) == (
            response.score,
            response.category,
            response.unit_id,
            response.comment,
        )
        assert row["submitted_at"] == response.submitted_at


def test_the_xlsx_export_reads_back(org, answered, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "responses.xlsx"
    export("responses", "--output", str(path), "--unit", "North 1")
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "response_id"
    assert len(rows) - 1 == Response.objects.filter(unit=org.north_1).count() == 11
    assert isinstance(
        rows[1][RESPONSE_COLUMNS.index(next(c for c in RESPONSE_COLUMNS if c.name == "submitted_at"))], dt.datetime
    )


def test_the_answers_export_has_one_row_per_answer(org, answered):
    out, _ = export("answers")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["question_key"], row["value"]) for row in rows] == [("reasons", '["price", "wait"]'), ("speed", "2")]


def test_an_export_for_a_user_holds_only_their_units(org):
    out, _ = export("responses", "--user", "outsider")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["unit"] for row in rows} == {"South 1"} and len(rows) == 15


def test_export_mistakes_are_one_line_errors(org, tmp_path):
    with pytest.raises(CommandError, match="binary"):
        export("responses", "--format", "parquet")
    with pytest.raises(CommandError, match="Unknown user"):
        export("responses", "--user", "nobody")
    with pytest.raises(CommandError, match="No folder"):
        export("responses", "--output", str(tmp_path / "missing" / "x.csv"))


def test_the_incremental_export_writes_monthly_partitions_then_only_what_changed(org, answered, tmp_path):
    later = timezone.now() + dt.timedelta(seconds=10)
    first = do_incremental_export(tmp_path, "responses", Response.objects.all(), now=later)
    assert first.rows == 38 and first.previous is None
    months = sorted(path.name for path in (tmp_path / "responses").iterdir() if path.is_dir())
    assert len(months) == len({f"{r.submitted_at.astimezone(dt.UTC):%Y-%m}" for r in Response.objects.all()})
    assert all(month.startswith("submitted_month=") for month in months)
    assert read_watermark(tmp_path, "responses") == first.watermark

    again = do_incremental_export(tmp_path, "responses", Response.objects.all(), now=later)
    assert again.rows == 0 and again.files == []

    answered.score = 9
    answered.save()
    changed = do_incremental_export(tmp_path, "responses", Response.objects.all(), now=later + dt.timedelta(minutes=1))
    assert changed.rows == 1

    data = ds.dataset(tmp_path / "responses", format="parquet", partitioning="hive").to_table().to_pylist()
    latest = {}
    for row in sorted(data, key=lambda row: row["updated_at"]):
        latest[row["response_id"]] = row
    assert len(data) == 39 and len(latest) == 38
    assert latest[answered.pk]["score"] == 9 and latest[answered.pk]["category"] == "promoter"


def test_the_incremental_command_needs_a_folder(org, tmp_path):
    with pytest.raises(CommandError, match="--output FOLDER"):
        export("responses", "--incremental")
    _, err = export("answers", "--incremental", "--output", str(tmp_path))
    assert "changed since the beginning" in err


def test_the_api_exports_what_the_keys_owner_sees(client, org):
    token = do_create_key(org.users["manager"], "bi", "read")[1]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/exports/responses", {"format": "csv"}, headers=headers)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["unit"] for row in rows} == {"North 1", "North 2"}
    parquet = client.get("/api/v1/exports/responses", {"format": "parquet", "unit": org.north_1.pk}, headers=headers)
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 10


# --- Themes and cases -------------------------------------------------------------------------------------


@pytest.fixture
def followed_up(org, answered):
    """Themes and cases on one response in North 1 and one in South 1."""
    from harken.loop.models import Case
    from harken.text.models import ResponseTheme, Theme

    south = Response.objects.filter(unit=org.south_1, score=1).first()
    speed = Theme.objects.create(name="Speed")
    waiting = Theme.objects.create(name="Waiting", parent=speed)
    ResponseTheme.objects.create(response=answered, theme=speed, source="rule")
    ResponseTheme.objects.create(response=answered, theme=waiting, source="person", excluded=True)
    ResponseTheme.objects.create(response=south, theme=speed, source="model")
    north_case = Case.objects.create(
        response=answered,
        unit=org.north_1,
        owner=org.users["manager"],
        title="Jane Doe is unhappy",
        status="closed",
        root_cause=Theme.objects.create(name="Delivery"),
        outcome="recovered",
        due_at=timezone.now(),
    )
    Case.objects.create(response=south, unit=org.south_1, title="South case")
    return {"speed": speed, "waiting": waiting, "north_case": north_case, "south": south}


@pytest.mark.parametrize("column", THEME_COLUMNS + CASE_COLUMNS, ids=lambda column: column.name)
def test_every_theme_and_case_column_is_in_the_data_dictionary(column):
    assert f"| `{column.name}` | {column.type} |" in DICTIONARY


def test_the_themes_export_has_one_row_per_theme_of_a_response_with_its_source(org, answered, followed_up):
    out, _ = export("themes")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["response_id"], r["theme"], r["source"], r["excluded"]) for r in rows] == [
        (str(followed_up["south"].pk), "Speed", "model", "False"),
        (str(answered.pk), "Speed", "rule", "False"),
        (str(answered.pk), "Waiting", "person", "True"),
    ]  # in response order: the fixture's South 1 response is older than ``answered``
    waiting = next(r for r in rows if r["theme"] == "Waiting")
    assert waiting["parent_theme_id"] == str(followed_up["speed"].pk)


def test_the_cases_export_has_status_owner_due_and_outcome_but_no_titles(org, answered, followed_up, tmp_path):
    export("cases", "--output", str(tmp_path / "cases.parquet"))
    table = pq.read_table(tmp_path / "cases.parquet").to_pylist()
    assert len(table) == 2
    case = next(row for row in table if row["case_id"] == followed_up["north_case"].pk)
    assert (case["status"], case["owner"], case["root_cause"], case["outcome"], case["unit"]) == (
        "closed",
        "manager",
        "Delivery",
        "recovered",
        "North 1",
    )
    assert case["due_at"] is not None and case["response_id"] == answered.pk
    assert "title" not in case and "Jane Doe" not in str(table)


def test_themes_and_cases_exports_hold_only_the_users_units(org, followed_up, tmp_path):
    out, _ = export("cases", "--user", "outsider")
    assert [row["unit"] for row in csv.DictReader(io.StringIO(out))] == ["South 1"]
    out, _ = export("themes", "--user", "outsider")
    assert [row["response_id"] for row in csv.DictReader(io.StringIO(out))] == [str(followed_up["south"].pk)]
    export("themes", "--user", "manager", "--output", str(tmp_path / "themes.xlsx"))
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "themes.xlsx").active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Speed", "Waiting"]


def test_themes_and_cases_are_not_incremental(org, tmp_path):
    with pytest.raises(CommandError, match="responses and answers only"):
        export("cases", "--incremental", "--output", str(tmp_path))


def test_the_api_exports_themes_and_cases_of_the_keys_owners_units(client, org, followed_up):
    token = do_create_key(org.users["outsider"], "bi", "read")[1]
    headers = {"Authorization": f"Bearer {token}"}
    cases = client.get("/api/v1/exports/cases", {"format": "csv"}, headers=headers)
    assert cases.status_code == 200
    assert [row["unit"] for row in csv.DictReader(io.StringIO(cases.content.decode()))] == ["South 1"]
    themes = client.get("/api/v1/exports/themes", {"format": "parquet"}, headers=headers)
    table = pq.read_table(io.BytesIO(themes.content)).to_pylist()
    assert [(row["theme"], row["source"], row["excluded"]) for row in table] == [("Speed", "model", False)]

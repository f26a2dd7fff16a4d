"""The pure parsing core of response imports: each vendor's layout, scores, times, encodings, problems."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from harken.io.parse import Options, parse_file
from harken.io.tables import read_csv
from harken.io.values import CellError, DateStyle, parse_score, parse_timestamp

FILES = Path(__file__).resolve().parent / "fixtures" / "imports"
UTC = zoneinfo.ZoneInfo("UTC")


def parse(name: str, **options):
    return parse_file((FILES / name).read_bytes(), name, Options(**options))


@pytest.mark.parametrize(
    ("name", "layout", "scores"),
    [
        ("qualtrics.csv", "qualtrics", [10, 8, 2]),
        ("qualtrics_legacy.csv", "qualtrics-legacy", [9, 6]),
        ("surveymonkey.csv", "surveymonkey", [10, 0, 7, None]),
        ("typeform.csv", "typeform", [9, 4]),
        ("google_forms.csv", "google-forms", [10, 6, 9]),
        ("formbricks.csv", "formbricks", [8, 10]),
        ("delighted.json", "delighted", [9, 3]),
        ("nps_export_es.csv", "generic", [10, 7, 3, 0]),
        ("bad_rows.csv", "generic", [9, 10]),
    ],
)
def test_it_recognises_each_tools_export_and_reads_its_scores(name, layout, scores):
    parsed = parse(name)
    assert parsed.format == layout
    assert [record.score for record in parsed.records] == scores


def test_qualtrics_uses_the_response_id_the_time_zone_of_row_3_and_leaves_out_unfinished_responses():
    parsed = parse("qualtrics.csv")
    first = parsed.records[0]
    assert first.external_id == "R_2YPOQ602ER1jkf1"
    assert first.submitted_at == dt.datetime(2017, 7, 18, 8, 28, 48, tzinfo=zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert first.comment == 'Sehr freundlich, "schnell" und\nkompetent.'
    assert (first.email, first.name, first.language) == ("anna@example.de", "Anna Muster", "de")
    assert parsed.excluded == {"unfinished": 1}


def test_a_group_column_that_disagrees_with_the_score_is_a_warning_and_the_score_wins():
    parsed = parse("qualtrics.csv")
    (warning,) = parsed.warnings
    assert (
        warning.line == 6 and warning.column
    )  # line 6: the first response's comment spans lines 4–5 == "'Q1_NPS_GROUP' (S)"
    assert "makes a passive" in warning.message
    spanish = parse("nps_export_es.csv")
    assert [w.line for w in spanish.warnings] == [4]  # PROMOTOR with a 3


def test_surveymonkey_reads_labelled_scores_and_the_open_ended_comment():
    parsed = parse("surveymonkey.csv")
    assert [record.comment for record in parsed.records][:2] == [
        'Great staff; "always" helpful',
        "Never answered my e-mail",
    ]
    assert parsed.records[0].submitted_at == dt.datetime(2024, 10, 5, 10, 14, 40, tzinfo=UTC)
    assert parsed.records[1].submitted_at.hour == 14  # 02:03 PM
    assert parsed.layout.header[12] == "Which of these did you use? - Store"  # forward-filled row 1


def test_typeform_strips_html_from_headers_and_leaves_out_partial_responses():
    parsed = parse("typeform.csv")
    assert parsed.layout.header[1] == "How likely are you to recommend us?"
    assert parsed.excluded == {"partial": 1}
    assert parse("typeform.csv", include_partial=True).records[-1].score == 10


def test_google_forms_has_no_ids_so_rows_are_identified_by_their_content_and_dates_read_day_first():
    parsed = parse("google_forms.csv")
    assert all(record.external_id.startswith("row:") for record in parsed.records)
    assert parse("google_forms.csv").records[0].external_id == parsed.records[0].external_id
    assert parsed.records[1].submitted_at.date() == dt.date(2026, 11, 5)  # 25/10 made the file day-first
    assert parsed.records[0].comment == "More exercises,\nand a longer break"


def test_formbricks_date_only_timestamps_and_unfinished_rows():
    parsed = parse("formbricks.csv")
    assert parsed.records[0].submitted_at == dt.datetime(2024, 6, 15, tzinfo=UTC)
    assert parsed.records[1].email == "ken@example.net"
    assert parsed.excluded == {"unfinished": 1}


def test_delighted_epoch_times_people_and_non_nps_surveys():
    parsed = parse("delighted.json")
    assert parsed.records[0].submitted_at == dt.datetime(2024, 10, 1, 13, 40, tzinfo=dt.UTC)
    assert (parsed.records[0].email, parsed.records[0].name) == ("sam@example.com", "Sam Lee")
    assert parsed.records[1].comment == ""
    assert parsed.excluded == {"not NPS": 1}


def test_bad_cells_are_reported_by_line_and_column():
    parsed = parse("bad_rows.csv")
    assert [str(problem) for problem in parsed.problems] == [
        "line 3, column 'score' (C): '6.5' is not a whole number from 0 to 10",
        "line 4, column 'date' (B): 'not a date' is not a date and time this importer knows",
        "line 5, column 'score' (C): '11' is not a whole number from 0 to 10",
    ]


def test_a_duplicate_id_in_one_file_is_a_problem():
    data = b"id,score\nx1,9\nx1,7\n"
    (problem,) = parse_file(data, "dup.csv", Options()).problems
    assert str(problem) == "line 3, column 'id' (A): the id 'x1' is also on line 2"


def test_identical_rows_without_ids_are_kept_apart():
    parsed = parse_file(b"date,score\n2026-01-01,9\n2026-01-01,9\n", "same.csv", Options())
    ids = [record.external_id for record in parsed.records]
    assert len(set(ids)) == 2 and ids[1] == ids[0] + "#2"


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline"),
    [
        ("utf-8", ",", "\n"),
        ("utf-8-sig", ";", "\r\n"),
        ("utf-16", "\t", "\r\n"),
        ("cp1252", ";", "\r"),
        ("latin-1", "|", "\r"),
        ("utf-16-le", ",", "\n"),
    ],
)
def test_any_encoding_delimiter_and_line_ending_reads_the_same(encoding, delimiter, newline):
    rows = [["id", "score", "comment"], ["é1", "9", "Très bien"], ["é2", "0", 'He said "no"; bad']]
    text = (
        newline.join(
            delimiter.join(
                f'"{cell}"' if '"' in cell or delimiter in cell else cell
                for cell in (c.replace('"', '""') if '"' in c else c for c in row)
            )
            for row in rows
        )
        + newline
    )
    parsed = parse_file(text.encode(encoding), "any.csv", Options())
    assert [(r.external_id, r.score, r.comment) for r in parsed.records] == [
        ("é1", 9, "Très bien"),
        ("é2", 0, 'He said "no"; bad'),
    ]


def test_bare_cr_line_endings_keep_line_numbers():
    table = read_csv(b"id,score\rx1,9\r\rx2,8\r")
    assert table.rows[1:] == [["x1", "9"], ["x2", "8"]]
    assert table.lines == [1, 2, 4]


@pytest.mark.parametrize(
    ("text", "score"),
    [("10 - Extremely likely", 10), ("0 – Not at all likely", 0), ("9.0", 9), (" 8 ", 8), ("", None), ("-1", None)],
)
def test_scores_are_read_from_labels_floats_and_blanks(text, score):
    assert parse_score(text) == score


@pytest.mark.parametrize("text", ["6.5", "11", "great", "-2", "10.5"])
def test_impossible_scores_are_errors_never_rounded(text):
    with pytest.raises(CellError):
        parse_score(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/09/20 10:00:00 AM", dt.datetime(2026, 9, 20, 10, tzinfo=UTC)),
        ("2026/09/27 3:00:00 PM GMT+3", dt.datetime(2026, 9, 27, 12, tzinfo=dt.UTC)),
        ("2026-09-08 14:03:21", dt.datetime(2026, 9, 8, 14, 3, 21, tzinfo=UTC)),
        ("9/8/18 15:29", dt.datetime(2018, 9, 8, 15, 29, tzinfo=UTC)),
        ("2024-06-15T10:00:00Z", dt.datetime(2024, 6, 15, 10, tzinfo=dt.UTC)),
        ("1727790000", dt.datetime(2024, 10, 1, 13, 40, tzinfo=dt.UTC)),
        ("Sat Jun 15 2024", dt.datetime(2024, 6, 15, tzinfo=UTC)),
    ],
)
def test_timestamps_in_the_forms_survey_tools_write(text, expected):
    assert parse_timestamp(text, UTC) == expected


def test_ambiguous_slashed_dates_follow_the_files_style():
    assert parse_timestamp("5/10/2026 09:15:00", UTC).month == 5
    assert parse_timestamp("5/10/2026 09:15:00", UTC, DateStyle(day_first=True)).month == 10


def test_a_file_without_a_score_column_says_how_to_name_it():
    from harken.io.formats import LayoutError

    with pytest.raises(LayoutError, match="--score-column"):
        parse_file(b"a,b\nx,y\n", "x.csv", Options())


def test_named_columns_override_the_guesses():
    parsed = parse_file(b"when,rating,why\n2026-01-01,7,ok\n", "x.csv", Options(columns={"score": "rating"}))
    assert parsed.records[0].score == 7
    assert parsed.records[0].submitted_at is None  # "when" is not a known date name, and none was given

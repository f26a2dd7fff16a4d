"""Exports that code the 0–10 question as 1–11: recognised from values and labels, said so, recoded to 0–10."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from harken.collect.models import Response
from harken.io.parse import Options, parse_file
from harken.io.values import CellError, Scale, detect_scale, parse_score

FILES = Path(__file__).resolve().parent / "fixtures" / "imports"


def test_a_qualtrics_multiple_choice_coded_1_to_11_is_recoded_to_0_to_10():
    parsed = parse_file((FILES / "qualtrics_1_11.csv").read_bytes(), "qualtrics_1_11.csv", Options())
    assert parsed.format == "qualtrics" and parsed.problems == []
    # The file's 11, 11, 10, 1, 8, 11, 11, 6, 9, 11 are one point too high.
    assert [record.score for record in parsed.records] == [10, 10, 9, 0, 7, 10, 10, 5, 8, 10]
    assert parsed.notes == [
        "The scores are on a 1–11 scale (the scores run from 1 to 11 (5 are 11) and none is 0): "
        "they are recoded to 0–10 (1 → 0, 11 → 10)."
    ]


def test_the_scale_can_be_forced_either_way():
    data = (FILES / "qualtrics_1_11.csv").read_bytes()
    as_0_10 = parse_file(data, "q.csv", Options(scale="0-10"))
    assert [(p.line, p.message) for p in as_0_10.problems][:1] == [(4, "'11' is not a whole number from 0 to 10")]
    forced = parse_file(b"id,score\r\na,1\r\nb,2\r\n", "f.csv", Options(scale="1-11"))
    assert [record.score for record in forced.records] == [0, 1] and forced.notes[0].startswith("The scores are on")


@pytest.mark.parametrize(
    ("cells", "labels", "offset"),
    [
        (["11 - Extremely likely", "7", "1 - Not at all likely"], [], 1),  # labelled end points
        (["11 - Extremely likely", "9", "3"], [], 1),
        (["10 - Extremely likely", "0 - Not at all likely", "5"], [], 0),
        (["10", "9", "3"], ["How likely … (1-11)"], 1),  # the header says so
        (["10", "9", "3"], ["Recommend, 1 to 11"], 1),
        (["11", "11", "11", "11", "11", "3", "1"], [], 1),  # eleven is common and nothing is 0
        (["11", "9", "10", "8", "3"], [], 0),  # one stray 11 in a 0–10 file is a mistake, not a scale
        (["11"] * 6 + ["0"], [], 0),  # a 0 rules 1–11 out
        (["11"] * 6 + ["6.5"], [], 0),
        (["10", "9"], ["Score (0-10)"], 0),
        ([], [], 0),
    ],
)
def test_detect_scale_reads_values_and_labels(cells, labels, offset):
    assert detect_scale(cells, labels).offset == offset


def test_detect_scale_says_why():
    assert detect_scale(["11 - Extremely likely", "4"], []) == Scale(1, "the labelled answers are 11, not 0 and 10")


def test_parse_score_on_a_1_to_11_scale():
    assert [parse_score(text, offset=1) for text in ("1", "11 - Extremely likely", "6", "")] == [0, 10, 5, None]
    with pytest.raises(CellError, match="'0' is not a whole number from 1 to 11"):
        parse_score("0", offset=1)


def test_the_command_recodes_and_says_so(org):
    out, err = io.StringIO(), io.StringIO()
    args = ["responses", str(FILES / "qualtrics_1_11.csv"), "--survey", "relationship", "--unit", "North 1"]
    call_command("import", *args, stdout=out, stderr=err)
    assert "on a 1–11 scale" in err.getvalue() and "created 10 responses" in out.getvalue()
    scores = Response.objects.filter(channel="import").order_by("external_id").values_list("external_id", "score")
    assert dict(scores)["R_4d11xQ"] == 0 and dict(scores)["R_1a11xQ"] == 10
    with pytest.raises(CommandError, match="problem"):
        call_command("import", *args, "--scale", "0-10", "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())

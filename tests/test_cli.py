"""The `harken` command as a user runs it: help, `harken nps` output, and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from harken import cli
from harken.org.models import Unit


def nps_json(*args: str) -> list[dict[str, object]]:
    out = io.StringIO()
    call_command("nps", *args, "--json", stdout=out)
    return json.loads(out.getvalue())["groups"]


def test_top_level_help_lists_harkens_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in cli.COMMANDS:
        assert f"\n  {command} " in out


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_explains_itself(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harken.cli", command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: harken {command}")


def test_nps_json_for_everything_matches_the_hand_computed_values(org) -> None:
    # (17 promoters, 6 passives, 13 detractors) over all time: NPS = 100 · 4/36 = 11.1111.
    # Adjusted Wald: n' = 39, P' = 17.75/39, D' = 13.75/39, centre = 0.102564,
    # σ'² = 0.807692 − 0.010519 = 0.797173, half = 1.959964 · √(0.797173/39) = 0.280218 → [−17.77, 38.28].
    [group] = nps_json()
    assert group == {
        "key": "all",
        "label": "All responses",
        "n": 36,
        "promoters": 17,
        "passives": 6,
        "detractors": 13,
        "nps": 11.1111,
        "ci_low": pytest.approx(-17.7654, abs=1e-3),
        "ci_high": pytest.approx(38.2782, abs=1e-3),
    }


def test_nps_by_touchpoint_within_a_unit(org) -> None:
    groups = nps_json("--unit", "North", "--by", "touchpoint")
    assert [(g["label"], g["promoters"], g["passives"], g["detractors"], g["nps"]) for g in groups] == [
        ("Purchase", 5, 3, 1, 44.4444),
        ("Delivery", 3, 1, 3, 0.0),
        ("Support", 1, 1, 3, -40.0),
    ]


def test_nps_by_unit_and_dates(org) -> None:
    groups = nps_json("--by", "unit", "--from", "2000-01-01")
    assert [(g["label"], g["n"], g["nps"]) for g in groups] == [("North", 21, 9.5238), ("South", 15, 13.3333)]


def test_nps_table_is_readable(org) -> None:
    out = io.StringIO()
    call_command("nps", "--by", "unit", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["Group", "n", "Promoters", "Passives", "Detractors", "NPS", "95%", "interval"]
    assert lines[2].split()[:6] == ["North", "21", "9", "5", "7", "+9.5"]


def test_a_period_without_answers_prints_none(org) -> None:
    [group] = nps_json("--from", "1990-01-01", "--to", "1990-12-31")
    assert (group["n"], group["nps"], group["ci_low"]) == (0, None, None)


def test_unknown_and_ambiguous_names_are_one_line_errors(org) -> None:
    with pytest.raises(CommandError, match=r"^Unknown unit 'Atlantis'.$"):
        call_command("nps", "--unit", "Atlantis")
    Unit.objects.create(name="North 1", parent=org.south)
    with pytest.raises(CommandError, match=r"ambiguous .*North 1 in North.*North 1 in South"):
        call_command("nps", "--unit", "North 1")
    with pytest.raises(CommandError, match="Unknown touchpoint 'Teleport'; known: Purchase, Delivery, Support"):
        call_command("nps", "--touchpoint", "Teleport")
    with pytest.raises(CommandError, match=r"starts .* after it ends"):
        call_command("nps", "--from", "2025-02-01", "--to", "2025-01-01")


def test_a_bad_option_is_one_line_on_stderr() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harken.cli", "nps", "--from", "yesterday"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "harken nps: error: argument --from: expected a date like 2025-01-31, got 'yesterday' (see 'harken nps --help')"
    ]

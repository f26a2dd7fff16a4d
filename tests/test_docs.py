"""Docs that cannot drift: every setting and every command is in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from harken import cli
from harken.lib import env

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    import harken.settings  # noqa: F401  (reading the settings registers every variable)

    assert env.KNOWN_VARIABLES, "settings read no variables?"
    missing = sorted(name for name in env.KNOWN_VARIABLES if f"`{name}`" not in README)
    assert missing == []


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    assert f"`harken {command}" in README


def test_the_readme_gives_exactly_two_setup_commands() -> None:
    getting_started = README.split("## Getting started", 1)[1].split("##", 1)[0]
    block = getting_started.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]

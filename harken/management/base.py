"""The base of Harken's own commands: one-line errors for user mistakes, never a usage dump."""

from __future__ import annotations

import datetime as dt
import sys
from argparse import ArgumentTypeError
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser


class HarkenCommand(BaseCommand):
    """A management command whose argument errors are a single line on stderr with exit status 2."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if getattr(self, "_called_from_command_line", False):
            parser.error = self._one_line_error(parser.prog)  # type: ignore[method-assign]
        return parser

    @staticmethod
    def _one_line_error(prog: str) -> Any:
        def error(message: str) -> NoReturn:
            sys.stderr.write(f"{prog}: error: {message} (see '{prog} --help')\n")
            sys.exit(2)

        return error


def iso_date(text: str) -> dt.date:
    """Parse YYYY-MM-DD for argparse, with a message that says what was expected."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a date like 2025-01-31, got {text!r}") from None

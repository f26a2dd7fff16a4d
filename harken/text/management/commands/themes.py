"""``harken themes``: load the default theme taxonomy, and analyse (backfill) comments."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from harken.management.base import HarkenCommand


class Command(HarkenCommand):
    help = (
        "Comment themes and sentiment. 'load-default' adds the default retail and services taxonomy (themes "
        "that exist are kept) and tags every comment with it; 'analyse' computes sentiment and rule themes for "
        "comments not analysed since they last changed (imports, history), or for all of them with --all."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("load-default", help="Add the default taxonomy and tag every comment with it.")
        analyse = actions.add_parser("analyse", help="Sentiment and themes for comments not analysed yet.")
        analyse.add_argument("--all", action="store_true", help="Analyse every comment again.")

    def handle(self, *args: Any, **options: Any) -> None:
        from harken.text.default_taxonomy import do_load_default
        from harken.text.tagging import do_analyse_pending

        everything = bool(options.get("all"))
        if options["action"] == "load-default":
            created = do_load_default()
            self.stdout.write(f"{created} themes created.")
            everything = True
        started = time.perf_counter()
        result = do_analyse_pending(everything=everything)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{result.responses} comments analysed in {seconds:.1f} s; {result.tagged} mention at least one theme."
        )

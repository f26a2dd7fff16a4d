"""How fast comments are read: tagging + sentiment per second, and re-tagging history after a rule change.

    HARKEN_DATA_DIR=$(mktemp -d) .venv/bin/python bench/text_speed.py --comments 200000

Part 1 (no database): synthetic English comments of 5–40 words built from retail phrases, tagged with the
default taxonomy (``harken.text.default_taxonomy``) and scored by VADER — in one process, then in 2 worker
processes (the machine has 2 cores), as the worker would with two task processes.  Then discovery
clusters ``--discovery`` such comments (TF-IDF + k-means, no embeddings), and — when the ``embeddings``
extra is installed — ``--embeddings`` comments by sentence embeddings (model load timed separately).

Part 2 (the configured database, which must be a throwaway one): it migrates, inserts ``--comments``
responses with those comments, then times ``do_analyse_pending(everything=True)`` (sentiment + every theme,
written back) and ``do_retag_theme`` for one theme whose rules changed (read, match, rewrite its rows), and
comment searches over all of them (first page, with the total count).
Unless ``--comments`` is 1,000,000 the 1M figure is an extrapolation and is printed as one.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from harken.collect.models import Response  # noqa: E402
from harken.org.models import Unit  # noqa: E402
from harken.surveys.models import Survey  # noqa: E402
from harken.text import sentiment  # noqa: E402
from harken.text.default_taxonomy import DEFAULT_TAXONOMY, do_load_default  # noqa: E402
from harken.text.matching import Matcher, Rules, lines, parse_near  # noqa: E402
from harken.text.models import ResponseTheme, Theme  # noqa: E402
from harken.text.tagging import do_analyse_pending, do_retag_theme, do_save_theme  # noqa: E402

PHRASES = [
    "the staff were really friendly",
    "the cashier was rude",
    "we waited ages in the queue",
    "no queue at all",
    "great value for money",
    "far too expensive",
    "the store was dirty",
    "delivery arrived late",
    "the app kept crashing",
    "couldn't find anyone to help",
    "lovely clean shop",
    "my refund still has not arrived",
    "out of stock again",
    "quick and easy checkout",
    "I will definitely come back",
    "nothing special",
    "the parking is a nightmare",
    "they explained everything clearly",
    "and",
    "but",
    "also",
    "overall",
]


def synthetic(count: int, seed: int = 7) -> list[str]:
    """``count`` comments of 1–6 phrases each (about 5–40 words)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(PHRASES) for _ in range(rng.randint(1, 6))).capitalize() for _ in range(count)]


def default_rules() -> dict[int, Rules]:
    return {
        i: Rules(any_of=lines(any_of), near=parse_near(near), count_negated=negated)
        for i, (_, _, any_of, negated, near) in enumerate(DEFAULT_TAXONOMY)
    }


_matcher: Matcher | None = None


def _work(texts: list[str]) -> int:
    global _matcher
    if _matcher is None:
        _matcher = Matcher(default_rules())
    tagged = 0
    for text in texts:
        sentiment.analyse(text, "en")
        tagged += bool(_matcher.match(text))
    return tagged


def pure_speed(count: int) -> None:
    texts = synthetic(count)
    _work(texts[:100])  # warm up: lexicon load, stem cache
    started = time.perf_counter()
    _work(texts)
    one = count / (time.perf_counter() - started)
    print(f"tagging + sentiment, 1 process:   {one:>9,.0f} comments/s  ({count:,} comments)")
    chunks = [texts[i : i + 2000] for i in range(0, count, 2000)]
    with Pool(2) as pool:
        pool.map(_work, [texts[:100], texts[:100]])
        started = time.perf_counter()
        pool.map(_work, chunks)
        two = count / (time.perf_counter() - started)
    print(f"tagging + sentiment, 2 processes: {two:>9,.0f} comments/s")


def discovery_speed(count: int) -> None:
    from harken.text.discovery import cluster

    rows = [(i, text, i % 11) for i, text in enumerate(synthetic(count, seed=5))]
    started = time.perf_counter()
    found = cluster(rows, clusters=8)
    seconds = time.perf_counter() - started
    print(f"discovery (TF-IDF + k-means, 8 clusters): {count:,} comments in {seconds:.1f} s")
    for suggestion in found.suggestions[:3]:
        print(f"  {suggestion.size:>6,}  {', '.join(suggestion.terms[:4])}")


def embedding_speed(count: int) -> None:
    from harken.text.discovery import _model, cluster, embeddings_available

    if not count or not embeddings_available():
        print("discovery by sentence embeddings: skipped (the embeddings extra is not installed)")
        return
    started = time.perf_counter()
    _model()
    print(f"embedding model load: {time.perf_counter() - started:.1f} s (once per process)")
    rows = [(i, text, i % 11) for i, text in enumerate(synthetic(count, seed=5))]
    started = time.perf_counter()
    cluster(rows, clusters=8, method="embeddings")
    seconds = time.perf_counter() - started
    print(
        f"discovery (sentence embeddings + k-means): {count:,} comments in {seconds:.1f} s = {count / seconds:,.0f}/s"
    )


def search_speed(count: int) -> None:
    from harken.analytics.queries import Filters
    from harken.text import search

    for query in ("queue", '"delivery arrived late"', "refund -stock", "park*"):
        search.search(query, Filters())  # warm the cache
        started = time.perf_counter()
        found = search.search(query, Filters())
        seconds = time.perf_counter() - started
        print(f"search {query!r} over {count:,} comments: {found.total:,} hits, first page in {1000 * seconds:.0f} ms")


def database_speed(count: int, analyse: bool = True) -> None:
    call_command("migrate", verbosity=0)
    unit = Unit.objects.create(name="Bench store", kind=Unit.Kind.COMPANY)
    survey = Survey.objects.create(name="Bench", slug="bench")
    texts = synthetic(count, seed=11)
    rng = random.Random(3)
    started = time.perf_counter()
    for start in range(0, count, 10_000):
        Response.objects.bulk_create(
            Response(survey=survey, unit=unit, score=rng.randint(0, 10), comment=text)
            for text in texts[start : start + 10_000]
        )
    print(f"inserted {count:,} responses in {time.perf_counter() - started:.1f} s (setup, not timed below)")
    do_load_default()

    if analyse:
        started = time.perf_counter()
        result = do_analyse_pending(everything=True)
        seconds = time.perf_counter() - started
        print(
            f"analyse all (sentiment + {Theme.objects.count()} themes, written): {result.responses:,} in "
            f"{seconds:.1f} s = {result.responses / seconds:,.0f} comments/s, 1 process"
        )

    theme = Theme.objects.get(name="Queues and waiting time")
    theme.any_of = "queue\nwaited\nline"
    do_save_theme(theme)
    started = time.perf_counter()
    matched = do_retag_theme(theme.pk, theme.rules_version)
    seconds = time.perf_counter() - started
    rate = count / seconds
    label = "measured" if count == 1_000_000 else f"EXTRAPOLATED linearly from {count:,}"
    print(f"re-tag one theme after a rule change: {count:,} in {seconds:.1f} s = {rate:,.0f} comments/s, 1 process")
    print(f"re-tag 1,000,000 comments: {1_000_000 / rate:.0f} s ({label}); {matched:,} now match")
    print(f"theme links: {ResponseTheme.objects.count():,}")
    search_speed(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", "-n", type=int, default=200_000, help="Responses in the database part.")
    parser.add_argument("--pure", type=int, default=100_000, help="Comments in the no-database part.")
    parser.add_argument("--discovery", type=int, default=50_000, help="Comments clustered by discovery.")
    parser.add_argument("--embeddings", type=int, default=1_000, help="Comments clustered by embeddings (0: skip).")
    parser.add_argument("--skip-database", action="store_true")
    parser.add_argument("--retag-only", action="store_true", help="Skip the full analysis in the database part.")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; database {django.db.connection.vendor}")
    pure_speed(args.pure)
    discovery_speed(args.discovery)
    embedding_speed(args.embeddings)
    if not args.skip_database:
        database_speed(args.comments, analyse=not args.retag_only)


if __name__ == "__main__":
    main()

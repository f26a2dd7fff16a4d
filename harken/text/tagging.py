"""Writing what comments say: sentiment and rule themes per response, re-tagging, people's corrections.

``do_*`` functions are the only writers of ``CommentAnalysis`` and ``ResponseTheme``.  A person's row
(added or excluded) is never touched by rules: the unique (response, theme) pair keeps rules out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from harken.collect.models import Response
from harken.text import sentiment
from harken.text.matching import Matcher
from harken.text.models import CommentAnalysis, ResponseTheme, Source, Theme, ThemeLink

BATCH = 2000


def current_matcher() -> Matcher:
    """The active themes' rules, compiled."""
    return Matcher({theme.pk: theme.rules() for theme in Theme.objects.filter(is_active=True)})


@dataclass(frozen=True)
class Analysed:
    """How many responses a run analysed, and how many of them mention at least one theme."""

    responses: int
    tagged: int


def do_analyse(response_ids: Iterable[int], matcher: Matcher | None = None) -> Analysed:
    """Sentiment and rule themes for these responses, replacing earlier rule results (idempotent)."""
    matcher = matcher or current_matcher()
    done = tagged = 0
    for chunk in _chunks(list(response_ids), BATCH):
        rows = list(Response.objects.filter(pk__in=chunk).values_list("pk", "comment", "language"))
        themes = _write_chunk(rows, matcher)
        done += len(rows)
        tagged += themes
    return Analysed(done, tagged)


def _write_chunk(rows: list[tuple[int, str, str]], matcher: Matcher) -> int:
    analyses: list[tuple[int, float | None, str]] = []
    links: list[tuple[int, int]] = []
    blank: list[int] = []
    for pk, comment, language in rows:
        if not comment.strip():
            blank.append(pk)
            continue
        found = sentiment.analyse(comment, language)
        analyses.append((pk, found.score, found.label.value))
        links.extend((pk, theme_id) for theme_id in matcher.match(comment))
    ids = [row[0] for row in rows]
    with transaction.atomic():
        CommentAnalysis.objects.filter(response_id__in=blank).delete()
        _upsert_analyses(analyses)
        ResponseTheme.objects.filter(response_id__in=ids, source=Source.RULE).delete()
        _insert_rule_links(links)
    return len({response_id for response_id, _ in links})


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _upsert_analyses(analyses: list[tuple[int, float | None, str]]) -> None:
    """Insert or update analyses with one prepared statement (plain SQL: the ORM's per-object cost was most of
    the time at this volume).  ``ON CONFLICT … DO UPDATE`` works on SQLite ≥ 3.24 and PostgreSQL."""
    sql = (
        "INSERT INTO text_commentanalysis (response_id, sentiment_score, sentiment_label, analysed_at) "
        "VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (response_id) DO UPDATE SET sentiment_score = EXCLUDED.sentiment_score, "
        "sentiment_label = EXCLUDED.sentiment_label, analysed_at = EXCLUDED.analysed_at"
    )
    now = _now()
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, score, label, now) for pk, score, label in analyses])


def _insert_rule_links(links: list[tuple[int, int]]) -> None:
    """Add rule links (response id, theme id); a person's row for the same pair stays and wins."""
    if not links:
        return
    sql = (
        "INSERT INTO text_responsetheme (response_id, theme_id, source, excluded, created_at) "
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (response_id, theme_id) DO NOTHING"
    )
    now = _now()
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, theme_id, Source.RULE.value, False, now) for pk, theme_id in links])


def do_analyse_pending(everything: bool = False) -> Analysed:
    """Analyse responses with a comment that have no analysis yet, or were changed since (all with ``everything``)."""
    queryset = Response.objects.exclude(comment="")
    if not everything:
        queryset = queryset.filter(Q(analysis__isnull=True) | Q(analysis__analysed_at__lt=F("updated_at")))
    matcher = current_matcher()
    total = Analysed(0, 0)
    for chunk in _id_chunks(queryset, BATCH):
        result = do_analyse(chunk, matcher)
        total = Analysed(total.responses + result.responses, total.tagged + result.tagged)
    return total


def do_retag_theme(theme_id: int, version: int | None = None) -> int | None:
    """Re-apply one theme's rules to every comment; the number of responses now mentioning it by rule.

    Returns None (and stops) when the theme was deleted or its rules changed again since ``version`` — the
    newer re-tag job does the work.  Rows from people are left alone.
    """
    matched = 0
    for chunk in _id_chunks(Response.objects.exclude(comment=""), BATCH):
        theme = Theme.objects.filter(pk=theme_id).first()
        if theme is None or (version is not None and theme.rules_version != version):
            return None
        matcher = Matcher({theme.pk: theme.rules()} if theme.is_active else {})
        rows = Response.objects.filter(pk__in=chunk).values_list("pk", "comment")
        hits = [pk for pk, comment in rows if matcher.match(comment)]
        with transaction.atomic():
            ResponseTheme.objects.filter(theme_id=theme_id, source=Source.RULE, response_id__in=chunk).exclude(
                response_id__in=hits
            ).delete()
            _insert_rule_links([(pk, theme_id) for pk in hits])
        matched += len(hits)
    return matched


def do_set_theme(response: Response, theme: Theme, present: bool) -> ResponseTheme:
    """A person says the response does (``present``) or does not mention ``theme``; rules never override it."""
    link, _ = ResponseTheme.objects.update_or_create(
        response=response,
        theme=theme,
        defaults={"source": Source.PERSON, "excluded": not present, "created_at": timezone.now()},
    )
    return link


RULE_FIELDS = ("any_of", "all_of", "none_of", "near", "near_words", "count_negated", "is_active")


def do_save_theme(theme: Theme) -> bool:
    """Save a theme; when its rules changed, bump ``rules_version`` and re-tag history in the background.

    Returns True when a re-tag was queued.
    """
    from harken.text import tasks

    before = Theme.objects.filter(pk=theme.pk).values(*RULE_FIELDS).first() if theme.pk else None
    changed = before is None or any(before[name] != getattr(theme, name) for name in RULE_FIELDS)
    with transaction.atomic():
        if changed and before is not None:
            theme.rules_version += 1
        theme.save()
        do_rebuild_links()
        if changed:
            theme_id, version = theme.pk, theme.rules_version
            transaction.on_commit(lambda: tasks.retag_theme.enqueue(theme_id, version))
    return changed


def do_rebuild_links() -> None:
    """Rewrite the theme tree's closure table (themes are few: hundreds at most)."""
    parents = dict(Theme.objects.values_list("pk", "parent_id"))
    links = []
    for theme_id in parents:
        ancestor: int | None = theme_id
        seen: set[int] = set()
        while ancestor is not None and ancestor not in seen:
            seen.add(ancestor)
            links.append(ThemeLink(ancestor_id=ancestor, descendant_id=theme_id))
            ancestor = parents.get(ancestor)
    with transaction.atomic():
        ThemeLink.objects.all().delete()
        ThemeLink.objects.bulk_create(links)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _id_chunks(queryset: QuerySet[Response], size: int) -> Iterator[list[int]]:
    """Primary keys of ``queryset`` in ascending chunks (keyset pagination: no OFFSET, no long transaction)."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]

"""Comments are analysed on arrival and in backfills; rule changes re-tag history; people's choices win."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from harken.collect.models import Response
from harken.text import tasks
from harken.text.default_taxonomy import DEFAULT_TAXONOMY, do_load_default
from harken.text.models import CommentAnalysis, ResponseTheme, Source, Theme, ThemeLink
from harken.text.tagging import do_analyse_pending, do_retag_theme, do_save_theme, do_set_theme
from tests.conftest import Org


def comment_on(org: Org, unit: str, touchpoint: str, score: int, text: str, language: str = "en") -> Response:
    """Give one of the fixture's responses a comment (without signals, like an import)."""
    response = Response.objects.filter(
        unit=getattr(org, unit), touchpoint=getattr(org, touchpoint), score=score, comment=""
    ).first()
    assert response is not None
    Response.objects.filter(pk=response.pk).update(comment=text, language=language)
    return response


def theme(name: str, parent: Theme | None = None, **rules: Any) -> Theme:
    found = Theme(name=name, parent=parent, **rules)
    do_save_theme(found)
    return found


def names(response: Response) -> set[str]:
    links = ResponseTheme.objects.filter(response=response, excluded=False)
    return set(links.values_list("theme__name", flat=True))


@pytest.fixture
def waiting(org: Org) -> Theme:
    return theme("Queues", any_of="queue\nwait", count_negated=False)


def test_a_new_comment_is_analysed_by_the_worker_after_commit(
    org: Org, waiting: Theme, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Response.objects.create(
            survey=org.survey, unit=org.north_1, score=3, comment="Waited ages in the queue. Awful!"
        )
    queued = DBTaskResult.objects.get(task_path=tasks.analyse_response.module_path)
    assert queued.args_kwargs["args"] == [response.pk]

    assert tasks.analyse_response.call(response.pk) == 1
    analysis = CommentAnalysis.objects.get(response=response)
    assert analysis.sentiment_label == "negative" and analysis.sentiment_score is not None
    assert names(response) == {"Queues"}


def test_a_score_without_a_comment_queues_nothing(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Response.objects.create(survey=org.survey, unit=org.north_1, score=9)
        response.save(update_fields=["score"])
    assert not DBTaskResult.objects.filter(task_path=tasks.analyse_response.module_path).exists()


def test_the_backfill_analyses_each_changed_comment_once(org: Org, waiting: Theme) -> None:
    english = comment_on(org, "north_1", "delivery", 2, "The queue was endless")
    french = comment_on(org, "north_1", "delivery", 6, "La file d'attente était horrible", language="fr")
    assert do_analyse_pending().responses == 2
    assert CommentAnalysis.objects.get(response=french).sentiment_label == "not_analysed"
    assert CommentAnalysis.objects.get(response=french).sentiment_score is None
    assert names(english) == {"Queues"}

    assert do_analyse_pending().responses == 0
    english.refresh_from_db()
    english.comment = "No queue today, great staff"
    english.save()
    assert do_analyse_pending().responses == 1
    assert names(english) == set()
    assert CommentAnalysis.objects.get(response=english).sentiment_label == "positive"


def test_a_rule_change_re_tags_history_in_the_background(
    org: Org, waiting: Theme, django_capture_on_commit_callbacks: Any
) -> None:
    slow = comment_on(org, "north_1", "delivery", 2, "Checkout was so slow")
    queue = comment_on(org, "north_1", "delivery", 6, "Long queue")
    do_analyse_pending()
    assert (names(slow), names(queue)) == (set(), {"Queues"})

    waiting.any_of = "slow"
    with django_capture_on_commit_callbacks(execute=True):
        assert do_save_theme(waiting) is True
    assert waiting.rules_version == 2
    assert DBTaskResult.objects.filter(task_path=tasks.retag_theme.module_path).count() == 1
    assert tasks.retag_theme.call(waiting.pk, 2) == 1
    assert (names(slow), names(queue)) == ({"Queues"}, set())


def test_a_stale_re_tag_gives_way_to_the_newer_one(org: Org, waiting: Theme) -> None:
    comment_on(org, "north_1", "delivery", 2, "Long queue")
    waiting.any_of = "slow"
    do_save_theme(waiting)
    assert do_retag_theme(waiting.pk, version=1) is None
    assert do_retag_theme(waiting.pk, version=2) == 0


def test_saving_a_theme_unchanged_queues_no_re_tag(org: Org, waiting: Theme) -> None:
    waiting.description = "Time spent waiting"
    assert do_save_theme(waiting) is False
    assert waiting.rules_version == 1


def test_a_persons_choice_wins_over_the_rules(org: Org, waiting: Theme) -> None:
    price = theme("Price", any_of="price")
    queue = comment_on(org, "north_1", "delivery", 2, "Long queue")
    do_analyse_pending()
    do_set_theme(queue, waiting, present=False)
    do_set_theme(queue, price, present=True)

    do_analyse_pending(everything=True)
    do_retag_theme(waiting.pk)
    do_retag_theme(price.pk)
    assert names(queue) == {"Price"}
    link = ResponseTheme.objects.get(response=queue, theme=waiting)
    assert (link.source, link.excluded) == (Source.PERSON, True)


def test_the_theme_tree_closure_includes_every_ancestor(org: Org) -> None:
    service = theme("Service")
    staff = theme("Staff", parent=service)
    rude = theme("Rudeness", parent=staff, any_of="rude")
    pairs = set(ThemeLink.objects.values_list("ancestor_id", "descendant_id"))
    assert {(a, d) for a, d in pairs if d == rude.pk} == {
        (rude.pk, rude.pk),
        (staff.pk, rude.pk),
        (service.pk, rude.pk),
    }


def test_the_default_taxonomy_loads_once_and_tags_comments(org: Org) -> None:
    created = do_load_default()
    parents = {parent for parent, *_ in DEFAULT_TAXONOMY}
    assert created == len(DEFAULT_TAXONOMY) + len(parents)
    assert do_load_default() == 0

    response = comment_on(org, "north_1", "purchase", 4, "Rude cashier and the queues were long; overpriced too")
    do_analyse_pending()
    assert names(response) == {"Friendliness", "Queues and waiting time", "Value for money", "Checkout"}


def test_the_themes_command_loads_the_default_and_analyses(org: Org) -> None:
    comment_on(org, "north_1", "purchase", 4, "Dirty store")
    out = StringIO()
    call_command("themes", "load-default", stdout=out)
    assert "1 comments analysed" in out.getvalue()
    assert "1 mention at least one theme" in out.getvalue()


def test_the_plain_sql_writers_name_the_models_tables() -> None:
    assert (CommentAnalysis._meta.db_table, ResponseTheme._meta.db_table) == (
        "text_commentanalysis",
        "text_responsetheme",
    )

"""Sentiment and theme conditions of alert rules: matched after the comment is analysed, each response once."""

from __future__ import annotations

from typing import Any

import pytest

from harken.collect.models import Response
from harken.loop import alerts
from harken.loop.models import AlertCheck, AlertRule, Case
from harken.loop.rules import Conditions, Facts, matches
from harken.text.models import CommentAnalysis, ResponseTheme, Theme
from harken.text.tagging import do_rebuild_links, do_set_theme


def facts(sentiment: str | None = None, themes: frozenset[int] = frozenset(), comment: str = "x") -> Facts:
    return Facts(
        score=3,
        category="detractor",
        comment=comment,
        survey_id=1,
        unit_path="/1/",
        sentiment=sentiment,
        theme_ids=themes,
    )


@pytest.mark.parametrize(
    ("conditions", "response", "expected"),
    [
        (Conditions(sentiments=frozenset({"negative"})), facts("negative"), True),
        (Conditions(sentiments=frozenset({"negative"})), facts("neutral"), False),
        (Conditions(sentiments=frozenset({"negative"})), facts(None), False),  # no comment, no sentiment
        (Conditions(sentiments=frozenset({"negative", "neutral"})), facts("neutral"), True),
        (Conditions(theme_ids=frozenset({7})), facts(themes=frozenset({3, 7})), True),
        (Conditions(theme_ids=frozenset({7, 8})), facts(themes=frozenset({8})), True),
        (Conditions(theme_ids=frozenset({7})), facts(themes=frozenset({3})), False),
        (Conditions(theme_ids=frozenset({7})), facts(), False),
        # All conditions must hold: theme and sentiment and keyword.
        (
            Conditions(theme_ids=frozenset({7}), sentiments=frozenset({"negative"}), keywords=("refund",)),
            facts("negative", frozenset({7}), "I want a refund"),
            True,
        ),
        (
            Conditions(theme_ids=frozenset({7}), sentiments=frozenset({"negative"}), keywords=("refund",)),
            facts("negative", frozenset({7}), "Never again"),
            False,
        ),
    ],
)
def test_sentiment_and_theme_conditions(conditions: Conditions, response: Facts, expected: bool) -> None:
    assert matches(conditions, response) is expected


def test_only_sentiment_or_theme_conditions_need_the_text() -> None:
    assert Conditions(sentiments=frozenset({"negative"})).needs_text
    assert Conditions(theme_ids=frozenset({1})).needs_text
    assert not Conditions(keywords=("cancel",), categories=frozenset({"detractor"})).needs_text


@pytest.fixture
def taxonomy(db: None) -> dict[str, Theme]:
    staff = Theme.objects.create(name="Staff")
    rude = Theme.objects.create(name="Rudeness", parent=staff, any_of="rude\nimpolite", count_negated=False)
    waiting = Theme.objects.create(name="Waiting", any_of="queue\nwait")
    do_rebuild_links()
    return {"staff": staff, "rude": rude, "waiting": waiting}


def respond(org: Any, score: int, comment: str) -> Response:
    return Response.objects.create(survey=org.survey, unit=org.north_1, score=score, comment=comment)


def test_the_rules_analyse_a_new_comment_first_then_a_parent_theme_rule_fires(org: Any, taxonomy: Any) -> None:
    rule = AlertRule.objects.create(name="Staff complaints", sentiments=["negative"])
    rule.themes.set([taxonomy["staff"]])
    rude = respond(org, 2, "The cashier was rude and I am furious.")
    patient = respond(org, 2, "Long queue, but the cashier was lovely.")
    assert not CommentAnalysis.objects.exists()  # the text task has not run: the rules must not wait for it

    assert alerts.do_apply_rules(rude.pk) == [rule.pk]
    assert alerts.do_apply_rules(patient.pk) == []
    assert CommentAnalysis.objects.get(response=rude).sentiment_label == "negative"
    assert list(ResponseTheme.objects.filter(response=rude).values_list("theme__name", flat=True)) == ["Rudeness"]
    assert list(Case.objects.values_list("response_id", flat=True)) == [rude.pk]


def test_each_rule_still_fires_once_per_response(org: Any, taxonomy: Any) -> None:
    rule = AlertRule.objects.create(name="Waiting", sentiments=["negative"])
    rule.themes.set([taxonomy["waiting"]])
    response = respond(org, 1, "Terrible wait, awful queue.")
    assert alerts.do_apply_rules(response.pk) == [rule.pk]
    assert alerts.do_apply_rules(response.pk) == []
    assert Case.objects.count() == 1 and AlertCheck.objects.get().matched_rules == [rule.pk]


def test_a_theme_a_person_removed_does_not_fire(org: Any, taxonomy: Any) -> None:
    rule = AlertRule.objects.create(name="Rudeness")
    rule.themes.set([taxonomy["rude"]])
    response = respond(org, 3, "Rude staff.")
    from harken.text.tagging import do_analyse

    do_analyse([response.pk])
    do_set_theme(response, taxonomy["rude"], present=False)
    assert alerts.do_apply_rules(response.pk) == []


def test_rules_without_text_conditions_do_not_analyse(org: Any, taxonomy: Any) -> None:
    rule = AlertRule.objects.create(name="Detractors", categories=["detractor"])
    response = respond(org, 3, "Rude staff.")
    assert alerts.do_apply_rules(response.pk) == [rule.pk]
    assert not CommentAnalysis.objects.exists()  # left to the text app's own task


def test_a_fresh_analysis_is_reused_and_a_stale_one_redone(org: Any, taxonomy: Any) -> None:
    AlertRule.objects.create(name="Negative", sentiments=["negative"])
    response = respond(org, 3, "Rude staff.")
    from harken.text.tagging import do_analyse

    do_analyse([response.pk])
    response.refresh_from_db()
    assert alerts.ensure_analysed(response) is False
    response.comment = "Lovely staff."
    response.save()
    assert alerts.ensure_analysed(response) is True
    assert CommentAnalysis.objects.get(response=response).sentiment_label == "positive"


def test_a_rule_is_tried_on_recent_responses(org: Any, taxonomy: Any) -> None:
    respond(org, 2, "So rude!")
    respond(org, 9, "Not rude at all, lovely.")
    old = respond(org, 1, "Rude.")
    Response.objects.filter(pk=old.pk).update(submitted_at=old.submitted_at.replace(year=2020))
    from harken.text.tagging import do_analyse_pending

    do_analyse_pending()
    trial = alerts.try_rule(
        Conditions(theme_ids=frozenset({taxonomy["staff"].pk}), categories=frozenset({"detractor"}))
    )
    # The org fixture's 32 responses of 3 days ago and the two recent ones: 34 checked (the old ones are out).
    assert (trial.matched, trial.checked, trial.capped) == (1, 34, False)
    assert [r.comment for r in trial.examples] == ["So rude!"]

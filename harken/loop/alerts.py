"""Applying alert rules to a new response: once per response, in the worker (``harken.loop.tasks``).

Order, made explicit here: (1) claim the response (its ``AlertCheck`` row), (2) analyse its comment —
sentiment and rule themes, through ``harken.text.tagging.do_analyse`` — unless that already happened since the
comment last changed, (3) match every active rule against the facts, sentiment and themes included, (4) act.
The text app's own ``analyse_response`` task may run before or after; its analysis is idempotent, so the
rules never wait on it and never see a comment without its analysis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from harken.collect.models import Response
from harken.integrations.webhooks.models import Webhook
from harken.loop import events, mailing
from harken.loop.cases import do_open_case
from harken.loop.models import AlertCheck, AlertRule
from harken.loop.rules import Conditions, Facts, matches
from harken.text import tagging
from harken.text.models import CommentAnalysis, ResponseTheme, ThemeLink

TRIAL_LIMIT = 20_000  # responses a rule is tried on from the management page


def facts_of(response: Response, *, with_text: bool = True) -> Facts:
    """The facts rules are matched against: the response, its contact's attributes, and what its comment says
    (sentiment label, and the themes it mentions with their ancestors) — left out with ``with_text=False``,
    when no rule to be matched looks at them (two queries saved per response)."""
    facts = Facts(
        score=response.score,
        category=response.category,
        comment=response.comment,
        survey_id=response.survey_id,
        unit_path=response.unit.path,
        touchpoint_id=response.touchpoint_id,
        attributes=dict(response.contact.attributes or {}) if response.contact else {},
    )
    if not with_text:
        return facts
    analysis = CommentAnalysis.objects.filter(response_id=response.pk).values_list("sentiment_label", flat=True)
    mentioned = ResponseTheme.objects.filter(response_id=response.pk, excluded=False).values("theme_id")
    themes = ThemeLink.objects.filter(descendant_id__in=mentioned).values_list("ancestor_id", flat=True)
    return replace(facts, sentiment=analysis.first(), theme_ids=frozenset(themes))


def ensure_analysed(response: Response) -> bool:
    """Analyse the comment now unless its analysis is newer than its last change; True if analysed here."""
    if not response.comment.strip():
        return False
    fresh = CommentAnalysis.objects.filter(response_id=response.pk, analysed_at__gte=response.updated_at).exists()
    if fresh:
        return False
    tagging.do_analyse([response.pk])
    return True


@dataclass(frozen=True)
class ActiveRules:
    """The active rules with their conditions, and the active webhook endpoints: loaded once for a batch of
    responses (``harken.loop.tasks.apply_rules_to``) instead of once per response."""

    rules: tuple[AlertRule, ...]
    conditions: dict[int, Conditions]
    webhooks: tuple[Webhook, ...]


def load_active_rules() -> ActiveRules:
    """The rules and endpoints active now (three queries)."""
    rules = tuple(AlertRule.objects.filter(is_active=True).select_related("unit").prefetch_related("themes"))
    conditions = {rule.pk: rule.conditions(frozenset(theme.pk for theme in rule.themes.all())) for rule in rules}
    return ActiveRules(rules, conditions, tuple(Webhook.objects.filter(is_active=True).select_related("unit")))


def do_apply_rules(response_id: int, active: ActiveRules | None = None) -> list[int] | None:
    """Apply the active rules to the response; the ids of the rules that fired on this run, or ``None`` if the
    response no longer exists.

    A response is checked when it arrives and again whenever it changes: on the two-step survey page the
    comment (the keywords, sentiment and themes a rule may look for) often comes a moment after the score.
    Each rule fires at most once per response: the ``AlertCheck`` row, locked for the run, keeps the rules that
    already fired, and a case is unique per response and rule.  The first run announces ``response.created``,
    later runs ``response.updated``.  ``active`` passes rules and endpoints already loaded (else loaded here).
    """
    active = active or load_active_rules()
    with transaction.atomic():
        response = Response.objects.select_related("unit", "contact").filter(pk=response_id).first()
        if response is None:
            return None
        check, first = AlertCheck.objects.get_or_create(response=response)
        if not first:  # serialise runs for the same response (SQLite's write lock does this already)
            check = AlertCheck.objects.select_for_update().get(pk=check.pk)
        if first:
            events.response_created(response, active.webhooks)
        else:
            events.response_updated(response, active.webhooks)
        already = set(check.matched_rules)
        rules = [rule for rule in active.rules if rule.pk not in already]
        conditions = active.conditions
        needs_text = any(conditions[rule.pk].needs_text for rule in rules)
        if needs_text:
            ensure_analysed(response)
        facts = facts_of(response, with_text=needs_text)
        fired = [rule for rule in rules if matches(conditions[rule.pk], facts)]
        for rule in fired:
            if rule.open_case:
                do_open_case(response, rule)
            if rule.recognize:
                from harken.loop.recognition import do_record_shoutouts

                do_record_shoutouts(response, rule)
            _notify(rule, response)
            events.alert_fired(rule, response)
        if fired:
            check.matched_rules = [*check.matched_rules, *(rule.pk for rule in fired)]
            check.save(update_fields=["matched_rules"])
        return [rule.pk for rule in fired]


def _notify(rule: AlertRule, response: Response) -> None:
    recipients = rule.notify_list()
    if not recipients:
        return
    score = "no score" if response.score is None else f"{response.score}/10"
    body = f"{score} from {response.unit.name}\n\n{response.comment or '(no comment)'}\n\n{settings.BASE_URL}/cases/\n"
    mailing.do_queue_notification(recipients, f"Alert: {rule.name}", body)


@dataclass(frozen=True)
class Trial:
    """A rule tried on recent responses: how many of ``checked`` it would have matched, a few examples."""

    matched: int
    checked: int
    days: int
    examples: list[Response]
    capped: bool


def bulk_facts(responses: list[Response]) -> dict[int, Facts]:
    """``facts_of`` for many responses with three queries in all (sentiment, themes with ancestors)."""
    ids = [response.pk for response in responses]
    labels = dict(CommentAnalysis.objects.filter(response_id__in=ids).values_list("response_id", "sentiment_label"))
    ancestors: dict[int, set[int]] = {}
    for descendant, ancestor in ThemeLink.objects.values_list("descendant_id", "ancestor_id"):
        ancestors.setdefault(descendant, set()).add(ancestor)
    themes: dict[int, set[int]] = {}
    links = ResponseTheme.objects.filter(response_id__in=ids, excluded=False).values_list("response_id", "theme_id")
    for response_id, theme_id in links:
        themes.setdefault(response_id, set()).update(ancestors.get(theme_id, {theme_id}))
    return {
        response.pk: Facts(
            score=response.score,
            category=response.category,
            comment=response.comment,
            survey_id=response.survey_id,
            unit_path=response.unit.path,
            touchpoint_id=response.touchpoint_id,
            attributes=dict(response.contact.attributes or {}) if response.contact else {},
            sentiment=labels.get(response.pk),
            theme_ids=frozenset(themes.get(response.pk, ())),
        )
        for response in responses
    }


def try_rule(conditions: Conditions, days: int = 30, limit: int = TRIAL_LIMIT, examples: int = 5) -> Trial:
    """Whether the rule would have matched each response of the last ``days`` days (the newest ``limit``).

    Unit, survey, touchpoint and score bounds narrow the responses in SQL; everything else is matched by the
    same ``matches`` the worker uses, on the comments' current analysis.
    """
    since = timezone.now() - dt.timedelta(days=days)
    queryset = Response.objects.filter(submitted_at__gte=since)
    if conditions.unit_path:
        queryset = queryset.filter(unit__path__startswith=conditions.unit_path)
    if conditions.survey_id is not None:
        queryset = queryset.filter(survey_id=conditions.survey_id)
    if conditions.touchpoint_id is not None:
        queryset = queryset.filter(touchpoint_id=conditions.touchpoint_id)
    responses = list(queryset.select_related("unit", "contact").order_by("-submitted_at", "-pk")[: limit + 1])
    capped = len(responses) > limit
    responses = responses[:limit]
    facts = bulk_facts(responses)
    hits = [response for response in responses if matches(conditions, facts[response.pk])]
    return Trial(len(hits), len(responses), days, hits[:examples], capped)

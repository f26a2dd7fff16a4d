"""Applying alert rules to a new response: once per response, in the worker (``harken.loop.tasks``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from harken.collect.models import Response
from harken.loop import events
from harken.loop.cases import do_open_case
from harken.loop.models import AlertCheck, AlertRule
from harken.loop.rules import Facts, matches


def facts_of(response: Response) -> Facts:
    """The facts rules are matched against."""
    return Facts(
        score=response.score,
        category=response.category,
        comment=response.comment,
        survey_id=response.survey_id,
        unit_path=response.unit.path,
        touchpoint_id=response.touchpoint_id,
        attributes=dict(response.contact.attributes or {}) if response.contact else {},
    )


def do_apply_rules(response_id: int) -> list[int] | None:
    """Apply every active rule to the response; the ids of the rules that fired, or ``None`` if the response
    was already checked (or no longer exists).

    The response is claimed by inserting its ``AlertCheck`` row; a second run meets the unique constraint.
    """
    response = Response.objects.select_related("unit", "contact").filter(pk=response_id).first()
    if response is None:
        return None
    try:
        with transaction.atomic():
            check = AlertCheck.objects.create(response=response)
    except IntegrityError:
        return None
    events.response_created(response)
    facts = facts_of(response)
    rules = AlertRule.objects.filter(is_active=True).select_related("unit")
    fired = [rule for rule in rules if matches(rule.conditions(), facts)]
    for rule in fired:
        if rule.open_case:
            do_open_case(response, rule)
        _notify(rule, response)
        events.alert_fired(rule, response)
    check.matched_rules = [rule.pk for rule in fired]
    check.save(update_fields=["matched_rules"])
    return check.matched_rules


def _notify(rule: AlertRule, response: Response) -> None:
    recipients = rule.notify_list()
    if not recipients:
        return
    score = "no score" if response.score is None else f"{response.score}/10"
    body = f"{score} from {response.unit.name}\n\n{response.comment or '(no comment)'}\n\n{settings.BASE_URL}/cases/\n"
    send_mail(f"Alert: {rule.name}", body, None, recipients, fail_silently=True)

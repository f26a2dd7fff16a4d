"""Metric alert pages: the rules a user may see, creating and editing them, "evaluate now", and the history.

Managers handle rules of their subtree, administrators all; everyone else with access to a unit reads its rules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from harken.org.models import Membership, Unit
from harken.org.scoping import visible_units
from harken.reports.metric_alerts import checks
from harken.reports.metric_alerts.forms import RuleForm
from harken.reports.metric_alerts.models import MetricAlertEvent, MetricAlertRule


def manageable_units(user: Any) -> QuerySet[Unit]:
    """Units whose rules the user may create and change: all for administrators, a manager's subtree."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser or Membership.objects.filter(user_id=user.pk, role=Membership.Role.ADMIN).exists():
        return Unit.objects.all()
    paths = Membership.objects.filter(user_id=user.pk, role=Membership.Role.MANAGER).values_list(
        "unit__path", flat=True
    )
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def _visible_rules(user: Any) -> QuerySet[MetricAlertRule]:
    return MetricAlertRule.objects.filter(unit__in=visible_units(user)).select_related("unit")


def _rule_or_404(request: HttpRequest, rule_id: int) -> MetricAlertRule:
    rule = _visible_rules(request.user).filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such metric alert")
    return rule


def rules(request: HttpRequest) -> HttpResponse:
    """Every rule the user may see, with its state and last firing."""
    context = {
        "rules": _visible_rules(request.user),
        "can_create": manageable_units(request.user).exists(),
        "events": MetricAlertEvent.objects.filter(rule__in=_visible_rules(request.user)).select_related(
            "rule", "rule__unit"
        )[:20],
    }
    return TemplateResponse(request, "metric_alerts/rules.html", context)


def edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Create a rule, or change one of a unit the user manages."""
    units = manageable_units(request.user)
    if not units.exists():
        raise PermissionDenied("Only managers and administrators set metric alerts.")
    rule = _rule_or_404(request, rule_id) if rule_id is not None else None
    if rule is not None and not units.filter(pk=rule.unit_id).exists():
        raise PermissionDenied("You may only change alerts of units you manage.")
    form = RuleForm(request.POST or None, instance=rule, units=units)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if rule is None:
            saved.created_by = request.user
        saved.next_check_at = timezone.now()  # check the new conditions at the next beat
        saved.save()
        form.save_m2m()
        messages.success(request, f"Saved “{saved.name}”. The worker checks it within the hour.")
        return redirect("metric_alerts:rule", saved.pk)
    return TemplateResponse(request, "metric_alerts/edit.html", {"form": form, "rule": rule})


def rule_page(request: HttpRequest, rule_id: int) -> HttpResponse:
    """One rule: its settings, its state, its history."""
    rule = _rule_or_404(request, rule_id)
    context = {
        "rule": rule,
        "events": rule.events.all()[:100],
        "can_edit": manageable_units(request.user).filter(pk=rule.unit_id).exists(),
        "recipients": checks.recipients(rule),
    }
    return TemplateResponse(request, "metric_alerts/rule.html", context)


@require_POST
def evaluate(request: HttpRequest, rule_id: int) -> HttpResponse:
    """ "Evaluate now": what the rule would decide on today's data, without notifying anyone or changing its state."""
    rule = _rule_or_404(request, rule_id)
    window, verdict = checks.judge(rule, checks.today_here(timezone.now()))
    context = {
        "rule": rule,
        "events": rule.events.all()[:100],
        "can_edit": manageable_units(request.user).filter(pk=rule.unit_id).exists(),
        "recipients": checks.recipients(rule),
        "preview": verdict,
        "window": window,
    }
    return TemplateResponse(request, "metric_alerts/rule.html", context)


@require_POST
def delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(request, rule_id)
    if not manageable_units(request.user).filter(pk=rule.unit_id).exists():
        raise PermissionDenied("You may only delete alerts of units you manage.")
    rule.delete()
    messages.success(request, f"Deleted “{rule.name}”.")
    return redirect("metric_alerts:rules")

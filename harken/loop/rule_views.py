"""Pages to manage alert rules: list, create, edit, switch on or off, and try a rule on recent responses.

Administrators manage every rule; managers the rules bound to a unit of their subtree (``authority``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from harken.loop import alerts, authority
from harken.loop.models import AlertRule
from harken.loop.rule_forms import RuleForm
from harken.org import audit

PRESETS: dict[str, dict[str, Any]] = {
    "excellence": {
        "name": "Excellence: promoters who name a person or a store",
        "categories": ["promoter"],
        "open_case": False,
        "recognize": True,
    },
    "detractors": {"name": "Detractor follow-up", "categories": ["detractor"], "open_case": True, "sla_hours": 24},
}


def _check(request: HttpRequest) -> None:
    if not authority.may_configure(request.user):
        raise PermissionDenied("Alert rules are managed by administrators and managers.")


def _rules(request: HttpRequest) -> Any:
    return authority.scope_config(AlertRule.objects.all(), request.user).select_related("unit", "survey", "touchpoint")


def _rule_or_404(request: HttpRequest, rule_id: int) -> AlertRule:
    rule = _rules(request).filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such rule")
    return rule


def rules(request: HttpRequest) -> TemplateResponse:
    """The rules the user may manage, with what each one does."""
    _check(request)
    chosen = list(_rules(request).prefetch_related("themes", "webhooks"))
    has_excellence = any(rule.recognize for rule in chosen)
    context = {"rules": chosen, "has_excellence": has_excellence, "is_admin": authority.is_admin(request.user)}
    return TemplateResponse(request, "loop/rules.html", context)


def rule_new(request: HttpRequest) -> HttpResponse:
    """Create a rule (optionally from a preset); "Try it" shows what it would have matched without saving."""
    _check(request)
    initial = PRESETS.get(request.GET.get("preset", ""), {})
    return _edit(request, AlertRule(), initial)


def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Edit a rule; "Try it" shows what the edited rule would have matched without saving."""
    _check(request)
    return _edit(request, _rule_or_404(request, rule_id), {})


def _edit(request: HttpRequest, rule: AlertRule, initial: dict[str, Any]) -> HttpResponse:
    trial = None
    if request.method == "POST":
        form = RuleForm(request.POST, instance=rule, user=request.user)
        if form.is_valid():
            if "try" in request.POST:
                trial = _trial(form)
            else:
                created = rule.pk is None
                saved = form.save()
                audit.record(request.user, "alert_rule.created" if created else "alert_rule.changed", saved)
                messages.success(request, f"Saved “{saved.name}”.")
                return redirect("loop:rules")
    else:
        form = RuleForm(instance=rule, initial=initial, user=request.user)
    return TemplateResponse(request, "loop/rule_form.html", {"form": form, "rule": rule, "trial": trial})


def _trial(form: RuleForm) -> alerts.Trial:
    rule = form.save(commit=False)
    theme_ids = frozenset(theme.pk for theme in form.cleaned_data.get("themes") or [])
    return alerts.try_rule(rule.conditions(theme_ids))


@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    """POST: switch a rule on or off."""
    _check(request)
    rule = _rule_or_404(request, rule_id)
    AlertRule.objects.filter(pk=rule.pk).update(is_active=not rule.is_active)
    audit.record(request.user, "alert_rule.enabled" if not rule.is_active else "alert_rule.disabled", rule)
    messages.success(request, f"“{rule.name}” is now {'off' if rule.is_active else 'on'}.")
    return redirect("loop:rules")


def rule_test(request: HttpRequest, rule_id: int) -> TemplateResponse:
    """What a saved rule would have matched in the last 30 days."""
    _check(request)
    rule = _rule_or_404(request, rule_id)
    trial = alerts.try_rule(rule.conditions())
    form = RuleForm(instance=rule, user=request.user)
    return TemplateResponse(request, "loop/rule_form.html", {"form": form, "rule": rule, "trial": trial})

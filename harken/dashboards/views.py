"""Dashboard pages: overview, units, my store, goals, and every panel as CSV or XLSX.

Views read the selection from the URL, ask ``panels`` for numbers and render; an htmx request gets only
the panels partial of the same template (STYLE.md).  Everything is scoped to the viewer in the queries.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from harken.analytics import periods
from harken.dashboards import exports, panels, selection
from harken.dashboards.models import Benchmark, Goal
from harken.distribution.models import Channel
from harken.org import audit
from harken.org.models import Membership, Unit
from harken.org.scoping import root_units, sees_everything, visible_units
from harken.surveys.models import Survey, Touchpoint

Viewer = AbstractBaseUser | AnonymousUser


def _template(request: HttpRequest, name: str, partial: str = "panels") -> str:
    """The whole page, or only its panels when htmx asks (filter changes and live refresh)."""
    return f"{name}#{partial}" if request.headers.get("HX-Request") == "true" else name


def _render(request: HttpRequest, name: str, context: dict[str, Any]) -> TemplateResponse:
    """Render; when the filter form asked (htmx), put the canonical, shareable URL in the address bar."""
    response = TemplateResponse(request, _template(request, name), context)
    if request.headers.get("HX-Trigger") == "filters":
        response["HX-Push-Url"] = f"{request.path}?{context['qs']}"
    return response


def filter_choices(user: Viewer, chosen: selection.Selection) -> dict[str, Any]:
    """Options for the filter bar, limited to what the viewer may see."""
    units = visible_units(user).order_by("path")
    top = min((unit.depth for unit in units), default=0)
    surveys = list(Survey.objects.values_list("pk", "name"))
    return {
        "period_choices": list(periods.PRESETS.items()),
        "unit_choices": [(unit.pk, "\u2003" * (unit.depth - top) + unit.name) for unit in units],
        "touchpoint_choices": list(Touchpoint.objects.values_list("pk", "name")),
        "survey_choices": surveys if len(surveys) > 1 else [],  # one survey: nothing to choose
        "channel_choices": Channel.choices,
        "language_choices": settings.LANGUAGES,
        "category_choices": [("promoter", "Promoters"), ("passive", "Passives"), ("detractor", "Detractors")],
        "trend_choices": list(selection.TREND_BUCKETS.items()),
        "filters_in_force": chosen.describe(),
    }


def _base(request: HttpRequest) -> tuple[selection.Selection, dict[str, Any]]:
    chosen = selection.read(request.GET, request.user)
    roots = root_units(request.user)
    scope = chosen.unit.name if chosen.unit else (", ".join(unit.name for unit in roots) or "No units")
    context = {
        "sel": chosen,
        "qs": chosen.querystring,
        "scope_name": scope,
        "has_units": bool(roots),
        "period_label": chosen.period.label,
        "refresh_seconds": settings.DASHBOARD_REFRESH_SECONDS,
        "min_sample": settings.MIN_SAMPLE,
        "updated_at": timezone.localtime(),
        **filter_choices(request.user, chosen),
    }
    return chosen, context


def overview(request: HttpRequest) -> TemplateResponse:
    """NPS with n and interval, changes, spread, trend, journey, units and comments for the selection."""
    chosen, context = _base(request)
    if context["has_units"]:
        head = panels.headline(chosen, request.user)
        context.update(
            headline=head.summary,
            head=head,
            trend=panels.trend(chosen, request.user, head.references),
            by_touchpoint=panels.journey(chosen, request.user),
            by_unit=panels.by_unit(chosen, request.user),
            comments=panels.comments(chosen, request.user),
        )
    return _render(request, "dashboards/overview.html", context)


def units(request: HttpRequest) -> TemplateResponse:
    """Drill-down through the tree, the leaderboard by shrunk NPS, and the most improved units."""
    chosen, context = _base(request)
    if context["has_units"]:
        level_choices = panels.levels(request.user)
        level = request.GET.get("level") or (level_choices[0][0] if level_choices else Unit.Kind.STORE)
        if level not in dict(level_choices):
            level = level_choices[0][0] if level_choices else Unit.Kind.STORE
        context.update(
            level=level,
            level_choices=level_choices,
            drill=panels.drill(chosen, request.user),
            board=panels.leaderboard(chosen, request.user, level),
            improved=panels.improved(chosen, request.user, level),
        )
    return _render(request, "dashboards/units.html", context)


def frontline_unit(user: Viewer) -> Unit | None:
    """The unit a front-line member works in (their first front-line membership)."""
    membership = (
        Membership.objects.filter(user_id=_pk(user), role=Membership.Role.FRONTLINE).select_related("unit").first()
    )
    return membership.unit if membership else None


def my_unit(request: HttpRequest) -> HttpResponse:
    """The front-line view: their unit's NPS, trend, rank among peers and comments, praise first."""
    unit = frontline_unit(request.user)
    if unit is None:
        return HttpResponseRedirect(reverse("dashboards:overview"))
    chosen, context = _base(request)
    chosen = selection.Selection(**{**chosen.__dict__, "unit": unit})
    context.update(sel=chosen, qs=chosen.querystring, scope_name=unit.name, my_unit=unit)
    head = panels.headline(chosen, request.user)
    context.update(
        headline=head.summary,
        head=head,
        trend=panels.trend(chosen, request.user, head.references),
        peer=panels.peer_rank(chosen, unit),
        comments=panels.comments(chosen, request.user, praise_first=True),
        cases=open_cases(request.user, unit),
    )
    return _render(request, "dashboards/my_unit.html", context)


def open_cases(user: Viewer, unit: Unit, limit: int = 10) -> list[Any] | None:
    """Open follow-up cases of the unit (and below), soonest due first; None when the loop app is absent."""
    if not apps.is_installed("harken.loop"):
        return None
    from harken.loop.models import OPEN_STATUSES, Case

    cases = Case.objects.filter(unit__in=visible_units(user).filter(path__startswith=unit.path))
    return list(cases.filter(status__in=OPEN_STATUSES).select_related("owner", "response").order_by("due_at")[:limit])


# --- Goals ---------------------------------------------------------------------------------------------


def _pk(user: Viewer) -> int:
    """The user's primary key; 0 (nobody) for an anonymous visitor."""
    return int(user.pk or 0)


def goal_units(user: Viewer) -> QuerySet[Unit]:
    """Units on which the user may set goals: everything for admins, their subtrees for managers."""
    if (
        getattr(user, "is_superuser", False)
        or Membership.objects.filter(user_id=_pk(user), role=Membership.Role.ADMIN).exists()
    ):
        return Unit.objects.all()
    paths = Membership.objects.filter(user_id=_pk(user), role=Membership.Role.MANAGER).values_list(
        "unit__path", flat=True
    )
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["unit", "start", "end", "target", "note"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]


class BenchmarkForm(forms.ModelForm):
    class Meta:
        model = Benchmark
        fields = ["name", "value", "source", "touchpoint"]


def goals(request: HttpRequest) -> HttpResponse:
    """Goals with attainment; managers add goals for their units, analysts and admins add benchmarks."""
    allowed = goal_units(request.user)
    may_set_goals = allowed.exists()
    may_add_benchmarks = sees_everything(request.user)
    goal_form = GoalForm(units=allowed, prefix="goal")
    benchmark_form = BenchmarkForm(prefix="benchmark")
    if request.method == "POST":
        if request.POST.get("form") == "goal" and may_set_goals:
            goal_form = GoalForm(request.POST, units=allowed, prefix="goal")
            if goal_form.is_valid():
                goal = goal_form.save(commit=False)
                goal.created_by = request.user
                goal.save()
                return HttpResponseRedirect(reverse("dashboards:goals"))
        elif request.POST.get("form") == "benchmark" and may_add_benchmarks:
            benchmark_form = BenchmarkForm(request.POST, prefix="benchmark")
            if benchmark_form.is_valid():
                benchmark_form.save()
                return HttpResponseRedirect(reverse("dashboards:goals"))
        else:
            return HttpResponse("You may not change goals or benchmarks.", status=403)
    context = {
        "attainments": panels.goals(request.user),
        "benchmarks": Benchmark.objects.filter(is_active=True).select_related("touchpoint"),
        "goal_form": goal_form if may_set_goals else None,
        "benchmark_form": benchmark_form if may_add_benchmarks else None,
    }
    return TemplateResponse(request, "dashboards/goals.html", context)


def _loop_panel(chosen: selection.Selection, user: Viewer) -> Any:
    from harken.loop.panel import loop_panel

    return loop_panel(chosen, user)


def loop(request: HttpRequest) -> TemplateResponse:
    """Close-the-loop metrics (``harken.loop.panel``) per unit and per month for the selection."""
    chosen, context = _base(request)
    if context["has_units"]:
        context.update(loop=_loop_panel(chosen, request.user))
    return _render(request, "dashboards/loop.html", context)


# --- Exports ------------------------------------------------------------------------------------------


def export(request: HttpRequest, panel: str, fmt: str) -> HttpResponse:
    """One panel as CSV or XLSX, for the same selection and viewer, with exactly the page's numbers."""
    chosen = selection.read(request.GET, request.user)
    user = request.user
    if panel == "my-unit" or (panel in ("rank",) and frontline_unit(user)):
        raise Http404
    tables = {
        "headline": lambda: panels.headline(chosen, user).table(),
        "distribution": lambda: panels.headline(chosen, user).distribution_table(),
        "trend": lambda: panels.trend(chosen, user).table(),
        "touchpoints": lambda: panels.journey(chosen, user).table(),
        "units": lambda: panels.by_unit(chosen, user).table(),
        "comments": lambda: panels.comments(chosen, user).table(),
        "leaderboard": lambda: panels.leaderboard(chosen, user, _level(request)).table(),
        "improved": lambda: panels.improved(chosen, user, _level(request)).table(),
        "drill": lambda: panels.drill(chosen, user).table(),
        "goals": lambda: panels.goals_table(panels.goals(user)),
        "loop-units": lambda: _loop_panel(chosen, user).units_table(),
        "loop-trend": lambda: _loop_panel(chosen, user).trend_table(),
    }
    if panel not in tables or fmt not in exports.CONTENT_TYPES:
        raise Http404
    if not root_units(user):
        return HttpResponse("You are not a member of any unit.", status=403)
    notes = [
        f"Period: {chosen.period.label}"
        + (f" ({chosen.period.start} to {chosen.period.end})" if chosen.period.start else ""),
        f"Units: {chosen.unit.name if chosen.unit else ', '.join(u.name for u in root_units(user))}",
        *(f"Filter: {text}" for text in chosen.describe()),
        "Counting: "
        + ("each customer's latest answer" if chosen.customers else "every scored response")
        + f"; skipped scores excluded; {int(settings.CONFIDENCE * 100)}% adjusted-Wald intervals; "
        f"days in {settings.TIME_ZONE}",
    ]
    audit.record(user, "export", panel=panel, format=fmt, via="dashboard")
    return exports.download(tables[panel](), fmt, f"harken-{panel}", notes)


def _level(request: HttpRequest) -> str:
    choices = dict(panels.levels(request.user))
    level = request.GET.get("level", "")
    return level if level in choices else next(iter(choices), Unit.Kind.STORE)

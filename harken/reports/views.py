"""Report pages: the executive report (HTML and PDF), its schedules, wall links, and the public wall screen."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from harken.collect import ratelimit
from harken.dashboards.views import goal_units
from harken.org import audit
from harken.org.models import Unit
from harken.org.scoping import visible_units
from harken.reports import delivery, executive, rendering, walls
from harken.reports.forms import ScheduleForm, WallLinkForm, people_for
from harken.reports.models import ReportSchedule, WallLink
from harken.reports.periods import KINDS, PeriodError, ReportPeriod, parse, recent

WALL_RELOAD_SECONDS = 300
WALL_SLIDE_SECONDS = 12


def _choose(request: HttpRequest) -> tuple[Unit | None, ReportPeriod, list[str]]:
    """Scope and period from the URL; anything invalid is replaced by the default and reported."""
    problems: list[str] = []
    today = timezone.localdate()
    scope = executive.default_scope(request.user)
    if request.GET.get("unit"):
        found = visible_units(request.user).filter(pk=_int(request.GET["unit"])).first()
        if found is None:
            problems.append("unit: that unit does not exist or is not yours to see; showing your units.")
        scope = found or scope
    kind, _, first = request.GET.get("period", "quarter").partition(":")
    try:
        period = parse(
            kind, request.GET.get("from", "") if kind == "custom" else first, request.GET.get("to", ""), today
        )
    except PeriodError as error:
        problems.append(f"{error} Showing the last complete quarter.")
        period = parse("quarter", "", "", today)
    return scope, period, problems


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


def _period_choices(today: Any, chosen: ReportPeriod) -> list[tuple[str, list[tuple[str, str]]]]:
    """Recent quarters, months and years to pick from, with the chosen one even when it is older."""
    groups = []
    for kind, count in (("quarter", 8), ("month", 13), ("year", 3)):
        options = recent(kind, today, count)
        if chosen.kind == kind and chosen not in options:
            options.append(chosen)
        groups.append((KINDS[kind], [(f"{kind}:{p.start.isoformat()}", p.label) for p in options]))
    return groups


def report(request: HttpRequest) -> TemplateResponse:
    """The executive report of a scope and period, with its narrative and charts."""
    scope, period, problems = _choose(request)
    found = executive.build(scope, period, request.user, timezone.now())
    units = visible_units(request.user).order_by("path")
    top = min((unit.depth for unit in units), default=0)
    query = request.GET.urlencode()
    context = {
        **rendering.context(found),
        "problems": problems,
        "unit_choices": [(u.pk, "\u2003" * (u.depth - top) + u.name) for u in units],
        "period_choices": _period_choices(timezone.localdate(), period),
        "chosen_period": f"{period.kind}:{period.start.isoformat()}",
        "pdf_url": reverse("reports:executive_pdf") + (f"?{query}" if query else ""),
        "may_schedule": goal_units(request.user).exists(),
    }
    return TemplateResponse(request, "reports/executive.html", context)


def report_pdf(request: HttpRequest) -> HttpResponse:
    """The same report as a PDF download."""
    scope, period, _ = _choose(request)
    found = executive.build(scope, period, request.user, timezone.now())
    audit.record(request.user, "export", panel="executive-report", format="pdf", via="reports")
    response = HttpResponse(rendering.pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{rendering.filename(found)}"'
    return response


# --- Schedules -------------------------------------------------------------------------------------------


def _schedules(user: Any) -> QuerySet[ReportSchedule]:
    return (
        ReportSchedule.objects.filter(unit__in=goal_units(user))
        .select_related("unit")
        .prefetch_related("recipients", "deliveries")
    )


def schedules(request: HttpRequest, schedule_id: int | None = None) -> HttpResponse:
    """List and create report schedules (administrators, and managers for their units); edit one by id."""
    units = goal_units(request.user)
    if not units.exists():
        return HttpResponse("Only managers and administrators schedule reports.", status=403)
    schedule = get_object_or_404(_schedules(request.user), pk=schedule_id) if schedule_id else None
    form_args: dict[str, Any] = {
        "units": units,
        "people": people_for(visible_units(request.user)),
        "instance": schedule,
    }
    form = ScheduleForm(**form_args)
    if request.method == "POST":
        if request.POST.get("delete") and schedule is not None:
            schedule.delete()
            return redirect("reports:schedules")
        form = ScheduleForm(request.POST, **form_args)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.next_run_at = delivery.next_run(saved.period_kind, timezone.now(), saved.send_hour)
            if saved.created_by_id is None:
                saved.created_by = request.user
            saved.save()
            form.save_m2m()
            return redirect("reports:schedules")
    context = {"form": form, "schedule": schedule, "schedules": _schedules(request.user), "units": units}
    return TemplateResponse(request, "reports/schedules.html", context, status=400 if form.errors else 200)


@require_POST
def schedule_send(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """Queue the last complete period's report now (once per period: a second press changes nothing)."""
    schedule = get_object_or_404(_schedules(request.user), pk=schedule_id)
    now = timezone.now()
    delivery.do_queue(schedule, delivery.report_period(schedule, now), now)
    return redirect("reports:schedules")


# --- Wall links and the wall screen --------------------------------------------------------------------


def wall_links(request: HttpRequest) -> HttpResponse:
    """Create wall-screen links for units the user manages, and see or revoke existing ones."""
    units = goal_units(request.user)
    if not units.exists():
        return HttpResponse("Only managers and administrators create wall screens.", status=403)
    form = WallLinkForm(units=units)
    if request.method == "POST":
        form = WallLinkForm(request.POST, units=units)
        if form.is_valid():
            link = form.save(commit=False)
            link.created_by = request.user
            link.save()
            audit.record(request.user, "wall_link.created", link, unit=link.unit_id)
            return redirect("reports:walls")
    links = WallLink.objects.filter(unit__in=units).select_related("unit", "created_by")
    base = settings.BASE_URL.rstrip("/")
    rows = [(link, base + reverse("reports:wall", args=[walls.token(link)])) for link in links]
    return TemplateResponse(
        request, "reports/walls.html", {"form": form, "rows": rows}, status=400 if form.errors else 200
    )


@require_POST
def wall_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """Switch a wall link off for good."""
    link = get_object_or_404(WallLink, pk=link_id, unit__in=goal_units(request.user))
    if link.revoked_at is None:
        WallLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
        audit.record(request.user, "wall_link.revoked", link, unit=link.unit_id)
    return redirect("reports:walls")


@login_not_required
def wall(request: HttpRequest, signed: str) -> HttpResponseBase:
    """The public wall screen: no login, read only, rate-limited like the survey pages."""
    try:
        ratelimit.check_rate(ratelimit.per_ip("wall", request), ratelimit.per_token("wall", signed))
        link = walls.resolve(signed)
    except ratelimit.RateLimited as error:
        response = _wall_problem(request, str(error), 429)
        response["Retry-After"] = str(error.retry_after)
        return response
    except walls.WallError as error:
        return _wall_problem(request, str(error), error.status)
    WallLink.objects.filter(pk=link.pk).update(last_seen_at=timezone.now())
    screen = walls.wall(link.unit, timezone.localdate())
    context = {
        "wall": screen,
        "trend_svg": mark_safe(screen.trend_svg),  # noqa: S308 - charts escape every label
        "reload_seconds": WALL_RELOAD_SECONDS,
        "slide_seconds": WALL_SLIDE_SECONDS,
        "min_sample": settings.MIN_SAMPLE,
        "updated_at": timezone.localtime(),
    }
    response = TemplateResponse(request, "reports/wall.html", context)
    _wall_headers(response)
    return response


def _wall_problem(request: HttpRequest, message: str, status: int) -> TemplateResponse:
    response = TemplateResponse(request, "reports/wall_problem.html", {"message": message}, status=status)
    _wall_headers(response)
    return response


def _wall_headers(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the link is the key: never leak it to another site
    response["X-Robots-Tag"] = "noindex"

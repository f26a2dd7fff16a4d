"""Theme pages: impact of every theme, one theme in depth with a live rule preview, discovery, corrections.

Filters come from the URL exactly as on the dashboards (``harken.dashboards.selection``); every number comes
from ``harken.text.impact`` over the one query path, scoped to the viewer.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from harken.analytics import queries
from harken.dashboards import selection
from harken.dashboards.views import filter_choices
from harken.org.scoping import scope_to_user
from harken.surveys.models import Survey
from harken.text import discovery, drivers, impact, matching
from harken.text import search as comment_search
from harken.text.models import Theme
from harken.text.tagging import do_set_theme

PREVIEW_COMMENTS = 2000
PREVIEW_EXAMPLES = 10


def themes(request: HttpRequest) -> TemplateResponse:
    """Every mentioned theme: volume, share, NPS of mentioning responses and impact; the biggest drivers."""
    chosen = selection.read(request.GET, request.user)
    groups = impact.themes(chosen.filters(), request.user)
    negative, positive = impact.drivers(groups)
    context = {"sel": chosen, "groups": groups, "negative": negative[:5], "positive": positive[:5]}
    return TemplateResponse(request, "text/themes.html", context)


def theme(request: HttpRequest, theme_id: int) -> TemplateResponse:
    """One theme by touchpoint, by unit and month by month, with its rules and a live preview."""
    found = get_object_or_404(Theme, pk=theme_id)
    chosen = selection.read(request.GET, request.user)
    filters = chosen.filters()
    context = {
        "sel": chosen,
        "theme": found,
        "by_touchpoint": impact.theme_by(found, "touchpoint", filters, request.user),
        "by_unit": impact.theme_by(found, "unit", filters, request.user),
        "by_month": impact.theme_by(found, "month", filters, request.user),
        "preview": _preview(request, found, [found.any_of, found.all_of, found.none_of, found.near]),
        "mentioning": _mentioning(found, filters, request),
    }
    template = "text/theme.html#preview" if request.headers.get("HX-Request") else "text/theme.html"
    return TemplateResponse(request, template, context)


def _mentioning(theme: Theme, filters: queries.Filters, request: HttpRequest) -> list[object]:
    """The latest comments mentioning the theme (or a theme below it), for people to check and correct."""
    linked = impact.mentions(queries.responses(filters, request.user)).filter(theme__ancestor_links__ancestor=theme)
    recent = queries.responses(filters, request.user).filter(pk__in=linked.values("response_id"))
    return list(recent.order_by("-submitted_at", "-pk")[:PREVIEW_EXAMPLES])


def preview(request: HttpRequest, theme_id: int) -> TemplateResponse:
    """The live preview of rules being edited (htmx): how many recent comments match, and some of them."""
    found = get_object_or_404(Theme, pk=theme_id)
    rules = [request.GET.get(name, "") for name in ("any_of", "all_of", "none_of", "near")]
    return TemplateResponse(request, "text/theme.html#preview", {"preview": _preview(request, found, rules)})


def _preview(request: HttpRequest, theme: Theme, fields: list[str]) -> dict[str, object]:
    """Rules as typed (``fields``: any of, all of, none of, near) with the theme's other settings."""
    any_of, all_of, none_of, near = fields
    try:
        rules = matching.Rules(
            any_of=matching.lines(any_of),
            all_of=matching.lines(all_of),
            none_of=matching.lines(none_of),
            near=matching.parse_near(near),
            near_words=theme.near_words,
            count_negated=theme.count_negated,
        )
    except ValueError as exc:
        return {"error": str(exc)}
    chosen = selection.read(request.GET, request.user)
    recent = queries.responses(chosen.filters(), request.user).exclude(comment="").order_by("-submitted_at", "-pk")
    comments = list(recent.values_list("comment", flat=True)[:PREVIEW_COMMENTS])
    matcher = matching.Matcher({0: rules})
    hits = [comment for comment in comments if matcher.match(comment)]
    return {"checked": len(comments), "matched": len(hits), "examples": hits[:PREVIEW_EXAMPLES]}


def discover(request: HttpRequest) -> TemplateResponse:
    """Suggested themes from comments no theme matches; ``method=tfidf`` or ``embeddings`` picks how."""
    chosen = selection.read(request.GET, request.user)
    available = discovery.embeddings_available()
    wanted = request.GET.get("method")
    method: discovery.Method | None = None
    if wanted == "tfidf":
        method = "tfidf"
    elif wanted == "embeddings" and available:
        method = "embeddings"
    found = discovery.discover(chosen.filters(), request.user, method=method)
    context = {
        "sel": chosen,
        "found": found,
        "embeddings_available": available,
        "embedding_limit": discovery.EMBEDDING_LIMIT,
    }
    return TemplateResponse(request, "text/discover.html", context)


@require_POST
def create_from_suggestion(request: HttpRequest) -> HttpResponse:
    """One click: a suggestion's name and terms become a theme (staff only)."""
    if not request.user.is_staff:
        raise Http404
    name = request.POST.get("name", "").strip()[:100]
    terms = tuple(term for term in request.POST.getlist("term") if term.strip())
    if not name or not terms or Theme.objects.filter(name=name, parent=None).exists():
        return redirect("text:discover")
    created = discovery.do_create_theme(name, terms)
    return redirect("text:theme", theme_id=created.pk)


@require_POST
def correct(request: HttpRequest, response_id: int) -> HttpResponse:
    """A person adds (``present=1``) or removes a theme on a comment they can see; that choice wins."""
    from harken.collect.models import Response

    response = get_object_or_404(scope_to_user(Response.objects.all(), request.user), pk=response_id)
    theme_id = request.POST.get("theme", "")
    found = get_object_or_404(Theme, pk=int(theme_id) if theme_id.isdigit() else 0)
    do_set_theme(response, found, present=request.POST.get("present") == "1")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("text:themes")


def key_drivers(request: HttpRequest) -> TemplateResponse:
    """Each driver rating's importance to the NPS score and its performance: what to fix first."""
    chosen = selection.read(request.GET, request.user)
    candidates = [survey for survey in Survey.objects.order_by("name") if drivers.driver_questions(survey)]
    wanted = request.GET.get("survey", "")
    survey = next((s for s in candidates if str(s.pk) == wanted), candidates[0] if candidates else None)
    found = drivers.key_drivers(survey, chosen.filters(), request.user) if survey else None
    context = {"sel": chosen, "surveys": candidates, "survey": survey, "found": found}
    return TemplateResponse(request, "text/drivers.html", context)


def search(request: HttpRequest) -> TemplateResponse:
    """Full-text search over the comments of the selection, best match first, with the matches marked."""
    chosen = selection.read(request.GET, request.user)
    text = request.GET.get("q", "").strip()
    page = request.GET.get("page", "1")
    link = urlencode([*chosen.params(), ("q", text)])
    context: dict[str, object] = {"sel": chosen, "qs": chosen.querystring, "q": text, "link": link}
    context.update(filter_choices(request.user, chosen))
    if text:
        try:
            context["results"] = comment_search.search(
                text, chosen.filters(), request.user, page=int(page) if page.isdigit() else 1
            )
        except comment_search.SearchError as exc:
            context["error"] = str(exc)
    htmx = request.headers.get("HX-Request") == "true"
    response = TemplateResponse(request, "text/search.html#panels" if htmx else "text/search.html", context)
    if request.headers.get("HX-Trigger") == "filters":
        response["HX-Push-Url"] = f"{request.path}?{link}"
    return response

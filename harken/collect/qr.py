"""Staff pages for collecting answers in person: QR codes (PNG, SVG), a printable poster, kiosk links,
and the widgets' embed snippets.  Login is required (the default); a user sees only their units."""

from __future__ import annotations

import io
from typing import TypeVar

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from harken.collect import links, texts
from harken.collect.models import Widget
from harken.distribution.models import Channel
from harken.org.models import Unit
from harken.org.scoping import visible_units
from harken.surveys.models import Survey

T = TypeVar("T", Survey, Unit)
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def _survey_and_unit(request: HttpRequest, survey_id: int, unit_id: int) -> tuple[Survey, Unit]:
    survey = get_object_or_404(Survey, pk=survey_id)
    unit = get_object_or_404(visible_units(request.user), pk=unit_id)
    return survey, unit


def qr_image(url: str, fmt: str) -> bytes:
    """A QR code of ``url`` as PNG or SVG (error correction M, a quiet zone of 4 modules)."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if fmt == "png":
        code.save(buffer, kind="png", scale=12, border=4)
    else:
        code.save(buffer, kind="svg", scale=8, border=4, xmldecl=False, svgns=True, title="QR code")
    return buffer.getvalue()


@require_GET
def qr_code(request: HttpRequest, survey_id: int, unit_id: int, fmt: str) -> HttpResponse:
    """The QR code that opens the unit's anonymous survey; ``?download=1`` saves it as a file."""
    if fmt not in FORMATS:
        raise Http404("QR codes come as .png or .svg")
    survey, unit = _survey_and_unit(request, survey_id, unit_id)
    response = HttpResponse(qr_image(links.anonymous_url(survey, unit, Channel.KIOSK), fmt), content_type=FORMATS[fmt])
    if request.GET.get("download"):
        name = f"harken-qr-{slugify(survey.slug)}-{slugify(unit.name)}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def poster(request: HttpRequest, survey_id: int, unit_id: int) -> TemplateResponse:
    """A printable A4/letter poster with the unit's QR code."""
    survey, unit = _survey_and_unit(request, survey_id, unit_id)
    language = texts.supported(request.GET.get("lang")) or texts.supported(survey.default_language) or "en"
    with translation.override(language):
        page = TemplateResponse(
            request,
            "collect/poster.html",
            {
                "language": language,
                "survey": survey,
                "unit": unit,
                "url": links.anonymous_url(survey, unit, Channel.KIOSK),
                "accent": texts.readable_accent(survey.accent_color),
            },
        )
        page.render()
    return page


@require_GET
def links_page(request: HttpRequest) -> TemplateResponse:
    """Pick a survey and a unit; get its QR code, poster, web link and kiosk link; and the widget snippets."""
    surveys = list(Survey.objects.filter(is_active=True))
    units = list(visible_units(request.user).filter(is_active=True).order_by("path"))
    survey = _pick(surveys, request.GET.get("survey"))
    unit = _pick(units, request.GET.get("unit"))
    context: dict[str, object] = {"surveys": surveys, "units": units, "survey": survey, "unit": unit}
    if survey is not None and unit is not None:
        context |= {
            "link": links.anonymous_url(survey, unit),
            "qr_link": links.anonymous_url(survey, unit, Channel.KIOSK),
            "kiosk": links.kiosk_url(survey, unit),
        }
    widgets = Widget.objects.filter(unit__in=[u.pk for u in units]).select_related("survey", "unit")
    context["widgets"] = [{"widget": widget, "snippet": widget_snippet(request, widget)} for widget in widgets]
    return TemplateResponse(request, "collect/links.html", context)


def widget_snippet(request: HttpRequest, widget: Widget) -> str:
    """The HTML a site pastes before ``</body>`` to show the widget."""
    src = links.absolute(static("collect/widget.js"))
    return f'<script src="{src}" data-survey="{widget.key}" async></script>'


def _pick(options: list[T], raw: str | None) -> T | None:
    if raw is None or not raw.isdigit():
        return options[0] if len(options) == 1 else None
    return next((option for option in options if option.pk == int(raw)), None)

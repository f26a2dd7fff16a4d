"""The survey editor for owners (administrators and managers): texts, questions, branding, translations.

Questions keep their type and key once they exist (answers are stored under the key); a question is switched
off rather than deleted.  The preview renders the real survey page from the unsaved form in a frame.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from harken.collect.texts import contrast_ratio, readable_accent
from harken.org.models import Membership
from harken.surveys import translations
from harken.surveys.forms import QuestionFormSet, SurveyForm
from harken.surveys.models import Question, Survey

OWNER_ROLES = (Membership.Role.ADMIN, Membership.Role.MANAGER)
PREVIEW_STEPS = {
    "score": ("score", None),
    "detractor": ("details", 3),
    "passive": ("details", 7),
    "promoter": ("details", 10),
    "thanks": ("thanks", None),
}


def may_edit_surveys(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Survey owners: superusers, administrators and managers (of any unit)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user_id=user.pk, role__in=OWNER_ROLES).exists()


def check_can_edit(user: AbstractBaseUser | AnonymousUser) -> None:
    """Refuse everyone but survey owners."""
    if not may_edit_surveys(user):
        raise PermissionDenied("Only administrators and managers may edit surveys.")


def survey_list(request: HttpRequest) -> TemplateResponse:
    """Every survey with its number of questions and the languages its own texts are translated into."""
    check_can_edit(request.user)
    surveys = list(Survey.objects.prefetch_related("questions").order_by("name"))
    summary = []
    for survey in surveys:
        rows = translations.rows(survey, list(survey.questions.all()))
        missing = sorted({language for row in rows for language in row.missing})
        summary.append({"survey": survey, "questions": len(survey.questions.all()), "missing": missing})
    return TemplateResponse(request, "surveys/list.html", {"summary": summary})


def _bound(request: HttpRequest, survey: Survey) -> tuple[SurveyForm, Any]:
    questions = survey.questions.order_by("position", "id")
    data = request.POST if request.method == "POST" else None
    form = SurveyForm(data, instance=survey, prefix="survey")
    formset = QuestionFormSet(data, queryset=questions, survey=survey, prefix="q")
    return form, formset


@require_http_methods(["GET", "POST"])
def editor(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Edit one survey; a valid post saves everything in one transaction and comes back here."""
    check_can_edit(request.user)
    survey = get_object_or_404(Survey, pk=pk)
    form, formset = _bound(request, survey)
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            do_save(form, formset, request.POST)
            messages.success(request, f"Saved “{survey.name}”.")
            return redirect("surveys:editor", pk=survey.pk)
        status = 400
    return TemplateResponse(request, "surveys/editor.html", _context(request, survey, form, formset), status=status)


def _context(request: HttpRequest, survey: Survey, form: SurveyForm, formset: Any) -> dict[str, Any]:
    saved = Survey.objects.get(pk=survey.pk)  # the rows show saved originals, the cells what was typed
    rows = translations.rows(saved, list(saved.questions.order_by("position", "id")))
    if request.method == "POST":
        for row in rows:
            for cell in row.cells:
                if cell.status != translations.Status.ORIGINAL:
                    cell.value = request.POST.get(cell.name, cell.value)
    accent = str(form["accent_color"].value() or survey.accent_color)
    try:
        ratio = contrast_ratio(accent, "#ffffff")
    except (ValueError, IndexError):
        ratio = 0.0
    return {
        "survey": survey,
        "form": form,
        "formset": formset,
        "rows": rows,
        "languages": translations.languages(),
        "missing": sum(len(row.missing) for row in rows),
        "contrast": {"ratio": round(ratio, 1), "ok": ratio >= 4.5, "suggestion": readable_accent(accent)},
        "preview_steps": [
            ("score", "The score"),
            ("detractor", "Follow-ups of a detractor (score 3)"),
            ("passive", "Follow-ups of a passive (score 7)"),
            ("promoter", "Follow-ups of a promoter (score 10)"),
            ("thanks", "Thank you"),
        ],
    }


def do_save(form: SurveyForm, formset: Any, data: Any) -> Survey:
    """Save the survey, its questions (new ones join the survey) and the translations, in one transaction."""
    with transaction.atomic():
        survey: Survey = form.save(commit=False)
        questions = formset.save(commit=False)
        for question in questions:
            question.survey = survey
            question.save()
        everything = list(survey.questions.order_by("position", "id"))
        translations.apply(survey, everything, data)
        survey.save()
        for question in everything:
            question.save(update_fields=["translations"])
    return survey


@require_POST
@xframe_options_sameorigin
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey page for the editor's unsaved form, in the chosen language and step (shown in a frame)."""
    check_can_edit(request.user)
    from harken.collect.views import render_preview

    survey = get_object_or_404(Survey, pk=pk)
    form, formset = _bound(request, survey)
    if not (form.is_valid() and formset.is_valid()):
        page = TemplateResponse(request, "surveys/preview_invalid.html", {"form": form, "formset": formset})
        page["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'"
        return page
    edited: Survey = form.save(commit=False)
    formset.save(commit=False)
    questions: list[Question] = [f.instance for f in formset.forms if f.instance.pk or f.cleaned_data.get("text")]
    for question in questions:
        question.choices = question.choices or []
    translations.apply(edited, [q for q in questions if q.pk], request.POST)
    language = request.POST.get("preview-language") or edited.default_language
    if language not in translations.languages():
        language = edited.default_language
    step, score = PREVIEW_STEPS.get(request.POST.get("preview-step", "score"), PREVIEW_STEPS["score"])
    return render_preview(request, edited, questions, language, step, score)

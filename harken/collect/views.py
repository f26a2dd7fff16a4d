"""The respondent's pages: invitation links, one-click scores, anonymous links and kiosks (QR codes: ``qr.py``).

Each view resolves who is answering (a ``Flow``), checks the rate limits, then calls one ``check_*`` and one
``do_*`` from ``answers``.  Without JavaScript every step is a plain form post followed by a redirect; with
JavaScript (``survey.js``) the same post comes with ``X-Harken-Fragment: 1`` and gets back the next step
rendered as a partial of the same template, which the script swaps in.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from harken.collect import links, ratelimit, scanners, texts
from harken.collect.answers import (
    COMMENT_MAX_LENGTH,
    AnswerError,
    Respondent,
    category_of,
    check_comment,
    check_follow_ups,
    check_score,
    check_submission_key,
    do_mark_opened,
    do_record,
    questions_for,
    respondent_for_invitation,
)
from harken.collect.models import LinkClick, Response
from harken.distribution.models import Channel, Invitation
from harken.org.models import Unit
from harken.surveys.models import Question, Survey

log = logging.getLogger(__name__)

HONEYPOT = "website"
FRAGMENT_HEADER = "HTTP_X_HARKEN_FRAGMENT"
KIOSK_RESET_SECONDS = 8
KIOSK_IDLE_SECONDS = 90


class NotFound(Exception):
    """A well-signed link to something that no longer exists (or a score link out of range)."""


@dataclass
class Flow:
    """One respondent's way through a survey: who they are, and the addresses of their steps."""

    respondent: Respondent
    language: str
    start_url: str
    thanks_url: str
    details_url: str | None = None
    kiosk: bool = False
    rate_token: str = ""

    @property
    def survey(self) -> Survey:
        return self.respondent.survey

    def response(self) -> Response | None:
        return self.respondent.existing()


def public(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A public survey view: no login, friendly pages for bad links and rate limits, no caching."""

    @login_not_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except links.BadLink as exc:
            status = 410 if exc.expired else 400
            response = _problem(request, status, str(exc), expired=exc.expired)
        except NotFound as exc:
            response = _problem(request, 404, str(exc))
        except ratelimit.RateLimited as exc:
            response = _problem(request, 429, str(exc))
            response["Retry-After"] = str(exc.retry_after)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _problem(request: HttpRequest, status: int, message: str, expired: bool = False) -> TemplateResponse:
    language = texts.choose_language(request)
    with translation.override(language):
        context = {"message": _(message), "expired": expired, "status": status, "language": language}
        response = TemplateResponse(request, "collect/problem.html", context, status=status)
        response.render()
    return response


# --- Resolving who answers ---------------------------------------------------------------------------------


def _invitation_flow(request: HttpRequest, signed: str) -> Flow:
    token = links.unsign_invitation(signed)
    invitation = (
        Invitation.objects.select_related("survey", "contact").filter(token=token, survey__is_active=True).first()
    )
    if invitation is None:
        raise NotFound(gettext_noop("We could not find this survey. It may have been closed."))
    language = texts.choose_language(request, invitation.language, invitation.contact.language)
    return Flow(
        respondent=respondent_for_invitation(invitation, language),
        language=language,
        start_url=reverse("collect:invitation", args=[signed]),
        details_url=reverse("collect:invitation", args=[signed]),
        thanks_url=reverse("collect:invitation_thanks", args=[signed]),
        rate_token=token,
    )


def _anonymous_flow(request: HttpRequest, key: str, kiosk: bool, submission_key: str = "") -> Flow:
    target = links.unsign_anonymous(key)
    survey = Survey.objects.filter(pk=target.survey_id, is_active=True).first()
    if survey is None or not Unit.objects.filter(pk=target.unit_id, is_active=True).exists():
        raise NotFound(gettext_noop("We could not find this survey. It may have been closed."))
    language = texts.choose_language(request)
    prefix = "collect:kiosk" if kiosk else "collect:anonymous"
    respondent = Respondent(
        survey=survey,
        unit_id=target.unit_id,
        channel=Channel.KIOSK if kiosk else target.channel,
        language=language,
        touchpoint_id=survey.touchpoint_id,
        submission_key=submission_key,
    )
    details = (
        reverse(f"{prefix}_details", args=[key, links.sign_submission(submission_key)]) if submission_key else None
    )
    return Flow(
        respondent=respondent,
        language=language,
        start_url=reverse(prefix, args=[key]),
        details_url=details,
        thanks_url=reverse(f"{prefix}_thanks", args=[key]),
        kiosk=kiosk,
        rate_token=submission_key,
    )


def _check_rate(request: HttpRequest, flow: Flow | None = None) -> None:
    limits = [ratelimit.per_ip("survey", request)]
    if flow is not None and flow.rate_token:
        limits.append(ratelimit.per_token("survey", flow.rate_token))
    ratelimit.check_rate(*limits)


# --- Views ------------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, signed: str) -> HttpResponseBase:
    """The survey page of an invitation: the score first, then the comment and follow-up questions."""
    flow = _invitation_flow(request, signed)
    _check_rate(request, flow)
    if request.method == "POST":
        return _post(request, flow)
    assert flow.respondent.invitation is not None
    if scanners.scanner_reason(request.method or "GET", request.headers.get("User-Agent", "")) is None:
        do_mark_opened(flow.respondent.invitation)
    response = flow.response()
    step = "score" if response is None or response.score is None or "change" in request.GET else "details"
    return _render(request, flow, step, response)


@public
@require_http_methods(["GET", "HEAD"])
def one_click(request: HttpRequest, signed: str, score: int) -> HttpResponseBase:
    """A score link from an email: record the score at once, then show the rest of the survey.

    A link scanner's opening records nothing, and neither does a burst of different scores
    (``harken.collect.scanners``): the page then asks whoever looks at it to confirm the score.
    """
    flow = _invitation_flow(request, signed)
    _check_rate(request, flow)
    if not 0 <= score <= 10:
        raise NotFound(gettext_noop("This link does not carry a score from 0 to 10."))
    invitation = flow.respondent.invitation
    assert invitation is not None
    if scanners.scanner_reason(request.method or "GET", request.headers.get("User-Agent", "")) is not None:
        scanners.do_log_scanner(invitation, score)
        return _render(request, flow, "score", flow.response(), confirm=score)
    if scanners.do_one_click(flow.respondent, score) != LinkClick.Verdict.RECORDED:
        return _render(request, flow, "score", flow.response(), confirm=score)
    return HttpResponseRedirect(_with_language(flow.start_url, flow), status=303)


@public
@require_GET
def invitation_thanks(request: HttpRequest, signed: str) -> HttpResponseBase:
    """The thank-you page of an invitation."""
    flow = _invitation_flow(request, signed)
    _check_rate(request, flow)
    return _render(request, flow, "thanks", flow.response())


@public
@require_http_methods(["GET", "POST"])
def anonymous(request: HttpRequest, key: str, kiosk: bool = False) -> HttpResponseBase:
    """The first page of an anonymous survey (QR code, link, kiosk): the score.

    Each visit gets a new random submission id in the form, so that sending the score twice (a double
    click, a retry) updates the one response it made.
    """
    if request.method == "POST":
        try:
            submission_key = check_submission_key(request.POST.get("submission"))
        except AnswerError as error:
            flow = _anonymous_flow(request, key, kiosk, secrets.token_urlsafe(16))
            _check_rate(request)
            return _render(request, flow, "score", None, error=error, status=400)
        flow = _anonymous_flow(request, key, kiosk, submission_key)
        _check_rate(request, flow)
        return _post(request, flow)
    flow = _anonymous_flow(request, key, kiosk, secrets.token_urlsafe(16))
    _check_rate(request)
    return _render(request, flow, "score", None)


@public
@require_http_methods(["GET", "POST"])
def anonymous_details(request: HttpRequest, key: str, submission: str, kiosk: bool = False) -> HttpResponseBase:
    """The comment and follow-up questions of an anonymous response that has its score."""
    flow = _anonymous_flow(request, key, kiosk, links.unsign_submission(submission))
    _check_rate(request, flow)
    if request.method == "POST":
        return _post(request, flow)
    response = flow.response()
    step = "score" if response is None or response.score is None or "change" in request.GET else "details"
    return _render(request, flow, step, response)


@public
@require_GET
def anonymous_thanks(request: HttpRequest, key: str, kiosk: bool = False) -> HttpResponseBase:
    """The thank-you page of an anonymous survey; a kiosk goes back to the start after a few seconds."""
    flow = _anonymous_flow(request, key, kiosk)
    _check_rate(request)
    return _render(request, flow, "thanks", None)


# --- Steps ------------------------------------------------------------------------------------------------


def _post(request: HttpRequest, flow: Flow) -> HttpResponseBase:
    if request.POST.get(HONEYPOT):
        log.info("Honeypot filled on %s; answer discarded", request.path)
        return _advance(request, flow, flow.thanks_url, "thanks")
    step = request.POST.get("step")
    if step == "score":
        try:
            score = check_score(request.POST.get("score"))
        except AnswerError as error:
            return _render(request, flow, "score", flow.response(), error=error, status=400)
        do_record(flow.respondent, score=score)
        assert flow.details_url is not None
        return _advance(request, flow, flow.details_url, "details")
    if step == "details":
        response = flow.response()
        if response is None or response.score is None:
            missing = AnswerError(_("Choose a score from 0 to 10."))
            return _render(request, flow, "score", response, error=missing, status=400)
        try:
            comment = check_comment(request.POST.get("comment", ""))
            answers = check_follow_ups(questions_for(flow.survey, category_of(response)), request.POST.getlist)
        except AnswerError as error:
            return _render(request, flow, "details", response, error=error, status=400)
        do_record(flow.respondent, comment=comment, answers=answers)
        return _advance(request, flow, flow.thanks_url, "thanks")
    return _render(
        request, flow, "score", flow.response(), error=AnswerError(_("Choose a score from 0 to 10.")), status=400
    )


def _advance(request: HttpRequest, flow: Flow, url: str, step: str) -> HttpResponseBase:
    """After a successful post: the next step as a fragment for the script, else a redirect to it."""
    url = _with_language(url, flow)
    if request.META.get(FRAGMENT_HEADER) == "1":
        response = _render(request, flow, step, flow.response())
        response["X-Harken-Url"] = url
        return response
    return HttpResponseRedirect(url, status=303)


def _with_language(url: str, flow: Flow) -> str:
    return f"{url}?{urlencode({'lang': flow.language})}"


def _render(
    request: HttpRequest,
    flow: Flow,
    step: str,
    response: Response | None,
    error: AnswerError | None = None,
    status: int = 200,
    confirm: int | None = None,
) -> TemplateResponse:
    with translation.override(flow.language):
        context = _context(request, flow, step, response, error)
        if confirm is not None:  # a score link that was not recorded: that score is chosen, waiting for a tap
            context.update(confirm_score=confirm, current_score=confirm)
        template = "collect/survey.html#step" if request.META.get(FRAGMENT_HEADER) == "1" else "collect/survey.html"
        page = TemplateResponse(request, template, context, status=status)
        page.render()
    page["Content-Language"] = flow.language
    page["Content-Security-Policy"] = _csp(flow.survey)
    return page


def _context(
    request: HttpRequest,
    flow: Flow,
    step: str,
    response: Response | None,
    error: AnswerError | None,
    shown: list[Question] | None = None,
) -> dict[str, Any]:
    survey, language = flow.survey, flow.language
    category = category_of(response)
    accent = texts.readable_accent(survey.accent_color)
    if shown is None:
        shown = questions_for(survey, category)
    questions = [_question_context(q, language, request, error) for q in shown]
    return {
        "flow": flow,
        "step": step,
        "survey": survey,
        "language": language,
        "languages": texts.languages(),
        "company": survey.company_name,
        "accent": accent,
        "nps_question": texts.survey_text(survey, "nps_question", language),
        "low_label": texts.survey_text(survey, "low_label", language),
        "high_label": texts.survey_text(survey, "high_label", language),
        "comment_question": texts.survey_text(survey, survey.comment_field(category), language),
        "scores": list(range(11)),
        "current_score": response.score if response is not None else None,
        "comment": request.POST.get("comment", response.comment if response is not None else ""),
        "comment_max": COMMENT_MAX_LENGTH,
        "questions": questions,
        "error": error,
        "score_action": flow.start_url,
        "submission": flow.respondent.submission_key,
        "honeypot": HONEYPOT,
        "reset_seconds": (KIOSK_RESET_SECONDS if step == "thanks" else KIOSK_IDLE_SECONDS) if flow.kiosk else None,
        "change_url": (flow.details_url or flow.start_url) + f"?change=1&lang={language}",
    }


def _question_context(
    question: Question, language: str, request: HttpRequest, error: AnswerError | None
) -> dict[str, Any]:
    name = f"q_{question.key}"
    labels = (question.translations or {}).get(language, {}).get("choices", {})
    choices = [
        {"key": str(choice["key"]), "label": labels.get(choice["key"]) or choice.get("label", choice["key"])}
        for choice in question.choices
        if isinstance(choice, dict) and "key" in choice
    ]
    scale: list[int] = []
    if question.kind == Question.Kind.RATING_0_10:
        scale = list(range(11))
    elif question.kind == Question.Kind.RATING_1_5:
        scale = list(range(1, 6))
    return {
        "name": name,
        "kind": question.kind,
        "text": question.text_in(language),
        "required": question.required,
        "choices": choices,
        "scale": [str(value) for value in scale],
        "submitted": request.POST.getlist(name) if request.method == "POST" else [],
        "error": error if error is not None and error.field == name else None,
    }


def _csp(survey: Survey) -> str:
    images = "'self' data:"
    origin = texts.logo_origin(survey)
    if origin:
        images += f" {origin}"
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src {images}; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def render_preview(
    request: HttpRequest, survey: Survey, questions: list[Question], language: str, step: str, score: int | None
) -> TemplateResponse:
    """The survey page as a respondent would see it, for unsaved edits (the survey editor's live preview).

    Nothing is stored and the page is inert: its forms post nowhere.  ``score`` picks the follow-up questions
    and wording of that score's category.
    """
    respondent = Respondent(survey=survey, unit_id=0, channel=Channel.LINK, language=language)
    flow = Flow(respondent=respondent, language=language, start_url="#", thanks_url="#", details_url="#")
    response = Response(survey=survey, score=score) if score is not None else None
    category = category_of(response)
    shown = [q for q in questions if q.is_active and q.audience in ("everyone", category.value if category else "")]
    shown.sort(key=lambda q: (q.position, q.pk or 1 << 62))
    with translation.override(language):
        context = _context(request, flow, step, response, None, shown)
        context.update(preview=True, hide_languages=True, current_score=score)
        page = TemplateResponse(request, "collect/survey.html", context)
        page.render()
    page["Content-Language"] = language
    page["Content-Security-Policy"] = _csp(survey).replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    page["X-Frame-Options"] = "SAMEORIGIN"
    return page


CSRF_EXPIRED = gettext_noop(
    "This page was open too long or your browser blocked its cookie. Please reload it and send again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> TemplateResponse:
    """A friendly 403 when a form's CSRF check fails (``CSRF_FAILURE_VIEW``), instead of Django's technical page."""
    log.warning("CSRF check failed on %s: %s", request.path, reason)
    return _problem(request, 403, CSRF_EXPIRED)

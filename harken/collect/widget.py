"""The public endpoints of the website / in-app widget (``static/collect/widget.js``).

They answer JSON, allow cross-origin requests only from the widget's ``allowed_origins`` (CORS), and use
that origin check instead of CSRF: a browser always sends ``Origin`` on a cross-origin POST and a page
cannot forge it.  Bodies may be sent as ``text/plain`` so that posts need no CORS preflight.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from harken.collect import intake, ratelimit, texts
from harken.collect.answers import AnswerError, check_comment, check_score, check_submission_key
from harken.collect.models import Widget, WidgetDisplay
from harken.contacts.models import Contact
from harken.surveys.models import Survey

MAX_BODY_BYTES = 16_384
MAX_ATTRIBUTES = 50
EVENTS = ("shown", "dismissed")

View = Callable[[HttpRequest, "WidgetRef"], HttpResponse]


def cors(methods: str) -> Callable[[View], Callable[[HttpRequest, str], HttpResponse]]:
    """Look the widget up, answer preflights, refuse foreign origins, and add the CORS headers."""

    def decorate(view: View) -> Callable[[HttpRequest, str], HttpResponse]:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, key: str) -> HttpResponse:
            widget = _lookup(key)
            origin = request.META.get("HTTP_ORIGIN", "").rstrip("/").lower()  # not .headers: that copies them all
            if widget is None:
                response: HttpResponse = JsonResponse(
                    {"error": "This widget does not exist or is switched off."}, status=404
                )
            elif request.method not in (*methods.split(", "), "OPTIONS"):
                response = JsonResponse({"error": f"Use {methods}."}, status=405)
                response["Allow"] = f"{methods}, OPTIONS"
            elif origin and origin not in widget.origins:
                response = JsonResponse({"error": f"The origin {origin} may not use this widget."}, status=403)
            elif request.method == "POST" and not origin:
                response = JsonResponse({"error": "Posts to the widget must come from a browser page."}, status=403)
            elif request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = f"{methods}, OPTIONS"
                response["Access-Control-Allow-Headers"] = "Content-Type"
                response["Access-Control-Max-Age"] = "86400"
            else:
                try:
                    # The lean handler (harken/wsgi.py) has no LocaleMiddleware: messages follow the visitor's browser.
                    with translation.override(texts.choose_language(request)):
                        response = view(request, widget)
                except ratelimit.RateLimited as exc:
                    response = JsonResponse({"error": str(exc)}, status=429)
                    response["Retry-After"] = str(exc.retry_after)
                except AnswerError as exc:
                    response = JsonResponse({"error": str(exc), "field": exc.field}, status=400)
            if widget is not None and origin in widget.origins:
                response["Access-Control-Allow-Origin"] = origin
                response["Vary"] = "Origin"
            response.setdefault("Cache-Control", "no-store")
            return response

        return wrapper

    return decorate


@dataclass(frozen=True)
class WidgetRef:
    """What every widget request needs: an active widget of an active survey, and its allowed origins."""

    pk: int
    survey_id: int
    unit_id: int
    touchpoint_id: int | None
    origins: tuple[str, ...]

    @functools.cached_property
    def survey(self) -> Survey:
        """The survey as a reference by primary key (enough to file a response under it; no query), made once
        per remembered lookup."""
        return Survey(pk=self.survey_id, touchpoint_id=self.touchpoint_id, is_active=True)


# Widgets looked up in the last few seconds, per process: the lookup runs on every request of a busy page.
# A change in the admin reaches this process at once (signals below) and every other one within LOOKUP_TTL.
LOOKUP_TTL = 5.0
_recent: dict[str, tuple[float, WidgetRef | None]] = {}


def _lookup(key: str) -> WidgetRef | None:
    """The widget with this public key, remembered for ``LOOKUP_TTL`` seconds."""
    now = time.monotonic()
    cached = _recent.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    if len(_recent) > 1000:  # unknown keys sent by a bot must not grow the cache without bound
        _recent.clear()
    found = _query(key)
    _recent[key] = (now + LOOKUP_TTL, found)
    return found


def forget_widgets(**kwargs: Any) -> None:
    """Drop the remembered widgets (connected to saves and deletes of widgets and surveys)."""
    _recent.clear()


def _query(key: str) -> WidgetRef | None:
    """The widget with this public key, in one indexed query.

    Raw SQL because this runs on every answer: building the ORM query cost 0.4–0.6 ms, a quarter of the
    endpoint's time (bench/answer_throughput.py); the raw query costs 0.05 ms.  Names come from the models.
    """
    quote = connection.ops.quote_name
    widget, survey = quote(Widget._meta.db_table), quote(Survey._meta.db_table)
    sql = (
        f"SELECT w.{quote('id')}, w.{quote('survey_id')}, w.{quote('unit_id')}, s.{quote('touchpoint_id')}, "  # noqa: S608
        f"w.{quote('allowed_origins')} FROM {widget} w JOIN {survey} s ON s.{quote('id')} = w.{quote('survey_id')} "
        f"WHERE w.{quote('key')} = %s AND w.{quote('is_active')} AND s.{quote('is_active')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, survey_id, unit_id, touchpoint_id, allowed = row
    return WidgetRef(pk, survey_id, unit_id, touchpoint_id, tuple(Widget(allowed_origins=allowed).origins()))


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise AnswerError(_("The request is too large."), "body")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise AnswerError(_("The request is not valid JSON."), "body") from None
    if not isinstance(data, dict):
        raise AnswerError(_("The request must be a JSON object."), "body")
    return data


@cors("GET")
def config(request: HttpRequest, ref: WidgetRef) -> HttpResponse:
    """The widget's display rules and its texts in the visitor's language."""
    ratelimit.check_rate(ratelimit.per_ip("widget-config", request))
    widget = Widget.objects.select_related("survey").get(pk=ref.pk)
    survey = widget.survey
    language = texts.choose_language(request)
    with translation.override(language):
        data = {
            "language": language,
            "question": texts.survey_text(survey, "nps_question", language),
            "low": texts.survey_text(survey, "low_label", language),
            "high": texts.survey_text(survey, "high_label", language),
            "comment": texts.survey_text(survey, "comment_question", language),
            "send": _("Send"),
            "close": _("Close"),
            "thanks": _("Thank you!"),
            "saved": _("Your answers have been saved. They help us improve."),
            "company": survey.company_name,
            "accent": texts.readable_accent(survey.accent_color),
            "rules": {
                "delay": widget.delay_seconds,
                "pages": widget.page_patterns(),
                "returningOnly": widget.returning_visitors_only,
                "snoozeDays": widget.snooze_days,
                "samplePercent": widget.sample_percent,
            },
        }
    response = JsonResponse(data)
    response["Cache-Control"] = "public, max-age=300"
    return response


@cors("POST")
def event(request: HttpRequest, widget: WidgetRef) -> HttpResponse:
    """Count that the prompt was shown or dismissed, for response rates."""
    ratelimit.check_rate(ratelimit.per_ip("widget-event", request))
    name = _body(request).get("event")
    if name not in EVENTS:
        raise AnswerError(_("Unknown event; use shown or dismissed."), "event")
    do_count_display(widget, name)
    return HttpResponse(status=204)


@cors("POST")
def answer(request: HttpRequest, widget: WidgetRef) -> HttpResponse:
    """Record a score and/or comment; the same ``submission`` id updates the same response."""
    data = _body(request)
    submission = check_submission_key(data.get("submission"))
    score = check_score(data["score"]) if data.get("score") is not None else None
    comment = check_comment(data["comment"]) if "comment" in data else None
    if score is None and comment is None:
        raise AnswerError(_("Choose a score from 0 to 10."))
    visitor = check_visitor(data["visitor"]) if data.get("visitor") else None
    # The wrapper made the browser's language the active one.
    language = texts.supported(data.get("locale")) or translation.get_language() or "en"
    # Stored at once and filed as a response right after (harken.collect.intake): nothing sent is lost, and a
    # burst of answers costs each request one small write.
    with intake.answering() as busy:
        intake.do_receive(
            survey_id=widget.survey_id,
            unit_id=widget.unit_id,
            touchpoint_id=widget.touchpoint_id,
            submission_key=submission,
            score=score,
            comment=comment,
            language=language,
            visitor=visitor,
            limits=(ratelimit.per_ip("answer", request), ratelimit.per_token("answer", submission)),
        )
        intake.file_soon(busy())
    return JsonResponse({"ok": True})


def check_visitor(raw: object) -> dict[str, Any]:
    """A known customer passed by the host page: ``{"id", "email", "name", "attributes"}``, all optional."""
    if not isinstance(raw, dict):
        raise AnswerError(_("The visitor must be an object."), "visitor")
    visitor: dict[str, Any] = {}
    for name, limit in (("id", 100), ("email", 254), ("name", 200)):
        value = raw.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > limit:
            raise AnswerError(_("The visitor's %(field)s is not valid.") % {"field": name}, "visitor")
        visitor[name] = str(value).strip()
    if "email" in visitor:
        try:
            validate_email(visitor["email"])
        except ValidationError:
            raise AnswerError(_("The visitor's email address is not valid."), "visitor") from None
    attributes = raw.get("attributes") or {}
    scalar = str | int | float | bool
    if (
        not isinstance(attributes, dict)
        or len(attributes) > MAX_ATTRIBUTES
        or not all(isinstance(k, str) and len(k) <= 50 for k in attributes)
        or not all(v is None or (isinstance(v, scalar) and len(str(v)) <= 200) for v in attributes.values())
    ):
        raise AnswerError(_("The visitor's attributes must be at most 50 simple values."), "visitor")
    visitor["attributes"] = attributes
    return visitor


def do_find_or_add_contact(visitor: dict[str, Any], unit_id: int, language: str) -> int | None:
    """The contact the host page named (by its id, else email); a new one if unknown.

    An existing contact is never changed from a public endpoint: a page could claim anyone's email.
    """
    if not visitor.get("id") and not visitor.get("email"):
        return None
    found = _lookup_contact(visitor)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                external_id=visitor.get("id", ""),
                email=visitor.get("email", ""),
                name=visitor.get("name", ""),
                attributes=visitor["attributes"],
                language=language,
                home_unit_id=unit_id,
            )
    except IntegrityError:  # a concurrent first answer created it
        return _lookup_contact(visitor)
    return contact.pk


def _lookup_contact(visitor: dict[str, Any]) -> int | None:
    if visitor.get("id"):
        found = Contact.objects.filter(external_id=visitor["id"]).values_list("pk", flat=True).first()
        if found is not None:
            return found
    if visitor.get("email"):
        by_email = Contact.objects.annotate(lower=Lower("email")).filter(lower=visitor["email"].lower())
        return by_email.values_list("pk", flat=True).first()
    return None


def do_count_display(widget: WidgetRef, name: str) -> None:
    """Add one to today's shown or dismissed counter of the widget (one upsert, safe under concurrency)."""
    quote = connection.ops.quote_name
    table = quote(WidgetDisplay._meta.db_table)
    shown, dismissed = (1, 0) if name == "shown" else (0, 1)
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({quote('widget_id')}, {quote('day')}, {quote('shown')}, {quote('dismissed')}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({quote('widget_id')}, {quote('day')}) DO UPDATE SET "
        f"{quote('shown')} = {table}.{quote('shown')} + excluded.{quote('shown')}, "
        f"{quote('dismissed')} = {table}.{quote('dismissed')} + excluded.{quote('dismissed')}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [widget.pk, timezone.localdate(), shown, dismissed])

"""Recording answers: ``check_*`` functions validate and raise ``AnswerError``; ``do_*`` functions write.

Answering again never makes a second response: an invitation has at most one (``Response.invitation`` is
one-to-one) and an anonymous or widget submission is found again by its random ``submission_key``.  A score
alone is a response; a later comment or follow-up answer updates it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from harken.analytics.nps import Category, classify
from harken.collect.models import Response
from harken.distribution.models import Invitation
from harken.surveys.models import Question, Survey

COMMENT_MAX_LENGTH = 2000
TEXT_ANSWER_MAX_LENGTH = 500
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_WHOLE_NUMBER = re.compile(r"^\s*\d{1,2}\s*$")


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message is shown to the customer as it is."""

    def __init__(self, message: str, field: str = "score") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Respondent:
    """Who is answering which survey, and where the answer belongs."""

    survey: Survey
    unit_id: int
    channel: str
    language: str
    invitation: Invitation | None = None
    contact_id: int | None = None
    touchpoint_id: int | None = None
    employee_id: int | None = None
    submission_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def existing(self) -> Response | None:
        """This respondent's response, if they have answered before."""
        if self.invitation is not None:
            return Response.objects.filter(invitation=self.invitation).first()
        if self.submission_key:
            return Response.objects.filter(survey=self.survey, submission_key=self.submission_key).first()
        return None


def respondent_for_invitation(invitation: Invitation, language: str) -> Respondent:
    """The respondent of an invitation: its contact, unit, touchpoint and employee."""
    return Respondent(
        survey=invitation.survey,
        unit_id=invitation.unit_id,
        channel=invitation.channel,
        language=language,
        invitation=invitation,
        contact_id=invitation.contact_id,
        touchpoint_id=invitation.touchpoint_id or invitation.survey.touchpoint_id,
        employee_id=invitation.employee_id,
    )


def check_submission_key(raw: object) -> str:
    """A client-made submission id: 16–64 URL-safe characters."""
    if not isinstance(raw, str) or not SUBMISSION_KEY.match(raw):
        raise AnswerError(_("This answer is missing its submission id. Please reload the page."), "submission")
    return raw


def check_score(raw: object) -> int:
    """A whole number from 0 to 10, given as an int or as digits; anything else is refused with a message."""
    if isinstance(raw, bool):
        raise AnswerError(_("Choose a score from 0 to 10."))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE_NUMBER.match(raw):
        value = int(raw)
    elif raw is None or raw == "":
        raise AnswerError(_("Choose a score from 0 to 10."))
    else:
        raise AnswerError(_("The score must be a whole number from 0 to 10."))
    if not 0 <= value <= 10:
        raise AnswerError(_("The score must be a whole number from 0 to 10."))
    return value


def check_comment(raw: object) -> str:
    """The comment without surrounding blanks, at most ``COMMENT_MAX_LENGTH`` characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise AnswerError(_("The comment must be text."), "comment")
    text = raw.replace("\x00", "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise AnswerError(
            ngettext(
                "Your comment is %(length)d character long; the limit is %(limit)d.",
                "Your comment is %(length)d characters long; the limit is %(limit)d.",
                len(text),
            )
            % {"length": len(text), "limit": COMMENT_MAX_LENGTH},
            "comment",
        )
    return text


def questions_for(survey: Survey, category: Category | None) -> list[Question]:
    """The active follow-up questions for a respondent of ``category`` (everyone's, then their own)."""
    audiences = [Question.Audience.EVERYONE.value]
    if category is not None:
        audiences.append(category.value)
    return list(survey.questions.filter(is_active=True, audience__in=audiences).order_by("position", "id"))


def check_follow_ups(questions: list[Question], get: Callable[[str], list[str]]) -> dict[str, Any]:
    """Answers to ``questions`` keyed by question key; ``get(name)`` returns the submitted values of a field.

    Ratings are whole numbers on their scale, choices must be among the question's choice keys, short texts
    are limited to ``TEXT_ANSWER_MAX_LENGTH`` characters.  Unanswered optional questions are left out.
    """
    answers: dict[str, Any] = {}
    for question in questions:
        name = f"q_{question.key}"
        values = [value.strip() for value in get(name) if value.strip()]
        if not values:
            if question.required:
                raise AnswerError(_("Please answer this question."), name)
            continue
        answers[question.key] = _check_one(question, values, name)
    return answers


def _check_one(question: Question, values: list[str], name: str) -> Any:
    kind = question.kind
    if kind in (Question.Kind.RATING_0_10, Question.Kind.RATING_1_5):
        low, high = (0, 10) if kind == Question.Kind.RATING_0_10 else (1, 5)
        if len(values) != 1 or not _WHOLE_NUMBER.match(values[0]) or not low <= int(values[0]) <= high:
            raise AnswerError(_("Choose a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}, name)
        return int(values[0])
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
        keys = [str(choice.get("key")) for choice in question.choices if isinstance(choice, dict)]
        if any(value not in keys for value in values):
            raise AnswerError(_("Choose one of the options shown."), name)
        if kind == Question.Kind.SINGLE_CHOICE:
            if len(values) != 1:
                raise AnswerError(_("Choose only one option."), name)
            return values[0]
        return [key for key in keys if key in values]  # the question's order, no duplicates
    text = values[0]
    if len(text) > TEXT_ANSWER_MAX_LENGTH:
        raise AnswerError(
            _("Your answer is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(text), "limit": TEXT_ANSWER_MAX_LENGTH},
            name,
        )
    return text


def do_record(
    respondent: Respondent,
    *,
    score: int | None = None,
    comment: str | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Response:
    """Create or update the respondent's one response with what they sent; ``None`` leaves a part unchanged.

    Runs in one transaction; two concurrent first answers of the same respondent meet on a unique
    constraint and the second becomes an update, so a response is never duplicated.
    """
    if respondent.invitation is None and answers is None:
        # Anonymous and widget answers: one statement, however often they are resent.
        return _upsert(respondent, score, comment)
    with transaction.atomic(savepoint=False):
        response = _locked_existing(respondent)
        if response is None:
            try:
                with transaction.atomic():
                    response = _create(respondent, score, comment, answers)
            except IntegrityError:
                response = _locked_existing(respondent)
                if response is None:
                    raise
                _update(response, respondent, score, comment, answers)
        else:
            _update(response, respondent, score, comment, answers)
        if respondent.invitation is not None and score is not None:
            _mark_answered(respondent.invitation)
    return response


def _upsert(respondent: Respondent, score: int | None, comment: str | None) -> Response:
    """Insert the response of an anonymous submission, or update the one it made before, in one statement.

    ``INSERT … ON CONFLICT (survey, submission_key) DO UPDATE … RETURNING`` (SQLite ≥ 3.35, PostgreSQL) saves
    the ORM's lookup and model machinery on the hot answer endpoint, and two concurrent sends of the same
    submission still meet on the unique index.  ``post_save`` is sent as ``save()`` would (with the fields it
    changed), so everything that listens for new responses (alert rules, comment analysis) sees these too; the
    instance it carries has the id, score, comment and where the response belongs.
    """
    if not respondent.submission_key:
        raise ValueError("An anonymous respondent needs a submission key.")
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    fields = ["language", "updated_at"]
    if score is not None:
        fields.append("score")
    if comment is not None:
        fields.append("comment")
    values = [
        respondent.survey.pk, respondent.contact_id, respondent.unit_id, respondent.touchpoint_id,
        respondent.employee_id, score, comment or "", respondent.channel, respondent.language, "",
        respondent.submission_key, stamp, stamp, stamp,
    ]  # fmt: skip
    sql = _upsert_sql(connection.vendor, tuple(fields))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [*values, stamp])
        pk, stored_score, stored_comment, created = cursor.fetchone()
        response = Response(
            pk=pk,
            survey=respondent.survey,
            contact_id=respondent.contact_id,
            unit_id=respondent.unit_id,
            touchpoint_id=respondent.touchpoint_id,
            employee_id=respondent.employee_id,
            score=stored_score,
            comment=stored_comment,
            channel=respondent.channel,
            language=respondent.language,
            submission_key=respondent.submission_key,
            updated_at=now,
        )
        response._state.adding = False
        response._state.db = connection.alias
        created = bool(created)
        post_save.send(
            sender=Response,
            instance=response,
            created=created,
            update_fields=None if created else frozenset(fields),
            raw=False,
            using=connection.alias,
        )
    return response


_UPSERT_COLUMNS = (
    "survey_id", "contact_id", "unit_id", "touchpoint_id", "employee_id", "score", "comment", "channel",
    "language", "external_id", "submission_key", "submitted_at", "created_at", "updated_at",
)  # fmt: skip


@functools.lru_cache(maxsize=16)
def _upsert_sql(vendor: str, fields: tuple[str, ...]) -> str:
    """The statement of ``_upsert`` that sets ``fields`` on a conflict (made once per vendor and set of fields:
    filing a batch of answers runs it hundreds of times)."""
    quote = connection.ops.quote_name
    table = quote(Response._meta.db_table)
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in fields)
    # Only quoted identifiers are interpolated; every value is a parameter.  A row is new exactly when its
    # created_at is this request's time (an update keeps the old created_at).
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in _UPSERT_COLUMNS)}, {quote('answers')}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_UPSERT_COLUMNS))}, '{{}}') "
        f"ON CONFLICT ({quote('survey_id')}, {quote('submission_key')}) WHERE NOT ({quote('submission_key')} = '') "
        f"DO UPDATE SET {updates} "
        f"RETURNING {quote('id')}, {quote('score')}, {quote('comment')}, {quote('created_at')} = %s"
    )


def _locked_existing(respondent: Respondent) -> Response | None:
    if respondent.invitation is not None:
        queryset = Response.objects.filter(invitation=respondent.invitation)
    else:
        queryset = Response.objects.filter(survey=respondent.survey, submission_key=respondent.submission_key)
    return queryset.select_for_update().order_by().first()


def _create(
    respondent: Respondent, score: int | None, comment: str | None, answers: Mapping[str, Any] | None
) -> Response:
    if respondent.invitation is None and not respondent.submission_key:
        raise ValueError("An anonymous respondent needs a submission key.")
    return Response.objects.create(
        survey=respondent.survey,
        invitation=respondent.invitation,
        contact_id=respondent.contact_id,
        unit_id=respondent.unit_id,
        touchpoint_id=respondent.touchpoint_id,
        employee_id=respondent.employee_id,
        score=score,
        comment=comment or "",
        answers=dict(answers or {}),
        channel=respondent.channel,
        language=respondent.language,
        submission_key=respondent.submission_key,
    )


def _update(
    response: Response,
    respondent: Respondent,
    score: int | None,
    comment: str | None,
    answers: Mapping[str, Any] | None,
) -> None:
    fields = ["language", "updated_at"]
    response.language = respondent.language
    if score is not None:
        response.score = score
        fields.append("score")
    if comment is not None:
        response.comment = comment
        fields.append("comment")
    if answers is not None:
        response.answers = {**(response.answers or {}), **answers}
        fields.append("answers")
    response.save(update_fields=fields)
    if score is not None:
        response.refresh_from_db(fields=["category"])


def _mark_answered(invitation: Invitation) -> None:
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
        answered_at=now, status=Invitation.Status.ANSWERED
    )
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)


def do_mark_opened(invitation: Invitation) -> None:
    """Record the first time the customer opened the survey (one conditional update, safe to repeat)."""
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=timezone.now())


def category_of(response: Response | None) -> Category | None:
    """The NPS category of a response's score, or ``None`` without a score."""
    if response is None or response.score is None:
        return None
    return classify(response.score)

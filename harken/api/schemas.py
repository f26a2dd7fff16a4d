"""Request (In) and response (Out) bodies of the API; ids of related rows end in ``_id``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from harken.api.models import Scope
from harken.api.types import Id
from harken.contacts.models import Consent
from harken.distribution.models import Channel
from harken.org.models import Unit
from harken.surveys.models import Survey


class ErrorItem(Schema):
    field: str | None
    location: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


# --- Units, touchpoints, surveys ---------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    code: str
    time_zone: str
    is_active: bool


class UnitIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Unit.Kind = Unit.Kind.STORE
    parent_id: Id | None = Field(None, description="The unit above; null makes a new root (superusers only).")
    code: str = Field("", max_length=50)
    time_zone: str = Field("", max_length=64)


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class TouchpointOut(Schema):
    id: int
    name: str
    slug: str
    position: int
    description: str


class TouchpointIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    position: int = Field(0, ge=0, le=32767)
    description: str = ""


class TouchpointPage(Schema):
    items: list[TouchpointOut]
    next_cursor: str | None


class QuestionOut(Schema):
    key: str
    kind: str
    text: str
    driver: str
    choices: list[Any]
    audience: str
    position: int
    required: bool
    is_active: bool


class SurveyOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    touchpoint_id: int | None
    nps_question: str
    comment_question: str
    default_language: str
    is_active: bool
    created_at: dt.datetime
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Survey) -> list[Any]:
        return list(obj.questions.all())


class SurveyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    kind: Survey.Kind = Survey.Kind.RELATIONSHIP
    touchpoint_id: Id | None = None
    nps_question: str | None = Field(None, min_length=1, max_length=300)
    comment_question: str | None = Field(None, min_length=1, max_length=300)
    default_language: str = Field("en", min_length=2, max_length=8)


class SurveyPage(Schema):
    items: list[SurveyOut]
    next_cursor: str | None


# --- Contacts and invitations ------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    email: str
    phone: str
    name: str
    language: str
    time_zone: str
    external_id: str
    attributes: dict[str, Any]
    home_unit_id: int | None
    email_consent: str
    sms_consent: str
    last_surveyed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactIn(Schema):
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field("", max_length=32)
    name: str = Field("", max_length=200)
    language: str = Field("en", min_length=2, max_length=8)
    time_zone: str = Field("", max_length=64)
    external_id: str = Field("", max_length=100)
    attributes: dict[str, Any] = Field(default_factory=dict)
    home_unit_id: Id | None = None
    email_consent: Consent = Consent.UNKNOWN
    sms_consent: Consent = Consent.UNKNOWN


class ContactPatch(Schema):
    email: str | None = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=200)
    language: str | None = Field(None, min_length=2, max_length=8)
    external_id: str | None = Field(None, max_length=100)
    attributes: dict[str, Any] | None = None
    home_unit_id: Id | None = None
    email_consent: Consent | None = None
    sms_consent: Consent | None = None


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class InvitationOut(Schema):
    id: int
    survey_id: int
    contact_id: int
    channel: str
    unit_id: int
    touchpoint_id: int | None
    employee_id: int | None
    context: dict[str, Any]
    language: str
    status: str
    scheduled_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None = Field(None, description="Accepted by the mail server or SMS provider.")
    opened_at: dt.datetime | None
    clicked_at: dt.datetime | None = Field(None, description="First click on a tracked link.")
    answered_at: dt.datetime | None
    bounce: str = Field("", description='"" (none), "soft" (deferred) or "hard" (undeliverable).')
    bounced_at: dt.datetime | None = None
    created_at: dt.datetime


class InvitationIn(Schema):
    survey_id: Id
    contact_id: Id
    unit_id: Id
    channel: Channel = Channel.EMAIL
    touchpoint_id: Id | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    language: str = Field("", max_length=8)
    scheduled_at: dt.datetime | None = Field(None, description="When to send; default now.")


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: str | None


# --- Responses and analytics -------------------------------------------------------------------------------


class ResponseOut(Schema):
    id: int
    survey_id: int
    unit_id: int
    touchpoint_id: int | None
    contact_id: int | None
    employee_id: int | None
    invitation_id: int | None
    score: int | None
    category: str | None
    comment: str
    answers: dict[str, Any]
    channel: str
    language: str
    external_id: str
    submitted_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime


class ResponseIn(Schema):
    survey_id: Id
    unit_id: Id
    score: int | None = Field(None, ge=0, le=10, description="0–10, or null when the customer skipped it.")
    touchpoint_id: Id | None = Field(None, description="Default: the survey's touchpoint.")
    contact_id: Id | None = None
    comment: str = Field("", max_length=20000)
    answers: dict[str, Any] = Field(default_factory=dict, description="Answers keyed by question key.")
    channel: Channel = Channel.API
    language: str = Field("en", min_length=2, max_length=8)
    external_id: str = Field("", max_length=120, description="Your id; a second response with it is refused.")
    submitted_at: dt.datetime | None = Field(None, description="Default: now.")


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class NpsGroupOut(Schema):
    key: str
    label: str
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None = Field(description="NPS in points (−100…100); null when n = 0.")
    standard_error: float | None
    ci_low: float | None = Field(description="Lower bound of the adjusted-Wald interval.")
    ci_high: float | None


class NpsOut(Schema):
    by: str
    confidence: float
    groups: list[NpsGroupOut]


# --- API keys ---------------------------------------------------------------------------------------------


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    scope: Scope = Scope.READ


class NewApiKeyOut(ApiKeyOut):
    token: str = Field(description="The secret: send it as 'Authorization: Bearer <token>'. Shown only once.")


class ApiKeyPage(Schema):
    items: list[ApiKeyOut]
    next_cursor: str | None

"""API schemas of cases: separate In and Out models."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from harken.api.types import Id, Text


class CaseEventOut(Schema):
    kind: str
    actor: str | None = Field(None, description="Username, or null for Harken itself.")
    text: str
    created_at: dt.datetime


class CaseOut(Schema):
    id: int
    title: str
    response_id: int
    unit_id: int
    owner: str | None = Field(None, description="Username of the owner.")
    status: str
    priority: int
    opened_at: dt.datetime
    due_at: dt.datetime | None
    first_contact_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    escalation_level: int
    root_cause_id: int | None = Field(None, description="Id of the root-cause theme (see /themes), or null.")
    root_cause: str = Field("", description="The root-cause theme as 'Parent → Theme', or empty.")
    outcome: str


class CaseDetailOut(CaseOut):
    events: list[CaseEventOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CaseChangeIn(Schema):
    status: str | None = Field(None, description="new, in_progress, waiting, resolved or closed.")
    root_cause_id: int | None = Field(None, description="A theme id; required (here or already on the case) to close.")
    outcome: str = Field("", description="Required (here or already on the case) to close.")
    note: str = Field("", max_length=5000)


class LoopMetricsOut(Schema):
    group: str = Field(description="A unit id, or a month as YYYY-MM.")
    cases: int
    detractor_cases: int
    contacted_within_sla: int
    share_contacted_within_sla: float | None = Field(description="Detractor cases contacted before their due time.")
    contacted: int = Field(description="Cases whose customer was contacted: the n of the median time to contact.")
    median_hours_to_first_contact: float | None
    median_hours_to_close: float | None
    closed: int
    resurveyed: int = Field(description="Closed cases whose customer answered again afterwards.")
    recovered: int = Field(description="Of those, customers who moved up a category.")
    recovery_rate: float | None


class ActionEffectOut(Schema):
    action_id: int
    name: str
    state: str
    started_on: dt.date
    before_start: dt.date
    before_end: dt.date
    after_start: dt.date
    after_end: dt.date
    before_n: int
    after_n: int
    nps_before: float | None
    nps_after: float | None
    difference: float | None
    p_value: float | None
    significant: bool
    direction: str | None = Field(description="up, down or flat, whatever the significance.")
    theme_id: int | None = Field(None, description="The theme the action targets.")
    theme_share_before: float | None = Field(None, description="Share of commented responses mentioning it, 0…1.")
    theme_share_after: float | None = None
    theme_share_p_value: float | None = Field(None, description="Two-proportion z-test of the shares.")
    theme_share_significant: bool = False


class ActionOut(Schema):
    id: int
    name: str
    description: str
    theme_id: int | None = Field(None, description="The root cause (theme) it addresses.")
    unit_ids: list[int] = Field(description="Units it covers, each with its subtree.")
    owner: str | None = Field(None, description="Username of the owner.")
    state: str
    started_on: dt.date
    window_days: int
    created_at: dt.datetime


class ActionPage(Schema):
    items: list[ActionOut]
    next_cursor: str | None


class ActionIn(Schema):
    name: Text = Field(max_length=200)
    description: Text = ""
    theme_id: Id | None = None
    unit_ids: list[Id] = Field(description="At least one unit you manage.")
    owner: Text | None = Field(None, max_length=150, description="Username of the owner.")
    state: Text = "planned"
    started_on: dt.date
    window_days: int = Field(90, ge=1, le=32767)


class ActionChangeIn(Schema):
    name: Text | None = Field(None, max_length=200)
    description: Text | None = None
    theme_id: Id | None = None
    unit_ids: list[Id] | None = None
    owner: Text | None = Field(None, max_length=150)
    state: Text | None = None
    started_on: dt.date | None = None
    window_days: int | None = Field(None, ge=1, le=32767)

"""Checking metric alert rules against the data, remembering their state, and telling the unit's owners.

Numbers come through ``harken.analytics.queries`` (and ``harken.text.impact`` for themes); decisions from
``harken.reports.metric_alerts.evaluation``.  Windows are whole calendar days in the installation's time
zone ending yesterday, so a rule checked many times a day judges the same data until the day turns.

A rule fires when its condition holds while it is ``ok`` and its cool-down since the last firing has
passed; it then stays ``firing`` (no repeat) until a check with enough data finds the condition gone, which
records a "cleared" event.  Each firing is one ``MetricAlertEvent`` per (rule, window), unique in the
database, so two workers can never both notify.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from harken.analytics import queries
from harken.analytics.queries import Filters
from harken.collect import links
from harken.integrations.webhooks.models import Event
from harken.loop.mailing import do_queue_notification
from harken.reports.digests.content import day
from harken.reports.metric_alerts import evaluation
from harken.reports.metric_alerts.evaluation import Verdict
from harken.reports.metric_alerts.models import Baseline, Kind, MetricAlertEvent, MetricAlertRule

logger = logging.getLogger(__name__)
CHECK_EVERY = dt.timedelta(hours=1)
BASELINES = {Baseline.WEEK: (7, 28), Baseline.MONTH: (30, 90)}
EVENT = Event.METRIC_ALERT_FIRED


@dataclass(frozen=True)
class Window:
    """Whole days [start, end], and the baseline days just before them (None when the rule has none)."""

    start: dt.date
    end: dt.date
    baseline: tuple[dt.date, dt.date] | None = None

    @property
    def key(self) -> str:
        return f"{self.start}..{self.end}"

    def describe(self) -> str:
        text = f"{day(self.start)} – {day(self.end)}"
        if self.baseline:
            text += f" against {day(self.baseline[0])} – {day(self.baseline[1])}"
        return text


def windows(rule: MetricAlertRule, today: dt.date) -> Window:
    """The days a rule looks at when checked on ``today`` (installation calendar), ending yesterday."""
    end = today - dt.timedelta(days=1)
    if rule.kind == Kind.NPS_BELOW:
        return Window(end - dt.timedelta(days=rule.period_days - 1), end)
    if rule.kind == Kind.NO_FEEDBACK:
        return Window(today - dt.timedelta(days=rule.days), today)
    recent, before = BASELINES[Baseline(rule.baseline)]
    start = end - dt.timedelta(days=recent - 1)
    return Window(start, end, (start - dt.timedelta(days=before), start - dt.timedelta(days=1)))


def judge(rule: MetricAlertRule, today: dt.date) -> tuple[Window, Verdict]:
    """Whether the rule's condition holds on the data up to yesterday (no state, no notification)."""
    window = windows(rule, today)
    recent = Filters(start=window.start, end=window.end, unit=rule.unit)
    base = Filters(start=window.baseline[0], end=window.baseline[1], unit=rule.unit) if window.baseline else None
    if rule.kind == Kind.NPS_BELOW:
        threshold = rule.threshold if rule.threshold is not None else 0.0
        verdict = evaluation.judge_nps_below(queries.total(recent), threshold, rule.min_sample, settings.CONFIDENCE)
    elif rule.kind == Kind.NPS_CHANGE:
        assert base is not None
        verdict = evaluation.judge_nps_change(
            queries.total(base), queries.total(recent), rule.direction, rule.min_sample, rule.level
        )
    elif rule.kind == Kind.THEME_RISING:
        assert base is not None
        before, after = _theme_share(rule, base), _theme_share(rule, recent)
        verdict = evaluation.judge_share_rising(*before, *after, rule.min_sample, rule.level)
    elif rule.kind == Kind.RATE_DROP:
        assert base is not None
        verdict = evaluation.judge_rate_drop(
            *queries.invitations_answered(base), *queries.invitations_answered(recent), rule.min_sample, rule.level
        )
    else:
        window, verdict = _silence(rule, today)
    return window, verdict


def _theme_share(rule: MetricAlertRule, filters: Filters) -> tuple[int, int]:
    """(responses mentioning the rule's theme, scored responses with a comment) in ``filters``."""
    from harken.text import impact

    groups = impact.themes(filters)
    if not groups:
        return 0, queries.responses(filters).exclude(comment="").count()
    found = next((g for g in groups if g.key == str(rule.theme_id)), None)
    return (found.mentions.n if found else 0), groups[0].commented


def _silence(rule: MetricAlertRule, today: dt.date) -> tuple[Window, Verdict]:
    """Days since the subtree's last response (scored or not); the window is keyed by that response's day."""
    latest = (
        queries.responses(Filters(unit=rule.unit), scored_only=False)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if latest is None:
        return Window(today, today), evaluation.judge_no_feedback(None, rule.days)
    last_day = timezone.localtime(latest, queries.local_zone()).date()
    return Window(last_day, today), evaluation.judge_no_feedback((today - last_day).days, rule.days)


def today_here(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, queries.local_zone()).date()


def do_check(rule: MetricAlertRule, now: dt.datetime | None = None) -> MetricAlertEvent | None:
    """Check one rule, change its state, and on a new firing record it and notify; the event recorded, if any."""
    now = now or timezone.now()
    window, verdict = judge(rule, today_here(now))
    key = "since " + str(window.start) if rule.kind == Kind.NO_FEEDBACK else window.key
    event = None
    cooled = rule.last_fired_at is None or now - rule.last_fired_at >= dt.timedelta(hours=rule.cooldown_hours)
    if verdict.holds and rule.state == MetricAlertRule.State.OK and cooled:
        event = _record(rule, MetricAlertEvent.Kind.FIRED, key, verdict, now, window)
        if event is not None:
            rule.state, rule.last_fired_at = MetricAlertRule.State.FIRING, now
            event.notified = notify(rule, event)
            event.save(update_fields=["notified"])
    elif not verdict.holds and verdict.judged and rule.state == MetricAlertRule.State.FIRING:
        event = _record(rule, MetricAlertEvent.Kind.CLEARED, key, verdict, now, window)
        rule.state = MetricAlertRule.State.OK
    rule.last_checked_at = now
    rule.save(update_fields=["state", "last_fired_at", "last_checked_at"])
    return event


def _record(
    rule: MetricAlertRule, kind: str, key: str, verdict: Verdict, now: dt.datetime, window: Window
) -> MetricAlertEvent | None:
    details = {**verdict.details, "window": window.describe()}
    try:
        with transaction.atomic():
            return MetricAlertEvent.objects.create(
                rule=rule, kind=kind, window=key, message=verdict.message, details=details, at=now
            )
    except IntegrityError:
        return None  # this window already fired: never twice


def recipients(rule: MetricAlertRule) -> list[str]:
    """The unit's owners (its nearest managers up the tree) and the rule's extra addresses, each once."""
    from harken.loop.cases import managers_above

    found: list[str] = []
    if rule.notify_owners:
        managers = managers_above(rule.unit)
        if managers:
            nearest = managers[0][0]
            found += [user.email for depth, user in managers if depth == nearest and user.email]
    found += rule.notify_list()
    unique: list[str] = []
    for address in found:
        if address.lower() not in (known.lower() for known in unique):
            unique.append(address)
    return unique


def history_url(rule: MetricAlertRule) -> str:
    return links.absolute(reverse("metric_alerts:rule", args=[rule.pk]))


def notify(rule: MetricAlertRule, event: MetricAlertEvent) -> list[str]:
    """Email the owners and post to the rule's Slack, Teams or webhook endpoints; what was told, for the log."""
    from harken.integrations.webhooks.delivery import do_publish

    title = f"Metric alert: {rule.name} — {rule.unit.name}"
    told: list[str] = []
    addresses = recipients(rule)
    if addresses:
        body = f"{event.message}\n\nPeriod: {event.details.get('window', event.window)}\n\n{history_url(rule)}\n"
        do_queue_notification(addresses, title, body)  # sent by the worker, retried with backoff
        told += addresses
    hooks = list(rule.webhooks.filter(is_active=True))
    if hooks:
        data = _payload(rule, event, title)
        do_publish(EVENT, data, rule.unit.path, webhooks=hooks)
        told += [f"{hook.get_kind_display()}: {hook.name}" for hook in hooks]
    return told


def _payload(rule: MetricAlertRule, event: MetricAlertEvent, title: str) -> dict[str, Any]:
    """What Slack, Teams and JSON webhooks receive (Slack and Teams show the title, unit, message and link)."""
    return {
        "title": title,
        "rule_id": rule.pk,
        "rule": rule.name,
        "kind": rule.kind,
        "unit_id": rule.unit_id,
        "unit": rule.unit.name,
        "window": event.window,
        "comment": event.message,
        "details": event.details,
        "url": history_url(rule),
    }


def do_check_due(now: dt.datetime | None = None) -> int:
    """Check every active rule that is due (claimed by moving its ``next_check_at``); how many were checked."""
    now = now or timezone.now()
    checked = 0
    due = MetricAlertRule.objects.filter(is_active=True, next_check_at__lte=now).select_related("unit")
    for rule in list(due[:200]):
        claimed = MetricAlertRule.objects.filter(pk=rule.pk, next_check_at=rule.next_check_at).update(
            next_check_at=now + CHECK_EVERY
        )
        if claimed:
            do_check(rule, now)
            checked += 1
    return checked

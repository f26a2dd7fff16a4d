"""What the loop tells webhooks: the payloads of response, alert and case events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

from harken.collect.models import Response
from harken.integrations.webhooks.delivery import do_publish
from harken.integrations.webhooks.models import Event, Webhook
from harken.loop.models import AlertRule, Case, Status


def response_data(response: Response) -> dict[str, Any]:
    """A response as webhooks see it."""
    return {
        "response_id": response.pk,
        "survey": response.survey.slug,
        "unit_id": response.unit_id,
        "unit": response.unit.name,
        "touchpoint_id": response.touchpoint_id,
        "contact_id": response.contact_id,
        "score": response.score,
        "category": response.category,
        "comment": response.comment,
        "channel": response.channel,
        "submitted_at": response.submitted_at,
    }


def case_data(case: Case) -> dict[str, Any]:
    """A case as webhooks see it."""
    return {
        "case_id": case.pk,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "unit_id": case.unit_id,
        "unit": case.unit.name,
        "owner": case.owner.get_username() if case.owner else None,
        "due_at": case.due_at,
        "root_cause": str(case.root_cause) if case.root_cause else "",
        "root_cause_id": case.root_cause_id,
        "outcome": case.outcome,
        "response_id": case.response_id,
        "score": case.response.score,
        "comment": case.response.comment,
        "url": f"{settings.BASE_URL}/cases/{case.pk}/",
    }


def response_created(response: Response, active: Sequence[Webhook] | None = None) -> None:
    """Tell subscribers about a new response (``active``: the active endpoints, if already loaded)."""
    _publish_response(Event.RESPONSE_CREATED, response, active)


def response_updated(response: Response, active: Sequence[Webhook] | None = None) -> None:
    """Tell subscribers a response changed (a comment or answers added, the score changed)."""
    _publish_response(Event.RESPONSE_UPDATED, response, active)


def _publish_response(event: str, response: Response, active: Sequence[Webhook] | None) -> None:
    if active is not None and not any(hook.wants(event, response.unit.path) for hook in active):
        return  # nobody listens: no payload to build, no query
    do_publish(event, response_data(response), response.unit.path)


def alert_fired(rule: AlertRule, response: Response) -> None:
    """Post the alert to the rule's own endpoints (Slack, Teams, a webhook)."""
    hooks: list[Webhook] = list(rule.webhooks.filter(is_active=True))
    if hooks:
        data = {**response_data(response), "title": f"Alert: {rule.name}", "rule": rule.name}
        do_publish(Event.ALERT_FIRED, data, response.unit.path, webhooks=hooks)


def case_opened(case: Case) -> None:
    """Tell subscribers about a new case."""
    do_publish(Event.CASE_OPENED, case_data(case), case.unit.path)


def case_changed(case: Case) -> None:
    """Tell subscribers a case changed; closing is its own event."""
    event = Event.CASE_CLOSED if case.status == Status.CLOSED else Event.CASE_CHANGED
    do_publish(event, case_data(case), case.unit.path)


def contact_unsubscribed(contact_id: int, channel: str) -> None:
    """Tell subscribers a contact unsubscribed from a channel (their external id, not their address)."""
    from django.utils import timezone

    from harken.contacts.models import Contact

    contact = Contact.objects.select_related("home_unit").filter(pk=contact_id).first()
    if contact is None:
        return
    data = {
        "contact_id": contact.pk,
        "external_id": contact.external_id,
        "channel": channel,
        "unsubscribed_at": timezone.now(),
        "title": f"A contact unsubscribed from {channel}",
    }
    do_publish(Event.CONTACT_UNSUBSCRIBED, data, contact.home_unit.path if contact.home_unit else None)

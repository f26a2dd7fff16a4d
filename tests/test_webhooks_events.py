"""Webhook events beyond cases: a contact unsubscribing is told to the endpoints of their home unit's tree."""

from __future__ import annotations

from typing import Any

from harken.contacts.consent import do_unsubscribe
from harken.contacts.models import Contact
from harken.integrations.webhooks.models import Delivery, Webhook


def test_an_unsubscribe_is_published_once_to_the_endpoints_that_want_it(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    crm = Webhook.objects.create(name="CRM", url="https://crm.example/", events=["contact.unsubscribed"])
    north = Webhook.objects.create(name="North", url="https://n.example/", unit=org.north)
    Webhook.objects.create(name="South", url="https://s.example/", unit=org.south)
    Webhook.objects.create(name="Cases only", url="https://c.example/", events=["case.opened"])
    dana = Contact.objects.create(email="dana@example.com", external_id="C-17", home_unit=org.north_1)
    with django_capture_on_commit_callbacks(execute=False):
        assert do_unsubscribe(dana.pk, "email") is True
        assert do_unsubscribe(dana.pk, "email") is False  # already unsubscribed: nothing new
    deliveries = list(Delivery.objects.order_by("webhook__name"))
    assert [(d.webhook, d.event) for d in deliveries] == [
        (crm, "contact.unsubscribed"),
        (north, "contact.unsubscribed"),
    ]
    payload = deliveries[0].payload
    assert (payload["contact_id"], payload["external_id"], payload["channel"]) == (dana.pk, "C-17", "email")
    assert "dana@example.com" not in str(payload)

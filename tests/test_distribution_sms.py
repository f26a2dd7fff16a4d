"""SMS invitations through a Twilio-compatible REST API, tested against a local HTTP server standing in for it."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from harken.contacts.models import Consent, Contact
from harken.distribution import sending, sms
from harken.distribution.models import Channel, Invitation


class FakeTwilio(http.server.BaseHTTPRequestHandler):
    """Answers like Twilio's Messages API; ``status`` decides what the next request gets."""

    received: list[dict[str, Any]] = []
    status = 201

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        type(self).received.append({"path": self.path, "auth": self.headers.get("Authorization"), **form})
        body = {"sid": f"SM{len(self.received)}"} if self.status == 201 else {"code": 21211, "message": "Invalid To"}
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def twilio(settings: Any) -> Iterator[type[FakeTwilio]]:
    FakeTwilio.received, FakeTwilio.status = [], 201
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_URL = f"twilio+http://AC123:secret@127.0.0.1:{server.server_port}/?from=%2B15550001111"
    settings.QUIET_HOURS = "off"
    yield FakeTwilio
    server.shutdown()
    server.server_close()


@pytest.fixture
def invitation(org: Any) -> Invitation:
    org.survey.company_name = "Acme"
    org.survey.save()
    contact = Contact.objects.create(phone="+447700900123", language="fr", home_unit=org.north_1)
    queued = sending.do_queue_invitation(org.survey, contact, org.north_1, channel=Channel.SMS)
    assert queued is not None and queued.status == Invitation.Status.SCHEDULED
    return queued


def test_an_sms_invitation_is_posted_to_the_provider_with_a_short_link(
    twilio: type[FakeTwilio], invitation: Invitation, client: Any
) -> None:
    assert sending.do_send(invitation.pk).status == "sent"
    [request] = twilio.received
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["auth"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert (request["To"], request["From"]) == ("+447700900123", "+15550001111")
    assert request["Body"].startswith("Acme : quelle est la probabilité") and "STOP" in request["Body"]
    link = sms.short_url(invitation)
    assert link in request["Body"] and len(link) < 60
    redirect = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert redirect.status_code == 302 and "/s/" in redirect["Location"]


def test_a_refused_number_fails_for_good_and_a_provider_outage_is_retried(
    twilio: type[FakeTwilio], invitation: Invitation
) -> None:
    twilio.status = 503
    assert sending.do_send(invitation.pk).status == "retry"
    twilio.status = 400
    invitation.refresh_from_db()
    assert sending.do_send(invitation.pk, now=invitation.scheduled_at).status == "failed"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.FAILED and "21211" in invitation.last_error


@pytest.mark.parametrize(
    ("body", "stops"), [("STOP", True), (" stop. ", True), ("Arrêt", True), ("stop it now", False)]
)
def test_an_opt_out_reply_unsubscribes_the_number_from_sms(
    twilio: type[FakeTwilio], invitation: Invitation, client: Any, body: str, stops: bool
) -> None:
    params = {"From": "+447700900123", "Body": body}
    signature = sms.twilio_signature("secret", "http://127.0.0.1:8000/sms/inbound", params)
    response = client.post("/sms/inbound", params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    expected = Consent.UNSUBSCRIBED if stops else Consent.UNKNOWN
    assert Contact.objects.get(pk=invitation.contact_id).sms_consent == expected


def test_an_unsigned_reply_is_refused(twilio: type[FakeTwilio], invitation: Invitation, client: Any) -> None:
    response = client.post("/sms/inbound", {"From": "+447700900123", "Body": "STOP"})
    assert response.status_code == 403
    assert Contact.objects.get(pk=invitation.contact_id).sms_consent == Consent.UNKNOWN


def test_an_opted_out_number_is_not_texted(twilio: type[FakeTwilio], invitation: Invitation) -> None:
    Contact.objects.filter(pk=invitation.contact_id).update(sms_consent=Consent.UNSUBSCRIBED)
    assert sending.do_send(invitation.pk).status == "suppressed"
    assert twilio.received == []


def test_a_bad_sms_url_is_refused_with_its_name() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="HARKEN_SMS_URL"):
        sms.provider_from_url("twilio://only-host/")

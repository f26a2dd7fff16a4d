"""Tracking invitations: delivered, clicked, opened (optional pixel), bounced (VERP + RFC 3464 reports).

Emails go to a real SMTP server (aiosmtpd); links and bounce reports go through Django's test client.
"""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.utils import timezone

from harken.api.keys import do_create_key
from harken.contacts.models import Contact
from harken.distribution import bounces, emails, sending, tracking
from harken.distribution.models import Invitation, SurveyTracking
from tests.conftest import Inbox, Smtp

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def survey(org: Any) -> Any:
    org.survey.company_name = "Acme Stores"
    org.survey.touchpoint = org.delivery
    org.survey.max_reminders = 0
    org.survey.save()
    return org.survey


def send_one(org: Any, survey: Any, smtp: Smtp, address: str = "ann@example.com", name: str = "Ann") -> Invitation:
    if smtp.controller is None:
        smtp.start()
    contact = Contact.objects.create(email=address, name=name, home_unit=org.north_2)
    invitation = sending.do_queue_invitation(survey, contact, org.north_2)
    assert invitation is not None
    assert sending.do_send_due() == {"sent": 1}
    invitation.refresh_from_db()
    return invitation


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def path(url: str) -> str:
    return url.removeprefix(BASE)


def test_a_sent_invitation_is_delivered_and_carries_its_own_signed_bounce_address(
    org: Any, survey: Any, smtp: Smtp
) -> None:
    invitation = send_one(org, survey, smtp)
    assert invitation.status == Invitation.Status.SENT
    assert invitation.sent_at == invitation.delivered_at is not None
    [sender] = smtp.inbox.senders
    assert re.fullmatch(rf"surveys\+i{invitation.pk}-[0-9a-f]{{16}}@acme\.example", sender)
    assert tracking.invitation_of_bounce_address(sender) == invitation.pk
    forged = sender.replace(f"+i{invitation.pk}-", f"+i{invitation.pk + 1}-")
    assert tracking.invitation_of_bounce_address(forged) is None
    assert smtp.inbox.messages[0]["From"].addresses[0].addr_spec == "surveys@acme.example"  # the header is unchanged


def test_clicking_a_score_button_records_the_click_and_the_open_then_leads_to_the_score(
    org: Any, survey: Any, smtp: Smtp, client: Any
) -> None:
    invitation = send_one(org, survey, smtp)
    html = html_of(smtp.inbox.messages[0])
    links = re.findall(r'<a href="([^"]+)"', html)
    assert len(links) == 13  # eleven scores, the survey link, unsubscribe
    seven = next(link for link in links if link.endswith("/7/") and "/t/" in link)
    assert f"{BASE}/t/" in seven and invitation.clicked_at is None and invitation.opened_at is None

    response = client.get(path(seven))
    assert response.status_code == 302
    signed = path(seven).split("/")[2]
    assert response["Location"] == f"/s/{signed}/7/"
    invitation.refresh_from_db()
    assert invitation.clicked_at is not None and invitation.opened_at == invitation.clicked_at

    first = invitation.clicked_at
    assert client.get(path(seven).replace("/7/", "/s/")).headers["Location"] == f"/s/{signed}/"
    invitation.refresh_from_db()
    assert invitation.clicked_at == first  # the first click counts


def test_the_text_part_links_are_tracked_too(org: Any, survey: Any, smtp: Smtp) -> None:
    send_one(org, survey, smtp)
    text = text_of(smtp.inbox.messages[0])
    assert len(re.findall(rf"{BASE}/t/[^/\s]+/(?:\d+|s)/", text)) == 12
    assert f"{BASE}/s/" not in text  # no untracked survey link


def test_a_link_scanner_following_the_links_is_not_a_click(org: Any, survey: Any, smtp: Smtp, client: Any) -> None:
    send_one(org, survey, smtp)
    link = path(re.findall(r'<a href="([^"]+/t/[^"]+/7/)"', html_of(smtp.inbox.messages[0]))[0])
    assert client.head(link).status_code == 302
    assert client.get(link, HTTP_USER_AGENT="Mozilla/5.0 (compatible; BingPreview/1.0b)").status_code == 302
    assert Invitation.objects.get().clicked_at is None


def test_a_tampered_or_unknown_tracked_link_is_refused(org: Any, survey: Any, smtp: Smtp, client: Any) -> None:
    send_one(org, survey, smtp)
    link = path(re.findall(r'<a href="([^"]+/t/[^"]+/7/)"', html_of(smtp.inbox.messages[0]))[0])
    assert client.get(link.replace("/7/", "/11/")).status_code == 404
    signed = link.split("/")[2]
    assert client.get(link.replace(signed, signed[:-2] + "xx")).status_code == 400
    assert Invitation.objects.get().clicked_at is None


def test_tracked_links_are_rate_limited_per_link(org: Any, survey: Any, smtp: Smtp, client: Any, settings: Any) -> None:
    settings.RATE_LIMIT_PER_TOKEN = 2
    send_one(org, survey, smtp)
    link = path(re.findall(r'<a href="([^"]+/t/[^"]+/7/)"', html_of(smtp.inbox.messages[0]))[0])
    statuses = [client.get(link).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert client.get(link).headers["Retry-After"].isdigit()


def test_there_is_no_open_pixel_unless_the_survey_switches_it_on(
    org: Any, survey: Any, smtp: Smtp, client: Any
) -> None:
    send_one(org, survey, smtp)
    assert "open.gif" not in html_of(smtp.inbox.messages[0])

    tracking.do_set_open_pixel(survey.pk, True)
    invitation = send_one(org, survey, smtp, "bob@example.com", "Bob")
    html = html_of(smtp.inbox.messages[1])
    [pixel] = re.findall(r'<img src="([^"]+/open\.gif)" width="1" height="1" alt=""', html)
    assert "open.gif" not in text_of(smtp.inbox.messages[1])

    response = client.get(path(pixel))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) == 43
    invitation.refresh_from_db()
    assert invitation.opened_at is not None and invitation.clicked_at is None
    assert SurveyTracking.objects.get(survey=survey).open_pixel is True


def test_the_renderer_fills_each_contact_into_the_email_rendered_once(org: Any, survey: Any) -> None:
    renderer = emails.Renderer()
    people = [("zoe@example.com", "Zoë <O'Brien> & Co"), ("max@example.com", "Max"), ("nameless@example.com", "")]
    messages = []
    for address, name in people:
        contact = Contact.objects.create(email=address, name=name, home_unit=org.north_2)
        invitation = sending.do_queue_invitation(survey, contact, org.north_2)
        assert invitation is not None
        messages.append((invitation, renderer.message(invitation)))
    assert len(renderer.variants) == 2  # with a name, without one

    import email as email_lib
    import email.policy

    for invitation, message in messages:
        parsed = email_lib.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=email.policy.default)
        assert parsed["To"] == invitation.contact.email
        assert parsed["X-Harken-Invitation"] == str(invitation.pk)
        assert emails.unsubscribe_url(invitation) in str(parsed["List-Unsubscribe"])
        assert message.from_email == tracking.bounce_address(invitation.pk)
        html, text = html_of(parsed), text_of(parsed)
        signed = re.findall(r"/t/([^/]+)/7/", html)[0]
        assert signed.split(":")[0] == invitation.token
        assert "HkPh" not in html + text + str(parsed) + message.body + str(message.alternatives)
        assert message.body == text.replace("\r\n", "\n")
    zoe_html, zoe_text = html_of(parse(messages[0][1])), text_of(parse(messages[0][1]))
    assert "Hello Zoë &lt;O&#x27;Brien&gt; &amp; Co," in zoe_html and "Hello Zoë <O'Brien> & Co," in zoe_text
    assert "Hello Max," in text_of(parse(messages[1][1]))
    assert "Hello,\r\n" in text_of(parse(messages[2][1])) or "Hello,\n" in text_of(parse(messages[2][1]))
    ids = {parse(message)["Message-ID"] for _invitation, message in messages}
    assert len(ids) == 3


def parse(message: Any) -> EmailMessage:
    import email as email_lib
    import email.policy

    raw = message.message().as_bytes(linesep="\r\n")
    return email_lib.message_from_bytes(raw, policy=email.policy.default)


# --- Bounces -------------------------------------------------------------------------------------------------


def dsn(to: str, action: str = "failed", status: str = "5.1.1", recipient: str = "ann@example.com") -> bytes:
    """A delivery-status notification as a mail server sends it back (RFC 3464)."""
    diagnostic = "smtp; 550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown"
    return (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--b1\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "Arrival-Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Acme Stores <surveys@acme.example>\r\n"
        "Subject: Acme Stores would like your opinion\r\n"
        "--b1--\r\n"
    ).encode()


@pytest.fixture
def bounce_api(client: Any, org: Any) -> Any:
    token = do_create_key(org.users["admin"], "mail provider", "write")[1]

    def post(raw: bytes, token: str = token, **headers: str) -> Any:
        auth = headers.pop("auth", f"Bearer {token}")
        return client.post("/api/v1/bounces", raw, content_type="message/rfc822", HTTP_AUTHORIZATION=auth)

    post.token = token  # type: ignore[attr-defined]
    return post


def test_a_hard_bounce_report_marks_the_invitation_and_stops_mail_to_the_address(
    org: Any, survey: Any, smtp: Smtp, bounce_api: Any
) -> None:
    invitation = send_one(org, survey, smtp)
    response = bounce_api(dsn(smtp.inbox.senders[0]))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "invitation_id": invitation.pk,
        "bounce": "hard",
        "status": "5.1.1",
        "recipient": "ann@example.com",
        "reason": "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown",
    }
    invitation.refresh_from_db()
    assert (invitation.status, invitation.bounce) == (Invitation.Status.BOUNCED, "hard")
    assert invitation.delivered_at is not None and invitation.bounced_at is not None
    contact = invitation.contact
    contact.refresh_from_db()
    assert contact.bounced_email == "ann@example.com" and contact.email_undeliverable

    contact.last_surveyed_at = None  # not the fatigue rule: the address
    again = sending.do_queue_invitation(survey, contact, org.north_2)
    assert again is not None and again.status == Invitation.Status.SUPPRESSED
    assert contact.eligibility.get().reason == "undeliverable"

    contact.email = "ann@new.example"  # a new address is tried again
    assert not contact.email_undeliverable


def test_a_delayed_report_marks_the_invitation_deferred_only(
    org: Any, survey: Any, smtp: Smtp, bounce_api: Any
) -> None:
    invitation = send_one(org, survey, smtp)
    response = bounce_api(dsn(smtp.inbox.senders[0], action="delayed", status="4.4.1"))
    assert response.status_code == 200 and response.json()["bounce"] == "soft"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.bounce) == (Invitation.Status.SENT, "soft")
    assert not Contact.objects.get(pk=invitation.contact_id).email_undeliverable


def test_a_report_without_a_signed_bounce_address_changes_nothing(
    org: Any, survey: Any, smtp: Smtp, bounce_api: Any
) -> None:
    invitation = send_one(org, survey, smtp)
    forged = smtp.inbox.senders[0].replace(f"+i{invitation.pk}-", f"+i{invitation.pk}-0")
    response = bounce_api(dsn(forged))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert "signed Harken bounce address" in response.json()["detail"]
    assert bounce_api(b"").status_code == 422
    invitation.refresh_from_db()
    assert invitation.bounce == "" and invitation.status == Invitation.Status.SENT


def test_the_bounce_endpoint_needs_an_administrators_key_by_bearer_or_basic(
    org: Any, survey: Any, smtp: Smtp, bounce_api: Any
) -> None:
    invitation = send_one(org, survey, smtp)
    raw = dsn(smtp.inbox.senders[0])
    assert bounce_api(raw, auth="").status_code == 401
    assert bounce_api(raw, auth="Bearer hk_nope_nope").status_code == 401
    analyst = do_create_key(org.users["analyst"], "not an admin", "write")[1]
    assert bounce_api(raw, token=analyst).status_code == 403
    basic = base64.b64encode(f"bounces:{bounce_api.token}".encode()).decode()
    assert bounce_api(raw, auth=f"Basic {basic}").status_code == 200
    invitation.refresh_from_db()
    assert invitation.bounce == "hard"


def test_a_refused_recipient_is_a_hard_bounce_at_once(org: Any, survey: Any, smtp: Smtp) -> None:
    smtp.start()
    contact = Contact.objects.create(email="nobody@example.com", home_unit=org.north_2)
    invitation = sending.do_queue_invitation(survey, contact, org.north_2)
    assert invitation is not None
    assert sending.do_send_due() == {"failed": 1}
    invitation.refresh_from_db()
    assert (invitation.status, invitation.bounce) == (Invitation.Status.FAILED, "hard")
    assert invitation.sent_at is not None and invitation.delivered_at is None
    assert Contact.objects.get(pk=contact.pk).email_undeliverable


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "5.1.1", "hard"),
        ("failed", "4.4.7", "soft"),
        ("delayed", "4.4.1", "soft"),
        ("delivered", "2.0.0", ""),
    ],
)
def test_report_kinds_follow_the_action_and_status(action: str, status: str, kind: str) -> None:
    report = bounces.read_report(dsn(tracking.bounce_address(42), action=action, status=status))
    assert (report.invitation_id, report.kind, report.status) == (42, kind, status)


def test_the_bounce_address_is_found_in_the_returned_headers_too(settings: Any) -> None:
    settings.BOUNCE_ADDRESS = "bounces@mail.acme.example"
    address = tracking.bounce_address(7)
    assert re.fullmatch(r"bounces\+i7-[0-9a-f]{16}@mail\.acme\.example", address)
    raw = dsn("bounces@mail.acme.example").replace(
        b"From: Acme Stores", f"Return-Path: <{address}>\r\nFrom: Acme Stores".encode()
    )
    assert bounces.read_report(raw).invitation_id == 7


def test_a_click_after_a_hard_bounce_keeps_the_bounce(org: Any, survey: Any, smtp: Smtp) -> None:
    invitation = send_one(org, survey, smtp)
    assert tracking.do_record_bounce(invitation.pk, hard=True, reason="550 user unknown", now=timezone.now())
    assert tracking.do_record_bounce(invitation.pk, hard=False, reason="451 try later")
    invitation.refresh_from_db()
    assert invitation.bounce == "hard" and invitation.last_error == "Bounced: 550 user unknown"
    assert not tracking.do_record_bounce(10**9, hard=True, reason="x")


# --- Pipelining (RFC 2920) -----------------------------------------------------------------------------------


class PipeliningInbox(Inbox):
    """The test SMTP server, advertising PIPELINING and remembering the commands as they arrive."""

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> Any:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def test_a_server_that_offers_pipelining_gets_each_email_in_two_round_trips(org: Any, survey: Any, smtp: Smtp) -> None:
    smtp.inbox = PipeliningInbox(refuse="nobody@example.com")
    smtp.start()
    for address in ("ann@example.com", "nobody@example.com", "bob@example.com"):
        contact = Contact.objects.create(email=address, home_unit=org.north_2)
        sending.do_queue_invitation(survey, contact, org.north_2)
    assert sending.do_send_due() == {"sent": 2, "failed": 1}
    assert [str(message["To"]) for message in smtp.inbox.messages] == ["ann@example.com", "bob@example.com"]
    refused = Invitation.objects.get(contact__email="nobody@example.com")
    assert refused.bounce == "hard" and "550" in refused.last_error
    for message in smtp.inbox.messages:
        assert "Hello," in text_of(message)


def test_pipelined_sending_matches_sendmail_byte_for_byte() -> None:
    from harken.distribution import smtp as pipelined

    captured: list[bytes] = []

    class Fake:
        replies = [(250, b"ok"), (250, b"ok"), (354, b"go"), (250, b"queued")]

        def ehlo_or_helo_if_needed(self) -> None: ...

        def has_extn(self, name: str) -> bool:
            return name == "pipelining"

        def send(self, data: str | bytes) -> None:
            captured.append(data.encode() if isinstance(data, str) else data)

        def getreply(self) -> tuple[int, bytes]:
            return self.replies.pop(0)

    pipelined.send(Fake(), "a@x.example", "b@y.example", b"Subject: hi\r\n\r\n.dot\r\nend")  # type: ignore[arg-type]
    assert captured == [
        b"mail FROM:<a@x.example>\r\nrcpt TO:<b@y.example>\r\ndata\r\n",
        b"Subject: hi\r\n\r\n..dot\r\nend\r\n.\r\n",
    ]
